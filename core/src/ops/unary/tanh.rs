//! Hyperbolic tangent, the window classifier's non-linearity.

use super::Unary;
use crate::{Real, Var};

/// `tanh x`. Derivative `1 − tanh²x`, computed from the output. Range (−1, 1); saturates
/// to ±1 for large |x| (derivative → 0); NaN gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl<T: Real> Unary<T> for Tanh {
    const NAME: &'static str = "tanh";
    fn f(x: T, _: T) -> T {
        x.tanh()
    }
    fn df(_: T, y: T, _: T) -> T {
        T::one() - y * y
    }
    const DF_READS_X: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `tanh`. Derivative `1 − tanh²x`; ±∞ give ±1 with derivative 0.
    pub fn tanh(self) -> Var<'g, T, R, C> {
        self.map::<Tanh>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Tanh;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.tanh(), &[-3.0, -0.5, 0.0, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<Tanh>(
            0.0,
            &[
                (0.0, 0.0, 1.0),
                (
                    1.0,
                    libm::tanh(1.0),
                    1.0 - libm::tanh(1.0) * libm::tanh(1.0),
                ),
                (inf, 1.0, 0.0),
                (-inf, -1.0, 0.0),
                (40.0, 1.0, 0.0),
            ],
        );
    }
}
