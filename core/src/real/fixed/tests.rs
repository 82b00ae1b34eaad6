//! `Q16`: saturation and special values, and each elementary function's measured error.

extern crate std;

use std::format;

use super::*;

fn q(x: f64) -> Q16 {
    Q16::from_f64(x)
}

/// Worst `|f(x) − exact(x)|` in steps of `2⁻¹⁶` over `n + 1` points of `[lo, hi]`,
/// relative (to `max(1, |exact|)`) when `relative`. Panics on NaN.
fn worst(
    f: fn(Q16) -> Q16,
    exact: fn(f64) -> f64,
    lo: f64,
    hi: f64,
    n: usize,
    relative: bool,
) -> f64 {
    let mut w = 0.0f64;
    for i in 0..=n {
        let x = q(lo + (hi - lo) * i as f64 / n as f64);
        let (got, want) = (f(x).to_f64(), exact(x.to_f64()));
        assert!(got.is_finite() && want.is_finite(), "{x}: {got} vs {want}");
        let e = (got - want).abs() * 65536.0;
        let e = if relative { e / want.abs().max(1.0) } else { e };
        w = w.max(e);
    }
    w
}

#[test]
fn special_patterns() {
    assert_eq!(Q16::ZERO.to_bits(), 0);
    assert_eq!(<Q16 as Real>::ZERO.to_bits(), 0);
    assert!(Q16::NAN.is_nan() && !Q16::NAN.is_finite());
    assert!(!Q16::INFINITY.is_finite() && !Q16::NEG_INFINITY.is_finite());
    assert!(Q16::MAX.is_finite() && Q16::MIN.is_finite());
    assert_eq!(-Q16::INFINITY, Q16::NEG_INFINITY);
    assert!((-Q16::NAN).is_nan());
    assert_eq!(Q16::INFINITY.to_f64(), f64::INFINITY);
    assert_eq!(Q16::NEG_INFINITY.to_f64(), f64::NEG_INFINITY);
    assert!(Q16::NAN.to_f64().is_nan());
    assert!(Q16::NAN != Q16::NAN);
    assert!(Q16::NAN.partial_cmp(&Q16::ZERO).is_none());
    assert!(Q16::NEG_INFINITY < Q16::MIN && Q16::MAX < Q16::INFINITY);
    assert_eq!(q(1e9), Q16::INFINITY);
    assert_eq!(q(-1e9), Q16::NEG_INFINITY);
    assert!(q(f64::NAN).is_nan());
    assert_eq!(q(0.5).to_bits(), 1 << 15);
    assert_eq!(q(-1.0 / 65536.0 * 2.5).to_bits(), -3);
    assert!(!Real::is_subnormal(Q16::EPSILON));
    assert_eq!(Real::flushed(Q16::EPSILON), Q16::EPSILON);
    assert_eq!(format!("{}", q(-2.25)), "-2.25");
    assert_eq!(format!("{:?}", Q16::INFINITY), "inf");
}

#[test]
fn arithmetic_rounds_to_nearest() {
    assert_eq!((q(1.5) * q(-2.5)).to_f64(), -3.75);
    assert_eq!((q(7.0) / q(2.0)).to_f64(), 3.5);
    // 1/3 = 21845.33 steps: rounds down; 2/3 = 43690.67: rounds up.
    assert_eq!((q(1.0) / q(3.0)).to_bits(), 21845);
    assert_eq!((q(2.0) / q(3.0)).to_bits(), 43691);
    assert_eq!((q(-2.0) / q(3.0)).to_bits(), -43691);
    // Half a step times half a step: 2⁻³⁴, rounds to 0 (no subnormals).
    let h = Q16::from_bits(1);
    assert_eq!((h * h).to_bits(), 0);
    assert_eq!((Q16::from_bits(3) * q(0.5)).to_bits(), 2);
}

/// Every operation that overflows gives ±∞ (never a wrapped value of the other sign),
/// and ±∞ and NaN propagate: a wrapping implementation fails here.
#[test]
fn overflow_saturates_to_infinity_and_sticks() {
    let big = q(30000.0);
    assert_eq!(big + big, Q16::INFINITY);
    assert_eq!(-big - big, Q16::NEG_INFINITY);
    assert_eq!(big * q(2.0), Q16::INFINITY);
    assert_eq!(big * q(-2.0), Q16::NEG_INFINITY);
    assert_eq!(big / q(0.5), Q16::INFINITY);
    assert_eq!(q(1.0) / Q16::ZERO, Q16::INFINITY);
    assert_eq!(q(-1.0) / Q16::ZERO, Q16::NEG_INFINITY);
    assert!((Q16::ZERO / Q16::ZERO).is_nan());
    assert!((Q16::INFINITY - Q16::INFINITY).is_nan());
    assert!((Q16::INFINITY * Q16::ZERO).is_nan());
    assert!((Q16::INFINITY / Q16::INFINITY).is_nan());
    // Saturated values stay saturated: ∞ − 5 is still ∞, not a finite value.
    assert_eq!(Q16::INFINITY - q(5.0), Q16::INFINITY);
    assert_eq!(Q16::NEG_INFINITY + big, Q16::NEG_INFINITY);
    assert_eq!(q(3.0) / Q16::INFINITY, Q16::ZERO);
    assert!((Q16::NAN + q(1.0)).is_nan() && (q(1.0) * Q16::NAN).is_nan());
    // The exact boundary: MAX + one step is +∞, MIN − one step is −∞.
    assert_eq!(Q16::MAX + Q16::EPSILON, Q16::INFINITY);
    assert_eq!(Q16::MIN - Q16::EPSILON, Q16::NEG_INFINITY);
    let mut x = q(100.0);
    x *= x;
    x *= x;
    assert_eq!(x, Q16::INFINITY);
}

#[test]
fn magnitude_reads_bits_and_refuses_specials() {
    assert_eq!(Q16::magnitude(&[]), 0.0);
    assert_eq!(
        Q16::magnitude(&[q(-3.5), q(2.0), Q16::MIN]),
        Q16::MAX.to_f64()
    );
    assert_eq!(Q16::magnitude(&[q(-3.5), q(2.0)]), 3.5);
    for s in [Q16::NAN, Q16::INFINITY, Q16::NEG_INFINITY] {
        assert!(Q16::magnitude(&[q(1.0), s, q(2.0)]).is_nan());
    }
}

#[test]
fn exp_and_ln_are_within_a_step() {
    let e = worst(exp, libm::exp, -12.0, 0.0, 20_000, false);
    assert!(e <= 0.51, "exp ≤ 0: {e} steps");
    let e = worst(exp, libm::exp, 0.0, 10.39, 20_000, true);
    assert!(
        e * 65536.0f64.recip() <= 2e-7 + 0.5 / 65536.0,
        "exp relative {e}"
    );
    let e = worst(ln, libm::log, 1.0 / 65536.0, 32767.0, 50_000, false);
    assert!(e <= 0.52, "ln: {e} steps");
    let e = worst(ln, libm::log, 0.001, 4.0, 50_000, false);
    assert!(e <= 0.52, "ln near 1: {e} steps");
    let e = worst(log2, libm::log2, 0.01, 1000.0, 20_000, false);
    assert!(e <= 0.53, "log2: {e} steps");
    let e = worst(exp2, libm::exp2, -16.0, 14.9, 20_000, true);
    assert!(
        e / 65536.0 <= 2e-7 + 0.5 / 65536.0,
        "exp2 relative {}",
        e / 65536.0
    );
    assert_eq!(exp(q(10.398)), Q16::INFINITY);
    assert_eq!(exp(q(-13.0)), Q16::ZERO);
    assert_eq!(exp(Q16::NEG_INFINITY), Q16::ZERO);
    assert_eq!(ln(Q16::ZERO), Q16::NEG_INFINITY);
    assert!(ln(q(-1.0)).is_nan() && ln(Q16::NEG_INFINITY).is_nan());
    assert_eq!(ln(Q16::INFINITY), Q16::INFINITY);
    assert_eq!(exp(Q16::ZERO), Q16::ONE);
    assert_eq!(ln(Q16::ONE), Q16::ZERO);
}

#[test]
fn sqrt_tanh_hypot_are_within_a_step() {
    let e = worst(sqrt, libm::sqrt, 0.0, 32767.0, 50_000, false);
    assert!(e <= 0.5, "sqrt: {e} steps");
    let e = worst(sqrt, libm::sqrt, 0.0, 2.0, 50_000, false);
    assert!(e <= 0.5, "sqrt near 0: {e} steps");
    let e = worst(tanh, libm::tanh, -8.0, 8.0, 50_000, false);
    assert!(e <= 0.51, "tanh: {e} steps");
    let h = |x: Q16| hypot(x, q(0.75) - x);
    let e = worst(
        h,
        |x| libm::hypot(x, 0.75 - x),
        -100.0,
        100.0,
        20_000,
        false,
    );
    assert!(e <= 0.5, "hypot: {e} steps");
    assert_eq!(tanh(q(7.0)), Q16::ONE);
    assert_eq!(tanh(Q16::NEG_INFINITY), -Q16::ONE);
    assert!(sqrt(q(-1.0)).is_nan());
    assert_eq!(sqrt(Q16::INFINITY), Q16::INFINITY);
    assert_eq!(hypot(Q16::NAN, Q16::INFINITY), Q16::INFINITY);
    assert_eq!(hypot(q(30000.0), q(30000.0)), Q16::INFINITY);
}

#[test]
fn rounding_functions_and_powers() {
    for (x, f, c, r, t) in [
        (2.5, 2.0, 3.0, 3.0, 2.0),
        (-2.5, -3.0, -2.0, -3.0, -2.0),
        (-2.25, -3.0, -2.0, -2.0, -2.0),
        (7.0, 7.0, 7.0, 7.0, 7.0),
    ] {
        assert_eq!(floor(q(x)).to_f64(), f, "floor {x}");
        assert_eq!(ceil(q(x)).to_f64(), c, "ceil {x}");
        assert_eq!(round(q(x)).to_f64(), r, "round {x}");
        assert_eq!(trunc(q(x)).to_f64(), t, "trunc {x}");
    }
    assert_eq!(ceil(q(32767.5)), Q16::INFINITY);
    assert!(floor(Q16::NAN).is_nan());
    assert_eq!(powi(q(-1.5), 3).to_f64(), -3.375);
    assert_eq!(powi(q(2.0), -2).to_f64(), 0.25);
    assert_eq!(powi(q(200.0), 2), Q16::INFINITY);
    assert_eq!(powf(q(-2.0), q(2.0)).to_f64(), 4.0);
    assert!(powf(q(-2.0), q(0.5)).is_nan());
    assert!((powf(q(2.0), q(0.5)).to_f64() - 2f64.sqrt()).abs() < 4e-5);
    assert!((cbrt(q(-27.0)).to_f64() + 3.0).abs() < 1e-4);
    assert_eq!(abs(Q16::NEG_INFINITY), Q16::INFINITY);
    assert!((sin(q(1.0)).to_f64() - libm::sin(1.0)).abs() <= 0.5 / 65536.0);
}

/// The split multiplication (four 16-bit products) and the integer conversion from
/// `f64` against plain 64-bit and floating-point references, over magnitudes from one
/// step to the whole range.
#[test]
fn products_and_conversions_match_wide_references() {
    let mut rng = crate::nn::Rng::seed_from_u64(3);
    let draw = |rng: &mut crate::nn::Rng| {
        let b = (rng.next_u64() as i32) >> rng.below(31);
        if finite(b) {
            b
        } else {
            0
        }
    };
    for _ in 0..200_000 {
        let (a, b) = (draw(&mut rng), draw(&mut rng));
        let want = narrow((i64::from(a) * i64::from(b) + (1 << 15)) >> 16);
        assert_eq!(
            (Q16::from_bits(a) * Q16::from_bits(b)).to_bits(),
            want.to_bits(),
            "{a} × {b}"
        );
    }
    for _ in 0..100_000 {
        let scale = libm::ldexp(1.0, rng.below(44) as i32 - 24);
        let x = (2.0 * rng.next_f64() - 1.0) * scale;
        let s = libm::round(x * 65536.0);
        let want = if s >= f64::from(INF) {
            INF
        } else if s <= -f64::from(INF) {
            -INF
        } else {
            s as i32
        };
        assert_eq!(q(x).to_bits(), want, "{x}");
        if finite(want) {
            assert_eq!(Q16::from_bits(want).to_f64(), f64::from(want) / 65536.0);
        }
    }
    assert_eq!(q(-0.0).to_bits(), 0);
    assert_eq!(q(f64::MIN_POSITIVE / 4.0).to_bits(), 0);
    assert_eq!(q(0.5 / 65536.0).to_bits(), 1);
    assert_eq!(q(-0.5 / 65536.0).to_bits(), -1);
    assert_eq!(q(32767.99999), Q16::INFINITY);
}

/// `Real::ZERO_ADD_EXACT` says what it claims: in `Q16`, `0 + x` is `x` bit for bit for
/// every value, the saturated ends and NaN's code included; in `f32` it is not (`0 + −0`
/// is `+0`), and a dual number says what its scalar says.
#[test]
fn zero_add_exact_is_true_to_its_word() {
    use crate::forward::Dual;
    const { assert!(<Q16 as Real>::ZERO_ADD_EXACT) };
    let mut bits: std::vec::Vec<i32> = (-70_000..70_000).collect();
    bits.extend([i32::MIN, i32::MIN + 1, i32::MAX, i32::MAX - 1]);
    bits.extend(
        (0..64u32).map(|k| 0x5bd1_e995u32.wrapping_mul(k.wrapping_mul(2_654_435_761)) as i32),
    );
    for b in bits {
        let x = Q16::from_bits(b);
        assert_eq!((Q16::ZERO + x).to_bits(), b);
    }
    const { assert!(!<f32 as Real>::ZERO_ADD_EXACT) };
    assert_ne!((0.0f32 + -0.0f32).to_bits(), (-0.0f32).to_bits());
    const { assert!(<Dual<Q16, 2> as Real>::ZERO_ADD_EXACT) };
    const { assert!(!<Dual<f32, 2> as Real>::ZERO_ADD_EXACT) };
}
