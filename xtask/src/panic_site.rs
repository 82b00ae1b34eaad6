//! `cargo xtask panic-site`: which functions of a firmware can reach its panic handler.
//!
//! A firmware built with a panic handler that refers to an undefined symbol (the
//! templates' `panic-never` feature) fails to link if a panic is reachable, but the
//! linker names only the handler (`rust_begin_unwind`). This task builds the firmware
//! *without* that feature, linked with `--emit-relocs` so that the ELF file keeps every
//! relocation: each one is a call or a reference from one function (or constant) to
//! another, so together they are the program's reference graph, read here with the
//! `object` crate, on any architecture, without a disassembler. Walking it backwards from
//! the panic handler and `core::panicking::*` gives the functions outside `core` that
//! lead to a panic, with one shortest chain each, the panic locations (file:line:column)
//! they refer to, and how the program reaches them from its entry point.
//!
//! The graph is conservative: a reference is not always a call (a function whose
//! address is taken may never be called), and calls through function pointers show up
//! where the pointer is taken, not where it is called.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use object::{
    Architecture, Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget,
    SectionKind, SymbolKind,
};

use crate::{root, Result};

const USAGE: &str = "\
usage: cargo xtask panic-site [--manifest-path PATH] [--bin NAME] [--target TRIPLE]
                              [--profile PROFILE] [--features LIST] [--no-default-features]
       cargo xtask panic-site --elf FILE

Builds a firmware (by default templates/firmware/Cargo.toml, release profile) with
`cargo rustc ... -- -C link-arg=--emit-relocs`, without its panic-never feature, and
names the functions outside `core` from which its panic handler is reachable: for each,
the chain of calls or references down to the handler, the panic locations it refers to,
and a chain from the program's entry point to it. Fails if there is any.

--elf FILE reads a file already linked with --emit-relocs instead of building one.";

/// `cargo xtask panic-site`.
pub fn panic_site(args: &[String]) -> Result {
    let mut manifest = root().join("templates/firmware/Cargo.toml");
    let mut elf = None;
    let mut cargo_args: Vec<String> = Vec::new();
    let mut profile = "release".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--manifest-path" => manifest = PathBuf::from(value()?),
            "--elf" => elf = Some(PathBuf::from(value()?)),
            "--profile" => profile = value()?,
            "--bin" | "--target" | "--features" => {
                let v = value()?;
                cargo_args.extend([a.clone(), v]);
            }
            "--no-default-features" => cargo_args.push(a.clone()),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    let elf = match elf {
        Some(elf) => elf,
        None => build(&manifest, &profile, &cargo_args)?,
    };
    let data = std::fs::read(&elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let graph = Graph::read(&data).map_err(|e| format!("{}: {e}", elf.display()))?;
    let found = graph.report(&elf);
    if found == 0 {
        Ok(())
    } else {
        Err(format!(
            "a panic is reachable from {found} function(s) outside core (above)"
        ))
    }
}

/// Builds the binary with every relocation kept; returns the path of the ELF file.
fn build(manifest: &Path, profile: &str, extra: &[String]) -> Result<PathBuf> {
    let dir = manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    // In the crate's directory, so that its `.cargo/config.toml` (target, linker script)
    // applies; the extra flag goes to the final link only.
    cmd.current_dir(dir)
        .args([
            "rustc",
            "--profile",
            profile,
            "--message-format=json-render-diagnostics",
        ])
        .args(extra)
        .args(["--", "-C", "link-arg=--emit-relocs"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let extra_args: String = extra.iter().map(|a| format!(" {a}")).collect();
    eprintln!(
        "== cargo rustc --profile {profile}{extra_args} -- -C link-arg=--emit-relocs (in {})",
        dir.display()
    );
    let out = cmd.output().map_err(|e| format!("cargo rustc: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo rustc failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let executables: Vec<String> = stdout.lines().filter_map(executable).collect();
    match executables.as_slice() {
        [one] => Ok(PathBuf::from(one)),
        [] => Err("cargo built no executable".into()),
        many => Err(format!(
            "cargo built {} executables; choose one with --bin",
            many.len()
        )),
    }
}

/// The `"executable"` path of one line of cargo's JSON messages, if it names one.
fn executable(line: &str) -> Option<String> {
    const KEY: &str = "\"executable\":\"";
    let rest = &line[line.find(KEY)? + KEY.len()..];
    let mut path = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(path),
            '\\' => match chars.next()? {
                'n' => path.push('\n'),
                't' => path.push('\t'),
                other => path.push(other),
            },
            c => path.push(c),
        }
    }
    None
}

/// One function or constant of the program.
struct Node {
    address: u64,
    size: u64,
    /// Demangled, without the hash.
    name: String,
    code: bool,
}

/// How one node refers to another.
#[derive(Clone, Copy, PartialEq)]
enum Edge {
    Call,
    Reference,
}

/// The program's reference graph.
struct Graph {
    nodes: Vec<Node>,
    /// `out[i]`: (target, how), one per distinct target.
    out: Vec<Vec<(usize, Edge)>>,
    /// `into[i]`: the nodes referring to node `i`.
    into: Vec<Vec<usize>>,
    /// The node holding the entry point.
    entry: Option<usize>,
    /// Addresses of the data each node refers to (for panic locations).
    data_refs: Vec<Vec<u64>>,
    /// Loaded sections: (address, bytes).
    sections: Vec<(u64, Vec<u8>)>,
    wide: bool,
    relocations: usize,
}

impl Graph {
    fn read(data: &[u8]) -> Result<Graph> {
        let file = object::File::parse(data).map_err(|e| e.to_string())?;
        let arch = file.architecture();
        let thumb = arch == Architecture::Arm;
        let mut nodes: Vec<Node> = file
            .symbols()
            .filter(|s| matches!(s.kind(), SymbolKind::Text | SymbolKind::Data))
            .filter(|s| s.section_index().is_some() && s.size() > 0)
            .filter_map(|s| {
                let code = s.kind() == SymbolKind::Text;
                // Thumb functions have the low bit of their address set.
                let address = if thumb && code {
                    s.address() & !1
                } else {
                    s.address()
                };
                let name = s.name().ok()?;
                Some(Node {
                    address,
                    size: s.size(),
                    name: format!("{:#}", rustc_demangle::demangle(name)),
                    code,
                })
            })
            .collect();
        nodes.sort_by_key(|n| (n.address, !n.code));
        nodes.dedup_by_key(|n| n.address);
        let find = |at: u64| -> Option<usize> {
            let i = nodes.partition_point(|n| n.address <= at).checked_sub(1)?;
            (at < nodes[i].address + nodes[i].size).then_some(i)
        };
        let mut out: Vec<Vec<(usize, Edge)>> = vec![Vec::new(); nodes.len()];
        let mut data_refs: Vec<Vec<u64>> = vec![Vec::new(); nodes.len()];
        let mut relocations = 0;
        let mut sections = Vec::new();
        for section in file.sections() {
            if section.address() != 0 || section.kind() == SectionKind::Text {
                if let Ok(bytes) = section.data() {
                    if !bytes.is_empty() {
                        sections.push((section.address(), bytes.to_vec()));
                    }
                }
            }
            let bytes = section.data().unwrap_or_default();
            for (offset, reloc) in section.relocations() {
                relocations += 1;
                // In a linked file the offset is an address; in an object file, an
                // offset into the section.
                let at = if offset >= section.address() {
                    offset
                } else {
                    section.address() + offset
                };
                let Some(from) = find(at) else { continue };
                let RelocationTarget::Symbol(index) = reloc.target() else {
                    continue;
                };
                let Ok(symbol) = file.symbol_by_index(index) else {
                    continue;
                };
                let target = if symbol.kind() == SymbolKind::Section {
                    // A place inside a section: the addend says where. An implicit
                    // addend is readable only in a plain 32-bit word (ARM's REL).
                    if !reloc.has_implicit_addend() {
                        symbol.address().wrapping_add_signed(reloc.addend())
                    } else if reloc.size() == 32 && is_arm_abs32(arch, reloc.flags()) {
                        let o = (at - section.address()) as usize;
                        match bytes.get(o..o + 4) {
                            Some(w) => u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                            None => continue,
                        }
                    } else {
                        continue;
                    }
                } else {
                    let address = if thumb && symbol.kind() == SymbolKind::Text {
                        symbol.address() & !1
                    } else {
                        symbol.address()
                    };
                    if reloc.has_implicit_addend() {
                        address
                    } else {
                        address.wrapping_add_signed(reloc.addend())
                    }
                };
                // A function's references to constants: perhaps panic locations, which
                // may have no symbol of their own.
                if nodes[from].code && find(target).is_none_or(|t| !nodes[t].code) {
                    data_refs[from].push(target);
                }
                let Some(to) = find(target) else { continue };
                if to == from {
                    continue;
                }
                let how = if is_call(arch, reloc.flags()) {
                    Edge::Call
                } else {
                    Edge::Reference
                };
                match out[from].iter_mut().find(|(t, _)| *t == to) {
                    Some(e) if how == Edge::Call => e.1 = Edge::Call,
                    Some(_) => {}
                    None => out[from].push((to, how)),
                }
            }
        }
        if relocations == 0 {
            return Err("no relocations: link with -C link-arg=--emit-relocs".into());
        }
        let mut into = vec![Vec::new(); nodes.len()];
        for (from, targets) in out.iter().enumerate() {
            for &(to, _) in targets {
                into[to].push(from);
            }
        }
        let entry = find(if thumb {
            file.entry() & !1
        } else {
            file.entry()
        });
        Ok(Graph {
            nodes,
            out,
            into,
            entry,
            data_refs,
            sections,
            wide: file.is_64(),
            relocations,
        })
    }

    /// Prints what leads to a panic; returns how many functions outside `core` do.
    fn report(&self, elf: &Path) -> usize {
        let panics: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| is_panic_entry(&self.nodes[i].name))
            .collect();
        println!(
            "{}: {} functions and constants, {} relocations",
            elf.display(),
            self.nodes.len(),
            self.relocations
        );
        if panics.is_empty() {
            println!("neither a panic handler nor a core::panicking function is in the binary: no panic is reachable");
            return 0;
        }
        // Backwards from every panic entry point, through core only: `toward[i]` is the
        // next node on a shortest chain from node `i` to a panic.
        let mut toward: Vec<Option<usize>> = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        let mut queue: VecDeque<usize> = panics.iter().copied().collect();
        for &p in &panics {
            seen[p] = true;
        }
        let mut frontier = Vec::new();
        while let Some(i) = queue.pop_front() {
            for &from in &self.into[i] {
                if seen[from] {
                    continue;
                }
                seen[from] = true;
                toward[from] = Some(i);
                let node = &self.nodes[from];
                if node.code && !in_core(&node.name) {
                    frontier.push(from);
                } else {
                    queue.push_back(from);
                }
            }
        }
        let reached = self.reached_from_roots();
        if frontier.is_empty() {
            println!(
                "no function outside core refers to {} (directly or through core)",
                self.nodes[panics[0]].name
            );
            return 0;
        }
        println!(
            "\na panic is reachable from {} function(s) outside core (shortest chains; \
             `calls` is a call, `refers to` takes an address: a vtable, a function \
             pointer, formatting arguments):",
            frontier.len()
        );
        for (k, &f) in frontier.iter().enumerate() {
            println!("\n{}. {}", k + 1, self.nodes[f].name);
            // Every way out of `f` toward a panic through core, shortest chain each.
            let branches = self.out[f].iter().filter(|&&(to, _)| {
                panics.contains(&to) || (toward[to].is_some() && !frontier.contains(&to))
            });
            for (b, &(to, how)) in branches.enumerate() {
                if b > 0 {
                    println!("     --");
                }
                let (mut i, mut how) = (to, Some(how));
                loop {
                    let verb = match how {
                        Some(Edge::Call) => "calls",
                        _ => "refers to",
                    };
                    println!("     {verb} {}", self.nodes[i].name);
                    let Some(next) = toward[i] else { break };
                    how = self.edge(i, next);
                    i = next;
                }
            }
            let locations = self.locations(f);
            if !locations.is_empty() {
                println!("   panic locations it refers to:");
                for l in locations {
                    println!("     {l}");
                }
            }
            match self.chain_from_root(&reached, f) {
                Some(chain) if chain.len() > 1 => {
                    let names: Vec<&str> =
                        chain.iter().map(|&i| self.nodes[i].name.as_str()).collect();
                    println!("   reached by: {}", names.join(" → "));
                }
                _ => {}
            }
        }
        println!();
        frontier.len()
    }

    fn edge(&self, from: usize, to: usize) -> Option<Edge> {
        self.out[from]
            .iter()
            .find_map(|&(t, how)| (t == to).then_some(how))
    }

    /// Forward from the entry point and from every node nothing refers to (the vector
    /// table, interrupt handlers, ...): `from[i]` is the node before `i` on a shortest
    /// chain, `Some(i)` itself for a root.
    fn reached_from_roots(&self) -> Vec<Option<usize>> {
        let mut from: Vec<Option<usize>> = vec![None; self.nodes.len()];
        let mut queue = VecDeque::new();
        let roots = self
            .entry
            .into_iter()
            .chain((0..self.nodes.len()).filter(|&i| self.into[i].is_empty()));
        for r in roots {
            if from[r].is_none() {
                from[r] = Some(r);
                queue.push_back(r);
            }
        }
        while let Some(i) = queue.pop_front() {
            for &(to, _) in &self.out[i] {
                if from[to].is_none() {
                    from[to] = Some(i);
                    queue.push_back(to);
                }
            }
        }
        from
    }

    fn chain_from_root(&self, from: &[Option<usize>], to: usize) -> Option<Vec<usize>> {
        let mut chain = vec![to];
        let mut i = to;
        while let Some(prev) = from[i] {
            if prev == i {
                chain.reverse();
                return Some(chain);
            }
            if chain.len() > self.nodes.len() {
                break;
            }
            chain.push(prev);
            i = prev;
        }
        None
    }

    /// The `core::panic::Location`s node `i` refers to, as `file:line:column`: a
    /// constant of a pointer, a length, a line and a column whose pointer is to a path
    /// ending in `.rs`.
    fn locations(&self, i: usize) -> Vec<String> {
        let word = if self.wide { 8 } else { 4 };
        let mut found: Vec<String> = Vec::new();
        for &at in &self.data_refs[i] {
            let Some(b) = self.bytes(at, 2 * word + 8) else {
                continue;
            };
            let uint = |b: &[u8]| b.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x));
            let (ptr, len) = (uint(&b[..word]), uint(&b[word..2 * word]));
            let (line, col) = (uint(&b[2 * word..2 * word + 4]), uint(&b[2 * word + 4..]));
            if len == 0 || len > 4096 || line == 0 || col == 0 {
                continue;
            }
            let Some(file) = self.bytes(ptr, len as usize) else {
                continue;
            };
            let Ok(file) = std::str::from_utf8(file) else {
                continue;
            };
            if file.ends_with(".rs") {
                let l = format!("{file}:{line}:{col}");
                if !found.contains(&l) {
                    found.push(l);
                }
            }
        }
        found
    }

    fn bytes(&self, at: u64, len: usize) -> Option<&[u8]> {
        self.sections.iter().find_map(|(start, bytes)| {
            let o = usize::try_from(at.checked_sub(*start)?).ok()?;
            bytes.get(o..o.checked_add(len)?)
        })
    }
}

/// The panic handler or one of `core`'s panic functions.
fn is_panic_entry(name: &str) -> bool {
    name == "rust_begin_unwind"
        || name.ends_with("::rust_begin_unwind")
        || name.starts_with("core::panicking::")
}

/// Whether a (demangled) function belongs to the standard library or the compiler's
/// support crates: its path, or for `<T as Trait>::f` with `T` a primitive, the trait's.
fn in_core(name: &str) -> bool {
    const STD: [&str; 6] = [
        "core",
        "alloc",
        "std",
        "compiler_builtins",
        "__rustc",
        "panic_abort",
    ];
    let crate_of = |path: &str| -> String {
        path.trim_start_matches(['<', '&', '*', '['])
            .trim_start_matches("mut ")
            .trim_start_matches("const ")
            .split([':', '<', ' ', ';', ']', '>'])
            .next()
            .unwrap_or("")
            .to_string()
    };
    let first = crate_of(name);
    if STD.contains(&first.as_str()) {
        return true;
    }
    // `<f32 as core::fmt::Display>::fmt`: a primitive's impl lives with its trait.
    let primitive = first.is_empty()
        || matches!(
            first.as_str(),
            "bool"
                | "char"
                | "str"
                | "f32"
                | "f64"
                | "i8"
                | "i16"
                | "i32"
                | "i64"
                | "i128"
                | "isize"
                | "u8"
                | "u16"
                | "u32"
                | "u64"
                | "u128"
                | "usize"
                | "T"
        );
    primitive
        && name
            .split_once(" as ")
            .is_some_and(|(_, t)| STD.contains(&crate_of(t).as_str()))
}

/// Whether a relocation is a call or a tail call.
fn is_call(arch: Architecture, flags: RelocationFlags) -> bool {
    let RelocationFlags::Elf { r_type } = flags else {
        return false;
    };
    match arch {
        // R_ARM_THM_CALL, R_ARM_CALL, R_ARM_JUMP24, R_ARM_THM_JUMP24, R_ARM_THM_JUMP19.
        Architecture::Arm => matches!(r_type, 10 | 28 | 29 | 30 | 51),
        // R_RISCV_JAL, R_RISCV_CALL, R_RISCV_CALL_PLT.
        Architecture::Riscv32 | Architecture::Riscv64 => matches!(r_type, 17..=19),
        // R_AARCH64_JUMP26, R_AARCH64_CALL26.
        Architecture::Aarch64 => matches!(r_type, 282 | 283),
        // R_X86_64_PLT32.
        Architecture::X86_64 => r_type == 4,
        _ => false,
    }
}

/// R_ARM_ABS32: a plain 32-bit word holding the address.
fn is_arm_abs32(arch: Architecture, flags: RelocationFlags) -> bool {
    arch == Architecture::Arm && matches!(flags, RelocationFlags::Elf { r_type: 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_standard_library_from_the_rest() {
        assert!(in_core("core::panicking::panic_fmt"));
        assert!(in_core("<f32 as core::fmt::Display>::fmt"));
        assert!(in_core(
            "core::fmt::float::<impl core::fmt::Display for f32>::fmt"
        ));
        assert!(in_core("compiler_builtins::float::add::__addsf3"));
        assert!(!in_core("stackgrad::tape::arena::Tape<T,_,_>::append"));
        assert!(!in_core("<my_app::Buf as core::fmt::Write>::write_str"));
        assert!(!in_core("my_app::__cortex_m_rt_main"));
        assert!(is_panic_entry("__rustc::rust_begin_unwind"));
        assert!(is_panic_entry("core::panicking::panic_bounds_check"));
    }

    #[test]
    fn reads_the_executable_from_cargo_messages() {
        let line = r#"{"reason":"compiler-artifact","executable":"/t/a\"b/fw","fresh":true}"#;
        assert_eq!(executable(line).as_deref(), Some("/t/a\"b/fw"));
        assert_eq!(executable(r#"{"executable":null}"#), None);
    }
}
