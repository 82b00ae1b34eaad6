//! Storage that starts at zero: the compiled path's caches and gradients.

use nalgebra::SMatrix;

use crate::Real;

/// A value all of whose scalars are zero, built without the heap: how the compiled
/// path's caches ([`Backprop::Cache`](super::Backprop::Cache)) and gradients
/// ([`ParamGrads::Grads`](super::ParamGrads::Grads)) are made.
pub trait Zeroed {
    /// The zero value.
    fn zeroed() -> Self;
}

impl Zeroed for () {
    fn zeroed() -> Self {}
}

impl<T: Real, const R: usize, const C: usize> Zeroed for SMatrix<T, R, C> {
    fn zeroed() -> Self {
        SMatrix::zeros()
    }
}

macro_rules! tuple_zeroed {
    ($($p:ident),+) => {
        impl<$($p: Zeroed),+> Zeroed for ($($p,)+) {
            fn zeroed() -> Self {
                ($($p::zeroed(),)+)
            }
        }
    };
}
tuple_zeroed!(A);
tuple_zeroed!(A, B);
tuple_zeroed!(A, B, C);
tuple_zeroed!(A, B, C, D);
tuple_zeroed!(A, B, C, D, E);
tuple_zeroed!(A, B, C, D, E, F);
tuple_zeroed!(A, B, C, D, E, F, G);
tuple_zeroed!(A, B, C, D, E, F, G, H);
