//! Every elementary function, as a [`Real`] and as a nalgebra `ComplexField`/`RealField`,
//! against central differences, first and second derivatives; and every row of the table
//! (`real/table.rs`) among them.

use nalgebra::{vector, SVector};
use simba::scalar::{ComplexField, RealField};

use super::*;
use crate::Real;

/// Each function of [`Real`] (and arithmetic), with points in its domain away from kinks.
pub(super) const REAL_OPS: &[(&str, &[f64])] = &[
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

pub(super) fn real_op<S: Real>(name: &str, x: S) -> S {
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

// ---- every row of the table is tested above ----------------------------------------------

/// `true` if `entry` names `name` as a whole word between `_`s: `powf_const` names `powf`,
/// `max_min_clamp` names `min`, `exp2` does not name `exp`.
fn names(entry: &str, name: &str) -> bool {
    let underscore = |j: usize| entry.as_bytes().get(j) == Some(&b'_');
    entry.match_indices(name).any(|(i, _)| {
        let end = i + name.len();
        (i == 0 || underscore(i - 1)) && (end == entry.len() || underscore(end))
    })
}

#[test]
fn names_finds_whole_words() {
    assert!(names("powf", "powf") && names("powf_const", "powf") && names("atan2_x", "atan2"));
    assert!(names("max_min_clamp", "min") && names("try_sqrt", "sqrt"));
    assert!(!names("exp2", "exp") && !names("asinh", "sinh") && !names("xmin", "min"));
}

/// One test a row of the table, named after it: a row declared in [`Real`] (`= libm`) has
/// an entry in [`REAL_OPS`], a row that a nalgebra trait forwards one in `FIELD_OPS`.
macro_rules! row_is_tested {
    (() $(#[$r:meta])* fn $name:ident $args:tt $(= libm($f:ident, $g:ident))?; $(#[$d:meta])* dual $(($b:ident))?; $($(#[$fd:meta])* $tr:ident;)*) => {
        #[test]
        fn $name() {
            let name = stringify!($name);
            let libm: &[&str] = &[$(stringify!($f))?];
            let traits: &[&str] = &[$(stringify!($tr)),*];
            let (in_real, in_field) = (!libm.is_empty(), traits.iter().any(|t| *t != "Real"));
            let listed = |ops: &[(&str, &[f64])]| ops.iter().any(|(e, _)| super::names(e, name));
            assert!(!in_real || listed(super::REAL_OPS), "{name} is not in REAL_OPS");
            assert!(!in_field || listed(super::FIELD_OPS), "{name} is not in FIELD_OPS");
        }
    };
}

mod every_table_function_is_tested {
    use crate::real::table::elementary_functions;
    elementary_functions!(row_is_tested!(()));
}
