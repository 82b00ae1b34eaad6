//! Learning to read handwritten digits: a 64-32-10 network trained with stackgrad on the
//! UCI digits (8×8 images), Adam with an L2 penalty, an 80/20 split with a fixed seed.
//!
//! Everything that learns is the `no_std` core: the tape, the layers of `nn`, `optim::Adam`. The
//! host adds the data file, a progress bar and a picture of the learning curves.
//!
//! Each step runs on the compiled path (`stackgrad::compiled`: the model's backward pass
//! as code, no tape); `--tape` runs the same steps on the tape instead, with bit for bit
//! the same results.
//!
//! Run: `cargo run --release --example digits [-- --tape]`

use std::fmt::Write as _;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use stackgrad::compiled::{train_classifier_compiled, ClassifierBuffers};
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::nn::{mlp, predict, train_classifier, ClassifierStep, Mlp, Module, Rng};
use stackgrad::optim::{Adam, Optimizer, Schedule};
use stackgrad::Tape;

const PIXELS: usize = 64;
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

const DATA: &str = include_str!("../data/digits.csv");

struct Example {
    x: SVector<f32, PIXELS>,
    label: usize,
}

fn load() -> Result<Vec<Example>, String> {
    DATA.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let v: Vec<f32> = line
                .split(',')
                .map(|f| f.trim().parse::<f32>())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            if v.len() != PIXELS + 1 {
                return Err(format!("line {}: {} fields", n + 1, v.len()));
            }
            Ok(Example {
                // pixel counts 0..16 scaled to 0..1
                x: SVector::from_iterator(v[..PIXELS].iter().map(|p| p / 16.0)),
                label: v[PIXELS] as usize,
            })
        })
        .collect()
}

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
    let on_tape = std::env::args().any(|a| a == "--tape");
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
            total += if on_tape {
                train_classifier(&mut net, &mut tape, &mut adam, &x, &y, L2)?
            } else {
                train_classifier_compiled(&mut net, &mut buffers, &mut adam, &x, &y, L2)?
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
        if on_tape { "tape" } else { "compiled" },
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
    std::fs::write(&path, svg(&curves))?;
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

/// The loss (left axis) and accuracies (right axis) per epoch, as a small SVG.
fn svg(curves: &[Epoch]) -> String {
    let (w, h) = (720.0, 420.0);
    let (left, right, top, bottom) = (70.0, 650.0, 50.0, 350.0);
    let n = curves.len().max(2) as f64;
    let max_loss = curves
        .iter()
        .map(|c| f64::from(c.loss))
        .fold(0.0, f64::max)
        .max(1e-6);
    // The accuracy axis spans [acc_lo, 1], from the lowest tenth the curves reach.
    let min_acc = curves
        .iter()
        .map(|c| f64::from(c.train_acc.min(c.test_acc)))
        .fold(1.0, f64::min);
    let acc_lo = (min_acc * 10.0).floor().clamp(0.0, 9.0) / 10.0;
    let px = |i: usize| left + (right - left) * i as f64 / (n - 1.0);
    let py = |v: f64, max: f64| bottom - (bottom - top) * v / max;
    let line = |f: &dyn Fn(&Epoch) -> f64, max: f64| {
        curves
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:.1},{:.1}", px(i), py(f(c), max)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="28" text-anchor="middle" font-size="16">stackgrad: 64-32-10 network on the UCI digits</text>
<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>
<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>
<line x1="{right}" y1="{top}" x2="{right}" y2="{bottom}" stroke="black"/>
"##,
        w / 2.0
    );
    for k in 0..=5 {
        let f = k as f64 / 5.0;
        let y = py(f, 1.0);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.2}</text><text x="{}" y="{:.1}">{:.0}%</text>"##,
            left - 6.0,
            y + 4.0,
            f * max_loss,
            right + 6.0,
            y + 4.0,
            100.0 * (acc_lo + f * (1.0 - acc_lo))
        );
    }
    let ticks = 6;
    for k in 0..=ticks {
        let i = ((curves.len().saturating_sub(1)) * k) / ticks;
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"##,
            px(i),
            bottom + 18.0,
            i + 1
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle">epoch</text>
<text x="20" y="{}" transform="rotate(-90 20 {})" text-anchor="middle">training loss (cross-entropy + L2)</text>
<text x="{}" y="{}" transform="rotate(90 {} {})" text-anchor="middle">accuracy</text>
<polyline fill="none" stroke="#c0392b" stroke-width="2" points="{}"/>
<polyline fill="none" stroke="#2980b9" stroke-width="2" points="{}"/>
<polyline fill="none" stroke="#27ae60" stroke-width="2" points="{}"/>
<g transform="translate({} {})"><rect width="190" height="62" fill="white" stroke="#999"/>
<line x1="8" y1="14" x2="30" y2="14" stroke="#c0392b" stroke-width="2"/><text x="36" y="18">training loss</text>
<line x1="8" y1="32" x2="30" y2="32" stroke="#2980b9" stroke-width="2"/><text x="36" y="36">training accuracy</text>
<line x1="8" y1="50" x2="30" y2="50" stroke="#27ae60" stroke-width="2"/><text x="36" y="54">held-out accuracy</text></g>
</svg>"##,
        (left + right) / 2.0,
        bottom + 40.0,
        (top + bottom) / 2.0,
        (top + bottom) / 2.0,
        right + 50.0,
        (top + bottom) / 2.0,
        right + 50.0,
        (top + bottom) / 2.0,
        line(&|c| f64::from(c.loss), max_loss),
        line(&|c| f64::from(c.train_acc) - acc_lo, 1.0 - acc_lo),
        line(&|c| f64::from(c.test_acc) - acc_lo, 1.0 - acc_lo),
        right - 200.0,
        top + 110.0
    );
    s
}
