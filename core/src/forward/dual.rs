//! The dual number [`Dual`]: a value and `N` tangents, and its arithmetic.
//!
//! Every elementary function takes its value and local derivative from
//! [`rules`] and applies them with one chain rule ([`Dual::chain`]); this
//! file holds the propagation, the table holds the calculus. The methods themselves, and
//! `Dual`'s `Real` impl, are generated from the table of elementary functions
//! (`core/src/real/table.rs`) by `dual_method!` and `forward_method!` below.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use nalgebra::SVector;
use num_traits::{One, Zero};

use super::rules;
use crate::real::table::elementary_functions;
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
    ///
    /// A direction in which `y` does not vary (a tangent component of exactly 0: a
    /// constant exponent of `powf`) takes nothing from `∂f/∂y`, even where that partial
    /// is NaN: `x^0.5` at `x = −1` has the tangent of `√x` there, not the NaN of `ln x`.
    #[inline]
    pub fn chain2(self, other: Self, (f, dx, dy): (T, T, T)) -> Self {
        let mut eps = self.eps;
        for (e, &o) in eps.as_mut_slice().iter_mut().zip(other.eps.as_slice()) {
            *e = if o == T::zero() {
                *e * dx
            } else {
                *e * dx + o * dy
            };
        }
        Self { re: f, eps }
    }

    /// `true` if the value and every tangent are finite.
    #[inline]
    pub fn is_finite(&self) -> bool {
        self.re.is_finite() && self.eps.iter().all(|e| e.is_finite())
    }
}

/// One row of the table (`real/table.rs`) as an inherent method of [`Dual`]: the rule of
/// the row's name from [`rules`], applied by [`Dual::chain`] (one argument) or
/// [`Dual::chain2`] (two).
macro_rules! dual_method {
    (() $(#[$r:meta])* fn $name:ident() $(= libm($f:ident, $g:ident))?; $(#[$d:meta])* dual; $($rest:tt)*) => {
        $(#[$d])*
        #[inline]
        pub fn $name(self) -> Self {
            self.chain(rules::$name(self.re))
        }
    };
    (() $(#[$r:meta])* fn $name:ident($a:ident: i32) $(= libm($f:ident, $g:ident))?; $(#[$d:meta])* dual; $($rest:tt)*) => {
        $(#[$d])*
        #[inline]
        pub fn $name(self, $a: i32) -> Self {
            self.chain(rules::$name(self.re, $a))
        }
    };
    (() $(#[$r:meta])* fn $name:ident($a:ident: Self) $(= libm($f:ident, $g:ident))?; $(#[$d:meta])* dual($b:ident); $($rest:tt)*) => {
        dual_method! { () fn $name($b: Self); $(#[$d])* dual; }
    };
    (() $(#[$r:meta])* fn $name:ident($a:ident: Self) $(= libm($f:ident, $g:ident))?; $(#[$d:meta])* dual; $($rest:tt)*) => {
        $(#[$d])*
        #[inline]
        pub fn $name(self, $a: Self) -> Self {
            self.chain2($a, rules::$name(self.re, $a.re))
        }
    };
}

/// One row of the table as a method of `Dual`'s impl of the trait in parentheses
/// (`Real`, `ComplexField` or `RealField`), if the row names that trait: it forwards to
/// the inherent method, with the docs the row gives it there.
macro_rules! forward_method {
    (($want:ident) $(#[$r:meta])* fn $name:ident $args:tt $(= libm($f:ident, $g:ident))?; $(#[$d:meta])* dual $(($b:ident))?; $($(#[$fd:meta])* $tr:ident;)*) => {
        $($crate::forward::dual::forward_method!(@if $want $tr [$(#[$fd])*] $name $args);)*
    };
    (@if Real Real $($x:tt)*) => { $crate::forward::dual::forward_method!(@emit $($x)*); };
    (@if ComplexField ComplexField $($x:tt)*) => { $crate::forward::dual::forward_method!(@emit $($x)*); };
    (@if RealField RealField $($x:tt)*) => { $crate::forward::dual::forward_method!(@emit $($x)*); };
    (@if $want:ident $other:ident $($x:tt)*) => {};
    (@emit [$(#[$fd:meta])*] $name:ident($($a:ident: $t:ty),*)) => {
        $(#[$fd])*
        #[inline]
        fn $name(self $(, $a: $t)*) -> Self {
            Dual::$name(self $(, $a)*)
        }
    };
}
pub(crate) use forward_method;

/// Elementary functions, each with its rule from [`rules`] (see there for
/// derivatives, domains and kink conventions). They are inherent methods so that
/// `x.sin()` on a concrete `Dual` is never ambiguous between [`Real`] and nalgebra's
/// `ComplexField`, which both offer it and both forward here. One a row of the table
/// (`real/table.rs`), except the few below that are not one rule.
impl<T: Real, const N: usize> Dual<T, N> {
    elementary_functions!(dual_method!(()));
    /// Logarithm in base `base` (`ln x / ln base`; both may carry tangents).
    #[inline]
    pub fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    /// `(sin x, cos x)`.
    #[inline]
    pub fn sin_cos(self) -> (Self, Self) {
        let (s, c) = (self.re.sin(), self.re.cos());
        (self.chain((s, c)), self.chain((c, -s)))
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
        // The value is the correctly rounded quotient, as in the underlying float type
        // (`x·(1/y)` can miss it by one ulp: `e^1.19·(1/e^1.19) − 1` is not 0).
        let q = self.re / rhs.re;
        let inv = T::one() / rhs.re;
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
    /// Componentwise, as `T`'s.
    const ZERO_ADD_EXACT: bool = T::ZERO_ADD_EXACT;

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
    /// `true` if the value is NaN. The tangents are not looked at: a function's branch on
    /// NaN (relu, clamp, max) follows the value, as in `f64`, and a NaN tangent stays in
    /// the tangent.
    #[inline]
    fn is_nan(self) -> bool {
        self.re.is_nan()
    }
    #[inline]
    fn is_finite(self) -> bool {
        Dual::is_finite(&self)
    }
    /// NaN if a component is not finite, else `+∞`: the tangents' size is not bounded,
    /// so an optimizer over dual numbers always takes its checked path.
    fn magnitude(xs: &[Self]) -> f64 {
        if xs.iter().all(Dual::is_finite) {
            f64::INFINITY
        } else {
            f64::NAN
        }
    }
    /// `true` if the value is subnormal (the tangents are not looked at).
    #[inline]
    fn is_subnormal(self) -> bool {
        self.re.is_subnormal()
    }
    #[inline]
    fn is_sign_negative(self) -> bool {
        self.re.is_sign_negative()
    }
    elementary_functions!(forward_method!((Real)));
}
