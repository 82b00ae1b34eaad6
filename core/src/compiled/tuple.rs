//! Tuples of layers on the compiled path: the forward pass runs the layers in order,
//! keeping each intermediate value in the cache; the backward pass runs them in reverse,
//! each writing the gradient of its input into the cache for the layer before.

use nalgebra::SMatrix;

use super::{Backprop, GradVisitor, ParamGrads, Zeroed};
use crate::nn::{add_penalties_value, Mat, Shape};
use crate::{Error, Real};

/// What a tuple keeps for one layer that is not the last: the layer's own cache, its
/// output (the next layer's input) and the gradient of that output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage<C, M> {
    /// The layer's own cache.
    pub cache: C,
    /// The layer's output.
    pub value: M,
    /// `∂loss/∂value`, written by the next layer's backward pass.
    pub grad: M,
}

impl<C: Zeroed, M: Zeroed> Zeroed for Stage<C, M> {
    const ZERO: Self = Stage {
        cache: C::ZERO,
        value: M::ZERO,
        grad: M::ZERO,
    };
}

macro_rules! tuple_grads {
    ($($p:ident $i:tt),+) => {
        /// The gradients of a tuple are the tuple of its layers' gradients.
        impl<T: Real, $($p: ParamGrads<T>),+> ParamGrads<T> for ($($p,)+) {
            type Grads = ($($p::Grads,)+);

            fn visit_grads<V: GradVisitor<T>>(
                &mut self,
                g: &Self::Grads,
                v: &mut V,
            ) -> Result<(), Error> {
                $(self.$i.visit_grads(&g.$i, v)?;)+
                Ok(())
            }

            /// The layers' penalties summed in order, as the tape's `add_penalties`.
            fn penalty_value(&self, lambda: T) -> Option<T> {
                let p = None;
                $(let p = add_penalties_value(p, self.$i.penalty_value(lambda));)+
                p
            }
        }
    };
}
tuple_grads!(A 0);
tuple_grads!(A 0, B 1);
tuple_grads!(A 0, B 1, C 2);
tuple_grads!(A 0, B 1, C 2, D 3);
tuple_grads!(A 0, B 1, C 2, D 3, E 4);
tuple_grads!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_grads!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_grads!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// A single layer in a tuple is that layer.
impl<T: Real, X: Shape, A: Backprop<T, X>> Backprop<T, X> for (A,) {
    type Cache = A::Cache;

    #[inline]
    fn forward_cached(
        &self,
        x: &X::Matrix<T>,
        cache: &mut A::Cache,
        y: &mut <A::Output as Shape>::Matrix<T>,
    ) {
        self.0.forward_cached(x, cache, y);
    }

    #[inline]
    fn backward(
        &self,
        x: &X::Matrix<T>,
        y: &<A::Output as Shape>::Matrix<T>,
        cache: &mut A::Cache,
        up: &<A::Output as Shape>::Matrix<T>,
        grads: &mut Self::Grads,
        dx: Option<&mut X::Matrix<T>>,
        penalty: Option<T>,
    ) {
        self.0.backward(x, y, cache, up, &mut grads.0, dx, penalty);
    }
}

/// Layers in sequence. `$first` takes the input `X` and gives `$r0×$c0`; each middle
/// layer `$p` (index `$i`) takes the output of layer `$prev` and gives `$r×$c`; `$last`
/// takes the output of layer `$lprev`, and its output is the tuple's. The middle layers
/// are listed again in reverse after `rev`, for the backward pass. The cache holds a
/// [`Stage`] for every layer but the last, then the last layer's own cache.
macro_rules! tuple_backprop {
    (
        $first:ident => $r0:ident $c0:ident;
        $(mid $p:ident $i:tt $prev:tt ($pr:ident $pc:ident) => $r:ident $c:ident;)*
        last $last:ident $l:tt $lprev:tt ($lr:ident $lc:ident);
        rev $($rp:ident $ri:tt $rprev:tt;)*
    ) => {
        impl<
            T: Real,
            X: Shape,
            const $r0: usize,
            const $c0: usize,
            $(const $r: usize, const $c: usize,)*
            $first,
            $($p,)*
            $last,
        > Backprop<T, X> for ($first, $($p,)* $last,)
        where
            $first: Backprop<T, X, Output = Mat<$r0, $c0>>,
            $($p: Backprop<T, Mat<$pr, $pc>, Output = Mat<$r, $c>>,)*
            $last: Backprop<T, Mat<$lr, $lc>>,
        {
            type Cache = (
                Stage<$first::Cache, SMatrix<T, $r0, $c0>>,
                $(Stage<$p::Cache, SMatrix<T, $r, $c>>,)*
                $last::Cache,
            );

            #[inline]
            fn forward_cached(
                &self,
                x: &X::Matrix<T>,
                cache: &mut Self::Cache,
                y: &mut <$last::Output as Shape>::Matrix<T>,
            ) {
                self.0.forward_cached(x, &mut cache.0.cache, &mut cache.0.value);
                $(self.$i.forward_cached(
                    &cache.$prev.value,
                    &mut cache.$i.cache,
                    &mut cache.$i.value,
                );)*
                self.$l.forward_cached(&cache.$lprev.value, &mut cache.$l, y);
            }

            #[inline]
            fn backward(
                &self,
                x: &X::Matrix<T>,
                y: &<$last::Output as Shape>::Matrix<T>,
                cache: &mut Self::Cache,
                up: &<$last::Output as Shape>::Matrix<T>,
                grads: &mut Self::Grads,
                dx: Option<&mut X::Matrix<T>>,
                penalty: Option<T>,
            ) {
                self.$l.backward(
                    &cache.$lprev.value,
                    y,
                    &mut cache.$l,
                    up,
                    &mut grads.$l,
                    Some(&mut cache.$lprev.grad),
                    penalty,
                );
                $(self.$ri.backward(
                    &cache.$rprev.value,
                    &cache.$ri.value,
                    &mut cache.$ri.cache,
                    &cache.$ri.grad,
                    &mut grads.$ri,
                    Some(&mut cache.$rprev.grad),
                    penalty,
                );)*
                self.0.backward(
                    x,
                    &cache.0.value,
                    &mut cache.0.cache,
                    &cache.0.grad,
                    &mut grads.0,
                    dx,
                    penalty,
                );
            }
        }
    };
}
tuple_backprop!(A => R0 C0; last B 1 0 (R0 C0); rev);
tuple_backprop!(
    A => R0 C0;
    mid B 1 0 (R0 C0) => R1 C1;
    last C 2 1 (R1 C1);
    rev B 1 0;
);
tuple_backprop!(
    A => R0 C0;
    mid B 1 0 (R0 C0) => R1 C1;
    mid C 2 1 (R1 C1) => R2 C2;
    last D 3 2 (R2 C2);
    rev C 2 1; B 1 0;
);
tuple_backprop!(
    A => R0 C0;
    mid B 1 0 (R0 C0) => R1 C1;
    mid C 2 1 (R1 C1) => R2 C2;
    mid D 3 2 (R2 C2) => R3 C3;
    last E 4 3 (R3 C3);
    rev D 3 2; C 2 1; B 1 0;
);
tuple_backprop!(
    A => R0 C0;
    mid B 1 0 (R0 C0) => R1 C1;
    mid C 2 1 (R1 C1) => R2 C2;
    mid D 3 2 (R2 C2) => R3 C3;
    mid E 4 3 (R3 C3) => R4 C4;
    last F 5 4 (R4 C4);
    rev E 4 3; D 3 2; C 2 1; B 1 0;
);
tuple_backprop!(
    A => R0 C0;
    mid B 1 0 (R0 C0) => R1 C1;
    mid C 2 1 (R1 C1) => R2 C2;
    mid D 3 2 (R2 C2) => R3 C3;
    mid E 4 3 (R3 C3) => R4 C4;
    mid F 5 4 (R4 C4) => R5 C5;
    last G 6 5 (R5 C5);
    rev F 5 4; E 4 3; D 3 2; C 2 1; B 1 0;
);
tuple_backprop!(
    A => R0 C0;
    mid B 1 0 (R0 C0) => R1 C1;
    mid C 2 1 (R1 C1) => R2 C2;
    mid D 3 2 (R2 C2) => R3 C3;
    mid E 4 3 (R3 C3) => R4 C4;
    mid F 5 4 (R4 C4) => R5 C5;
    mid G 6 5 (R5 C5) => R6 C6;
    last H 7 6 (R6 C6);
    rev G 6 5; F 5 4; E 4 3; D 3 2; C 2 1; B 1 0;
);
