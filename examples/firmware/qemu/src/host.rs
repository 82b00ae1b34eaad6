//! The host side: the same programs with `std`, for comparison with the boards.

use stackgrad_firmware::{report, Io, Outcome};
use std::io::Write as _;

/// Standard output as an [`Io`] that counts no instructions.
pub struct HostIo;

impl core::fmt::Write for HostIo {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        std::io::stdout()
            .write_all(s.as_bytes())
            .map_err(|_| core::fmt::Error)
    }
}

impl Io for HostIo {
    fn counter(&mut self) -> Option<u64> {
        None
    }
}

/// Runs a program on the host and exits with its status (0 or 1), like a board does.
pub fn start(run: fn(&mut dyn Io) -> Outcome) {
    let mut io = HostIo;
    let outcome = run(&mut io);
    let code = report(&mut io, outcome);
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
