//! Host-side companions of [`stackgrad`]: numerical gradient checks with reports,
//! weight files (saved, loaded, or turned into Rust constants for a firmware), and large
//! tapes on the heap ([`boxed_tape`], which never builds the tape on the stack).
//!
//! This crate uses `std` and the heap; the device-side crate, `stackgrad`, uses neither.
//!
//! # Features
//!
//! With the default features (none): gradient checks, [`Weights`], [`formats`] for
//! `.safetensors` and `.npy`, and [`boxed_tape`]. Two features add what fewer users need,
//! with more crates to build:
//!
//! - `npz`: `formats::load_npz` and `formats::save_npz`, NumPy's `.npz` archives
//!   (through the `zip` crate, stored and deflated entries, in Rust only);
//! - `svg`: `dot_to_svg`, SVG pictures of a recorded graph (through `layout-rs`).
// `deny`, not `forbid`: `boxed_tape` (tape.rs) allocates a tape zeroed, in one
// commented `unsafe` block; it is the one `allow`.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod check;
pub mod formats;
pub mod model;
#[cfg(feature = "svg")]
mod picture;
mod tape;
mod weights;

pub use check::{
    check_gradient, check_gradient_with, relative_error, scaled_error, value_and_grad, CheckConfig,
    CheckGraph, CheckTape, GradCheck, CHECK_NODES, CHECK_SCALARS,
};
pub use model::{load_model, model_from_safetensors, model_to_safetensors, save_model, ModelError};
#[cfg(feature = "svg")]
pub use picture::{dot_to_svg, PictureError};
pub use tape::{boxed_tape, ZeroBytes};
pub use weights::{WeightError, Weights, MAX_FILE_BYTES};
