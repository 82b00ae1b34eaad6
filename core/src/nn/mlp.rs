//! A two-layer perceptron `IN → HIDDEN (ReLU) → OUT` trained with softmax
//! cross-entropy and an L2 penalty: the model of the digits example, usable on a chip.

use nalgebra::{SMatrix, SVector};

use super::loss::l2_penalty;
use super::{Init, Linear, LinearVars, Rng};
use crate::optim::Optimizer;
use crate::{Error, Graph, Real, Tape, Var};

/// `logits = W₂·relu(W₁x + b₁) + b₂`, trained on
/// `L = cross_entropy(logits, y) + λ/2·(‖W₁‖² + ‖W₂‖²)`.
///
/// ```
/// use stackgrad::nalgebra::SMatrix;
/// use stackgrad::nn::{Mlp, Rng};
/// use stackgrad::optim::Adam;
/// use stackgrad::Tape;
///
/// type Net = Mlp<f32, 4, 8, 3>;
/// const B: usize = 2; // batch size
/// let mut net = Net::new(&mut Rng::seed_from_u64(1));
/// let mut tape: Tape<f32, { Net::step_scalars(B) }, { Net::STEP_NODES }> = Tape::new();
/// let mut adam: Adam<f32, { Net::PARAMS }> = Adam::new(1e-2);
/// let x = SMatrix::<f32, 4, B>::from_fn(|r, c| (r + c) as f32);
/// let y = SMatrix::<f32, 3, B>::from_fn(|r, c| if r == c { 1.0 } else { 0.0 });
/// let first = net.train_step(&mut tape, &mut adam, &x, &y, 1e-4)?;
/// for _ in 0..50 {
///     net.train_step(&mut tape, &mut adam, &x, &y, 1e-4)?;
/// }
/// assert!(net.train_step(&mut tape, &mut adam, &x, &y, 1e-4)? < first);
/// # Ok::<(), stackgrad::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mlp<T: Real, const IN: usize, const HIDDEN: usize, const OUT: usize> {
    /// `W₁, b₁`
    pub hidden: Linear<T, IN, HIDDEN>,
    /// `W₂, b₂`
    pub output: Linear<T, HIDDEN, OUT>,
}

impl<T: Real, const IN: usize, const HIDDEN: usize, const OUT: usize> Mlp<T, IN, HIDDEN, OUT> {
    /// Number of trainable scalars: `HIDDEN·IN + HIDDEN + OUT·HIDDEN + OUT`.
    pub const PARAMS: usize = Linear::<T, IN, HIDDEN>::PARAMS + Linear::<T, HIDDEN, OUT>::PARAMS;

    /// Tape nodes of one training step: 4 parameters and 2 borrowed constants (`X`,
    /// `Y`); `W₁X`, `+b₁`, `relu`, `W₂H`, `+b₂`, the cross-entropy; `‖W₁‖²`, `·λ/2`,
    /// `‖W₂‖²`, `·λ/2`; two additions. 18 in all.
    pub const STEP_NODES: usize = 18;

    /// Tape scalars of one training step on a batch of `batch` columns:
    /// `PARAMS + 6·HIDDEN·batch + 4·OUT·batch + 14`
    /// (the parameters' gradients; value and gradient of `W₁X`, `+b₁`, `relu`, `W₂H`,
    /// `+b₂`; 2 each for the cross-entropy, the four L2 nodes and the two additions).
    pub const fn step_scalars(batch: usize) -> usize {
        Self::PARAMS
            + Linear::<T, IN, HIDDEN>::forward_scalars(batch)
            + 2 * HIDDEN * batch
            + Linear::<T, HIDDEN, OUT>::forward_scalars(batch)
            + 14
    }

    /// He-uniform hidden weights (for the ReLU), Xavier-uniform output weights, zero
    /// biases.
    pub fn new(rng: &mut Rng) -> Self {
        Mlp {
            hidden: Linear::new(Init::HeUniform, rng),
            output: Linear::new(Init::XavierUniform, rng),
        }
    }

    /// The training loss from parameters already on a graph:
    /// `cross_entropy(W₂·relu(W₁X + b₁) + b₂, Y) + λ/2·(‖W₁‖² + ‖W₂‖²)`.
    pub fn loss_with<'g, const B: usize>(
        hidden: LinearVars<'g, T, IN, HIDDEN>,
        output: LinearVars<'g, T, HIDDEN, OUT>,
        x: Var<'g, T, IN, B>,
        y: Var<'g, T, OUT, B>,
        lambda: T,
    ) -> Var<'g, T, 1, 1> {
        let logits = output.forward(hidden.forward(x).relu());
        logits.softmax_cross_entropy(y)
            + l2_penalty(hidden.weight, lambda)
            + l2_penalty(output.weight, lambda)
    }

    /// Records the training loss on `g` for the batch `x` (one example per column) with
    /// one-hot (or probability) targets `y`. The parameters are registered first, so
    /// their gradients are the first [`Mlp::PARAMS`] scalars of
    /// [`Tape::grads`](crate::Tape::grads), in the order of [`Mlp::params_mut`].
    pub fn loss<'g, 'a, const B: usize, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
        x: &'a SMatrix<T, IN, B>,
        y: &'a SMatrix<T, OUT, B>,
        lambda: T,
    ) -> Var<'g, T, 1, 1> {
        let (h, o) = (self.hidden.bind(g), self.output.bind(g));
        Self::loss_with(h, o, g.constant(x), g.constant(y), lambda)
    }

    /// One training step: records the loss, runs backward and lets `opt` update the
    /// parameters in place from the tape's gradients. Returns the loss before the step.
    ///
    /// # Errors
    ///
    /// [`Error::Capacity`] if the tape is smaller than
    /// `(step_scalars(B), STEP_NODES)`; [`Error::LengthMismatch`] if the optimizer is
    /// not sized for [`Mlp::PARAMS`]; [`Error::NonFinite`] if a gradient is NaN or
    /// infinite. On error the parameters are unchanged.
    pub fn train_step<O: Optimizer<T>, const B: usize, const S: usize, const N: usize>(
        &mut self,
        tape: &mut Tape<T, S, N>,
        opt: &mut O,
        x: &SMatrix<T, IN, B>,
        y: &SMatrix<T, OUT, B>,
        lambda: T,
    ) -> Result<T, Error> {
        let loss = {
            let g = tape.graph();
            let l = self.loss(&g, x, y, lambda);
            let _ = l.backward()?;
            l.scalar()
        };
        let grads = tape.grads()?.get(..Self::PARAMS).ok_or(Error::Stale)?;
        opt.step_parts(self.params_mut(), grads)?;
        Ok(loss)
    }

    /// The logits of a batch, computed directly (no tape).
    pub fn logits<const B: usize>(&self, x: &SMatrix<T, IN, B>) -> SMatrix<T, OUT, B> {
        let h = self.hidden.eval(x).map(|z| {
            if z > T::zero() || z.is_nan() {
                z
            } else {
                T::zero()
            }
        });
        self.output.eval(&h)
    }

    /// The predicted class of one input: the index of its largest logit (the first on
    /// ties; 0 if the logits are NaN).
    pub fn predict(&self, x: &SVector<T, IN>) -> usize {
        let z = self.logits(x);
        let mut best = 0;
        for (i, &v) in z.iter().enumerate() {
            if z.get(best).is_some_and(|&b| v > b) {
                best = i;
            }
        }
        best
    }

    /// `[W₁, b₁, W₂, b₂]`, the order of their gradients on the tape.
    pub fn params_mut(&mut self) -> [&mut [T]; 4] {
        let [w1, b1] = self.hidden.params_mut();
        let [w2, b2] = self.output.params_mut();
        [w1, b1, w2, b2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, Sgd};
    use crate::testing::{check, mat, TestGraph};
    use crate::Resource;

    type Net = Mlp<f64, 3, 4, 2>;
    const B: usize = 5;

    fn data() -> (SMatrix<f64, 3, B>, SMatrix<f64, 2, B>) {
        let x = mat::<3, B>(7);
        // class 1 when the first feature exceeds the second
        let y = SMatrix::from_fn(|k, c| {
            let one = x[(0, c)] > x[(1, c)];
            if (k == 1) == one {
                1.0
            } else {
                0.0
            }
        });
        (x, y)
    }

    type Consts<'g> = (
        Var<'g, f64, 4, 3>,
        Var<'g, f64, 4, 1>,
        Var<'g, f64, 2, 4>,
        Var<'g, f64, 2, 1>,
        Var<'g, f64, 3, B>,
        Var<'g, f64, 2, B>,
    );

    fn consts<'g>(
        g: &'g TestGraph<'_>,
        net: &Net,
        x: &SMatrix<f64, 3, B>,
        y: &SMatrix<f64, 2, B>,
    ) -> Consts<'g> {
        (
            g.constant_value(net.hidden.weight),
            g.constant_value(net.hidden.bias),
            g.constant_value(net.output.weight),
            g.constant_value(net.output.bias),
            g.constant_value(*x),
            g.constant_value(*y),
        )
    }

    #[test]
    fn loss_gradient_matches_central_differences_for_every_parameter() {
        let net = Net::new(&mut Rng::seed_from_u64(3));
        let (x, y) = data();
        let lambda = 0.1;
        check(net.hidden.weight, |g, w| {
            let (_, b1, w2, b2, x, y) = consts(g, &net, &x, &y);
            let h = LinearVars {
                weight: w,
                bias: b1,
            };
            Net::loss_with(
                h,
                LinearVars {
                    weight: w2,
                    bias: b2,
                },
                x,
                y,
                lambda,
            )
        });
        check(net.hidden.bias, |g, b| {
            let (w1, _, w2, b2, x, y) = consts(g, &net, &x, &y);
            let h = LinearVars {
                weight: w1,
                bias: b,
            };
            Net::loss_with(
                h,
                LinearVars {
                    weight: w2,
                    bias: b2,
                },
                x,
                y,
                lambda,
            )
        });
        check(net.output.weight, |g, w| {
            let (w1, b1, _, b2, x, y) = consts(g, &net, &x, &y);
            let h = LinearVars {
                weight: w1,
                bias: b1,
            };
            Net::loss_with(
                h,
                LinearVars {
                    weight: w,
                    bias: b2,
                },
                x,
                y,
                lambda,
            )
        });
        check(net.output.bias, |g, b| {
            let (w1, b1, w2, _, x, y) = consts(g, &net, &x, &y);
            let h = LinearVars {
                weight: w1,
                bias: b1,
            };
            Net::loss_with(
                h,
                LinearVars {
                    weight: w2,
                    bias: b,
                },
                x,
                y,
                lambda,
            )
        });
    }

    #[test]
    fn a_step_fits_its_tape_exactly() {
        const S: usize = Net::step_scalars(B);
        const N: usize = Net::STEP_NODES;
        assert_eq!(S, 26 + 6 * 4 * B + 4 * 2 * B + 14);
        let (x, y) = data();
        let net0 = Net::new(&mut Rng::seed_from_u64(1));

        let mut net = net0;
        let mut tape: Tape<f64, S, N> = Tape::new();
        let mut opt: Sgd<f64, { Net::PARAMS }> = Sgd::new(0.1);
        net.train_step(&mut tape, &mut opt, &x, &y, 0.01).unwrap();
        assert_eq!(tape.high_water().scalars, S);
        assert_eq!(tape.high_water().nodes, N);

        let mut net = net0;
        let mut small: Tape<f64, { S - 1 }, N> = Tape::new();
        let r = net.train_step(&mut small, &mut opt, &x, &y, 0.01);
        assert!(matches!(
            r,
            Err(Error::Capacity {
                resource: Resource::Scalars,
                ..
            })
        ));
        assert_eq!(net, net0, "a failed step changes nothing");

        let mut few: Tape<f64, S, { N - 1 }> = Tape::new();
        let r = net.train_step(&mut few, &mut opt, &x, &y, 0.01);
        assert!(matches!(
            r,
            Err(Error::Capacity {
                resource: Resource::Nodes,
                ..
            })
        ));
        // An optimizer of the wrong size is refused, and nothing changes.
        let mut wrong: Sgd<f64, 3> = Sgd::new(0.1);
        let r = net.train_step(&mut tape, &mut wrong, &x, &y, 0.01);
        assert!(matches!(r, Err(Error::LengthMismatch { .. })));
        assert_eq!(net, net0);
    }

    #[test]
    fn training_reduces_the_loss_deterministically() {
        let (x, y) = data();
        let run = || {
            let mut net = Net::new(&mut Rng::seed_from_u64(9));
            let mut tape: Tape<f64, { Net::step_scalars(B) }, { Net::STEP_NODES }> = Tape::new();
            let mut adam: Adam<f64, { Net::PARAMS }> = Adam::new(0.05);
            let mut losses = [0.0; 60];
            for l in losses.iter_mut() {
                *l = net.train_step(&mut tape, &mut adam, &x, &y, 1e-3).unwrap();
            }
            (losses, net)
        };
        let (losses, net) = run();
        assert!(
            losses[59] < 0.5 * losses[0],
            "{} → {}",
            losses[0],
            losses[59]
        );
        assert!(losses[59] < 0.15, "{}", losses[59]);
        // every example classified correctly
        for c in 0..B {
            let want = usize::from(y[(1, c)] == 1.0);
            assert_eq!(net.predict(&x.column(c).into_owned()), want);
        }
        // the same seed gives the same run, bit for bit
        let (again, net2) = run();
        assert_eq!(losses, again);
        assert_eq!(net, net2);
    }

    #[test]
    fn tape_logits_equal_direct_logits() {
        let net = Net::new(&mut Rng::seed_from_u64(4));
        let (x, _) = data();
        let mut tape: Tape<f64, 512, 32> = Tape::new();
        let g = tape.graph();
        let (h, o) = (net.hidden.bind(&g), net.output.bind(&g));
        let z = o.forward(h.forward(g.constant(&x)).relu()).value();
        assert!((z - net.logits(&x)).amax() < 1e-14);
    }
}
