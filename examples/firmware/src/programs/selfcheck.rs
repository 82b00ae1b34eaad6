//! A gradient self-test a device can run at boot: stackgrad's gradient of the window
//! classifier against a central difference along pseudo-random directions
//! ([`stackgrad::check`], O(1) extra memory), plus a negative control: a gradient with
//! one corrupted component must fail.

use stackgrad::check::{check_gradient, Check, Direction, Tolerance};

use super::handwritten::SEED;
use crate::window::{window_input, Window, WindowGrads, WindowTape};
use crate::{print_values, Io, Outcome};

/// `true` when `f32` math goes through micromath.
fn approximate() -> bool {
    <f32 as stackgrad::Real>::BACKEND == "micromath"
}

/// Step of the central difference (a power of two, so `x ± h·v` adds exactly `±h`):
/// `2⁻¹⁰` with libm, `2⁻⁸` with micromath (whose approximation error is amplified by
/// `1/h`).
pub fn step() -> f32 {
    if approximate() {
        1.0 / 256.0
    } else {
        1.0 / 1024.0
    }
}

/// Tolerance for the backend in use, measured on this model (errors over 4 directions):
///
/// - libm: errors ≤ 4e-5, from `f32` round-off (`ε·Σ|terms|/h`) and truncation
///   (`h²·|φ‴|/6`); tolerance relative 1e-3, absolute floor 2e-4.
/// - micromath: errors up to 1.3e-2: its `tanh` (built on an approximate `exp`) has a
///   relative error near 1e-3 that does not vary smoothly, so the difference quotient of
///   the approximate function strays from the exact derivative; tolerance relative 2e-2,
///   absolute floor 3e-2, about 100 times looser.
pub fn tolerance() -> Tolerance<f32> {
    if approximate() {
        Tolerance::new(2e-2, 3e-2)
    } else {
        Tolerance::new(1e-3, 2e-4)
    }
}

/// How much the negative control adds to one component of `∂s/∂W`; larger than either
/// tolerance, so it must be caught.
pub const CORRUPTION: f32 = 0.1;

fn print_check(io: &mut dyn Io, name: &str, c: &Check<f32>) {
    print_values(io, name, [c.analytic, c.numeric, c.error, c.allowed]);
}

/// The program.
pub fn run(io: &mut dyn Io) -> Outcome {
    let model = Window::<f32>::example(SEED);
    let x = window_input::<f32>();
    let mut tape = WindowTape::<f32>::new();
    let mut g = WindowGrads::zeros();
    model
        .stackgrad_gradient(&mut tape, &x, Some(&mut g))
        .map_err(|_| "tape error")?;
    let (tol, h) = (tolerance(), step());
    let mut worst = 0.0f32;
    for seed in 1..=4u32 {
        let dir = Direction::new(seed);
        let c = check_gradient(|t| model.score_along(&x, &dir, t), g.iter(), &dir, h, tol);
        print_check(io, "direction <g,v> numeric error allowed", &c);
        if !c.passed {
            return Err("the gradient failed the self-check");
        }
        worst = worst.max(c.error / c.allowed);
    }
    print_values(io, "worst error/allowed", [worst]);

    // Negative control: one wrong component of ∂s/∂W must be caught.
    let mut bad = g.clone();
    bad.w[(3, 7)] += CORRUPTION;
    let dir = Direction::new(1);
    let c = check_gradient(|t| model.score_along(&x, &dir, t), bad.iter(), &dir, h, tol);
    print_check(io, "corrupted <g,v> numeric error allowed", &c);
    if c.passed {
        return Err("a corrupted gradient passed the self-check");
    }
    // And a NaN never passes.
    bad.b[0] = f32::NAN;
    let c = check_gradient(|t| model.score_along(&x, &dir, t), bad.iter(), &dir, h, tol);
    if c.passed {
        return Err("a NaN gradient passed the self-check");
    }
    print_values(
        io,
        "self-check: gradient ok, corrupted and NaN gradients caught",
        [],
    );
    Ok(())
}
