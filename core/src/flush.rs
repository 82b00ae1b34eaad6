//! Flushing subnormal numbers to zero.
//!
//! A subnormal (denormal) number is a non-zero float smaller in magnitude than the
//! smallest normal one: below about `1.2e-38` in `f32` (`2.2e-308` in `f64`). Arithmetic
//! on them is slow: on x86-64 an operation with a subnormal operand or result can take
//! up to about 30× as long as a normal one (a microcode assist), and a soft-float MCU
//! (Cortex-M0) or an FPU that traps to software pays for them too. Long training runs
//! produce them: weight decay and Adam's moment estimates shrink the parameters of dead
//! units geometrically toward 0, and once they cross into the subnormal range every
//! step that touches them slows down (a batch-1 step of a small MLP was measured going
//! from 12 µs to 170–350 µs after a few thousand steps).
//!
//! [`flush_subnormals`] sets such values to a zero of the same sign. This is sound for
//! parameters and optimizer state in `f32`: a value below `1.2e-38` has no effect on
//! training, since anything it is added to or multiplied with that matters is many
//! orders of magnitude larger, and its contribution would be rounded away anyway.
//! It is not meant for intermediate values whose ratio matters (a tiny numerator over
//! a tiny denominator): flush stored state between steps, not the computation itself.
//!
//! ```
//! use stackgrad::flush::flush_subnormals;
//!
//! let mut w = [1.0e-3_f32, 1.0e-40, -1.0e-42, 0.0, f32::MIN_POSITIVE];
//! flush_subnormals(&mut w);
//! assert_eq!(w, [1.0e-3, 0.0, -0.0, 0.0, f32::MIN_POSITIVE]);
//! assert!(w[2].is_sign_negative());
//! ```
//!
//! A matrix is flushed through its slice: `flush_subnormals(m.as_mut_slice())`.

use crate::Real;

/// `x`, or a zero of its sign if `x` is subnormal: [`flush_subnormals`] for one value.
/// Every optimizer step applies it to the parameters and the state it writes.
#[inline]
pub fn flush<T: Real>(x: T) -> T {
    x.flushed()
}

/// Replaces every subnormal value in `xs` with a zero of the same sign, and leaves every
/// other value (normal numbers, zeros, infinities, NaN) unchanged. Returns how many values
/// were flushed.
///
/// For a dual number the decision is made on its value ([`Real::is_subnormal`]); a flushed
/// dual number becomes a signed zero with zero tangents.
pub fn flush_subnormals<T: Real>(xs: &mut [T]) -> usize {
    let mut flushed = 0;
    for x in xs.iter_mut() {
        if x.is_subnormal() {
            *x = flush(*x);
            flushed += 1;
        }
    }
    flushed
}

#[cfg(test)]
mod tests {
    use super::flush_subnormals;
    use crate::{Dual, Real};

    #[test]
    fn subnormal_f32_become_signed_zeros_and_nothing_else_changes() {
        let tiny = f32::from_bits(1); // the smallest subnormal, about 1.4e-45
        let below = f32::MIN_POSITIVE / 2.0;
        let mut xs = [
            tiny,
            -tiny,
            below,
            -below,
            f32::from_bits(0x007f_ffff), // the largest subnormal
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            0.0,
            -0.0,
            1.5,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        assert_eq!(flush_subnormals(&mut xs), 5);
        let bits: [u32; 12] = core::array::from_fn(|i| xs[i].to_bits());
        let want = [
            0.0f32,
            -0.0,
            0.0,
            -0.0,
            0.0,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            0.0,
            -0.0,
            1.5,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]
        .map(f32::to_bits);
        assert_eq!(bits, want);
        assert!(xs[12].is_nan());
        // Flushing again changes nothing.
        assert_eq!(flush_subnormals(&mut xs), 0);
    }

    #[test]
    fn f64_and_dual_numbers() {
        let mut xs = [
            f64::MIN_POSITIVE / 4.0,
            -f64::from_bits(3),
            1e-300,
            f64::NAN,
        ];
        assert_eq!(flush_subnormals(&mut xs), 2);
        assert_eq!(xs[0].to_bits(), 0.0f64.to_bits());
        assert_eq!(xs[1].to_bits(), (-0.0f64).to_bits());
        assert_eq!(xs[2], 1e-300);
        // f32 subnormals are normal f64 numbers.
        assert!(!Real::is_subnormal(f64::from(f32::MIN_POSITIVE / 2.0)));

        // Dual numbers: by the value; a flushed one has zero tangents.
        let sub = f32::MIN_POSITIVE / 8.0;
        let mut ds = [
            Dual::<f32, 2>::variable(-sub, 1),
            Dual::<f32, 2>::variable(0.5, 0),
        ];
        assert!(Real::is_subnormal(ds[0]) && !Real::is_subnormal(ds[1]));
        assert_eq!(flush_subnormals(&mut ds), 1);
        assert_eq!(ds[0].re.to_bits(), (-0.0f32).to_bits());
        assert_eq!(ds[0].eps.as_slice(), [0.0, 0.0]);
        assert_eq!((ds[1].re, ds[1].eps[0]), (0.5, 1.0));
    }
}
