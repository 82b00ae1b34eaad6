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

/// `magnitude` bounds the largest magnitude from above, tightly, and refuses what is not
/// finite, wherever in the slice it is (in the sixteen-lane body or the remainder).
#[test]
fn magnitude_is_a_tight_upper_bound_and_sees_every_non_finite_value() {
    // Both `f32` variants (sixteen-bit keys on hosts with vectors, whole patterns on
    // microcontrollers), whichever this target uses.
    type Variant = (fn(&[f32]) -> f64, f64);
    let variants: [Variant; 2] = [
        (super::float::top_16_bits, 1.0 / 128.0),
        (super::float::whole_pattern, 0.0),
    ];
    assert_eq!(<f64 as Real>::magnitude(&[]), 0.0);
    let mut xs = [0.0f32; 37];
    for (i, x) in xs.iter_mut().enumerate() {
        *x = ::libm::sinf(i as f32 * 0.731) * 3.0;
    }
    let exact = xs.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let d: [f64; 37] = core::array::from_fn(|i| f64::from(xs[i]));
    assert_eq!(<f64 as Real>::magnitude(&d), f64::from(exact));
    for (magnitude, slack) in variants {
        assert_eq!(magnitude(&[]), 0.0);
        let b = magnitude(&xs);
        assert!(
            b >= f64::from(exact) && b <= f64::from(exact) * (1.0 + slack),
            "{b} {exact}"
        );
        for i in 0..xs.len() {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN] {
                let mut ys = xs;
                ys[i] = bad;
                assert!(magnitude(&ys).is_nan(), "{i} {bad}");
                let mut e = d;
                e[i] = f64::from(bad);
                assert!(<f64 as Real>::magnitude(&e).is_nan(), "{i} {bad}");
            }
        }
        // The largest finite values and the smallest subnormals are bounded, not refused.
        assert!(magnitude(&[f32::MAX, -f32::MAX]) >= f64::from(f32::MAX));
        assert!(magnitude(&[1e-45]) >= 1e-45);
    }
}
