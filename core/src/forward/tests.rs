//! Forward mode against central differences, through every path a dual number is used:
//! as a [`Real`], as a nalgebra `RealField`, nested, and inside nalgebra's algorithms.

use nalgebra::{matrix, vector, Matrix2, Matrix3, SMatrix, SVector, Vector3};
use simba::scalar::{ComplexField, RealField};

use super::*;
use crate::Real;

type D1 = Dual<f64, 1>;

/// `true` only if `a` is within `tol` of `b`, relative to `b`'s size; NaN is never close.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn central(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

fn central_grad<const N: usize>(
    f: impl Fn(SVector<f64, N>) -> f64,
    x: SVector<f64, N>,
) -> SVector<f64, N> {
    let mut g = SVector::<f64, N>::zeros();
    for (i, gi) in g.iter_mut().enumerate() {
        let h = 1e-6 * x[i].abs().max(1.0);
        let mut xp = x;
        let mut xm = x;
        xp[i] += h;
        xm[i] -= h;
        *gi = (f(xp) - f(xm)) / (2.0 * h);
    }
    g
}

fn all_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| close(*x, *y, tol))
}

// ---- every function, as a Real ---------------------------------------------------------

/// Each function of [`Real`] (and arithmetic), with points in its domain away from kinks.
const REAL_OPS: &[(&str, &[f64])] = &[
    ("exp", &[-2.0, 0.0, 1.5]),
    ("exp2", &[-2.0, 0.0, 1.5]),
    ("exp_m1", &[-2.0, 0.0, 1.5]),
    ("ln", &[0.1, 1.0, 7.0]),
    ("ln_1p", &[-0.5, 0.0, 3.0]),
    ("log2", &[0.1, 1.0, 7.0]),
    ("log10", &[0.1, 1.0, 7.0]),
    ("sqrt", &[0.1, 1.0, 7.0]),
    ("cbrt", &[-5.0, 0.3, 7.0]),
    ("recip", &[-2.0, 0.3, 7.0]),
    ("sin", &[-2.0, 0.0, 1.5]),
    ("cos", &[-2.0, 0.0, 1.5]),
    ("tan", &[-1.0, 0.0, 1.2]),
    ("asin", &[-0.8, 0.0, 0.6]),
    ("acos", &[-0.8, 0.0, 0.6]),
    ("atan", &[-2.0, 0.0, 1.5]),
    ("sinh", &[-2.0, 0.0, 1.5]),
    ("cosh", &[-2.0, 0.0, 1.5]),
    ("tanh", &[-2.0, 0.0, 1.5]),
    ("asinh", &[-2.0, 0.0, 1.5]),
    ("acosh", &[1.2, 2.0, 9.0]),
    ("atanh", &[-0.8, 0.0, 0.6]),
    ("abs", &[-2.0, 0.7, 3.0]),
    ("powi", &[-2.0, 0.7, 3.0]),
    ("powf_const", &[0.2, 0.7, 3.0]),
    ("powf_var", &[0.2, 0.7, 3.0]),
    ("atan2_y", &[-2.0, 0.3, 3.0]),
    ("atan2_x", &[-2.0, 0.3, 3.0]),
    ("hypot", &[-2.0, 0.3, 3.0]),
    ("max", &[-2.0, 0.3, 3.0]),
    ("min", &[-2.0, 0.3, 3.0]),
    ("rational", &[-2.0, 0.3, 3.0]),
    ("floor", &[-2.5, 0.3, 3.2]),
    ("ceil", &[-2.5, 0.3, 3.2]),
    ("round", &[-2.3, 0.3, 3.2]),
    ("trunc", &[-2.5, 0.3, 3.2]),
];

fn real_op<S: Real>(name: &str, x: S) -> S {
    let c = S::constant;
    match name {
        "exp" => x.exp(),
        "exp2" => x.exp2(),
        "exp_m1" => x.exp_m1(),
        "ln" => x.ln(),
        "ln_1p" => x.ln_1p(),
        "log2" => x.log2(),
        "log10" => x.log10(),
        "sqrt" => x.sqrt(),
        "cbrt" => x.cbrt(),
        "recip" => S::one() / x,
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "asin" => x.asin(),
        "acos" => x.acos(),
        "atan" => x.atan(),
        "sinh" => x.sinh(),
        "cosh" => x.cosh(),
        "tanh" => x.tanh(),
        "asinh" => x.asinh(),
        "acosh" => x.acosh(),
        "atanh" => x.atanh(),
        "abs" => x.abs(),
        "powi" => x.powi(3) + x.powi(-2),
        "powf_const" => x.powf(c(2.5)),
        "powf_var" => x.powf(x) + c(1.7).powf(x * x),
        "atan2_y" => x.atan2(c(0.7)),
        "atan2_x" => c(-0.4).atan2(x),
        "hypot" => x.hypot(c(1.3)) + (x * x).hypot(x),
        "max" => Real::max(x, c(0.5)) + Real::max(c(-1.0), x * x),
        "min" => Real::min(x, c(0.5)) + Real::min(c(1.0), x * x),
        "rational" => (x * x - c(3.0) * x + c(1.0)) / (x * x + c(1.0)) - x,
        "floor" => x.floor() * x,
        "ceil" => x.ceil() * x,
        "round" => x.round() * x,
        "trunc" => x.trunc() * x,
        _ => S::nan(),
    }
}

#[test]
fn every_real_function_first_and_second_derivative_match_central_differences() {
    for &(name, points) in REAL_OPS {
        for &x in points {
            let (y, d) = derivative(|s| real_op(name, s), x);
            assert!(close(y, real_op(name, x), 1e-15), "{name}({x})");
            let fd = central(|t| real_op(name, t), x);
            assert!(close(d, fd, 1e-6), "{name}'({x}) = {d}, central {fd}");
            // Second derivative by nesting, against central differences of the first.
            let (y2, d2, h) = hessian(|v: SVector<_, 1>| real_op(name, v[0]), vector![x]);
            let fd2 = central(|t| derivative(|s| real_op(name, s), t).1, x);
            assert!(
                close(y2, y, 1e-15) && close(d2[0], d, 1e-15),
                "{name} nested"
            );
            assert!(
                close(h[(0, 0)], fd2, 1e-5),
                "{name}''({x}) = {}, central {fd2}",
                h[(0, 0)]
            );
        }
    }
}

#[test]
fn every_real_function_in_f32() {
    for &(name, points) in REAL_OPS {
        for &x in points {
            let (_, d) = derivative(|s| real_op(name, s), x as f32);
            let (_, d64) = derivative(|s| real_op(name, s), x);
            // micromath trades accuracy for speed: its `sqrt` is a few % off and its `powf`
            // up to about 20 %, so only the libm backend is held to f32 precision.
            let tol = if <f32 as Real>::BACKEND == "micromath" {
                0.25
            } else {
                1e-5
            };
            assert!(
                close(f64::from(d), d64, tol),
                "{name}'({x}) in f32: {d} vs {d64}"
            );
        }
    }
}

// ---- every function, as a nalgebra ComplexField / RealField ------------------------------

const FIELD_OPS: &[(&str, &[f64])] = &[
    ("exp", &[-2.0, 0.0, 1.5]),
    ("exp2", &[-2.0, 0.0, 1.5]),
    ("exp_m1", &[-2.0, 0.0, 1.5]),
    ("ln", &[0.1, 1.0, 7.0]),
    ("ln_1p", &[-0.5, 0.0, 3.0]),
    ("log", &[0.1, 1.0, 7.0]),
    ("log2", &[0.1, 1.0, 7.0]),
    ("log10", &[0.1, 1.0, 7.0]),
    ("sqrt", &[0.1, 1.0, 7.0]),
    ("try_sqrt", &[0.1, 1.0, 7.0]),
    ("cbrt", &[-5.0, 0.3, 7.0]),
    ("recip", &[-2.0, 0.3, 7.0]),
    ("powi", &[-2.0, 0.7, 3.0]),
    ("powf", &[0.2, 0.7, 3.0]),
    ("powc", &[0.2, 0.7, 3.0]),
    ("sin", &[-2.0, 0.0, 1.5]),
    ("cos", &[-2.0, 0.0, 1.5]),
    ("sin_cos", &[-2.0, 0.0, 1.5]),
    ("tan", &[-1.0, 0.0, 1.2]),
    ("asin", &[-0.8, 0.0, 0.6]),
    ("acos", &[-0.8, 0.0, 0.6]),
    ("atan", &[-2.0, 0.0, 1.5]),
    ("atan2", &[-2.0, 0.3, 3.0]),
    ("sinh", &[-2.0, 0.0, 1.5]),
    ("cosh", &[-2.0, 0.0, 1.5]),
    ("sinh_cosh", &[-2.0, 0.0, 1.5]),
    ("tanh", &[-2.0, 0.0, 1.5]),
    ("asinh", &[-2.0, 0.0, 1.5]),
    ("acosh", &[1.2, 2.0, 9.0]),
    ("atanh", &[-0.8, 0.0, 0.6]),
    ("sinc", &[-2.0, 0.4, 1.5]),
    ("hypot", &[-2.0, 0.3, 3.0]),
    ("abs", &[-2.0, 0.7, 3.0]),
    ("modulus", &[-2.0, 0.7, 3.0]),
    ("modulus_squared", &[-2.0, 0.7, 3.0]),
    ("norm1", &[-2.0, 0.7, 3.0]),
    ("signum", &[-2.0, 0.7, 3.0]),
    ("copysign", &[-2.0, 0.7, 3.0]),
    ("floor", &[-2.5, 0.3, 3.2]),
    ("ceil", &[-2.5, 0.3, 3.2]),
    ("round", &[-2.3, 0.3, 3.2]),
    ("trunc", &[-2.5, 0.3, 3.2]),
    ("fract", &[-2.5, 0.3, 3.2]),
    ("rem", &[-2.5, 0.3, 3.2]),
    ("mul_add", &[-2.0, 0.7, 3.0]),
    ("scale", &[-2.0, 0.7, 3.0]),
    ("max_min_clamp", &[-2.0, 0.7, 3.0]),
    ("conjugate", &[-2.0, 0.7, 3.0]),
];

fn field_op<S: RealField + Copy>(name: &str, x: S) -> S {
    let c = |v: f64| S::from_subset(&v);
    match name {
        "exp" => x.exp(),
        "exp2" => x.exp2(),
        "exp_m1" => x.exp_m1(),
        "ln" => x.ln(),
        "ln_1p" => x.ln_1p(),
        "log" => x.log(c(3.0)) + c(5.0).log(x + c(1.0)),
        "log2" => x.log2(),
        "log10" => x.log10(),
        "sqrt" => x.sqrt(),
        "try_sqrt" => x.try_sqrt().unwrap_or_else(|| c(f64::NAN)),
        "cbrt" => x.cbrt(),
        "recip" => x.recip(),
        "powi" => x.powi(3),
        "powf" => x.powf(c(1.5)) + c(2.0).powf(x),
        "powc" => x.powc(x),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "sin_cos" => {
            let (s, k) = x.sin_cos();
            s * c(2.0) + k
        }
        "tan" => x.tan(),
        "asin" => x.asin(),
        "acos" => x.acos(),
        "atan" => x.atan(),
        "atan2" => x.atan2(c(0.7)) + c(0.2).atan2(x),
        "sinh" => x.sinh(),
        "cosh" => x.cosh(),
        "sinh_cosh" => {
            let (s, k) = x.sinh_cosh();
            s * c(2.0) + k
        }
        "tanh" => x.tanh(),
        "asinh" => x.asinh(),
        "acosh" => x.acosh(),
        "atanh" => x.atanh(),
        "sinc" => x.sinc(),
        "hypot" => x.hypot(c(1.3)),
        "abs" => ComplexField::abs(x),
        "modulus" => x.modulus(),
        "modulus_squared" => x.modulus_squared(),
        "norm1" => x.norm1(),
        "signum" => ComplexField::signum(x) * x,
        "copysign" => x.copysign(c(-1.0)) + c(2.0).copysign(x),
        "floor" => x.floor() * x,
        "ceil" => x.ceil() * x,
        "round" => x.round() * x,
        "trunc" => x.trunc() * x,
        "fract" => x.fract(),
        "rem" => x % c(0.7) + c(5.0) % (x + c(4.0)),
        "mul_add" => x.mul_add(x, c(3.0)),
        "scale" => x.scale(c(3.0)).unscale(x * x + c(1.0)),
        "max_min_clamp" => {
            RealField::max(x, c(0.5)) + RealField::min(x, c(0.6)) + x.clamp(c(-1.0), c(1.0))
        }
        "conjugate" => x.conjugate() * x.real() + x.imaginary(),
        _ => c(f64::NAN),
    }
}

#[test]
fn every_nalgebra_function_matches_central_differences() {
    for &(name, points) in FIELD_OPS {
        for &x in points {
            let y = field_op(name, D1::variable(x, 0));
            assert!(
                close(y.re, field_op(name, x), 1e-14),
                "{name}({x}) = {}",
                y.re
            );
            let fd = central(|t| field_op(name, t), x);
            assert!(
                close(y.eps[0], fd, 1e-6),
                "{name}'({x}) = {}, central {fd}",
                y.eps[0]
            );
            // Nested: the second derivative through the RealField impl of Dual<Dual<..>>.
            let xx = Dual::<D1, 1>::new(D1::variable(x, 0), vector![D1::constant(1.0)]);
            let y2 = field_op(name, xx);
            let fd2 = central(|t| field_op(name, D1::variable(t, 0)).eps[0], x);
            assert!(close(y2.eps[0].eps[0], fd2, 1e-5), "{name}''({x})");
        }
    }
}

// ---- edge values -----------------------------------------------------------------------

#[test]
fn nan_propagates_into_value_and_tangent() {
    let n = D1::variable(f64::NAN, 0);
    for &(name, _) in REAL_OPS {
        let y = real_op(name, n);
        assert!(y.re.is_nan(), "{name}(NaN) value");
        assert!(Real::is_nan(y), "{name}(NaN) is_nan");
    }
    // A NaN tangent alone also counts as NaN.
    let t = D1::new(1.0, vector![f64::NAN]);
    assert!(Real::is_nan(t) && !t.is_finite());
    assert!(Real::is_nan(t * D1::constant(2.0)));
}

#[test]
fn kinks_and_singular_points_follow_the_rules_table() {
    let zero = D1::variable(0.0, 0);
    assert_eq!(zero.abs().eps[0], 0.0);
    let root = zero.sqrt();
    assert_eq!(root.eps[0], f64::INFINITY);
    assert_eq!(zero.powf(D1::constant(2.0)).eps[0], 0.0);
    assert_eq!(zero.powf(D1::constant(0.0)).re, 1.0);
    assert_eq!(zero.powf(D1::constant(0.0)).eps[0], 0.0);
    assert_eq!(zero.powi(0).eps[0], 0.0);
    assert!(zero.hypot(D1::constant(0.0)).eps[0].is_nan());
    // Ties of max/min split the tangent evenly.
    let a = Dual::<f64, 2>::variable(1.0, 0);
    let b = Dual::<f64, 2>::variable(1.0, 1);
    assert_eq!(Real::max(a, b).eps, vector![0.5, 0.5]);
    assert_eq!(RealField::min(a, b).eps, vector![0.5, 0.5]);
    // Signum as floats define it, with no tangent.
    assert_eq!(ComplexField::signum(zero).re, 1.0);
    assert_eq!(ComplexField::signum(-zero).re, -1.0);
    assert_eq!(ComplexField::signum(zero).eps[0], 0.0);
    // A derivative of ∞ meeting a zero tangent gives NaN, never a silent 0.
    let x: Dual<f64, 2> = Dual::variable(0.0, 0);
    let y = x.sqrt() * Dual::variable(2.0, 1);
    assert!(y.eps[1].is_nan());
}

#[test]
fn large_values_and_infinities() {
    let big = D1::variable(1e300, 0);
    let e = big.exp();
    assert_eq!(e.re, f64::INFINITY);
    assert!(close(big.ln().eps[0], 1e-300, 1e-12));
    assert_eq!(big.tanh().eps[0], 0.0);
    assert!(close(big.atan().eps[0], 0.0, 1e-12));
    let inf = D1::variable(f64::INFINITY, 0);
    let e = inf.exp();
    assert_eq!(e.re, f64::INFINITY);
    assert_eq!(inf.tanh().re, 1.0);
    assert_eq!(inf.tanh().eps[0], 0.0);
    assert!(inf.sin().re.is_nan());
    assert!(!inf.is_finite());
    let minf = -inf;
    assert_eq!(minf.exp().re, 0.0);
    assert_eq!(minf.exp().eps[0], 0.0);
    assert!(D1::variable(-1.0, 0).ln().re.is_nan());
    assert!(D1::variable(2.0, 0).asin().re.is_nan());
    assert_eq!(D1::variable(1.0, 0).asin().eps[0], f64::INFINITY);
    assert_eq!((D1::variable(1.0, 0) / D1::constant(0.0)).re, f64::INFINITY);
    assert!(D1::variable(-4.0, 0).try_sqrt().is_none());
}

// ---- the type itself ---------------------------------------------------------------------

#[test]
fn constructors_comparisons_and_conversions() {
    let x = Dual::<f64, 3>::variable(2.0, 1);
    assert_eq!(x.eps, vector![0.0, 1.0, 0.0]);
    // Out of range: a constant, no panic.
    assert_eq!(Dual::<f64, 3>::variable(2.0, 7).eps, Vector3::zeros());
    assert_eq!(Dual::<f64, 3>::constant(4.0).eps, Vector3::zeros());
    // Comparisons use the value only.
    let y = Dual::<f64, 3>::new(2.0, vector![9.0, 9.0, 9.0]);
    assert!(x == y && x <= y && x >= y);
    assert_eq!(x.partial_cmp(&y), Some(core::cmp::Ordering::Equal));
    assert!(num_traits::Zero::is_zero(&Dual::<f64, 3>::new(
        0.0,
        vector![1.0, 0.0, 0.0]
    )));
    // Conversions.
    let c: Dual<f64, 3> = nalgebra::convert(1.5);
    assert_eq!((c.re, c.eps), (1.5, Vector3::zeros()));
    let back: Option<f64> = nalgebra::try_convert(c);
    assert_eq!(back, Some(1.5));
    assert_eq!(nalgebra::try_convert::<_, f64>(x), None);
    assert_eq!(nalgebra::convert_unchecked::<_, f32>(x), 2.0_f32);
    // num-traits.
    use num_traits::{FromPrimitive, Num, Signed};
    assert_eq!(
        <Dual<f64, 3> as Num>::from_str_radix("2.5", 10)
            .map(|d| d.re)
            .ok(),
        Some(2.5)
    );
    assert_eq!(Dual::<f64, 3>::from_i32(-3).map(|d| d.re), Some(-3.0));
    assert!(Signed::is_negative(&-x) && Signed::is_positive(&x));
    assert_eq!(Signed::abs_sub(&x, &(x + x)).re, 0.0);
    assert_eq!(Signed::abs_sub(&(x + x), &x).eps, x.eps);
    // Sum, product, assignment operators.
    let s: Dual<f64, 3> = [x, x, y].iter().copied().sum();
    assert_eq!((s.re, s.eps), (6.0, vector![9.0, 11.0, 9.0]));
    let p: Dual<f64, 3> = [x, x].iter().copied().product();
    assert_eq!((p.re, p.eps), (4.0, vector![0.0, 4.0, 0.0]));
    let mut z = x;
    z += x;
    z *= x;
    z -= x;
    z /= x;
    z %= Dual::constant(10.0);
    // ((2x)x − x)/x = 2x − 1 = 3, derivative 2.
    assert_eq!((z.re, z.eps[1]), (3.0, 2.0));
}

#[test]
fn approx_comparisons_use_the_value() {
    use approx::{AbsDiffEq, RelativeEq, UlpsEq};
    let a = D1::new(1.0, vector![5.0]);
    let b = D1::new(1.0 + 1e-15, vector![-5.0]);
    assert!(a.abs_diff_eq(&b, D1::default_epsilon() * D1::constant(10.0)));
    assert!(a.relative_eq(&b, D1::default_epsilon(), D1::constant(1e-14)));
    assert!(a.ulps_eq(&b, D1::constant(0.0), 8));
    assert!(!a.ulps_eq(&D1::constant(1.001), D1::constant(0.0), 8));
    assert!(!a.ulps_eq(&-a, D1::constant(0.0), 8));
    let n = D1::constant(f64::NAN);
    assert!(!n.relative_eq(&n, D1::default_epsilon(), D1::default_max_relative()));
    let i = D1::constant(f64::INFINITY);
    assert!(i.relative_eq(&i, D1::default_epsilon(), D1::default_max_relative()));
    assert!(!i.relative_eq(
        &D1::constant(1e308),
        D1::default_epsilon(),
        D1::constant(1.0)
    ));
}

#[test]
fn display_writes_value_and_tangents() {
    use core::fmt::Write;
    struct Buf([u8; 64], usize);
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.1 + s.len();
            let dst = self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?;
            dst.copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut b = Buf([0; 64], 0);
    write!(b, "{}", Dual::<f64, 2>::variable(2.5, 1)).unwrap();
    assert_eq!(core::str::from_utf8(&b.0[..b.1]), Ok("2.5 + [0, 1]ε"));
}

// ---- drivers -----------------------------------------------------------------------------

fn rosenbrock<S: Real>(x: SVector<S, 2>) -> S {
    let a = S::one() - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + S::constant(100.0) * b * b
}

fn mixed<S: Real>(x: SVector<S, 4>) -> S {
    let r = (x[0] * x[0] + x[1] * x[1]).sqrt();
    (x[0] * x[1]).sin() * x[2].exp() + r.atan2(x[3]) - (x[3] * x[3] + S::one()).ln() * x[2].tanh()
}

#[test]
fn rosenbrock_hessian_at_the_minimum_and_elsewhere() {
    let (f, g, h) = hessian(rosenbrock, vector![1.0, 1.0]);
    assert_eq!((f, g), (0.0, vector![0.0, 0.0]));
    assert_eq!(h, matrix![802.0, -400.0; -400.0, 200.0]);
    // At (x, y): [[1200x² − 400y + 2, −400x], [−400x, 200]].
    let (x, y) = (-1.2, 1.0);
    let (_, g, h) = hessian(rosenbrock, vector![x, y]);
    let want = matrix![1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x; -400.0 * x, 200.0];
    assert!(all_close(&h, &want, 1e-13), "{h}");
    let (_, g2) = gradient(rosenbrock, vector![x, y]);
    assert_eq!(g, g2);
    assert!(all_close(
        &g,
        &central_grad(rosenbrock, vector![x, y]),
        1e-6
    ));
}

#[test]
fn hessian_vector_product_equals_h_times_v() {
    let x = vector![0.3, -0.8, 0.5, 1.7];
    let v = vector![1.0, -2.0, 0.5, 3.0];
    let (f, g, h) = hessian(mixed, x);
    let (f2, g2, hv) = hessian_vector_product(mixed, x, v);
    assert!(close(f2, f, 1e-15));
    assert!(all_close(&g2, &g, 1e-14));
    assert!(all_close(&hv, &(h * v), 1e-12), "{hv} vs {}", h * v);
    // And H itself against central differences of the gradient.
    for j in 0..4 {
        let col = central_grad(|y| gradient(mixed, y).1[j], x);
        assert!(all_close(&col, &h.column(j).into_owned(), 1e-5));
    }
    assert!(all_close(&h, &h.transpose(), 1e-12));
    // Rosenbrock: H v at (1, 1).
    let (_, _, hv) = hessian_vector_product(rosenbrock, vector![1.0, 1.0], vector![1.0, 2.0]);
    assert_eq!(hv, vector![802.0 - 800.0, -400.0 + 400.0]);
}

#[test]
fn gradient_and_jacobian_match_central_differences() {
    let x = vector![0.3, -0.8, 0.5, 1.7];
    let (f, g) = gradient(mixed, x);
    assert!(close(f, mixed(x), 1e-15));
    assert!(all_close(&g, &central_grad(mixed, x), 1e-6));

    fn map<S: Real>(x: SVector<S, 3>) -> SVector<S, 2> {
        SVector::<S, 2>::new(x[0] * x[1].cos() + x[2], (x[0] * x[2]).exp() - x[1].powi(3))
    }
    let x = vector![0.4, 1.1, -0.6];
    let (y, j) = jacobian(map, x);
    assert_eq!(y, map(x));
    for i in 0..2 {
        let row = central_grad(|z| map(z)[i], x);
        assert!(all_close(&j.row(i).transpose(), &row, 1e-6));
    }
    // f32 too.
    let (_, g32) = gradient(rosenbrock, vector![0.5_f32, 0.5]);
    assert!(close(f64::from(g32[0]), -51.0, 1e-5) && close(f64::from(g32[1]), 50.0, 1e-5));
}

// ---- through nalgebra's algorithms -------------------------------------------------------

fn a0() -> Matrix3<f64> {
    matrix![4.0, 1.0, 0.5; 1.0, 3.0, -0.7; 0.5, -0.7, 2.5]
}
fn da() -> Matrix3<f64> {
    matrix![0.3, -0.2, 0.1; 0.4, 0.9, -0.5; -0.6, 0.2, 0.7]
}
fn sym(m: Matrix3<f64>) -> Matrix3<f64> {
    (m + m.transpose()) * 0.5
}
/// `a + t·d` as dual numbers with `t` the variable (at `t = 0`).
fn lift<const R: usize, const C: usize>(
    a: SMatrix<f64, R, C>,
    d: SMatrix<f64, R, C>,
) -> SMatrix<D1, R, C> {
    a.zip_map(&d, |x, dx| D1::new(x, vector![dx]))
}
fn tangents<const R: usize, const C: usize>(m: &SMatrix<D1, R, C>) -> SMatrix<f64, R, C> {
    m.map(|d| d.eps[0])
}
fn values<const R: usize, const C: usize>(m: &SMatrix<D1, R, C>) -> SMatrix<f64, R, C> {
    m.map(|d| d.re)
}
/// Central difference of a matrix function of `t` at 0.
fn fd_mat<const R: usize, const C: usize>(
    f: impl Fn(f64) -> SMatrix<f64, R, C>,
) -> SMatrix<f64, R, C> {
    let h = 1e-6;
    (f(h) - f(-h)) / (2.0 * h)
}

#[test]
fn determinant_derivative_is_det_times_trace_of_inverse_times_da() {
    let (a, d) = (a0(), da());
    let det = lift(a, d).determinant();
    let inv = a.try_inverse().unwrap_or_else(Matrix3::zeros);
    let jacobi = a.determinant() * (inv * d).trace();
    let fd = central(|t| (a + d * t).determinant(), 0.0);
    assert!(close(det.re, a.determinant(), 1e-14));
    assert!(
        close(det.eps[0], jacobi, 1e-12),
        "{} vs {jacobi}",
        det.eps[0]
    );
    assert!(close(det.eps[0], fd, 1e-7));
    // Through LU as well.
    let det_lu = lift(a, d).lu().determinant();
    assert!(close(det_lu.eps[0], jacobi, 1e-12));
}

#[test]
fn inverse_derivative_is_minus_inverse_da_inverse() {
    let (a, d) = (a0(), da());
    let inv = a.try_inverse().unwrap_or_else(Matrix3::zeros);
    let dinv = lift(a, d).try_inverse().map(|m| tangents(&m));
    let want = -inv * d * inv;
    let fd = fd_mat(|t| (a + d * t).try_inverse().unwrap_or_else(Matrix3::zeros));
    assert!(
        dinv.is_some_and(|m| all_close(&m, &want, 1e-12)),
        "{dinv:?} vs {want}"
    );
    assert!(all_close(&want, &fd, 1e-7));
    // Singular: no inverse, no panic.
    let s = lift(matrix![1.0, 2.0; 2.0, 4.0], Matrix2::zeros());
    assert!(s.try_inverse().is_none());
}

#[test]
fn lu_and_cholesky_solves_differentiate() {
    let (a, d) = (a0(), da());
    let b = vector![1.0, -2.0, 0.5];
    let db = vector![0.2, 0.1, -0.3];
    // LU: x(t) = (A + t dA)⁻¹ (b + t db).
    let x = lift(a, d).lu().solve(&lift(b, db)).map(|x| tangents(&x));
    let fd = fd_mat(|t| {
        (a + d * t)
            .lu()
            .solve(&(b + db * t))
            .unwrap_or_else(Vector3::zeros)
    });
    assert!(x.is_some_and(|x| all_close(&x, &fd, 1e-7)), "{x:?} vs {fd}");
    // Cholesky (A and dA symmetric, A positive definite).
    let ds = sym(d);
    let chol = lift(a, ds).cholesky();
    let x = chol.map(|c| c.solve(&lift(b, db)));
    let fd = fd_mat(|t| {
        (a + ds * t)
            .cholesky()
            .map_or_else(Vector3::zeros, |c| c.solve(&(b + db * t)))
    });
    assert!(
        x.is_some_and(|x| all_close(&tangents(&x), &fd, 1e-7)),
        "{x:?} vs {fd}"
    );
    // Exact identity: dx = A⁻¹ (db − dA x).
    let x0 = a.cholesky().map_or_else(Vector3::zeros, |c| c.solve(&b));
    let want = a.try_inverse().unwrap_or_else(Matrix3::zeros) * (db - ds * x0);
    assert!(x.is_some_and(|x| all_close(&tangents(&x), &want, 1e-12)));
    // Not positive definite: None, no panic.
    assert!(lift(-a, ds).cholesky().is_none());
}

#[test]
fn qr_least_squares_differentiates() {
    let m = matrix![1.0, 0.5; 2.0, -1.0; 0.3, 0.8; -1.2, 0.4];
    let dm = matrix![0.1, -0.3; 0.2, 0.5; -0.4, 0.1; 0.3, 0.2];
    let b = vector![1.0, 0.2, -0.7, 2.0];
    let db = vector![-0.5, 0.3, 0.1, 0.2];
    fn lstsq<S: RealField + Copy>(m: SMatrix<S, 4, 2>, b: SVector<S, 4>) -> SVector<S, 2> {
        let qr = m.qr();
        let qtb = qr.q().transpose() * b;
        qr.r()
            .solve_upper_triangular(&qtb)
            .unwrap_or_else(|| SVector::from_element(S::from_subset(&f64::NAN)))
    }
    let x = lstsq(lift(m, dm), lift(b, db));
    let fd = fd_mat(|t| lstsq(m + dm * t, b + db * t));
    assert!(all_close(&values(&x), &lstsq(m, b), 1e-14));
    assert!(
        all_close(&tangents(&x), &fd, 1e-7),
        "{} vs {fd}",
        tangents(&x)
    );
    // The normal equations agree: x = (MᵀM)⁻¹ Mᵀ b.
    let normal = (m.transpose() * m)
        .try_inverse()
        .unwrap_or_else(Matrix2::zeros)
        * m.transpose()
        * b;
    assert!(all_close(&values(&x), &normal, 1e-12));
}

#[test]
fn symmetric_eigenvalues_differentiate() {
    let (a, ds) = (a0(), sym(da()));
    let eig = lift(a, ds).symmetric_eigen();
    let eig0 = a.symmetric_eigen();
    // dλᵢ = vᵢᵀ dA vᵢ for distinct eigenvalues.
    for (i, l) in eig.eigenvalues.iter().enumerate() {
        let j = eig0
            .eigenvalues
            .iter()
            .position(|l0| close(*l0, l.re, 1e-10))
            .unwrap_or(usize::MAX);
        assert!(j < 3, "eigenvalue {i} not found");
        let v = eig0.eigenvectors.column(j);
        let want = (v.transpose() * ds * v)[(0, 0)];
        assert!(
            close(l.eps[0], want, 1e-9),
            "dλ{i} = {} vs {want}",
            l.eps[0]
        );
    }
}

#[test]
fn hessian_through_nalgebra_with_nested_duals() {
    // f(x) = ln det(A + diag(x)), whose Hessian is −(B⁻¹ ∘ B⁻¹) with B = A + diag(x).
    fn logdet<S: RealField + Copy>(x: SVector<S, 3>) -> S {
        let a: Matrix3<S> = nalgebra::convert(a0());
        (a + Matrix3::from_diagonal(&x)).determinant().ln()
    }
    let x = vector![0.1, 0.2, 0.3];
    let (f, g, h) = hessian(logdet, x);
    let b = a0() + Matrix3::from_diagonal(&x);
    let binv = b.try_inverse().unwrap_or_else(Matrix3::zeros);
    assert!(close(f, b.determinant().ln(), 1e-14));
    assert!(all_close(&g, &binv.diagonal(), 1e-12));
    assert!(all_close(&h, &-binv.component_mul(&binv), 1e-12), "{h}");
}
