//! Storage that starts at zero: the compiled path's caches and gradients.

use nalgebra::SMatrix;

use crate::Real;

/// A value all of whose scalars are zero, built without the heap: how the compiled
/// path's caches ([`Backprop::Cache`](super::Backprop::Cache)) and gradients
/// ([`ParamGrads::Grads`](super::ParamGrads::Grads)) are made.
///
/// The zero is a constant whose bytes are all zero, so a `static` of it (a firmware's
/// training buffers) lands in `.bss`.
pub trait Zeroed: Sized {
    /// The zero value, as a constant.
    const ZERO: Self;
    /// The zero value.
    fn zeroed() -> Self {
        Self::ZERO
    }
}

impl Zeroed for () {
    const ZERO: Self = ();
}

impl<T: Real, const R: usize, const C: usize> Zeroed for SMatrix<T, R, C> {
    const ZERO: Self = SMatrix::from_array_storage(nalgebra::ArrayStorage([[T::ZERO; R]; C]));
}

macro_rules! tuple_zeroed {
    ($($p:ident),+) => {
        impl<$($p: Zeroed),+> Zeroed for ($($p,)+) {
            const ZERO: Self = ($($p::ZERO,)+);
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
