//! BBC micro:bit v1 (nRF51822, Cortex-M0, 16 KiB RAM, 256 KiB flash), `thumbv6m-none-eabi`,
//! `qemu-system-arm -machine microbit`; `memory/microbit.x`.

pub use super::cortex_m as arch;

/// The board's name in tables.
pub const NAME: &str = "microbit";

/// The first word past the 16 KiB of RAM: the case that matters, a program too big for
/// the chip. A bus fault, which the M0 escalates to HardFault.
pub const FAULT_ADDRESS: usize = 0x2000_4000;
