//! Softplus, a smooth ReLU.

use super::Unary;
use crate::{Real, Var};

/// `ln(1 + eˣ)`, computed as `x + ln(1 + e⁻ˣ)` for `x > 0` and `ln(1 + eˣ)` for `x ≤ 0`,
/// so the exponential never exceeds 1: it neither overflows nor loses precision.
/// Derivative `σ(x)`. `softplus(+∞) = +∞`, `softplus(−∞) = 0`; NaN gives NaN.
///
/// The branch is chosen by the sign of `x`, not through `max(x, 0)` and `|x|`: each
/// branch is smooth through 0, so on a tape over [`Dual`](crate::Dual) the tangent (and
/// with it `softplus''(0) = ¼`) is not lost at exactly 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softplus;

impl<T: Real> Unary<T> for Softplus {
    const NAME: &'static str = "softplus";
    fn f(x: T, _: T) -> T {
        if x > T::zero() {
            x + (-x).exp().ln_1p()
        } else if x <= T::zero() {
            x.exp().ln_1p()
        } else {
            x // NaN
        }
    }
    fn df(x: T, _: T, _: T) -> T {
        <super::Sigmoid as Unary<T>>::f(x, T::zero())
    }
    const DF_READS_Y: bool = false;
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
    use crate::forward::over_reverse::gradient_and_hvp;
    use crate::nalgebra::vector;
    use crate::testing::{check_unary, close, edge_table};
    use crate::{Dual, Tape};

    #[test]
    fn hessian_through_a_dual_tape_is_smooth_at_zero() {
        // Regression: softplus went through max(x, 0) and |x|, whose tangents at 0 are
        // ½ and 0, so on a tape over Dual softplus''(0) came out 0 instead of ¼.
        let mut tape: Tape<Dual<f64, 1>, 64, 8> = Tape::new();
        let x = vector![0.0, 0.8, -3.0, -0.0];
        let v = vector![1.0, 1.0, 1.0, 1.0];
        let (f, g, hv) =
            gradient_and_hvp(&mut tape, |_, x| x.softplus().sum(), &x, &v).expect("fits");
        let mut want_f = 0.0;
        for i in 0..4 {
            let s = 1.0 / (1.0 + libm::exp(-x[i]));
            want_f += libm::log1p(libm::exp(x[i]));
            assert!(close(g[i], s, 1e-15), "grad at {}: {}", x[i], g[i]);
            assert!(
                close(hv[i], s * (1.0 - s), 1e-15),
                "hvp at {}: {}",
                x[i],
                hv[i]
            );
        }
        assert!(close(f, want_f, 1e-15));
        assert_eq!(hv[0], 0.25);
    }

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
