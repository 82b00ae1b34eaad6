//! Clamping into an interval.
//!
//! The bounds are constants (only the input gets a gradient). The node stores them as its
//! two attributes, `[lo, hi]`, for its forward function (so a replay clamps into the
//! same interval); the backward rule needs no bounds: the gradient is 1 wherever the
//! output equals the input and 0 wherever clamping replaced it.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// `∂ clamp/∂x` from the input `x` and the output `y`: NaN if either is NaN, else 1 where
/// `y = x` (inside the interval, bounds included) and 0 where clamping changed `x`.
#[inline]
fn clamp_df<T: Real>(x: T, y: T) -> T {
    if x.is_nan() || y.is_nan() {
        T::nan()
    } else if x == y {
        T::one()
    } else {
        T::zero()
    }
}

/// `min(max(x, lo), hi)`, NaN if `x`, `lo` or `hi` is NaN.
#[inline]
fn clamp_value<T: Real>(x: T, lo: T, hi: T) -> T {
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        return T::nan();
    }
    let y = if x < lo { lo } else { x };
    if y > hi {
        hi
    } else {
        y
    }
}

fn clamp_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (x, y, up) = (s.input(0), s.out(), s.upstream());
    s.accumulate(
        0,
        up.iter()
            .zip(x.iter().zip(y))
            .map(|(&u, (&x, &y))| u * clamp_df(x, y)),
    );
}

/// `out = clamp(x, lo, hi)` entry by entry, with `[lo, hi] = attr`.
fn clamp_forward<T: Real>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let [lo, hi] = attr;
    for (o, &x) in out.iter_mut().zip(a) {
        *o = clamp_value(x, lo, hi);
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `clamp(x, lo, hi)` for constant bounds: `lo` below the interval, `hi`
    /// above it, `x` inside.
    ///
    /// Derivative 1 strictly inside and 0 strictly outside. At the bounds (`x = lo` or
    /// `x = hi`) it is 1, PyTorch's convention for `clamp` (unlike [`Var::hardtanh`],
    /// whose kinks get 0). `lo > hi` gives `hi` everywhere (as PyTorch does; never a
    /// panic, unlike `f64::clamp`), with derivative 0 except where `x = hi`. Infinite bounds
    /// are allowed (a one-sided clamp). A NaN input or bound gives NaN, with a NaN
    /// derivative.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector3};
    /// let x0 = Vector3::new(-2.0, 0.5, 3.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&x0).clamp(0.0, 1.0).value(), Vector3::new(0.0, 0.5, 1.0));
    /// ```
    pub fn clamp(self, lo: T, hi: T) -> Var<'g, T, R, C> {
        self.apply_unary(
            op!("clamp", clamp_forward::<T>, clamp_backward::<T>),
            [lo, hi],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{clamp_df, clamp_value};
    use crate::nalgebra::SMatrix;
    use crate::testing::{check, check_unary, eval, grad_of, mat};

    #[test]
    fn matches_central_differences() {
        check_unary(|x| x.clamp(-1.0, 0.5), &[-3.0, -0.5, 0.0, 0.3, 2.0]);
        check(mat::<3, 2>(1).scale(2.0), |g, x| {
            x.clamp(-0.7, 1.1)
                .component_mul(g.constant_value(mat(2)))
                .sum()
        });
    }

    #[test]
    fn edges() {
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        // (x, lo, hi, value, derivative)
        let rows = [
            (0.0, -1.0, 1.0, 0.0, 1.0),
            (-1.0, -1.0, 1.0, -1.0, 1.0), // on a bound: 1, as PyTorch
            (1.0, -1.0, 1.0, 1.0, 1.0),
            (-2.0, -1.0, 1.0, -1.0, 0.0),
            (2.0, -1.0, 1.0, 1.0, 0.0),
            (inf, -1.0, 1.0, 1.0, 0.0),
            (-inf, -1.0, 1.0, -1.0, 0.0),
            (inf, 0.0, inf, inf, 1.0), // one-sided clamp
            (-5.0, 0.0, inf, 0.0, 0.0),
            (0.5, 2.0, 1.0, 1.0, 0.0), // lo > hi: hi everywhere
            (1.0, 2.0, 1.0, 1.0, 1.0),
        ];
        for (x, lo, hi, fx, dfx) in rows {
            let y = clamp_value(x, lo, hi);
            assert_eq!(y, fx, "clamp({x}, {lo}, {hi})");
            assert_eq!(clamp_df(x, y), dfx, "clamp'({x}, {lo}, {hi})");
            assert_eq!(grad_of::<1, 1>(x, |_, v| v.clamp(lo, hi)), dfx);
        }
        for (x, lo, hi) in [(nan, -1.0, 1.0), (0.0, nan, 1.0), (0.0, -1.0, nan)] {
            let y = clamp_value(x, lo, hi);
            assert!(y.is_nan() && clamp_df(x, y).is_nan());
            let (v, d) = eval(&SMatrix::<f64, 1, 1>::new(x), &|_, v| v.clamp(lo, hi));
            assert!(v.is_nan() && d[0].is_nan());
        }
    }
}
