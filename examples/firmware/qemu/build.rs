//! Picks the QEMU board of each target: its `memory.x`, `cfg(board = "...")` for
//! `src/board/`, and the linker scripts.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!(
        "cargo::rustc-check-cfg=cfg(board, values(\"mps2-an386\", \"microbit\", \"riscv-virt\"))"
    );
    let target = env::var("TARGET").unwrap_or_default();
    let board = match target.as_str() {
        "thumbv7em-none-eabihf" => "mps2-an386",
        "thumbv6m-none-eabi" => "microbit",
        "riscv32imac-unknown-none-elf" => "riscv-virt",
        _ => return, // the host: no board, no linker script
    };
    println!("cargo:rustc-cfg=board=\"{board}\"");
    let src = format!("memory/{board}.x");
    println!("cargo:rerun-if-changed={src}");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::copy(&src, out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    // The programs' linker scripts: here, not as `rustflags` in `.cargo/config.toml`,
    // which go to every crate (a dependency built with other flags cannot be shared with
    // the real boards' builds, which `cargo xtask boards` puts in the same directory).
    if target.starts_with("riscv32") {
        println!("cargo:rustc-link-arg-bins=-Tmemory.x");
    }
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
