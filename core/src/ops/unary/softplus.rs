//! Softplus, a smooth ReLU.

use super::Unary;
use crate::{Real, Var};

/// `ln(1 + eˣ)`, computed as `max(x, 0) + ln(1 + e^{−|x|})` so it neither overflows nor
/// loses precision. Derivative `σ(x)`. `softplus(+∞) = +∞`, `softplus(−∞) = 0`; NaN
/// gives NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softplus;

impl<T: Real> Unary<T> for Softplus {
    fn f(x: T, _: T) -> T {
        let m = if x > T::zero() { x } else { T::zero() };
        if x.is_nan() {
            x
        } else {
            m + (-x.abs()).exp().ln_1p()
        }
    }
    fn df(x: T, _: T, _: T) -> T {
        <super::Sigmoid as Unary<T>>::f(x, T::zero())
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `ln(1 + eˣ)`. Derivative `σ(x)`.
    pub fn softplus(self) -> Var<'g, T, R, C> {
        self.map::<Softplus>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Softplus;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.softplus(), &[-30.0, -1.5, 0.0, 0.3, 4.0]);
        let inf = f64::INFINITY;
        let ln2 = core::f64::consts::LN_2;
        edge_table::<Softplus>(
            0.0,
            &[
                (0.0, ln2, 0.5),
                (inf, inf, 1.0),
                (-inf, 0.0, 0.0),
                (1000.0, 1000.0, 1.0),
            ],
        );
    }
}
