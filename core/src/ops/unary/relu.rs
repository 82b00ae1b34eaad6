//! The rectified linear unit.

use super::Unary;
use crate::{Real, Var};

/// `max(0, x)`. Derivative 1 for `x > 0`, 0 for `x ≤ 0`: `relu'(0) = 0` (PyTorch's
/// convention). NaN gives NaN, with a NaN derivative (not masked to 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl<T: Real> Unary<T> for Relu {
    const NAME: &'static str = "relu";
    fn f(x: T, _: T) -> T {
        if x > T::zero() || x.is_nan() {
            x
        } else {
            T::zero()
        }
    }
    fn df(x: T, _: T, _: T) -> T {
        if x > T::zero() {
            T::one()
        } else if x.is_nan() {
            x
        } else {
            T::zero()
        }
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `max(0, x)`. Derivative 1 for `x > 0`, else 0 (`relu'(0) = 0`).
    pub fn relu(self) -> Var<'g, T, R, C> {
        self.map::<Relu>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Relu;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.relu(), &[-3.0, -0.5, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<Relu>(
            0.0,
            &[
                (0.0, 0.0, 0.0),
                (-1.0, 0.0, 0.0),
                (1.0, 1.0, 1.0),
                (inf, inf, 1.0),
                (-inf, 0.0, 0.0),
            ],
        );
    }
}
