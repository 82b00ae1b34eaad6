//! The Raspberry Pi Pico (RP2040: two Cortex-M0+ cores at 125 MHz, no FPU, 264 KiB
//! SRAM, 2 MiB flash) as the firmware programs see it: output as defmt messages over
//! RTT (read by `probe-rs run` through a debug probe on the SWD pins), and the RP2040's
//! 1 MHz timer as the counter. Core 0 runs the program; core 1 stays asleep.
//!
//! Each `src/bin/NAME.rs` is `#[rp2040_hal::entry] fn main() -> ! { start(run) }`:
//! the HAL's entry attribute is cortex-m-rt's, plus releasing the hardware spinlocks,
//! which a debugger's reset leaves as they were. Panics are printed by `panic-probe`.
//!
//! Without an FPU, `f32` arithmetic is done in software (the RP2040's ROM has fast
//! float routines, but Rust's soft-float calls do not use them): `train_fixed`, in
//! Q16.16 fixed point, is the program this chip is for.
#![no_std]

use defmt_rtt as _; // the RTT transport of defmt's messages
use panic_probe as _; // a panic prints its message over defmt and stops the probe run
use rp2040_hal::{self as hal, pac};

use stackgrad_firmware::console::{Defmt, Lines};
use stackgrad_firmware::{print_metric, report, Io, Outcome};

/// The second-stage bootloader for the Pico's W25Q080 flash: the boot ROM copies these
/// 256 bytes to SRAM and runs them (see `memory.x`).
#[link_section = ".boot2"]
#[used]
pub static BOOT2: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

/// The Pico's crystal.
const XOSC_HZ: u32 = 12_000_000;

/// The board as the programs see it.
pub struct Board {
    out: Lines<Defmt, 512>,
    timer: Option<hal::Timer>,
    /// System clock cycles per tick of the timer (1 µs).
    cycles_per_tick: u64,
}

impl core::fmt::Write for Board {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.out.write_str(s)
    }
}

impl Io for Board {
    /// Microseconds (the RP2040's 64-bit timer; the Cortex-M0+ has no cycle counter).
    fn counter(&mut self) -> Option<u64> {
        self.timer.as_ref().map(|t| t.get_counter().ticks())
    }

    /// Clock cycles in `counts` microseconds (to the nearest microsecond, so a figure
    /// is only as fine as the system clock's cycles per microsecond: 125).
    fn instructions(&self, counts: u64) -> u64 {
        counts.saturating_mul(self.cycles_per_tick)
    }
}

/// Starts the clocks (125 MHz from the crystal) and the timer, runs the program, prints
/// its verdict and stops: `probe-rs run` returns when the core halts on the breakpoint.
pub fn start(run: fn(&mut dyn Io) -> Outcome) -> ! {
    let (mut hz, mut timer) = (0, None);
    if let Some(mut p) = pac::Peripherals::take() {
        let mut watchdog = hal::Watchdog::new(p.WATCHDOG);
        if let Ok(clocks) = hal::clocks::init_clocks_and_plls(
            XOSC_HZ,
            p.XOSC,
            p.CLOCKS,
            p.PLL_SYS,
            p.PLL_USB,
            &mut p.RESETS,
            &mut watchdog,
        ) {
            hz = hal::Clock::freq(&clocks.system_clock).to_Hz();
            timer = Some(hal::Timer::new(p.TIMER, &mut p.RESETS, &clocks));
        }
    }
    let mut board = Board {
        out: Lines::new(Defmt),
        timer,
        cycles_per_tick: u64::from(hz / 1_000_000),
    };
    let outcome = run(&mut board);
    print_metric(&mut board, "cpu_hz", u64::from(hz));
    report(&mut board, outcome);
    board.out.flush();
    loop {
        cortex_m::asm::bkpt();
    }
}
