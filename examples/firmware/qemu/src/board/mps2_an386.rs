//! Arm MPS2 with the AN386 image (Cortex-M4F), `thumbv7em-none-eabihf`,
//! `qemu-system-arm -machine mps2-an386 -cpu cortex-m4`; `memory/mps2-an386.x`.

pub use super::cortex_m as arch;

/// The board's name in tables.
pub const NAME: &str = "mps2-an386";

/// An unmapped address: a read is a bus fault, escalated to HardFault (QEMU models
/// more memory behind the end of our RAM region, so the end of RAM does not fault).
pub const FAULT_ADDRESS: usize = 0xF000_0000;
