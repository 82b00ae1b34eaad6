//! Reads an address that faults (on `microbit`, the first word past its 16 KiB of RAM):
//! the board must report the fault and leave QEMU with status 1, which `cargo xtask
//! firmware` expects. On the host it only prints and fails.
#![cfg_attr(target_os = "none", no_std, no_main)]

use firmware_qemu::{Io, Outcome};

#[cfg(target_os = "none")]
fn run(io: &mut dyn Io) -> Outcome {
    let _ = io.write_str("reading an address that faults\n");
    let address = firmware_qemu::board::FAULT_ADDRESS;
    // SAFETY: deliberately invalid: the bus faults and the fault handler exits QEMU.
    let v = unsafe { core::ptr::read_volatile(address as *const u32) };
    let _ = stackgrad_firmware::fmt::write_hex32(io, v);
    Err("read an address that should fault, and no fault came")
}

#[cfg(not(target_os = "none"))]
fn run(io: &mut dyn Io) -> Outcome {
    let _ = io.write_str("reading an address that faults\n");
    Err("no faulting address on the host")
}

#[cfg(target_os = "none")]
#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    firmware_qemu::board::start(run)
}

#[cfg(not(target_os = "none"))]
fn main() {
    firmware_qemu::host::start(run)
}
