//! A template for a host crate: a model as a type, its gradient checked against central
//! differences, then trained with Adam on its exact, compiler-sized tape.
//!
//! Run: `cargo run --release`.

use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{mlp, predict, Mlp};
use stackgrad::nn::{Module, Rng};
use stackgrad::optim::Adam;
use stackgrad::train::{classifier_loss, train_classifier, ClassifierStep};
use stackgrad::Tape;
use stackgrad_std::check_gradient;

type Net = Mlp<f32, 2, 8, 2>;
const B: usize = 4;
type Step = ClassifierStep<f32, Net, 2, 2, B>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // XOR: the class is whether the two inputs differ.
    let x = SMatrix::<f32, 2, B>::from_column_slice(&[0., 0., 0., 1., 1., 0., 1., 1.]);
    let y = SMatrix::<f32, 2, B>::from_column_slice(&[1., 0., 0., 1., 0., 1., 1., 0.]);
    let mut net: Net = mlp(&mut Rng::seed_from_u64(3));

    // 1. Check the loss's gradient with respect to the first layer's weights, in f64.
    let (xd, yd) = (x.cast::<f64>(), y.cast::<f64>());
    let (w2, b1, b2) = (
        net.2.weight.cast::<f64>(),
        net.0.bias.cast::<f64>(),
        net.2.bias.cast::<f64>(),
    );
    let report = check_gradient(&net.0.weight.cast::<f64>(), |g, w1| {
        let vars = (
            stackgrad::nn::LinearVars {
                weight: w1,
                bias: g.constant_value(b1),
            },
            (),
            stackgrad::nn::LinearVars {
                weight: g.constant_value(w2),
                bias: g.constant_value(b2),
            },
        );
        type Net64 = Mlp<f64, 2, 8, 2>;
        classifier_loss::<f64, Net64, 2, 2, B>(
            &vars,
            g.constant_value(xd),
            g.constant_value(yd),
            1e-3,
        )
    })?;
    println!("gradient check: {report}");
    if !report.passed() {
        return Err("the gradient check failed".into());
    }

    // 2. Train: the tape's size comes from the model's type.
    let mut tape: Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
    let mut adam: Adam<f32, { <Net as Module<f32>>::PARAMS }> = Adam::new(0.05);
    let mut loss = f32::NAN;
    for _ in 0..300 {
        loss = train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-3)?;
    }
    let right = (0..B)
        .filter(|&c| predict(&net, &x.column(c).into_owned()) == usize::from(y[(1, c)] == 1.0))
        .count();
    println!("after 300 steps: loss {loss:.4}, {right} of {B} right");
    Ok(())
}
