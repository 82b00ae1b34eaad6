//! [`Q16`]: a signed 32-bit fixed-point scalar with 16 fraction bits (Q16.16, the
//! `fixed` crate's [`I16F16`]) that implements [`Real`], for chips without an FPU
//! (the `fixed` feature).
//!
//! The format, the arithmetic and the special values are documented on [`Q16`].

use core::cmp::Ordering;
use core::fmt;
use core::num::NonZeroU64;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use fixed::types::I16F16;

use super::float::float_method;
use super::table::elementary_functions;
use super::{One, Real, Zero};

#[cfg(test)]
mod gradient_tests;
mod math;
#[cfg(test)]
mod tests;

use math::*;

/// NaN's bit pattern.
const NAN: i32 = i32::MIN;
/// `+∞`'s bit pattern (`−∞` is its negation).
const INF: i32 = i32::MAX;
/// `1`'s bit pattern.
const ONE: i32 = 1 << 16;

/// A Q16.16 fixed-point real: the `fixed` crate's [`I16F16`] with saturating,
/// non-panicking arithmetic whose overflow is reported as `±∞`.
///
/// # Format and range
///
/// A value is an `i32` `b` standing for `b / 2¹⁶`: steps of `2⁻¹⁶ ≈ 1.5e-5`, finite
/// values in `±(2¹⁵ − 2⁻¹⁶)`. Three bit patterns are set apart so that an overflow is
/// reported instead of wrapping or passing silently:
///
/// | bits | value |
/// |---|---|
/// | `i32::MAX` | `+∞` ([`Q16::INFINITY`]) |
/// | `−i32::MAX` | `−∞` ([`Q16::NEG_INFINITY`]) |
/// | `i32::MIN` | NaN ([`Q16::NAN`]) |
///
/// # Arithmetic
///
/// `+ − × ÷` round to nearest and **saturate**: a result beyond the finite range becomes
/// `±∞`, and `±∞`/NaN then propagate as in IEEE arithmetic (`∞ − ∞`, `0 × ∞`, `0 / 0`
/// are NaN; `x / 0` is `±∞`). No operation panics or wraps. Since `±∞` and NaN are not
/// [finite](Real::is_finite), an overflow anywhere in a step reaches the optimizer's one
/// magnitude read ([`Real::magnitude`]), which refuses the step with
/// [`Error::NonFinite`](crate::Error::NonFinite), as it does for an `f32` overflow: steps
/// stay all-or-nothing. A product smaller than `2⁻¹⁷` in magnitude rounds to 0: there
/// are no subnormals ([`Real::flushed`] is the identity).
///
/// A multiplication is one `32 × 32 → 64`-bit product, a shift and a range check; a
/// division one 64-bit unsigned division (of magnitudes, by a divisor that is non-zero
/// by type, so no panic path is compiled). See `core/src/real/fixed/math.rs` for the elementary functions
/// and their measured accuracy.
///
/// ```
/// use stackgrad::{Q16, Real};
/// let x = Q16::from_f64(1.5);
/// assert_eq!((x * x).to_f64(), 2.25);
/// // Overflow saturates to +∞, which is not finite: an optimizer refuses the step.
/// let big = Q16::from_f64(30000.0);
/// assert!(!(big + big).is_finite());
/// assert_eq!(big + big, Q16::INFINITY);
/// ```
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Q16(I16F16);

impl Q16 {
    /// `0` (all-zero bytes, so a zero-initialised `static` lands in `.bss`).
    pub const ZERO: Q16 = Q16::from_bits(0);
    /// `1`.
    pub const ONE: Q16 = Q16::from_bits(ONE);
    /// The step between two values, `2⁻¹⁶`.
    pub const EPSILON: Q16 = Q16::from_bits(1);
    /// The largest finite value, `2¹⁵ − 2⁻¹⁶`.
    pub const MAX: Q16 = Q16::from_bits(INF - 1);
    /// The smallest finite value, `−(2¹⁵ − 2⁻¹⁶)`.
    pub const MIN: Q16 = Q16::from_bits(-(INF - 1));
    /// `+∞`: what an overflow saturates to.
    pub const INFINITY: Q16 = Q16::from_bits(INF);
    /// `−∞`: what a negative overflow saturates to.
    pub const NEG_INFINITY: Q16 = Q16::from_bits(-INF);
    /// Not a number (`0/0`, `∞ − ∞`, `√−1`, ...).
    pub const NAN: Q16 = Q16::from_bits(NAN);

    /// The value whose bit pattern is `bits` (`bits / 2¹⁶`, or a special value: see
    /// [`Q16`]).
    #[inline]
    pub const fn from_bits(bits: i32) -> Q16 {
        Q16(I16F16::from_bits(bits))
    }
    /// The bit pattern.
    #[inline]
    pub const fn to_bits(self) -> i32 {
        self.0.to_bits()
    }
    /// The nearest value to `x` (halfway cases away from zero); NaN gives NaN, and
    /// values beyond the finite range `±(2¹⁵ − 2⁻¹⁶)` give `±∞`. A `const fn`, for
    /// `static`s (`Sgd::new(Q16::from_f64(0.05))`).
    pub const fn from_f64(x: f64) -> Q16 {
        // From the bit pattern, in integer arithmetic: no floating-point operation, so
        // no soft-float routine on a chip without an FPU.
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7FF) as i32;
        let fraction = bits & ((1 << 52) - 1);
        let magnitude = if exponent == 0x7FF {
            if fraction != 0 {
                return Q16::NAN;
            }
            INF
        } else if exponent == 0 {
            // Zero or subnormal: below 2⁻¹⁰²², which rounds to 0.
            0
        } else {
            // |x|·2¹⁶ = (2⁵² + fraction)·2^(exponent − 1075 + 16).
            let m = (1u64 << 52) | fraction;
            let shift = 1059 - exponent;
            if shift <= 0 {
                INF
            } else if shift > 54 {
                0
            } else {
                let r = (m + (1 << (shift - 1))) >> shift;
                if r >= INF as u64 {
                    INF
                } else {
                    r as i32
                }
            }
        };
        Q16::from_bits(if bits >> 63 == 1 {
            -magnitude
        } else {
            magnitude
        })
    }
    /// The value as an `f64` (exact; `±∞` and NaN as themselves).
    #[inline]
    pub fn to_f64(self) -> f64 {
        match self.to_bits() {
            NAN => f64::NAN,
            INF => f64::INFINITY,
            b if b == -INF => f64::NEG_INFINITY,
            _ => self.0.to_num::<f64>(),
        }
    }
    /// The `fixed` crate's value with the same bits (`±∞` and NaN become its extreme
    /// values).
    #[inline]
    pub const fn to_fixed(self) -> I16F16 {
        self.0
    }
    /// The value with the same bits as `x` (`I16F16::MAX` is `+∞`, `I16F16::MIN` is NaN
    /// and `−I16F16::MAX` is `−∞` here).
    #[inline]
    pub const fn from_fixed(x: I16F16) -> Q16 {
        Q16(x)
    }
}

/// `true` unless `b` is `±∞` or NaN.
#[inline(always)]
fn finite(b: i32) -> bool {
    b > -INF && b < INF
}

/// `true` unless `a` or `b` is `±∞` or NaN (without a branch between the two).
#[inline(always)]
fn both_finite(a: i32, b: i32) -> bool {
    finite(a) & finite(b)
}

/// An exact result as a value: beyond the finite range it saturates to `±∞`.
#[inline(always)]
fn narrow(v: i64) -> Q16 {
    Q16::from_bits(if v >= INF as i64 {
        INF
    } else if v <= -(INF as i64) {
        -INF
    } else {
        v as i32
    })
}

/// `a + b` where one of them is `±∞` or NaN.
#[cold]
#[inline(never)]
fn add_special(a: i32, b: i32) -> Q16 {
    Q16::from_bits(if a == NAN || b == NAN {
        NAN
    } else if finite(a) {
        b
    } else if finite(b) || a == b {
        a
    } else {
        NAN
    })
}

/// The sign of a product or quotient of `a` and `b`: `±∞`.
#[inline]
fn signed_infinity(a: i32, b: i32) -> Q16 {
    Q16::from_bits(if (a < 0) != (b < 0) { -INF } else { INF })
}

/// `a × b` where one of them is `±∞` or NaN.
#[cold]
#[inline(never)]
fn mul_special(a: i32, b: i32) -> Q16 {
    if a == NAN || b == NAN || a == 0 || b == 0 {
        Q16::NAN
    } else {
        signed_infinity(a, b)
    }
}

/// `a / b` where one of them is `±∞` or NaN, or `b` is 0.
#[cold]
#[inline(never)]
fn div_special(a: i32, b: i32) -> Q16 {
    if a == NAN || b == NAN || (a == 0 && b == 0) || (!finite(a) && !finite(b)) {
        Q16::NAN
    } else if !finite(b) {
        Q16::ZERO
    } else {
        // `a` infinite, or `b` zero: the sign of `a`, times that of a non-zero `b`.
        signed_infinity(a, if b == 0 { 1 } else { b })
    }
}

impl Add for Q16 {
    type Output = Q16;
    #[inline]
    fn add(self, other: Q16) -> Q16 {
        let (a, b) = (self.to_bits(), other.to_bits());
        if both_finite(a, b) {
            // Two finite values: the sum saturates at `i32::MAX` (+∞) or `i32::MIN`,
            // which is NaN's pattern, so it becomes −∞.
            let s = self.0.saturating_add(other.0).to_bits();
            Q16::from_bits(if s == NAN { -INF } else { s })
        } else {
            add_special(a, b)
        }
    }
}

impl Sub for Q16 {
    type Output = Q16;
    #[inline]
    fn sub(self, other: Q16) -> Q16 {
        self + -other
    }
}

impl Neg for Q16 {
    type Output = Q16;
    #[inline]
    fn neg(self) -> Q16 {
        // Finite values and ±∞ are symmetric; NaN's pattern `i32::MIN` negates to itself.
        Q16::from_bits(self.to_bits().wrapping_neg())
    }
}

impl Mul for Q16 {
    type Output = Q16;
    #[inline]
    fn mul(self, other: Q16) -> Q16 {
        let (a, b) = (self.to_bits(), other.to_bits());
        if both_finite(a, b) {
            narrow(mul_round(a, b))
        } else {
            mul_special(a, b)
        }
    }
}

/// `a·b / 2¹⁶` rounded to nearest (halfway up), exact, from four `16 × 16`-bit
/// products that fit 32 bits: Cortex-M0 has no `32 × 32 → 64` multiply, and the 64-bit
/// multiply routine (`__aeabi_lmul`) costs about twice as much (measured on the
/// emulated micro:bit).
#[inline(always)]
fn mul_round(a: i32, b: i32) -> i64 {
    // a = ah·2¹⁶ + al with ah signed and al in [0, 2¹⁶); the same for b. Then
    // a·b / 2¹⁶ = ah·bh·2¹⁶ + ah·bl + al·bh + al·bl / 2¹⁶, and rounding the sum rounds
    // only its last term (the others are integers).
    let (ah, al) = (a >> 16, a & 0xFFFF);
    let (bh, bl) = (b >> 16, b & 0xFFFF);
    // |ah·bl|, |al·bh| < 2³¹; al·bl + 2¹⁵ < 2³² (as unsigned).
    let low = ((al as u32 * bl as u32).wrapping_add(1 << 15) >> 16) as i64;
    (i64::from(ah * bh) << 16) + i64::from(ah * bl) + i64::from(al * bh) + low
}

impl Div for Q16 {
    type Output = Q16;
    #[inline]
    fn div(self, other: Q16) -> Q16 {
        let (a, b) = (self.to_bits(), other.to_bits());
        if both_finite(a, b) {
            if let Some(d) = NonZeroU64::new(u64::from(b.unsigned_abs())) {
                // Magnitudes, so that the division has no overflow case (and, with a
                // non-zero divisor by type, no panic path).
                let n = u64::from(a.unsigned_abs()) << 16;
                let (q, r) = (n / d, n % d);
                // Round to nearest, halfway away from zero.
                let q = (q + u64::from(2 * r >= d.get())) as i64;
                return narrow(if (a < 0) != (b < 0) { -q } else { q });
            }
        }
        div_special(a, b)
    }
}

macro_rules! assign {
    ($($tr:ident $f:ident $op:tt;)*) => {$(
        impl $tr for Q16 {
            #[inline]
            fn $f(&mut self, other: Q16) {
                *self = *self $op other;
            }
        }
    )*};
}
assign! {
    AddAssign add_assign +;
    SubAssign sub_assign -;
    MulAssign mul_assign *;
    DivAssign div_assign /;
}

impl PartialEq for Q16 {
    /// IEEE equality: NaN equals nothing, not even itself.
    #[inline]
    fn eq(&self, other: &Q16) -> bool {
        let (a, b) = (self.to_bits(), other.to_bits());
        a == b && a != NAN
    }
}

impl PartialOrd for Q16 {
    /// The order of the values (`−∞ <` finite `< +∞`); `None` if either is NaN.
    #[inline]
    fn partial_cmp(&self, other: &Q16) -> Option<Ordering> {
        let (a, b) = (self.to_bits(), other.to_bits());
        if a == NAN || b == NAN {
            None
        } else {
            Some(a.cmp(&b))
        }
    }
}

impl Zero for Q16 {
    #[inline]
    fn zero() -> Q16 {
        Q16::ZERO
    }
    #[inline]
    fn is_zero(&self) -> bool {
        self.to_bits() == 0
    }
}

impl One for Q16 {
    #[inline]
    fn one() -> Q16 {
        Q16::ONE
    }
}

impl Default for Q16 {
    fn default() -> Q16 {
        Q16::ZERO
    }
}

impl fmt::Display for Q16 {
    /// As the `f64` of the same value (exact: 16 fraction bits print in at most 16
    /// decimals), honouring the formatter's precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_f64(), f)
    }
}

impl fmt::Debug for Q16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_f64(), f)
    }
}

/// Q16.16 fixed point (the `fixed` feature): integer arithmetic only, for chips without
/// an FPU. See [`Q16`] and `real/fixed/math.rs` for each function's accuracy.
impl Real for Q16 {
    const BACKEND: &'static str = "fixed";
    const ZERO: Q16 = Q16::ZERO;
    const ZERO_ADD_EXACT: bool = true;

    #[inline]
    fn constant(x: f64) -> Q16 {
        Q16::from_f64(x)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        Q16::to_f64(self)
    }
    #[inline]
    fn nan() -> Q16 {
        Q16::NAN
    }
    #[inline]
    fn infinity() -> Q16 {
        Q16::INFINITY
    }
    /// The step between two values, `2⁻¹⁶`.
    #[inline]
    fn epsilon() -> Q16 {
        Q16::EPSILON
    }
    #[inline]
    fn is_nan(self) -> bool {
        self.to_bits() == NAN
    }
    #[inline]
    fn is_finite(self) -> bool {
        finite(self.to_bits())
    }
    /// Always `false`: fixed point has no subnormals.
    #[inline]
    fn is_subnormal(self) -> bool {
        false
    }
    /// The identity: fixed point has no subnormals.
    #[inline]
    fn flushed(self) -> Q16 {
        self
    }
    /// The largest `|bits|` in one integer pass: `±∞` (`±i32::MAX`) and NaN
    /// (`i32::MIN`) have the largest magnitudes of all patterns, so one comparison of
    /// the maximum tells whether every value is finite.
    #[inline]
    fn magnitude(xs: &[Q16]) -> f64 {
        let m = xs
            .iter()
            .fold(0u32, |m, x| m.max(x.to_bits().unsigned_abs()));
        if m >= INF as u32 {
            f64::NAN
        } else {
            I16F16::from_bits(m as i32).to_num::<f64>()
        }
    }
    #[inline]
    fn is_sign_negative(self) -> bool {
        self.to_bits() < 0
    }

    elementary_functions!(float_method!((Q16, here)));
}
