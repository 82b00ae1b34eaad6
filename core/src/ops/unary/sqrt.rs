//! The square root.

use super::Unary;
use crate::{Real, Var};

/// `√x`. Derivative `1/(2√x)`, from the output. At the kink 0 the derivative is +∞
/// (so `Ḡ·∞`: an upstream zero gives NaN, as in PyTorch). Negative `x` gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sqrt;

impl<T: Real> Unary<T> for Sqrt {
    const NAME: &'static str = "sqrt";
    fn f(x: T, _: T) -> T {
        x.sqrt()
    }
    fn df(_: T, y: T, _: T) -> T {
        T::one() / (y + y)
    }
    const DF_READS_X: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `√x`. Derivative `1/(2√x)`: +∞ at 0; NaN for `x < 0`.
    pub fn sqrt(self) -> Var<'g, T, R, C> {
        self.map::<Sqrt>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Sqrt;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.sqrt(), &[0.01, 0.5, 1.0, 7.0]);
        let inf = f64::INFINITY;
        edge_table::<Sqrt>(
            0.0,
            &[
                (1.0, 1.0, 0.5),
                (0.0, 0.0, inf),
                (4.0, 2.0, 0.25),
                (inf, inf, 0.0),
            ],
        );
        assert!(<Sqrt as super::Unary<f64>>::f(-1.0, 0.0).is_nan());
    }
}
