//! Loss functions, each returning a scalar `Var<1, 1>` to call `backward` on, and the
//! L2 penalty as an explicit loss term.
//!
//! | loss | nodes | tape scalars (tracked input `R×C`) |
//! |---|---|---|
//! | [`mse`] | 3 | `2·R·C + 4` |
//! | [`softmax_cross_entropy`] | 1 | 2 |
//! | [`binary_cross_entropy_with_logits`] | 1 | 2 |
//! | [`max_margin`] | 3 | `4·R·C + 2` |
//! | [`l2_penalty`] | 2 | 4 |
//!
//! (Counts exclude the targets: borrow them with [`Graph::constant`](crate::Graph::constant),
//! one node and no scalars.) The same counts as constants, to add up in a `const` that
//! sizes a tape: [`LossUsage`].
//!
//! ```
//! use stackgrad::compiled::Zeroed;
//! use stackgrad::nn::loss::{mse, LossUsage};
//! use stackgrad::nn::{Layer, Linear, Mat, Module};
//! use stackgrad::nalgebra::SMatrix;
//! use stackgrad::{Tape, Usage};
//!
//! type L = Linear<f32, 3, 2>;
//! const NEED: Usage = <L as Module<f32>>::BIND
//!     .plus(Usage { scalars: 0, nodes: 2 }) // the batch and the targets, borrowed
//!     .plus(<L as Layer<f32, Mat<3, 4>>>::FORWARD)
//!     .plus(LossUsage::<2, 4>::MSE);
//! let (l, x, y) = (L::zeroed(), SMatrix::<f32, 3, 4>::zeros(), SMatrix::<f32, 2, 4>::zeros());
//! let mut tape: Tape<f32, { NEED.scalars }, { NEED.nodes }> = Tape::new();
//! let g = tape.graph();
//! let p = l.bind(&g);
//! let loss = mse(L::forward(&p, g.constant(&x)), g.constant(&y));
//! assert_eq!(g.needed(), NEED); // exactly
//! loss.backward()?;
//! # Ok::<(), stackgrad::Error>(())
//! ```

use crate::ops::Unary;
use crate::{Real, Usage, Var};

/// What each loss records on a tape for a tracked `R×C` input (the table above), as
/// [`Usage`] constants to add up with [`Usage::plus`].
#[derive(Clone, Copy, Debug)]
pub struct LossUsage<const R: usize, const C: usize>;

impl<const R: usize, const C: usize> LossUsage<R, C> {
    /// [`mse`]: 3 nodes, `2·R·C + 4` scalars.
    pub const MSE: Usage = Usage {
        scalars: 2 * R * C + 4,
        nodes: 3,
    };
    /// [`softmax_cross_entropy`]: 1 node, 2 scalars.
    pub const SOFTMAX_CROSS_ENTROPY: Usage = Usage {
        scalars: 2,
        nodes: 1,
    };
    /// [`binary_cross_entropy_with_logits`]: 1 node, 2 scalars.
    pub const BINARY_CROSS_ENTROPY: Usage = Usage {
        scalars: 2,
        nodes: 1,
    };
    /// [`max_margin`]: 3 nodes, `4·R·C + 2` scalars.
    pub const MAX_MARGIN: Usage = Usage {
        scalars: 4 * R * C + 2,
        nodes: 3,
    };
    /// [`l2_penalty`] of an `R×C` weight: 2 nodes, 4 scalars.
    pub const L2_PENALTY: Usage = Usage {
        scalars: 4,
        nodes: 2,
    };
}

/// Mean squared error `(1/n)·Σ (pred − target)²` over the `n = R·C` entries (PyTorch's
/// `mse_loss`). `∂/∂pred = 2(pred − target)/n`, `∂/∂target` is its negative. NaN
/// propagates; entries beyond ≈ 1.8e19 in `f32` overflow to `+∞`.
pub fn mse<'g, T: Real, const R: usize, const C: usize>(
    pred: Var<'g, T, R, C>,
    target: Var<'g, T, R, C>,
) -> Var<'g, T, 1, 1> {
    (pred - target)
        .norm_squared()
        .scale(T::one() / T::constant((R * C) as f64))
}

/// Softmax cross-entropy from logits, averaged over the batch's columns. See
/// [`Var::softmax_cross_entropy`] (stable log-sum-exp, `∂/∂z = (p − y)/B`).
pub fn softmax_cross_entropy<'g, T: Real, const K: usize, const B: usize>(
    logits: Var<'g, T, K, B>,
    targets: Var<'g, T, K, B>,
) -> Var<'g, T, 1, 1> {
    logits.softmax_cross_entropy(targets)
}

/// Binary cross-entropy from logits, averaged over all entries. See
/// [`Var::binary_cross_entropy_with_logits`] (`∂/∂z = (σ(z) − y)/n`).
pub fn binary_cross_entropy_with_logits<'g, T: Real, const R: usize, const C: usize>(
    logits: Var<'g, T, R, C>,
    targets: Var<'g, T, R, C>,
) -> Var<'g, T, 1, 1> {
    logits.binary_cross_entropy_with_logits(targets)
}

/// The hinge `max(0, m + x)` with margin `m` as the parameter.
///
/// Derivative 1 where `m + x > 0`, 0 where `m + x ≤ 0`: at the kink the derivative is 0,
/// as for `relu` (PyTorch's `relu`, the choice of the lecture's `max(0, ·)`). NaN gives
/// NaN with a NaN derivative.
pub struct Hinge;

impl<T: Real> Unary<T> for Hinge {
    fn f(x: T, m: T) -> T {
        let z = m + x;
        if z > T::zero() || z.is_nan() {
            z
        } else {
            T::zero()
        }
    }
    fn df(x: T, _: T, m: T) -> T {
        let z = m + x;
        if z > T::zero() {
            T::one()
        } else if z.is_nan() {
            z
        } else {
            T::zero()
        }
    }
    const DF_READS_Y: bool = false;
}

/// The window classifier's max-margin loss `J = max(0, 1 − s + s_c)` (CS224n lecture 3),
/// averaged over the entries when `s` and `s_c` hold a batch of scores.
///
/// `s` is the score of a true window (centre word is a location), `s_c` that of a
/// corrupt one. `J` is 0 once the true window outscores the corrupt one by the margin 1;
/// otherwise `∂J/∂s = −1/n` and `∂J/∂s_c = +1/n`. At the kink (`1 − s + s_c = 0`) the
/// gradient is 0 (see [`Hinge`]). NaN propagates.
pub fn max_margin<'g, T: Real, const R: usize, const C: usize>(
    s: Var<'g, T, R, C>,
    s_c: Var<'g, T, R, C>,
) -> Var<'g, T, 1, 1> {
    (s_c - s).map::<Hinge>(T::one()).mean()
}

/// The L2 regularization term `λ/2·‖W‖² = λ/2·Σ wᵢⱼ²` (add it to the loss).
/// `∂/∂W = λW`: with plain SGD this is the same as weight decay `λ`. Two nodes and four
/// scalars, whatever the size of `W`.
pub fn l2_penalty<'g, T: Real, const R: usize, const C: usize>(
    w: Var<'g, T, R, C>,
    lambda: T,
) -> Var<'g, T, 1, 1> {
    w.norm_squared().scale(lambda * T::constant(0.5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nalgebra::{matrix, SMatrix};
    use crate::testing::{check, close, edge_table, grad_of, mat};
    use crate::Tape;

    #[test]
    fn each_loss_records_what_its_usage_says() {
        let (a, b) = (mat::<3, 2>(1), mat::<3, 2>(2));
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        type U = LossUsage<3, 2>;
        type Record = dyn Fn(Var<'_, f64, 3, 2>, Var<'_, f64, 3, 2>);
        let cases: [(Usage, &Record); 5] = [
            (U::MSE, &|p, t| {
                let _ = mse(p, t);
            }),
            (U::SOFTMAX_CROSS_ENTROPY, &|p, t| {
                let _ = softmax_cross_entropy(p, t);
            }),
            (U::BINARY_CROSS_ENTROPY, &|p, t| {
                let _ = binary_cross_entropy_with_logits(p, t);
            }),
            (U::MAX_MARGIN, &|p, t| {
                let _ = max_margin(p, t);
            }),
            (U::L2_PENALTY, &|p, _| {
                let _ = l2_penalty(p, 0.1);
            }),
        ];
        for (usage, loss) in cases {
            let g = tape.graph();
            let (p, t) = (g.param(&a), g.constant(&b));
            let before = g.needed();
            loss(p, t);
            let after = g.needed();
            assert_eq!(
                Usage {
                    scalars: after.scalars - before.scalars,
                    nodes: after.nodes - before.nodes
                },
                usage
            );
        }
    }

    #[test]
    fn gradients_match_central_differences() {
        let t = mat::<3, 2>(1);
        check(mat::<3, 2>(2), |g, p| mse(p, g.constant_value(t)));
        check(mat::<3, 2>(3), |g, p| mse(g.constant_value(t), p));
        check(mat::<3, 2>(4), |_, w| l2_penalty(w, 0.3));
        let y = matrix![0.0, 1.0; 1.0, 0.0; 0.0, 0.0];
        check(mat::<3, 2>(5), |g, z| {
            softmax_cross_entropy(z, g.constant_value(y))
        });
        check(mat::<3, 2>(6), |g, z| {
            binary_cross_entropy_with_logits(z, g.constant_value(y))
        });
        // max margin, away from the kink, for both scores
        let sc = matrix![0.3, -2.0, 0.9];
        check(matrix![0.1, 0.4, 1.2], |g, s| {
            max_margin(s, g.constant_value(sc))
        });
        check(sc, |g, c| {
            max_margin(g.constant_value(matrix![0.1, 0.4, 1.2]), c)
        });
    }

    #[test]
    fn values() {
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let g = tape.graph();
        let (p0, t0) = (matrix![1.0, 2.0], matrix![0.0, 4.0]);
        assert_eq!(mse(g.constant(&p0), g.constant(&t0)).scalar(), 2.5);
        assert_eq!(l2_penalty(g.constant(&p0), 0.5).scalar(), 1.25);
        // J = max(0, 1 − s + s_c): 1 − 2 + 0.5 = −0.5 → 0; 1 − 0 + 0.5 = 1.5
        let s = g.constant_value(SMatrix::<f64, 1, 1>::new(2.0));
        let sc = g.constant_value(SMatrix::<f64, 1, 1>::new(0.5));
        assert_eq!(max_margin(s, sc).scalar(), 0.0);
        assert_eq!(max_margin(sc.scale(0.0), sc).scalar(), 1.5);
    }

    #[test]
    fn hinge_edges_and_kink() {
        let inf = f64::INFINITY;
        edge_table::<Hinge>(
            1.0,
            &[
                (-1.0, 0.0, 0.0),
                (0.0, 1.0, 1.0),
                (-3.0, 0.0, 0.0),
                (inf, inf, 1.0),
                (-inf, 0.0, 0.0),
            ],
        );
        // ∂J/∂s = −1 when the margin is violated, 0 when it holds or at the kink.
        let sc = 0.5;
        let d = grad_of::<1, 1>(0.0, |g, s| {
            max_margin(s, g.constant_value(SMatrix::<f64, 1, 1>::new(sc)))
        });
        assert_eq!(d, -1.0);
        let d = grad_of::<1, 1>(1.5, |g, s| {
            max_margin(s, g.constant_value(SMatrix::<f64, 1, 1>::new(sc)))
        });
        assert_eq!(d, 0.0);
        assert!(close(Hinge::f(0.25, 1.0), 1.25, 0.0));
    }
}
