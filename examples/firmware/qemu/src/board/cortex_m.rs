//! Cortex-M support shared by the Arm boards (cortex-m-rt): the SysTick instruction
//! counter, the stack's bounds, and the fault handlers.

use core::sync::atomic::{AtomicU32, Ordering};

use ::cortex_m::peripheral::{syst::SystClkSource, SYST};

extern "C" {
    static _stack_start: u32; // top of the stack (cortex-m-rt)
    #[link_name = "_stack_end"]
    static STACK_BOTTOM: u32; // end of .bss/.uninit (cortex-m-rt)
}

/// The top of the stack (the end of RAM).
pub fn stack_top() -> usize {
    // Only the address of the linker symbol is taken, never its value.
    core::ptr::addr_of!(_stack_start) as usize
}

/// The lowest address the stack may reach (the end of `.bss`).
pub fn stack_bottom() -> usize {
    core::ptr::addr_of!(STACK_BOTTOM) as usize
}

/// The stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register; no memory is touched.
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

/// Bumped by the counter's wrap-around interrupt.
static WRAPS: AtomicU32 = AtomicU32::new(0);

const RELOAD: u32 = 0x00FF_FFFF;

/// Starts SysTick on the processor clock, with its wrap interrupt.
pub fn init() {
    // SAFETY: single-threaded start-up; nothing else owns the core peripherals.
    let mut p = unsafe { ::cortex_m::Peripherals::steal() };
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(RELOAD);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
}

/// SysTick ticks since [`init`], extended past 24 bits by the wrap interrupt.
pub fn ticks() -> u64 {
    loop {
        let w1 = WRAPS.load(Ordering::Acquire);
        let current = SYST::get_current();
        let w2 = WRAPS.load(Ordering::Acquire);
        if w1 == w2 {
            let wrapped = u64::from(w1) * u64::from(RELOAD + 1);
            // The wrap interrupt fires as the counter reaches 0, one tick before it
            // reloads; 0 before the first load reads as no time at all.
            return if current == 0 {
                wrapped.saturating_sub(1)
            } else {
                wrapped + u64::from(RELOAD - current)
            };
        }
    }
}

/// Ticks per 2²⁰ instructions, from a loop of 2 × 2¹⁹ instructions.
pub fn calibrate() -> u64 {
    let n: u32 = 1 << 19;
    let t0 = ticks();
    // SAFETY: a register-only countdown loop (2 instructions per iteration).
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, #1",
            "bne 2b",
            n = inout(reg) n => _,
            options(nomem, nostack),
        );
    }
    let t1 = ticks();
    t1.saturating_sub(t0).max(1)
}

#[cortex_m_rt::exception]
fn SysTick() {
    // Single core, and this is the only writer: load + store is enough (and thumbv6m
    // has no atomic read-modify-write).
    WRAPS.store(
        WRAPS.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Release,
    );
}

#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    super::die("HardFault:", &[("pc", frame.pc()), ("lr", frame.lr())])
}

#[cortex_m_rt::exception]
unsafe fn DefaultHandler(irqn: i16) {
    super::die(
        "unexpected exception or interrupt:",
        &[("irqn", irqn as u32)],
    )
}
