//! `f32` on micromath (the `micromath` feature): micromath's functions where they are
//! accurate enough, with IEEE edge cases handled first, and the rest built here. One
//! function a row of the table, under the row's name; the `Real` impl calls them.

use super::float::{float_common, float_method, Magnitude};
use super::table::elementary_functions;
use super::Real;

/// `f32` on micromath: fast and approximate. Measured worst error
/// `|got − exact| / max(1, |exact|)` against `f64` libm (by
/// `tests/tests/backend_accuracy.rs`; libm's `f32` functions stay below 2e-7):
///
/// | `exp` | `ln` | `sqrt` | `tanh` | `sin` | `cos` | `exp_m1` | `ln_1p` |
/// |---|---|---|---|---|---|---|---|
/// | 1.2e-3 | 6.1e-5 | 1.7e-3 | 1.1e-3 | 1.1e-3 | 1.1e-3 | 1.5e-3 | 6.1e-5 |
///
/// micromath's own `ln` is off by up to 0.12 below 1 and its `sqrt` by up to 6 %, so `ln`
/// goes through `−ln(1/x)` there, `sqrt` takes one Newton step, and `powf` of a positive
/// base goes through these. A gradient check of `f32` code on this backend needs a
/// tolerance of about 1e-2 (relative), against about 1e-3 on libm. Functions micromath lacks
/// (`tanh`, `exp_m1`, `ln_1p`, `sinh`, `cosh`, `asinh`, `acosh`, `atanh`,
/// `cbrt`, `exp2`) are built from its `exp`/`ln`/`powf`/`sqrt` here, and IEEE edge cases
/// (NaN, ±inf, 0) are handled before calling it so they stay exact.
impl Real for f32 {
    const BACKEND: &'static str = "micromath";
    float_common!(f32);
    elementary_functions!(float_method!((f32, here)));
}

/// `true` if rounding `x` to an integer cannot change it: NaN, ±∞, or `|x| ≥ 2²³`
/// (every such `f32` is already an integer). micromath's rounding goes through `i32`,
/// which would saturate there.
#[inline]
fn mm_integral(x: f32) -> bool {
    x.is_nan() || abs(x) >= 8_388_608.0
}

#[inline]
fn exp(x: f32) -> f32 {
    if x.is_nan() {
        x
    } else if x > 88.72 {
        f32::INFINITY
    } else if x < -103.0 {
        0.0
    } else {
        ::micromath::F32(x).exp().0
    }
}
#[inline]
fn ln(x: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        f32::NAN
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else if x >= 1.0 {
        ::micromath::F32(x).ln().0
    } else if x >= f32::MIN_POSITIVE {
        // micromath's `ln` is accurate only from 1 up (below, it is off by up to 0.12,
        // measured): ln x = −ln(1/x).
        -::micromath::F32(1.0 / x).ln().0
    } else {
        // Subnormal: scale by 2²⁴ first, so that 1/x stays finite.
        -::micromath::F32::ln(::micromath::F32(1.0 / (x * 16_777_216.0))).0
            - 24.0 * core::f32::consts::LN_2
    }
}
#[inline]
fn exp_m1(x: f32) -> f32 {
    if abs(x) < 1e-3 {
        x + 0.5 * x * x
    } else {
        exp(x) - 1.0
    }
}
#[inline]
fn ln_1p(x: f32) -> f32 {
    if abs(x) < 1e-3 {
        x - 0.5 * x * x
    } else {
        ln(1.0 + x)
    }
}
#[inline]
fn sqrt(x: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        f32::NAN
    } else if x == 0.0 || x == f32::INFINITY {
        x
    } else {
        // micromath's estimate is within about 6 %; one Newton step squares that.
        let y = ::micromath::F32(x).sqrt().0;
        0.5 * (y + x / y)
    }
}
#[inline]
fn tanh(x: f32) -> f32 {
    if x.is_nan() {
        x
    } else if x > 9.0 {
        1.0
    } else if x < -9.0 {
        -1.0
    } else {
        let e = exp_m1(2.0 * x);
        e / (e + 2.0)
    }
}
#[inline]
fn sin(x: f32) -> f32 {
    if !x.is_finite() {
        f32::NAN
    } else {
        ::micromath::F32(x).sin().0
    }
}
#[inline]
fn cos(x: f32) -> f32 {
    if !x.is_finite() {
        f32::NAN
    } else {
        ::micromath::F32(x).cos().0
    }
}
#[inline]
fn powf(x: f32, n: f32) -> f32 {
    if x.is_nan() || n.is_nan() {
        f32::NAN
    } else if x > 0.0 {
        // Through this backend's `ln`, which is accurate below 1 too.
        exp(n * ln(x))
    } else {
        ::micromath::F32(x).powf(::micromath::F32(n)).0
    }
}
#[inline]
fn powi(x: f32, n: i32) -> f32 {
    ::micromath::F32(x).powi(n).0
}
#[inline]
fn atan2(y: f32, x: f32) -> f32 {
    if y.is_nan() || x.is_nan() {
        f32::NAN
    } else {
        ::micromath::F32(y).atan2(::micromath::F32(x)).0
    }
}
#[inline]
fn abs(x: f32) -> f32 {
    ::micromath::F32(x).abs().0
}
#[inline]
fn floor(x: f32) -> f32 {
    ::micromath::F32(x).floor().0
}
#[inline]
fn ceil(x: f32) -> f32 {
    if mm_integral(x) {
        x
    } else {
        ::micromath::F32(x).ceil().0
    }
}
#[inline]
fn round(x: f32) -> f32 {
    if mm_integral(x) {
        x
    } else {
        ::micromath::F32(x).round().0
    }
}
#[inline]
fn trunc(x: f32) -> f32 {
    if mm_integral(x) {
        x
    } else {
        ::micromath::F32(x).trunc().0
    }
}
#[inline]
fn tan(x: f32) -> f32 {
    if !x.is_finite() {
        f32::NAN
    } else {
        ::micromath::F32(x).tan().0
    }
}
#[inline]
fn asin(x: f32) -> f32 {
    if x.is_nan() || abs(x) > 1.0 {
        f32::NAN
    } else {
        ::micromath::F32(x).asin().0
    }
}
#[inline]
fn acos(x: f32) -> f32 {
    if x.is_nan() || abs(x) > 1.0 {
        f32::NAN
    } else {
        // micromath keeps its `acos` private: π/2 − asin x.
        core::f32::consts::FRAC_PI_2 - ::micromath::F32(x).asin().0
    }
}
#[inline]
fn atan(x: f32) -> f32 {
    if x.is_nan() {
        x
    } else if x == f32::INFINITY {
        core::f32::consts::FRAC_PI_2
    } else if x == f32::NEG_INFINITY {
        -core::f32::consts::FRAC_PI_2
    } else {
        ::micromath::F32(x).atan().0
    }
}
#[inline]
fn sinh(x: f32) -> f32 {
    // (eˣ − e⁻ˣ)/2 written through exp_m1 so that it stays accurate near 0.
    let m = exp_m1(abs(x));
    let r = 0.5 * (m + m / (m + 1.0));
    if x.is_sign_negative() {
        -r
    } else {
        r
    }
}
#[inline]
fn cosh(x: f32) -> f32 {
    let e = exp(abs(x));
    0.5 * (e + 1.0 / e)
}
#[inline]
fn asinh(x: f32) -> f32 {
    if !x.is_finite() {
        return x;
    }
    let a = abs(x);
    let r = ln_1p(a + a * a / (1.0 + sqrt(1.0 + a * a)));
    if x.is_sign_negative() {
        -r
    } else {
        r
    }
}
#[inline]
fn acosh(x: f32) -> f32 {
    if x.is_nan() || x < 1.0 {
        f32::NAN
    } else {
        ln(x + sqrt(x * x - 1.0))
    }
}
#[inline]
fn atanh(x: f32) -> f32 {
    if x.is_nan() || abs(x) > 1.0 {
        f32::NAN
    } else {
        0.5 * ln_1p(2.0 * x / (1.0 - x))
    }
}
#[inline]
fn cbrt(x: f32) -> f32 {
    if x == 0.0 || !x.is_finite() {
        x
    } else {
        // micromath's powf is only a first guess (a few % off); two Newton steps on
        // r³ = a bring it to f32 precision.
        let a = abs(x);
        let mut r = powf(a, 1.0 / 3.0);
        for _ in 0..2 {
            r -= (r * r * r - a) / (3.0 * r * r);
        }
        if x < 0.0 {
            -r
        } else {
            r
        }
    }
}
#[inline]
fn exp2(x: f32) -> f32 {
    exp(x * core::f32::consts::LN_2)
}
#[inline]
fn log2(x: f32) -> f32 {
    ln(x) * core::f32::consts::LOG2_E
}
#[inline]
fn log10(x: f32) -> f32 {
    ln(x) * core::f32::consts::LOG10_E
}
#[inline]
fn hypot(x: f32, other: f32) -> f32 {
    if x.is_infinite() || other.is_infinite() {
        f32::INFINITY
    } else if x.is_nan() || other.is_nan() {
        f32::NAN
    } else {
        // Scale by the larger magnitude so the squares neither overflow nor underflow.
        let (a, b) = (abs(x), abs(other));
        let (big, small) = if a >= b { (a, b) } else { (b, a) };
        if big == 0.0 {
            0.0
        } else {
            let r = small / big;
            big * sqrt(1.0 + r * r)
        }
    }
}
