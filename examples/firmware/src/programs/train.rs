//! Trains a 4-8-3 network (tanh, stackgrad's softmax cross-entropy) on the iris flowers
//! compiled into flash, with stackgrad's plain per-sample SGD, and prints the loss as it
//! falls and the held-out accuracy. Everything (parameters, tape, gradients) fits in a few KiB of RAM, so it runs
//! on the micro:bit's 16 KiB. Its release build is linked with a panic handler that does
//! not exist (`panic-never`): no panic can be reached.

use stackgrad::check::XorShift32;
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::optim::{Optimizer, Sgd};
use stackgrad::{Error, Real, Tape};

use crate::data::{iris_is_test, iris_standardised, IRIS_CLASSES, IRIS_LABELS, IRIS_ROWS};
use crate::{print_metric, print_values, Io, Outcome};

/// Hidden units.
pub const HIDDEN: usize = 8;
/// Epochs of training.
pub const EPOCHS: usize = 30;
/// Learning rate.
pub const LEARNING_RATE: f32 = 0.05;

/// Parameter scalars: `W₁` 8×4, `b₁` 8, `W₂` 3×8, `b₂` 3.
pub const PARAMS: usize = HIDDEN * 4 + HIDDEN + IRIS_CLASSES * HIDDEN + IRIS_CLASSES;

/// Scalars one step needs: 67 parameter gradients and about 60 for the operations
/// (measured with [`Tape::high_water`] and checked by the host test), rounded up.
pub const TAPE_SCALARS: usize = 144;
/// Nodes one step needs: 6 leaves and 6 operations.
pub const TAPE_NODES: usize = 12;

/// The tape of one training step.
pub type TrainTape = Tape<f32, TAPE_SCALARS, TAPE_NODES>;

/// The network.
#[derive(Clone, Debug)]
pub struct Net {
    w1: SMatrix<f32, HIDDEN, 4>,
    b1: SVector<f32, HIDDEN>,
    w2: SMatrix<f32, IRIS_CLASSES, HIDDEN>,
    b2: SVector<f32, IRIS_CLASSES>,
}

impl Net {
    /// Xavier-uniform weights (`±√(6 / (fan_in + fan_out))`), zero biases.
    pub fn new(seed: u32) -> Self {
        let mut r = XorShift32::new(seed);
        let a1 = core::f32::consts::FRAC_1_SQRT_2; // √(6 / 12)
        let a2 = 0.738_548_9_f32; // √(6 / 11)
        let w1 = SMatrix::from_fn(|_, _| a1 * r.next_symmetric::<f32>());
        let w2 = SMatrix::from_fn(|_, _| a2 * r.next_symmetric::<f32>());
        Net {
            w1,
            b1: SVector::zeros(),
            w2,
            b2: SVector::zeros(),
        }
    }

    /// The class scores of one flower.
    pub fn logits(&self, x: &SVector<f32, 4>) -> SVector<f32, IRIS_CLASSES> {
        let mut h = self.b1;
        h.gemv(1.0, &self.w1, x, 1.0);
        h.apply(|v| *v = Real::tanh(*v));
        let mut l = self.b2;
        l.gemv(1.0, &self.w2, &h, 1.0);
        l
    }

    /// One SGD step on one flower; returns its loss, the softmax cross-entropy of the
    /// logits against the one-hot label. Parameters change only if every gradient is
    /// finite (else `Err(Error::NonFinite)` from the optimizer, and nothing changes).
    pub fn step(
        &mut self,
        tape: &mut TrainTape,
        opt: &mut Sgd<f32, PARAMS>,
        x: &SVector<f32, 4>,
        label: usize,
    ) -> Result<f32, Error> {
        let onehot =
            SVector::<f32, IRIS_CLASSES>::from_fn(|i, _| if i == label { 1.0 } else { 0.0 });
        let loss = {
            let g = tape.graph();
            // Parameters first, so their gradients are `tape.grads()[..PARAMS]`, in order.
            let (w1, b1) = (g.param(&self.w1), g.param(&self.b1));
            let (w2, b2) = (g.param(&self.w2), g.param(&self.b2));
            let (xv, y) = (g.constant(x), g.constant(&onehot));
            let logits = w2 * (w1 * xv + b1).tanh() + b2;
            let loss = logits.softmax_cross_entropy(y);
            let value = loss.scalar();
            loss.backward()?;
            value
        };
        let grads = tape.grads()?.get(..PARAMS).ok_or(Error::Stale)?;
        opt.step_parts(
            [
                self.w1.as_mut_slice(),
                self.b1.as_mut_slice(),
                self.w2.as_mut_slice(),
                self.b2.as_mut_slice(),
            ],
            grads,
        )?;
        Ok(loss)
    }
}

fn input(i: usize) -> SVector<f32, 4> {
    SVector::from(iris_standardised(i))
}

fn label(i: usize) -> usize {
    IRIS_LABELS.get(i).copied().unwrap_or(0) as usize
}

fn argmax(l: &SVector<f32, IRIS_CLASSES>) -> usize {
    let mut best = 0;
    for (i, &v) in l.iter().enumerate() {
        if l.get(best).is_some_and(|&b| v > b) {
            best = i;
        }
    }
    best
}

/// Mean loss over the training rows and accuracy (correct, total) on the held-out rows.
fn evaluate(net: &Net) -> (f32, usize, usize) {
    let (mut loss, mut n_train, mut correct, mut n_test) = (0.0f32, 0usize, 0usize, 0usize);
    for i in 0..IRIS_ROWS {
        let l = net.logits(&input(i));
        let y = label(i);
        if iris_is_test(i) {
            n_test += 1;
            correct += usize::from(argmax(&l) == y);
        } else {
            let lse = l.iter().map(|&v| Real::exp(v)).sum::<f32>();
            loss += Real::ln(lse) - l.get(y).copied().unwrap_or(0.0);
            n_train += 1;
        }
    }
    (loss / n_train.max(1) as f32, correct, n_test)
}

/// The program.
pub fn run(io: &mut dyn Io) -> Outcome {
    let mut net = Net::new(7);
    let mut tape = TrainTape::new();
    let mut opt = Sgd::<f32, PARAMS>::new(LEARNING_RATE);
    let mut rng = XorShift32::new(99);
    let mut order = [0u8; IRIS_ROWS];
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u8;
    }
    let (loss0, _, _) = evaluate(&net);
    print_values(io, "epoch 0 loss", [loss0]);
    let t0 = io.counter();
    for epoch in 1..=EPOCHS {
        // Fisher–Yates shuffle, the same on every target.
        for i in (1..IRIS_ROWS).rev() {
            let j = (rng.next_u32() as usize).checked_rem(i + 1).unwrap_or(0);
            order.swap(i, j.min(i));
        }
        for &k in order.iter() {
            let k = k as usize;
            if !iris_is_test(k) {
                net.step(&mut tape, &mut opt, &input(k), label(k))
                    .map_err(|_| "training step failed (tape or non-finite gradient)")?;
            }
        }
        if epoch % 5 == 0 {
            let (loss, _, _) = evaluate(&net);
            let _ = io.write_str("epoch ");
            let _ = crate::fmt::write_u64(io, epoch as u64);
            print_values(io, " loss", [loss]);
        }
    }
    if let (Some(a), Some(b)) = (t0, io.counter()) {
        let steps = (EPOCHS * (IRIS_ROWS - IRIS_ROWS / 5)) as u64;
        let per = crate::fmt::div_u64(io.instructions(b.saturating_sub(a)), steps);
        print_metric(io, "train_step", per);
    }
    let (loss, correct, total) = evaluate(&net);
    print_values(io, "final loss", [loss]);
    let _ = io.write_str("held-out accuracy ");
    let _ = crate::fmt::write_u64(io, correct as u64);
    let _ = io.write_str("/");
    let _ = crate::fmt::write_u64(io, total as u64);
    let _ = io.write_str("\n");
    print_metric(io, "tape_scalars_used", tape.high_water().scalars as u64);
    print_metric(io, "tape_bytes", core::mem::size_of::<TrainTape>() as u64);
    let learned = loss < loss0; // false for NaN
    if !learned || correct * 10 < total * 9 {
        return Err("training did not reach 90% held-out accuracy");
    }
    Ok(())
}
