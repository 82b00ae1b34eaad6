//! stackgrad's firmware programs, board-agnostic.
//!
//! Each program is one function `run(&mut dyn Io) -> Outcome` in [`programs`]. A board
//! crate gives it an [`Io`] (where text goes, and a counter) and calls it from the
//! runtime's entry point: `qemu/` for the three QEMU boards (semihosting) and the host
//! (`std`), `boards/microbit-v2`, `boards/pico` and `boards/pico2` for real boards (defmt
//! over RTT).
//! The programs do not know which.
//!
//! Lines starting with `#` are measurements (instruction counts, stack), printed only
//! where there is a counter and left out of the comparison with the host.
#![no_std]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod console;
pub mod data;
pub mod fmt;
pub mod programs;
pub mod window;

use core::fmt::Write;

pub use stackgrad;
pub use stackgrad::nalgebra;

/// What a program needs from its board: where it prints (`core::fmt::Write`; boards
/// buffer whole lines, see [`console`]), and how it counts instructions.
pub trait Io: Write {
    /// A raw, cheap-to-read counter proportional to instructions executed, where they can
    /// be counted deterministically (on a board under `qemu -icount shift=0`), or the
    /// clock cycles of a real chip; `None` on the host. Convert a difference of two readings with [`Io::instructions`].
    fn counter(&mut self) -> Option<u64>;
    /// The number of instructions in `counts` of [`Io::counter`].
    fn instructions(&self, counts: u64) -> u64 {
        counts
    }
}

/// What a program returns: `Err` carries the reason it failed.
pub type Outcome = Result<(), &'static str>;

/// Runs `f` `reps` times and prints `# NAME INSTRUCTIONS` (the mean per run) where
/// instructions are counted; returns that mean. On the host `f` runs `reps` times too,
/// and nothing is printed. `f` is a trait object (one copy of this function in flash);
/// the indirect call costs a few instructions per run.
pub fn measure(io: &mut dyn Io, name: &str, reps: u32, f: &mut dyn FnMut()) -> Option<u64> {
    let reps = reps.max(1);
    let t0 = io.counter();
    for _ in 0..reps {
        f();
    }
    let t1 = io.counter();
    match (t0, t1) {
        (Some(a), Some(b)) => {
            let per = fmt::div_u64(io.instructions(b.saturating_sub(a)), u64::from(reps));
            print_metric(io, name, per);
            Some(per)
        }
        _ => None,
    }
}

/// Prints `name: v₀ v₁ …`, each value as [`fmt::Sci`] (9 significant digits, the same
/// text on every target for the same bits).
pub fn print_values(io: &mut dyn Io, name: &str, values: impl IntoIterator<Item = f32>) {
    let _ = io.write_str(name);
    let _ = io.write_str(":");
    for v in values {
        let _ = io.write_str(" ");
        let _ = fmt::write_sci(io, v);
    }
    let _ = io.write_str("\n");
}

/// Prints `# name value`, a measurement line, on a board only (measurements are left
/// out of the comparison with the host, which prints none).
pub fn print_metric(io: &mut dyn Io, name: &str, value: u64) {
    if io.counter().is_none() {
        return;
    }
    let _ = io.write_str("# ");
    let _ = io.write_str(name);
    let _ = io.write_str(" ");
    let _ = fmt::write_u64(io, value);
    let _ = io.write_str("\n");
}

/// Prints the verdict line that ends every program (`ok` or `FAIL: why`) and returns
/// the exit status (0 or 1).
pub fn report(io: &mut dyn Io, outcome: Outcome) -> i32 {
    match outcome {
        Ok(()) => {
            let _ = io.write_str("ok\n");
            0
        }
        Err(why) => {
            let _ = io.write_str("FAIL: ");
            let _ = io.write_str(why);
            let _ = io.write_str("\n");
            1
        }
    }
}
