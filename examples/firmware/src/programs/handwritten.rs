//! The window classifier with the hand-written backward pass: its score, its gradients
//! and (on a board) the instructions of a forward pass and of a gradient step.

use crate::nalgebra::SVector;
use crate::window::{window_input, Window, WindowGrads};
use crate::{measure, print_values, Io, Outcome};

/// Seed of the window classifier's parameters in every program.
pub const SEED: u32 = 2024;

/// Prints `s` and every gradient under `prefix`.
pub fn print_window(io: &mut dyn Io, s: f32, g: &WindowGrads<f32>) {
    print_values(io, "s", [s]);
    print_values(io, "ds/du", g.u.iter().copied());
    print_values(io, "ds/db", g.b.iter().copied());
    print_values(io, "ds/dx", g.x.iter().copied());
    for i in 0..g.w.nrows() {
        print_values(io, "ds/dW row", g.w.row(i).iter().copied());
    }
}

/// The program.
pub fn run(io: &mut dyn Io) -> Outcome {
    let model = Window::<f32>::example(SEED);
    let x = window_input::<f32>();
    let mut g = WindowGrads::zeros();
    let s = model.gradient(&x, &mut g);
    print_window(io, s, &g);
    if !s.is_finite() {
        return Err("score is not finite");
    }
    let mut h = SVector::zeros();
    measure(io, "hand_forward", 16, &mut || {
        core::hint::black_box(model.forward(&x, &mut h));
    });
    measure(io, "hand_step", 16, &mut || {
        core::hint::black_box(model.gradient(&x, &mut g));
    });
    Ok(())
}
