//! stackgrad's build tasks (the xtask pattern: plain Rust, run by `cargo xtask ...`).
//!
//! - `cargo xtask ci [--list] [STEP ...]`: everything CI checks, in CI's order, failing
//!   fast (formatting, clippy, the tests, docs, `no_std` builds, examples, templates,
//!   packaging, fuzzing, Miri, firmware, boards). `.ci/run` installs what a fresh machine
//!   lacks and runs it.
//! - `cargo xtask firmware [--backends libm,micromath]`: lints and tests the firmware
//!   library, builds every program of `examples/firmware/qemu` for the host and the three
//!   QEMU boards (once per target and math backend, the second backend only the programs
//!   that call `f32` functions; a release build links only if no panic is reachable),
//!   runs each under QEMU with a timeout, compares its output with the host's, checks
//!   that a fault is reported, and prints the size and instruction tables (Markdown, as
//!   in the README).
//! - `cargo xtask boards`: lints and builds the real-board projects in
//!   `examples/firmware/boards/` (they cannot be flashed here; into the firmware's target
//!   directory, reusing what `cargo xtask firmware` built) and prints their sizes.
//! - `cargo xtask icount [ARGS]`: instruction counts under callgrind
//!   (`scripts/icount.sh ARGS`).
//! - `cargo xtask peers --aifes PATH`: stackgrad against AIfES 2.2 on QEMU's Cortex-M4F
//!   (`benches/peers/aifes-m4f/`): builds both sides, checks that they compute the same
//!   numbers, prints the README's table. Local only: AIfES comes from a clone of its
//!   repository, which CI does not have.
//! - `cargo xtask panic-site [--manifest-path PATH]`: builds a firmware (by default
//!   `templates/firmware`) without its panic-never feature and names the functions from
//!   which its panic handler is reachable, with the chain of calls to it.
//!
//! QEMU itself is installed by `.ci/run` (Debian's `qemu-system-arm` and
//! `qemu-system-misc`).

mod ci;
mod elf;
mod firmware;
mod output;
mod panic_site;
mod peers;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::OnceLock;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::ci(&args[1..]),
        Some("firmware") => firmware::qemu(&args[1..]),
        Some("boards") => firmware::boards(),
        Some("icount") => icount(&args[1..]),
        Some("panic-site") => panic_site::panic_site(&args[1..]),
        Some("peers") => peers::peers(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("xtask: {why}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: cargo xtask TASK

  ci [--list] [STEP ...]                everything CI runs, failing fast (--help: the steps)
  firmware [--backends libm,micromath]  the QEMU boards against the host, with the tables
  boards                                build the real-board projects, print their sizes
  icount [ARGS]                         instruction counts (scripts/icount.sh ARGS)
  panic-site [--manifest-path PATH] ... which functions of a firmware reach its panic
                                        handler (--help: the options)
  peers --aifes PATH [--out DIR]        stackgrad against AIfES 2.2 on the emulated
                                        Cortex-M4F (PATH: a clone of AIfES_for_Arduino)";

/// `cargo xtask icount ARGS`: `scripts/icount.sh ARGS` (callgrind's instruction counts).
/// The script reads the benchmark from `target/release/`, so it runs without
/// `CARGO_TARGET_DIR`.
fn icount(args: &[String]) -> Result {
    let script = root().join("scripts/icount.sh");
    let status = Command::new(&script)
        .args(args)
        .current_dir(root())
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("scripts/icount.sh failed ({status})"))
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
    run_cargo(dir, None, args)
}

/// [`cargo`] with the target directory `target`, whatever `CARGO_TARGET_DIR` says: for a
/// task that reads the binaries it builds from there.
pub fn cargo_in(dir: &Path, target: &Path, args: &[&str]) -> Result {
    run_cargo(dir, Some(target), args)
}

fn run_cargo(dir: &Path, target: Option<&Path>, args: &[&str]) -> Result {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    if let Some(target) = target {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    let status = cmd
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

/// Prints a step's heading on standard error, with the seconds since this task started
/// (which part of a long task takes the time).
pub fn step(what: &str) {
    static START: OnceLock<Instant> = OnceLock::new();
    let secs = START.get_or_init(Instant::now).elapsed().as_secs();
    eprintln!("== {what} ({secs} s)");
}
