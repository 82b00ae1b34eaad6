//! Tuples of layers: a tuple is a [`Module`] owning its parts' parameters, and a
//! [`Layer`] when each part's output is the next part's input. On the tape the forward
//! pass records the parts in order; off it ([`Layer::eval`]) it chains their `eval`s; on
//! the compiled path ([`Backprop`]) the forward pass keeps each intermediate value in the
//! cache and the backward pass runs the parts in reverse, each writing the gradient of
//! its input into the cache for the part before.

use nalgebra::SMatrix;

use super::module::{position, prefixed};
use super::{
    add_penalties, add_penalties_value, penalty_sum, Backprop, Layer, Mat, Module, ParamGrads,
    Shape, Visitor, Zeroed,
};
use crate::{Error, Graph, Real, Usage, Var};

macro_rules! tuple_module {
    ($($p:ident $i:tt),+) => {
        impl<T: Real, $($p: Module<T>),+> Module<T> for ($($p,)+) {
            const PARAMS: usize = 0 $(+ $p::PARAMS)+;
            const TENSORS: usize = 0 $(+ $p::TENSORS)+;
            const PENALTY: Usage = {
                let mut u = Usage::ZERO;
                $(u = penalty_sum(u, $p::PENALTY);)+
                u
            };
            type Vars<'g> = ($($p::Vars<'g>,)+);
            type Ids = ($($p::Ids,)+);
            fn bind<'g, 'a, const S: usize, const N: usize>(
                &'a self,
                g: &'g Graph<'a, T, S, N>,
            ) -> Self::Vars<'g> {
                ($(self.$i.bind(g),)+)
            }
            fn ids(vars: &Self::Vars<'_>) -> Self::Ids {
                ($($p::ids(&vars.$i),)+)
            }
            fn visit<V: Visitor<T>>(&mut self, ids: &Self::Ids, v: &mut V) -> Result<(), Error> {
                $(self.$i.visit(&ids.$i, v)?;)+
                Ok(())
            }
            fn penalty<'g>(vars: &Self::Vars<'g>, lambda: T) -> Option<Var<'g, T, 1, 1>> {
                let p = None;
                $(let p = add_penalties(p, $p::penalty(&vars.$i, lambda));)+
                p
            }
            fn names(f: &mut dyn FnMut(&[&str])) {
                $($p::names(&mut |path| prefixed(position($i), path, f));)+
            }
        }
    };
}
tuple_module!(A 0);
tuple_module!(A 0, B 1);
tuple_module!(A 0, B 1, C 2);
tuple_module!(A 0, B 1, C 2, D 3);
tuple_module!(A 0, B 1, C 2, D 3, E 4);
tuple_module!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_module!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_module!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Layers in sequence: `$first` takes the input, each next one the previous output.
macro_rules! tuple_layer {
    ($first:ident 0 $(, $p:ident $prev:ident $i:tt)*; $last:ident) => {
        impl<T: Real, X: Shape, $first: Layer<T, X> $(, $p: Layer<T, $prev::Output>)*>
            Layer<T, X> for ($first, $($p,)*)
        {
            type Output = $last::Output;
            const FORWARD: Usage = $first::FORWARD $(.plus($p::FORWARD))*;
            // A layer's output is tracked once any layer up to it has parameters.
            const FORWARD_CONSTANT: Usage = {
                let u = $first::FORWARD_CONSTANT;
                let tracked = $first::PARAMS > 0;
                $(
                    let u = u.plus(if tracked { $p::FORWARD } else { $p::FORWARD_CONSTANT });
                    let tracked = tracked || $p::PARAMS > 0;
                )*
                let _ = tracked;
                u
            };
            fn forward<'g>(
                vars: &Self::Vars<'g>,
                x: X::Var<'g, T>,
            ) -> <Self::Output as Shape>::Var<'g, T> {
                let y = $first::forward(&vars.0, x);
                $(let y = $p::forward(&vars.$i, y);)*
                y
            }
            fn eval(&self, x: &X::Matrix<T>) -> <Self::Output as Shape>::Matrix<T> {
                let y = self.0.eval(x);
                $(let y = self.$i.eval(&y);)*
                y
            }
        }
    };
}
tuple_layer!(A 0; A);
tuple_layer!(A 0, B A 1; B);
tuple_layer!(A 0, B A 1, C B 2; C);
tuple_layer!(A 0, B A 1, C B 2, D C 3; D);
tuple_layer!(A 0, B A 1, C B 2, D C 3, E D 4; E);
tuple_layer!(A 0, B A 1, C B 2, D C 3, E D 4, F E 5; F);
tuple_layer!(A 0, B A 1, C B 2, D C 3, E D 4, F E 5, G F 6; G);
tuple_layer!(A 0, B A 1, C B 2, D C 3, E D 4, F E 5, G F 6, H G 7; H);

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

            fn visit_grads<V: Visitor<T>>(
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
