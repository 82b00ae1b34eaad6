#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! stackgrad
pub use nalgebra;
pub mod check;
mod real;
pub use real::Real;
