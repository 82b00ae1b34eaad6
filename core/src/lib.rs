#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! stackgrad
pub use nalgebra;
mod real;
pub use real::Real;
