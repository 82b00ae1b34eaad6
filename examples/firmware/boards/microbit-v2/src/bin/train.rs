//! `train` (see `stackgrad_firmware::programs::train`) on the micro:bit v2.
#![no_std]
#![no_main]

#[cortex_m_rt::entry]
fn main() -> ! {
    firmware_microbit_v2::start(stackgrad_firmware::programs::train::run)
}
