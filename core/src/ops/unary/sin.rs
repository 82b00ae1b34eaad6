//! The sine.

use super::Unary;
use crate::forward::rules;
use crate::{Real, Var};

/// `sin x` (radians). Derivative `cos x`, from the forward-mode rule table. Smooth
/// everywhere; `±∞` and NaN give NaN, with a NaN derivative.
pub struct Sin;

impl<T: Real> Unary<T> for Sin {
    const NAME: &'static str = "sin";
    fn f(x: T, _: T) -> T {
        x.sin()
    }
    fn df(x: T, _: T, _: T) -> T {
        rules::sin(x).1
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `sin x`. Derivative `cos x`; `±∞` and NaN give NaN.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let x0 = Vector2::new(0.0, core::f64::consts::FRAC_PI_2);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&x0).sin().value(), Vector2::new(0.0, 1.0));
    /// ```
    pub fn sin(self) -> Var<'g, T, R, C> {
        self.map::<Sin>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Sin;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.sin(), &[-3.0, -0.5, 0.0, 0.7, 2.0, 40.0]);
        let (inf, pi) = (f64::INFINITY, core::f64::consts::PI);
        edge_table::<Sin>(
            0.0,
            &[
                (0.0, 0.0, 1.0),
                (pi, libm::sin(pi), -1.0),
                (1.0, libm::sin(1.0), libm::cos(1.0)),
            ],
        );
        for x in [inf, -inf] {
            assert!(<Sin as super::Unary<f64>>::f(x, 0.0).is_nan());
            assert!(<Sin as super::Unary<f64>>::df(x, 0.0, 0.0).is_nan());
        }
    }
}
