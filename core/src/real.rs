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
    /// Zero as a constant, for `const` contexts such as [`Tape::new`](crate::Tape::new).
    /// Its bytes are all zero (`+0.0`), so a zero-initialised `static` lands in `.bss`.
    const ZERO: Self;

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
    /// `true` if the value is subnormal: non-zero and smaller in magnitude than the
    /// smallest normal number of the float type (`f32`: about 1.2e-38, `f64`: 2.2e-308).
    /// For a dual number, decided by its value alone. See
    /// [`flush_subnormals`](crate::flush::flush_subnormals).
    fn is_subnormal(self) -> bool;

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
    /// Smallest integer not less than `self`. ±0, ±∞ and NaN are returned unchanged.
    fn ceil(self) -> Self;
    /// Nearest integer, halfway cases away from zero. ±0, ±∞ and NaN are returned unchanged.
    fn round(self) -> Self;
    /// Integer part (rounds toward zero). ±0, ±∞ and NaN are returned unchanged.
    fn trunc(self) -> Self;
    /// `true` if the sign bit is set (so `-0.0` is negative; a NaN may be either).
    /// For a dual number, the sign of its value.
    fn is_sign_negative(self) -> bool;
    /// Tangent (radians). Derivative `1 + tan²x`. ±∞ gives NaN.
    fn tan(self) -> Self;
    /// Arcsine in `[−π/2, π/2]`. Derivative `1/√(1 − x²)` (+∞ at ±1). `|x| > 1` gives NaN.
    fn asin(self) -> Self;
    /// Arccosine in `[0, π]`. Derivative `−1/√(1 − x²)` (−∞ at ±1). `|x| > 1` gives NaN.
    fn acos(self) -> Self;
    /// Arctangent in `(−π/2, π/2)`. Derivative `1/(1 + x²)`. `atan(±∞) = ±π/2`.
    fn atan(self) -> Self;
    /// Hyperbolic sine. Derivative `cosh x`. Overflows to ±∞ for large `|x|`.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine. Derivative `sinh x`. Overflows to +∞ for large `|x|`.
    fn cosh(self) -> Self;
    /// Inverse hyperbolic sine. Derivative `1/√(x² + 1)`.
    fn asinh(self) -> Self;
    /// Inverse hyperbolic cosine. Derivative `1/√(x² − 1)` (+∞ at 1). `x < 1` gives NaN.
    fn acosh(self) -> Self;
    /// Inverse hyperbolic tangent. Derivative `1/(1 − x²)`. `atanh(±1) = ±∞`; `|x| > 1` gives NaN.
    fn atanh(self) -> Self;
    /// Cube root (real, so `cbrt(−8) = −2`). Derivative `1/(3·∛x²)` (+∞ at 0).
    fn cbrt(self) -> Self;
    /// `2ˣ`. Derivative `ln 2 · 2ˣ`.
    fn exp2(self) -> Self;
    /// Base-2 logarithm. Derivative `1/(x ln 2)`. `log2(0) = −∞`; negative input gives NaN.
    fn log2(self) -> Self;
    /// Base-10 logarithm. Derivative `1/(x ln 10)`. `log10(0) = −∞`; negative input gives NaN.
    fn log10(self) -> Self;
    /// `√(self² + other²)` without undue overflow. Partial derivatives `x/h`, `y/h`
    /// (NaN at the origin, where `h = 0`). Either argument ±∞ gives +∞.
    fn hypot(self, other: Self) -> Self;
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
        const ZERO: Self = 0.0;
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
        #[inline]
        fn is_subnormal(self) -> bool {
            <$t>::is_subnormal(self)
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
    #[inline]
    fn ceil(self) -> Self {
        libm::ceil(self)
    }
    #[inline]
    fn round(self) -> Self {
        libm::round(self)
    }
    #[inline]
    fn trunc(self) -> Self {
        libm::trunc(self)
    }
    #[inline]
    fn tan(self) -> Self {
        libm::tan(self)
    }
    #[inline]
    fn asin(self) -> Self {
        libm::asin(self)
    }
    #[inline]
    fn acos(self) -> Self {
        libm::acos(self)
    }
    #[inline]
    fn atan(self) -> Self {
        libm::atan(self)
    }
    #[inline]
    fn sinh(self) -> Self {
        libm::sinh(self)
    }
    #[inline]
    fn cosh(self) -> Self {
        libm::cosh(self)
    }
    #[inline]
    fn asinh(self) -> Self {
        libm::asinh(self)
    }
    #[inline]
    fn acosh(self) -> Self {
        libm::acosh(self)
    }
    #[inline]
    fn atanh(self) -> Self {
        libm::atanh(self)
    }
    #[inline]
    fn cbrt(self) -> Self {
        libm::cbrt(self)
    }
    #[inline]
    fn exp2(self) -> Self {
        libm::exp2(self)
    }
    #[inline]
    fn log2(self) -> Self {
        libm::log2(self)
    }
    #[inline]
    fn log10(self) -> Self {
        libm::log10(self)
    }
    #[inline]
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        libm::hypot(self, other)
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
    #[inline]
    fn ceil(self) -> Self {
        libm::ceilf(self)
    }
    #[inline]
    fn round(self) -> Self {
        libm::roundf(self)
    }
    #[inline]
    fn trunc(self) -> Self {
        libm::truncf(self)
    }
    #[inline]
    fn tan(self) -> Self {
        libm::tanf(self)
    }
    #[inline]
    fn asin(self) -> Self {
        libm::asinf(self)
    }
    #[inline]
    fn acos(self) -> Self {
        libm::acosf(self)
    }
    #[inline]
    fn atan(self) -> Self {
        libm::atanf(self)
    }
    #[inline]
    fn sinh(self) -> Self {
        libm::sinhf(self)
    }
    #[inline]
    fn cosh(self) -> Self {
        libm::coshf(self)
    }
    #[inline]
    fn asinh(self) -> Self {
        libm::asinhf(self)
    }
    #[inline]
    fn acosh(self) -> Self {
        libm::acoshf(self)
    }
    #[inline]
    fn atanh(self) -> Self {
        libm::atanhf(self)
    }
    #[inline]
    fn cbrt(self) -> Self {
        libm::cbrtf(self)
    }
    #[inline]
    fn exp2(self) -> Self {
        libm::exp2f(self)
    }
    #[inline]
    fn log2(self) -> Self {
        libm::log2f(self)
    }
    #[inline]
    fn log10(self) -> Self {
        libm::log10f(self)
    }
    #[inline]
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        libm::hypotf(self, other)
    }
}

/// `true` if rounding `x` to an integer cannot change it: NaN, ±∞, or `|x| ≥ 2²³`
/// (every such `f32` is already an integer). micromath's rounding goes through `i32`,
/// which would saturate there.
#[cfg(feature = "micromath")]
#[inline]
fn mm_integral(x: f32) -> bool {
    x.is_nan() || <f32 as Real>::abs(x) >= 8_388_608.0
}

/// `f32` on micromath: fast and approximate. Measured worst error
/// `|got − exact| / max(1, |exact|)` against `f64` libm (by
/// `tests/tests/backend_accuracy.rs`; libm's `f32` functions stay below 2e-7):
///
/// | `exp` | `ln` | `sqrt` | `tanh` | `sin` | `cos` | `exp_m1` | `ln_1p` |
/// |---|---|---|---|---|---|---|---|
/// | 1.2e-3 | 6.1e-5 | 1.7e-3 | 1.1e-3 | 1.1e-3 | 1.1e-3 | 1.5e-3 | 6.1e-5 |
///
/// micromath's own `ln` is off by up to 0.12 below 1 and its `sqrt` by up to 6 %, so `ln`
/// goes through `−ln(1/x)` there, `sqrt` takes one Newton step, and `powf` of a positive
/// base goes through these. A gradient check of `f32` code on this backend needs a
/// tolerance of about 1e-2 (relative), against about 1e-3 on libm. Functions micromath lacks
/// (`tanh`, `exp_m1`, `ln_1p`, `sinh`, `cosh`, `asinh`, `acosh`, `atanh`,
/// `cbrt`, `exp2`) are built from its `exp`/`ln`/`powf`/`sqrt` here, and IEEE edge cases
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
        } else if self >= 1.0 {
            micromath::F32(self).ln().0
        } else if self >= f32::MIN_POSITIVE {
            // micromath's `ln` is accurate only from 1 up (below, it is off by up to 0.12,
            // measured): ln x = −ln(1/x).
            -micromath::F32(1.0 / self).ln().0
        } else {
            // Subnormal: scale by 2²⁴ first, so that 1/x stays finite.
            -micromath::F32::ln(micromath::F32(1.0 / (self * 16_777_216.0))).0
                - 24.0 * core::f32::consts::LN_2
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
            // micromath's estimate is within about 6 %; one Newton step squares that.
            let y = micromath::F32(self).sqrt().0;
            0.5 * (y + self / y)
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
        } else if self > 0.0 {
            // Through this backend's `ln`, which is accurate below 1 too.
            Real::exp(n * Real::ln(self))
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
    #[inline]
    fn ceil(self) -> Self {
        if mm_integral(self) {
            self
        } else {
            micromath::F32(self).ceil().0
        }
    }
    #[inline]
    fn round(self) -> Self {
        if mm_integral(self) {
            self
        } else {
            micromath::F32(self).round().0
        }
    }
    #[inline]
    fn trunc(self) -> Self {
        if mm_integral(self) {
            self
        } else {
            micromath::F32(self).trunc().0
        }
    }
    #[inline]
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    #[inline]
    fn tan(self) -> Self {
        if !self.is_finite() {
            f32::NAN
        } else {
            micromath::F32(self).tan().0
        }
    }
    #[inline]
    fn asin(self) -> Self {
        if self.is_nan() || Real::abs(self) > 1.0 {
            f32::NAN
        } else {
            micromath::F32(self).asin().0
        }
    }
    #[inline]
    fn acos(self) -> Self {
        if self.is_nan() || Real::abs(self) > 1.0 {
            f32::NAN
        } else {
            // micromath keeps its `acos` private: π/2 − asin x.
            core::f32::consts::FRAC_PI_2 - micromath::F32(self).asin().0
        }
    }
    #[inline]
    fn atan(self) -> Self {
        if self.is_nan() {
            self
        } else if self == f32::INFINITY {
            core::f32::consts::FRAC_PI_2
        } else if self == f32::NEG_INFINITY {
            -core::f32::consts::FRAC_PI_2
        } else {
            micromath::F32(self).atan().0
        }
    }
    #[inline]
    fn sinh(self) -> Self {
        // (eˣ − e⁻ˣ)/2 written through exp_m1 so that it stays accurate near 0.
        let m = Real::exp_m1(Real::abs(self));
        let r = 0.5 * (m + m / (m + 1.0));
        if self.is_sign_negative() {
            -r
        } else {
            r
        }
    }
    #[inline]
    fn cosh(self) -> Self {
        let e = Real::exp(Real::abs(self));
        0.5 * (e + 1.0 / e)
    }
    #[inline]
    fn asinh(self) -> Self {
        if !self.is_finite() {
            return self;
        }
        let a = Real::abs(self);
        let r = Real::ln_1p(a + a * a / (1.0 + Real::sqrt(1.0 + a * a)));
        if self.is_sign_negative() {
            -r
        } else {
            r
        }
    }
    #[inline]
    fn acosh(self) -> Self {
        if self.is_nan() || self < 1.0 {
            f32::NAN
        } else {
            Real::ln(self + Real::sqrt(self * self - 1.0))
        }
    }
    #[inline]
    fn atanh(self) -> Self {
        if self.is_nan() || Real::abs(self) > 1.0 {
            f32::NAN
        } else {
            0.5 * Real::ln_1p(2.0 * self / (1.0 - self))
        }
    }
    #[inline]
    fn cbrt(self) -> Self {
        if self == 0.0 || !self.is_finite() {
            self
        } else {
            // micromath's powf is only a first guess (a few % off); two Newton steps on
            // r³ = a bring it to f32 precision.
            let a = Real::abs(self);
            let mut r = Real::powf(a, 1.0 / 3.0);
            for _ in 0..2 {
                r -= (r * r * r - a) / (3.0 * r * r);
            }
            if self < 0.0 {
                -r
            } else {
                r
            }
        }
    }
    #[inline]
    fn exp2(self) -> Self {
        Real::exp(self * core::f32::consts::LN_2)
    }
    #[inline]
    fn log2(self) -> Self {
        Real::ln(self) * core::f32::consts::LOG2_E
    }
    #[inline]
    fn log10(self) -> Self {
        Real::ln(self) * core::f32::consts::LOG10_E
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        if self.is_infinite() || other.is_infinite() {
            f32::INFINITY
        } else if self.is_nan() || other.is_nan() {
            f32::NAN
        } else {
            // Scale by the larger magnitude so the squares neither overflow nor underflow.
            let (a, b) = (Real::abs(self), Real::abs(other));
            let (big, small) = if a >= b { (a, b) } else { (b, a) };
            if big == 0.0 {
                0.0
            } else {
                let r = small / big;
                big * Real::sqrt(1.0 + r * r)
            }
        }
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
