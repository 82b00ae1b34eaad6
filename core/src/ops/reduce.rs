//! Reductions: to a scalar (`sum`, `mean`), and along one axis in nalgebra's meaning
//! (`row_sum`/`row_mean`: `1×C`, the sum of the rows; `column_sum`/`column_mean`: `R×1`,
//! the sum of the columns). Their backward rules broadcast the upstream gradient back
//! over the summed axis (divided by the number of terms for a mean).
//!
//! Sums are exact linear maps: a NaN or infinite entry gives a NaN or infinite value,
//! and the gradient does not depend on the entries.

use crate::ops::{Backward, Op};
use crate::tape::op;
use crate::{Real, Var};

fn reduce_backward<T: Real>(s: &mut Backward<'_, T>) {
    let Some(&u) = s.upstream().first() else {
        return;
    };
    let u = u * s.attr();
    s.accumulate(0, core::iter::repeat(u));
}

/// Backward of `row_sum` (`k = 1`) and `row_mean` (`k = 1/R`): `∂/∂a_rc = k·Ḡ_c`.
fn row_sum_backward<T: Real, const R: usize>(s: &mut Backward<'_, T>) {
    let (k, up) = (s.attr(), s.upstream());
    s.accumulate(0, up.iter().flat_map(|&u| core::iter::repeat_n(k * u, R)));
}

/// Backward of `column_sum` (`k = 1`) and `column_mean` (`k = 1/C`): `∂/∂a_rc = k·Ḡ_r`.
fn column_sum_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (k, up) = (s.attr(), s.upstream());
    s.accumulate(0, up.iter().map(|&u| k * u).cycle());
}

/// Forward of `sum` and `mean`: `k·Σ aᵢⱼ`, `k = attr[0]`.
fn reduce_forward<T: Real>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let k = attr[0];
    let mut acc = T::zero();
    for &x in a {
        acc += x;
    }
    if let Some(o) = out.first_mut() {
        *o = k * acc;
    }
}

/// Forward of `row_sum` and `row_mean`: `k·Σ_r a_rc` for every column `c`, `k = attr[0]`.
fn row_sum_forward<T: Real, const R: usize>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let k = attr[0];
    // Every output is written, also for a matrix without rows (empty sums).
    let mut cols = crate::ops::columns::<_, R>(a).iter();
    for o in out.iter_mut() {
        let mut acc = T::zero();
        for &x in cols.next().into_iter().flatten() {
            acc += x;
        }
        *o = k * acc;
    }
}

/// Forward of `column_sum` and `column_mean`: `k·Σ_c a_rc` for every row `r`,
/// `k = attr[0]`.
fn column_sum_forward<T: Real, const R: usize>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let k = attr[0];
    out.fill(T::zero());
    for col in crate::ops::columns::<_, R>(a) {
        for (o, &x) in out.iter_mut().zip(col) {
            *o += x;
        }
    }
    for o in out.iter_mut() {
        *o *= k;
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `Σ aᵢⱼ`. `∂/∂a = Ḡ·𝟙`.
    pub fn sum(self) -> Var<'g, T, 1, 1> {
        self.reduce(
            op!("sum", reduce_forward::<T>, reduce_backward::<T>),
            T::one(),
        )
    }

    /// `Σ aᵢⱼ / (R·C)`. `∂/∂a = Ḡ/(R·C)·𝟙`.
    pub fn mean(self) -> Var<'g, T, 1, 1> {
        self.reduce(
            op!("mean", reduce_forward::<T>, reduce_backward::<T>),
            T::one() / T::constant((R * C) as f64),
        )
    }

    /// The sum of the rows, a `1×C` row with `Σ_r a_rc` in column `c` (nalgebra's
    /// `row_sum`). `∂/∂a_rc = Ḡ_c`.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::{Matrix2x3, RowVector3, Vector2}};
    /// let a0 = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let a = g.param(&a0);
    /// assert_eq!(a.row_sum().value(), RowVector3::new(5.0, 7.0, 9.0));
    /// assert_eq!(a.column_sum().value(), Vector2::new(6.0, 15.0));
    /// assert_eq!(a.row_mean().value(), RowVector3::new(2.5, 3.5, 4.5));
    /// assert_eq!(a.column_mean().value(), Vector2::new(2.0, 5.0));
    /// ```
    pub fn row_sum(self) -> Var<'g, T, 1, C> {
        self.along_rows(
            op!("row_sum", row_sum_forward::<T, R>, row_sum_backward::<T, R>),
            T::one(),
        )
    }

    /// The mean of the rows, a `1×C` row (nalgebra's `row_mean`). `∂/∂a_rc = Ḡ_c/R`.
    pub fn row_mean(self) -> Var<'g, T, 1, C> {
        self.along_rows(
            op!(
                "row_mean",
                row_sum_forward::<T, R>,
                row_sum_backward::<T, R>
            ),
            T::one() / T::constant(R as f64),
        )
    }

    /// The sum of the columns, an `R×1` column with `Σ_c a_rc` in row `r` (nalgebra's
    /// `column_sum`). `∂/∂a_rc = Ḡ_r`.
    pub fn column_sum(self) -> Var<'g, T, R, 1> {
        self.along_columns(
            op!(
                "column_sum",
                column_sum_forward::<T, R>,
                column_sum_backward::<T>
            ),
            T::one(),
        )
    }

    /// The mean of the columns, an `R×1` column (nalgebra's `column_mean`).
    /// `∂/∂a_rc = Ḡ_r/C`.
    pub fn column_mean(self) -> Var<'g, T, R, 1> {
        self.along_columns(
            op!(
                "column_mean",
                column_sum_forward::<T, R>,
                column_sum_backward::<T>
            ),
            T::one() / T::constant(C as f64),
        )
    }

    /// `k·Σ_r a_rc` for every column `c`.
    fn along_rows(self, op: &'static Op<T>, k: T) -> Var<'g, T, 1, C> {
        self.apply_unary(op, [k, T::zero()])
    }

    /// `k·Σ_c a_rc` for every row `r`.
    fn along_columns(self, op: &'static Op<T>, k: T) -> Var<'g, T, R, 1> {
        self.apply_unary(op, [k, T::zero()])
    }

    fn reduce(self, op: &'static Op<T>, k: T) -> Var<'g, T, 1, 1> {
        self.apply_unary(op, [k, T::zero()])
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, grad_of, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<3, 2>(1), |_, x| x.sum());
        check(mat::<3, 2>(2), |_, x| x.component_mul(x).mean());
        assert_eq!(grad_of::<1, 1>(5.0, |_, x| x.mean()), 1.0);
    }

    #[test]
    fn along_an_axis_matches_central_differences() {
        check(mat::<3, 4>(3), |g, x| {
            x.row_sum().component_mul(g.constant_value(mat(4))).sum()
        });
        check(mat::<3, 4>(5), |g, x| {
            x.row_mean().component_mul(g.constant_value(mat(6))).sum()
        });
        check(mat::<3, 4>(7), |g, x| {
            x.column_sum().component_mul(g.constant_value(mat(8))).sum()
        });
        check(mat::<3, 4>(9), |g, x| {
            x.column_mean()
                .component_mul(g.constant_value(mat(10)))
                .sum()
        });
        // nonlinear downstream: the sums of squares
        check(mat::<2, 3>(11), |_, x| {
            let (r, c) = (x.row_sum(), x.column_mean());
            r.component_mul(r).sum() + c.component_mul(c).sum()
        });
    }

    #[test]
    fn along_an_axis_values_and_edges() {
        let a0 = mat::<3, 4>(12);
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        let mut tape: crate::Tape<f64, 256, 16> = crate::Tape::new();
        let g = tape.graph();
        let a = g.param(&a0);
        assert_eq!(a.row_sum().value(), a0.row_sum());
        assert_eq!(a.column_sum().value(), a0.column_sum());
        assert!((a.row_mean().value() - a0.row_mean()).abs().max() < 1e-15);
        assert!((a.column_mean().value() - a0.column_mean()).abs().max() < 1e-15);
        // NaN and ∞ stay in their own row or column.
        let b0 = crate::nalgebra::Matrix2::new(nan, 1.0, inf, 2.0);
        let b = g.constant(&b0);
        let (r, c) = (b.row_sum().value(), b.column_sum().value());
        assert!(r[0].is_nan() && r[1] == 3.0);
        assert!(c[0].is_nan() && c[1] == inf);
        // 1×1 and vectors: every reduction is the identity or a plain sum
        assert_eq!(grad_of::<1, 1>(nan, |_, x| x.row_mean().column_sum()), 1.0);
    }
}
