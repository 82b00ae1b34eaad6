//! The logistic function.

use super::Unary;
use crate::{Real, Var};

/// `σ(x) = 1/(1 + e⁻ˣ)`, computed without overflow for large |x| (through `e^{−|x|}`).
/// Derivative `σ(1 − σ)`, from the output. `σ(±∞) = 1, 0` with derivative 0; NaN gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl<T: Real> Unary<T> for Sigmoid {
    fn f(x: T, _: T) -> T {
        let e = (-x.abs()).exp();
        if x >= T::zero() {
            T::one() / (T::one() + e)
        } else if x < T::zero() {
            e / (T::one() + e)
        } else {
            x // NaN
        }
    }
    fn df(_: T, y: T, _: T) -> T {
        y * (T::one() - y)
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise logistic `σ(x)`. Derivative `σ(x)(1 − σ(x))`.
    pub fn sigmoid(self) -> Var<'g, T, R, C> {
        self.map::<Sigmoid>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Sigmoid;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.sigmoid(), &[-30.0, -1.5, 0.0, 0.3, 4.0]);
        let inf = f64::INFINITY;
        edge_table::<Sigmoid>(
            0.0,
            &[
                (0.0, 0.5, 0.25),
                (inf, 1.0, 0.0),
                (-inf, 0.0, 0.0),
                (-800.0, 0.0, 0.0),
                (800.0, 1.0, 0.0),
            ],
        );
    }
}
