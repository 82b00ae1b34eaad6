//! The Raspberry Pi Pico 2 (RP2350: two Cortex-M33 cores at 150 MHz, 512 KiB SRAM,
//! 4 MiB flash) as the firmware programs see it: output as defmt messages over RTT
//! (read by `probe-rs run` through a debug probe on the SWD pins), and the DWT cycle
//! counter. Core 0 runs the program; core 1 stays asleep.
//!
//! Each `src/bin/NAME.rs` is `#[rp235x_hal::entry] fn main() -> ! { start(run) }`:
//! the HAL's entry attribute is cortex-m-rt's, plus what the RP2350 needs before `main`
//! (release the hardware spinlocks, which a debugger's reset leaves as they were, and
//! enable the coprocessors). Panics are printed by `panic-probe`.
#![no_std]

use defmt_rtt as _; // the RTT transport of defmt's messages
use panic_probe as _; // a panic prints its message over defmt and stops the probe run
use rp235x_hal::{self as hal, pac};

use stackgrad_firmware::console::{Defmt, Lines};
use stackgrad_firmware::{print_metric, report, Io, Outcome};

/// Tells the boot ROM that this is a secure Arm executable (see `memory.x`).
#[link_section = ".start_block"]
#[used]
pub static IMAGE_DEF: hal::block::ImageDef = hal::block::ImageDef::secure_exe();

/// The Pico 2's crystal.
const XOSC_HZ: u32 = 12_000_000;

/// The board as the programs see it.
pub struct Board {
    out: Lines<Defmt, 512>,
}

impl core::fmt::Write for Board {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.out.write_str(s)
    }
}

impl Io for Board {
    /// Clock cycles (DWT `CYCCNT`, 32 bits: it wraps after 28 s at 150 MHz).
    fn counter(&mut self) -> Option<u64> {
        Some(u64::from(cortex_m::peripheral::DWT::cycle_count()))
    }
}

/// Starts the clocks (150 MHz from the crystal) and the cycle counter, runs the program,
/// prints its verdict and stops: `probe-rs run` returns when the core halts on the
/// breakpoint.
pub fn start(run: fn(&mut dyn Io) -> Outcome) -> ! {
    let mut hz = 0;
    if let (Some(mut p), Some(mut core)) = (pac::Peripherals::take(), cortex_m::Peripherals::take())
    {
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
        }
        core.DCB.enable_trace();
        core.DWT.enable_cycle_counter();
    }
    let mut board = Board {
        out: Lines::new(Defmt),
    };
    let outcome = run(&mut board);
    print_metric(&mut board, "cpu_hz", u64::from(hz));
    report(&mut board, outcome);
    board.out.flush();
    loop {
        cortex_m::asm::bkpt();
    }
}
