//! Host-side companions of [`stackgrad`]: numerical gradient checks with reports, and
//! weight files (saved, loaded, or turned into Rust constants for a firmware).
//!
//! This crate uses `std` and the heap; the device-side crate, `stackgrad`, uses neither.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod check;
pub mod formats;
mod picture;
mod weights;

pub use check::{
    boxed_tape, check_gradient, check_gradient_with, relative_error, scaled_error, value_and_grad,
    CheckConfig, CheckGraph, GradCheck, CHECK_NODES, CHECK_SCALARS,
};
pub use picture::{dot_to_svg, PictureError};
pub use weights::{WeightError, Weights, MAX_FILE_BYTES};
