//! The float backends on edge values, and which backend is selected.

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
