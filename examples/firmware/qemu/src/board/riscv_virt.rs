//! QEMU `virt` (RV32IMAC), `riscv32imac-unknown-none-elf`,
//! `qemu-system-riscv32 -machine virt -bios none`; `memory/riscv-virt.x`.

pub use super::riscv as arch;

/// The board's name in tables.
pub const NAME: &str = "riscv-virt";

/// Address 0: unmapped on `virt`, a load access fault.
pub const FAULT_ADDRESS: usize = 0;
