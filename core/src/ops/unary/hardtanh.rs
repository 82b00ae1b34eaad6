//! Hard tanh, a piecewise-linear tanh.

use super::Unary;
use crate::{Real, Var};

/// `clamp(x, −1, 1)`. Derivative 1 on (−1, 1) and 0 outside; at the kinks ±1 it is 0
/// (PyTorch's convention). NaN gives NaN, with a NaN derivative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HardTanh;

impl<T: Real> Unary<T> for HardTanh {
    fn f(x: T, _: T) -> T {
        if x > T::one() {
            T::one()
        } else if x < -T::one() {
            -T::one()
        } else {
            x
        }
    }
    fn df(x: T, _: T, _: T) -> T {
        if x.is_nan() {
            x
        } else if x > -T::one() && x < T::one() {
            T::one()
        } else {
            T::zero()
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `clamp(x, −1, 1)`. Derivative 1 inside (−1, 1), 0 elsewhere and at ±1.
    pub fn hardtanh(self) -> Var<'g, T, R, C> {
        self.map::<HardTanh>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::HardTanh;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.hardtanh(), &[-3.0, -0.5, 0.0, 0.7, 2.0]);
        let inf = f64::INFINITY;
        edge_table::<HardTanh>(
            0.0,
            &[
                (0.0, 0.0, 1.0),
                (1.0, 1.0, 0.0),
                (-1.0, -1.0, 0.0),
                (inf, 1.0, 0.0),
                (-inf, -1.0, 0.0),
            ],
        );
    }
}
