//! The table of derivative rules: for each elementary function, its value and its local
//! derivative(s) at a point.
//!
//! This file knows nothing about dual numbers. Each rule is a plain function over any
//! [`Real`] returning `(f(x), f'(x))` (or, for a function of two arguments,
//! `(f(x, y), ∂f/∂x, ∂f/∂y)`); [`Dual`](super::Dual) applies it with one chain rule.
//! Because the derivative is itself written with [`Real`] operations, a rule evaluated on
//! a dual number differentiates its own derivative, so nesting `Dual<Dual<T, N>, N>`
//! gives exact second derivatives from this one first-order table. (That is why there is
//! no `f''` column: nesting computes it.)
//!
//! A rule here is named after its row in the table of elementary functions
//! (`core/src/real/table.rs`): the `Dual` method the row generates calls `rules::name`.
//! `rem` (Rust's `%`) is applied by hand in [`dual`](super::dual), and the tape's
//! operations call some rules directly.
//!
//! # Conventions at kinks and singular points
//!
//! | function | convention |
//! |---|---|
//! | [`abs`] | `abs'(0) = 0` (PyTorch's choice; the subgradient closest to 0) |
//! | [`signum`] | value `+1` for `+0`, `−1` for `−0` (as for floats, and as nalgebra's Householder reflections expect); derivative 0 everywhere |
//! | [`floor`], [`ceil`], [`round`], [`trunc`] | derivative 0 everywhere, including at the jumps |
//! | [`fract`] | derivative 1 everywhere, including at the jumps |
//! | [`rem`] | `∂/∂x = 1`, `∂/∂y = −trunc(x/y)`, including at the jumps |
//! | [`max`], [`min`] | on a tie the derivative is split evenly, `½` to each side (PyTorch and JAX agree) |
//! | [`hardtanh`] | derivative 0 at the kinks ±1 (PyTorch's `hardtanh`), the same as the tape's [`HardTanh`](crate::ops::unary::HardTanh), which uses this rule |
//! | [`sqrt`], [`cbrt`] | derivative `+∞` at 0 |
//! | [`asin`], [`acos`], [`acosh`], [`atanh`] | derivative `±∞` at the ends of the domain |
//! | [`powf`] | `∂/∂x = 0` at `x = y = 0` (as `x⁰ = 1`); `∂/∂y = 0` at `x = 0` (the limit of `xʸ ln x` for `y > 0`) |
//! | [`powi`] | `x⁰ = 1` with derivative 0, also at `x = 0` |
//! | [`atan2`], [`hypot`] | derivative NaN at the origin (`0/0`) |
//!
//! A derivative of `±∞` times a tangent component of 0 gives NaN (IEEE `∞ · 0`): NaN is
//! never masked. NaN input gives NaN value and derivative, except for the piecewise
//! constant functions, whose derivative is 0 (their value is already NaN).

use crate::Real;

#[inline]
fn two<T: Real>() -> T {
    T::one() + T::one()
}

/// `eˣ`; derivative `eˣ`.
#[inline]
pub fn exp<T: Real>(x: T) -> (T, T) {
    let e = x.exp();
    (e, e)
}

/// `2ˣ`; derivative `ln 2 · 2ˣ`.
#[inline]
pub fn exp2<T: Real>(x: T) -> (T, T) {
    let e = x.exp2();
    (e, e * T::constant(core::f64::consts::LN_2))
}

/// `eˣ − 1`; derivative `eˣ`.
#[inline]
pub fn exp_m1<T: Real>(x: T) -> (T, T) {
    let e = x.exp_m1();
    (e, e + T::one())
}

/// `ln x`; derivative `1/x` (`+∞` at `+0`). Negative `x` gives NaN.
#[inline]
pub fn ln<T: Real>(x: T) -> (T, T) {
    (x.ln(), T::one() / x)
}

/// `ln(1 + x)`; derivative `1/(1 + x)`. `x < −1` gives NaN.
#[inline]
pub fn ln_1p<T: Real>(x: T) -> (T, T) {
    (x.ln_1p(), T::one() / (T::one() + x))
}

/// `log₂ x`; derivative `1/(x ln 2)`.
#[inline]
pub fn log2<T: Real>(x: T) -> (T, T) {
    (
        x.log2(),
        T::one() / (x * T::constant(core::f64::consts::LN_2)),
    )
}

/// `log₁₀ x`; derivative `1/(x ln 10)`.
#[inline]
pub fn log10<T: Real>(x: T) -> (T, T) {
    (
        x.log10(),
        T::one() / (x * T::constant(core::f64::consts::LN_10)),
    )
}

/// `√x`; derivative `1/(2√x)`, `+∞` at 0. Negative `x` gives NaN.
#[inline]
pub fn sqrt<T: Real>(x: T) -> (T, T) {
    let s = x.sqrt();
    (s, T::one() / (s + s))
}

/// `∛x` (real); derivative `1/(3∛x²)`, `+∞` at 0.
#[inline]
pub fn cbrt<T: Real>(x: T) -> (T, T) {
    let c = x.cbrt();
    (c, T::one() / (T::constant(3.0) * c * c))
}

/// `1/x`; derivative `−1/x²`. `recip(±0) = ±∞`.
#[inline]
pub fn recip<T: Real>(x: T) -> (T, T) {
    let r = T::one() / x;
    (r, -(r * r))
}

/// `xⁿ` for an integer `n`; derivative `n xⁿ⁻¹`. `x⁰ = 1` with derivative 0 everywhere.
#[inline]
pub fn powi<T: Real>(x: T, n: i32) -> (T, T) {
    if n == 0 {
        (T::one(), T::zero())
    } else {
        let d = match n.checked_sub(1) {
            Some(m) => x.powi(m),
            // n = i32::MIN: the exponent n − 1 does not fit an i32.
            None => x.powf(T::constant(f64::from(n) - 1.0)),
        };
        (x.powi(n), T::constant(f64::from(n)) * d)
    }
}

/// `xʸ`; partial derivatives `∂/∂x = y xʸ⁻¹` and `∂/∂y = xʸ ln x`.
///
/// `∂/∂x = 0` at `x = y = 0` (as `x⁰ = 1`); `∂/∂y = 0` at `x = 0` (the limit of
/// `xʸ ln x` for `y > 0`, and a convention otherwise, so that a constant exponent never
/// meets `0 · ∞`). A negative `x` gives NaN for `∂/∂y` (and for the value unless `y` is
/// an integer). As IEEE `pow` does, `1ʸ = 1` and `x⁰ = 1` even for a NaN `y` or `x`.
#[inline]
pub fn powf<T: Real>(x: T, y: T) -> (T, T, T) {
    let f = x.powf(y);
    let dx = if x == T::zero() && y == T::zero() {
        T::zero()
    } else {
        y * x.powf(y - T::one())
    };
    let dy = if x == T::zero() {
        T::zero()
    } else {
        f * x.ln()
    };
    (f, dx, dy)
}

/// `sin x`; derivative `cos x`. ±∞ gives NaN.
#[inline]
pub fn sin<T: Real>(x: T) -> (T, T) {
    (x.sin(), x.cos())
}

/// `cos x`; derivative `−sin x`. ±∞ gives NaN.
#[inline]
pub fn cos<T: Real>(x: T) -> (T, T) {
    (x.cos(), -x.sin())
}

/// `tan x`; derivative `1 + tan²x`.
#[inline]
pub fn tan<T: Real>(x: T) -> (T, T) {
    let t = x.tan();
    (t, T::one() + t * t)
}

/// `asin x`; derivative `1/√(1 − x²)`, `+∞` at ±1. `|x| > 1` gives NaN.
#[inline]
pub fn asin<T: Real>(x: T) -> (T, T) {
    (
        x.asin(),
        T::one() / ((T::one() - x) * (T::one() + x)).sqrt(),
    )
}

/// `acos x`; derivative `−1/√(1 − x²)`, `−∞` at ±1. `|x| > 1` gives NaN.
#[inline]
pub fn acos<T: Real>(x: T) -> (T, T) {
    (
        x.acos(),
        -(T::one() / ((T::one() - x) * (T::one() + x)).sqrt()),
    )
}

/// `atan x`; derivative `1/(1 + x²)` (0 at ±∞).
#[inline]
pub fn atan<T: Real>(x: T) -> (T, T) {
    (x.atan(), T::one() / (T::one() + x * x))
}

/// `atan2(y, x)`, the angle of the point `(x, y)`; partial derivatives
/// `∂/∂y = x/(x² + y²)` and `∂/∂x = −y/(x² + y²)`, returned as `(f, ∂/∂y, ∂/∂x)` in the
/// order of the arguments. NaN at the origin.
#[inline]
pub fn atan2<T: Real>(y: T, x: T) -> (T, T, T) {
    // Divide by the radius twice rather than by its square, which can overflow.
    let r = y.hypot(x);
    (y.atan2(x), x / r / r, -(y / r / r))
}

/// `sinh x`; derivative `cosh x`.
#[inline]
pub fn sinh<T: Real>(x: T) -> (T, T) {
    (x.sinh(), x.cosh())
}

/// `cosh x`; derivative `sinh x`.
#[inline]
pub fn cosh<T: Real>(x: T) -> (T, T) {
    (x.cosh(), x.sinh())
}

/// `tanh x`; derivative `1 − tanh²x` (0 at ±∞).
#[inline]
pub fn tanh<T: Real>(x: T) -> (T, T) {
    let t = x.tanh();
    (t, T::one() - t * t)
}

/// `asinh x`; derivative `1/√(x² + 1)`.
#[inline]
pub fn asinh<T: Real>(x: T) -> (T, T) {
    (x.asinh(), T::one() / x.hypot(T::one()))
}

/// `acosh x`; derivative `1/√(x² − 1)`, `+∞` at 1. `x < 1` gives NaN.
#[inline]
pub fn acosh<T: Real>(x: T) -> (T, T) {
    (
        x.acosh(),
        T::one() / ((x - T::one()) * (x + T::one())).sqrt(),
    )
}

/// `atanh x`; derivative `1/(1 − x²)`, `+∞` at ±1. `|x| > 1` gives NaN.
#[inline]
pub fn atanh<T: Real>(x: T) -> (T, T) {
    (x.atanh(), T::one() / ((T::one() - x) * (T::one() + x)))
}

/// `√(x² + y²)`; partial derivatives `x/h` and `y/h`. NaN at the origin (`0/0`).
#[inline]
pub fn hypot<T: Real>(x: T, y: T) -> (T, T, T) {
    let h = x.hypot(y);
    (h, x / h, y / h)
}

/// `|x|`; derivative `sign x`, with `abs'(0) = 0`.
#[inline]
pub fn abs<T: Real>(x: T) -> (T, T) {
    let d = if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else if x == T::zero() {
        T::zero()
    } else {
        T::nan()
    };
    (x.abs(), d)
}

/// The sign of `x` as floats define it: `+1` for `x ≥ +0`, `−1` for `x ≤ −0`, NaN for
/// NaN. Derivative 0.
#[inline]
pub fn signum<T: Real>(x: T) -> (T, T) {
    let s = if x.is_nan() {
        T::nan()
    } else if x.is_sign_negative() {
        -T::one()
    } else {
        T::one()
    };
    (s, T::zero())
}

/// `⌊x⌋`; derivative 0 everywhere (also at the integers, where it jumps).
#[inline]
pub fn floor<T: Real>(x: T) -> (T, T) {
    (x.floor(), T::zero())
}

/// `⌈x⌉`; derivative 0 everywhere (also at the integers, where it jumps).
#[inline]
pub fn ceil<T: Real>(x: T) -> (T, T) {
    (x.ceil(), T::zero())
}

/// Nearest integer, halfway cases away from zero; derivative 0 everywhere.
#[inline]
pub fn round<T: Real>(x: T) -> (T, T) {
    (x.round(), T::zero())
}

/// Integer part (toward zero); derivative 0 everywhere.
#[inline]
pub fn trunc<T: Real>(x: T) -> (T, T) {
    (x.trunc(), T::zero())
}

/// Fractional part `x − trunc(x)`; derivative 1 everywhere.
#[inline]
pub fn fract<T: Real>(x: T) -> (T, T) {
    (x - x.trunc(), T::one())
}

/// Remainder `x − trunc(x/y)·y` (the sign of `x`, like Rust's `%`); partial derivatives
/// `1` and `−trunc(x/y)`. `y = 0` gives NaN.
#[inline]
pub fn rem<T: Real>(x: T, y: T) -> (T, T, T) {
    let q = (x / y).trunc();
    (x - q * y, T::one(), -q)
}

/// `clamp(x, −1, 1)`; derivative 1 on `(−1, 1)` and 0 elsewhere, including at the kinks
/// ±1 (PyTorch's convention for `hardtanh`). NaN gives NaN value and derivative.
///
/// At ±1 the value is the constant bound, not `x`, so that a dual number evaluated
/// through this rule (or through the tape's forward pass) carries the same slope, 0, as
/// the derivative.
#[inline]
pub fn hardtanh<T: Real>(x: T) -> (T, T) {
    if x >= T::one() {
        (T::one(), T::zero())
    } else if x <= -T::one() {
        (-T::one(), T::zero())
    } else if x > -T::one() {
        (x, T::one())
    } else {
        (x, T::nan()) // NaN
    }
}

/// The larger of `x` and `y`, with weights `(∂/∂x, ∂/∂y)`: `(1, 0)` or `(0, 1)`, and
/// `(½, ½)` on a tie. NaN if either is NaN.
#[inline]
pub fn max<T: Real>(x: T, y: T) -> (T, T, T) {
    if x.is_nan() || y.is_nan() {
        (T::nan(), T::nan(), T::nan())
    } else if x > y {
        (x, T::one(), T::zero())
    } else if x < y {
        (y, T::zero(), T::one())
    } else {
        let h = T::one() / two::<T>();
        (x, h, h)
    }
}

/// The smaller of `x` and `y`, with weights `(∂/∂x, ∂/∂y)`: `(1, 0)` or `(0, 1)`, and
/// `(½, ½)` on a tie. NaN if either is NaN.
#[inline]
pub fn min<T: Real>(x: T, y: T) -> (T, T, T) {
    if x.is_nan() || y.is_nan() {
        (T::nan(), T::nan(), T::nan())
    } else if x < y {
        (x, T::one(), T::zero())
    } else if x > y {
        (y, T::zero(), T::one())
    } else {
        let h = T::one() / two::<T>();
        (x, h, h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::{central, close};

    type Unary = fn(f64) -> (f64, f64);

    /// Every unary rule, with points inside its domain and away from its kinks.
    fn table() -> [(&'static str, Unary, &'static [f64]); 25] {
        const ANY: &[f64] = &[-2.3, -0.7, 0.0, 0.4, 1.9];
        const POS: &[f64] = &[0.05, 0.3, 1.0, 2.5, 40.0];
        const UNIT: &[f64] = &[-0.9, -0.3, 0.0, 0.5, 0.95];
        const OFFINT: &[f64] = &[-2.3, -0.7, 0.4, 1.6, 7.2];
        [
            ("exp", exp, ANY),
            ("exp2", exp2, ANY),
            ("exp_m1", exp_m1, ANY),
            ("ln", ln, POS),
            ("ln_1p", ln_1p, &[-0.9, -0.2, 0.0, 0.7, 30.0]),
            ("log2", log2, POS),
            ("log10", log10, POS),
            ("sqrt", sqrt, POS),
            ("cbrt", cbrt, &[-8.0, -0.3, 0.2, 1.0, 27.0]),
            ("recip", recip, &[-3.0, -0.4, 0.25, 1.0, 9.0]),
            ("sin", sin, ANY),
            ("cos", cos, ANY),
            ("tan", tan, &[-1.2, -0.4, 0.0, 0.7, 1.3]),
            ("asin", asin, UNIT),
            ("acos", acos, UNIT),
            ("atan", atan, ANY),
            ("sinh", sinh, ANY),
            ("cosh", cosh, ANY),
            ("tanh", tanh, ANY),
            ("asinh", asinh, ANY),
            ("acosh", acosh, &[1.05, 1.5, 3.0, 10.0, 1e3]),
            ("atanh", atanh, UNIT),
            ("abs", abs, &[-2.0, -0.3, 0.3, 5.0, 1e10]),
            ("fract", fract, OFFINT),
            ("floor", floor, OFFINT),
        ]
    }

    #[test]
    fn every_unary_rule_matches_central_differences() {
        for (name, rule, points) in table() {
            for &x in points {
                let (f, d) = rule(x);
                let fd = central(|t| rule(t).0, x);
                assert!(close(d, fd, 1e-6), "{name}'({x}) = {d}, central {fd}");
                assert!(close(f, rule(x).0, 0.0), "{name}({x}) is not deterministic");
            }
        }
        for f in [ceil::<f64>, round, trunc, signum] {
            for x in [-2.3, -0.7, 0.4, 1.6] {
                let d = f(x).1;
                assert!(close(d, central(|t| f(t).0, x), 1e-9));
            }
        }
        for n in [-3, -1, 1, 2, 5] {
            for x in [-1.7, -0.4, 0.3, 2.2] {
                let d = powi(x, n).1;
                assert!(
                    close(d, central(|t| powi(t, n).0, x), 1e-6),
                    "powi {n} at {x}"
                );
            }
        }
    }

    #[test]
    fn binary_rules_match_central_differences() {
        type Binary = fn(f64, f64) -> (f64, f64, f64);
        type Case = (&'static str, Binary, [(f64, f64); 3]);
        let rules: [Case; 5] = [
            ("powf", powf, [(0.5, 2.5), (3.0, -1.3), (1.7, 0.0)]),
            ("atan2", atan2, [(1.0, 2.0), (-0.5, -3.0), (2.0, -0.1)]),
            ("hypot", hypot, [(3.0, 4.0), (-1.0, 0.5), (1e-3, 2.0)]),
            ("rem", rem, [(7.3, 2.0), (-7.3, 2.5), (1.2, -0.5)]),
            ("max", max, [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.6)]),
        ];
        for (name, rule, points) in rules {
            for (x, y) in points {
                let (_, dx, dy) = rule(x, y);
                let fx = central(|t| rule(t, y).0, x);
                let fy = central(|t| rule(x, t).0, y);
                assert!(
                    close(dx, fx, 1e-6),
                    "∂{name}/∂x at ({x}, {y}): {dx} vs {fx}"
                );
                assert!(
                    close(dy, fy, 1e-6),
                    "∂{name}/∂y at ({x}, {y}): {dy} vs {fy}"
                );
            }
        }
        for (x, y) in [(1.0, 2.0), (3.0, -1.0)] {
            let (_, dx, dy) = min(x, y);
            assert!(close(dx, central(|t| min(t, y).0, x), 1e-9));
            assert!(close(dy, central(|t| min(x, t).0, y), 1e-9));
        }
    }

    #[test]
    fn kinks_follow_the_documented_conventions() {
        assert_eq!(abs(0.0_f64), (0.0, 0.0));
        assert_eq!(abs(-0.0_f64).1, 0.0);
        assert_eq!(signum(0.0_f64), (1.0, 0.0));
        assert_eq!(signum(-0.0_f64), (-1.0, 0.0));
        assert_eq!(max(2.0_f64, 2.0), (2.0, 0.5, 0.5));
        assert_eq!(hardtanh(1.0_f64), (1.0, 0.0));
        assert_eq!(hardtanh(-1.0_f64), (-1.0, 0.0));
        assert_eq!(hardtanh(0.25_f64), (0.25, 1.0));
        assert!(hardtanh(f64::NAN).0.is_nan() && hardtanh(f64::NAN).1.is_nan());
        assert_eq!(min(-1.0_f64, -1.0), (-1.0, 0.5, 0.5));
        assert_eq!(floor(3.0_f64), (3.0, 0.0));
        assert_eq!(round(2.5_f64), (3.0, 0.0));
        assert_eq!(round(-2.5_f64), (-3.0, 0.0));
        assert_eq!(fract(-2.25_f64), (-0.25, 1.0));
        assert_eq!(sqrt(0.0_f64), (0.0, f64::INFINITY));
        assert_eq!(cbrt(0.0_f64), (0.0, f64::INFINITY));
        assert_eq!(asin(1.0_f64).1, f64::INFINITY);
        assert_eq!(acos(-1.0_f64).1, f64::NEG_INFINITY);
        assert_eq!(atanh(1.0_f64), (f64::INFINITY, f64::INFINITY));
        assert_eq!(powi(0.0_f64, 0), (1.0, 0.0));
        assert_eq!(powf(0.0_f64, 0.0), (1.0, 0.0, 0.0));
        assert_eq!(powf(0.0_f64, 2.0), (0.0, 0.0, 0.0));
        assert_eq!(powf(0.0_f64, 0.5).1, f64::INFINITY);
        assert_eq!(powi(2.0_f64, i32::MIN).1, -0.0);
        assert!(atan2(0.0_f64, 0.0).1.is_nan());
        assert!(hypot(0.0_f64, 0.0).1.is_nan());
        assert!(rem(1.0_f64, 0.0).0.is_nan());
        assert_eq!(atan(f64::INFINITY), (core::f64::consts::FRAC_PI_2, 0.0));
        assert_eq!(tanh(f64::NEG_INFINITY), (-1.0, 0.0));
        assert_eq!(exp(f64::NEG_INFINITY), (0.0, 0.0));
        assert_eq!(recip(0.0_f64).0, f64::INFINITY);
    }

    #[test]
    fn nan_in_gives_nan_value_and_derivative() {
        let n = f64::NAN;
        for (name, rule, _) in table() {
            let (f, d) = rule(n);
            assert!(f.is_nan(), "{name}(NaN) = {f}");
            if !matches!(name, "floor" | "fract") {
                assert!(d.is_nan(), "{name}'(NaN) = {d}");
            }
        }
        for rule in [powf::<f64>, atan2, hypot, rem, max, min] {
            assert!(rule(n, 2.0).0.is_nan());
            assert!(rule(2.0, n).0.is_nan());
        }
        // IEEE pow: 1ʸ = 1 and x⁰ = 1 even for NaN; the derivatives still show the NaN.
        assert_eq!(powf(1.0, n).0, 1.0);
        assert!(powf(1.0, n).1.is_nan());
        assert!(powf(n, 0.0).2.is_nan());
        assert!(signum(n).0.is_nan());
    }

    #[test]
    fn domain_edges_give_nan_or_infinity() {
        assert!(ln(-1.0_f64).0.is_nan());
        assert_eq!(ln(0.0_f64), (f64::NEG_INFINITY, f64::INFINITY));
        assert!(sqrt(-1.0_f64).0.is_nan());
        assert!(asin(1.5_f64).0.is_nan());
        assert!(acosh(0.5_f64).0.is_nan());
        assert!(atanh(-2.0_f64).0.is_nan());
        assert!(sin(f64::INFINITY).0.is_nan());
        assert!(tan(f64::INFINITY).0.is_nan());
        assert_eq!(exp(1000.0_f64).0, f64::INFINITY);
        assert_eq!(hypot(f64::INFINITY, 1.0).0, f64::INFINITY);
        assert_eq!(cbrt(-8.0_f64).0, -2.0);
    }
}
