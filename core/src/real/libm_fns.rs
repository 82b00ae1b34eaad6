//! The functions the `libm` backend calls by the table's names: libm's own, except the
//! square roots on x86-64.
//!
//! libm computes `sqrtf`/`sqrt` on x86-64 with one `sqrtss`/`sqrtsd` written as inline
//! assembly, which the compiler cannot vectorise: a loop with a square root (Adam's and
//! RMSprop's updates) then runs one scalar at a time. The same instruction reached
//! through `core::arch` is the compiler's own square root, so such a loop runs four
//! `f32` (two `f64`) at a time with `sqrtps`/`sqrtpd`. Both are the IEEE square root,
//! correctly rounded: the results are the same bits.

pub(super) use ::libm::*;

/// `√x` (IEEE, correctly rounded), as SSE's `sqrtss`. (With `micromath`, `f32`'s
/// functions are micromath's, and only the test below calls it.)
#[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
#[cfg_attr(feature = "micromath", allow(dead_code))]
#[allow(unsafe_code)]
#[inline]
pub(super) fn sqrtf(x: f32) -> f32 {
    use core::arch::x86_64::{_mm_cvtss_f32, _mm_set_ss, _mm_sqrt_ss};
    // SAFETY: the only requirement of these intrinsics is the `sse` target feature,
    // which the `cfg` above proves is enabled for the whole build; they touch no memory.
    unsafe { _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x))) }
}

/// `√x` (IEEE, correctly rounded), as SSE2's `sqrtsd`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
#[inline]
pub(super) fn sqrt(x: f64) -> f64 {
    use core::arch::x86_64::{_mm_cvtsd_f64, _mm_set_sd, _mm_sqrt_pd};
    // SAFETY: as above, with `sse2`.
    unsafe { _mm_cvtsd_f64(_mm_sqrt_pd(_mm_set_sd(x))) }
}

#[cfg(test)]
mod tests {
    /// The same bits as libm's, on values that exercise rounding and the edges.
    #[test]
    fn square_roots_agree_with_libm_bit_for_bit() {
        let mut x = 1.0e-30f64;
        let mut specials = [0.0, -0.0, -1.0, f64::INFINITY, f64::NAN, 2.0, 1e-310].to_vec();
        while x < 1e30 {
            specials.push(x);
            x *= 1.37;
        }
        for x in specials {
            let (a, b) = (super::sqrt(x), ::libm::sqrt(x));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{x}"
            );
            let x = x as f32;
            let (a, b) = (super::sqrtf(x), ::libm::sqrtf(x));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{x}"
            );
        }
    }
}
