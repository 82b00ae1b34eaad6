//! The logistic function.

use super::Unary;
use crate::{Real, Var};

/// `σ(x) = 1/(1 + e⁻ˣ)`, computed without overflow for large |x|: `1/(1 + e⁻ˣ)` for
/// `x ≥ 0` and `eˣ/(1 + eˣ)` for `x < 0`, so the exponential never exceeds 1.
/// Derivative `σ(1 − σ)`, from the output. `σ(±∞) = 1, 0` with derivative 0; NaN gives NaN.
///
/// Each branch is smooth on its own, and the branch is chosen by the sign of `x` rather
/// than through `|x|`: on a tape over [`Dual`](crate::Dual), `|x|` would carry a zero
/// tangent at exactly 0 and so lose `σ'(0)` from second derivatives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl<T: Real> Unary<T> for Sigmoid {
    const NAME: &'static str = "sigmoid";
    fn f(x: T, _: T) -> T {
        if x >= T::zero() {
            T::one() / (T::one() + (-x).exp())
        } else if x < T::zero() {
            let e = x.exp();
            e / (T::one() + e)
        } else {
            x // NaN
        }
    }
    fn df(_: T, y: T, _: T) -> T {
        y * (T::one() - y)
    }
    const DF_READS_X: bool = false;
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
    use crate::forward::over_reverse::gradient_and_hvp;
    use crate::nalgebra::vector;
    use crate::testing::{check_unary, close, edge_table};
    use crate::{Dual, Tape};

    #[test]
    fn hessian_through_a_dual_tape_is_smooth_at_zero() {
        // Regression: σ went through |x|, whose tangent at 0 is 0, so on a tape over Dual
        // (σ²)'' at 0 came out 0 instead of 2σ'(0)² = 0.125.
        let mut tape: Tape<Dual<f64, 1>, 64, 8> = Tape::new();
        let x = vector![0.0, 1.3, -2.0, -0.0];
        let v = vector![1.0, 1.0, 1.0, 1.0];
        let (_, g, hv) =
            gradient_and_hvp(&mut tape, |_, x| x.sigmoid().square().sum(), &x, &v).expect("fits");
        for i in 0..4 {
            let s = 1.0 / (1.0 + libm::exp(-x[i]));
            let d1 = s * (1.0 - s);
            let d2 = d1 * (1.0 - 2.0 * s);
            assert!(
                close(g[i], 2.0 * s * d1, 1e-15),
                "grad at {}: {}",
                x[i],
                g[i]
            );
            let want = 2.0 * d1 * d1 + 2.0 * s * d2;
            assert!(
                close(hv[i], want, 1e-15),
                "hvp at {}: {} vs {want}",
                x[i],
                hv[i]
            );
        }
        assert_eq!(hv[0], 0.125);
    }

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
