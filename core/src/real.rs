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

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use nalgebra::Scalar;
pub use num_traits::{One, Zero};

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
    /// `true` if the value (or, for a dual number, any component) is NaN.
    fn is_nan(self) -> bool;
    /// `true` if the value (and, for a dual number, every component) is finite.
    fn is_finite(self) -> bool;

    /// `eˣ`. Derivative `eˣ`. Overflows to +∞ above ≈ 88.7 (`f32`) / 709.8 (`f64`).
    fn exp(self) -> Self;
    /// Natural logarithm. Derivative `1/x`. `ln(0) = −∞`, negative input gives NaN.
    fn ln(self) -> Self;
    /// `eˣ − 1`, accurate near 0.
    fn exp_m1(self) -> Self;
    /// `ln(1 + x)`, accurate near 0; `x < −1` gives NaN.
    fn ln_1p(self) -> Self;
    /// Square root. Derivative `1/(2√x)` (+∞ at 0). Negative input gives NaN.
    fn sqrt(self) -> Self;
    /// Hyperbolic tangent. Derivative `1 − tanh²x`. Saturates to ±1.
    fn tanh(self) -> Self;
    /// Sine (radians).
    fn sin(self) -> Self;
    /// Cosine (radians).
    fn cos(self) -> Self;
    /// `selfⁿ` for a real exponent. Negative base with a non-integer exponent gives NaN.
    fn powf(self, n: Self) -> Self;
    /// `selfⁿ` for an integer exponent.
    fn powi(self, n: i32) -> Self;
    /// Four-quadrant arctangent of `self / x`.
    fn atan2(self, x: Self) -> Self;
    /// Absolute value. Derivative `sign(x)`, taken as 0 at 0.
    fn abs(self) -> Self;
    /// Largest integer not greater than `self`.
    fn floor(self) -> Self;
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

macro_rules! float_common {
    ($t:ty) => {
        #[inline]
        fn constant(x: f64) -> Self {
            x as $t
        }
        #[inline]
        fn to_f64(self) -> f64 {
            self as f64
        }
        #[inline]
        fn epsilon() -> Self {
            <$t>::EPSILON
        }
        #[inline]
        fn is_nan(self) -> bool {
            <$t>::is_nan(self)
        }
        #[inline]
        fn is_finite(self) -> bool {
            <$t>::is_finite(self)
        }
    };
}

impl Real for f64 {
    const BACKEND: &'static str = "libm";
    float_common!(f64);
    #[inline]
    fn exp(self) -> Self {
        libm::exp(self)
    }
    #[inline]
    fn ln(self) -> Self {
        libm::log(self)
    }
    #[inline]
    fn exp_m1(self) -> Self {
        libm::expm1(self)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        libm::log1p(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        libm::sqrt(self)
    }
    #[inline]
    fn tanh(self) -> Self {
        libm::tanh(self)
    }
    #[inline]
    fn sin(self) -> Self {
        libm::sin(self)
    }
    #[inline]
    fn cos(self) -> Self {
        libm::cos(self)
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        libm::pow(self, n)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        libm::pow(self, n as f64)
    }
    #[inline]
    fn atan2(self, x: Self) -> Self {
        libm::atan2(self, x)
    }
    #[inline]
    fn abs(self) -> Self {
        libm::fabs(self)
    }
    #[inline]
    fn floor(self) -> Self {
        libm::floor(self)
    }
}

#[cfg(not(feature = "micromath"))]
impl Real for f32 {
    const BACKEND: &'static str = "libm";
    float_common!(f32);
    #[inline]
    fn exp(self) -> Self {
        libm::expf(self)
    }
    #[inline]
    fn ln(self) -> Self {
        libm::logf(self)
    }
    #[inline]
    fn exp_m1(self) -> Self {
        libm::expm1f(self)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        libm::log1pf(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        libm::sqrtf(self)
    }
    #[inline]
    fn tanh(self) -> Self {
        libm::tanhf(self)
    }
    #[inline]
    fn sin(self) -> Self {
        libm::sinf(self)
    }
    #[inline]
    fn cos(self) -> Self {
        libm::cosf(self)
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        libm::powf(self, n)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        libm::powf(self, n as f32)
    }
    #[inline]
    fn atan2(self, x: Self) -> Self {
        libm::atan2f(self, x)
    }
    #[inline]
    fn abs(self) -> Self {
        libm::fabsf(self)
    }
    #[inline]
    fn floor(self) -> Self {
        libm::floorf(self)
    }
}

/// `f32` on micromath. Accuracy is micromath's (its docs state, for example, a maximum
/// error of about 0.002 for `exp`/`ln`-based functions); functions micromath lacks
/// (`tanh`, `exp_m1`, `ln_1p`) are built from its `exp`/`ln` here, and IEEE edge cases
/// (NaN, ±inf, 0) are handled before calling it so they stay exact.
#[cfg(feature = "micromath")]
impl Real for f32 {
    const BACKEND: &'static str = "micromath";
    float_common!(f32);
    #[inline]
    fn exp(self) -> Self {
        if self.is_nan() {
            self
        } else if self > 88.72 {
            f32::INFINITY
        } else if self < -103.0 {
            0.0
        } else {
            micromath::F32(self).exp().0
        }
    }
    #[inline]
    fn ln(self) -> Self {
        if self.is_nan() || self < 0.0 {
            f32::NAN
        } else if self == 0.0 {
            f32::NEG_INFINITY
        } else if self == f32::INFINITY {
            self
        } else {
            micromath::F32(self).ln().0
        }
    }
    #[inline]
    fn exp_m1(self) -> Self {
        if <f32 as Real>::abs(self) < 1e-3 {
            self + 0.5 * self * self
        } else {
            Real::exp(self) - 1.0
        }
    }
    #[inline]
    fn ln_1p(self) -> Self {
        if <f32 as Real>::abs(self) < 1e-3 {
            self - 0.5 * self * self
        } else {
            Real::ln(1.0 + self)
        }
    }
    #[inline]
    fn sqrt(self) -> Self {
        if self.is_nan() || self < 0.0 {
            f32::NAN
        } else if self == 0.0 || self == f32::INFINITY {
            self
        } else {
            micromath::F32(self).sqrt().0
        }
    }
    #[inline]
    fn tanh(self) -> Self {
        if self.is_nan() {
            self
        } else if self > 9.0 {
            1.0
        } else if self < -9.0 {
            -1.0
        } else {
            let e = Real::exp_m1(2.0 * self);
            e / (e + 2.0)
        }
    }
    #[inline]
    fn sin(self) -> Self {
        if !self.is_finite() {
            f32::NAN
        } else {
            micromath::F32(self).sin().0
        }
    }
    #[inline]
    fn cos(self) -> Self {
        if !self.is_finite() {
            f32::NAN
        } else {
            micromath::F32(self).cos().0
        }
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        if self.is_nan() || n.is_nan() {
            f32::NAN
        } else {
            micromath::F32(self).powf(micromath::F32(n)).0
        }
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        micromath::F32(self).powi(n).0
    }
    #[inline]
    fn atan2(self, x: Self) -> Self {
        if self.is_nan() || x.is_nan() {
            f32::NAN
        } else {
            micromath::F32(self).atan2(micromath::F32(x)).0
        }
    }
    #[inline]
    fn abs(self) -> Self {
        micromath::F32(self).abs().0
    }
    #[inline]
    fn floor(self) -> Self {
        micromath::F32(self).floor().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge<S: Real>() -> [S; 7] {
        [
            S::zero(),
            S::one(),
            -S::one(),
            S::constant(1e30),
            S::nan(),
            S::infinity(),
            -S::infinity(),
        ]
    }

    fn nan_propagates<S: Real>() {
        let n = S::nan();
        for y in [
            n.exp(),
            n.ln(),
            n.sqrt(),
            n.tanh(),
            n.sin(),
            n.cos(),
            n.abs(),
            n.exp_m1(),
            n.ln_1p(),
            n.powf(S::one()),
            Real::max(S::one(), n),
            Real::min(n, S::one()),
        ] {
            assert!(y.is_nan());
        }
    }

    #[test]
    fn nan_in_gives_nan_out() {
        nan_propagates::<f32>();
        nan_propagates::<f64>();
    }

    #[test]
    fn edge_values_follow_ieee() {
        let e = edge::<f64>();
        assert_eq!(Real::exp(e[5]), f64::INFINITY);
        assert_eq!(Real::exp(e[6]), 0.0);
        assert_eq!(Real::ln(e[0]), f64::NEG_INFINITY);
        assert!(Real::ln(e[2]).is_nan());
        assert!(Real::sqrt(e[2]).is_nan());
        assert_eq!(Real::tanh(e[5]), 1.0);
        assert_eq!(Real::tanh(e[3]), 1.0);
        let e = edge::<f32>();
        assert_eq!(Real::exp(e[5]), f32::INFINITY);
        assert_eq!(Real::ln(e[0]), f32::NEG_INFINITY);
        assert!(Real::sqrt(e[2]).is_nan());
        assert_eq!(Real::tanh(e[6]), -1.0);
        assert_eq!(Real::sqrt(e[0]), 0.0);
    }

    #[test]
    fn backend_is_the_selected_one() {
        assert_eq!(<f64 as Real>::BACKEND, "libm");
        let want = if cfg!(feature = "micromath") {
            "micromath"
        } else {
            "libm"
        };
        assert_eq!(<f32 as Real>::BACKEND, want);
    }
}
