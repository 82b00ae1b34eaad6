//! Gradients by stackgrad: the lecture example `f(x, y, z) = (x + y)·max(y, z)` at
//! `(1, 2, 0)` (`f = 6`, `∇f = (2, 5, 0)`), and the window classifier, checked against
//! the hand-written backward pass. On a board it also counts the instructions of the
//! forward pass and of the gradient step, for stackgrad and for the hand-written code.

use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::Tape;

use super::handwritten::{print_window, SEED};
use crate::window::{window_input, Window, WindowGrads, WindowTape};
use crate::{measure, print_values, Io, Outcome};

/// `f(x, y, z) = (x + y)·max(y, z)` and its gradient, by stackgrad.
pub fn lecture(x: f32, y: f32, z: f32) -> Result<(f32, [f32; 3]), stackgrad::Error> {
    let (x0, y0, z0) = (
        SMatrix::<f32, 1, 1>::new(x),
        SMatrix::<f32, 1, 1>::new(y),
        SMatrix::<f32, 1, 1>::new(z),
    );
    let mut tape: Tape<f32, 16, 8> = Tape::new();
    let g = tape.graph();
    let (x, y, z) = (g.param(&x0), g.param(&y0), g.param(&z0));
    let f = (x + y).component_mul(y.max(z));
    let value = f.scalar();
    let grads = f.backward()?;
    let d = [grads.wrt(x)?[0], grads.wrt(y)?[0], grads.wrt(z)?[0]];
    Ok((value, d))
}

/// The program.
pub fn run(io: &mut dyn Io) -> Outcome {
    let (f, d) = lecture(1.0, 2.0, 0.0).map_err(|_| "lecture example: tape error")?;
    print_values(io, "f(1,2,0)", [f]);
    print_values(io, "grad f", d);
    if f != 6.0 || d != [2.0, 5.0, 0.0] {
        return Err("lecture example: want f = 6, grad = (2, 5, 0)");
    }

    let model = Window::<f32>::example(SEED);
    let x = window_input::<f32>();
    let mut tape = WindowTape::<f32>::new();
    let mut ours = WindowGrads::zeros();
    let s = model
        .stackgrad_gradient(&mut tape, &x, Some(&mut ours))
        .map_err(|_| "window: tape error")?;
    print_window(io, s, &ours);
    let mut hand = WindowGrads::zeros();
    let s_hand = model.gradient(&x, &mut hand);
    let diff = ours.max_abs_diff(&hand);
    print_values(
        io,
        "max |stackgrad - hand-written|",
        [diff, (s - s_hand).abs()],
    );
    // Same operations in the same order up to summation order: a few ulps at most.
    if !(diff <= 1e-6 && (s - s_hand).abs() <= 1e-6) {
        return Err("window: stackgrad and the hand-written gradient disagree");
    }
    // The compiled path: the tape's kernels, so the tape's numbers.
    let mut compiled = model.compiled();
    let mut cg = WindowGrads::zeros();
    let s_compiled = compiled.gradient(&model.u, &x, &mut cg);
    compiled.copy_grads(&mut cg);
    let diff_c = cg.max_abs_diff(&ours);
    print_values(
        io,
        "max |compiled - tape|",
        [diff_c, (s_compiled - s).abs()],
    );
    if !(diff_c <= 1e-6 && (s_compiled - s).abs() <= 1e-6) {
        return Err("window: the compiled path and the tape disagree");
    }

    let mut h = SVector::zeros();
    measure(io, "hand_forward", 16, &mut || {
        core::hint::black_box(model.forward(&x, &mut h));
    });
    measure(io, "hand_step", 16, &mut || {
        core::hint::black_box(model.gradient(&x, &mut hand));
    });
    measure(io, "sg_forward", 16, &mut || {
        let _ = core::hint::black_box(model.record(&mut tape, &x));
    });
    measure(io, "sg_step", 16, &mut || {
        let _ = core::hint::black_box(model.stackgrad_gradient(&mut tape, &x, None));
    });
    measure(io, "cg_step", 16, &mut || {
        core::hint::black_box(compiled.gradient(&model.u, &x, &mut cg));
    });
    Ok(())
}
