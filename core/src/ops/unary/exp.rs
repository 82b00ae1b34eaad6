//! The exponential.

use super::Unary;
use crate::{Real, Var};

/// `eˣ`. Derivative `eˣ`, from the output. Overflows to +∞ for large x (then the
/// derivative is +∞ too); `e^{−∞} = 0`; NaN gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exp;

impl<T: Real> Unary<T> for Exp {
    const NAME: &'static str = "exp";
    fn f(x: T, _: T) -> T {
        x.exp()
    }
    fn df(_: T, y: T, _: T) -> T {
        y
    }
    const DF_READS_X: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `eˣ`. Derivative `eˣ`.
    pub fn exp(self) -> Var<'g, T, R, C> {
        self.map::<Exp>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Exp;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.exp(), &[-3.0, -0.5, 0.0, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<Exp>(
            0.0,
            &[
                (0.0, 1.0, 1.0),
                (inf, inf, inf),
                (-inf, 0.0, 0.0),
                (1000.0, inf, inf),
            ],
        );
    }
}
