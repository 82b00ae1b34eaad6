//! The absolute value.

use super::Unary;
use crate::forward::rules;
use crate::{Real, Var};

/// `|x|`. Derivative `sign x`: `−1` for `x < 0`, `1` for `x > 0`, and `abs'(0) = 0` at
/// the kink (PyTorch's convention, the subgradient closest to 0; also for `−0`). `±∞`
/// give `+∞` with derivative `±1`; NaN gives NaN, with a NaN derivative.
pub struct Abs;

impl<T: Real> Unary<T> for Abs {
    const NAME: &'static str = "abs";
    fn f(x: T, _: T) -> T {
        x.abs()
    }
    fn df(x: T, _: T, _: T) -> T {
        rules::abs(x).1
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `|x|`. Derivative `sign x`, with `abs'(0) = 0`.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector3};
    /// let x0 = Vector3::new(-2.0, 0.0, 3.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&x0).abs().value(), Vector3::new(2.0, 0.0, 3.0));
    /// ```
    pub fn abs(self) -> Var<'g, T, R, C> {
        self.map::<Abs>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Abs;
    use crate::testing::{check_unary, edge_table, grad_of};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.abs(), &[-3.0, -0.5, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<Abs>(
            0.0,
            &[
                (0.0, 0.0, 0.0),
                (-0.0, 0.0, 0.0),
                (-1.5, 1.5, -1.0),
                (2.0, 2.0, 1.0),
                (inf, inf, 1.0),
                (-inf, inf, -1.0),
            ],
        );
        assert_eq!(grad_of::<1, 1>(0.0, |_, x| x.abs()), 0.0);
    }
}
