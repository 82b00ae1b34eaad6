//! [`Dual`] as a nalgebra scalar: the num-traits, simba and approx traits that
//! `RealField` needs, so that `SMatrix<Dual<f64, N>, R, C>` runs nalgebra's own
//! algorithms (`determinant`, `try_inverse`, `lu`, `cholesky`, `qr`, `symmetric_eigen`,
//! ...) and they differentiate.
//!
//! Every function forwards to the inherent method of [`Dual`], so its derivative comes
//! from the one table in [`rules`](super::rules). The forwarding methods are generated
//! from the table of elementary functions (`core/src/real/table.rs`), whose rows name the
//! traits that forward them. Comparisons (`PartialOrd`, `max`,
//! `min`, `clamp`, `is_sign_*`, the approx traits) use the value `re` only.
//!
//! ```
//! use stackgrad::nalgebra::Matrix2;
//! use stackgrad::Dual;
//!
//! // d det(A)/dA₀₀ for A = [[2, 1], [1, 3]] is A₁₁ = 3.
//! let a = Matrix2::new(
//!     Dual::<f64, 1>::variable(2.0, 0), Dual::constant(1.0),
//!     Dual::constant(1.0), Dual::constant(3.0),
//! );
//! let det = a.determinant();
//! assert_eq!((det.re, det.eps[0]), (5.0, 3.0));
//! ```

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use num_traits::{FromPrimitive, Num, Signed, Zero};
use simba::scalar::{ComplexField, Field, RealField, SubsetOf};
use simba::simd::SimdValue;

use super::dual::forward_method;
use super::Dual;
use crate::real::table::elementary_functions;
use crate::Real;

impl<T: Real, const N: usize> Num for Dual<T, N> {
    type FromStrRadixErr = <f64 as Num>::FromStrRadixErr;

    /// Parses a constant (as `f64`, then converted to `T`).
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        <f64 as Num>::from_str_radix(s, radix).map(<Self as Real>::constant)
    }
}

/// Signs are those of the value; see [`rules::abs`](super::rules::abs) and
/// [`rules::signum`](super::rules::signum) for the derivatives.
impl<T: Real, const N: usize> Signed for Dual<T, N> {
    #[inline]
    fn abs(&self) -> Self {
        Dual::abs(*self)
    }
    /// `self − other` if the value is larger, else the constant 0.
    #[inline]
    fn abs_sub(&self, other: &Self) -> Self {
        if self.re <= other.re {
            Self::zero()
        } else {
            *self - *other
        }
    }
    #[inline]
    fn signum(&self) -> Self {
        Dual::signum(*self)
    }
    /// `true` if the value is greater than 0.
    #[inline]
    fn is_positive(&self) -> bool {
        self.re > T::zero()
    }
    /// `true` if the value is less than 0.
    #[inline]
    fn is_negative(&self) -> bool {
        self.re < T::zero()
    }
}

/// Conversions give constants (through `f64`, so integers beyond 2⁵³ round). Never `None`.
impl<T: Real, const N: usize> FromPrimitive for Dual<T, N> {
    #[inline]
    fn from_i64(n: i64) -> Option<Self> {
        Some(<Self as Real>::constant(n as f64))
    }
    #[inline]
    fn from_u64(n: u64) -> Option<Self> {
        Some(<Self as Real>::constant(n as f64))
    }
    #[inline]
    fn from_f32(n: f32) -> Option<Self> {
        Some(<Self as Real>::constant(f64::from(n)))
    }
    #[inline]
    fn from_f64(n: f64) -> Option<Self> {
        Some(<Self as Real>::constant(n))
    }
}

/// A dual number is a scalar to simba: one lane, its own element.
impl<T: Real, const N: usize> SimdValue for Dual<T, N> {
    const LANES: usize = 1;
    type Element = Self;
    type SimdBool = bool;

    #[inline]
    fn splat(val: Self) -> Self {
        val
    }
    /// The only lane, whatever `i` is.
    #[inline]
    fn extract(&self, _: usize) -> Self {
        *self
    }
    // simba declares these two `unsafe fn`. Their bodies here do nothing unsafe: there is
    // one lane, and every `i` reads or writes it. The crate denies `unsafe_code`; this is
    // the one allowed place, forced by the trait's signature.
    #[allow(unsafe_code)]
    #[inline]
    unsafe fn extract_unchecked(&self, _: usize) -> Self {
        *self
    }
    /// Replaces the only lane, whatever `i` is.
    #[inline]
    fn replace(&mut self, _: usize, val: Self) {
        *self = val;
    }
    #[allow(unsafe_code)]
    #[inline]
    unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
        *self = val;
    }
    #[inline]
    fn select(self, cond: bool, other: Self) -> Self {
        if cond {
            self
        } else {
            other
        }
    }
}

impl<T: Real, const N: usize> Field for Dual<T, N> {}

/// The inclusion of a dual number in itself.
impl<T: Real, const N: usize> SubsetOf<Dual<T, N>> for Dual<T, N> {
    #[inline]
    fn to_superset(&self) -> Self {
        *self
    }
    #[inline]
    fn from_superset_unchecked(element: &Self) -> Self {
        *element
    }
    #[inline]
    fn is_in_subset(_: &Self) -> bool {
        true
    }
}

macro_rules! float_subset {
    ($f:ty) => {
        /// A float is a constant dual number. Going back keeps the value and drops the
        /// tangents; `is_in_subset` holds when every tangent is 0 (for a nested dual, the
        /// tangents of the outer level) and the value fits the float.
        impl<T: Real, const N: usize> SubsetOf<Dual<T, N>> for $f {
            #[inline]
            fn to_superset(&self) -> Dual<T, N> {
                <Dual<T, N> as Real>::constant(f64::from(*self))
            }
            #[inline]
            fn from_superset_unchecked(element: &Dual<T, N>) -> Self {
                element.re.to_f64() as $f
            }
            #[inline]
            fn is_in_subset(element: &Dual<T, N>) -> bool {
                let v = element.re.to_f64();
                element.eps.iter().all(Zero::is_zero) && (v as $f) as f64 == v
            }
        }
    };
}
float_subset!(f64);
float_subset!(f32);

/// A real field: `RealField = Self`, the imaginary part is 0, `conjugate` is the identity,
/// `modulus` is `abs`, `argument` is the constant 0 or π.
impl<T: Real, const N: usize> ComplexField for Dual<T, N> {
    type RealField = Self;
    elementary_functions!(forward_method!((ComplexField)));

    #[inline]
    fn from_real(re: Self) -> Self {
        re
    }
    #[inline]
    fn real(self) -> Self {
        self
    }
    #[inline]
    fn imaginary(self) -> Self {
        Self::zero()
    }
    #[inline]
    fn modulus(self) -> Self {
        Dual::abs(self)
    }
    #[inline]
    fn modulus_squared(self) -> Self {
        self * self
    }
    /// 0 for a value `≥ 0`, π for a negative one (a constant); NaN for NaN.
    #[inline]
    fn argument(self) -> Self {
        if self.re >= T::zero() {
            Self::zero()
        } else if self.re < T::zero() {
            <Self as RealField>::pi()
        } else {
            <Self as Real>::nan()
        }
    }
    #[inline]
    fn norm1(self) -> Self {
        Dual::abs(self)
    }
    #[inline]
    fn scale(self, factor: Self) -> Self {
        self * factor
    }
    #[inline]
    fn unscale(self, factor: Self) -> Self {
        self / factor
    }
    /// `self·a + b` (not fused).
    #[inline]
    fn mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    #[inline]
    fn conjugate(self) -> Self {
        self
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        Dual::sin_cos(self)
    }
    #[inline]
    fn log(self, base: Self) -> Self {
        Dual::log(self, base)
    }
    /// Same as `powf`: the exponent is real.
    #[inline]
    fn powc(self, n: Self) -> Self {
        Dual::powf(self, n)
    }
    /// `true` if the value and every tangent are finite.
    #[inline]
    fn is_finite(&self) -> bool {
        Dual::is_finite(self)
    }
    /// `None` if the value is negative or NaN, else `Some(sqrt)`.
    #[inline]
    fn try_sqrt(self) -> Option<Self> {
        if self.re >= T::zero() {
            Some(Dual::sqrt(self))
        } else {
            None
        }
    }
}

macro_rules! constants {
    ($($name:ident = $value:expr;)*) => {$(
        #[inline]
        fn $name() -> Self {
            <Self as Real>::constant($value)
        }
    )*};
}

impl<T: Real, const N: usize> RealField for Dual<T, N> {
    /// By the sign bit of the value.
    #[inline]
    fn is_sign_positive(&self) -> bool {
        !self.re.is_sign_negative()
    }
    /// By the sign bit of the value.
    #[inline]
    fn is_sign_negative(&self) -> bool {
        self.re.is_sign_negative()
    }
    /// `|self|` with the sign of `sign`'s value (`sign` contributes no tangent).
    #[inline]
    fn copysign(self, sign: Self) -> Self {
        let a = Dual::abs(self);
        if sign.re.is_sign_negative() {
            -a
        } else {
            a
        }
    }
    #[inline]
    fn clamp(self, min: Self, max: Self) -> Self {
        Dual::clamp(self, min, max)
    }
    elementary_functions!(forward_method!((RealField)));
    /// `None`: [`Real`] does not expose the float type's limits.
    #[inline]
    fn min_value() -> Option<Self> {
        None
    }
    /// `None`: [`Real`] does not expose the float type's limits.
    #[inline]
    fn max_value() -> Option<Self> {
        None
    }
    constants! {
        pi = core::f64::consts::PI;
        two_pi = core::f64::consts::TAU;
        frac_pi_2 = core::f64::consts::FRAC_PI_2;
        frac_pi_3 = core::f64::consts::FRAC_PI_3;
        frac_pi_4 = core::f64::consts::FRAC_PI_4;
        frac_pi_6 = core::f64::consts::FRAC_PI_6;
        frac_pi_8 = core::f64::consts::FRAC_PI_8;
        frac_1_pi = core::f64::consts::FRAC_1_PI;
        frac_2_pi = core::f64::consts::FRAC_2_PI;
        frac_2_sqrt_pi = core::f64::consts::FRAC_2_SQRT_PI;
        e = core::f64::consts::E;
        log2_e = core::f64::consts::LOG2_E;
        log10_e = core::f64::consts::LOG10_E;
        ln_2 = core::f64::consts::LN_2;
        ln_10 = core::f64::consts::LN_10;
    }
}

/// Compares values only: `|a − b| ≤ ε`. The default `ε` is `T`'s machine epsilon.
impl<T: Real, const N: usize> AbsDiffEq for Dual<T, N> {
    type Epsilon = Self;
    #[inline]
    fn default_epsilon() -> Self {
        <Self as Real>::epsilon()
    }
    #[inline]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
        (self.re - other.re).abs() <= epsilon.re
    }
}

/// Compares values only, as approx does for floats: equal, or within `ε` absolutely, or
/// within `max_relative` of the larger magnitude. Infinite values are equal only to
/// themselves; NaN is never equal.
impl<T: Real, const N: usize> RelativeEq for Dual<T, N> {
    #[inline]
    fn default_max_relative() -> Self {
        <Self as Real>::epsilon()
    }
    #[inline]
    fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
        relative_eq(self.re, other.re, epsilon.re, max_relative.re)
    }
}

/// Compares values only. `T`'s bit pattern is not reachable through [`Real`], so the
/// distance in ULPs is bounded through its relative size: values within `max_ulps` ULPs
/// differ by at most `max_ulps·ε` of the larger magnitude, and that is what is tested
/// (it also accepts a few pairs just beyond `max_ulps` ULPs near powers of two). Values of
/// opposite signs are never equal, except within `ε` absolutely.
impl<T: Real, const N: usize> UlpsEq for Dual<T, N> {
    #[inline]
    fn default_max_ulps() -> u32 {
        4
    }
    #[inline]
    fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
        let (a, b) = (self.re, other.re);
        if (a - b).abs() <= epsilon.re {
            return true;
        }
        if a.is_sign_negative() != b.is_sign_negative() {
            return false;
        }
        let max_relative = T::constant(f64::from(max_ulps)) * T::epsilon();
        relative_eq(a, b, T::zero(), max_relative)
    }
}

fn relative_eq<T: Real>(a: T, b: T, epsilon: T, max_relative: T) -> bool {
    if a == b {
        return true;
    }
    if a.to_f64().is_infinite() || b.to_f64().is_infinite() {
        return false;
    }
    let diff = (a - b).abs();
    if diff <= epsilon {
        return true;
    }
    let largest = Real::max(a.abs(), b.abs());
    diff <= largest * max_relative
}
