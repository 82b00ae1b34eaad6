//! `log Σ exp` per column, written on the public custom-operation interface
//! ([`Var::apply_unary`] with an [`Op::with_forward`], and [`Backward`]) exactly as a
//! user would write their own.

use super::cross_entropy::log_sum_exp;
use super::{Backward, Op};
use crate::{Real, Var};

/// `out_c = ln Σ_r e^{z_rc}` for each column `c` of a matrix of `R` rows.
fn log_sum_exp_forward<T: Real, const R: usize>(z: &[T], _: &[T], _: [T; 2], out: &mut [T]) {
    // Every output is written, also for a matrix without rows.
    let mut cols = crate::ops::columns::<_, R>(z).iter();
    for o in out.iter_mut() {
        *o = log_sum_exp(cols.next().map_or(&[][..], |c| &c[..]));
    }
}

/// `∂/∂z_k = e^{z_k − lse}·Ḡ` for each column: the column's softmax times its upstream
/// gradient.
fn log_sum_exp_backward<T: Real, const R: usize>(b: &mut Backward<'_, T>) {
    let (z, lse, up) = (b.input(0), b.output(), b.upstream());
    b.accumulate(
        0,
        crate::ops::columns::<_, R>(z)
            .iter()
            .zip(lse.iter().zip(up))
            .flat_map(|(col, (&l, &u))| col.iter().map(move |&x| (x - l).exp() * u)),
    );
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `ln Σ_r e^{z_rc}` of each column, a `1×C` row, computed stably (shifted by the
    /// column's maximum). Gradient: the column's softmax times the upstream gradient.
    /// A NaN or `+∞` entry gives NaN for its column; `−∞` entries contribute nothing, and
    /// a column of only `−∞` gives `−∞` (and a NaN gradient).
    ///
    /// ```
    /// use stackgrad::{matrix, Tape};
    /// let z0 = matrix![0.0, 0.0; 0.0, 1.0];
    /// let e = 1f64.exp();
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let z = g.param(&z0);
    /// let l = z.column_log_sum_exp();
    /// assert!((l.value()[0] - 2f64.ln()).abs() < 1e-15); // ln(e⁰ + e⁰)
    /// let grads = l.sum().backward()?;
    /// let d = grads.wrt(z)?; // the softmax of each column
    /// assert!((d[(0, 0)] - 0.5).abs() < 1e-15 && (d[(1, 1)] - e / (1.0 + e)).abs() < 1e-15);
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    pub fn column_log_sum_exp(self) -> Var<'g, T, 1, C> {
        let op = &const {
            Op::with_forward(
                "column_log_sum_exp",
                log_sum_exp_forward::<T, R>,
                log_sum_exp_backward::<T, R>,
            )
        };
        self.apply_unary(op, [T::zero(); 2])
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, mat};
    use crate::Tape;
    use nalgebra::SMatrix;

    #[test]
    fn matches_central_differences() {
        let w = mat::<1, 4>(3);
        check(mat::<3, 4>(1), |g, z| {
            z.column_log_sum_exp()
                .component_mul(g.constant_value(w))
                .sum()
        });
        check(mat::<1, 2>(2), |_, z| z.column_log_sum_exp().sum());
    }

    #[test]
    fn stable_for_large_entries_and_nan_is_not_masked() {
        let z0 = SMatrix::<f64, 2, 3>::from_column_slice(&[
            1000.0,
            1000.0,
            f64::NAN,
            0.0,
            f64::NEG_INFINITY,
            5.0,
        ]);
        let mut tape: Tape<f64, 64, 8> = Tape::new();
        let g = tape.graph();
        let z = g.param(&z0);
        let l = z.column_log_sum_exp();
        let v = l.value();
        assert!((v[0] - (1000.0 + libm::log(2.0))).abs() < 1e-12);
        assert!(v[1].is_nan());
        assert_eq!(v[2], 5.0);
        let d = l.sum().backward().unwrap().wrt(z).unwrap().into_owned();
        assert!((d[(0, 0)] - 0.5).abs() < 1e-12 && (d[(1, 0)] - 0.5).abs() < 1e-12);
        assert!(d[(0, 1)].is_nan());
        assert_eq!((d[(0, 2)], d[(1, 2)]), (0.0, 1.0));
    }
}
