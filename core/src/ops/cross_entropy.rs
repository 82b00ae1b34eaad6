//! Cross-entropy losses computed from logits, each one node with a scalar value:
//! softmax cross-entropy for `K` classes and binary cross-entropy for independent
//! yes/no outputs. Both are numerically stable for logits of any finite size.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// `ln Σ_k e^{z_k}` of one column, stable: `m + ln Σ e^{z_k − m}` with `m = max z`.
/// NaN if any entry is NaN or `+∞`; `−∞` entries contribute nothing.
pub(crate) fn log_sum_exp<T: Real>(z: &[T]) -> T {
    let mut m = -T::infinity();
    for &x in z {
        m = Real::max(m, x);
    }
    if m == -T::infinity() {
        // Every entry is −∞: the sum of exponentials is 0.
        return m;
    }
    let mut acc = T::zero();
    for &x in z {
        acc += (x - m).exp();
    }
    m + acc.ln()
}

/// `true` for the one term of the loss that is skipped: a `−∞` logit with target 0,
/// whose `0·(lse − z) = 0·∞` counts as 0 (a masked class). Every other term is added,
/// so a NaN or `+∞` logit (which makes `lse` NaN) reaches the loss even where the
/// column's targets are all 0.
fn masked<T: Real>(x: T, t: T) -> bool {
    t == T::zero() && x == -T::infinity()
}

/// `∂z = u·(Σ_j y_j·softmax(z)_k − y_k)` per column, written (`write`) or added; `u` is
/// the upstream gradient times `1/B`.
///
/// The softmax is `e_k / Σ_j e_j` with `e_k = e^{z_k − max z}`: one exponential per
/// entry and no logarithm (the forward pass's `lse` is not kept, and recomputing it cost
/// a second exponential per entry and a logarithm per column). A column whose logits are
/// all `−∞`, or with a NaN or `+∞`, has no softmax: its gradients are NaN.
#[inline]
pub(crate) fn softmax_ce_backward_z<T: Real, const K: usize>(
    z: &[T],
    y: &[T],
    u: T,
    gz: &mut [T],
    write: bool,
) {
    for ((gcol, zcol), ycol) in crate::ops::columns_mut::<_, K>(gz)
        .iter_mut()
        .zip(crate::ops::columns::<_, K>(z).iter())
        .zip(crate::ops::columns::<_, K>(y).iter())
    {
        let mut m = -T::infinity();
        for &x in zcol {
            m = Real::max(m, x);
        }
        // `e` holds e^{z − m}, then the softmax; NaN where there is none.
        let mut e = [T::zero(); K];
        let mut sum = T::zero();
        for (e, &x) in e.iter_mut().zip(zcol) {
            *e = (x - m).exp();
            sum += *e;
        }
        let inv = if m == -T::infinity() {
            T::nan()
        } else {
            T::one() / sum
        };
        let mut total = T::zero();
        for &t in ycol {
            total += t;
        }
        for ((g, &p), &t) in gcol.iter_mut().zip(&e).zip(ycol) {
            let d = u * (total * (p * inv) - t);
            *g = if write { d } else { *g + d };
        }
    }
}

/// The loss `(1/B)·Σ_c Σ_k y_kc·(lse_c − z_kc)`, masked terms skipped; `inv_b` is `1/B`.
#[inline]
pub(crate) fn softmax_ce_forward<T: Real, const K: usize>(z: &[T], y: &[T], inv_b: T) -> T {
    let mut acc = T::zero();
    for (zcol, ycol) in crate::ops::columns::<_, K>(z)
        .iter()
        .zip(crate::ops::columns::<_, K>(y).iter())
    {
        let lse = log_sum_exp(zcol);
        for (&x, &t) in zcol.iter().zip(ycol) {
            if !masked(x, t) {
                acc += t * (lse - x);
            }
        }
    }
    acc * inv_b
}

fn softmax_ce_backward<T: Real, const K: usize>(s: &mut Backward<'_, T>) {
    let (z, y) = (s.input(0), s.input(1));
    let Some(&u) = s.upstream().first() else {
        return;
    };
    let u = u * s.attr();
    if let Some((gz, fresh)) = s.grad_fresh(0) {
        softmax_ce_backward_z::<T, K>(z, y, u, gz, fresh);
    }
    if let Some(gy) = s.grad(1) {
        for (gcol, zcol) in crate::ops::columns_mut::<_, K>(gy)
            .iter_mut()
            .zip(crate::ops::columns::<_, K>(z).iter())
        {
            let lse = log_sum_exp(zcol);
            // Every entry, zeros included: ∂L/∂y_k = lse − z_k whatever y_k is. (A −∞
            // logit gives +∞ here, the true slope of a masked class's term.)
            for (g, &x) in gcol.iter_mut().zip(zcol) {
                *g += u * (lse - x);
            }
        }
    }
}

/// The stable logistic function `σ(z)`.
fn sigmoid<T: Real>(z: T) -> T {
    if z >= T::zero() {
        T::one() / (T::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::one() + e)
    }
}

fn bce_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (z, y) = (s.input(0), s.input(1));
    let Some(&u) = s.upstream().first() else {
        return;
    };
    let u = u * s.attr();
    if let Some(gz) = s.grad(0) {
        for ((g, &x), &t) in gz.iter_mut().zip(z).zip(y) {
            *g += u * (sigmoid(x) - t);
        }
    }
    if let Some(gy) = s.grad(1) {
        for (g, &x) in gy.iter_mut().zip(z) {
            *g -= u * x;
        }
    }
}

/// One node's value: the mean softmax cross-entropy, `attr[0] = 1/B`.
fn softmax_ce_op_forward<T: Real, const K: usize>(z: &[T], y: &[T], attr: [T; 2], out: &mut [T]) {
    if let Some(o) = out.first_mut() {
        *o = softmax_ce_forward::<T, K>(z, y, attr[0]);
    }
}

/// One node's value: the mean binary cross-entropy from logits, `attr[0] = 1/n`.
fn bce_forward<T: Real>(z: &[T], y: &[T], attr: [T; 2], out: &mut [T]) {
    let mut acc = T::zero();
    for (&x, &t) in z.iter().zip(y) {
        acc += Real::max(x, T::zero()) - x * t + (-x.abs()).exp().ln_1p();
    }
    if let Some(o) = out.first_mut() {
        *o = acc * attr[0];
    }
}

impl<'g, T: Real, const K: usize, const B: usize> Var<'g, T, K, B> {
    /// Softmax cross-entropy from logits, averaged over the `B` columns of a batch
    /// (PyTorch's `cross_entropy` with probability targets, `reduction = "mean"`):
    ///
    /// `L = (1/B) Σ_c Σ_k −y_kc · ln softmax(z_c)_k`, with
    /// `ln softmax(z)_k = z_k − ln Σ_j e^{z_j}` computed stably (the largest logit is
    /// subtracted first, so no logit is too large).
    ///
    /// `targets` holds one distribution per column: a one-hot column for a class label
    /// (borrow it with [`Graph::constant`](crate::Graph::constant): no tape scalars).
    ///
    /// Derivatives: `∂L/∂z_kc = (Σ_j y_jc · softmax(z_c)_k − y_kc)/B`, which is
    /// `(p − y)/B` for a distribution; `∂L/∂y_kc = −ln softmax(z_c)_k / B` for every
    /// entry, including those whose target is 0.
    ///
    /// Domain: a NaN or `+∞` logit gives NaN (value and gradients), also in a column
    /// whose targets are all 0. A `−∞` logit is allowed where its target is 0 (its term
    /// is skipped: `0·ln 0` counts as 0), which masks a class; there `∂L/∂y` is `+∞`.
    /// Where its target is positive the loss is `+∞`.
    pub fn softmax_cross_entropy(self, targets: Var<'g, T, K, B>) -> Var<'g, T, 1, 1> {
        let inv_b = T::one() / T::constant(B as f64);
        self.apply_binary(
            targets,
            op!(
                "softmax_cross_entropy",
                softmax_ce_op_forward::<T, K>,
                softmax_ce_backward::<T, K>
            ),
            [inv_b, T::zero()],
        )
    }

    /// Binary cross-entropy from logits, averaged over all `K·B` entries (PyTorch's
    /// `binary_cross_entropy_with_logits`, `reduction = "mean"`):
    ///
    /// `L = mean(−y·ln σ(z) − (1 − y)·ln(1 − σ(z)))`, computed stably as
    /// `mean(max(z, 0) − z·y + ln(1 + e^{−|z|}))`.
    ///
    /// Derivatives: `∂L/∂z = (σ(z) − y)/n`, `∂L/∂y = −z/n`, with `n = K·B`.
    ///
    /// Domain: targets are normally in `[0, 1]` (any real is accepted; the formula is
    /// linear in `y`). Finite logits of any size are exact (no overflow); a NaN logit
    /// gives NaN, and a `±∞` logit gives NaN or `+∞` (`∞ − ∞` in the formula).
    pub fn binary_cross_entropy_with_logits(self, targets: Var<'g, T, K, B>) -> Var<'g, T, 1, 1> {
        let inv_n = T::one() / T::constant((K * B) as f64);
        self.apply_binary(
            targets,
            op!("bce_with_logits", bce_forward::<T>, bce_backward::<T>),
            [inv_n, T::zero()],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::{matrix, SMatrix};
    use crate::testing::{check, close, mat};
    use crate::Tape;

    fn one_hot<const K: usize, const B: usize>(labels: [usize; B]) -> SMatrix<f64, K, B> {
        SMatrix::from_fn(|k, c| if labels[c] == k { 1.0 } else { 0.0 })
    }

    fn probs<const K: usize, const B: usize>(seed: u64) -> SMatrix<f64, K, B> {
        let m = mat::<K, B>(seed).map(|x| x.exp());
        let mut p = m;
        for (mut col, src) in p.column_iter_mut().zip(m.column_iter()) {
            col.copy_from(&(src / src.sum()));
        }
        p
    }

    #[test]
    fn softmax_ce_matches_central_differences() {
        let y = one_hot::<4, 3>([2, 0, 3]);
        check(mat::<4, 3>(1), |g, z| {
            z.softmax_cross_entropy(g.constant_value(y))
        });
        // soft targets, and the gradient with respect to the targets
        check(mat::<4, 3>(2), |g, z| {
            z.softmax_cross_entropy(g.constant_value(probs(3)))
        });
        check(probs::<4, 3>(4), |g, y| {
            g.constant_value(mat::<4, 3>(5)).softmax_cross_entropy(y)
        });
    }

    #[test]
    fn softmax_ce_values() {
        // Uniform logits over K classes: L = ln K for any label.
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let z0 = SMatrix::<f64, 5, 1>::repeat(3.0);
        let y0 = one_hot::<5, 1>([1]);
        let g = tape.graph();
        let l = g.param(&z0).softmax_cross_entropy(g.constant(&y0));
        assert!(close(l.scalar(), libm::log(5.0), 1e-15));
        // Huge logits do not overflow: [1000, 0] with label 0 gives ln(1 + e^-1000) ≈ 0,
        // label 1 gives 1000.
        let z1 = matrix![1000.0, 1000.0; 0.0, 0.0];
        let y1 = matrix![1.0, 0.0; 0.0, 1.0];
        let l = g.constant(&z1).softmax_cross_entropy(g.constant(&y1));
        assert!(close(l.scalar(), 500.0, 1e-15));
        // −∞ masks a class with target 0; NaN propagates.
        let z2 = matrix![f64::NEG_INFINITY; 0.0];
        let y2 = matrix![0.0; 1.0];
        let l = g.constant(&z2).softmax_cross_entropy(g.constant(&y2));
        assert_eq!(l.scalar(), 0.0);
        let z3 = matrix![f64::NAN; 0.0];
        let l = g.constant(&z3).softmax_cross_entropy(g.constant(&y2));
        assert!(l.scalar().is_nan());
        let z4 = matrix![f64::INFINITY; 0.0];
        let l = g.constant(&z4).softmax_cross_entropy(g.constant(&y2));
        assert!(l.scalar().is_nan());
    }

    #[test]
    fn softmax_ce_gradient_is_p_minus_y_over_b() {
        let z0 = matrix![1.0, 0.0; 2.0, 0.0];
        let y0 = matrix![0.0, 1.0; 1.0, 0.0];
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let g = tape.graph();
        let z = g.param(&z0);
        let grads = z.softmax_cross_entropy(g.constant(&y0)).backward().unwrap();
        let d = grads.wrt(z).unwrap().into_owned();
        let p = 1.0 / (1.0 + libm::exp(-1.0)); // softmax([2, 1]) for the larger logit
        assert!(close(d[(0, 0)], (1.0 - p) / 2.0, 1e-15));
        assert!(close(d[(1, 0)], (p - 1.0) / 2.0, 1e-15));
        assert!(close(d[(0, 1)], (0.5 - 1.0) / 2.0, 1e-15));
        assert!(close(d[(1, 1)], 0.5 / 2.0, 1e-15));
    }

    /// The gradient of `v` as a matrix: the one place these tests read gradients.
    fn grad_wrt<'g, const R: usize, const C: usize>(
        grads: &crate::Grads<'g, f64>,
        v: crate::Var<'_, f64, R, C>,
    ) -> SMatrix<f64, R, C> {
        grads.wrt(v).unwrap().into_owned()
    }

    #[test]
    fn softmax_ce_target_gradient_includes_zero_targets() {
        // Regression: the rule skipped target entries that are exactly 0, so ∂L/∂y_k was 0
        // there instead of (lse − z_k)/B.
        let y = matrix![0.0, 0.3, 0.0; 1.0, 0.0, 0.0; 0.0, 0.7, 0.0; 0.0, 0.0, 1.0];
        check(y, |g, y| {
            g.constant_value(mat::<4, 3>(6)).softmax_cross_entropy(y)
        });
        // And the exact value at one zero entry.
        let z0 = matrix![1.0; 2.0; -0.5];
        let y0 = matrix![0.0; 1.0; 0.0];
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let g = tape.graph();
        let y = g.param(&y0);
        let grads = g.constant(&z0).softmax_cross_entropy(y).backward().unwrap();
        let d = grad_wrt(&grads, y);
        let lse = libm::log(libm::exp(1.0) + libm::exp(2.0) + libm::exp(-0.5));
        assert!(close(d[(0, 0)], lse - 1.0, 1e-15), "{}", d[(0, 0)]);
        assert!(close(d[(2, 0)], lse + 0.5, 1e-15), "{}", d[(2, 0)]);
    }

    #[test]
    fn softmax_ce_bad_logit_is_nan_even_where_targets_are_zero() {
        // Regression: a NaN or +∞ logit in a column whose targets are all 0 gave 0.
        for bad in [f64::NAN, f64::INFINITY] {
            let z0 = matrix![bad, 0.5; 0.0, 1.0];
            let y0 = matrix![0.0, 1.0; 0.0, 0.0];
            let mut tape: Tape<f64, 256, 32> = Tape::new();
            let g = tape.graph();
            let (z, y) = (g.param(&z0), g.param(&y0));
            let l = z.softmax_cross_entropy(y);
            assert!(l.scalar().is_nan(), "loss {} for logit {bad}", l.scalar());
            let grads = l.backward().unwrap();
            let (dz, dy) = (grad_wrt(&grads, z), grad_wrt(&grads, y));
            for r in 0..2 {
                assert!(dz[(r, 0)].is_nan(), "∂L/∂z[{r}] = {}", dz[(r, 0)]);
                assert!(dy[(r, 0)].is_nan(), "∂L/∂y[{r}] = {}", dy[(r, 0)]);
                // The healthy column keeps finite gradients.
                assert!(dz[(r, 1)].is_finite() && dy[(r, 1)].is_finite());
            }
        }
        // A column whose only other entry is masked: nothing else carries the NaN, so the
        // bad logit itself must not be taken for a masked class.
        for bad in [f64::NAN, f64::INFINITY] {
            let z0 = matrix![bad; f64::NEG_INFINITY];
            let y0 = matrix![0.0; 0.0];
            let mut tape: Tape<f64, 256, 32> = Tape::new();
            let g = tape.graph();
            let l = g.constant(&z0).softmax_cross_entropy(g.constant(&y0));
            assert!(l.scalar().is_nan(), "loss {} for logit {bad}", l.scalar());
            let one = matrix![bad];
            let l = g
                .constant(&one)
                .softmax_cross_entropy(g.constant_value(matrix![0.0]));
            assert!(
                l.scalar().is_nan(),
                "loss {} for a lone logit {bad}",
                l.scalar()
            );
        }
        // A −∞ logit with target 0 still masks its class.
        let z0 = matrix![f64::NEG_INFINITY; 0.0];
        let y0 = matrix![0.0; 0.0];
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let g = tape.graph();
        let l = g.constant(&z0).softmax_cross_entropy(g.constant(&y0));
        assert_eq!(l.scalar(), 0.0);
    }

    #[test]
    fn bce_matches_central_differences_and_values() {
        let y = matrix![1.0, 0.0, 0.3; 0.0, 1.0, 1.0];
        check(mat::<2, 3>(1).scale(3.0), |g, z| {
            z.binary_cross_entropy_with_logits(g.constant_value(y))
        });
        check(y, |g, y| {
            g.constant_value(mat::<2, 3>(2))
                .binary_cross_entropy_with_logits(y)
        });
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let g = tape.graph();
        // z = 0: ln 2 whatever the target; z = ±800 does not overflow.
        let z0 = matrix![0.0, 800.0, -800.0];
        let y0 = matrix![0.7, 0.0, 0.0];
        let l = g
            .constant(&z0)
            .binary_cross_entropy_with_logits(g.constant(&y0));
        assert!(close(l.scalar(), (libm::log(2.0) + 800.0) / 3.0, 1e-14));
        let z1 = matrix![f64::NAN];
        let y1 = matrix![1.0];
        let l = g
            .constant(&z1)
            .binary_cross_entropy_with_logits(g.constant(&y1));
        assert!(l.scalar().is_nan());
    }
}
