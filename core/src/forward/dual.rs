//! The dual number [`Dual`]: a value and `N` tangents, and its arithmetic.
//!
//! Every elementary function takes its value and local derivative from
//! [`rules`] and applies them with one chain rule ([`Dual::chain`]); this
//! file holds the propagation, the table holds the calculus.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use nalgebra::SVector;
use num_traits::{One, Zero};

use super::rules;
use crate::Real;

/// A dual number: a value `re` and `N` tangents `eps`, the directional derivatives of the
/// value along `N` seed directions. `Copy`, `N + 1` scalars on the stack, no heap.
///
/// Arithmetic carries the tangents by the chain rule, so evaluating a function on
/// `Dual::variable(x, i)` gives `f(x)` in `re` and `∂f/∂xᵢ` in `eps[i]`. `Dual<T, N>` is a
/// [`Real`] (so generic stackgrad code, the tape included, runs on it), nests as
/// `Dual<Dual<T, N>, N>` for second derivatives, and is a nalgebra `RealField`, so
/// nalgebra's decompositions differentiate.
///
/// ```
/// use stackgrad::{Dual, Real};
///
/// // d/dx (x sin x) at x = 2 is sin 2 + 2 cos 2.
/// let x = Dual::<f64, 1>::variable(2.0, 0);
/// let y = x * Real::sin(x);
/// assert!((y.eps[0] - (2f64.sin() + 2.0 * 2f64.cos())).abs() < 1e-15);
/// ```
///
/// # Comparisons use the value only
///
/// `==`, `<`, `partial_cmp`, [`Zero::is_zero`], `max`/`min` and the approx comparisons look
/// at `re` alone and ignore the tangents: a branch in differentiated code takes the path the
/// plain value would take, and the derivative is that of the branch taken. To compare the
/// tangents too, compare `eps` explicitly.
///
/// # Bad input
///
/// NaN and ±∞ follow IEEE arithmetic in every component and are never masked; a derivative
/// of `±∞` times a tangent component of 0 gives NaN. [`Real::is_nan`] is `true` if any
/// component is NaN; [`Dual::is_finite`] only if every component is finite. Each function's
/// derivative, domain and conventions at kinks are listed in [`rules`].
#[derive(Clone, Copy, Debug)]
pub struct Dual<T, const N: usize> {
    /// The value.
    pub re: T,
    /// The tangents: `eps[i]` is the derivative of the value along seed direction `i`.
    pub eps: SVector<T, N>,
}

impl<T: Real, const N: usize> Dual<T, N> {
    /// A dual number with value `re` and tangents `eps`.
    #[inline]
    pub fn new(re: T, eps: SVector<T, N>) -> Self {
        Self { re, eps }
    }

    /// A constant: value `re`, all tangents 0.
    #[inline]
    pub fn constant(re: T) -> Self {
        Self {
            re,
            eps: SVector::from_element(T::zero()),
        }
    }

    /// The `i`-th independent variable: value `re`, tangent the `i`-th unit vector, so
    /// that `eps[i]` of a result is the partial derivative with respect to it.
    ///
    /// If `i ≥ N` there is no such direction: the result is a constant (all tangents 0).
    /// Nothing panics.
    #[inline]
    pub fn variable(re: T, i: usize) -> Self {
        let mut d = Self::constant(re);
        if let Some(e) = d.eps.as_mut_slice().get_mut(i) {
            *e = T::one();
        }
        d
    }

    /// Applies a rule `(f(x), f'(x))` from [`rules`] to `self = x`:
    /// value `f(x)`, tangents `f'(x)·eps`. The one chain rule of every unary function.
    #[inline]
    pub fn chain(self, (f, df): (T, T)) -> Self {
        let mut eps = self.eps;
        for e in eps.as_mut_slice() {
            *e *= df;
        }
        Self { re: f, eps }
    }

    /// Applies a rule `(f(x, y), ∂f/∂x, ∂f/∂y)` to `self = x` and `other = y`:
    /// tangents `∂f/∂x·x.eps + ∂f/∂y·y.eps`.
    #[inline]
    pub fn chain2(self, other: Self, (f, dx, dy): (T, T, T)) -> Self {
        let mut eps = self.eps;
        for (e, o) in eps.as_mut_slice().iter_mut().zip(other.eps.as_slice()) {
            *e = *e * dx + *o * dy;
        }
        Self { re: f, eps }
    }

    /// `true` if the value and every tangent are finite.
    #[inline]
    pub fn is_finite(&self) -> bool {
        self.re.is_finite() && self.eps.iter().all(|e| e.is_finite())
    }
}

/// Elementary functions, each with its rule from [`rules`] (see there for
/// derivatives, domains and kink conventions). They are inherent methods so that
/// `x.sin()` on a concrete `Dual` is never ambiguous between [`Real`] and nalgebra's
/// `ComplexField`, which both offer it and both forward here.
impl<T: Real, const N: usize> Dual<T, N> {
    /// `eˣ`.
    #[inline]
    pub fn exp(self) -> Self {
        self.chain(rules::exp(self.re))
    }
    /// `2ˣ`.
    #[inline]
    pub fn exp2(self) -> Self {
        self.chain(rules::exp2(self.re))
    }
    /// `eˣ − 1`.
    #[inline]
    pub fn exp_m1(self) -> Self {
        self.chain(rules::exp_m1(self.re))
    }
    /// Natural logarithm; negative values give NaN.
    #[inline]
    pub fn ln(self) -> Self {
        self.chain(rules::ln(self.re))
    }
    /// `ln(1 + x)`.
    #[inline]
    pub fn ln_1p(self) -> Self {
        self.chain(rules::ln_1p(self.re))
    }
    /// Base-2 logarithm.
    #[inline]
    pub fn log2(self) -> Self {
        self.chain(rules::log2(self.re))
    }
    /// Base-10 logarithm.
    #[inline]
    pub fn log10(self) -> Self {
        self.chain(rules::log10(self.re))
    }
    /// Logarithm in base `base` (`ln x / ln base`; both may carry tangents).
    #[inline]
    pub fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    /// Square root; derivative `+∞` at 0.
    #[inline]
    pub fn sqrt(self) -> Self {
        self.chain(rules::sqrt(self.re))
    }
    /// Real cube root.
    #[inline]
    pub fn cbrt(self) -> Self {
        self.chain(rules::cbrt(self.re))
    }
    /// `1/x`.
    #[inline]
    pub fn recip(self) -> Self {
        self.chain(rules::recip(self.re))
    }
    /// `xⁿ`, integer `n`.
    #[inline]
    pub fn powi(self, n: i32) -> Self {
        self.chain(rules::powi(self.re, n))
    }
    /// `xʸ`; both may carry tangents.
    #[inline]
    pub fn powf(self, y: Self) -> Self {
        self.chain2(y, rules::powf(self.re, y.re))
    }
    /// Sine.
    #[inline]
    pub fn sin(self) -> Self {
        self.chain(rules::sin(self.re))
    }
    /// Cosine.
    #[inline]
    pub fn cos(self) -> Self {
        self.chain(rules::cos(self.re))
    }
    /// `(sin x, cos x)`.
    #[inline]
    pub fn sin_cos(self) -> (Self, Self) {
        let (s, c) = (self.re.sin(), self.re.cos());
        (self.chain((s, c)), self.chain((c, -s)))
    }
    /// Tangent.
    #[inline]
    pub fn tan(self) -> Self {
        self.chain(rules::tan(self.re))
    }
    /// Arcsine.
    #[inline]
    pub fn asin(self) -> Self {
        self.chain(rules::asin(self.re))
    }
    /// Arccosine.
    #[inline]
    pub fn acos(self) -> Self {
        self.chain(rules::acos(self.re))
    }
    /// Arctangent.
    #[inline]
    pub fn atan(self) -> Self {
        self.chain(rules::atan(self.re))
    }
    /// Four-quadrant arctangent of `self / x` (`self` is `y`).
    #[inline]
    pub fn atan2(self, x: Self) -> Self {
        self.chain2(x, rules::atan2(self.re, x.re))
    }
    /// Hyperbolic sine.
    #[inline]
    pub fn sinh(self) -> Self {
        self.chain(rules::sinh(self.re))
    }
    /// Hyperbolic cosine.
    #[inline]
    pub fn cosh(self) -> Self {
        self.chain(rules::cosh(self.re))
    }
    /// Hyperbolic tangent.
    #[inline]
    pub fn tanh(self) -> Self {
        self.chain(rules::tanh(self.re))
    }
    /// Inverse hyperbolic sine.
    #[inline]
    pub fn asinh(self) -> Self {
        self.chain(rules::asinh(self.re))
    }
    /// Inverse hyperbolic cosine.
    #[inline]
    pub fn acosh(self) -> Self {
        self.chain(rules::acosh(self.re))
    }
    /// Inverse hyperbolic tangent.
    #[inline]
    pub fn atanh(self) -> Self {
        self.chain(rules::atanh(self.re))
    }
    /// `√(x² + y²)`.
    #[inline]
    pub fn hypot(self, other: Self) -> Self {
        self.chain2(other, rules::hypot(self.re, other.re))
    }
    /// Absolute value; derivative 0 at 0.
    #[inline]
    pub fn abs(self) -> Self {
        self.chain(rules::abs(self.re))
    }
    /// `±1` by the sign bit of the value (NaN for NaN); derivative 0.
    #[inline]
    pub fn signum(self) -> Self {
        self.chain(rules::signum(self.re))
    }
    /// `⌊x⌋`; derivative 0.
    #[inline]
    pub fn floor(self) -> Self {
        self.chain(rules::floor(self.re))
    }
    /// `⌈x⌉`; derivative 0.
    #[inline]
    pub fn ceil(self) -> Self {
        self.chain(rules::ceil(self.re))
    }
    /// Nearest integer, halfway away from zero; derivative 0.
    #[inline]
    pub fn round(self) -> Self {
        self.chain(rules::round(self.re))
    }
    /// Integer part; derivative 0.
    #[inline]
    pub fn trunc(self) -> Self {
        self.chain(rules::trunc(self.re))
    }
    /// `x − trunc(x)`; derivative 1.
    #[inline]
    pub fn fract(self) -> Self {
        self.chain(rules::fract(self.re))
    }
    /// The larger value; on a tie the tangents are averaged. NaN if either value is NaN.
    #[inline]
    pub fn max(self, other: Self) -> Self {
        self.chain2(other, rules::max(self.re, other.re))
    }
    /// The smaller value; on a tie the tangents are averaged. NaN if either value is NaN.
    #[inline]
    pub fn min(self, other: Self) -> Self {
        self.chain2(other, rules::min(self.re, other.re))
    }
    /// `clamp(x, −1, 1)` with derivative 0 at the kinks ±1 (PyTorch's `hardtanh`, and the
    /// tape's [`HardTanh`](crate::ops::unary::HardTanh)): see [`rules::hardtanh`].
    #[inline]
    pub fn hardtanh(self) -> Self {
        self.chain(rules::hardtanh(self.re))
    }
    /// `self` limited to `[lo, hi]` (by value): `lo` below it, `hi` above it, else `self`
    /// with its own tangents (also on the bounds, as PyTorch's `clamp` does). For
    /// `hardtanh`'s convention, tangent 0 on the bounds, use [`Dual::hardtanh`].
    #[inline]
    pub fn clamp(self, lo: Self, hi: Self) -> Self {
        if self.re < lo.re {
            lo
        } else if self.re > hi.re {
            hi
        } else {
            self
        }
    }
}

// ---- Arithmetic --------------------------------------------------------------------

impl<T: Real, const N: usize> Add for Dual<T, N> {
    type Output = Self;
    #[inline]
    fn add(mut self, rhs: Self) -> Self {
        self.re += rhs.re;
        for (a, b) in self.eps.as_mut_slice().iter_mut().zip(rhs.eps.as_slice()) {
            *a += *b;
        }
        self
    }
}

impl<T: Real, const N: usize> Sub for Dual<T, N> {
    type Output = Self;
    #[inline]
    fn sub(mut self, rhs: Self) -> Self {
        self.re -= rhs.re;
        for (a, b) in self.eps.as_mut_slice().iter_mut().zip(rhs.eps.as_slice()) {
            *a -= *b;
        }
        self
    }
}

/// `(a b)' = a' b + a b'`.
impl<T: Real, const N: usize> Mul for Dual<T, N> {
    type Output = Self;
    #[inline]
    fn mul(mut self, rhs: Self) -> Self {
        for (a, b) in self.eps.as_mut_slice().iter_mut().zip(rhs.eps.as_slice()) {
            *a = *a * rhs.re + *b * self.re;
        }
        self.re *= rhs.re;
        self
    }
}

/// `(a / b)' = (a' − (a/b) b') / b`. Division by a value of 0 gives ±∞ or NaN, as for
/// floats.
impl<T: Real, const N: usize> Div for Dual<T, N> {
    type Output = Self;
    #[inline]
    fn div(mut self, rhs: Self) -> Self {
        let inv = T::one() / rhs.re;
        let q = self.re * inv;
        for (a, b) in self.eps.as_mut_slice().iter_mut().zip(rhs.eps.as_slice()) {
            *a = (*a - q * *b) * inv;
        }
        self.re = q;
        self
    }
}

/// Remainder with the sign of `self`, like Rust's `%` on floats; see [`rules::rem`].
impl<T: Real, const N: usize> Rem for Dual<T, N> {
    type Output = Self;
    #[inline]
    fn rem(self, rhs: Self) -> Self {
        self.chain2(rhs, rules::rem(self.re, rhs.re))
    }
}

impl<T: Real, const N: usize> Neg for Dual<T, N> {
    type Output = Self;
    #[inline]
    fn neg(mut self) -> Self {
        self.re = -self.re;
        for a in self.eps.as_mut_slice() {
            *a = -*a;
        }
        self
    }
}

macro_rules! assign_op {
    ($Trait:ident, $method:ident, $op:tt) => {
        impl<T: Real, const N: usize> $Trait for Dual<T, N> {
            #[inline]
            fn $method(&mut self, rhs: Self) {
                *self = *self $op rhs;
            }
        }
    };
}
assign_op!(AddAssign, add_assign, +);
assign_op!(SubAssign, sub_assign, -);
assign_op!(MulAssign, mul_assign, *);
assign_op!(DivAssign, div_assign, /);
assign_op!(RemAssign, rem_assign, %);

impl<T: Real, const N: usize> core::iter::Sum for Dual<T, N> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::zero(), |a, b| a + b)
    }
}

impl<T: Real, const N: usize> core::iter::Product for Dual<T, N> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::one(), |a, b| a * b)
    }
}

// ---- Identities and comparisons ----------------------------------------------------

/// Zero is the constant 0. `is_zero` looks at the value only.
impl<T: Real, const N: usize> Zero for Dual<T, N> {
    #[inline]
    fn zero() -> Self {
        Self::constant(T::zero())
    }
    #[inline]
    fn is_zero(&self) -> bool {
        self.re.is_zero()
    }
}

/// One is the constant 1.
impl<T: Real, const N: usize> One for Dual<T, N> {
    #[inline]
    fn one() -> Self {
        Self::constant(T::one())
    }
}

impl<T: Real, const N: usize> Default for Dual<T, N> {
    /// The constant 0.
    #[inline]
    fn default() -> Self {
        Self::zero()
    }
}

impl<T: Real, const N: usize> From<T> for Dual<T, N> {
    /// The constant `re`.
    #[inline]
    fn from(re: T) -> Self {
        Self::constant(re)
    }
}

/// Compares values only; the tangents are ignored (see the type's docs).
impl<T: Real, const N: usize> PartialEq for Dual<T, N> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

/// Orders by value only; the tangents are ignored (see the type's docs).
impl<T: Real, const N: usize> PartialOrd for Dual<T, N> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

/// Writes `re + [e₀, e₁, …]ε`, for example `2 + [1, 0]ε`.
impl<T: Real, const N: usize> fmt::Display for Dual<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.re, f)?;
        f.write_str(" + [")?;
        for (i, e) in self.eps.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(e, f)?;
        }
        f.write_str("]ε")
    }
}

// ---- Real --------------------------------------------------------------------------

/// A dual number is a [`Real`]: every function forwards to the inherent method of the same
/// name, and so to [`rules`]; the underlying values are computed by `T`'s
/// backend.
impl<T: Real, const N: usize> Real for Dual<T, N> {
    const BACKEND: &'static str = T::BACKEND;
    const ZERO: Self = Dual {
        re: T::ZERO,
        eps: SVector::from_array_storage(nalgebra::ArrayStorage([[T::ZERO; N]; 1])),
    };

    /// The constant `x` (tangents 0).
    #[inline]
    fn constant(x: f64) -> Self {
        Dual::constant(T::constant(x))
    }
    /// The value, as `f64` (for a nested dual, the innermost value).
    #[inline]
    fn to_f64(self) -> f64 {
        self.re.to_f64()
    }
    #[inline]
    fn epsilon() -> Self {
        Dual::constant(T::epsilon())
    }
    /// `true` if the value or any tangent is NaN.
    #[inline]
    fn is_nan(self) -> bool {
        self.re.is_nan() || self.eps.iter().any(|e| e.is_nan())
    }
    #[inline]
    fn is_finite(self) -> bool {
        Dual::is_finite(&self)
    }
    /// `true` if the value is subnormal (the tangents are not looked at).
    #[inline]
    fn is_subnormal(self) -> bool {
        self.re.is_subnormal()
    }
    #[inline]
    fn exp(self) -> Self {
        Dual::exp(self)
    }
    #[inline]
    fn ln(self) -> Self {
        Dual::ln(self)
    }
    #[inline]
    fn exp_m1(self) -> Self {
        Dual::exp_m1(self)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        Dual::ln_1p(self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        Dual::sqrt(self)
    }
    #[inline]
    fn tanh(self) -> Self {
        Dual::tanh(self)
    }
    #[inline]
    fn sin(self) -> Self {
        Dual::sin(self)
    }
    #[inline]
    fn cos(self) -> Self {
        Dual::cos(self)
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        Dual::powf(self, n)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        Dual::powi(self, n)
    }
    #[inline]
    fn atan2(self, x: Self) -> Self {
        Dual::atan2(self, x)
    }
    #[inline]
    fn abs(self) -> Self {
        Dual::abs(self)
    }
    #[inline]
    fn floor(self) -> Self {
        Dual::floor(self)
    }
    #[inline]
    fn ceil(self) -> Self {
        Dual::ceil(self)
    }
    #[inline]
    fn round(self) -> Self {
        Dual::round(self)
    }
    #[inline]
    fn trunc(self) -> Self {
        Dual::trunc(self)
    }
    #[inline]
    fn is_sign_negative(self) -> bool {
        self.re.is_sign_negative()
    }
    #[inline]
    fn tan(self) -> Self {
        Dual::tan(self)
    }
    #[inline]
    fn asin(self) -> Self {
        Dual::asin(self)
    }
    #[inline]
    fn acos(self) -> Self {
        Dual::acos(self)
    }
    #[inline]
    fn atan(self) -> Self {
        Dual::atan(self)
    }
    #[inline]
    fn sinh(self) -> Self {
        Dual::sinh(self)
    }
    #[inline]
    fn cosh(self) -> Self {
        Dual::cosh(self)
    }
    #[inline]
    fn asinh(self) -> Self {
        Dual::asinh(self)
    }
    #[inline]
    fn acosh(self) -> Self {
        Dual::acosh(self)
    }
    #[inline]
    fn atanh(self) -> Self {
        Dual::atanh(self)
    }
    #[inline]
    fn cbrt(self) -> Self {
        Dual::cbrt(self)
    }
    #[inline]
    fn exp2(self) -> Self {
        Dual::exp2(self)
    }
    #[inline]
    fn log2(self) -> Self {
        Dual::log2(self)
    }
    #[inline]
    fn log10(self) -> Self {
        Dual::log10(self)
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        Dual::hypot(self, other)
    }
    /// The larger value, tangents averaged on a tie; NaN if either value is NaN.
    #[inline]
    fn max(self, other: Self) -> Self {
        Dual::max(self, other)
    }
    /// The smaller value, tangents averaged on a tie; NaN if either value is NaN.
    #[inline]
    fn min(self, other: Self) -> Self {
        Dual::min(self, other)
    }
}
