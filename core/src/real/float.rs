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
            <$t>::from_bits(if bits & exponent == 0 {
                bits & sign
            } else {
                bits
            })
        }
        #[inline]
        fn magnitude(xs: &[Self]) -> f64 {
            // The magnitudes' bit patterns order as the magnitudes do, and every
            // non-finite value's pattern is above every finite one's: one integer max,
            // in eight lanes so that it vectorises.
            // Signed integers: the masked patterns are non-negative, and a signed max
            // is cheaper than an unsigned one without SSE4.1.
            let sign = (-0.0 as $t).to_bits();
            let key = |x: &$t| (x.to_bits() & !sign).cast_signed();
            let mut lanes = [0; 8];
            let mut chunks = xs.chunks_exact(8);
            for c in &mut chunks {
                for (l, x) in lanes.iter_mut().zip(c) {
                    *l = (*l).max(key(x));
                }
            }
            for (l, x) in lanes.iter_mut().zip(chunks.remainder()) {
                *l = (*l).max(key(x));
            }
            let m = <$t>::from_bits(lanes.into_iter().fold(0, |a, b| a.max(b)).cast_unsigned());
            if m.is_finite() {
                m as f64
            } else {
                f64::NAN
            }
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
            ::libm::$f(self, $a as f64)
        }
    };
    ((f64, libm) $(#[$d:meta])* fn $name:ident($($a:ident: Self),*) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self $(, $a: Self)*) -> Self {
            ::libm::$f(self $(, $a)*)
        }
    };
    ((f32, libm) $(#[$d:meta])* fn $name:ident($a:ident: i32) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self, $a: i32) -> Self {
            ::libm::$g(self, $a as f32)
        }
    };
    ((f32, libm) $(#[$d:meta])* fn $name:ident($($a:ident: Self),*) = libm($f:ident, $g:ident); $($rest:tt)*) => {
        #[inline]
        fn $name(self $(, $a: Self)*) -> Self {
            ::libm::$g(self $(, $a)*)
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
