//! The programs, as library functions so host tests can run them too: each is
//! `NAME::run(&mut dyn Io) -> Outcome`. A board crate's `src/bin/NAME.rs` calls it from
//! the runtime's entry point: `qemu/src/bin/NAME.rs` is `#[cortex_m_rt::entry]` (or
//! `#[riscv_rt::entry]`) `fn main() -> ! { firmware_qemu::board::start(run) }`, and a
//! plain `main` calling `firmware_qemu::host::start(run)` on the host;
//! `boards/microbit-v2`, `boards/pico` and `boards/pico2` do the same with their own
//! `start`.
//! `handwritten` has no binary of its own: its printing and seed serve `gradients`, and
//! the host tests run it.

pub mod gradients;
pub mod handwritten;
pub mod selfcheck;
pub mod train;
