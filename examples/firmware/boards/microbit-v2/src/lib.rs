//! The BBC micro:bit v2 (nRF52833: Cortex-M4F at 64 MHz, 512 KiB flash, 128 KiB RAM) as
//! the firmware programs see it: output as defmt messages over RTT (read by `probe-rs
//! run` through the on-board debug probe), and the DWT cycle counter.
//!
//! Each `src/bin/NAME.rs` is `#[cortex_m_rt::entry] fn main() -> ! { start(run) }`.
//! The board's HAL is `nrf52833-hal`; panics are printed by `panic-probe`.
#![no_std]

use defmt_rtt as _; // the RTT transport of defmt's messages
use nrf52833_hal::{clocks::Clocks, pac};
use panic_probe as _; // a panic prints its message over defmt and stops the probe run

use stackgrad_firmware::console::{Defmt, Lines};
use stackgrad_firmware::{print_metric, report, Io, Outcome};

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
    /// Clock cycles (DWT `CYCCNT`, 32 bits: it wraps after 67 s at 64 MHz).
    fn counter(&mut self) -> Option<u64> {
        Some(u64::from(cortex_m::peripheral::DWT::cycle_count()))
    }
}

/// Starts the 64 MHz crystal and the cycle counter, runs the program, prints its verdict
/// and stops: `probe-rs run` returns when the core halts on the breakpoint.
pub fn start(run: fn(&mut dyn Io) -> Outcome) -> ! {
    if let (Some(p), Some(mut core)) = (pac::Peripherals::take(), cortex_m::Peripherals::take()) {
        let _clocks = Clocks::new(p.CLOCK).enable_ext_hfosc();
        core.DCB.enable_trace();
        core.DWT.enable_cycle_counter();
    }
    let mut board = Board {
        out: Lines::new(Defmt),
    };
    let outcome = run(&mut board);
    print_metric(&mut board, "cpu_hz", 64_000_000);
    report(&mut board, outcome);
    board.out.flush();
    loop {
        cortex_m::asm::bkpt();
    }
}
