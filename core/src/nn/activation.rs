//! The activations as parameter-free layers: each element-wise function of
//! [`ops::unary`](crate::ops::unary) on the tape ([`Layer::forward`] records one node),
//! off it ([`Layer::eval`]) and on the compiled path ([`Backprop`]), the last two through
//! the same kernel, and all three through the [`Unary`](crate::ops::unary::Unary)'s own
//! `f` and `df`, so kinks and NaN are the tape's.

use nalgebra::SMatrix;

use super::{Backprop, Layer, Mat, Module, ParamGrads, Shape, Visitor};
use crate::ops::unary::{map_backward, map_forward, Relu, Sigmoid, Softplus, Tanh};
use crate::{Error, Graph, Real, Usage, Var};

macro_rules! activation_layer {
    ($($name:ident),*) => {$(
        /// A parameter-free layer: the element-wise function applied to its input.
        impl<T: Real> Module<T> for $name {
            const PARAMS: usize = 0;
            const TENSORS: usize = 0;
            const PENALTY: Usage = Usage::ZERO;
            type Vars<'g> = ();
            type Ids = ();
            fn bind<'a, const S: usize, const N: usize>(&'a self, _: &Graph<'a, T, S, N>) {}
            fn ids(_: &()) {}
            fn visit<V: Visitor<T>>(&mut self, _: &(), _: &mut V) -> Result<(), Error> {
                Ok(())
            }
            fn penalty<'g>(_: &Self::Vars<'g>, _: T) -> Option<Var<'g, T, 1, 1>> {
                None
            }
        }

        impl<T: Real, const R: usize, const C: usize> Layer<T, Mat<R, C>> for $name {
            type Output = Mat<R, C>;
            const FORWARD: Usage = Usage { scalars: 2 * R * C, nodes: 1 };
            const FORWARD_CONSTANT: Usage = Usage { scalars: R * C, nodes: 1 };
            fn forward<'g>(
                _: &Self::Vars<'g>,
                x: <Mat<R, C> as Shape>::Var<'g, T>,
            ) -> <Mat<R, C> as Shape>::Var<'g, T> {
                x.map::<$name>(T::zero())
            }
            /// The compiled path's forward pass ([`Backprop::forward_cached`]): one kernel
            /// for both.
            fn eval(&self, x: &SMatrix<T, R, C>) -> SMatrix<T, R, C> {
                let mut y = SMatrix::<T, R, C>::zeros();
                map_forward::<T, $name>(x.as_slice(), T::zero(), y.as_mut_slice());
                y
            }
        }

        /// No parameters: no gradients, no penalty.
        impl<T: Real> ParamGrads<T> for $name {
            type Grads = ();
            fn visit_grads<V: Visitor<T>>(&mut self, _: &(), _: &mut V) -> Result<(), Error> {
                Ok(())
            }
            fn penalty_value(&self, _: T) -> Option<T> {
                None
            }
        }

        /// `y = f(x)` element-wise; backward `∂x = Ḡ ∘ f'(x)` from the input and the
        /// output (no cache).
        impl<T: Real, const R: usize, const C: usize> Backprop<T, Mat<R, C>> for $name {
            type Cache = ();

            #[inline]
            fn forward_cached(&self, x: &SMatrix<T, R, C>, _: &mut (), y: &mut SMatrix<T, R, C>) {
                map_forward::<T, $name>(x.as_slice(), T::zero(), y.as_mut_slice());
            }

            #[inline]
            fn backward(
                &self,
                x: &SMatrix<T, R, C>,
                y: &SMatrix<T, R, C>,
                _: &mut (),
                up: &SMatrix<T, R, C>,
                _: &mut (),
                dx: Option<&mut SMatrix<T, R, C>>,
                _: Option<T>,
            ) {
                if let Some(dx) = dx {
                    map_backward::<T, $name>(
                        x.as_slice(),
                        y.as_slice(),
                        up.as_slice(),
                        T::zero(),
                        dx.as_mut_slice(),
                        true,
                    );
                }
            }
        }
    )*};
}
activation_layer!(Relu, Tanh, Sigmoid, Softplus);
