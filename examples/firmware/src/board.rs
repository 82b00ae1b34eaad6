//! The bare-metal side: output, exit, instruction counting, stack painting, faults.
//!
//! | board        | target                         | QEMU                                    | counter |
//! |--------------|--------------------------------|-----------------------------------------|---------|
//! | `mps2-an386` | `thumbv7em-none-eabihf`        | `qemu-system-arm -machine mps2-an386`   | SysTick |
//! | `microbit`   | `thumbv6m-none-eabi`           | `qemu-system-arm -machine microbit`     | SysTick |
//! | `riscv-virt` | `riscv32imac-unknown-none-elf` | `qemu-system-riscv32 -machine virt`     | `minstret` |
//!
//! Under `-icount shift=0` QEMU advances virtual time by 1 ns per instruction, so the
//! SysTick count (clocked from virtual time) is proportional to instructions executed.
//! At start the ratio is calibrated on a loop of known length, and counts are reported
//! in instructions. On RISC-V, QEMU's `minstret` under icount is the instruction count
//! itself.
//!
//! Stack: before `run`, every word from the bottom of the stack region up to just
//! below the current stack pointer is painted with [`PAINT`]; after `run`, the lowest
//! word that no longer holds it marks the peak, reported as `# stack BYTES` (bytes from
//! the top of the stack, so it includes the runtime's own frames).

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::{Io, Outcome};

/// The word painted over the free stack before a program runs.
pub const PAINT: u32 = 0xC0DE_5AFE;

#[cfg(target_arch = "arm")]
extern "C" {
    static _stack_start: u32; // top of the stack (cortex-m-rt)
    #[link_name = "_stack_end"]
    static STACK_BOTTOM: u32; // end of .bss/.uninit (cortex-m-rt)
}

#[cfg(target_arch = "riscv32")]
extern "C" {
    static _stack_start: u32; // top of the stack (riscv-rt)
    #[link_name = "__eheap"]
    static STACK_BOTTOM: u32; // end of .bss and the (empty) heap (riscv-rt)
}

fn stack_top() -> usize {
    // Only the address of the linker symbol is taken, never its value.
    core::ptr::addr_of!(_stack_start) as usize
}

fn stack_bottom() -> usize {
    core::ptr::addr_of!(STACK_BOTTOM) as usize
}

#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register; no memory is touched.
    unsafe {
        #[cfg(target_arch = "arm")]
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Paints the free stack below the caller's frame. A leaf with no frame of its own
/// below the stack pointer: it writes only below `sp − 16`, which no live frame uses.
#[inline(never)]
fn paint_stack() {
    let end = (stack_pointer() - 16) & !3;
    let mut p = stack_bottom();
    while p < end {
        // SAFETY: [stack_bottom, sp − 16) is inside the stack region (linker symbols)
        // and below every live frame, so no Rust object lives there; aligned to 4.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack used at the deepest point since [`paint_stack`].
fn stack_peak() -> usize {
    let top = stack_top();
    let mut p = stack_bottom();
    while p < top {
        // SAFETY: inside the stack region, aligned, read only.
        if unsafe { core::ptr::read_volatile(p as *const u32) } != PAINT {
            break;
        }
        p += 4;
    }
    top - p
}

/// Output over semihosting, one line at a time.
pub struct Board {
    line: [u8; 256],
    len: usize,
    /// Counter ticks per 2²⁰ instructions (Cortex-M SysTick calibration).
    ticks_per_m: u64,
}

impl Board {
    fn flush(&mut self) {
        if self.len > 0 {
            if let (Ok(mut out), Some(line)) =
                (semihosting::io::stdout(), self.line.get(..self.len))
            {
                let _ = semihosting::io::Write::write_all(&mut out, line);
            }
            self.len = 0;
        }
    }
}

impl Write for Board {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.len >= self.line.len() {
                self.flush();
            }
            if let Some(slot) = self.line.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
            if b == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

impl Io for Board {
    fn counter(&mut self) -> Option<u64> {
        Some(counter::ticks())
    }

    fn instructions(&self, ticks: u64) -> u64 {
        crate::fmt::div_u64(ticks << 20, self.ticks_per_m)
    }
}

/// Runs a program: calibrates the counter, paints the stack, runs, reports the stack
/// peak and the verdict, and leaves QEMU with status 0 (ok) or 1 (failure).
pub fn start(run: fn(&mut dyn Io) -> Outcome) -> ! {
    counter::init();
    let ticks_per_m = counter::calibrate();
    let mut board = Board {
        line: [0; 256],
        len: 0,
        ticks_per_m,
    };
    paint_stack();
    let outcome = run(&mut board);
    let peak = stack_peak();
    crate::print_metric(&mut board, "stack", peak as u64);
    crate::print_metric(
        &mut board,
        "stack_region",
        (stack_top() - stack_bottom()) as u64,
    );
    crate::print_metric(&mut board, "ticks_per_2^20_instructions", ticks_per_m);
    let code = crate::report(&mut board, outcome);
    board.flush();
    semihosting::process::exit(code)
}

/// Reports a fatal condition (`what`, then `name=value` pairs in hexadecimal) and
/// leaves QEMU with status 1. Uses no `core::fmt` machinery, to stay small.
fn die(what: &str, values: &[(&str, u32)]) -> ! {
    let mut board = Board {
        line: [0; 256],
        len: 0,
        ticks_per_m: 1 << 20,
    };
    let _ = board.write_str(what);
    for &(name, v) in values {
        let _ = board.write_str(" ");
        let _ = board.write_str(name);
        let _ = board.write_str("=");
        let _ = crate::fmt::write_hex32(&mut board, v);
    }
    let _ = board.write_str("\n");
    board.flush();
    semihosting::process::exit(1)
}

#[cfg(not(feature = "panic-never"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // The location only: formatting the message would link all of `core::fmt`.
    let mut board = Board {
        line: [0; 256],
        len: 0,
        ticks_per_m: 1 << 20,
    };
    let _ = board.write_str("PANIC at ");
    if let Some(at) = info.location() {
        let _ = board.write_str(at.file());
        let _ = board.write_str(":");
        let _ = crate::fmt::write_u64(&mut board, u64::from(at.line()));
    }
    let _ = board.write_str("\n");
    board.flush();
    semihosting::process::exit(101)
}

/// With `panic-never`, any panic path that survives optimisation refers to this
/// undefined symbol, and the link fails: the build proves the program cannot panic.
#[cfg(feature = "panic-never")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "Rust" {
        fn __stackgrad_firmware_a_panic_is_reachable() -> !;
    }
    // SAFETY: never defined; reaching the link with this call is the error we want.
    unsafe { __stackgrad_firmware_a_panic_is_reachable() }
}

/// Bumped by the counter's wrap-around interrupt (Cortex-M).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[cfg(target_arch = "arm")]
mod counter {
    use super::{Ordering, WRAPS};
    use cortex_m::peripheral::{syst::SystClkSource, SYST};

    const RELOAD: u32 = 0x00FF_FFFF;

    pub fn init() {
        // SAFETY: single-threaded start-up; nothing else owns the core peripherals.
        let mut p = unsafe { cortex_m::Peripherals::steal() };
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
                // The wrap interrupt fires as the counter reaches 0, one tick before
                // it reloads; 0 before the first load reads as no time at all.
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
        // Single core, and this is the only writer: load + store is enough (and
        // thumbv6m has no atomic read-modify-write).
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
}

#[cfg(target_arch = "riscv32")]
mod counter {
    use super::{Ordering, WRAPS};

    pub fn init() {
        WRAPS.store(0, Ordering::Relaxed);
    }

    /// `minstret`: instructions retired (exact under QEMU's icount).
    pub fn ticks() -> u64 {
        riscv::register::minstret::read64()
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
                ("mcause", riscv::register::mcause::read().bits() as u32),
                ("mepc", riscv::register::mepc::read() as u32),
                ("mtval", riscv::register::mtval::read() as u32),
            ],
        )
    }

    #[export_name = "DefaultHandler"]
    fn default_handler() -> ! {
        super::die(
            "unexpected interrupt:",
            &[("mcause", riscv::register::mcause::read().bits() as u32)],
        )
    }
}

/// An address whose read faults on this board. On `microbit` it is the first word past
/// the 16 KiB of RAM (the case that matters: a program too big for the chip). The other
/// boards have more memory behind the end of our RAM region, so an unmapped address is used.
pub fn fault_address() -> usize {
    match env!("FIRMWARE_BOARD") {
        "microbit" => stack_top(),
        "mps2-an386" => 0xF000_0000,
        _ => 0x0000_0000,
    }
}
