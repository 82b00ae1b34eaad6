//! `selfcheck` (see `stackgrad_firmware::programs::selfcheck`) on the Pico 2.
#![no_std]
#![no_main]

#[rp235x_hal::entry]
fn main() -> ! {
    firmware_pico2::start(stackgrad_firmware::programs::selfcheck::run)
}
