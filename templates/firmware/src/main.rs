//! A template for training on a microcontroller with stackgrad: a small classifier whose
//! tape, parameters and optimizer state are `static`s (in .bss, checked by the linker
//! against memory.x), trained on a few points; no heap, no panics.
//!
//! Build: `cargo build --release` (or `--profile release-small`). With
//! `--features panic-never`, the build fails to link if any panic is reachable;
//! `cargo xtask panic-site` (from the stackgrad repository) then names the functions that
//! reach it. Formatting an `f32` with `core::fmt` (`{}` in `write!` or `hprintln!`) is
//! one: see README.md.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{mlp, Mlp, Rng};
use stackgrad::optim::Sgd;
use stackgrad::train::{train_classifier, ClassifierStep};
use stackgrad::Tape;
use static_cell::ConstStaticCell;

/// 2 inputs, 8 hidden units, 2 classes.
type Net = Mlp<f32, 2, 8, 2>;
/// Examples per step.
const B: usize = 4;
/// What one training step records, from the model's type: nothing to count by hand.
type Step = ClassifierStep<f32, Net, 2, 2, B>;
type StepTape = Tape<f32, { Step::USAGE.scalars }, { Step::USAGE.nodes }>;

/// The tape: zero-initialised, so it is in .bss and costs no flash.
static TAPE: ConstStaticCell<StepTape> = ConstStaticCell::new(Tape::new());

#[entry]
fn main() -> ! {
    // `try_take`, not `take`: the latter panics if called twice.
    let Some(tape) = TAPE.try_take() else {
        loop {
            cortex_m::asm::wfi();
        }
    };
    let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
    let mut sgd = Sgd::new(0.5);
    // XOR: the class is whether the two inputs differ.
    let x = SMatrix::<f32, 2, B>::from_column_slice(&[0., 0., 0., 1., 1., 0., 1., 1.]);
    let y = SMatrix::<f32, 2, B>::from_column_slice(&[1., 0., 0., 1., 0., 1., 1., 0.]);
    let mut loss = f32::NAN;
    for _ in 0..500 {
        match train_classifier(&mut net, tape, &mut sgd, &x, &y, 0.0) {
            Ok(l) => loss = l,
            // A capacity error cannot happen (the tape is sized by the compiler); a
            // non-finite gradient leaves the parameters as they were.
            Err(_) => break,
        }
    }
    // Report `loss` over your board's channel (defmt, a UART, ...); here it is kept
    // observable so the optimiser cannot drop the training.
    cortex_m::asm::bkpt();
    core::hint::black_box(loss);
    loop {
        cortex_m::asm::wfi();
    }
}

#[cfg(not(feature = "panic-never"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        cortex_m::asm::bkpt();
    }
}

#[cfg(feature = "panic-never")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    extern "Rust" {
        // Defined nowhere: linking fails if this handler is reachable.
        fn a_panic_is_reachable_in_this_firmware() -> !;
    }
    // SAFETY: never called; the build fails to link if it could be.
    unsafe { a_panic_is_reachable_in_this_firmware() }
}
