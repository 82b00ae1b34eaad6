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

/// Every length from 0 to 70 (empty, remainder only, one and more bodies of sixteen with
/// every remainder), the largest value and a non-finite one at every position: the key
/// must see each lane of the body and each value of the remainder.
#[test]
fn magnitude_sees_every_position_at_every_length() {
    type Variant = fn(&[f32]) -> f64;
    let variants: [Variant; 2] = [super::float::top_16_bits, super::float::whole_pattern];
    for magnitude in variants {
        for n in 0..=70usize {
            let base: [f32; 70] = core::array::from_fn(|i| 0.25 + i as f32 * 1e-3);
            let xs = &base[..n];
            let want = xs.iter().fold(0.0f32, |m, x| m.max(*x));
            assert!(magnitude(xs) >= f64::from(want), "{n}");
            for i in 0..n {
                let mut ys = base;
                ys[i] = -1.0e3;
                let b = magnitude(&ys[..n]);
                assert!(
                    (1.0e3..=1.0e3 * (1.0 + 1.0 / 128.0)).contains(&b),
                    "{n} {i} {b}"
                );
                ys[i] = f32::NAN;
                assert!(magnitude(&ys[..n]).is_nan(), "{n} {i}");
            }
        }
    }
}

/// `flushed_non_negative`: +0 below the normal range (subnormals, zeros, negatives),
/// everything else unchanged, NaN included, for every scalar type.
#[test]
fn flushed_non_negative_keeps_normal_positives_and_nan() {
    let f = |x: f32| x.flushed_non_negative().to_bits();
    let sub = f32::MIN_POSITIVE / 2.0;
    for x in [
        sub,
        -sub,
        0.0,
        -0.0,
        -1.0,
        -f32::MIN_POSITIVE,
        f32::NEG_INFINITY,
    ] {
        assert_eq!(f(x), 0, "{x}");
    }
    for x in [f32::MIN_POSITIVE, 1.5, f32::MAX, f32::INFINITY] {
        assert_eq!(f(x), x.to_bits(), "{x}");
    }
    assert!(f32::NAN.flushed_non_negative().is_nan());
    let d = |x: f64| x.flushed_non_negative().to_bits();
    assert_eq!(d(f64::MIN_POSITIVE / 4.0), 0);
    assert_eq!(d(-2.0), 0);
    assert_eq!(d(f64::MIN_POSITIVE), f64::MIN_POSITIVE.to_bits());
    assert!(f64::NAN.flushed_non_negative().is_nan());
    // The generic rule (dual numbers): decided by the value.
    let x = crate::Dual::<f64, 1>::new(-1.0, nalgebra::SVector::from([3.0]));
    assert_eq!(x.flushed_non_negative().re, 0.0);
    assert_eq!(x.flushed_non_negative().eps[0], 0.0);
    let y = crate::Dual::<f64, 1>::new(2.0, nalgebra::SVector::from([3.0]));
    assert_eq!(y.flushed_non_negative().re, 2.0);
    assert_eq!(y.flushed_non_negative().eps[0], 3.0);
    #[cfg(feature = "fixed")]
    {
        use crate::Q16;
        assert_eq!(Q16::from_f64(-0.5).flushed_non_negative(), Q16::ZERO);
        let q = Q16::from_f64(0.25);
        assert_eq!(q.flushed_non_negative(), q);
    }
}
