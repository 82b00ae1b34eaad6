//! The programs, as library functions so host tests can run them too. Each
//! `src/bin/NAME.rs` is `entry!(programs::NAME::run)`.

pub mod gradients;
pub mod handwritten;
pub mod selfcheck;
pub mod train;
