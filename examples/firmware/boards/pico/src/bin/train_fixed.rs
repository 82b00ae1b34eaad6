//! `train_fixed` (see `stackgrad_firmware::programs::train::run_fixed`) on the Pico.
#![no_std]
#![no_main]

#[rp2040_hal::entry]
fn main() -> ! {
    firmware_pico::start(stackgrad_firmware::programs::train::run_fixed)
}
