//! Step time of long training, with and without flushing subnormal parameters.
//!
//! The 64-32-10 MLP (`nn::mlp`, ReLU) is trained on one fixed batch of one example with
//! an L2 penalty and Adam for 10,000 steps. Dead ReLU units then get no gradient but the
//! penalty's, which shrinks their weights geometrically toward 0, into the `f32`
//! subnormal range, where arithmetic is slow on x86-64. The benchmark times a step of the
//! fresh model and a step of the model after 10,000 steps, in two variants:
//!
//! - `plain`: `train_classifier` alone (every optimizer flushes the parameters and its
//!   own state, the moment estimates included, after each step: `flush::flush`);
//! - `flush`: `train_classifier`, then `flush::flush_subnormals` on every parameter
//!   tensor again from outside (through `Module::visit`): what a caller could do before
//!   the optimizers flushed by themselves.
//! - `ftz` (x86-64 only): `plain` with the CPU's flush-to-zero and denormals-are-zero
//!   modes set (MXCSR), for the whole training and timing: every subnormal input and
//!   result of every operation, state included, becomes 0. This is the diagnostic: if
//!   `ftz` keeps its speed where `plain` and `flush` slow down, the slowdown is from
//!   subnormals.
//!
//! Each measured step starts from a copy of the saved state (model and optimizer), so the
//! measurement does not move the state. Before the criterion groups it prints the
//! subnormal parameter count after 10,000 steps and the ratio of the mean step times
//! (after / start) of each variant.
//!
//! Run: `cargo bench -p stackgrad --bench subnormal` (with `SUBNORMAL_QUICK=1`, only the
//! rough figures, in a few seconds)

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use stackgrad::flush::flush_subnormals;
use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{mlp, Grad, Mlp, Module, Rng, Visitor};
use stackgrad::optim::Adam;
use stackgrad::train::{train_classifier, ClassifierStep};
use stackgrad::{Error, Tape};

const IN: usize = 64;
const HIDDEN: usize = 32;
const K: usize = 10;
const B: usize = 1;
const STEPS: usize = 10_000;
const LR: f32 = 1e-3;
const L2: f32 = 1e-2;

type Net = Mlp<f32, IN, HIDDEN, K>;
const P: usize = <Net as Module<f32>>::PARAMS;
type Step = ClassifierStep<f32, Net, IN, K, B>;
type StepTape = Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }>;

#[derive(Clone)]
struct State {
    net: Net,
    adam: Adam<f32, P>,
}

struct Batch {
    x: SMatrix<f32, IN, B>,
    y: SMatrix<f32, K, B>,
}

/// Flushes every parameter tensor of a model.
struct Flush(usize);

impl Visitor<f32> for Flush {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<f32, R, C>,
        _: Grad<'_, f32, R, C>,
    ) -> Result<(), Error> {
        self.0 += flush_subnormals(param.as_mut_slice());
        Ok(())
    }
}

/// Parameters that are subnormal.
struct Count(usize);

impl Visitor<f32> for Count {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<f32, R, C>,
        _: Grad<'_, f32, R, C>,
    ) -> Result<(), Error> {
        self.0 += param.iter().filter(|x| x.is_subnormal()).count();
        Ok(())
    }
}

/// Sets (or clears) MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) on
/// this thread.
#[cfg(target_arch = "x86_64")]
fn set_ftz_daz(on: bool) {
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr/ldmxcsr read and write the SSE control register through a valid
    // pointer to a local; only rounding of subnormals changes.
    unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack)) };
    let bits = (1 << 15) | (1 << 6);
    csr = if on { csr | bits } else { csr & !bits };
    unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack)) };
}

#[cfg(not(target_arch = "x86_64"))]
fn set_ftz_daz(_: bool) {}

fn ids(net: &Net, tape: &mut StepTape) -> <Net as Module<f32>>::Ids {
    let g = tape.graph();
    <Net as Module<f32>>::ids(&net.bind(&g))
}

fn step(s: &mut State, tape: &mut StepTape, batch: &Batch, flush: bool) {
    let loss = train_classifier(&mut s.net, tape, &mut s.adam, &batch.x, &batch.y, L2);
    assert!(loss.is_ok(), "training step failed: {loss:?}");
    if flush {
        let ids = ids(&s.net, tape);
        let _ = s.net.visit(&ids, &mut Flush(0));
    }
}

fn setup() -> (State, Batch) {
    let mut rng = Rng::seed_from_u64(7);
    let net: Net = mlp(&mut rng);
    let x = SMatrix::<f32, IN, B>::from_fn(|_, _| rng.uniform(-1.0, 1.0));
    let mut y = SMatrix::<f32, K, B>::zeros();
    y[(3, 0)] = 1.0;
    let adam = Adam::new(LR);
    (State { net, adam }, Batch { x, y })
}

/// Mean time of `n` steps from a copy of `s`.
fn time_steps(s: &State, tape: &mut StepTape, batch: &Batch, flush: bool, n: usize) -> Duration {
    let mut t = s.clone();
    let start = Instant::now();
    for _ in 0..n {
        step(&mut t, tape, batch, flush);
    }
    start.elapsed() / n as u32
}

fn benches(c: &mut Criterion) {
    let mut tape: Box<StepTape> = Box::new(Tape::new());
    let (fresh, batch) = setup();
    let mut group = c.benchmark_group("subnormal_64x32x10");
    let variants: &[&str] = if cfg!(target_arch = "x86_64") {
        &["plain", "flush", "ftz"]
    } else {
        &["plain", "flush"]
    };
    for &name in variants {
        let flush = name == "flush";
        set_ftz_daz(name == "ftz");
        let mut trained = fresh.clone();
        for _ in 0..STEPS {
            step(&mut trained, &mut tape, &batch, flush);
        }
        let mut n = Count(0);
        let ids = ids(&trained.net, &mut tape);
        let _ = trained.net.visit(&ids, &mut n);
        // A rough figure first (best of 5 runs of 200 steps), then criterion's.
        let best = |s: &State, tape: &mut StepTape| {
            (0..5)
                .map(|_| time_steps(s, tape, &batch, flush, 200))
                .min()
                .unwrap_or_default()
        };
        let (t0, t1) = (best(&fresh, &mut tape), best(&trained, &mut tape));
        println!(
            "{name}: {} of {P} parameters subnormal after {STEPS} steps; step {:.2?} at the \
             start, {:.2?} after {STEPS} steps: ratio {:.2}",
            n.0,
            t0,
            t1,
            t1.as_secs_f64() / t0.as_secs_f64()
        );
        if std::env::var_os("SUBNORMAL_QUICK").is_some() {
            continue; // the rough figures only
        }
        for (when, state) in [("start", &fresh), ("after_10000", &trained)] {
            group.bench_function(BenchmarkId::new(name, when), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    let mut done = 0;
                    while done < iters {
                        // At most 100 steps from each copy, so the state stays put.
                        let chunk = (iters - done).min(100);
                        let mut s = state.clone();
                        let start = Instant::now();
                        for _ in 0..chunk {
                            step(&mut s, &mut tape, &batch, flush);
                        }
                        total += start.elapsed();
                        done += chunk;
                    }
                    total
                })
            });
        }
    }
    set_ftz_daz(false);
    group.finish();
}

criterion_group!(subnormal, benches);
criterion_main!(subnormal);
