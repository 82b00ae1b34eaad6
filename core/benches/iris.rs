//! Instruction counts of the firmware's training step on the host, for callgrind
//! (`scripts/icount.sh iris` runs them all):
//!
//! ```text
//! cargo bench -p stackgrad --bench iris --no-run
//! valgrind --tool=callgrind target/release/deps/iris-* VARIANT ITERS
//! ```
//!
//! The model is `examples/firmware`'s `train`: `(Linear<4, 8>, Tanh, Linear<8, 3>)`, one
//! example per step, softmax cross-entropy + L2 (λ = 1e-4), plain SGD, `f32`. `VARIANT`
//! is `tape` (`train_classifier`), `replay` (`train_classifier_replayed`; its recording
//! runs before the loop, so subtract a run of `0` iterations), `compiled`
//! (`train_classifier_compiled`) or `none`. A graph this small is where the tape's
//! per-node bookkeeping weighs most.

use std::hint::black_box;

use stackgrad::nalgebra::SVector;
use stackgrad::nn::{Init, Linear, Rng, Tanh};
use stackgrad::optim::Sgd;
use stackgrad::train::{
    train_classifier, train_classifier_compiled, train_classifier_replayed, ClassifierBuffers,
    ClassifierStep,
};
use stackgrad::{ReplayKey, Tape};

type Net = (Linear<f32, 4, 8>, Tanh, Linear<f32, 8, 3>);
type Step = ClassifierStep<f32, Net, 4, 3, 1>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Under `cargo bench` (args like `--bench`), do nothing.
    if args.len() < 3 || args[1].starts_with("--") {
        return;
    }
    let variant = args[1].as_str();
    let iters: usize = args[2].parse().unwrap_or(100);
    let mut rng = Rng::seed_from_u64(1);
    let mut net: Net = (
        Linear::new(Init::XavierUniform, &mut rng),
        Tanh,
        Linear::new(Init::XavierUniform, &mut rng),
    );
    let mut tape: Box<Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }>> =
        Box::new(Tape::new());
    let mut buffers: Box<ClassifierBuffers<f32, Net, 4, 3, 1>> = Box::new(ClassifierBuffers::new());
    // A learning rate of 0 keeps every step the same (the firmware measures it so too).
    let mut sgd = Sgd::new(0.0);
    let x = SVector::<f32, 4>::new(0.5, 0.1, -0.3, 0.2);
    let y = SVector::<f32, 3>::new(0.0, 1.0, 0.0);
    let mut key = ReplayKey::new();
    let mut acc = 0.0;
    if variant == "replay" {
        acc += train_classifier_replayed(&mut net, &mut tape, &mut sgd, &x, &y, 1e-4, &mut key)
            .unwrap();
    }
    for _ in 0..iters {
        acc += match variant {
            "tape" => {
                train_classifier(&mut net, &mut tape, &mut sgd, black_box(&x), &y, 1e-4).unwrap()
            }
            "replay" => train_classifier_replayed(
                &mut net,
                &mut tape,
                &mut sgd,
                black_box(&x),
                &y,
                1e-4,
                &mut key,
            )
            .unwrap(),
            "compiled" => {
                train_classifier_compiled(&mut net, &mut buffers, &mut sgd, black_box(&x), &y, 1e-4)
                    .unwrap()
            }
            _ => 0.0,
        };
    }
    println!("{acc}");
}
