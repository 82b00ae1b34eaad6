//! The natural logarithm.

use super::Unary;
use crate::{Real, Var};

/// `ln x`. Derivative `1/x`. Domain `x > 0`: `ln 0 = −∞` (derivative +∞), negative `x`
/// gives NaN (derivative `1/x` is finite, but the NaN value propagates), `ln ∞ = ∞`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ln;

impl<T: Real> Unary<T> for Ln {
    const NAME: &'static str = "ln";
    fn f(x: T, _: T) -> T {
        x.ln()
    }
    fn df(x: T, _: T, _: T) -> T {
        T::one() / x
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise natural logarithm. Derivative `1/x`; `x ≤ 0` is outside the domain.
    pub fn ln(self) -> Var<'g, T, R, C> {
        self.map::<Ln>(T::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::Ln;
    use crate::testing::{check_unary, edge_table};

    #[test]
    fn matches_central_differences_and_edges() {
        check_unary(|x| x.ln(), &[0.01, 0.5, 1.0, 7.0]);
        let inf = f64::INFINITY;
        edge_table::<Ln>(0.0, &[(1.0, 0.0, 1.0), (0.0, -inf, inf), (inf, inf, 0.0)]);
        assert!(<Ln as super::Unary<f64>>::f(-1.0, 0.0).is_nan());
    }
}
