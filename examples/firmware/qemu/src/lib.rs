//! stackgrad's firmware programs on three QEMU boards, and on the host for comparison.
//!
//! | board        | target                         | QEMU                                  | counter    |
//! |--------------|--------------------------------|---------------------------------------|------------|
//! | `mps2-an386` | `thumbv7em-none-eabihf`        | `qemu-system-arm -machine mps2-an386` | SysTick    |
//! | `microbit`   | `thumbv6m-none-eabi`           | `qemu-system-arm -machine microbit`   | SysTick    |
//! | `riscv-virt` | `riscv32imac-unknown-none-elf` | `qemu-system-riscv32 -machine virt`   | `minstret` |
//!
//! Each `src/bin/NAME.rs` is the runtime's entry point (`#[cortex_m_rt::entry]` or
//! `#[riscv_rt::entry]`) calling [`board::start`] with a program of
//! `stackgrad_firmware::programs`; on the host, an ordinary `main` calling
//! [`host::start`]. `cargo xtask firmware` compares the two outputs.
#![no_std]
#![deny(missing_docs)]

#[cfg(not(target_os = "none"))]
extern crate std;

pub use stackgrad_firmware::{programs, Io, Outcome};

#[cfg(target_os = "none")]
pub mod board;
#[cfg(not(target_os = "none"))]
pub mod host;
