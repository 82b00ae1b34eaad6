//! A gradient self-test a device can run at boot: stackgrad's gradient of the window
//! classifier against a central difference along pseudo-random directions
//! ([`stackgrad::check`], O(1) extra memory), plus a negative control: a gradient with
//! one corrupted component must fail.
//!
//! Generic over the scalar like `train` ([`Checked`]): `selfcheck` runs in `f32`
//! ([`run`]), `selfcheck_fixed` in Q16.16 fixed point ([`run_fixed`]), where both the
//! gradient and the central difference are computed in [`Q16`], with the step and
//! tolerance of [`Checked`]'s implementation for `Q16`.

use stackgrad::check::{check_gradient, Check, Direction, Tolerance};
use stackgrad::Q16;

use super::handwritten::SEED;
use super::train::Scalar;
use crate::window::{window_input, Window, WindowGrads, WindowTape};
use crate::{print_metric, print_values, Io, Outcome};

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

/// A scalar the self-check runs in: its central difference's step and its tolerance.
pub trait Checked: Scalar {
    /// The step `h` of the central difference.
    fn step() -> Self;
    /// How close `⟨g, v⟩` and the central difference must be.
    fn tolerance() -> Tolerance<Self>;
}

impl Checked for f32 {
    fn step() -> f32 {
        step()
    }
    fn tolerance() -> Tolerance<f32> {
        tolerance()
    }
}

/// In Q16 every evaluation of `s` is rounded to steps of `2⁻¹⁶`, and the central
/// difference divides the rounding of `s(h) − s(−h)` by `2h`: one step of error becomes
/// `2⁻¹⁶/2h`. A small `h` amplifies round-off, a large one adds truncation
/// (`h²·|φ‴|/6`); measured over the 4 directions against the exact (`f64`) derivative,
/// the worst error is 0.042 at `h = 2⁻⁵`, 0.0066 at `2⁻⁷`, 0.0047 at `2⁻⁸`, 0.014 at
/// `2⁻⁹` and 0.029 at `2⁻¹⁰`, for values of `⟨g, v⟩` between 1 and 4. So `h = 2⁻⁸`
/// (exact in Q16), and a tolerance of relative 5e-3, absolute floor 2e-2: four times the
/// worst error, five times smaller than [`CORRUPTION`]. The analytic gradient itself is
/// much closer: its `⟨g, v⟩` agrees with `f64` within 1.4e-4 (a host test checks
/// 5e-4); it is the difference quotient, not the gradient, that needs the looser
/// tolerance (`f32`'s is 1e-3 relative, 2e-4 absolute).
impl Checked for Q16 {
    fn step() -> Q16 {
        Q16::from_bits(1 << 8)
    }
    fn tolerance() -> Tolerance<Q16> {
        Tolerance::new(5e-3, 2e-2)
    }
}

/// How much the negative control adds to one component of `∂s/∂W`; larger than either
/// tolerance, so it must be caught.
pub const CORRUPTION: f32 = 0.1;

fn print_check<S: Scalar>(io: &mut dyn Io, name: &str, c: &Check<S>) {
    print_values(
        io,
        name,
        [c.analytic, c.numeric, c.error, c.allowed].map(S::to_f32),
    );
}

/// The program in `f32`.
pub fn run(io: &mut dyn Io) -> Outcome {
    check::<f32>(io)
}

/// The program in Q16.16 fixed point ([`Q16`]).
pub fn run_fixed(io: &mut dyn Io) -> Outcome {
    check::<Q16>(io)
}

/// The self-check in `S`: the model, its input, the gradient and the central
/// differences all in `S`.
pub fn check<S: Checked>(io: &mut dyn Io) -> Outcome {
    let t0 = io.counter();
    let model = Window::<S>::example(SEED);
    let x = window_input::<S>();
    let mut tape = WindowTape::<S>::new();
    let mut g = WindowGrads::zeros();
    model
        .stackgrad_gradient(&mut tape, &x, Some(&mut g))
        .map_err(|_| "tape error")?;
    let (tol, h) = (S::tolerance(), S::step());
    let mut worst = S::zero();
    for seed in 1..=4u32 {
        let dir = Direction::new(seed);
        let c = check_gradient(|t| model.score_along(&x, &dir, t), g.iter(), &dir, h, tol);
        print_check(io, "direction <g,v> numeric error allowed", &c);
        if !c.passed {
            return Err("the gradient failed the self-check");
        }
        worst = stackgrad::Real::max(worst, c.error / c.allowed);
    }
    // What a boot-time check costs: the gradient and four directions, printing included.
    if let (Some(a), Some(b)) = (t0, io.counter()) {
        let n = io.instructions(b.saturating_sub(a));
        print_metric(io, "selfcheck", n);
    }
    print_values(io, "worst error/allowed", [worst.to_f32()]);

    // Negative control: one wrong component of ∂s/∂W must be caught.
    let mut bad = g.clone();
    bad.w[(3, 7)] += S::constant(f64::from(CORRUPTION));
    let dir = Direction::new(1);
    let c = check_gradient(|t| model.score_along(&x, &dir, t), bad.iter(), &dir, h, tol);
    print_check(io, "corrupted <g,v> numeric error allowed", &c);
    if c.passed {
        return Err("a corrupted gradient passed the self-check");
    }
    // And a NaN never passes.
    bad.b[0] = S::nan();
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
