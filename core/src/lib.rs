#![no_std]
// `deny`, not `forbid`: simba's `SimdValue` declares two `unsafe fn`s that `forward::Dual`
// must implement (with bodies that do nothing unsafe); that impl is the one `allow`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
//! stackgrad
pub use nalgebra;
mod real;
pub use real::Real;
pub mod forward;
pub use forward::Dual;
