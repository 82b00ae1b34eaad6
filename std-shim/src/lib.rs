//! Host-side companions of [`stackgrad`]: numerical gradient checks and reports.
//!
//! This crate uses `std` and the heap; the device-side crate, `stackgrad`, uses neither.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod check;

pub use check::{
    boxed_tape, check_gradient, check_gradient_with, relative_error, value_and_grad, CheckConfig,
    CheckGraph, GradCheck, CHECK_NODES, CHECK_SCALARS,
};
