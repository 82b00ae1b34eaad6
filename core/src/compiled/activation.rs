//! The activation layers on the compiled path: each [`Unary`]'s own `f` and `df`
//! through the tape's element-wise kernels, so kinks and NaN are the tape's.

use nalgebra::SMatrix;

use super::{Backprop, GradVisitor, ParamGrads};
use crate::nn::Mat;
use crate::ops::unary::{map_backward, map_forward, Relu, Sigmoid, Softplus, Tanh};
use crate::{Error, Real};

macro_rules! activation {
    ($($name:ident),*) => {$(
        /// No parameters: no gradients, no penalty.
        impl<T: Real> ParamGrads<T> for $name {
            type Grads = ();
            fn visit_grads<V: GradVisitor<T>>(&mut self, _: &(), _: &mut V) -> Result<(), Error> {
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
activation!(Relu, Tanh, Sigmoid, Softplus);
