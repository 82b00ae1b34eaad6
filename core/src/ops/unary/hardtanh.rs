//! Hard tanh, a piecewise-linear tanh.

use super::Unary;
use crate::forward::rules;
use crate::{Real, Var};

/// `clamp(x, −1, 1)`. Derivative 1 on (−1, 1) and 0 outside; at the kinks ±1 it is 0
/// (PyTorch's convention). NaN gives NaN, with a NaN derivative.
///
/// Value and derivative both come from the forward-mode rule
/// [`rules::hardtanh`](crate::forward::rules::hardtanh), so the two modes agree: on a
/// tape over [`Dual`](crate::Dual) the value at ±1 is the constant bound, whose tangent
/// is 0 like the derivative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HardTanh;

impl<T: Real> Unary<T> for HardTanh {
    const NAME: &'static str = "hardtanh";
    fn f(x: T, _: T) -> T {
        rules::hardtanh(x).0
    }
    fn df(x: T, _: T, _: T) -> T {
        rules::hardtanh(x).1
    }
    const DF_READS_Y: bool = false;
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
    use crate::nalgebra::SMatrix;
    use crate::ops::Unary;
    use crate::testing::{check_unary, edge_table, grad_of};
    use crate::{Dual, Tape};

    #[test]
    fn forward_and_reverse_mode_agree_at_the_kinks() {
        // Regression: at exactly ±1 the value passed x through, so its forward-mode
        // tangent was 1 while the reverse-mode derivative was 0.
        for (x, slope) in [
            (-1.0, 0.0),
            (1.0, 0.0),
            (-0.999, 1.0),
            (0.0, 1.0),
            (0.5, 1.0),
            (1.001, 0.0),
            (-3.0, 0.0),
        ] {
            // Reverse mode on an f64 tape.
            let reverse = grad_of::<1, 1>(x, |_, v| v.hardtanh().sum());
            // Forward mode: the rule on a dual number, the op's value over a dual number,
            // and the tangent of the value recorded on a tape over Dual.
            let xd = Dual::<f64, 1>::variable(x, 0);
            let dual = xd.hardtanh().eps[0];
            let op = <HardTanh as Unary<Dual<f64, 1>>>::f(xd, Dual::constant(0.0)).eps[0];
            let mut tape: Tape<Dual<f64, 1>, 16, 4> = Tape::new();
            let g = tape.graph();
            let on_tape = g
                .param(&SMatrix::<_, 1, 1>::new(xd))
                .hardtanh()
                .scalar()
                .eps[0];
            assert_eq!(
                [reverse, dual, op, on_tape],
                [slope; 4],
                "hardtanh slopes at {x}: reverse, Dual, op over Dual, tape over Dual"
            );
        }
    }

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
