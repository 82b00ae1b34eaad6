//! NaN, kinks and singular points, large values and infinities.

use nalgebra::vector;
use simba::scalar::{ComplexField, RealField};

use super::functions::{real_op, REAL_OPS};
use super::*;
use crate::Real;

#[test]
fn nan_propagates_into_value_and_tangent() {
    let n = D1::variable(f64::NAN, 0);
    for &(name, _) in REAL_OPS {
        let y = real_op(name, n);
        assert!(y.re.is_nan(), "{name}(NaN) value");
        assert!(Real::is_nan(y), "{name}(NaN) is_nan");
    }
    // A NaN tangent alone is not finite, but the value is not NaN: branches on NaN
    // (max, relu, clamp) follow the value, and the NaN stays in the tangent.
    let t = D1::new(1.0, vector![f64::NAN]);
    assert!(!Real::is_nan(t) && !t.is_finite());
    let m = Real::max(t, D1::constant(0.0));
    assert_eq!(m.re, 1.0);
    assert!(m.eps[0].is_nan());
}

#[test]
fn a_constant_exponent_takes_nothing_from_the_log_of_its_base() {
    // ∂(xʸ)/∂y = xʸ ln x is NaN for x < 0; with y constant it must not reach the tangent.
    let x = D1::variable(-2.0, 0);
    let y = x.powf(D1::constant(2.0));
    assert_eq!((y.re, y.eps[0]), (4.0, -4.0));
    let y = x.powf(D1::constant(3.0));
    assert_eq!((y.re, y.eps[0]), (-8.0, 12.0));
    // A varying exponent still sees it.
    let y = D1::constant(-2.0).powf(D1::variable(2.0, 0));
    assert!(y.eps[0].is_nan());
    // At a base of 0, √x has an infinite slope, not NaN.
    let y = D1::variable(0.0, 0).powf(D1::constant(0.5));
    assert_eq!((y.re, y.eps[0]), (0.0, f64::INFINITY));
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

#[test]
fn a_quotient_has_the_floats_value() {
    // Found by the random programs once values over Dual were always compared: the value
    // was x·(1/y), one ulp off x/y, and `ln(x/x − 1)` gave NaN instead of −∞.
    for &x in &[libm::exp(1.19), 3.0, 0.1, 7.7e-3, 1e300] {
        let d = D1::variable(x, 0) / D1::constant(x);
        assert_eq!(d.re, 1.0, "{x}");
        let d = D1::variable(1.0, 0) / D1::constant(x);
        assert_eq!(d.re.to_bits(), (1.0 / x).to_bits());
    }
}
