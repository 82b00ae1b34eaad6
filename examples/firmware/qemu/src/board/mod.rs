//! The bare-metal side, one module per board: [`mps2_an386`], [`microbit`],
//! [`riscv_virt`], each naming its architecture's support ([`cortex_m`] or [`riscv`]:
//! counter, fault handlers, stack pointer) and its constants. `build.rs` sets
//! `cfg(board = "...")` from the target; what is shared is here: output over
//! semihosting, stack painting, the panic handler, and [`start`].
//!
//! Under `-icount shift=0` QEMU advances virtual time by 1 ns per instruction, so the
//! SysTick count (clocked from virtual time) is proportional to instructions executed.
//! At start the ratio is calibrated on a loop of known length, and counts are reported
//! in instructions. On RISC-V, QEMU's `minstret` under icount is the instruction count
//! itself.
//!
//! Stack: before the program, every word from the end of `.bss` up to just below the
//! current stack pointer is painted with [`PAINT`]; afterwards, the lowest word that no
//! longer holds it marks the peak, reported as `# stack BYTES` (from the top of RAM, so
//! it includes the runtime's own frames). Everything in `static`s (the `train` tape,
//! model and optimizer) is in `.bss`, checked by the linker against `memory.x`.

use stackgrad_firmware::console::{Console, Lines};
use stackgrad_firmware::{fmt, print_metric, report, Io, Outcome};

#[cfg(target_arch = "arm")]
pub mod cortex_m;
#[cfg(target_arch = "riscv32")]
pub mod riscv;

#[cfg(board = "microbit")]
pub mod microbit;
#[cfg(board = "mps2-an386")]
pub mod mps2_an386;
#[cfg(board = "riscv-virt")]
pub mod riscv_virt;

#[cfg(board = "microbit")]
pub use microbit as this;
#[cfg(board = "mps2-an386")]
pub use mps2_an386 as this;
#[cfg(board = "riscv-virt")]
pub use riscv_virt as this;

use this::arch;
pub use this::{FAULT_ADDRESS, NAME};

/// Bytes of output per semihosting call (longer lines join up on QEMU's output).
pub const LINE: usize = 64;

/// The word painted over the free stack before a program runs.
pub const PAINT: u32 = 0xC0DE_5AFE;

/// Paints the free stack below the caller's frame. A leaf with no frame of its own
/// below the stack pointer: it writes only below `sp − 16`, which no live frame uses.
#[inline(never)]
fn paint_stack() {
    let end = (arch::stack_pointer() - 16) & !3;
    let mut p = arch::stack_bottom();
    while p < end {
        // SAFETY: [stack_bottom, sp − 16) is inside the stack region (linker symbols)
        // and below every live frame, so no Rust object lives there; aligned to 4.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack used at the deepest point since [`paint_stack`].
fn stack_peak() -> usize {
    let top = arch::stack_top();
    let mut p = arch::stack_bottom();
    while p < top {
        // SAFETY: inside the stack region, aligned, read only.
        if unsafe { core::ptr::read_volatile(p as *const u32) } != PAINT {
            break;
        }
        p += 4;
    }
    top - p
}

/// QEMU's standard output, over semihosting.
pub struct Semihosting;

impl Console for Semihosting {
    fn write_line(&mut self, line: &[u8]) {
        if let Ok(mut out) = semihosting::io::stdout() {
            let _ = semihosting::io::Write::write_all(&mut out, line);
        }
    }
}

/// A QEMU board as the programs see it: semihosting output, one line at a time, and
/// the instruction counter.
pub struct Board {
    out: Lines<Semihosting, LINE>,
    /// Counter ticks per 2²⁰ instructions (Cortex-M SysTick calibration).
    ticks_per_m: u64,
}

impl Board {
    fn new(ticks_per_m: u64) -> Self {
        Board {
            out: Lines::new(Semihosting),
            ticks_per_m,
        }
    }
}

impl core::fmt::Write for Board {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.out.write_str(s)
    }
}

impl Io for Board {
    fn counter(&mut self) -> Option<u64> {
        Some(arch::ticks())
    }

    fn instructions(&self, ticks: u64) -> u64 {
        fmt::div_u64(ticks << 20, self.ticks_per_m)
    }
}

/// Runs a program: calibrates the counter, paints the stack, runs, reports the stack
/// peak and the verdict, and leaves QEMU with status 0 (ok) or 1 (failure).
pub fn start(run: fn(&mut dyn Io) -> Outcome) -> ! {
    arch::init();
    let ticks_per_m = arch::calibrate();
    let mut board = Board::new(ticks_per_m);
    paint_stack();
    let outcome = run(&mut board);
    let peak = stack_peak();
    print_metric(&mut board, "stack", peak as u64);
    print_metric(
        &mut board,
        "stack_region",
        (arch::stack_top() - arch::stack_bottom()) as u64,
    );
    print_metric(&mut board, "ticks_per_2^20_instructions", ticks_per_m);
    let code = report(&mut board, outcome);
    board.out.flush();
    semihosting::process::exit(code)
}

/// Reports a fatal condition (`what`, then `name=value` pairs in hexadecimal) and
/// leaves QEMU with status 1. Uses no `core::fmt` machinery, to stay small.
fn die(what: &str, values: &[(&str, u32)]) -> ! {
    use core::fmt::Write;
    let mut board = Board::new(1 << 20);
    let _ = board.write_str(what);
    for &(name, v) in values {
        let _ = board.write_str(" ");
        let _ = board.write_str(name);
        let _ = board.write_str("=");
        let _ = fmt::write_hex32(&mut board, v);
    }
    let _ = board.write_str("\n");
    board.out.flush();
    semihosting::process::exit(1)
}

/// In a debug build: reports where it panicked (the location only: formatting the
/// message would link all of `core::fmt`) and leaves QEMU with status 101.
#[cfg(debug_assertions)]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write;
    let mut board = Board::new(1 << 20);
    let _ = board.write_str("PANIC at ");
    if let Some(at) = info.location() {
        let _ = board.write_str(at.file());
        let _ = board.write_str(":");
        let _ = fmt::write_u64(&mut board, u64::from(at.line()));
    }
    let _ = board.write_str("\n");
    board.out.flush();
    semihosting::process::exit(101)
}

/// In a release build, every program links with a panic handler that calls a symbol
/// defined nowhere: any panic path that survives optimisation fails the link, so a
/// release binary that exists cannot panic.
#[cfg(not(debug_assertions))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "Rust" {
        fn __stackgrad_firmware_a_panic_is_reachable() -> !;
    }
    // SAFETY: never defined; reaching the link with this call is the error we want.
    unsafe { __stackgrad_firmware_a_panic_is_reachable() }
}
