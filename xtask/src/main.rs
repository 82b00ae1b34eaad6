//! stackgrad's build tasks (the xtask pattern: plain Rust, run by `cargo xtask ...`).
//!
//! - `cargo xtask firmware [--backends libm,micromath]`: lints and tests the firmware
//!   library, builds every program of `examples/firmware/qemu` for the host and the three
//!   QEMU boards (once per target and math backend; a release build links only if no
//!   panic is reachable), runs each under QEMU with a timeout, compares its output with
//!   the host's, checks that a fault is reported, and prints the size and instruction
//!   tables (Markdown, as in the README).
//! - `cargo xtask boards`: lints and builds the real-board projects in
//!   `examples/firmware/boards/` (they cannot be flashed here) and prints their sizes.
//!
//! QEMU itself is installed by `.ci/run` (Debian's `qemu-system-arm` and
//! `qemu-system-misc`).

mod elf;
mod firmware;
mod output;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("firmware") => firmware::qemu(&args[1..]),
        Some("boards") => firmware::boards(),
        _ => Err(
            "usage: cargo xtask firmware [--backends libm,micromath] | cargo xtask boards".into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("xtask: {why}");
            ExitCode::FAILURE
        }
    }
}

/// What a task returns: `Err` says why it failed.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `cargo ARGS` in `dir` (so that `dir`'s `.cargo/config.toml` applies), failing
/// with the command line if it does.
pub fn cargo(dir: &Path, args: &[&str]) -> Result {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cargo {}: {e}", args.join(" ")))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo {}` in {} failed ({status})",
            args.join(" "),
            dir.display()
        ))
    }
}

/// Prints a step's heading on standard error.
pub fn step(what: &str) {
    eprintln!("== {what}");
}
