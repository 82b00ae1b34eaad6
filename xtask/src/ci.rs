//! `cargo xtask ci`: everything CI checks, in order, failing at the first step that
//! fails. `.ci/run` installs what a fresh machine lacks (components, targets, nightly
//! with Miri, QEMU) and then runs this.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::{firmware, root, Result};

/// Targets of the `no_std` builds of core.
const NO_STD_TARGETS: [&str; 3] = [
    "thumbv6m-none-eabi",
    "thumbv7em-none-eabihf",
    "riscv32imac-unknown-none-elf",
];

/// Host examples run in CI; the first one's output is shown (it states the accuracy).
const EXAMPLES: [&str; 7] = [
    "digits",
    "digits_fixed",
    "gates",
    "ner_window",
    "jacobian",
    "custom_op",
    "outgrow",
];

/// Every fuzz target, fuzzed for `FUZZ_SECONDS` each.
const FUZZ_TARGETS: [&str; 4] = [
    "weights_from_bytes",
    "weights_to_rust",
    "formats_load",
    "checkpoint_restore",
];
const FUZZ_SECONDS: &str = "5";

/// One command line of a step.
struct Cmd {
    /// Where it runs, relative to the repository's root.
    dir: &'static str,
    /// Variables added to the environment.
    env: Vec<(&'static str, String)>,
    /// `cargo`, or a script's path relative to the root.
    program: &'static str,
    args: Vec<String>,
    /// Standard output thrown away (the examples' long listings).
    quiet: bool,
    /// `CARGO_TARGET_DIR` removed from the environment.
    default_target_dir: bool,
}

impl Cmd {
    fn cargo(args: &[&str]) -> Self {
        Cmd {
            dir: "",
            env: Vec::new(),
            program: "cargo",
            args: args.iter().map(|a| a.to_string()).collect(),
            quiet: false,
            default_target_dir: false,
        }
    }

    fn script(path: &'static str, args: &[&str]) -> Self {
        Cmd {
            program: path,
            ..Cmd::cargo(args)
        }
    }

    fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    fn dir(mut self, dir: &'static str) -> Self {
        self.dir = dir;
        self
    }

    /// Runs without `CARGO_TARGET_DIR`: for the scripts that read their binaries from
    /// the default target directory (`fuzz/target/`).
    fn default_target_dir(mut self) -> Self {
        self.default_target_dir = true;
        self
    }

    fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    fn run(&self) -> Result {
        let root = root();
        let mut cmd = if self.program == "cargo" {
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        } else {
            Command::new(root.join(self.program))
        };
        cmd.args(&self.args).current_dir(root.join(self.dir));
        if self.default_target_dir {
            cmd.env_remove("CARGO_TARGET_DIR");
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if self.quiet {
            cmd.stdout(Stdio::null());
        }
        let status = cmd.status().map_err(|e| format!("{self}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{self}` failed ({status})"))
        }
    }
}

/// The command as a shell line, run from the repository's root.
impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.dir.is_empty() {
            write!(f, "(cd {} && ", self.dir)?;
        }
        if self.default_target_dir {
            f.write_str("env -u CARGO_TARGET_DIR ")?;
        }
        let quoted = |s: &str| {
            if s.contains(' ') {
                format!("'{s}'")
            } else {
                s.to_string()
            }
        };
        for (k, v) in &self.env {
            write!(f, "{k}={} ", quoted(v))?;
        }
        f.write_str(self.program)?;
        for a in &self.args {
            write!(f, " {}", quoted(a))?;
        }
        if !self.dir.is_empty() {
            f.write_str(")")?;
        }
        if self.quiet {
            f.write_str(" >/dev/null")?;
        }
        Ok(())
    }
}

/// What a step does: command lines, or one of this crate's own tasks.
enum Action {
    Run(Cmd),
    /// `cargo xtask firmware`.
    Firmware,
    /// `cargo xtask boards`.
    Boards,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Run(cmd) => cmd.fmt(f),
            Action::Firmware => f.write_str("cargo xtask firmware"),
            Action::Boards => f.write_str("cargo xtask boards"),
        }
    }
}

struct Step {
    /// The name `cargo xtask ci NAME` selects it by.
    name: &'static str,
    /// The heading printed when it starts.
    title: &'static str,
    actions: Vec<Action>,
}

/// The target directory cargo uses here: `CARGO_TARGET_DIR` if set, else `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => std::env::current_dir().unwrap_or_default().join(dir),
        None => root().join("target"),
    }
}

/// Every step, in the order CI runs them.
fn steps() -> Vec<Step> {
    use Action::Run;
    let step = |name, title, actions| Step {
        name,
        title,
        actions,
    };
    let target = target_dir();
    // The template crates are outside the workspace: pointing them at the workspace's
    // target directory builds the shared dependencies once.
    let host_target = target.display().to_string();
    let firmware_target = target.join("templates").display().to_string();
    let mut no_std = Vec::new();
    for t in NO_STD_TARGETS {
        no_std.push(Run(Cmd::cargo(&[
            "build",
            "-p",
            "stackgrad",
            "--target",
            t,
            "--release",
        ])));
        no_std.push(Run(Cmd::cargo(&[
            "build",
            "-p",
            "stackgrad",
            "--target",
            t,
            "--release",
            "--no-default-features",
            "--features",
            "micromath",
        ])));
        no_std.push(Run(Cmd::cargo(&[
            "clippy",
            "-p",
            "stackgrad",
            "--target",
            t,
            "--",
            "-D",
            "warnings",
        ])));
    }
    let examples = EXAMPLES
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let cmd = Cmd::cargo(&["run", "--release", "--example", e]);
            Run(if i == 0 { cmd } else { cmd.quiet() })
        })
        .collect();
    let mut templates = vec![
        Run(Cmd::cargo(&["fmt", "--check"]).dir("templates/host")),
        Run(Cmd::cargo(&["run", "--release"])
            .dir("templates/host")
            .env("CARGO_TARGET_DIR", host_target)),
        Run(Cmd::cargo(&["fmt", "--check"]).dir("templates/firmware")),
    ];
    // The panic handler refers to an undefined symbol: linking proves no panic is
    // reachable, with cargo's default release profile and with opt-level "s" + LTO.
    for profile in ["release", "release-small"] {
        templates.push(Run(Cmd::cargo(&[
            "build",
            "--profile",
            profile,
            "--features",
            "panic-never",
        ])
        .dir("templates/firmware")
        .env("CARGO_TARGET_DIR", firmware_target.clone())));
    }
    let fuzz_args: Vec<&str> = [FUZZ_SECONDS].into_iter().chain(FUZZ_TARGETS).collect();
    vec![
        step(
            "fmt",
            "cargo fmt --check",
            vec![Run(Cmd::cargo(&["fmt", "--all", "--", "--check"]))],
        ),
        step(
            "clippy",
            "cargo clippy (host)",
            vec![
                Run(Cmd::cargo(&[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])),
                // stackgrad-std with its default features alone (the workspace turns on
                // npz and svg).
                Run(Cmd::cargo(&[
                    "clippy",
                    "-p",
                    "stackgrad-std",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])),
                Run(Cmd::cargo(&[
                    "clippy",
                    "-p",
                    "stackgrad",
                    "--all-targets",
                    "--features",
                    "fixed",
                    "--",
                    "-D",
                    "warnings",
                ])),
                Run(Cmd::cargo(&[
                    "clippy",
                    "-p",
                    "stackgrad",
                    "--all-targets",
                    "--features",
                    "micromath",
                    "--",
                    "-D",
                    "warnings",
                ])),
            ],
        ),
        step(
            "test",
            "README test command: cargo test --workspace",
            vec![Run(Cmd::cargo(&["test", "--workspace"]))],
        ),
        step(
            "backends",
            "core tests with the micromath backend and Q16, and each backend's measured error",
            vec![
                Run(Cmd::cargo(&[
                    "test",
                    "-p",
                    "stackgrad",
                    "--features",
                    "micromath",
                ])),
                // Q16 (fixed point): arithmetic, each function's error, every layer's
                // gradients against f64 (the measured worst printed).
                Run(Cmd::cargo(&[
                    "test",
                    "-p",
                    "stackgrad",
                    "--features",
                    "fixed",
                    "--lib",
                    "real::fixed",
                    "--",
                    "--nocapture",
                ])),
                // Neither backend feature: f32 falls back to libm (checked by real::tests).
                Run(Cmd::cargo(&[
                    "test",
                    "-p",
                    "stackgrad",
                    "--no-default-features",
                    "--lib",
                    "real::",
                ])),
                // `--workspace`, not `-p stackgrad-tests`: the workspace's features, so
                // that the libm run reuses `cargo test --workspace`'s build and the
                // micromath one rebuilds only core and what depends on it (with `-p`,
                // nalgebra and its dependencies are built again with fewer features).
                Run(Cmd::cargo(&[
                    "test",
                    "--workspace",
                    "--test",
                    "backend_accuracy",
                    "--",
                    "--nocapture",
                ])),
                Run(Cmd::cargo(&[
                    "test",
                    "--workspace",
                    "--test",
                    "backend_accuracy",
                    "--features",
                    "stackgrad/micromath",
                    "--",
                    "--nocapture",
                ])),
            ],
        ),
        step(
            "overflow",
            "release build with overflow checks and debug assertions",
            // Core only: the integration tests' dependencies (formats, plotting) would
            // double the build for no check of core's arithmetic they do not already
            // make in debug.
            vec![Run(Cmd::cargo(&["test", "-p", "stackgrad", "--release"])
                .env("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true")
                .env("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "true"))],
        ),
        step(
            "docs",
            "docs",
            vec![Run(
                Cmd::cargo(&["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings")
            )],
        ),
        step("no-std", "no_std builds of core", no_std),
        step(
            "examples",
            "examples run (digits must reach 95 % held out)",
            examples,
        ),
        step(
            "templates",
            "template crates (a user's own host and no_std firmware crates)",
            templates,
        ),
        step(
            "publish",
            "packaging: cargo publish --dry-run of both crates",
            vec![Run(Cmd::script("scripts/publish-check.sh", &[]))],
        ),
        step(
            "fuzz",
            "reliability: fuzzing every target (random programs ran with cargo test above)",
            // fuzz.sh runs the targets from fuzz/target/.
            vec![Run(
                Cmd::script("scripts/fuzz.sh", &fuzz_args).default_target_dir()
            )],
        ),
        step(
            "miri",
            "reliability: Miri, the quick subset",
            vec![Run(
                Cmd::script("scripts/miri.sh", &[]).env("MIRI_QUICK", "1")
            )],
        ),
        step(
            "firmware",
            "firmware: QEMU boards against the host (cargo xtask firmware)",
            vec![Action::Firmware],
        ),
        step(
            "boards",
            "firmware: real boards, built not flashed (cargo xtask boards)",
            vec![Action::Boards],
        ),
    ]
}

const USAGE: &str = "\
usage: cargo xtask ci [--list] [STEP ...]

Runs every step CI runs, in order, and stops at the first failure. Each step's heading
shows the seconds elapsed since the start. With STEP names, runs only those (in CI's
order); with --list, prints each step and its command lines without running anything.

Needs what .ci/run installs on a fresh machine: rustfmt and clippy, the targets
thumbv6m-none-eabi, thumbv7em-none-eabihf, riscv32imac-unknown-none-elf and
thumbv8m.main-none-eabihf, nightly with miri and rust-src (fuzz, miri), and QEMU's
qemu-system-arm and qemu-system-riscv32 (firmware).";

/// `cargo xtask ci`.
pub fn ci(args: &[String]) -> Result {
    let steps = steps();
    let mut list = false;
    let mut chosen = Vec::new();
    for a in args {
        match a.as_str() {
            "--list" => list = true,
            "-h" | "--help" => {
                println!("{USAGE}\n\nsteps:");
                for s in &steps {
                    println!("  {:<10} {}", s.name, s.title);
                }
                return Ok(());
            }
            name if steps.iter().any(|s| s.name == name) => chosen.push(name),
            other => {
                return Err(format!(
                    "unknown step {other:?} (`cargo xtask ci --list` lists them)"
                ))
            }
        }
    }
    let selected = steps
        .iter()
        .filter(|s| chosen.is_empty() || chosen.contains(&s.name));
    if list {
        for s in selected {
            println!("{}: {}", s.name, s.title);
            for a in &s.actions {
                println!("    {a}");
            }
        }
        return Ok(());
    }
    let start = Instant::now();
    // `.ci/run` passes the time it started (seconds since the epoch), so that the
    // seconds go on from its installation steps.
    let before = std::env::var("XTASK_CI_START")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .zip(SystemTime::now().duration_since(UNIX_EPOCH).ok())
        .map_or(0, |(then, now)| now.as_secs().saturating_sub(then));
    let heading = |what: &str| {
        println!("\n=== {what} ({}s)", before + start.elapsed().as_secs());
    };
    for s in selected {
        heading(s.title);
        let step_start = Instant::now();
        for a in &s.actions {
            let done = match a {
                Action::Run(cmd) => cmd.run(),
                Action::Firmware => firmware::qemu(&[]),
                Action::Boards => firmware::boards(),
            };
            done.map_err(|why| format!("step {} failed: {why}", s.name))?;
        }
        if matches!(s.name, "firmware" | "boards") {
            println!("{} took {} s", s.name, step_start.elapsed().as_secs());
        }
    }
    heading("done");
    Ok(())
}
