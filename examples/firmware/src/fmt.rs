//! A small, panic-free number printer, identical on every target.
//!
//! `core`'s float formatting (`{:e}`) costs about 10 KiB of flash and keeps `assert!`s
//! that a panic-free build cannot link. [`Sci`] prints an `f32` with 9 significant
//! digits (enough to tell any two `f32` apart) using `f64` arithmetic only, which is
//! IEEE-exact on every target (hardware or soft-float), so host and boards print the
//! same text for the same bits. Format: `-1.2345e-3`, `0e0`, `NaN`, `inf`.

use core::fmt::{self, Write};

/// Exact powers of ten in `f64` (10²² is the largest exact one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `10⁻ⁿ` rounded to `f64`, for `n` in `0..=22`.
const INV_POW10: [f64; 23] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];

/// `x · 10ⁿ`, by at most three multiplications (by exact powers of ten for `n > 0`, by
/// rounded reciprocals for `n < 0`: a few ulps of `f64`, far below the 9 digits printed).
/// Multiplying instead of dividing keeps `f64` division (about 900 bytes of soft-float
/// code on these chips) out of the firmware.
fn scale10(mut x: f64, n: i32) -> f64 {
    let table = if n > 0 { &POW10 } else { &INV_POW10 };
    let mut left = n.unsigned_abs() as usize;
    while left > 0 {
        let step = if left > 22 { 22 } else { left };
        x *= table.get(step).copied().unwrap_or(1.0);
        left -= step;
    }
    x
}

/// An `f32` printed with 9 significant digits, trailing zeros dropped.
#[derive(Clone, Copy, Debug)]
pub struct Sci(pub f32);

impl fmt::Display for Sci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_sci(f, self.0)
    }
}

/// Writes `x` as [`Sci`] does.
pub fn write_sci(out: &mut dyn Write, x: f32) -> fmt::Result {
    if x.is_nan() {
        return out.write_str("NaN");
    }
    if x.is_sign_negative() {
        out.write_str("-")?;
    }
    let a = f64::from(x).abs();
    if a == f64::INFINITY {
        return out.write_str("inf");
    }
    if a == 0.0 {
        return out.write_str("0e0");
    }
    // Decimal exponent k with 10ᵏ ≤ a < 10ᵏ⁺¹: estimate from the binary exponent
    // (log10 2 ≈ 1233/4096), then correct by one either way.
    let e2 = ((a.to_bits() >> 52) & 0x7FF) as i32 - 1023;
    let mut k = (e2 * 1233) >> 12;
    let mut m = scale10(a, 8 - k);
    for _ in 0..3 {
        if m >= 1e9 {
            k += 1;
        } else if m < 1e8 {
            k -= 1;
        } else {
            break;
        }
        m = scale10(a, 8 - k);
    }
    // Round half to even to 9 digits (m < 10⁹, so u32 holds it).
    let mut r = m as u32;
    let frac = m - r as f64;
    if frac > 0.5 || (frac == 0.5 && r % 2 == 1) {
        r += 1;
    }
    if r >= 1_000_000_000 {
        r /= 10;
        k += 1;
    }
    let mut digits = [b'0'; 9];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (r % 10) as u8;
        r /= 10;
    }
    let mut end = 9;
    while end > 1 && digits.get(end - 1) == Some(&b'0') {
        end -= 1;
    }
    for (i, &d) in digits.iter().take(end).enumerate() {
        if i == 1 {
            out.write_char('.')?;
        }
        out.write_char(char::from(d))?;
    }
    out.write_char('e')?;
    write_i64(out, i64::from(k))
}

/// `n / d` by shift-and-subtract, rounded down; `u64::MAX` if `d` is 0. A few dozen bytes
/// instead of the 64-bit division routine (about 900 bytes on 32-bit targets).
pub fn div_u64(n: u64, d: u64) -> u64 {
    if d == 0 {
        return u64::MAX;
    }
    let (mut q, mut r) = (0u64, 0u64);
    for i in (0..64).rev() {
        r = (r << 1) | ((n >> i) & 1);
        if r >= d {
            r -= d;
            q |= 1 << i;
        }
    }
    q
}

/// Writes an integer in decimal without `core::fmt`'s integer machinery.
pub fn write_i64(out: &mut dyn Write, v: i64) -> fmt::Result {
    if v < 0 {
        out.write_str("-")?;
    }
    write_u64(out, v.unsigned_abs())
}

/// Writes an unsigned integer in decimal.
pub fn write_u64(out: &mut dyn Write, v: u64) -> fmt::Result {
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut v = v;
    loop {
        let q = div_u64(v, 10);
        if let Some(slot) = digits.get_mut(n) {
            *slot = b'0' + (v - 10 * q) as u8;
            n += 1;
        }
        v = q;
        if v == 0 {
            break;
        }
    }
    for &d in digits.iter().take(n).rev() {
        out.write_char(char::from(d))?;
    }
    Ok(())
}

/// Writes `0x` and eight hexadecimal digits.
pub fn write_hex32(out: &mut dyn Write, v: u32) -> fmt::Result {
    out.write_str("0x")?;
    for shift in (0..8).rev() {
        let d = ((v >> (4 * shift)) & 0xF) as u8;
        out.write_char(char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 }))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn s(x: f32) -> String {
        let mut out = String::new();
        write_sci(&mut out, x).unwrap();
        out
    }

    #[test]
    fn prints_specials_and_simple_values() {
        assert_eq!(s(0.0), "0e0");
        assert_eq!(s(-0.0), "-0e0");
        assert_eq!(s(f32::NAN), "NaN");
        assert_eq!(s(f32::INFINITY), "inf");
        assert_eq!(s(f32::NEG_INFINITY), "-inf");
        assert_eq!(s(1.0), "1e0");
        assert_eq!(s(6.0), "6e0");
        assert_eq!(s(-2.5), "-2.5e0");
        assert_eq!(s(0.125), "1.25e-1");
        assert_eq!(s(1e10), "1e10");
        assert_eq!(s(f32::MAX), "3.40282347e38");
        assert_eq!(s(f32::MIN_POSITIVE), "1.17549435e-38");
        assert_eq!(s(1e-45), "1.40129846e-45");
        let mut out = String::new();
        write_u64(&mut out, 0).unwrap();
        write_u64(&mut out, 1234567890123).unwrap();
        write_hex32(&mut out, 0xdead_00f1).unwrap();
        write_i64(&mut out, -42).unwrap();
        assert_eq!(out, "012345678901230xdead00f1-42");
        for (n, d) in [
            (0u64, 1u64),
            (7, 2),
            (u64::MAX, 10),
            (123_456_789_012, 26_214),
            (5, 9),
        ] {
            assert_eq!(div_u64(n, d), n / d);
        }
        assert_eq!(div_u64(1, 0), u64::MAX);
    }

    #[test]
    fn nine_digits_round_trip_every_sampled_f32() {
        let mut bits: u32 = 1;
        for _ in 0..200_000 {
            bits ^= bits << 13;
            bits ^= bits >> 17;
            bits ^= bits << 5;
            let x = f32::from_bits(bits);
            if !x.is_finite() {
                continue;
            }
            let text = s(x);
            let back: f32 = text.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{x:e} printed as {text}");
        }
    }
}
