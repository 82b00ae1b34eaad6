//! Training a classifier: the loss, one in-place training step, and its exact tape size,
//! for any model that maps `IN×B` inputs to `K×B` logits.
//!
//! The loss is `cross_entropy(logits, Y) + λ/2·Σ‖W‖²` (softmax cross-entropy averaged
//! over the batch, L2 on the weight matrices). [`ClassifierStep::USAGE`] is what one
//! step records, computed by the compiler from the model's type, so the tape is sized
//! exactly, with no hand-counted constant:
//!
//! ```
//! use stackgrad::nalgebra::SMatrix;
//! use stackgrad::nn::{mlp, Mlp, Module, Rng};
//! use stackgrad::train::{train_classifier, ClassifierStep};
//! use stackgrad::optim::Adam;
//! use stackgrad::Tape;
//!
//! type Net = Mlp<f32, 4, 8, 3>;
//! const B: usize = 2; // batch size
//! type Step = ClassifierStep<f32, Net, 4, 3, B>;
//! let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
//! let mut tape: Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
//! let mut adam: Adam<f32, { <Net as Module<f32>>::PARAMS }> = Adam::new(1e-2);
//! let x = SMatrix::<f32, 4, B>::from_fn(|r, c| (r + c) as f32);
//! let y = SMatrix::<f32, 3, B>::from_fn(|r, c| if r == c { 1.0 } else { 0.0 });
//! let first = train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-4)?;
//! for _ in 0..50 {
//!     train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-4)?;
//! }
//! assert!(train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-4)? < first);
//! # Ok::<(), stackgrad::Error>(())
//! ```

use core::marker::PhantomData;

use nalgebra::SMatrix;

use crate::nn::{add_penalties, Layer, Mat};
use crate::optim::Optimizer;
use crate::{Error, Real, ReplayKey, Tape, Usage, Var};

/// What one classification training step of model `M` records on a tape, for batches of
/// `B` columns of `IN` features and `K` classes. A type only: read its constants.
pub struct ClassifierStep<T, M, const IN: usize, const K: usize, const B: usize>(
    PhantomData<(T, M)>,
);

impl<T, M, const IN: usize, const K: usize, const B: usize> ClassifierStep<T, M, IN, K, B>
where
    T: Real,
    M: Layer<T, Mat<IN, B>, Output = Mat<K, B>>,
{
    /// What [`train_classifier`] records, exactly: the parameters, the borrowed batch
    /// and targets (a node each, no scalars), the forward pass on a constant batch
    /// ([`Layer::FORWARD_CONSTANT`]), the cross-entropy (2 scalars, 1 node), the L2
    /// penalty and the addition that joins it (2 scalars, 1 node). At `λ = 0` the
    /// penalty is not recorded, and a step uses [`Module::PENALTY`](crate::nn::Module::PENALTY)
    /// plus 2 scalars and 1 node less than this.
    pub const USAGE: Usage = {
        let base = M::BIND
            .plus(Usage {
                scalars: 0,
                nodes: 2,
            })
            .plus(M::FORWARD_CONSTANT)
            .plus(Usage {
                scalars: if M::PARAMS > 0 { 2 } else { 1 },
                nodes: 1,
            });
        if M::PENALTY.nodes > 0 {
            base.plus(M::PENALTY).plus(Usage {
                scalars: 2,
                nodes: 1,
            })
        } else {
            base
        }
    };
}

/// The classification loss from parameters already on a graph:
/// `cross_entropy(M(X), Y) + λ/2·Σ‖W‖²` (the penalty is left out at `λ = 0`).
pub fn classifier_loss<'g, T, M, const IN: usize, const K: usize, const B: usize>(
    vars: &M::Vars<'g>,
    x: Var<'g, T, IN, B>,
    y: Var<'g, T, K, B>,
    lambda: T,
) -> Var<'g, T, 1, 1>
where
    T: Real,
    M: Layer<T, Mat<IN, B>, Output = Mat<K, B>>,
{
    // The penalty is recorded first, so the reverse sweep reaches it last: each weight's
    // gradient is the product's, then `+ λW` (the order the compiled path follows). At
    // λ = 0 it is not recorded at all: it would add zeros.
    let penalty = if lambda == T::zero() {
        None
    } else {
        M::penalty(vars, lambda)
    };
    let ce = M::forward(vars, x).softmax_cross_entropy(y);
    add_penalties(Some(ce), penalty).unwrap_or(ce)
}

/// One training step: records the loss on `tape` for the batch `x` (one example per
/// column) with one-hot (or probability) targets `y`, runs backward, and lets `opt`
/// update every parameter in place with its own gradient. Returns the loss before the
/// step.
///
/// # Errors
///
/// [`Error::Capacity`] if the tape is smaller than [`ClassifierStep::USAGE`] (stating the
/// whole step's need); [`Error::LengthMismatch`] if the optimizer's state is not sized
/// for the model's [`Module::PARAMS`](crate::nn::Module::PARAMS); [`Error::NonFinite`] if a gradient or parameter is
/// NaN or infinite. On error the parameters and the optimizer are unchanged.
pub fn train_classifier<
    T,
    M,
    O,
    const IN: usize,
    const K: usize,
    const B: usize,
    const S: usize,
    const N: usize,
>(
    model: &mut M,
    tape: &mut Tape<T, S, N>,
    opt: &mut O,
    x: &SMatrix<T, IN, B>,
    y: &SMatrix<T, K, B>,
    lambda: T,
) -> Result<T, Error>
where
    T: Real,
    M: Layer<T, Mat<IN, B>, Output = Mat<K, B>>,
    O: Optimizer<T>,
{
    let (loss, ids) = {
        let g = tape.graph();
        let vars = model.bind(&g);
        let l = classifier_loss::<T, M, IN, K, B>(&vars, g.constant(x), g.constant(y), lambda);
        l.backward()?;
        (l.scalar(), M::ids(&vars))
    };
    opt.step_model(model, tape, &ids)?;
    Ok(loss)
}

/// [`train_classifier`] that records the step's graph once and replays it after
/// ([`Tape::graph_or_replay`]): the same operations in the same order, so the same
/// bits, without recording them again. `key` remembers the recording (keep one per
/// training loop, [`ReplayKey::new`]); a change of `lambda` records anew, as does any
/// other graph recorded on `tape` in between.
///
/// ```
/// use stackgrad::nalgebra::SMatrix;
/// use stackgrad::nn::{mlp, Mlp, Module, Rng};
/// use stackgrad::train::{train_classifier_replayed, ClassifierStep};
/// use stackgrad::optim::Adam;
/// use stackgrad::{ReplayKey, Tape};
///
/// type Net = Mlp<f32, 4, 8, 3>;
/// type Step = ClassifierStep<f32, Net, 4, 3, 2>;
/// let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
/// let mut tape: Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
/// let mut adam: Adam<f32, { <Net as Module<f32>>::PARAMS }> = Adam::new(1e-2);
/// let mut key = ReplayKey::new();
/// let x = SMatrix::<f32, 4, 2>::from_fn(|r, c| (r + c) as f32);
/// let y = SMatrix::<f32, 3, 2>::from_fn(|r, c| if r == c { 1.0 } else { 0.0 });
/// let first = train_classifier_replayed(&mut net, &mut tape, &mut adam, &x, &y, 1e-4, &mut key)?;
/// for _ in 0..50 {
///     train_classifier_replayed(&mut net, &mut tape, &mut adam, &x, &y, 1e-4, &mut key)?;
/// }
/// assert!(train_classifier_replayed(&mut net, &mut tape, &mut adam, &x, &y, 1e-4, &mut key)? < first);
/// # Ok::<(), stackgrad::Error>(())
/// ```
///
/// # Errors
///
/// As [`train_classifier`]. On error the parameters and the optimizer are unchanged.
#[allow(clippy::too_many_arguments)]
pub fn train_classifier_replayed<
    T,
    M,
    O,
    const IN: usize,
    const K: usize,
    const B: usize,
    const S: usize,
    const N: usize,
>(
    model: &mut M,
    tape: &mut Tape<T, S, N>,
    opt: &mut O,
    x: &SMatrix<T, IN, B>,
    y: &SMatrix<T, K, B>,
    lambda: T,
    key: &mut ReplayKey,
) -> Result<T, Error>
where
    T: Real,
    M: Layer<T, Mat<IN, B>, Output = Mat<K, B>>,
    O: Optimizer<T>,
{
    let tag = lambda.to_f64().to_bits();
    if key.tag != tag {
        key.forget();
        key.tag = tag;
    }
    let (loss, ids) = {
        let g = tape.graph_or_replay(key);
        let vars = model.bind(&g);
        let (xv, yv) = (g.constant(x), g.constant(y));
        let l = g.output(|| classifier_loss::<T, M, IN, K, B>(&vars, xv, yv, lambda));
        l.backward()?;
        (l.scalar(), M::ids(&vars))
    };
    opt.step_model(model, tape, &ids)?;
    Ok(loss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{mlp, predict, Init, Linear, LinearVars, Mlp, Module, Relu, Rng};
    use crate::ops::unary::Tanh;
    use crate::optim::{Adam, Sgd};
    use crate::testing::{check, mat};

    type Net = Mlp<f64, 3, 4, 2>;
    const B: usize = 5;
    type Step = ClassifierStep<f64, Net, 3, 2, B>;
    const P: usize = <Net as Module<f64>>::PARAMS;

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

    #[test]
    fn sizes_are_computed_by_the_compiler() {
        assert_eq!(P, 3 * 4 + 4 + 4 * 2 + 2);
        // 4 parameters, X, Y; W₁X + b₁ (one node), relu, W₂H + b₂, cross-entropy; two L2
        // terms of 2 nodes, their sum, and the sum with the cross-entropy.
        assert_eq!(Step::USAGE.nodes, 16);
        assert_eq!(
            Step::USAGE.scalars,
            P + 4 * 4 * B + 2 * 2 * B + 2 + 4 + 4 + 2 + 2
        );
    }

    #[test]
    fn loss_gradient_matches_central_differences_for_every_parameter() {
        let net: Net = mlp(&mut Rng::seed_from_u64(3));
        let (x, y) = data();
        let lambda = 0.1;
        check(net.0.weight, |g, w| {
            let v = (
                LinearVars {
                    weight: w,
                    bias: g.constant_value(net.0.bias),
                },
                (),
                LinearVars {
                    weight: g.constant_value(net.2.weight),
                    bias: g.constant_value(net.2.bias),
                },
            );
            classifier_loss::<f64, Net, 3, 2, B>(
                &v,
                g.constant_value(x),
                g.constant_value(y),
                lambda,
            )
        });
        check(net.2.bias, |g, b| {
            let v = (
                LinearVars {
                    weight: g.constant_value(net.0.weight),
                    bias: g.constant_value(net.0.bias),
                },
                (),
                LinearVars {
                    weight: g.constant_value(net.2.weight),
                    bias: b,
                },
            );
            classifier_loss::<f64, Net, 3, 2, B>(
                &v,
                g.constant_value(x),
                g.constant_value(y),
                lambda,
            )
        });
    }

    #[test]
    fn a_step_fits_its_tape_exactly_and_an_overflow_states_the_whole_need() {
        const S: usize = Step::USAGE.scalars;
        const N: usize = Step::USAGE.nodes;
        let (x, y) = data();
        let net0: Net = mlp(&mut Rng::seed_from_u64(1));

        let mut net = net0;
        let mut tape: Tape<f64, S, N> = Tape::new();
        let mut opt = Sgd::new(0.1);
        train_classifier(&mut net, &mut tape, &mut opt, &x, &y, 0.01).unwrap();
        assert_eq!(tape.high_water(), Step::USAGE);

        let mut net = net0;
        let mut small: Tape<f64, { S - 1 }, N> = Tape::new();
        let r = train_classifier(&mut net, &mut small, &mut opt, &x, &y, 0.01);
        assert_eq!(
            r,
            Err(Error::Capacity {
                needed: Step::USAGE,
                capacity: Usage {
                    scalars: S - 1,
                    nodes: N
                }
            })
        );
        assert_eq!(net, net0, "a failed step changes nothing");
        // A tiny tape reports the same whole need in one try.
        let mut tiny: Tape<f64, 8, 2> = Tape::new();
        let r = train_classifier(&mut net, &mut tiny, &mut opt, &x, &y, 0.01);
        assert!(matches!(r, Err(Error::Capacity { needed, .. }) if needed == Step::USAGE));

        let mut few: Tape<f64, S, { N - 1 }> = Tape::new();
        let r = train_classifier(&mut net, &mut few, &mut opt, &x, &y, 0.01);
        assert!(matches!(r, Err(Error::Capacity { needed, .. }) if needed == Step::USAGE));
        // An optimizer of the wrong size is refused, and nothing changes.
        let mut wrong: Adam<f64, 3> = Adam::new(0.1);
        let r = train_classifier(&mut net, &mut tape, &mut wrong, &x, &y, 0.01);
        assert!(matches!(r, Err(Error::LengthMismatch { .. })));
        assert_eq!(net, net0);
        // At λ = 0 the penalty is not recorded.
        let mut net = net0;
        train_classifier(&mut net, &mut tape, &mut opt, &x, &y, 0.0).unwrap();
        let penalty = <Net as Module<f64>>::PENALTY;
        assert_eq!(
            tape.used(),
            Usage {
                scalars: S - penalty.scalars - 2,
                nodes: N - penalty.nodes - 1
            }
        );
    }

    #[test]
    fn a_first_layer_without_parameters_is_counted_exactly() {
        // The batch is a constant: a leading activation stores its values only.
        type First = (Tanh, Linear<f64, 3, 4>, Relu, Linear<f64, 4, 2>);
        type FirstStep = ClassifierStep<f64, First, 3, 2, B>;
        let mut rng = Rng::seed_from_u64(3);
        let mut net: First = (
            Tanh,
            Linear::new(Init::XavierUniform, &mut rng),
            Relu,
            Linear::new(Init::XavierUniform, &mut rng),
        );
        let (x, y) = data();
        let mut tape: Tape<f64, { FirstStep::USAGE.scalars }, { FirstStep::USAGE.nodes }> =
            Tape::new();
        train_classifier(&mut net, &mut tape, &mut Sgd::new(0.1), &x, &y, 0.01).unwrap();
        assert_eq!(tape.used(), FirstStep::USAGE);
        // One scalar less does not fit.
        let mut small: Tape<f64, { FirstStep::USAGE.scalars - 1 }, 64> = Tape::new();
        let r = train_classifier(&mut net, &mut small, &mut Sgd::new(0.1), &x, &y, 0.01);
        assert!(matches!(r, Err(Error::Capacity { .. })));
    }

    /// One step of plain SGD on the classification loss, binding the parameters in the
    /// order `order` with operations recorded between them.
    fn step_in_order(
        net: &mut Net,
        order: [usize; 4],
        x: &SMatrix<f64, 3, B>,
        y: &SMatrix<f64, 2, B>,
    ) {
        let mut tape: Tape<f64, 1024, 64> = Tape::new();
        let ids = {
            let g = tape.graph();
            let (xv, yv) = (g.constant(x), g.constant(y));
            let mut w1 = None;
            let mut b1 = None;
            let mut w2 = None;
            let mut b2 = None;
            for k in order {
                // an unrelated operation between bindings
                let _ = xv.tanh().sum();
                match k {
                    0 => w1 = Some(g.param(&net.0.weight)),
                    1 => b1 = Some(g.param(&net.0.bias)),
                    2 => w2 = Some(g.param(&net.2.weight)),
                    _ => b2 = Some(g.param(&net.2.bias)),
                }
            }
            let vars = (
                LinearVars {
                    weight: w1.unwrap(),
                    bias: b1.unwrap(),
                },
                (),
                LinearVars {
                    weight: w2.unwrap(),
                    bias: b2.unwrap(),
                },
            );
            classifier_loss::<f64, Net, 3, 2, B>(&vars, xv, yv, 0.01)
                .backward()
                .unwrap();
            Net::ids(&vars)
        };
        Sgd::new(0.1).step_model(net, &tape, &ids).unwrap();
    }

    #[test]
    fn binding_order_does_not_change_the_trajectory() {
        let (x, y) = data();
        let net0: Net = mlp(&mut Rng::seed_from_u64(5));
        let mut reference = net0;
        for _ in 0..10 {
            step_in_order(&mut reference, [0, 1, 2, 3], &x, &y);
        }
        assert_ne!(reference, net0);
        for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
            let mut net = net0;
            for _ in 0..10 {
                step_in_order(&mut net, order, &x, &y);
            }
            assert_eq!(net, reference, "order {order:?}");
        }
    }

    #[test]
    fn ids_of_another_tape_or_graph_are_refused() {
        let (x, y) = data();
        let mut net: Net = mlp(&mut Rng::seed_from_u64(2));
        let net0 = net;
        let mut a: Tape<f64, 1024, 64> = Tape::new();
        let mut b: Tape<f64, 1024, 64> = Tape::new();
        let ids_a = {
            let g = a.graph();
            let v = net.bind(&g);
            classifier_loss::<f64, Net, 3, 2, B>(&v, g.constant(&x), g.constant(&y), 0.0)
                .backward()
                .unwrap();
            Net::ids(&v)
        };
        {
            let g = b.graph();
            let v = net.bind(&g);
            classifier_loss::<f64, Net, 3, 2, B>(&v, g.constant(&x), g.constant(&y), 0.0)
                .backward()
                .unwrap();
        }
        // Same capacity, same first graph: the ids still know their tape.
        assert_eq!(
            Sgd::new(0.1).step_model(&mut net, &b, &ids_a),
            Err(Error::Foreign)
        );
        // After a new graph on tape a, they are stale.
        a.reset();
        assert_eq!(
            Sgd::new(0.1).step_model(&mut net, &a, &ids_a),
            Err(Error::Stale)
        );
        assert_eq!(net, net0);
    }

    #[test]
    fn training_reduces_the_loss_deterministically() {
        let (x, y) = data();
        let run = || {
            let mut net: Net = mlp(&mut Rng::seed_from_u64(9));
            let mut tape: Tape<f64, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
            let mut adam: Adam<f64, P> = Adam::new(0.05);
            let mut losses = [0.0; 60];
            for l in losses.iter_mut() {
                *l = train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-3).unwrap();
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
        for c in 0..B {
            let want = usize::from(y[(1, c)] == 1.0);
            assert_eq!(predict(&net, &x.column(c).into_owned()), want);
        }
        let (again, net2) = run();
        assert_eq!(losses, again);
        assert_eq!(net, net2);
    }

    #[test]
    fn tape_logits_equal_direct_logits() {
        let net: Net = mlp(&mut Rng::seed_from_u64(4));
        let (x, _) = data();
        let mut tape: Tape<f64, 512, 32> = Tape::new();
        let g = tape.graph();
        let v = net.bind(&g);
        let z = Net::forward(&v, g.constant(&x)).value();
        assert!((z - net.eval(&x)).amax() < 1e-14);
    }
}
