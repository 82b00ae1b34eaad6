//! What `f32` and `f64` share in every backend: the items of [`Real`](super::Real) that
//! are not elementary functions, and the generator of the elementary ones from the table.

/// The items of `Real` that are the same for a float type on every backend.
macro_rules! float_common {
    ($t:ty) => {
        const ZERO: Self = 0.0;
        #[inline]
        fn constant(x: f64) -> Self {
            x as $t
        }
        #[inline]
        fn to_f64(self) -> f64 {
            self as f64
        }
        #[inline]
        fn epsilon() -> Self {
            <$t>::EPSILON
        }
        #[inline]
        fn is_nan(self) -> bool {
            <$t>::is_nan(self)
        }
        #[inline]
        fn is_finite(self) -> bool {
            <$t>::is_finite(self)
        }
        #[inline]
        fn is_subnormal(self) -> bool {
            <$t>::is_subnormal(self)
        }
        #[inline]
        fn flushed(self) -> Self {
            let bits = self.to_bits();
            let exponent = <$t>::INFINITY.to_bits();
            let sign = (-0.0 as $t).to_bits();
            // A zero exponent field: zero or subnormal, both become the signed zero.
            // Written as a mask rather than a branch, so that a loop of it vectorises.
            // `all`: every bit set where the exponent field is zero, none elsewhere;
            // the value keeps every bit outside `all & !sign`.
            let all = (bits ^ bits).wrapping_sub(<_>::from(bits & exponent == 0));
            <$t>::from_bits(bits & !(all & !sign))
        }
        #[inline]
        fn flushed_non_negative(self) -> Self {
            // A mask of the pattern rather than a choice between values: the compiler
            // moved a choice past the square root a caller takes of the result (one more
            // instruction per four values in Adam's loop). `x < min` is false for NaN,
            // which stays.
            let bits = self.to_bits();
            let clear = (bits ^ bits).wrapping_sub(<_>::from(self < <$t>::MIN_POSITIVE));
            <$t>::from_bits(bits & !clear)
        }
        #[inline]
        fn magnitude(xs: &[Self]) -> f64 {
            <$t as Magnitude>::of(xs)
        }
        #[inline]
        fn is_sign_negative(self) -> bool {
            <$t>::is_sign_negative(self)
        }
    };
}
pub(super) use float_common;

/// One row of the table as a method of `Real`, if the row is in `Real` (`= libm`).
/// Modes: `(f64, libm)` and `(f32, libm)` call libm's function named in the row (an
/// `i32` exponent converted to the float); `(T, here)` calls the function of the row's
/// own name in the module where the impl is (`real/micromath.rs` for `f32`,
/// `real/fixed/math.rs` for [`Q16`](super::Q16)).
macro_rules! float_method {
    ((f64, libm) $(#[$d:meta])* fn $name:ident($a:ident: i32) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self, $a: i32) -> Self {
            super::libm_fns::$f(self, $a as f64)
        }
    };
    ((f64, libm) $(#[$d:meta])* fn $name:ident($($a:ident: Self),*) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self $(, $a: Self)*) -> Self {
            super::libm_fns::$f(self $(, $a)*)
        }
    };
    ((f32, libm) $(#[$d:meta])* fn $name:ident($a:ident: i32) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self, $a: i32) -> Self {
            super::libm_fns::$g(self, $a as f32)
        }
    };
    ((f32, libm) $(#[$d:meta])* fn $name:ident($($a:ident: Self),*) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self $(, $a: Self)*) -> Self {
            super::libm_fns::$g(self $(, $a)*)
        }
    };
    (($ty:ident, here) $(#[$d:meta])* fn $name:ident($($a:ident: $t:ty),*) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self $(, $a: $t)*) -> Self {
            $name(self $(, $a)*)
        }
    };
    ($mode:tt $($rest:tt)*) => {};
}
pub(super) use float_method;

/// [`Real::magnitude`](super::Real::magnitude) for a float type: one branch-free integer
/// maximum over keys of the bit patterns. With the sign bit cleared, the patterns order
/// as the magnitudes do, and every non-finite value's pattern is above every finite
/// one's.
pub(super) trait Magnitude: Sized {
    fn of(xs: &[Self]) -> f64;
}

impl Magnitude for f32 {
    /// On a target with 128-bit vector registers (x86-64, AArch64) the key is the top 16
    /// bits of the pattern without its sign (the exponent and seven mantissa bits), so
    /// the maximum runs on sixteen-bit lanes: eight values per SSE2 instruction
    /// (`pmaxsw`), about 1.25 instructions per value against 2.4 for full 32-bit keys,
    /// for which SSE2 has no `max`. The result is the largest float with the winning
    /// key: an upper bound within 2⁻⁷ of the largest magnitude, which is all a bound
    /// proof needs. Elsewhere (a microcontroller, whose sixteen lanes would not fit its
    /// registers) the key is the whole pattern, and the maximum exact.
    #[inline]
    fn of(xs: &[f32]) -> f64 {
        if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
            top_16_bits(xs)
        } else {
            whole_pattern(xs)
        }
    }
}

/// [`Magnitude::of`] for `f32` on the whole pattern: exact.
#[inline]
pub(super) fn whole_pattern(xs: &[f32]) -> f64 {
    let key = |x: &f32| (x.to_bits() & 0x7FFF_FFFF).cast_signed();
    let m = f32::from_bits(lanes_max::<_, _, 8>(xs, key, 0).cast_unsigned());
    if m.is_finite() {
        f64::from(m)
    } else {
        f64::NAN
    }
}

/// The maximum of `key` over `xs` (`zero` for none), in `L` lanes so that it vectorises.
#[inline]
fn lanes_max<X, K: Ord + Copy, const L: usize>(xs: &[X], key: impl Fn(&X) -> K, zero: K) -> K {
    let mut lanes = [zero; L];
    let mut chunks = xs.chunks_exact(L);
    for c in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(c) {
            *l = (*l).max(key(x));
        }
    }
    for (l, x) in lanes.iter_mut().zip(chunks.remainder()) {
        *l = (*l).max(key(x));
    }
    lanes.into_iter().fold(zero, K::max)
}

/// [`Magnitude::of`] for `f32` on sixteen-bit keys.
///
/// The body runs over sixteen values at a time: written as the sixteen-bit halves of each
/// pattern in a vector register's order (low, high), the compiler drops the unused low
/// halves and packs the high ones two registers into one, about one instruction per
/// value (a maximum in sixteen lanes of keys alone packed half-empty registers: 1.25).
#[inline]
pub(super) fn top_16_bits(xs: &[f32]) -> f64 {
    const LANES: usize = 16;
    // halves[i]: the maxima of the low and the high half of lane i's patterns.
    let mut halves = [[0i16; 2]; LANES];
    let (body, rest) = xs.as_chunks::<LANES>();
    for c in body {
        for (h, x) in halves.iter_mut().zip(c) {
            let b = x.to_bits() & 0x7FFF_FFFF;
            h[0] = h[0].max(b as u16 as i16);
            h[1] = h[1].max((b >> 16) as i16);
        }
    }
    let high = |x: &f32| (x.to_bits() >> 16) as i16 & 0x7FFF;
    let body_top = halves.iter().fold(0, |m, h| m.max(h[1]));
    let top = rest
        .iter()
        .map(high)
        .fold(body_top, i16::max)
        .cast_unsigned();
    // Keys from 0x7F80 up are ±∞ and NaN.
    if xs.is_empty() {
        0.0
    } else if top >= 0x7F80 {
        f64::NAN
    } else {
        f64::from(f32::from_bits(u32::from(top) << 16 | 0xFFFF))
    }
}

impl Magnitude for f64 {
    /// The whole pattern without its sign: exact.
    #[inline]
    fn of(xs: &[f64]) -> f64 {
        let key = |x: &f64| (x.to_bits() & !(-0.0f64).to_bits()).cast_signed();
        let m = f64::from_bits(lanes_max::<_, _, 8>(xs, key, 0).cast_unsigned());
        if m.is_finite() {
            m
        } else {
            f64::NAN
        }
    }
}
