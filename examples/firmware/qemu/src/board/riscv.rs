//! RISC-V support (riscv-rt): `minstret` as the instruction counter, the stack's bounds,
//! and the trap handlers.

extern "C" {
    static _stack_start: u32; // top of the stack (riscv-rt)
    #[link_name = "__eheap"]
    static STACK_BOTTOM: u32; // end of .bss and the (empty) heap (riscv-rt)
}

/// The top of the stack (the end of RAM).
pub fn stack_top() -> usize {
    // Only the address of the linker symbol is taken, never its value.
    core::ptr::addr_of!(_stack_start) as usize
}

/// The lowest address the stack may reach (the end of `.bss` and the empty heap).
pub fn stack_bottom() -> usize {
    core::ptr::addr_of!(STACK_BOTTOM) as usize
}

/// The stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register; no memory is touched.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// Nothing to start: `minstret` always counts.
pub fn init() {}

/// `minstret`: instructions retired (exact under QEMU's icount).
pub fn ticks() -> u64 {
    ::riscv::register::minstret::read64()
}

/// `minstret` counts instructions: 2²⁰ per 2²⁰.
pub fn calibrate() -> u64 {
    1 << 20
}

#[export_name = "ExceptionHandler"]
fn exception_handler(_frame: &riscv_rt::TrapFrame) -> ! {
    super::die(
        "exception:",
        &[
            ("mcause", ::riscv::register::mcause::read().bits() as u32),
            ("mepc", ::riscv::register::mepc::read() as u32),
            ("mtval", ::riscv::register::mtval::read() as u32),
        ],
    )
}

#[export_name = "DefaultHandler"]
fn default_handler() -> ! {
    super::die(
        "unexpected interrupt:",
        &[("mcause", ::riscv::register::mcause::read().bits() as u32)],
    )
}
