//! The cosine.

use super::Unary;
use crate::forward::rules;
use crate::{Real, Var};

/// `cos x` (radians). Derivative `−sin x`, from the forward-mode rule table. Smooth
/// everywhere; `±∞` and NaN give NaN, with a NaN derivative.
pub struct Cos;

impl<T: Real> Unary<T> for Cos {
    const NAME: &'static str = "cos";
    fn f(x: T, _: T) -> T {
        x.cos()
    }
    fn df(x: T, _: T, _: T) -> T {
        rules::cos(x).1
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `cos x`. Derivative `−sin x`; `±∞` and NaN give NaN.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let x0 = Vector2::new(0.0, core::f64::consts::PI);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&x0).cos().value(), Vector2::new(1.0, -1.0));
    /// ```
    pub fn cos(self) -> Var<'g, T, R, C> {
        self.map::<Cos>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Cos;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.cos(), &[-3.0, -0.5, 0.0, 0.7, 2.0, 40.0]);
        let (inf, pi) = (f64::INFINITY, core::f64::consts::PI);
        edge_table::<Cos>(
            0.0,
            &[
                (0.0, 1.0, -0.0),
                (pi, -1.0, -libm::sin(pi)),
                (1.0, libm::cos(1.0), -libm::sin(1.0)),
            ],
        );
        for x in [inf, -inf] {
            assert!(<Cos as super::Unary<f64>>::f(x, 0.0).is_nan());
            assert!(<Cos as super::Unary<f64>>::df(x, 0.0, 0.0).is_nan());
        }
    }
}
