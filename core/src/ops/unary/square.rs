//! The square.

use super::Unary;
use crate::{Real, Var};

/// `x²`. Derivative `2x`. `(±∞)² = +∞`; NaN gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Square;

impl<T: Real> Unary<T> for Square {
    const NAME: &'static str = "square";
    fn f(x: T, _: T) -> T {
        x * x
    }
    fn df(x: T, _: T, _: T) -> T {
        x + x
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `x²`. Derivative `2x`.
    pub fn square(self) -> Var<'g, T, R, C> {
        self.map::<Square>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Square;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.square(), &[-3.0, -0.5, 0.0, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<Square>(
            0.0,
            &[
                (0.0, 0.0, 0.0),
                (-3.0, 9.0, -6.0),
                (inf, inf, inf),
                (-inf, inf, -inf),
            ],
        );
    }
}
