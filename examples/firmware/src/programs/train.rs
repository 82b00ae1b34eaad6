//! Trains a 4-8-3 network built from stackgrad's `nn` layers, `(Linear, Tanh, Linear)`,
//! on the iris flowers compiled into flash, with per-sample plain SGD (softmax
//! cross-entropy plus a small L2 penalty), and prints the loss as it falls and the
//! held-out accuracy.
//!
//! The program is generic over its scalar ([`Scalar`]): `train` runs it in `f32`
//! ([`run`]), `train_fixed` in Q16.16 fixed point ([`Q16`], [`run_fixed`]), with the
//! same data, seed, initial weights (rounded to the type) and hyper-parameters.
//!
//! The training runs on the compiled path ([`train_classifier_compiled`]): the model's
//! forward and backward passes, monomorphised and inlined, into [`ClassifierBuffers`].
//! Before training, one step from the same state on the tape ([`train_classifier`]) and
//! on the compiled path must give the same parameters bit for bit; after it, both steps
//! are measured.
//!
//! Memory is known before the program runs. The tape, the compiled path's buffers, the
//! model and the optimizer live in `static`s: the tape's size is
//! [`ClassifierStep::USAGE`], computed by the compiler from the model's type, the
//! buffers' size is their type's, and all of them start as all-zero bytes, so they land
//! in `.bss`. The linker then checks them against the board's `memory.x`: a model
//! too big for the chip does not link. Stack painting measures the rest.
//!
//! The statics are [`static_cell`] `ConstStaticCell`s built by `const fn`s
//! (`Tape::new`, `ClassifierBuffers::new`, `Sgd::new`, and the constant [`ZERO_NET`]),
//! so they stay in `.bss` (no copy from the stack at start-up), and `try_take` hands
//! out the one `&'static mut` without `unsafe` and without a panic path. The release build links with a panic handler that does not exist, so
//! no panic can be reached.

use stackgrad::nalgebra::{ArrayStorage, SMatrix, SVector};
use stackgrad::nn::{predict, Init, Linear, Module, Rng, Tanh};
use stackgrad::optim::Sgd;
use stackgrad::train::{train_classifier, train_classifier_replayed, ClassifierStep};
use stackgrad::train::{train_classifier_compiled, ClassifierBuffers};
use stackgrad::{Real, ReplayKey, Tape, Q16};
use static_cell::ConstStaticCell;

use crate::data::{
    iris_is_test, iris_standardised, IRIS_CLASSES, IRIS_LABELS, IRIS_Q16, IRIS_ROWS,
};
use crate::{print_metric, print_values, Io, Outcome};

/// Hidden units.
pub const HIDDEN: usize = 8;
/// Examples per training step.
pub const BATCH: usize = 1;
/// Epochs of training.
pub const EPOCHS: usize = 30;
/// Learning rate.
pub const LEARNING_RATE: f32 = 0.05;
/// L2 penalty `λ` on the two weight matrices.
pub const WEIGHT_DECAY: f32 = 1e-4;
/// Seed of the initial weights and of the shuffles.
pub const SEED: u64 = 7;

/// A scalar the program trains in: `f32`, or [`Q16`] on a chip without an FPU.
pub trait Scalar: Real {
    /// The learning rate, [`LEARNING_RATE`], in this type.
    const LEARNING_RATE: Self;
    /// Row `i`'s standardised features. For [`Q16`] read from a table of bit patterns
    /// (`IRIS_Q16`), with no floating-point arithmetic.
    fn features(i: usize) -> [Self; 4];
    /// The value as an `f32`, to print it.
    fn to_f32(self) -> f32;
    /// The bit pattern, to compare two runs bit for bit.
    fn bits(self) -> u64;
}

impl Scalar for f32 {
    const LEARNING_RATE: f32 = LEARNING_RATE;
    fn features(i: usize) -> [f32; 4] {
        iris_standardised(i)
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}

impl Scalar for Q16 {
    const LEARNING_RATE: Q16 = Q16::from_f64(LEARNING_RATE as f64);
    fn features(i: usize) -> [Q16; 4] {
        IRIS_Q16
            .get(i)
            .copied()
            .unwrap_or([0; 4])
            .map(Q16::from_bits)
    }
    fn to_f32(self) -> f32 {
        self.to_bits() as f32 / 65536.0
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits().cast_unsigned())
    }
}

/// The network: `W₂ tanh(W₁ x + b₁) + b₂`.
pub type Net<S = f32> = (Linear<S, 4, HIDDEN>, Tanh, Linear<S, HIDDEN, IRIS_CLASSES>);
/// What one training step records, computed by the compiler from [`Net`].
pub type Step<S = f32> = ClassifierStep<S, Net<S>, 4, IRIS_CLASSES, BATCH>;
/// The tape of one training step, sized exactly by [`Step::USAGE`] (the same for every
/// scalar type).
pub type TrainTape<S = f32> = Tape<S, { Step::<f32>::USAGE.scalars }, { Step::<f32>::USAGE.nodes }>;
/// The compiled path's buffers for one step.
pub type TrainBuffers<S = f32> = ClassifierBuffers<S, Net<S>, 4, IRIS_CLASSES, BATCH>;
/// Trainable scalars.
pub const PARAMS: usize = <Net as Module<f32>>::PARAMS;

const fn zero_linear<S: Real, const I: usize, const O: usize>() -> Linear<S, I, O> {
    Linear {
        weight: SMatrix::from_array_storage(ArrayStorage([[S::ZERO; O]; I])),
        bias: SMatrix::from_array_storage(ArrayStorage([[S::ZERO; O]; 1])),
    }
}

/// A network of zeros, as a constant (all-zero bytes, so a `static` of it is `.bss`).
pub const fn zero_net<S: Real>() -> Net<S> {
    (zero_linear(), Tanh, zero_linear())
}

/// A network of zeros in `f32`.
pub const ZERO_NET: Net = zero_net();

static TAPE: ConstStaticCell<TrainTape> = ConstStaticCell::new(TrainTape::new());
static BUFFERS: ConstStaticCell<TrainBuffers> = ConstStaticCell::new(TrainBuffers::new());
static NET: ConstStaticCell<Net> = ConstStaticCell::new(ZERO_NET);
static OPT: ConstStaticCell<Sgd<f32>> = ConstStaticCell::new(Sgd::new(LEARNING_RATE));

static TAPE_Q16: ConstStaticCell<TrainTape<Q16>> = ConstStaticCell::new(TrainTape::new());
static BUFFERS_Q16: ConstStaticCell<TrainBuffers<Q16>> = ConstStaticCell::new(TrainBuffers::new());
static NET_Q16: ConstStaticCell<Net<Q16>> = ConstStaticCell::new(zero_net());
static OPT_Q16: ConstStaticCell<Sgd<Q16>> =
    ConstStaticCell::new(Sgd::new(<Q16 as Scalar>::LEARNING_RATE));

/// Xavier-uniform weights (for `tanh`), zero biases, drawn from `rng` (in `f64`, then
/// rounded to the type: the same draws for every type).
pub fn init<S: Real>(net: &mut Net<S>, rng: &mut Rng) {
    net.0 = Linear::new(Init::XavierUniform, rng);
    net.2 = Linear::new(Init::XavierUniform, rng);
}

fn input<S: Scalar>(i: usize) -> SVector<S, 4> {
    SVector::from(S::features(i))
}

fn onehot<S: Real>(i: usize) -> SVector<S, IRIS_CLASSES> {
    let label = IRIS_LABELS.get(i).copied().unwrap_or(0) as usize;
    SVector::from_fn(|k, _| if k == label { S::one() } else { S::zero() })
}

/// Mean loss over the training rows and accuracy (correct, total) on the held-out rows.
fn evaluate<S: Scalar>(net: &Net<S>) -> (S, usize, usize) {
    let (mut loss, mut n_train, mut correct, mut n_test) = (S::zero(), 0usize, 0usize, 0usize);
    for i in 0..IRIS_ROWS {
        let x = input::<S>(i);
        let y = IRIS_LABELS.get(i).copied().unwrap_or(0) as usize;
        if iris_is_test(i) {
            n_test += 1;
            correct += usize::from(predict(net, &x) == y);
        } else {
            let l = stackgrad::nn::Layer::eval(net, &x);
            let lse = l.iter().fold(S::zero(), |s, &v| s + Real::exp(v));
            loss += Real::ln(lse) - l.get(y).copied().unwrap_or(S::zero());
            n_train += 1;
        }
    }
    (loss / S::constant(n_train.max(1) as f64), correct, n_test)
}

/// The program in `f32`: takes the statics (once) and trains.
pub fn run(io: &mut dyn Io) -> Outcome {
    let tape = TAPE.try_take().ok_or("the tape is already in use")?;
    let buffers = BUFFERS.try_take().ok_or("the buffers are already in use")?;
    let net = NET.try_take().ok_or("the model is already in use")?;
    let opt = OPT.try_take().ok_or("the optimizer is already in use")?;
    train(io, tape, buffers, net, opt)
}

/// The program in Q16.16 fixed point ([`Q16`]): takes its own statics (once) and trains.
pub fn run_fixed(io: &mut dyn Io) -> Outcome {
    let tape = TAPE_Q16.try_take().ok_or("the tape is already in use")?;
    let buffers = BUFFERS_Q16
        .try_take()
        .ok_or("the buffers are already in use")?;
    let net = NET_Q16.try_take().ok_or("the model is already in use")?;
    let opt = OPT_Q16
        .try_take()
        .ok_or("the optimizer is already in use")?;
    train(io, tape, buffers, net, opt)
}

/// One step from the same state on the tape and on the compiled path: the parameters
/// after it must be equal bit for bit (the same kernels in the same order).
fn paths_agree<S: Scalar>(
    tape: &mut TrainTape<S>,
    buffers: &mut TrainBuffers<S>,
    net: &Net<S>,
    decay: S,
) -> bool {
    let (x, y) = (input::<S>(0), onehot::<S>(0));
    let (mut a, mut b) = (*net, *net);
    let (mut oa, mut ob) = (Sgd::new(S::LEARNING_RATE), Sgd::new(S::LEARNING_RATE));
    let la = train_classifier(&mut a, tape, &mut oa, &x, &y, decay);
    let lb = train_classifier_compiled(&mut b, buffers, &mut ob, &x, &y, decay);
    let bits = |n: &Net<S>| {
        let mut h = 0u64;
        for (i, v) in
            n.0.weight
                .iter()
                .chain(n.0.bias.iter())
                .chain(n.2.weight.iter())
                .chain(n.2.bias.iter())
                .enumerate()
        {
            h = h
                .wrapping_mul(0x100_0000_01B3)
                .wrapping_add(v.bits() ^ i as u64);
        }
        h
    };
    matches!((la, lb), (Ok(p), Ok(q)) if p.bits() == q.bits()) && bits(&a) == bits(&b)
}

/// Trains `net` (initialised here from [`SEED`]) with `tape` and `opt`, wherever they
/// live (statics on a board, the heap in host tests).
pub fn train<S: Scalar>(
    io: &mut dyn Io,
    tape: &mut TrainTape<S>,
    buffers: &mut TrainBuffers<S>,
    net: &mut Net<S>,
    opt: &mut Sgd<S>,
) -> Outcome {
    let decay = S::constant(f64::from(WEIGHT_DECAY));
    let mut rng = Rng::seed_from_u64(SEED);
    init(net, &mut rng);
    if !paths_agree(tape, buffers, net, decay) {
        return Err("the tape and the compiled path disagree");
    }
    let _ = io.write_str("tape and compiled step: identical\n");
    let mut order = [0u8; IRIS_ROWS];
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u8;
    }
    let (loss0, _, _) = evaluate(net);
    print_values(io, "epoch 0 loss", [loss0.to_f32()]);
    let t0 = io.counter();
    for epoch in 1..=EPOCHS {
        rng.shuffle(&mut order);
        for &k in order.iter() {
            let k = k as usize;
            if !iris_is_test(k) {
                train_classifier_compiled(net, buffers, opt, &input(k), &onehot(k), decay)
                    .map_err(|_| "training step failed (non-finite gradient)")?;
            }
        }
        if epoch % 5 == 0 {
            let (loss, _, _) = evaluate(net);
            let _ = io.write_str("epoch ");
            let _ = crate::fmt::write_u64(io, epoch as u64);
            print_values(io, " loss", [loss.to_f32()]);
        }
    }
    if let (Some(a), Some(b)) = (t0, io.counter()) {
        let steps = (EPOCHS * (IRIS_ROWS - IRIS_ROWS / 5)) as u64;
        let per = crate::fmt::div_u64(io.instructions(b.saturating_sub(a)), steps);
        print_metric(io, "train_step", per);
    }
    // The same step on each path, on a copy of the trained model (16 steps each).
    let (mut a, mut b) = (*net, *net);
    let mut sgd = Sgd::new(S::zero());
    let (x, y) = (input::<S>(1), onehot::<S>(1));
    crate::measure(io, "train_step_tape", 16, &mut || {
        let _ = core::hint::black_box(train_classifier(&mut a, tape, &mut sgd, &x, &y, decay));
    });
    crate::measure(io, "train_step_compiled", 16, &mut || {
        let _ = core::hint::black_box(train_classifier_compiled(
            &mut b, buffers, &mut sgd, &x, &y, decay,
        ));
    });
    // Replayed: recorded once here, then the measured steps replay it.
    let mut key = ReplayKey::new();
    let mut c = *net;
    let _ = train_classifier_replayed(&mut c, tape, &mut sgd, &x, &y, decay, &mut key);
    crate::measure(io, "train_step_replay", 16, &mut || {
        let _ = core::hint::black_box(train_classifier_replayed(
            &mut c, tape, &mut sgd, &x, &y, decay, &mut key,
        ));
    });
    let (loss, correct, total) = evaluate(net);
    print_values(io, "final loss", [loss.to_f32()]);
    let _ = io.write_str("held-out accuracy ");
    let _ = crate::fmt::write_u64(io, correct as u64);
    let _ = io.write_str("/");
    let _ = crate::fmt::write_u64(io, total as u64);
    let _ = io.write_str("\n");
    print_metric(io, "tape_scalars_used", tape.high_water().scalars as u64);
    print_metric(
        io,
        "tape_bytes",
        core::mem::size_of::<TrainTape<S>>() as u64,
    );
    print_metric(
        io,
        "buffer_bytes",
        core::mem::size_of::<TrainBuffers<S>>() as u64,
    );
    let learned = loss < loss0; // false for NaN
    if !learned || correct * 10 < total * 9 {
        return Err("training did not reach 90% held-out accuracy");
    }
    Ok(())
}
