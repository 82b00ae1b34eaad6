//! The leaky rectified linear unit.

use super::Unary;
use crate::{Real, Var};

/// `x` for `x > 0`, `α·x` otherwise. Derivative 1 for `x > 0` and `α` for `x ≤ 0`: at the
/// kink 0 the derivative is `α` (PyTorch's convention). NaN gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeakyRelu;

impl<T: Real> Unary<T> for LeakyRelu {
    const NAME: &'static str = "leaky_relu";
    fn f(x: T, alpha: T) -> T {
        if x > T::zero() || x.is_nan() {
            x
        } else {
            alpha * x
        }
    }
    fn df(x: T, _: T, alpha: T) -> T {
        if x > T::zero() {
            T::one()
        } else if x.is_nan() {
            x
        } else {
            alpha
        }
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise leaky ReLU with slope `alpha` for `x ≤ 0`. Derivative 1 or `alpha`
    /// (`alpha` at 0).
    pub fn leaky_relu(self, alpha: T) -> Var<'g, T, R, C> {
        self.map::<LeakyRelu>(alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::LeakyRelu;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.leaky_relu(0.1), &[-3.0, -0.5, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<LeakyRelu>(
            0.1,
            &[
                (0.0, 0.0, 0.1),
                (-2.0, -0.2, 0.1),
                (1.0, 1.0, 1.0),
                (inf, inf, 1.0),
                (-inf, -inf, 0.1),
            ],
        );
    }
}
