//! Outgrowing the device, and coming back to it: the digits network was trained at full
//! scale in JAX (`scripts/outgrow/train_digits_jax.py`, which wrote the `.safetensors` file
//! checked in under `examples/data/outgrow/`). stackgrad loads it by name with every shape
//! checked against the model's types, reproduces JAX's logits, fine-tunes it on the same
//! training rows, saves it back as `.safetensors`, and emits it as Rust constants that a
//! firmware compiles into flash.
//!
//! Run: `cargo run --release --example outgrow`

use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{predict, Layer, Module, Rng};
use stackgrad::optim::Adam;
use stackgrad::train::{train_classifier, ClassifierStep};
use stackgrad::Tape;
use stackgrad_examples::digits_data::{load, Example, PIXELS};
use stackgrad_examples::outgrow::{load_jax_digits, Digits, JAX_DIGITS};
use stackgrad_std::formats::{load_safetensors, save_safetensors, Slot, SlotView};
use stackgrad_std::Weights;

const CLASSES: usize = 10;
const BATCH: usize = 16;
const EPOCHS: usize = 5;
type Step = ClassifierStep<f32, Digits, PIXELS, CLASSES, BATCH>;

fn accuracy(net: &Digits, set: &[&Example]) -> f64 {
    let right = set.iter().filter(|e| predict(net, &e.x) == e.label).count();
    right as f64 / set.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut net, reference) = load_jax_digits(JAX_DIGITS)?;
    let worst = (net.eval(&reference.x.transpose()) - reference.logits.transpose()).amax();
    println!(
        "loaded the JAX network (0.weight [32, 64], 0.bias, 2.weight [10, 32], 2.bias); \
         largest difference from JAX's logits on {} held-out images: {worst:.1e}",
        reference.x.nrows()
    );
    if worst >= 1e-5 {
        return Err("stackgrad does not reproduce JAX's logits".into());
    }

    // The same split as the JAX run.
    let data = load()?;
    let held_out: Vec<usize> = reference.test_rows.iter().map(|&r| r as usize).collect();
    let test: Vec<&Example> = held_out.iter().filter_map(|&i| data.get(i)).collect();
    let train: Vec<&Example> = (0..data.len())
        .filter(|i| !held_out.contains(i))
        .filter_map(|i| data.get(i))
        .collect();
    let before = accuracy(&net, &test);
    println!(
        "held-out accuracy as trained in JAX: {:.2}%",
        100.0 * before
    );

    // Fine-tune: a few epochs of Adam at a small learning rate.
    let mut tape: Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
    let mut adam: Adam<f32, { <Digits as Module<f32>>::PARAMS }> = Adam::new(2e-4);
    let mut rng = Rng::seed_from_u64(11);
    let mut idx: Vec<usize> = (0..train.len()).collect();
    let (mut x, mut y) = (
        SMatrix::<f32, PIXELS, BATCH>::zeros(),
        SMatrix::<f32, CLASSES, BATCH>::zeros(),
    );
    for _ in 0..EPOCHS {
        rng.shuffle(&mut idx);
        for s in 0..train.len() / BATCH {
            y.fill(0.0);
            for c in 0..BATCH {
                let e = train[idx[s * BATCH + c]];
                x.set_column(c, &e.x);
                y[(e.label, c)] = 1.0;
            }
            train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-4)?;
        }
    }
    let after = accuracy(&net, &test);
    println!(
        "held-out accuracy after {EPOCHS} epochs of fine-tuning in stackgrad: {:.2}%",
        100.0 * after
    );

    // Back out: as .safetensors (read back to check), and as Rust constants for flash.
    let (l0, _, l2) = &net;
    let bytes = save_safetensors(&[
        SlotView::matrix("0.weight", &l0.weight),
        SlotView::matrix("0.bias", &l0.bias),
        SlotView::matrix("2.weight", &l2.weight),
        SlotView::matrix("2.bias", &l2.bias),
    ])?;
    let path = std::env::temp_dir().join("stackgrad-digits-finetuned.safetensors");
    std::fs::write(&path, &bytes)?;
    let mut w0 = SMatrix::<f32, 32, 64>::zeros();
    load_safetensors(&bytes, &mut [Slot::matrix("0.weight", &mut w0)])?;
    let mut weights = Weights::new();
    weights
        .add("hidden.weight", &l0.weight)
        .add("hidden.bias", &l0.bias)
        .add("output.weight", &l2.weight)
        .add("output.bias", &l2.bias);
    let rust = std::env::temp_dir().join("stackgrad-digits-finetuned.rs");
    std::fs::write(&rust, weights.to_rust())?;
    println!(
        "fine-tuned weights: {} (read back identical: {}); as Rust constants: {}",
        path.display(),
        w0 == l0.weight,
        rust.display()
    );
    Ok(())
}
