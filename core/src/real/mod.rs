//! The scalar trait every differentiable computation is written against.
//!
//! [`Real`] is implemented for `f32` and `f64` (and, in [`crate::forward`], for dual numbers).
//! Generic code written once against `S: Real` runs in `f32` on a chip and in `f64` in a
//! gradient check.
//!
//! # Math backends
//!
//! Every elementary function is called explicitly on the selected backend, never on
//! `std`'s inherent float methods, so host tests exercise the code the firmware runs:
//!
//! | features              | `f32` functions | `f64` functions |
//! |-----------------------|-----------------|-----------------|
//! | `libm` (default)      | `libm`          | `libm`          |
//! | `micromath`           | `micromath`     | `libm`          |
//! | `libm` + `micromath`  | `micromath`     | `libm`          |
//! | neither               | `libm`          | `libm`          |
//!
//! `micromath` has no `f64` functions, so `f64` always goes to `libm`. Selecting
//! `micromath` is a deliberate opt-in to approximate `f32` math, so it wins when both
//! features are on (for example under `--all-features`). With neither feature, `libm`
//! (always linked) is used: there is no configuration without a backend.
//! [`Real::BACKEND`] names the backend actually selected for a type, and a test checks it.
//!
//! # Why `Real` does not extend nalgebra's `RealField`
//!
//! If it did, `x.sin()` and `S::from_f64(..)` would be ambiguous in generic code (both
//! traits offer them), and the elementary functions would come from simba rather than the
//! selected backend. `Real` is its own trait, so `x.sin()` on `S: Real` is unambiguous.
//! `zero()` and `one()` come from the `num_traits::Zero`/`One` supertraits that nalgebra
//! itself requires of a matrix element, so `S::zero()` is unambiguous too.

//!
//! # Layout
//!
//! - [`table`]: the one list of elementary functions, from which the declarations below,
//!   every backend's implementation and every layer of [`Dual`](crate::Dual) are
//!   generated; its docs say where a new function goes.
//! - `float.rs`: what `f32` and `f64` share (classification, conversion, the flush mask,
//!   the magnitude read) and the generator of their elementary functions.
//! - `libm.rs`: `f64`, and `f32` without `micromath`: each function is the one of the
//!   table's name in `libm_fns.rs`, which is libm's except the square roots on x86-64
//!   (SSE's through `core::arch`, the same bits, so that loops with them vectorise).
//! - `micromath.rs`: `f32` on micromath, with its domain fixes and measured accuracy.
//! - `fixed/`: [`Q16`], the Q16.16 fixed-point scalar (feature `fixed`), its integer
//!   elementary functions (`fixed/math.rs`) and their tests.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use nalgebra::Scalar;
pub use num_traits::{One, Zero};

use table::elementary_functions;

#[cfg(feature = "fixed")]
mod fixed;
mod float;
mod libm;
mod libm_fns;
#[cfg(feature = "micromath")]
mod micromath;
pub(crate) mod table;

#[cfg(feature = "fixed")]
pub use self::fixed::Q16;
#[cfg(test)]
mod tests;

/// Declares a row of the table in [`Real`], if the backends implement it (`= libm`).
macro_rules! declare {
    (() $(#[$doc:meta])* fn $name:ident($($a:ident: $t:ty),*) = libm($f64:ident, $f32:ident); $($rest:tt)*) => {
        $(#[$doc])*
        fn $name(self $(, $a: $t)*) -> Self;
    };
    (() $($rest:tt)*) => {};
}

/// A real scalar: `f32`, `f64`, or a dual number over them.
///
/// All functions follow IEEE semantics on bad input: a NaN argument gives NaN, and each
/// function documents what it returns outside its domain. No function panics.
pub trait Real:
    Scalar
    + Copy
    + Debug
    + Display
    + PartialOrd
    + Zero
    + One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
{
    /// The backend that computes this type's elementary functions: `"libm"` or `"micromath"`.
    const BACKEND: &'static str;
    /// Zero as a constant, for `const` contexts such as [`Tape::new`](crate::Tape::new).
    /// Its bytes are all zero (`+0.0`), so a zero-initialised `static` lands in `.bss`.
    const ZERO: Self;
    /// Whether `0 + x` is `x` bit for bit for every `x`: true in fixed point, false for
    /// floating point (where it turns −0 into +0). A hint for kernels, never needed for
    /// a correct result: where it is false, a sum starts from its first term instead of
    /// from zero, which saves an addition per sum (a software one on a chip without an
    /// FPU) at the price of a second copy of the first term's code.
    const ZERO_ADD_EXACT: bool = false;

    /// Converts an `f64` constant to `Self` (how generic code writes `100.0`).
    /// Rounds to nearest for `f32`; NaN and ±inf are preserved.
    fn constant(x: f64) -> Self;
    /// The real part as `f64` (exact for `f32` and `f64`).
    fn to_f64(self) -> f64;

    /// NaN.
    fn nan() -> Self {
        Self::constant(f64::NAN)
    }
    /// +∞.
    fn infinity() -> Self {
        Self::constant(f64::INFINITY)
    }
    /// Machine epsilon of the underlying float type.
    fn epsilon() -> Self;
    /// `true` if the value is NaN (for a dual number, its value alone: a branch on NaN
    /// follows the value, whatever the tangents hold).
    fn is_nan(self) -> bool;
    /// `true` if the value (and, for a dual number, every component) is finite.
    fn is_finite(self) -> bool;
    /// `true` if the value is subnormal: non-zero and smaller in magnitude than the
    /// smallest normal number of the float type (`f32`: about 1.2e-38, `f64`: 2.2e-308).
    /// For a dual number, decided by its value alone. See
    /// [`flush_subnormals`](crate::flush::flush_subnormals).
    fn is_subnormal(self) -> bool;
    /// `self`, or a zero of its sign if it is subnormal: what
    /// [`flush`](crate::flush::flush) computes. For `f32` and `f64` a branch-free mask
    /// of the bit pattern (a zero exponent keeps only the sign), which vectorises.
    #[inline]
    fn flushed(self) -> Self {
        if self.is_subnormal() {
            if self.is_sign_negative() {
                -Self::zero()
            } else {
                Self::zero()
            }
        } else {
            self
        }
    }
    /// A value that is never negative in exact arithmetic (a running sum or mean of
    /// squares), flushed: `+0` if it is below the smallest normal number (a subnormal, a
    /// zero, or a negative left by rounding or by a restored state), else `self` (NaN and
    /// `+∞` included). What an optimizer's engine writes to such a state buffer: for
    /// `f32` and `f64` one comparison and one mask, against [`Real::flushed`]'s four
    /// operations and the clamp at zero a square root needs after it.
    #[inline]
    fn flushed_non_negative(self) -> Self {
        let x = self.flushed();
        if x < Self::zero() || x == Self::zero() {
            Self::zero()
        } else {
            x
        }
    }
    /// An upper bound on the largest magnitude in `xs`, as an `f64` (0 for no values),
    /// or NaN if a value is not finite ([`Real::is_finite`]). What an optimizer reads
    /// once per step to prove that its update cannot overflow: for `f32` the largest
    /// `f32` that shares the top 16 bits of the largest magnitude's pattern (within 2⁻⁷
    /// of it; sixteen-bit keys let the maximum run eight values per instruction), for
    /// `f64` the exact maximum, both branch-free over the bit patterns; for a dual number
    /// `+∞` (its tangents are not bounded), which sends the step to its checked path.
    fn magnitude(xs: &[Self]) -> f64 {
        let mut m = 0.0f64;
        for &x in xs {
            if !x.is_finite() {
                return f64::NAN;
            }
            let a = ::libm::fabs(x.to_f64());
            if a > m {
                m = a;
            }
        }
        m
    }

    // The elementary functions, from the table (`real/table.rs`), in its order.
    elementary_functions!(declare!(()));
    /// `true` if the sign bit is set (so `-0.0` is negative; a NaN may be either).
    /// For a dual number, the sign of its value.
    fn is_sign_negative(self) -> bool;
    /// The larger of two values; if one is NaN, NaN (NaN is never masked).
    fn max(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::nan()
        } else if other > self {
            other
        } else {
            self
        }
    }
    /// The smaller of two values; if one is NaN, NaN (NaN is never masked).
    fn min(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::nan()
        } else if other < self {
            other
        } else {
            self
        }
    }
}
