//! `selfcheck` in Q16.16 fixed point (see
//! `stackgrad_firmware::programs::selfcheck::run_fixed`) on a QEMU board, or on the host.
#![cfg_attr(target_os = "none", no_std, no_main)]

use firmware_qemu::programs::selfcheck::run_fixed;

#[cfg(target_os = "none")]
#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    firmware_qemu::board::start(run_fixed)
}

#[cfg(not(target_os = "none"))]
fn main() {
    firmware_qemu::host::start(run_fixed)
}
