//! Learning to read handwritten digits: a 64-32-10 network trained with stackgrad on the
//! UCI digits (8×8 images), Adam with an L2 penalty, an 80/20 split with a fixed seed.
//!
//! Everything that learns is the `no_std` core: the tape, the layers of `nn`, `optim::Adam`. The
//! host adds the data file, a progress bar and a picture of the learning curves.
//!
//! Each step runs on the compiled path (`stackgrad::compiled`: the model's backward pass
//! as code, no tape); `--tape` runs the same steps on the tape instead, and `--replay`
//! records the step's graph once and replays it (`train_classifier_replayed`), with bit
//! for bit the same results on all three.
//!
//! Run: `cargo run --release --example digits [-- --tape | --replay]`

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{mlp, predict, Mlp, Module, Rng};
use stackgrad::optim::{Adam, Optimizer, Schedule};
use stackgrad::train::{train_classifier, train_classifier_replayed, ClassifierStep};
use stackgrad::train::{train_classifier_compiled, ClassifierBuffers};
use stackgrad::ReplayKey;
use stackgrad::Tape;
use stackgrad_examples::digits_data::{load, Example, PIXELS};
use stackgrad_examples::plot::{learning_curves, Series};

const HIDDEN: usize = 32;
const CLASSES: usize = 10;
/// Examples per training step.
const BATCH: usize = 32;
const EPOCHS: u32 = 60;
const SEED: u64 = 2024;
const LR: f32 = 1e-2;
/// `λ` of the L2 penalty `λ/2·(‖W₁‖² + ‖W₂‖²)`.
const L2: f32 = 1e-4;

type Net = Mlp<f32, PIXELS, HIDDEN, CLASSES>;
/// Trainable scalars, from the model's type.
const P: usize = <Net as Module<f32>>::PARAMS;
/// What one training step records, computed by the compiler from the model's type.
type Step = ClassifierStep<f32, Net, PIXELS, CLASSES, BATCH>;
/// One training step's tape, sized exactly.
type StepTape = Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }>;

/// One compiled training step's buffers: the model's cache and gradients, exactly.
type StepBuffers = ClassifierBuffers<f32, Net, PIXELS, CLASSES, BATCH>;

/// What the tape of one step may take on a small microcontroller, checked at compile time.
const RAM_BUDGET: usize = 64 * 1024;
const _: () = assert!(core::mem::size_of::<StepTape>() <= RAM_BUDGET);
const _: () = assert!(core::mem::size_of::<StepBuffers>() <= RAM_BUDGET);

fn accuracy(net: &Net, set: &[&Example]) -> f32 {
    let right = set.iter().filter(|e| predict(net, &e.x) == e.label).count();
    right as f32 / set.len() as f32
}

/// One point of the learning curves.
struct Epoch {
    loss: f32,
    train_acc: f32,
    test_acc: f32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = load()?;
    let mut rng = Rng::seed_from_u64(SEED);

    // The fixed 80/20 split.
    let mut order: Vec<usize> = (0..data.len()).collect();
    rng.shuffle(&mut order);
    let n_train = data.len() * 4 / 5;
    let train: Vec<&Example> = order[..n_train].iter().map(|&i| &data[i]).collect();
    let test: Vec<&Example> = order[n_train..].iter().map(|&i| &data[i]).collect();
    println!(
        "UCI handwritten digits: {} images of 8×8 pixels, {} to train on, {} held out",
        data.len(),
        train.len(),
        test.len()
    );

    let mut net: Net = mlp(&mut rng);
    let path = if std::env::args().any(|a| a == "--tape") {
        "tape"
    } else if std::env::args().any(|a| a == "--replay") {
        "replay"
    } else {
        "compiled"
    };
    let mut key = ReplayKey::new();
    let mut tape = StepTape::new();
    let mut buffers = StepBuffers::new();
    let mut adam: Adam<f32, P> = Adam::new(LR);
    let schedule = Schedule::Cosine {
        t_max: EPOCHS,
        eta_min: 1e-4,
    };
    println!(
        "network {PIXELS}-{HIDDEN}-10 (ReLU), {} parameters; Adam lr {LR} (cosine decay), \
         L2 λ = {L2}, batches of {BATCH}",
        P
    );

    let steps_per_epoch = train.len().div_ceil(BATCH);
    let bar = ProgressBar::new(u64::from(EPOCHS));
    bar.set_style(
        ProgressStyle::with_template("{bar:40.cyan/blue} epoch {pos}/{len} {msg}")?
            .progress_chars("█▉▊▋▌▍▎▏ "),
    );
    let mut curves = Vec::new();
    let mut idx: Vec<usize> = (0..train.len()).collect();
    let mut x = SMatrix::<f32, PIXELS, BATCH>::zeros();
    let mut y = SMatrix::<f32, CLASSES, BATCH>::zeros();
    let mut elapsed = std::time::Duration::ZERO;
    for epoch in 0..EPOCHS {
        adam.set_lr(schedule.lr(LR, epoch));
        rng.shuffle(&mut idx);
        let mut total = 0.0;
        let start = Instant::now();
        for s in 0..steps_per_epoch {
            // The last batch wraps around to the start of this epoch's order.
            y.fill(0.0);
            for c in 0..BATCH {
                let e = train[idx[(s * BATCH + c) % idx.len()]];
                x.set_column(c, &e.x);
                y[(e.label, c)] = 1.0;
            }
            total += match path {
                "tape" => train_classifier(&mut net, &mut tape, &mut adam, &x, &y, L2)?,
                "replay" => {
                    train_classifier_replayed(&mut net, &mut tape, &mut adam, &x, &y, L2, &mut key)?
                }
                _ => train_classifier_compiled(&mut net, &mut buffers, &mut adam, &x, &y, L2)?,
            };
        }
        elapsed += start.elapsed();
        let point = Epoch {
            loss: total / steps_per_epoch as f32,
            train_acc: accuracy(&net, &train),
            test_acc: accuracy(&net, &test),
        };
        bar.set_message(format!(
            "loss {:.4}  train {:.1}%  held-out {:.1}%",
            point.loss,
            100.0 * point.train_acc,
            100.0 * point.test_acc
        ));
        bar.inc(1);
        curves.push(point);
    }
    bar.finish();

    let last = curves.last().ok_or("no epochs")?;
    let steps = u64::from(EPOCHS) * steps_per_epoch as u64;
    println!(
        "\ntrained {EPOCHS} epochs ({steps} steps, {}) in {:.2} s ({:.0} µs per step: batch, forward, backward, Adam; evaluation not counted)",
        path,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / steps as f64
    );
    println!(
        "final loss {:.4}; training accuracy {:.2}%; held-out accuracy {:.2}% ({} of {})",
        last.loss,
        100.0 * last.train_acc,
        100.0 * last.test_acc,
        (last.test_acc * test.len() as f32).round(),
        test.len()
    );

    let hw = tape.high_water();
    println!(
        "\none training step on a tape of {} scalars and {} nodes (used in this run: {} and {}), \
         {} bytes in all ({:.1} KiB; budget {} KiB, checked at compile time); \
         Adam state {} bytes",
        Step::USAGE.scalars,
        Step::USAGE.nodes,
        hw.scalars,
        hw.nodes,
        core::mem::size_of::<StepTape>(),
        core::mem::size_of::<StepTape>() as f64 / 1024.0,
        RAM_BUDGET / 1024,
        core::mem::size_of::<Adam<f32, P>>()
    );

    println!(
        "one compiled training step: {} bytes of buffers ({:.1} KiB: cache, logits, gradients)",
        core::mem::size_of::<StepBuffers>(),
        core::mem::size_of::<StepBuffers>() as f64 / 1024.0
    );

    let path = std::env::temp_dir().join("stackgrad-digits.svg");
    let epoch = |i: usize| (i + 1) as f64;
    let loss: Vec<(f64, f64)> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| (epoch(i), f64::from(c.loss)))
        .collect();
    let train_acc: Vec<(f64, f64)> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| (epoch(i), f64::from(c.train_acc)))
        .collect();
    let test_acc: Vec<(f64, f64)> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| (epoch(i), f64::from(c.test_acc)))
        .collect();
    learning_curves(
        &path,
        "stackgrad: 64-32-10 network on the UCI digits",
        "epoch",
        &[
            Series {
                name: "training loss (cross-entropy + L2)",
                points: &loss,
            },
            Series {
                name: "training accuracy",
                points: &train_acc,
            },
            Series {
                name: "held-out accuracy",
                points: &test_acc,
            },
        ],
    )?;
    println!("learning curves: {}", path.display());

    // The trained weights, as a weight file and as Rust constants a firmware can compile
    // into flash.
    let mut weights = stackgrad_std::Weights::new();
    weights
        .add("hidden.weight", &net.0.weight)
        .add("hidden.bias", &net.0.bias)
        .add("output.weight", &net.2.weight)
        .add("output.bias", &net.2.bias);
    let wpath = std::env::temp_dir().join("stackgrad-digits.sgw");
    weights.save(&wpath)?;
    let rpath = std::env::temp_dir().join("stackgrad-digits-weights.rs");
    std::fs::write(&rpath, weights.to_rust())?;
    let reloaded = stackgrad_std::Weights::load(&wpath)?;
    let same = reloaded.get::<f32, 32, 64>("hidden.weight")? == net.0.weight;
    println!(
        "weights: {} (reloaded identical: {same}); as Rust constants: {}",
        wpath.display(),
        rpath.display()
    );

    if last.test_acc < 0.95 {
        eprintln!("held-out accuracy below 95%");
        std::process::exit(1);
    }
    Ok(())
}
