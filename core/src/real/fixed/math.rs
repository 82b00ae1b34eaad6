//! The elementary functions of [`Q16`], one a row of the table under the row's name;
//! the `Real` impl calls them.
//!
//! The ones training uses (`exp`, `exp2`, `ln`, `log2`, `log10`, `sqrt`, `tanh`, and
//! `abs`, `floor`, `ceil`, `round`, `trunc`, `hypot`, `powi`) are integer arithmetic in
//! 30 fraction bits, then one rounding to 16: `exp` of a non-positive argument (softmax,
//! sigmoid, `tanh`) is two entries of tables computed by the compiler (1 KiB of flash)
//! and two products; a positive one a range reduction and a series.
//!
//! Instructions per call on the emulated Cortex-M0 (micro:bit, `-icount shift=0`,
//! including about 25 of call overhead), against `f32` on libm in software:
//! `×` 69 (`f32` 123), `+` 29 (148), `÷` 378 (184), `exp` 108 (2353), `tanh` 350
//! (4214), `ln` 1090 when it divided in 64 bits; its Newton reciprocal
//! ([`atanh_arg`]) took 336 instructions off each `train_fixed` step, tape and compiled
//! (one `ln` per step). The ones built on them
//! (`exp_m1`, `ln_1p`, `cbrt`, `powf`) add the rounding of one
//! more `Q16` operation. The trigonometric and inverse hyperbolic functions, and `sinh`
//! and `cosh`, which no layer, loss or optimizer of stackgrad calls, go through `f64`
//! libm (`Q16 → f64 → libm → Q16`): exact to the last bit, but software `f64` on a chip
//! without an FPU, so hundreds of instructions more.
//!
//! Worst error in units of `2⁻¹⁶` against `f64` libm of the same input, on a sweep of
//! the domain, as measured and asserted by `real/fixed/tests.rs` (0.5 is exact rounding):
//!
//! | `exp` (result ≤ 1) | `exp` (relative) | `ln` | `sqrt` | `tanh` | `hypot` | `log2` | `exp2` (relative) |
//! |---|---|---|---|---|---|---|---|
//! | 0.51 | 2e-7 | 0.52 | 0.50 | 0.51 | 0.50 | 0.53 | 2e-7 |
//!
//! Overflow gives `±∞` (`exp(10.4)`, `cosh(11)`), as the float functions do past their
//! range; a NaN argument gives NaN; out-of-domain arguments give what the table says
//! for floats (`ln(0) = −∞`, `√−1` is NaN).

use super::{finite, narrow, INF, NAN, ONE, Q16};

/// `ln 2` with 30 fraction bits.
const LN2_Q30: i64 = 744_261_118;
/// `log₂ e` with 30 fraction bits.
const LOG2E_Q30: i64 = 1_549_082_005;
/// `1` with 30 fraction bits.
const ONE_Q30: i64 = 1 << 30;
/// `√2` with 30 fraction bits.
const SQRT2_Q30: i64 = 1_518_500_250;
/// `1/k!` for `k = 0..=6`, with 30 fraction bits: `eʳ` for `|r| ≤ ln2/2` to 2e-7
/// relative (the first omitted term, `r⁷/7!`, is below 1.2e-7 there).
const EXP_TAYLOR: [i64; 7] = [
    1_073_741_824,
    1_073_741_824,
    536_870_912,
    178_956_971,
    44_739_243,
    8_947_849,
    1_491_308,
];
/// The smallest bit pattern whose `exp` is at least `2¹⁵` (`ln 2¹⁵ = 10.3972...`): +∞.
const EXP_OVERFLOW: i32 = 681_392;
/// Below `−12`, `eˣ < 2⁻¹⁷`, which rounds to 0.
const EXP_UNDERFLOW: i32 = -12 * ONE;

#[inline]
fn bits(x: Q16) -> i32 {
    x.to_bits()
}

/// `a × b` of two numbers with 30 fraction bits, rounded.
#[inline]
fn mul30(a: i64, b: i64) -> i64 {
    (a * b + (1 << 29)) >> 30
}

/// `v / 2ˢ`, rounded to nearest (halfway up); `v·2` for `s < 0`.
#[inline]
fn shift_round(v: i64, s: i32) -> i64 {
    if s >= 62 {
        0
    } else if s > 0 {
        (v + (1 << (s - 1))) >> s
    } else {
        v << (-s).min(1)
    }
}

/// The value of `f(x)` computed in `f64` by libm: the slow, exact route of the functions
/// training does not use.
#[inline]
fn via_f64(x: Q16, f: fn(f64) -> f64) -> Q16 {
    Q16::from_f64(f(x.to_f64()))
}

/// `eˣ`, to 2e-7 relative plus the final rounding (half a step). `+∞` from
/// `x ≥ ln 2¹⁵ ≈ 10.397`, 0 below `−12` and for `−∞`; NaN gives NaN.
pub(super) fn exp(x: Q16) -> Q16 {
    let b = bits(x);
    if b == NAN {
        return x;
    }
    if b >= EXP_OVERFLOW {
        return Q16::INFINITY;
    }
    if b < EXP_UNDERFLOW {
        return Q16::ZERO;
    }
    if b <= 0 {
        // The common case (softmax, sigmoid, tanh): two table entries and a product.
        return Q16::from_bits(((exp_neg_q30(b.unsigned_abs()) + (1 << 13)) >> 14) as i32);
    }
    let (p, k) = exp_parts(b);
    // p has 30 fraction bits; 2ᵏ·p with 16: shift by 14 − k (k ∈ [0, 15]).
    narrow(shift_round(p, 14 - k))
}

/// `e^(−1/16)` with 62 fraction bits.
const E_M1_16_Q62: u128 = 4_332_278_087_304_955_805;
/// `e^(−1/1024)` with 62 fraction bits.
const E_M1_1024_Q62: u128 = 4_607_184_617_107_619_806;
/// `e^(−h/16)` for `h = 0..=208` (down to `e⁻¹³`), with 30 fraction bits.
static EXP_COARSE: [u32; 209] = powers(E_M1_16_Q62);
/// `e^(−m/1024)` for `m = 0..64`, with 30 fraction bits.
static EXP_FINE: [u32; 64] = powers(E_M1_1024_Q62);

/// `cⁱ` for `i = 0..N` with 30 fraction bits, from `c` with 62, computed by the
/// compiler in 62 bits (the 208 roundings add up to less than `2⁻⁵⁴`).
const fn powers<const N: usize>(c: u128) -> [u32; N] {
    let mut t = [0u32; N];
    let mut v: u128 = 1 << 62;
    let mut i = 0;
    while i < N {
        t[i] = ((v + (1 << 31)) >> 32) as u32;
        v = (v * c + (1 << 61)) >> 62;
        i += 1;
    }
    t
}

/// The exact product of two `u32`, from four `16 × 16`-bit products (Cortex-M0 has no
/// `32 × 32 → 64` multiply).
#[inline(always)]
fn wide(a: u32, b: u32) -> u64 {
    let (ah, al, bh, bl) = (a >> 16, a & 0xFFFF, b >> 16, b & 0xFFFF);
    (u64::from(ah * bh) << 32)
        + ((u64::from(ah * bl) + u64::from(al * bh)) << 16)
        + u64::from(al * bl)
}

/// `a·b` of two numbers with 30 fraction bits, rounded.
#[inline(always)]
fn mulhi30(a: u32, b: u32) -> u32 {
    ((wide(a, b) + (1 << 29)) >> 30) as u32
}

/// `e^(−n/2¹⁶)` with 30 fraction bits, for `n ≤ 13·2¹⁶`: `e^(−h/16)·e^(−m/1024)` from
/// the tables, times `1 − l/2¹⁶` for the last 6 bits `l` (whose error, `(l/2¹⁶)²/2`,
/// is below 5e-7 relative).
#[inline]
fn exp_neg_q30(n: u32) -> u32 {
    let coarse = EXP_COARSE.get((n >> 12) as usize).copied().unwrap_or(0);
    let fine = EXP_FINE.get(((n >> 6) & 63) as usize).copied().unwrap_or(0);
    mulhi30(mulhi30(coarse, fine), (1 << 30) - ((n & 63) << 14))
}

/// `eˣ = 2ᵏ·p` for the bit pattern `b` of a finite `x`: `k = round(x / ln 2)` and `p = eʳ`
/// in `[√½, √2]` with 30 fraction bits, `r = x − k·ln 2`.
#[inline]
fn exp_parts(b: i32) -> (i64, i32) {
    let k = ((i64::from(b) * LOG2E_Q30 + (1 << 45)) >> 46) as i32;
    (exp_taylor((i64::from(b) << 14) - i64::from(k) * LN2_Q30), k)
}

/// `eʳ` for `|r| ≤ ln2/2`, both with 30 fraction bits.
#[inline]
fn exp_taylor(r: i64) -> i64 {
    let mut p = EXP_TAYLOR[6];
    for &c in EXP_TAYLOR[..6].iter().rev() {
        p = c + mul30(p, r);
    }
    p
}

/// `2ˣ` as `2ᵏ·e^((x − k)·ln 2)` with `k = round(x)`, to 2e-7 relative plus the final
/// rounding. `+∞` from `x ≥ 15`, 0 below `−18`.
pub(super) fn exp2(x: Q16) -> Q16 {
    let b = bits(x);
    if b == NAN {
        x
    } else if b >= 15 * ONE {
        Q16::INFINITY
    } else if b < -18 * ONE {
        Q16::ZERO
    } else {
        let k = (b + ONE / 2) >> 16;
        let p = exp_taylor(mul30(i64::from(b - (k << 16)) << 14, LN2_Q30));
        narrow(shift_round(p, 14 - k))
    }
}

/// `eˣ − 1`: as [`exp`], minus 1 (exact in fixed point, where the error is absolute).
pub(super) fn exp_m1(x: Q16) -> Q16 {
    exp(x) - Q16::ONE
}

/// Natural logarithm, within 0.52 of a step. `ln 0 = −∞`, `ln(+∞) = +∞`, negative
/// values and NaN give NaN.
pub(super) fn ln(x: Q16) -> Q16 {
    log_by(x, ONE_Q30)
}

/// `ln x · c` (`c` with 30 fraction bits), rounded once; `ln`'s edge cases.
fn log_by(x: Q16, c: i64) -> Q16 {
    let b = bits(x);
    if b < 0 {
        // Negative, −∞ and NaN (whose pattern is negative).
        return Q16::NAN;
    }
    if b == 0 {
        return Q16::NEG_INFINITY;
    }
    if b == INF {
        return x;
    }
    let r = ln_q30(b);
    // |r| < 2³⁴: scaled by c in 22 fraction bits, so the product fits 64 bits.
    let r = if c == ONE_Q30 {
        r
    } else {
        ((r >> 8) * c + (1 << 21)) >> 22
    };
    narrow(shift_round(r, 14))
}

/// `ln(b·2⁻¹⁶)` with 30 fraction bits, for `0 < b < i32::MAX`.
fn ln_q30(b: i32) -> i64 {
    // x = 2ᵉ·m with m ∈ [1, 2) in 30 fraction bits, then m ∈ [√½, √2).
    let top = 31 - (b as u32).leading_zeros() as i32;
    let mut m = i64::from(b) << (30 - top);
    let mut e = top - 16;
    if m > SQRT2_Q30 {
        m >>= 1;
        e += 1;
    }
    // ln m = 2 atanh(s), s = (m − 1)/(m + 1) ∈ [−0.172, 0.172]:
    // 2(s + s³/3 + s⁵/5 + s⁷/7), next term below 3e-8.
    let s = atanh_arg(m);
    let s2 = mul30(s, s);
    let mut p = ONE_Q30 / 7;
    for c in [ONE_Q30 / 5, ONE_Q30 / 3, ONE_Q30] {
        p = c + mul30(p, s2);
    }
    i64::from(e) * LN2_Q30 + 2 * mul30(s, p)
}

/// `(m − 1)/(m + 1)` with 30 fraction bits, for `m ∈ [√½, √2]` with 30 fraction bits.
///
/// With `d = (m + 1)/2 ∈ [0.854, 1.208]`, `r = 1/d` by Newton's method,
/// `r ← r·(2 − d·r)`, from the minimax linear guess `α − β·d` on that interval
/// (`β = 8/(4ab + (a + b)²)`, `α = β(a + b)`: relative error at most 0.0150, squared by
/// each step, so 3 steps leave rounding only), then `(m − 1)·r/2`: multiplications
/// instead of a 64-bit division, as in [`tanh`].
#[inline]
fn atanh_arg(m: i64) -> i64 {
    let d = ((m + ONE_Q30) >> 1) as u32;
    let mut r = 2_115_403_464u32 - mulhi30(1_026_565_900, d);
    for _ in 0..3 {
        r = mulhi30(r, (2u32 << 30) - mulhi30(d, r));
    }
    let n = m - ONE_Q30;
    let q = ((wide(n.unsigned_abs() as u32, r) + (1 << 30)) >> 31) as i64;
    if n < 0 {
        -q
    } else {
        q
    }
}

/// `ln(1 + x)`: [`ln`] of `1 + x` (exact in fixed point). `x = −1` gives `−∞`, `x < −1`
/// NaN.
pub(super) fn ln_1p(x: Q16) -> Q16 {
    if bits(x) > Q16::MAX.to_bits() - ONE && finite(bits(x)) {
        // 1 + x would saturate: ln(1 + x) and ln x differ by less than 2⁻¹⁵ there.
        ln(x)
    } else {
        ln(Q16::ONE + x)
    }
}

/// `log₂ x` as `ln x · log₂ e`, rounded once (within 0.53 of a step).
pub(super) fn log2(x: Q16) -> Q16 {
    log_by(x, LOG2E_Q30)
}

/// `log₁₀ x` as `ln x · log₁₀ e`, rounded once (within 0.53 of a step).
pub(super) fn log10(x: Q16) -> Q16 {
    log_by(x, 466_320_149)
}

/// `⌊√n⌉` (rounded to nearest) of a 64-bit integer, digit by digit.
pub(super) fn isqrt_round(n: u64) -> u64 {
    let mut rem = n;
    let mut root = 0u64;
    let mut bit = 1u64 << 62;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    // rem = n − root²; round up when n ≥ (root + ½)², i.e. rem > root.
    if rem > root {
        root + 1
    } else {
        root
    }
}

/// Square root, correctly rounded (within half a step). Negative values give NaN,
/// `√(+∞) = +∞`.
pub(super) fn sqrt(x: Q16) -> Q16 {
    let b = bits(x);
    if b < 0 {
        Q16::NAN
    } else if b == INF {
        x
    } else {
        // √(b·2⁻¹⁶) = √(b·2¹⁶)·2⁻¹⁶.
        Q16::from_bits(isqrt_round((b as u64) << 16) as i32)
    }
}

/// Cube root as `sign · e^(ln|x| / 3)` (relative error about 1e-5).
pub(super) fn cbrt(x: Q16) -> Q16 {
    let b = bits(x);
    if b == 0 || !finite(b) {
        return x;
    }
    let r = exp(ln(x.abs_value()) / Q16::from_bits(3 * ONE));
    if b < 0 {
        -r
    } else {
        r
    }
}

/// `xⁿ` by repeated squaring (each product rounded; overflow gives `±∞`). `x⁰ = 1`,
/// also for NaN, as IEEE `pow` does.
pub(super) fn powi(x: Q16, n: i32) -> Q16 {
    let mut k = n.unsigned_abs();
    let (mut acc, mut base) = (Q16::ONE, x);
    while k > 0 {
        if k & 1 == 1 {
            acc *= base;
        }
        k >>= 1;
        if k > 0 {
            base *= base;
        }
    }
    if n < 0 {
        Q16::ONE / acc
    } else {
        acc
    }
}

/// `xʸ`: `e^(y·ln x)` for `x > 0`; [`powi`] for a negative `x` and an integer `y`
/// (NaN for a non-integer `y`); `0ʸ` is 0 for `y > 0` and `+∞` for `y < 0`; `x⁰ = 1`.
pub(super) fn powf(x: Q16, y: Q16) -> Q16 {
    let (b, e) = (bits(x), bits(y));
    if e == 0 {
        Q16::ONE
    } else if b == NAN || e == NAN {
        Q16::NAN
    } else if b > 0 {
        exp(y * ln(x))
    } else if b == 0 {
        if e > 0 {
            Q16::ZERO
        } else {
            Q16::INFINITY
        }
    } else if finite(e) && e & (ONE - 1) == 0 {
        powi(x, e >> 16)
    } else {
        Q16::NAN
    }
}

/// Sine, through `f64` libm.
pub(super) fn sin(x: Q16) -> Q16 {
    via_f64(x, libm::sin)
}
/// Cosine, through `f64` libm.
pub(super) fn cos(x: Q16) -> Q16 {
    via_f64(x, libm::cos)
}
/// Tangent, through `f64` libm.
pub(super) fn tan(x: Q16) -> Q16 {
    via_f64(x, libm::tan)
}
/// Arcsine, through `f64` libm.
pub(super) fn asin(x: Q16) -> Q16 {
    via_f64(x, libm::asin)
}
/// Arccosine, through `f64` libm.
pub(super) fn acos(x: Q16) -> Q16 {
    via_f64(x, libm::acos)
}
/// Arctangent, through `f64` libm.
pub(super) fn atan(x: Q16) -> Q16 {
    via_f64(x, libm::atan)
}
/// Four-quadrant arctangent of `y / x`, through `f64` libm.
pub(super) fn atan2(y: Q16, x: Q16) -> Q16 {
    Q16::from_f64(libm::atan2(y.to_f64(), x.to_f64()))
}
/// Hyperbolic sine, through `f64` libm.
pub(super) fn sinh(x: Q16) -> Q16 {
    via_f64(x, libm::sinh)
}
/// Hyperbolic cosine, through `f64` libm.
pub(super) fn cosh(x: Q16) -> Q16 {
    via_f64(x, libm::cosh)
}
/// Inverse hyperbolic sine, through `f64` libm.
pub(super) fn asinh(x: Q16) -> Q16 {
    via_f64(x, libm::asinh)
}
/// Inverse hyperbolic cosine, through `f64` libm.
pub(super) fn acosh(x: Q16) -> Q16 {
    via_f64(x, libm::acosh)
}
/// Inverse hyperbolic tangent, through `f64` libm.
pub(super) fn atanh(x: Q16) -> Q16 {
    via_f64(x, libm::atanh)
}

/// From here up (`|x| ≥ 6.238`), `tanh x > 1 − 2⁻¹⁷`, which rounds to 1.
const TANH_ONE: i32 = 408_835;

/// Hyperbolic tangent, within 0.51 of a step: `(1 − e)/(1 + e)` with `e = e^(−2|x|)`
/// in 30 fraction bits. Exactly `±1` from `|x| ≈ 6.238` up.
pub(super) fn tanh(x: Q16) -> Q16 {
    let b = bits(x);
    if b == NAN {
        return x;
    }
    let a = b.unsigned_abs().min(INF as u32) as i32;
    let t = if a >= TANH_ONE {
        ONE
    } else {
        // e ∈ (0, 1] with 30 fraction bits; (1 + e)/2 ∈ [½, 1].
        let e = exp_neg_q30(2 * a as u32);
        let half = (ONE_Q30 as u32 + e) >> 1;
        // r = 1/half by Newton's method, r ← r·(2 − half·r), from the linear guess
        // 48/17 − 32/17·half (error ≤ 1/17, squared by each step: 3 steps reach 2⁻³⁰),
        // instead of a 64-bit division (half the instructions on Cortex-M0).
        let mut r = 3_031_741_621u32 - mulhi30(2_021_161_080, half);
        for _ in 0..3 {
            r = mulhi30(r, (2u32 << 30) - mulhi30(half, r));
        }
        // tanh = (1 − e)/(1 + e) = (1 − e)·r/2, rounded to 16 fraction bits.
        ((wide(ONE_Q30 as u32 - e, r) + (1 << 44)) >> 45) as i32
    };
    Q16::from_bits(if b < 0 { -t } else { t })
}

/// `√(x² + y²)`, correctly rounded: the squares are exact in 64 bits. Either argument
/// `±∞` gives `+∞` (also with a NaN); otherwise NaN gives NaN.
pub(super) fn hypot(x: Q16, y: Q16) -> Q16 {
    let (a, b) = (bits(x), bits(y));
    if (a != NAN && !finite(a)) || (b != NAN && !finite(b)) {
        Q16::INFINITY
    } else if a == NAN || b == NAN {
        Q16::NAN
    } else {
        let (a, b) = (u64::from(a.unsigned_abs()), u64::from(b.unsigned_abs()));
        narrow(isqrt_round(a * a + b * b) as i64)
    }
}

/// Absolute value (`|−∞| = +∞`; NaN stays NaN).
pub(super) fn abs(x: Q16) -> Q16 {
    x.abs_value()
}

/// The low 16 bits: the fraction.
const FRACTION: i32 = ONE - 1;

/// Largest integer not greater than `x`; `±∞` and NaN unchanged.
pub(super) fn floor(x: Q16) -> Q16 {
    let b = bits(x);
    if finite(b) {
        Q16::from_bits(b & !FRACTION)
    } else {
        x
    }
}

/// Smallest integer not less than `x`; `±∞` and NaN unchanged (`ceil(32767.5)` is
/// `+∞`: 32768 is beyond the range).
pub(super) fn ceil(x: Q16) -> Q16 {
    let b = bits(x);
    if finite(b) && b & FRACTION != 0 {
        narrow(i64::from(b & !FRACTION) + i64::from(ONE))
    } else {
        x
    }
}

/// Nearest integer, halfway cases away from zero; `±∞` and NaN unchanged.
pub(super) fn round(x: Q16) -> Q16 {
    let b = bits(x);
    if !finite(b) {
        return x;
    }
    let r = (i64::from(b.unsigned_abs()) + i64::from(ONE / 2)) & !i64::from(FRACTION);
    narrow(if b < 0 { -r } else { r })
}

/// Integer part (toward zero); `±∞` and NaN unchanged.
pub(super) fn trunc(x: Q16) -> Q16 {
    let b = bits(x);
    if !finite(b) {
        return x;
    }
    let r = (b.unsigned_abs() as i32) & !FRACTION;
    Q16::from_bits(if b < 0 { -r } else { r })
}

impl Q16 {
    /// `|x|`: `|−∞| = +∞`, NaN stays NaN.
    #[inline]
    fn abs_value(self) -> Q16 {
        let b = bits(self);
        if b == NAN {
            self
        } else {
            Q16::from_bits(b.abs())
        }
    }
}
