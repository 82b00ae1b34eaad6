//! `cargo xtask firmware` and `cargo xtask boards`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::output::{compare, metric};
use crate::{cargo, cargo_in, elf, root, step, Result};

/// A QEMU board: its name, Rust target and QEMU command line (before `-kernel ELF`).
struct Board {
    name: &'static str,
    target: &'static str,
    qemu: &'static [&'static str],
}

const BOARDS: [Board; 3] = [
    Board {
        name: "mps2-an386",
        target: "thumbv7em-none-eabihf",
        qemu: &[
            "qemu-system-arm",
            "-machine",
            "mps2-an386",
            "-cpu",
            "cortex-m4",
        ],
    },
    Board {
        name: "microbit",
        target: "thumbv6m-none-eabi",
        qemu: &["qemu-system-arm", "-machine", "microbit"],
    },
    Board {
        name: "riscv-virt",
        target: "riscv32imac-unknown-none-elf",
        qemu: &["qemu-system-riscv32", "-machine", "virt", "-bios", "none"],
    },
];

/// Every board: semihosting on, no serial or monitor, and `-icount shift=0` (one
/// instruction is 1 ns of virtual time, so the counters count instructions).
const QEMU_COMMON: [&str; 9] = [
    "-nographic",
    "-monitor",
    "none",
    "-serial",
    "none",
    "-semihosting-config",
    "enable=on,target=native",
    "-icount",
    "shift=0",
];

/// Programs compared with the host; `fault` must fault instead. `selfcheck_fixed` and
/// `train_fixed` are `selfcheck` and `train` in Q16.16 fixed point (`stackgrad::Q16`).
const PROGRAMS: [&str; 5] = [
    "gradients",
    "selfcheck",
    "selfcheck_fixed",
    "train",
    "train_fixed",
];

/// The programs that call the `f32` math backend. The Q16 programs and `fault` do not:
/// built with micromath instead of libm, they are the same code (the same instructions,
/// only laid out in another order, and the same output), so only the first backend
/// builds and runs them.
const F32_PROGRAMS: [&str; 3] = ["gradients", "selfcheck", "train"];

/// The programs built and run with backend number `i` of the list.
fn programs(i: usize) -> &'static [&'static str] {
    if i == 0 {
        &PROGRAMS
    } else {
        &F32_PROGRAMS
    }
}

/// Programs every real board in `examples/firmware/boards` builds.
const BOARD_PROGRAMS: [&str; 3] = ["gradients", "selfcheck", "train"];
/// Programs only the boards without an FPU build.
const BOARD_PROGRAMS_FIXED: [&str; 2] = ["selfcheck_fixed", "train_fixed"];

/// `(correct, total)` from a `train` program's `held-out accuracy C/N` line.
fn accuracy(out: &str) -> Option<(u64, u64)> {
    let line = out.lines().find(|l| l.starts_with("held-out accuracy "))?;
    let (c, n) = line.rsplit(' ').next()?.split_once('/')?;
    Some((c.parse().ok()?, n.parse().ok()?))
}

/// An accuracy as a percentage with one decimal.
fn percent(a: Option<(u64, u64)>) -> String {
    match a {
        Some((c, n)) if n > 0 => format!("{:.1} %", 100.0 * c as f64 / n as f64),
        _ => "-".into(),
    }
}

/// Time allowed for one program under QEMU.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed for `fault`, which must end at once.
const FAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn firmware_dir() -> PathBuf {
    root().join("examples/firmware")
}

/// Runs `cmd` with a time limit; returns its exit code (`None` if killed on timeout)
/// and its standard output and error.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Result<(Option<i32>, String)> {
    let dir = std::env::temp_dir().join(format!("xtask-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let log = dir.join("out.txt");
    let file = fs::File::create(&log).map_err(|e| e.to_string())?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = fs::read_to_string(&log).unwrap_or_default();
    Ok((code, out))
}

fn qemu_command(board: &Board, elf: &Path) -> Command {
    let mut cmd = Command::new(board.qemu[0]);
    cmd.args(&board.qemu[1..])
        .args(QEMU_COMMON)
        .arg("-kernel")
        .arg(elf);
    cmd
}

pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn copy(from: &Path, to: &Path) -> Result {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

fn ratio(a: Option<u64>, b: Option<u64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => format!("{:.2}", a as f64 / b as f64),
        _ => "-".into(),
    }
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

/// `cargo xtask firmware`.
pub fn qemu(args: &[String]) -> Result {
    let mut backends = vec!["libm", "micromath"];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--backends" => {
                let list = it.next().ok_or("--backends needs a list")?;
                backends = ["libm", "micromath"]
                    .into_iter()
                    .filter(|b| list.split(',').any(|x| x == *b))
                    .collect();
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    for q in ["qemu-system-arm", "qemu-system-riscv32"] {
        if !have(q) {
            return Err(format!(
                "{q} not found: install Debian's qemu-system-arm and qemu-system-misc (.ci/run does)"
            ));
        }
    }
    let start = Instant::now();
    let fw = firmware_dir();
    let qemu_dir = fw.join("qemu");
    let target = fw.join("target");
    let out = target.join("fw");
    let _ = fs::remove_dir_all(&out);

    step("cargo fmt --check, clippy (host, thumbv6m, riscv32)");
    cargo_in(&fw, &target, &["fmt", "--all", "--check"])?;
    cargo_in(
        &fw,
        &target,
        &[
            "clippy",
            "-q",
            "--release",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    for t in ["thumbv6m-none-eabi", "riscv32imac-unknown-none-elf"] {
        cargo_in(
            &qemu_dir,
            &target,
            &[
                "clippy",
                "-q",
                "--release",
                "--target",
                t,
                "--",
                "-D",
                "warnings",
            ],
        )?;
    }
    // The firmware library's tests. `firmware-qemu` has none: `--workspace` built its
    // seven empty test harnesses (its library and one per program) in release, for
    // nothing; clippy above checks them.
    for be in &backends {
        step(&format!("host tests ({be})"));
        let features = ["--no-default-features", "--features", be];
        cargo_in(
            &fw,
            &target,
            &[
                &["test", "-q", "--release", "-p", "stackgrad-firmware"][..],
                &features,
            ]
            .concat(),
        )?;
    }

    // Build once per (target, backend). Every release binary links with a panic handler
    // that refers to an undefined symbol: if it links, no panic is reachable.
    // The host runs no `fault`; the boards run it with the first backend only.
    for (i, be) in backends.iter().enumerate() {
        let features = ["--no-default-features", "--features", be];
        let bins = |fault: bool| {
            let mut args = Vec::new();
            for p in programs(i)
                .iter()
                .chain(if fault { &["fault"][..] } else { &[] })
            {
                args.extend(["--bin", p]);
            }
            args
        };
        step(&format!("build host ({be})"));
        cargo_in(
            &qemu_dir,
            &target,
            &[&["build", "-q", "--release"][..], &bins(false), &features].concat(),
        )?;
        let dir = out.join(be).join("host");
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        for p in programs(i) {
            copy(&target.join("release").join(p), &dir.join(p))?;
        }
        for b in &BOARDS {
            step(&format!("build {} {} ({be})", b.name, b.target));
            cargo_in(
                &qemu_dir,
                &target,
                &[
                    &["build", "-q", "--release", "--target", b.target][..],
                    &bins(i == 0),
                    &features,
                ]
                .concat(),
            )?;
            let dir = out.join(be).join(b.name);
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            for p in programs(i)
                .iter()
                .chain(if i == 0 { &["fault"][..] } else { &[] })
            {
                copy(&target.join(b.target).join("release").join(p), &dir.join(p))?;
            }
        }
    }
    let built = start.elapsed().as_secs();
    step(&format!("built in {built} s; running"));

    let mut failures = Vec::new();
    let (mut compared, mut identical) = (0, 0);
    for (i, be) in backends.iter().enumerate() {
        for p in programs(i) {
            let elf = out.join(be).join("host").join(p);
            let (code, text) = run_with_timeout(&mut Command::new(&elf), TIMEOUT)?;
            if code != Some(0) {
                failures.push(format!("host {p} ({be}): status {code:?}"));
            }
            fs::write(elf.with_extension("txt"), &text).map_err(|e| e.to_string())?;
        }
        for b in &BOARDS {
            for p in programs(i) {
                let host = fs::read_to_string(out.join(be).join("host").join(format!("{p}.txt")))
                    .unwrap_or_default();
                let elf = out.join(be).join(b.name).join(p);
                let (code, text) = run_with_timeout(&mut qemu_command(b, &elf), TIMEOUT)?;
                fs::write(elf.with_extension("txt"), &text).map_err(|e| e.to_string())?;
                if code != Some(0) {
                    let tail: Vec<&str> = text.lines().rev().take(3).collect();
                    failures.push(format!(
                        "{p} on {} ({be}): {} {tail:?}",
                        b.name,
                        code.map_or("timeout".into(), |c| format!("status {c}"))
                    ));
                    continue;
                }
                match compare(&host, &text) {
                    Ok(same) => {
                        compared += 1;
                        identical += usize::from(same);
                    }
                    Err(why) => failures.push(format!(
                        "{p} on {} ({be}) disagrees with the host: {why}",
                        b.name
                    )),
                }
            }
            // A fault must end the run at once with status 1 and a report.
            if i > 0 {
                continue;
            }
            let elf = out.join(be).join(b.name).join("fault");
            let (code, text) = run_with_timeout(&mut qemu_command(b, &elf), FAULT_TIMEOUT)?;
            let reported = text
                .lines()
                .any(|l| l.starts_with("HardFault") || l.starts_with("exception"));
            if code != Some(1) || !reported {
                failures.push(format!(
                    "fault on {} ({be}): want status 1 and a fault report, got {code:?}",
                    b.name
                ));
            }
        }
    }

    let read = |be: &str, board: &str, p: &str| {
        fs::read_to_string(out.join(be).join(board).join(format!("{p}.txt"))).unwrap_or_default()
    };
    let sections = |be: &str, board: &str, p: &str| {
        elf::sections(&out.join(be).join(board).join(p)).unwrap_or_default()
    };

    println!();
    println!("Sizes in bytes ({}). `.bss` holds every `static` (for `train`: its tape, model and optimizer); peak stack measured by painting, from the top of RAM; RAM = `.data` + `.bss` + peak stack.", backends[0]);
    println!();
    println!("| program | board | `.text` | `.rodata` | `.data` | `.bss` | peak stack | RAM |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let be0 = backends[0];
    for p in PROGRAMS {
        for b in &BOARDS {
            let s = sections(be0, b.name, p);
            let stack = metric(&read(be0, b.name, p), "stack");
            let (data, bss) = (elf::size(&s, ".data"), elf::size(&s, ".bss"));
            println!(
                "| {p} | {} | {} | {} | {data} | {bss} | {} | {} |",
                b.name,
                elf::size(&s, ".text"),
                elf::size(&s, ".rodata"),
                show(stack),
                show(stack.map(|st| st + data + bss)),
            );
        }
    }

    println!();
    println!("Instructions per call ({be0}; `-icount shift=0`, SysTick on Cortex-M, `minstret` on RISC-V; mean of 16):");
    println!();
    println!("| board | hand forward | hand step | tape forward | tape step | compiled step | tape step ÷ forward | tape ÷ hand | compiled ÷ hand | micromath ÷ libm (tape step) | train step, tape | train step, replay | train step, compiled |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut goals = Vec::new();
    for b in &BOARDS {
        let g = read(be0, b.name, "gradients");
        let m = |n| metric(&g, n);
        let (hf, hs, sf, ss, cs) = (
            m("hand_forward"),
            m("hand_step"),
            m("sg_forward"),
            m("sg_step"),
            m("cg_step"),
        );
        let mm = if backends.len() > 1 {
            ratio(
                metric(&read("micromath", b.name, "gradients"), "sg_step"),
                metric(&read("libm", b.name, "gradients"), "sg_step"),
            )
        } else {
            "-".into()
        };
        let t = read(be0, b.name, "train");
        let (train_tape, train_replay, train_compiled) = (
            metric(&t, "train_step_tape"),
            metric(&t, "train_step_replay"),
            metric(&t, "train_step_compiled"),
        );
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {mm} | {} | {} | {} |",
            b.name,
            show(hf),
            show(hs),
            show(sf),
            show(ss),
            show(cs),
            ratio(ss, sf),
            ratio(ss, hs),
            ratio(cs, hs),
            show(train_tape),
            show(train_replay),
            show(train_compiled),
        );
        let r = |a: Option<u64>, c: Option<u64>| a.zip(c).map(|(a, c)| a as f64 / c as f64);
        goals.push((
            format!(
                "{}: stackgrad step ÷ forward = {} (≤ 3)",
                b.name,
                ratio(ss, sf)
            ),
            r(ss, sf).is_some_and(|x| x <= 3.0),
        ));
        goals.push((
            format!(
                "{}: tape step ÷ hand-written step = {} (≤ 1.3)",
                b.name,
                ratio(ss, hs)
            ),
            r(ss, hs).is_some_and(|x| x <= 1.3),
        ));
        // The compiled path: ≤ 1.10 of the hand-written step on the Cortex-M4F, and no
        // worse than the tape where soft-float arithmetic dominates.
        let (limit, what) = if b.name == "mps2-an386" {
            (1.10, "≤ 1.10".to_string())
        } else {
            (
                r(ss, hs).unwrap_or(0.0),
                format!("≤ the tape's {}", ratio(ss, hs)),
            )
        };
        goals.push((
            format!(
                "{}: compiled step ÷ hand-written step = {} ({what})",
                b.name,
                ratio(cs, hs)
            ),
            r(cs, hs).is_some_and(|x| x <= limit),
        ));
    }
    println!();
    println!("Training in `f32` and in Q16.16 fixed point (`train` and `train_fixed`: the same model, data, seed and steps; {be0}; instructions per compiled step, mean of 16; RAM = `.data` + `.bss` + peak stack):");
    println!();
    println!("| board | `f32` step | Q16 step | Q16 ÷ `f32` | `f32` tape step | Q16 tape step | `f32` RAM | Q16 RAM | `f32` accuracy | Q16 accuracy |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ram = |board: &str, p: &str| {
        let s = sections(be0, board, p);
        metric(&read(be0, board, p), "stack")
            .map(|st| st + elf::size(&s, ".data") + elf::size(&s, ".bss"))
    };
    for b in &BOARDS {
        let (t, q) = (read(be0, b.name, "train"), read(be0, b.name, "train_fixed"));
        let (ts, qs) = (
            metric(&t, "train_step_compiled"),
            metric(&q, "train_step_compiled"),
        );
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            b.name,
            show(ts),
            show(qs),
            ratio(qs, ts),
            show(metric(&t, "train_step_tape")),
            show(metric(&q, "train_step_tape")),
            show(ram(b.name, "train")),
            show(ram(b.name, "train_fixed")),
            percent(accuracy(&t)),
            percent(accuracy(&q)),
        );
        if b.name == "microbit" {
            let r = ts.zip(qs).map(|(t, q)| q as f64 / t as f64);
            goals.push((
                format!("microbit: Q16 step ÷ f32 step = {} (≤ 0.33)", ratio(qs, ts)),
                r.is_some_and(|r| r <= 1.0 / 3.0),
            ));
            // Within 1 percentage point of the f32 run's held-out accuracy.
            let (fa, qa) = (accuracy(&t), accuracy(&q));
            let pts = |a: (u64, u64)| 100.0 * a.0 as f64 / a.1.max(1) as f64;
            goals.push((
                format!(
                    "microbit: Q16 accuracy {} vs f32 {} (within 1 point)",
                    percent(qa),
                    percent(fa)
                ),
                fa.zip(qa).is_some_and(|(f, q)| pts(q) >= pts(f) - 1.0),
            ));
            let qram = ram(b.name, "train_fixed");
            goals.push((
                format!(
                    "train_fixed on microbit: RAM {} bytes (≤ 16384), ran to the end",
                    show(qram)
                ),
                qram.is_some_and(|r| r <= 16384) && q.lines().any(|l| l == "ok"),
            ));
        }
    }

    println!();
    println!("The boot-time self-check in `f32` and in Q16 (`selfcheck` and `selfcheck_fixed`: the gradient and four central differences, instructions; {be0}):");
    println!();
    println!("| board | `f32` | Q16 | Q16 ÷ `f32` | `f32` worst error ÷ allowed | Q16 worst error ÷ allowed |");
    println!("|---|---:|---:|---:|---:|---:|");
    let worst = |out: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix("worst error/allowed: "))
            .unwrap_or("-")
            .to_string()
    };
    for b in &BOARDS {
        let (f, q) = (
            read(be0, b.name, "selfcheck"),
            read(be0, b.name, "selfcheck_fixed"),
        );
        let (fi, qi) = (metric(&f, "selfcheck"), metric(&q, "selfcheck"));
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            b.name,
            show(fi),
            show(qi),
            ratio(qi, fi),
            worst(&f),
            worst(&q),
        );
    }

    let t = read(be0, "microbit", "train");
    let s = sections(be0, "microbit", "train");
    let ram = metric(&t, "stack").map(|st| st + elf::size(&s, ".data") + elf::size(&s, ".bss"));
    goals.push((
        format!(
            "train on microbit: RAM {} bytes (≤ 16384), ran to the end",
            show(ram)
        ),
        ram.is_some_and(|r| r <= 16384) && t.lines().any(|l| l == "ok"),
    ));
    // The tape, the compiled buffers, the model and the optimizer are `static`s built by
    // `const fn`s whose bytes are all zero: in `.bss`, which costs no flash and no copy at
    // boot. A constructor that writes a non-zero byte moves its static to `.data`.
    let data = elf::size(&s, ".data");
    goals.push((
        format!("train on microbit: .data {data} bytes (≤ 64: its statics in .bss)"),
        data <= 64,
    ));
    let text = elf::size(&sections(be0, "mps2-an386", "gradients"), ".text");
    goals.push((
        format!("gradients .text on thumbv7em: {text} bytes (≤ 24576)"),
        text > 0 && text <= 24576,
    ));

    println!();
    println!("Outputs agreeing with the host: {compared}; byte-identical: {identical} (the rest within 1e-5).");
    println!();
    println!("Goals ({be0}):");
    for (what, met) in &goals {
        println!("  {what:<66} {}", if *met { "met" } else { "NOT met" });
    }
    println!();
    println!(
        "Panic-free: every release program ({} × 3 boards with {}{}) linked with a panic handler that refers to an undefined symbol.",
        PROGRAMS.len() + 1,
        backends[0],
        if backends.len() > 1 {
            format!(", and the {} f32 ones with {}", F32_PROGRAMS.len(), backends[1..].join(", "))
        } else {
            String::new()
        }
    );
    println!();
    if failures.is_empty() {
        println!(
            "firmware: all programs ran on all boards and agree with the host ({} s)",
            start.elapsed().as_secs()
        );
        Ok(())
    } else {
        for f in &failures {
            println!("FAIL {f}");
        }
        Err(format!("{} failure(s)", failures.len()))
    }
}

/// A real board: its directory under `examples/firmware/boards`, its target, and
/// whether it builds the fixed-point programs too ([`BOARD_PROGRAMS_FIXED`]: on a chip
/// without an FPU).
const REAL_BOARDS: [(&str, &str, bool); 3] = [
    ("microbit-v2", "thumbv7em-none-eabihf", false),
    ("pico", "thumbv6m-none-eabi", true),
    ("pico2", "thumbv8m.main-none-eabihf", false),
];

/// `cargo xtask boards`.
///
/// The boards build into the firmware workspace's target directory (their own is
/// `target/` in each board's directory, for `cargo run` there): a crate a board compiles
/// with the same target, profile, flags and features as a QEMU board or another real
/// board (core, nalgebra, fixed, libm, the host's proc macros and build scripts, ...) is
/// then built once.
pub fn boards() -> Result {
    let start = Instant::now();
    let shared = firmware_dir().join("target");
    let target_dir = shared
        .to_str()
        .ok_or("the target directory's path is not UTF-8")?;
    let mut rows = Vec::new();
    for (name, target, fixed) in REAL_BOARDS {
        let dir = firmware_dir().join("boards").join(name);
        step(&format!("{name}: fmt, clippy ({target})"));
        cargo(&dir, &["fmt", "--check"])?;
        cargo(
            &dir,
            &[
                "clippy",
                "-q",
                "--release",
                "--target-dir",
                target_dir,
                "--",
                "-D",
                "warnings",
            ],
        )?;
        step(&format!("{name}: build"));
        cargo(
            &dir,
            &[
                "build",
                "-q",
                "--release",
                "--bins",
                "--target-dir",
                target_dir,
            ],
        )?;
        let extra: &[&str] = if fixed { &BOARD_PROGRAMS_FIXED } else { &[] };
        for p in BOARD_PROGRAMS.iter().chain(extra) {
            let elf = shared.join(target).join("release").join(p);
            let s = elf::sections(&elf)?;
            rows.push(format!(
                "| {p} | {name} | {} | {} | {} | {} |",
                elf::size(&s, ".text"),
                elf::size(&s, ".rodata"),
                elf::size(&s, ".data"),
                elf::size(&s, ".bss"),
            ));
        }
    }
    println!();
    println!("Real boards (built, not run; libm; sizes in bytes):");
    println!();
    println!("| program | board | `.text` | `.rodata` | `.data` | `.bss` |");
    println!("|---|---|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    println!();
    println!("boards: built in {} s", start.elapsed().as_secs());
    Ok(())
}
