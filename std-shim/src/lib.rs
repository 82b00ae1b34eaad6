//! Host-side companions of [`stackgrad`]: numerical gradient checks with reports, and
//! weight files (saved, loaded, or turned into Rust constants for a firmware).
//!
//! This crate uses `std` and the heap; the device-side crate, `stackgrad`, uses neither.
//!
//! # Features
//!
//! With the default features (none): gradient checks, [`Weights`], and [`formats`] for
//! `.safetensors` and `.npy`. Two features add what fewer users need, with more crates to
//! build:
//!
//! - `npz`: `formats::load_npz` and `formats::save_npz`, NumPy's `.npz` archives
//!   (through the `zip` crate, stored and deflated entries, in Rust only);
//! - `svg`: `dot_to_svg`, SVG pictures of a recorded graph (through `layout-rs`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod check;
pub mod formats;
pub mod model;
#[cfg(feature = "svg")]
mod picture;
mod weights;

pub use check::{
    boxed_tape, check_gradient, check_gradient_with, relative_error, scaled_error, value_and_grad,
    CheckConfig, CheckGraph, GradCheck, CHECK_NODES, CHECK_SCALARS,
};
pub use model::{load_model, model_from_safetensors, model_to_safetensors, save_model, ModelError};
#[cfg(feature = "svg")]
pub use picture::{dot_to_svg, PictureError};
pub use weights::{WeightError, Weights, MAX_FILE_BYTES};
