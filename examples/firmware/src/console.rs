//! Whole lines of output, for transports that send a message at a time.
//!
//! Semihosting writes one buffer per call (a `BKPT` each), and defmt sends one frame per
//! log call, which the host prints as a line of its own. A program writes in pieces
//! (`"epoch "`, `"5"`, `" loss: …\n"`), so a board collects them in [`Lines`] and hands
//! its [`Console`] one finished line at a time.

use core::fmt;

/// Where a board sends finished lines.
pub trait Console {
    /// Sends one line: `line` ends with `\n`, unless it is the start of a line longer
    /// than the buffer or what is left at [`Lines::flush`].
    fn write_line(&mut self, line: &[u8]);
}

/// A [`fmt::Write`] that buffers up to a newline, then sends the line to a [`Console`].
/// A line longer than `N` bytes is sent in pieces of `N`: harmless over semihosting
/// (the pieces join up on QEMU's output, so a small buffer saves stack), a line break
/// with defmt (size the buffer for the longest line).
pub struct Lines<C, const N: usize> {
    console: C,
    buf: [u8; N],
    len: usize,
}

impl<C: Console, const N: usize> Lines<C, N> {
    /// An empty buffer in front of `console`.
    pub const fn new(console: C) -> Self {
        Lines {
            console,
            buf: [0; N],
            len: 0,
        }
    }

    /// Sends what is buffered, if anything.
    pub fn flush(&mut self) {
        if let Some(line) = self.buf.get(..self.len) {
            if !line.is_empty() {
                self.console.write_line(line);
            }
        }
        self.len = 0;
    }
}

impl<C: Console, const N: usize> fmt::Write for Lines<C, N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len >= N {
                self.flush();
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
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

/// defmt's output (feature `defmt`): each line is one `defmt::println!` message, which
/// `probe-rs run` prints as one line on the host. The trailing `\n` is dropped (defmt
/// ends every message with one).
#[cfg(feature = "defmt")]
pub struct Defmt;

#[cfg(feature = "defmt")]
impl Console for Defmt {
    fn write_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        match core::str::from_utf8(line) {
            Ok(text) => defmt::println!("{=str}", text),
            Err(_) => defmt::println!("{=[u8]:a}", line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;
    use std::{string::String, vec::Vec};

    struct Collect(Vec<String>);
    impl Console for &mut Collect {
        fn write_line(&mut self, line: &[u8]) {
            self.0.push(String::from_utf8(line.to_vec()).unwrap());
        }
    }

    #[test]
    fn sends_whole_lines_and_splits_long_ones() {
        let mut got = Collect(Vec::new());
        let mut lines = Lines::<_, 16>::new(&mut got);
        write!(lines, "epoch {}", 5).unwrap();
        lines.write_str(" loss\nnext").unwrap();
        lines.flush();
        lines.write_str(&"x".repeat(17)).unwrap();
        lines.write_str("\n").unwrap();
        let _ = lines;
        assert_eq!(got.0.len(), 4);
        assert_eq!(got.0[0], "epoch 5 loss\n");
        assert_eq!(got.0[1], "next");
        assert_eq!(got.0[2].len(), 16);
        assert_eq!(got.0[3], "x\n");
    }
}
