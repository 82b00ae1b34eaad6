//! stackgrad's side of the comparison with AIfES 2.2 on QEMU's Cortex-M4F (`mps2-an386`),
//! run by `cargo xtask peers` (see this directory's README).
//!
//! The network is `(Linear<f32, 4, 8>, Tanh, Linear<f32, 8, 3>)`, softmax cross-entropy,
//! plain SGD with learning rate 0.05, one example per step, trained from the common
//! initial parameters over the common 120 rows (`data.rs`). Six ways to take a step:
//!
//! | name | step |
//! |---|---|
//! | `tape_l2` | `train::train_classifier`, λ = 1e-4 |
//! | `tape_l0` | `train::train_classifier`, λ = 0 |
//! | `tape_bare` | the same graph recorded by hand with no penalty, then `step_model` |
//! | `compiled_l2` | `train::train_classifier_compiled`, λ = 1e-4 |
//! | `compiled_l0` | `train::train_classifier_compiled`, λ = 0 |
//! | `compiled_bare` | `Backprop::forward_cached`, the softmax cross-entropy's gradient written here, `Backprop::backward`, `step_with`: no penalty at all |
//!
//! AIfES has no weight decay, so the λ = 0 and bare steps must compute what AIfES
//! computes. `tape_bare` records exactly `tape_l0`'s graph (the library leaves the
//! penalty out at λ = 0), so their difference is what λ = 0 costs on the tape.
//! `compiled_bare` also differs in its loss code: it computes the softmax once, where
//! the library's kernels take the log-sum-exp in the forward pass and again, with the
//! softmax, in the backward pass; its difference to `compiled_l0` is mostly that.
//!
//! Output, read by the xtask: `loss NAME I BITS` for each of the 120 steps and
//! `param NAME K BITS` for the 67 parameters after them (`f32` bits in hexadecimal);
//! then `# step_NAME N` (instructions per step, the mean over the 120 rows, from the
//! common start), `# stack_step_NAME BYTES` (stack below the caller of one step) and
//! `# ram_...` (`size_of` each static).
#![no_std]
#![no_main]

use firmware_qemu::board;
use stackgrad::compiled::{Backprop, ParamGrads, Zeroed};
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::nn::{Layer, Linear, Mat, Module};
use stackgrad::ops::unary::Tanh;
use stackgrad::optim::{Optimizer, Sgd};
use stackgrad::train::{train_classifier, ClassifierStep};
use stackgrad::train::{train_classifier_compiled, ClassifierBuffers};
use stackgrad::{Error, Real, Tape};
use stackgrad_firmware::{fmt, print_metric, Io, Outcome};
use static_cell::ConstStaticCell;

mod data;
use data::{B1_INIT, B2_INIT, N_ROWS, W1_INIT, W2_INIT, X_ROWS, Y_ROWS};

type Net = (Linear<f32, 4, 8>, Tanh, Linear<f32, 8, 3>);
type Step = ClassifierStep<f32, Net, 4, 3, 1>;
type TrainTape = Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }>;
type Buffers = ClassifierBuffers<f32, Net, 4, 3, 1>;
type Cache = <Net as Backprop<f32, Mat<4, 1>>>::Cache;
type Grads = <Net as ParamGrads<f32>>::Grads;

const LR: f32 = 0.05;
const LAMBDA: f32 = 1e-4;

/// What `compiled_bare` keeps between its forward and backward passes: the same fields
/// as [`ClassifierBuffers`], which keeps its own private.
struct Bare {
    cache: Cache,
    logits: SVector<f32, 3>,
    dlogits: SVector<f32, 3>,
    grads: Grads,
}

static TAPE: ConstStaticCell<TrainTape> = ConstStaticCell::new(TrainTape::new());
static BUFFERS: ConstStaticCell<Buffers> = ConstStaticCell::new(Buffers::new());
static BARE: ConstStaticCell<Bare> = ConstStaticCell::new(Bare {
    cache: Cache::ZERO,
    logits: SMatrix::ZERO,
    dlogits: SMatrix::ZERO,
    grads: Grads::ZERO,
});
static NET: ConstStaticCell<Net> = ConstStaticCell::new((Linear::ZERO, Tanh, Linear::ZERO));
static SGD: ConstStaticCell<Sgd<f32>> = ConstStaticCell::new(Sgd::new(LR));

/// Everything a step touches, each a `static` handed out once.
struct State {
    tape: &'static mut TrainTape,
    buffers: &'static mut Buffers,
    bare: &'static mut Bare,
    net: &'static mut Net,
    sgd: &'static mut Sgd<f32>,
}

/// Puts the common initial parameters into the model.
fn reset(net: &mut Net) {
    net.0.weight.as_mut_slice().copy_from_slice(&W1_INIT);
    net.0.bias.as_mut_slice().copy_from_slice(&B1_INIT);
    net.2.weight.as_mut_slice().copy_from_slice(&W2_INIT);
    net.2.bias.as_mut_slice().copy_from_slice(&B2_INIT);
}

/// Row `i` (wrapping) and its one-hot target.
fn example(i: usize) -> (SVector<f32, 4>, SVector<f32, 3>) {
    let i = i % N_ROWS;
    let x = X_ROWS.get(i).copied().unwrap_or_default();
    let y = Y_ROWS.get(i).copied().unwrap_or_default();
    (SVector::from(x), SVector::from(y))
}

#[inline(never)]
fn tape_l2(s: &mut State, i: usize) -> Result<f32, Error> {
    let (x, y) = example(i);
    train_classifier(s.net, s.tape, s.sgd, &x, &y, LAMBDA)
}

#[inline(never)]
fn tape_l0(s: &mut State, i: usize) -> Result<f32, Error> {
    let (x, y) = example(i);
    train_classifier(s.net, s.tape, s.sgd, &x, &y, 0.0)
}

/// `train_classifier`'s graph without the penalty, recorded by hand.
#[inline(never)]
fn tape_bare(s: &mut State, i: usize) -> Result<f32, Error> {
    let (x, y) = example(i);
    let (loss, ids) = {
        let g = s.tape.graph();
        let vars = s.net.bind(&g);
        let logits = <Net as Layer<f32, Mat<4, 1>>>::forward(&vars, g.constant(&x));
        let l = logits.softmax_cross_entropy(g.constant(&y));
        l.backward()?;
        (l.scalar(), Net::ids(&vars))
    };
    s.sgd.step_model(s.net, s.tape, &ids)?;
    Ok(loss)
}

#[inline(never)]
fn compiled_l2(s: &mut State, i: usize) -> Result<f32, Error> {
    let (x, y) = example(i);
    train_classifier_compiled(s.net, s.buffers, s.sgd, &x, &y, LAMBDA)
}

#[inline(never)]
fn compiled_l0(s: &mut State, i: usize) -> Result<f32, Error> {
    let (x, y) = example(i);
    train_classifier_compiled(s.net, s.buffers, s.sgd, &x, &y, 0.0)
}

/// The compiled layers with no penalty anywhere: the loss and its gradient are written
/// here (the library's own softmax cross-entropy kernels are crate-private).
#[inline(never)]
fn compiled_bare(s: &mut State, i: usize) -> Result<f32, Error> {
    let (x, y) = example(i);
    let b = &mut *s.bare;
    s.net.forward_cached(&x, &mut b.cache, &mut b.logits);
    // loss = ln Σ exp(z − m) + m − y·z with m = max z; ∂loss/∂z = softmax(z) − y for
    // targets summing to 1.
    let z = &b.logits;
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for (d, &zk) in b.dlogits.iter_mut().zip(z.iter()) {
        *d = Real::exp(zk - m);
        sum += *d;
    }
    let inv = 1.0 / sum;
    let mut yz = 0.0f32;
    for ((d, &yk), &zk) in b.dlogits.iter_mut().zip(y.iter()).zip(z.iter()) {
        *d = *d * inv - yk;
        yz += yk * zk;
    }
    let loss = Real::ln(sum) + m - yz;
    s.net
        .backward(&x, &b.logits, &mut b.cache, &b.dlogits, &mut b.grads, None, None);
    s.sgd.step_with((&mut *s.net, &b.grads))?;
    Ok(loss)
}

type StepFn = fn(&mut State, usize) -> Result<f32, Error>;

const STEPS: [(&str, StepFn); 6] = [
    ("tape_l2", tape_l2),
    ("tape_l0", tape_l0),
    ("tape_bare", tape_bare),
    ("compiled_l2", compiled_l2),
    ("compiled_l0", compiled_l0),
    ("compiled_bare", compiled_bare),
];

/// `WHAT NAME I BITS`.
fn bits(io: &mut dyn Io, what: &str, name: &str, i: usize, v: f32) {
    let _ = io.write_str(what);
    let _ = io.write_str(" ");
    let _ = io.write_str(name);
    let _ = io.write_str(" ");
    let _ = fmt::write_u64(io, i as u64);
    let _ = io.write_str(" ");
    let _ = fmt::write_hex32(io, v.to_bits());
    let _ = io.write_str("\n");
}

/// `# PREFIX_NAME VALUE`.
fn metric(io: &mut dyn Io, prefix: &str, name: &str, value: u64) {
    let _ = io.write_str("# ");
    let _ = io.write_str(prefix);
    let _ = io.write_str("_");
    let _ = io.write_str(name);
    let _ = io.write_str(" ");
    let _ = fmt::write_u64(io, value);
    let _ = io.write_str("\n");
}

/// Instructions per step, the mean over one pass of the rows from the common start
/// (after one step to warm up, then a reset).
fn per_step(io: &mut dyn Io, s: &mut State, step: StepFn) -> u64 {
    reset(s.net);
    let _ = step(s, 0);
    reset(s.net);
    let t0 = io.counter().unwrap_or(0);
    for i in 0..N_ROWS {
        let _ = core::hint::black_box(step(s, i));
    }
    let t1 = io.counter().unwrap_or(0);
    fmt::div_u64(io.instructions(t1.saturating_sub(t0)), N_ROWS as u64)
}

const PAINT: u32 = 0x5EED_F00D;
/// How far below the caller's frame the stack is painted (a step needs about 1 KiB).
const DEPTH: usize = 8192;

/// Bytes of stack one step uses below this function's caller: paints `DEPTH` bytes
/// below the stack pointer, takes a step, and finds the lowest word that changed.
#[inline(never)]
fn stack_of(s: &mut State, step: StepFn) -> usize {
    let sp = board::cortex_m::stack_pointer();
    let (low, high) = (sp - DEPTH, sp - 64);
    let mut p = low;
    while p < high {
        // SAFETY: below every live frame (a 64-byte margin for this one) and far above
        // the end of `.bss` (the stack region is most of the 1 MiB of RAM we use);
        // word-aligned.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
    reset(s.net);
    let _ = core::hint::black_box(step(s, 0));
    let mut p = low;
    // SAFETY: the same words, read only.
    while p < high && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    sp - p
}

fn run(io: &mut dyn Io) -> Outcome {
    let mut s = State {
        tape: TAPE.try_take().ok_or("tape taken")?,
        buffers: BUFFERS.try_take().ok_or("buffers taken")?,
        bare: BARE.try_take().ok_or("bare buffers taken")?,
        net: NET.try_take().ok_or("model taken")?,
        sgd: SGD.try_take().ok_or("optimizer taken")?,
    };
    // The numbers: one pass over the rows from the common start, each way.
    for (name, step) in STEPS {
        reset(s.net);
        for i in 0..N_ROWS {
            let loss = step(&mut s, i).map_err(|_| "a step failed")?;
            bits(io, "loss", name, i, loss);
        }
        let n = &*s.net;
        let params = n.0.weight.iter().chain(n.0.bias.iter());
        let params = params.chain(n.2.weight.iter()).chain(n.2.bias.iter());
        for (k, &v) in params.enumerate() {
            bits(io, "param", name, k, v);
        }
    }
    // The cost.
    for (name, step) in STEPS {
        let n = per_step(io, &mut s, step);
        metric(io, "step", name, n);
    }
    for (name, step) in STEPS {
        let n = stack_of(&mut s, step);
        metric(io, "stack_step", name, n as u64);
    }
    print_metric(io, "ram_net", core::mem::size_of::<Net>() as u64);
    print_metric(io, "ram_sgd", core::mem::size_of::<Sgd<f32>>() as u64);
    print_metric(io, "ram_tape", core::mem::size_of::<TrainTape>() as u64);
    print_metric(io, "ram_buffers", core::mem::size_of::<Buffers>() as u64);
    print_metric(io, "ram_bare", core::mem::size_of::<Bare>() as u64);
    Ok(())
}

#[cortex_m_rt::entry]
fn main() -> ! {
    board::start(run)
}
