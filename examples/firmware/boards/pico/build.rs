//! Puts `memory.x` where the linker finds it (cortex-m-rt's `link.x` includes it), and
//! gives the programs' link its arguments: here, not as `rustflags` in
//! `.cargo/config.toml`, which go to every crate (a dependency built with other flags
//! cannot be shared with another project in one target directory, as `cargo xtask
//! boards` and `cargo xtask firmware` share theirs).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    for arg in ["--nmagic", "-Tlink.x", "-Tdefmt.x"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
