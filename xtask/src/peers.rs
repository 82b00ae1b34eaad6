//! `cargo xtask peers --aifes PATH`: stackgrad against AIfES 2.2 on QEMU's Cortex-M4F
//! (`benches/peers/aifes-m4f/`, whose README says what is compared and how).
//!
//! Unpacks AIfES at a pinned commit from a clone or mirror of its repository (never
//! committed here), with its softmax's approximate `expf` replaced by newlib's, so that
//! both sides compute the same function; writes the C side's `data.h` from the Rust
//! side's `src/data.rs`; builds AIfES with `arm-none-eabi-gcc` at `-O2` and `-O2 -flto`
//! and stackgrad at the firmware's profile (opt-level "s", fat LTO) and at opt-level 2
//! (fat LTO); runs the four under QEMU; checks that they compute the same numbers; and
//! prints the table of the README's "Against AIfES on the emulated Cortex-M4F".

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::firmware::{have, run_with_timeout};
use crate::output::metric;
use crate::{cargo, root, step, Result};

/// AIfES for Arduino 2.2.0, the commit its tag names.
const AIFES_COMMIT: &str = "07a438213f67e8f9d0271417a9f16be97f1597d2";
/// The file and the one call that the exact variant changes: the softmax's
/// `aimath_f32_default_expf_fast` (Schraudolph's bit trick) becomes newlib's `expf`.
const SOFTMAX_FILE: &str = "src/basic/default/aimath/aimath_f32_default.c";
const FAST_EXP: &str = "= aimath_f32_default_expf_fast(x_data[i * multiplier + j] - max);";
const EXACT_EXP: &str = "= expf(x_data[i * multiplier + j] - max);";

/// Cortex-M4F with its single-precision FPU, hard-float calls (as `thumbv7em-none-eabihf`).
const ARCH: [&str; 4] = [
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfpu=fpv4-sp-d16",
    "-mfloat-abi=hard",
];

const QEMU: [&str; 14] = [
    "-machine",
    "mps2-an386",
    "-cpu",
    "cortex-m4",
    "-nographic",
    "-monitor",
    "none",
    "-serial",
    "none",
    "-semihosting-config",
    "enable=on,target=native",
    "-icount",
    "shift=0",
    "-kernel",
];

const TIMEOUT: Duration = Duration::from_secs(120);

/// Steps, rows and parameters each run reports.
const ROWS: usize = 120;
const PARAMS: usize = 67;

/// The checks' tolerance against AIfES: gcc contracts `a·b + c` into fused
/// multiply-adds and AIfES sums in its own order, so the two sides round differently.
/// Losses must agree to this relative difference, parameters to this absolute one.
const LOSS_TOL: f64 = 1e-5;
const PARAM_TOL: f64 = 1e-5;

/// The stackgrad steps (names printed by `src/main.rs`) and how the table names them.
const STEPS: [(&str, &str); 6] = [
    ("tape_l2", "tape, λ = 1e-4"),
    ("tape_l0", "tape, λ = 0"),
    ("tape_bare", "tape, graph without penalty"),
    ("compiled_l2", "compiled, λ = 1e-4"),
    ("compiled_l0", "compiled, λ = 0"),
    ("compiled_bare", "compiled, own loss, no penalty"),
];

/// A build of one side: its name, and what the table says about it.
struct Build {
    name: &'static str,
    what: &'static str,
    /// gcc's optimisation flags (compile and link), or the cargo profile.
    flags: &'static [&'static str],
}

const AIFES_BUILDS: [Build; 2] = [
    Build {
        name: "aifes_O2",
        what: "AIfES, gcc -O2",
        flags: &["-O2"],
    },
    Build {
        name: "aifes_O2_lto",
        what: "AIfES, gcc -O2 -flto",
        flags: &["-O2", "-flto"],
    },
];

const STACKGRAD_BUILDS: [Build; 2] = [
    Build {
        name: "release",
        what: "opt-level s + LTO",
        flags: &["--release"],
    },
    Build {
        name: "o2",
        what: "opt-level 2 + LTO",
        flags: &["--profile", "o2"],
    },
];

/// One run's output, read.
struct Run {
    text: String,
    /// Per step name: the 120 losses and the 67 parameters after them, as `f32` bits.
    numbers: BTreeMap<String, (Vec<u32>, Vec<u32>)>,
}

impl Run {
    fn metric(&self, name: &str) -> Result<u64> {
        metric(&self.text, name).ok_or_else(|| format!("no `# {name}` in the output"))
    }

    fn numbers(&self, step: &str) -> Result<&(Vec<u32>, Vec<u32>)> {
        self.numbers
            .get(step)
            .ok_or_else(|| format!("no numbers for {step}"))
    }
}

/// Reads `loss NAME I 0xBITS` and `param NAME K 0xBITS` lines; every step must report
/// all 120 losses and 67 parameters, in order.
fn read_run(text: String) -> Result<Run> {
    if !text.lines().any(|l| l == "ok") {
        return Err(format!("the run did not end with `ok`:\n{text}"));
    }
    let mut numbers: BTreeMap<String, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let [what @ ("loss" | "param"), name, i, bits] = w[..] else {
            continue;
        };
        let bits = bits
            .strip_prefix("0x")
            .and_then(|b| u32::from_str_radix(b, 16).ok())
            .ok_or_else(|| format!("bad line {line:?}"))?;
        let entry = numbers.entry(name.to_string()).or_default();
        let list = if what == "loss" {
            &mut entry.0
        } else {
            &mut entry.1
        };
        if i.parse() != Ok(list.len()) {
            return Err(format!("out of order: {line:?}"));
        }
        list.push(bits);
    }
    for (name, (losses, params)) in &numbers {
        if losses.len() != ROWS || params.len() != PARAMS {
            return Err(format!(
                "{name}: {} losses and {} parameters, not {ROWS} and {PARAMS}",
                losses.len(),
                params.len()
            ));
        }
    }
    Ok(Run { text, numbers })
}

/// The largest relative difference of the losses and absolute difference of the
/// parameters between two runs of the same steps.
fn differences(a: &(Vec<u32>, Vec<u32>), b: &(Vec<u32>, Vec<u32>)) -> (f64, f64) {
    let f = |x: &u32| f64::from(f32::from_bits(*x));
    let loss = a.0.iter().zip(&b.0).fold(0.0f64, |m, (x, y)| {
        let d = (f(x) - f(y)).abs() / f(y).abs().max(f64::MIN_POSITIVE);
        if d.is_nan() {
            f64::INFINITY
        } else {
            m.max(d)
        }
    });
    let param = a.1.iter().zip(&b.1).fold(0.0f64, |m, (x, y)| {
        let d = (f(x) - f(y)).abs();
        if d.is_nan() {
            f64::INFINITY
        } else {
            m.max(d)
        }
    });
    (loss, param)
}

/// Fails unless `a` and `b` agree within the tolerances; says how closely they do.
fn agree(what: &str, a: &(Vec<u32>, Vec<u32>), b: &(Vec<u32>, Vec<u32>)) -> Result<String> {
    if a == b {
        return Ok(format!("{what}: bit for bit"));
    }
    let (loss, param) = differences(a, b);
    let said = format!(
        "{what}: losses within {loss:.1e} (relative), parameters within {param:.1e} (absolute)"
    );
    if loss <= LOSS_TOL && param <= PARAM_TOL {
        Ok(said)
    } else {
        Err(format!(
            "{said}: more than the tolerance ({LOSS_TOL:.0e}, {PARAM_TOL:.0e})"
        ))
    }
}

/// Fails unless `a` and `b` are the same bits.
fn identical(what: &str, a: &(Vec<u32>, Vec<u32>), b: &(Vec<u32>, Vec<u32>)) -> Result<String> {
    if a == b {
        Ok(format!("{what}: bit for bit"))
    } else {
        let (loss, param) = differences(a, b);
        Err(format!(
            "{what}: should be bit for bit the same, differ by {loss:.1e} (losses, relative) \
             and {param:.1e} (parameters)"
        ))
    }
}

/// `data.h` for the C side: the Rust side's constants, the same decimal literals.
fn data_header(rust: &str) -> Result<String> {
    let mut h = String::from(
        "/* Written by `cargo xtask peers` from benches/peers/aifes-m4f/src/data.rs. */\n",
    );
    h.push_str(&format!("#define N_ROWS {ROWS}\n"));
    for (name, c_decl, len) in [
        ("X_ROWS", "X_ROWS[N_ROWS][4]", ROWS * 4),
        ("Y_ROWS", "Y_ROWS[N_ROWS][3]", ROWS * 3),
        ("W1_INIT", "W1_INIT[32]", 32),
        ("B1_INIT", "B1_INIT[8]", 8),
        ("W2_INIT", "W2_INIT[24]", 24),
        ("B2_INIT", "B2_INIT[3]", 3),
    ] {
        let start = rust
            .find(&format!("pub static {name}:"))
            .and_then(|at| rust[at..].find("= [").map(|eq| at + eq + 3))
            .ok_or_else(|| format!("data.rs: no `pub static {name}`"))?;
        let end = rust[start..]
            .find("];")
            .map(|e| start + e)
            .ok_or_else(|| format!("data.rs: {name} does not end"))?;
        let values: Vec<&str> = rust[start..end]
            .split(|c: char| c == ',' || c == '[' || c == ']' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        if values.len() != len || values.iter().any(|v| v.parse::<f32>().is_err()) {
            return Err(format!("data.rs: {name} is not {len} numbers"));
        }
        let list: Vec<String> = values.iter().map(|v| format!("{v}f")).collect();
        h.push_str(&format!(
            "static const float {c_decl} = {{{}}};\n",
            list.join(", ")
        ));
    }
    Ok(h)
}

fn run_command(cmd: &mut Command) -> Result {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// Unpacks AIfES at [`AIFES_COMMIT`] from the repository at `repo` (a clone or a bare
/// mirror) into `dir/AIfES`, with the exact softmax.
fn unpack_aifes(repo: &Path, dir: &Path) -> Result<PathBuf> {
    let tar = dir.join("aifes.tar");
    run_command(Command::new("git").arg("-C").arg(repo).args([
        "archive",
        "--prefix=AIfES/",
        "-o",
        &tar.to_string_lossy(),
        AIFES_COMMIT,
        "src",
        "library.properties",
    ]))?;
    let tree = dir.join("AIfES");
    let _ = fs::remove_dir_all(&tree);
    run_command(Command::new("tar").arg("xf").arg(&tar).arg("-C").arg(dir))?;
    let file = tree.join(SOFTMAX_FILE);
    let c = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    if c.matches(FAST_EXP).count() != 1 {
        return Err(format!(
            "{}: the softmax's call of expf_fast is not there once",
            file.display()
        ));
    }
    fs::write(&file, c.replace(FAST_EXP, EXACT_EXP)).map_err(|e| e.to_string())?;
    Ok(tree)
}

/// The C files AIfES's basic layers, losses, optimizers and algorithms need.
fn aifes_sources(src: &Path) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
        for e in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|x| x == "c") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(&src.join("basic/base"), &mut files)?;
    walk(&src.join("basic/default"), &mut files)?;
    files.sort();
    Ok(files)
}

/// Runs an ELF under QEMU and reads its output.
fn run_elf(elf: &Path, log: &Path) -> Result<Run> {
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(QEMU).arg(elf);
    let (code, text) = run_with_timeout(&mut cmd, TIMEOUT)?;
    fs::write(log, &text).map_err(|e| e.to_string())?;
    if code != Some(0) {
        return Err(format!(
            "{} under QEMU: {} (output in {})",
            elf.display(),
            code.map_or("timeout".into(), |c| format!("status {c}")),
            log.display()
        ));
    }
    read_run(text)
}

/// `cargo xtask peers --aifes PATH [--out DIR]`.
pub fn peers(args: &[String]) -> Result {
    let mut repo = None;
    let mut out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--aifes" => repo = Some(PathBuf::from(it.next().ok_or("--aifes needs a path")?)),
            "--out" => out = Some(PathBuf::from(it.next().ok_or("--out needs a path")?)),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let repo = repo.ok_or(USAGE)?;
    for tool in ["arm-none-eabi-gcc", "qemu-system-arm", "git", "tar"] {
        if !have(tool) {
            return Err(format!(
                "{tool} not found (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi \
                 qemu-system-arm git tar)"
            ));
        }
    }
    let bench = root().join("benches/peers/aifes-m4f");
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => std::env::current_dir().map_err(|e| e.to_string())?.join(d),
        None => bench.join("target"),
    };
    let out = out.unwrap_or_else(|| target_dir.join("peers"));
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    step(&format!(
        "AIfES {AIFES_COMMIT} from {}, exact softmax",
        repo.display()
    ));
    let aifes = unpack_aifes(&repo, &out)?;
    let rust_data = fs::read_to_string(bench.join("src/data.rs")).map_err(|e| e.to_string())?;
    fs::write(out.join("data.h"), data_header(&rust_data)?).map_err(|e| e.to_string())?;
    let sources = aifes_sources(&aifes.join("src"))?;

    let mut runs: Vec<(&Build, Run)> = Vec::new();
    for b in &AIFES_BUILDS {
        step(&format!("build and run {}", b.what));
        let elf = out.join(format!("{}.elf", b.name));
        let c = bench.join("c");
        let mut gcc = Command::new("arm-none-eabi-gcc");
        gcc.args(ARCH)
            .args(b.flags)
            .args(["-ffunction-sections", "-fdata-sections", "-w"])
            .arg(format!("-I{}", aifes.join("src").display()))
            .arg(format!("-I{}", out.display()))
            .args(&sources)
            .arg(c.join("main.c"))
            .arg(c.join("startup.c"))
            .args([
                "--specs=nano.specs",
                "--specs=rdimon.specs",
                "-nostartfiles",
            ])
            .arg("-T")
            .arg(c.join("link.ld"))
            .arg("-Wl,--gc-sections")
            .arg(format!(
                "-Wl,-Map={}",
                out.join(format!("{}.map", b.name)).display()
            ))
            .arg("-lm")
            .arg("-o")
            .arg(&elf);
        run_command(&mut gcc)?;
        runs.push((b, run_elf(&elf, &out.join(format!("{}.txt", b.name)))?));
    }
    for b in &STACKGRAD_BUILDS {
        step(&format!("build and run stackgrad, {}", b.what));
        let dir = target_dir.to_string_lossy();
        cargo(
            &bench,
            &[&["build", "-q", "--target-dir", &dir][..], b.flags].concat(),
        )?;
        let elf = target_dir
            .join("thumbv7em-none-eabihf")
            .join(b.name)
            .join("peers-aifes-m4f");
        runs.push((
            b,
            run_elf(&elf, &out.join(format!("stackgrad_{}.txt", b.name)))?,
        ));
    }

    step("the same numbers");
    let [(_, aifes_o2), (_, aifes_lto), (_, sg_s), (_, sg_o2)] = &runs[..] else {
        return Err("four runs expected".into());
    };
    let reference = aifes_o2.numbers("aifes")?;
    let mut said = vec![agree(
        "AIfES -O2 -flto against -O2",
        aifes_lto.numbers("aifes")?,
        reference,
    )?];
    for (profile, run) in [("s", sg_s), ("2", sg_o2)] {
        let n = |s| run.numbers(s);
        said.push(identical(
            &format!("opt {profile}: compiled against tape, λ = 1e-4"),
            n("compiled_l2")?,
            n("tape_l2")?,
        )?);
        for s in ["tape_bare", "compiled_l0"] {
            said.push(identical(
                &format!("opt {profile}: {s} against tape_l0"),
                n(s)?,
                n("tape_l0")?,
            )?);
        }
        for s in ["tape_l0", "compiled_bare"] {
            said.push(agree(
                &format!("opt {profile}: {s} against AIfES -O2"),
                n(s)?,
                reference,
            )?);
        }
    }
    for (s, _) in STEPS {
        said.push(identical(
            &format!("{s}: opt 2 against opt s"),
            sg_o2.numbers(s)?,
            sg_s.numbers(s)?,
        )?);
    }
    for s in &said {
        eprintln!("  {s}");
    }
    println!("{}", table(&runs)?);
    Ok(())
}

/// The README's table: instructions per step, ratios, RAM.
fn table(runs: &[(&Build, Run)]) -> Result<String> {
    let [(_, a_o2), (_, a_lto), ..] = runs else {
        return Err("no AIfES runs".into());
    };
    let (base_o2, base_lto) = (a_o2.metric("step_aifes")?, a_lto.metric("step_aifes")?);
    let mut t = String::from(
        "| step | build | instructions | ÷ AIfES -O2 | ÷ AIfES -O2 -flto | static RAM | stack | RAM |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut row = |step: &str, build: &str, n: u64, stat: u64, stack: u64| {
        t.push_str(&format!(
            "| {step} | {build} | {n} | {:.3} | {:.3} | {stat} | {stack} | {} |\n",
            n as f64 / base_o2 as f64,
            n as f64 / base_lto as f64,
            stat + stack
        ));
    };
    for (b, run) in runs {
        if let Ok(n) = run.metric("step_aifes") {
            let stat = ["ram_params", "ram_training", "ram_sgd", "ram_descriptors"]
                .iter()
                .map(|m| run.metric(m))
                .sum::<Result<u64>>()?;
            row(
                "AIfES 2.2",
                b.what,
                n,
                stat,
                run.metric("stack_step_aifes")?,
            );
        }
    }
    for (s, what) in STEPS {
        for (b, run) in runs.iter().skip(AIFES_BUILDS.len()) {
            let own = match s {
                _ if s.starts_with("tape") => "ram_tape",
                "compiled_bare" => "ram_bare",
                _ => "ram_buffers",
            };
            let stat = run.metric("ram_net")? + run.metric("ram_sgd")? + run.metric(own)?;
            row(
                what,
                b.what,
                run.metric(&format!("step_{s}"))?,
                stat,
                run.metric(&format!("stack_step_{s}"))?,
            );
        }
    }
    t.push_str("\nWhat λ = 0 costs (instructions per step):\n\n");
    for (b, run) in runs.iter().skip(AIFES_BUILDS.len()) {
        let m = |s: &str| run.metric(&format!("step_{s}")).map(|v| v as i64);
        t.push_str(&format!(
            "- {}: tape, λ = 0 − the same graph without the penalty: {}; compiled, \
             λ = 0 − the layers with a hand-written loss: {}; the penalty \
             (λ = 1e-4 − λ = 0): tape {}, compiled {}\n",
            b.what,
            m("tape_l0")? - m("tape_bare")?,
            m("compiled_l0")? - m("compiled_bare")?,
            m("tape_l2")? - m("tape_l0")?,
            m("compiled_l2")? - m("compiled_l0")?,
        ));
    }
    Ok(t)
}

const USAGE: &str = "usage: cargo xtask peers --aifes PATH/TO/AIfES_for_Arduino.git [--out DIR]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_has_every_constant_of_the_rust_data() {
        let rust = fs::read_to_string(root().join("benches/peers/aifes-m4f/src/data.rs"))
            .expect("data.rs");
        let h = data_header(&rust).expect("header");
        assert!(h.contains("static const float B2_INIT[3] = {"));
        assert_eq!(h.matches("static const float").count(), 6);
    }

    #[test]
    fn differences_are_relative_for_losses_and_absolute_for_parameters() {
        let a = (vec![2.0f32.to_bits()], vec![1.0f32.to_bits()]);
        let b = (vec![2.00002f32.to_bits()], vec![1.00002f32.to_bits()]);
        let (loss, param) = differences(&b, &a);
        assert!((loss - 1e-5).abs() < 1e-7 && (param - 2e-5).abs() < 1e-7);
        assert!(agree("x", &b, &a).is_err());
        assert!(identical("x", &a, &a).is_ok());
    }
}
