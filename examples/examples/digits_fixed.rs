//! The `digits` network (64-32-10, ReLU, batches of 32, L2 penalty, 60 epochs, the same
//! seed, split and initial weights) trained twice: in `f32` with Adam exactly as the
//! `digits` example does, and in Q16.16 fixed point (`stackgrad::Q16`), where Adam as
//! configured for `f32` cannot work. Prints both held-out accuracies.
//!
//! Why `f32`'s Adam fails in Q16: its `ε = 1e-8` is below half a step of `2⁻¹⁶`, so it
//! becomes 0, which Adam's hyper-parameter check refuses (ε must be positive); and its
//! second moment's increment `0.001·g²` rounds to 0 for any `|g| < 0.006`, so with a
//! tiny ε the denominator `√v̂ + ε` is ε for most parameters and the step `lr·m̂/ε`
//! explodes. The Q16 run keeps Adam with `ε = 2⁻⁸` (a step `lr·m̂/ε` of at most
//! `2.56·|m̂|` where `v` has vanished) and `β₂ = 0.99` (the increment `0.01·g²` survives
//! down to `|g| ≈ 0.002`); `--q16 sgd` uses SGD with momentum instead. Both are
//! measured in the README's Fixed point section.
//!
//! Run: `cargo run --release --example digits_fixed [-- --q16 adam|sgd]`

use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{mlp, predict, Mlp, Module, Rng};
use stackgrad::optim::{Adam, Optimizer, Schedule, Sgd};
use stackgrad::train::{train_classifier_compiled, ClassifierBuffers};
use stackgrad::{Real, Q16};
use stackgrad_examples::digits_data::{load, Example, PIXELS};

const HIDDEN: usize = 32;
const CLASSES: usize = 10;
const BATCH: usize = 32;
const EPOCHS: u32 = 60;
const SEED: u64 = 2024;
/// `digits`' Adam learning rate and L2 penalty.
const LR: f64 = 1e-2;
const L2: f64 = 1e-4;
/// The schedule of both runs: `digits`' cosine decay from the initial rate.
const SCHEDULE: Schedule = Schedule::Cosine {
    t_max: EPOCHS,
    eta_min: 1e-4,
};
/// Q16 with SGD (`--q16 sgd`): learning rate and momentum.
const SGD_LR: f64 = 0.1;
const MOMENTUM: f64 = 0.9;
/// Q16 with Adam (the default): `ε` and `β₂`.
const ADAM_EPS: f64 = 1.0 / 256.0;
const ADAM_BETA2: f64 = 0.99;

type Net<S> = Mlp<S, PIXELS, HIDDEN, CLASSES>;
const P: usize = <Net<f32> as Module<f32>>::PARAMS;

/// Held-out accuracy of `net`, with the inputs converted to `S`.
fn accuracy<S: Real>(net: &Net<S>, set: &[&Example]) -> f64 {
    let right = set
        .iter()
        .filter(|e| predict(net, &e.x.map(|v| S::constant(f64::from(v)))) == e.label)
        .count();
    right as f64 / set.len() as f64
}

/// Trains `net` with `opt` (initial rate `lr0`, cosine decay) on `train`, in `S`,
/// shuffling with `rng` (a copy of the same state for every type, so the same batches);
/// returns the last epoch's mean loss.
fn train<S: Real, O: Optimizer<S>>(
    net: &mut Net<S>,
    opt: &mut O,
    lr0: f64,
    train: &[&Example],
    mut rng: Rng,
) -> Result<f64, stackgrad::Error> {
    let mut buffers = Box::new(ClassifierBuffers::<S, Net<S>, PIXELS, CLASSES, BATCH>::new());
    let mut idx: Vec<usize> = (0..train.len()).collect();
    let (mut x, mut y) = (
        SMatrix::<S, PIXELS, BATCH>::zeros(),
        SMatrix::<S, CLASSES, BATCH>::zeros(),
    );
    let steps = train.len().div_ceil(BATCH);
    let mut loss = 0.0;
    for epoch in 0..EPOCHS {
        opt.set_lr(SCHEDULE.lr(S::constant(lr0), epoch));
        rng.shuffle(&mut idx);
        let mut total = 0.0;
        for s in 0..steps {
            y.fill(S::zero());
            for c in 0..BATCH {
                let e = train[idx[(s * BATCH + c) % idx.len()]];
                x.set_column(c, &e.x.map(|v| S::constant(f64::from(v))));
                y[(e.label, c)] = S::one();
            }
            let l = train_classifier_compiled(net, &mut buffers, opt, &x, &y, S::constant(L2))?;
            total += l.to_f64();
        }
        loss = total / steps as f64;
    }
    Ok(loss)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let q16_adam = match std::env::args()
        .skip_while(|a| a != "--q16")
        .nth(1)
        .as_deref()
    {
        None | Some("adam") => true,
        Some("sgd") => false,
        Some(other) => return Err(format!("--q16 takes adam or sgd, not {other}").into()),
    };
    let data = load()?;
    // The split, the initial weights and the shuffles of `digits`: the same generator,
    // drawn in the same order.
    let mut rng = Rng::seed_from_u64(SEED);
    let mut order: Vec<usize> = (0..data.len()).collect();
    rng.shuffle(&mut order);
    let n_train = data.len() * 4 / 5;
    let train_set: Vec<&Example> = order[..n_train].iter().map(|&i| &data[i]).collect();
    let test: Vec<&Example> = order[n_train..].iter().map(|&i| &data[i]).collect();
    // `Rng` is `Copy`: each run draws from a copy of the same state.
    let mut init32 = rng;
    let mut net32: Net<f32> = mlp(&mut init32);
    let mut netq: Net<Q16> = mlp(&mut rng);
    let mut adam32: Adam<f32, P> = Adam::new(LR as f32);
    let loss32 = train(&mut net32, &mut adam32, LR, &train_set, rng)?;
    let acc32 = accuracy(&net32, &test);

    let (lossq, what) = if q16_adam {
        let mut opt: Adam<Q16, P> = Adam::new(Q16::from_f64(LR))
            .eps(Q16::from_f64(ADAM_EPS))
            .betas(Q16::from_f64(0.9), Q16::from_f64(ADAM_BETA2));
        let what = format!("Adam lr {LR}, ε {ADAM_EPS}, β₂ {ADAM_BETA2}");
        (train(&mut netq, &mut opt, LR, &train_set, rng), what)
    } else {
        let mut opt = Sgd::new(Q16::from_f64(SGD_LR)).momentum::<P>(Q16::from_f64(MOMENTUM));
        let what = format!("SGD lr {SGD_LR}, momentum {MOMENTUM}");
        (train(&mut netq, &mut opt, SGD_LR, &train_set, rng), what)
    };
    let accq = accuracy(&netq, &test);
    let n = test.len() as f64;
    println!(
        "{} held-out images; {EPOCHS} epochs of batches of {BATCH}, cosine decay, L2 λ = {L2}",
        test.len()
    );
    println!(
        "f32, Adam lr {LR}: final loss {loss32:.4}, held-out accuracy {:.2} % ({} of {})",
        100.0 * acc32,
        (acc32 * n).round(),
        test.len()
    );
    match lossq {
        Ok(l) => println!(
            "Q16, {what}: final loss {l:.4}, held-out accuracy {:.2} % ({} of {})",
            100.0 * accq,
            (accq * n).round(),
            test.len()
        ),
        Err(e) => println!("Q16, {what}: training stopped: {e}"),
    }
    let gap = 100.0 * (acc32 - accq);
    println!("Q16 is {gap:.2} points below f32 (goal: at most 2)");
    if gap > 2.0 {
        std::process::exit(1);
    }
    Ok(())
}
