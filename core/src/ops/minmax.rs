//! Element-wise `max` and `min` of two matrices. They *route* the upstream gradient to
//! the input that won.
//!
//! Conventions: on a tie (`a = b`) each input receives half of the upstream gradient
//! (PyTorch and JAX agree), so the two halves still sum to the whole. If either input is
//! NaN, the value is NaN and both inputs receive a NaN gradient: NaN is never masked.

use crate::ops::{Backward, Op};
use crate::tape::op;
use crate::{Real, Var};

/// The share of the upstream gradient that `x` receives when competing with `y`;
/// `sign = 1` for max, `−1` for min.
#[inline]
fn share<T: Real>(x: T, y: T, sign: T) -> T {
    let (x, y) = (sign * x, sign * y);
    if x > y {
        T::one()
    } else if x < y {
        T::zero()
    } else if x == y {
        T::constant(0.5)
    } else {
        T::nan()
    }
}

fn minmax_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (a, b, up, sign) = (s.input(0), s.input(1), s.upstream(), s.attr());
    s.accumulate(
        0,
        up.iter()
            .zip(a.iter().zip(b))
            .map(|(&u, (&x, &y))| u * share(x, y, sign)),
    );
    s.accumulate(
        1,
        up.iter()
            .zip(a.iter().zip(b))
            .map(|(&u, (&x, &y))| u * share(y, x, sign)),
    );
}

/// `out = max(a, b)` (`attr[0] = 1`) or `min(a, b)` (`attr[0] = −1`) element-wise.
fn minmax_forward<T: Real>(a: &[T], b: &[T], attr: [T; 2], out: &mut [T]) {
    let sign = attr[0];
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = if sign > T::zero() {
            Real::max(x, y)
        } else {
            Real::min(x, y)
        };
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise maximum. The winner gets `Ḡ`; ties split it evenly; NaN gives NaN.
    pub fn max(self, other: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.minmax(
            other,
            op!("max", minmax_forward::<T>, minmax_backward::<T>),
            T::one(),
        )
    }

    /// Element-wise minimum. The winner gets `Ḡ`; ties split it evenly; NaN gives NaN.
    pub fn min(self, other: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.minmax(
            other,
            op!("min", minmax_forward::<T>, minmax_backward::<T>),
            -T::one(),
        )
    }

    fn minmax(self, other: Var<'g, T, R, C>, op: &'static Op<T>, sign: T) -> Var<'g, T, R, C> {
        self.apply_binary(other, op, [sign, T::zero()])
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::{matrix, SMatrix};
    use crate::testing::{check, mat};
    use crate::Tape;

    #[test]
    fn matches_central_differences_away_from_ties() {
        check(mat::<3, 2>(1), |g, x| {
            x.max(g.constant_value(mat(2)))
                .component_mul(g.constant_value(mat(3)))
                .sum()
        });
        check(mat::<3, 2>(4), |g, x| {
            x.min(g.constant_value(mat(5)))
                .component_mul(g.constant_value(mat(6)))
                .sum()
        });
    }

    #[test]
    fn ties_split_evenly_and_nan_is_never_masked() {
        let a0: SMatrix<f64, 1, 3> = matrix![1.0, 2.0, f64::NAN];
        let b0: SMatrix<f64, 1, 3> = matrix![1.0, 3.0, 0.0];
        let mut tape: Tape<f64, 64, 8> = Tape::new();
        let g = tape.graph();
        let (a, b) = (g.param(&a0), g.param(&b0));
        let m = a.max(b);
        let v = m.value();
        assert_eq!(v[0], 1.0);
        assert_eq!(v[1], 3.0);
        assert!(v[2].is_nan());
        let grads = m.sum().backward().unwrap();
        let (da, db) = (
            grads.wrt(a).unwrap().into_owned(),
            grads.wrt(b).unwrap().into_owned(),
        );
        assert_eq!((da[0], db[0]), (0.5, 0.5));
        assert_eq!((da[1], db[1]), (0.0, 1.0));
        assert!(da[2].is_nan() && db[2].is_nan());
    }
}
