#![no_std]
// `deny`, not `forbid`: simba's `SimdValue` declares two `unsafe fn`s that `forward::Dual`
// must implement (with bodies that do nothing unsafe); that impl is the one `allow`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![doc = include_str!("../README.md")]

pub use nalgebra;
pub mod check;
pub mod checkpoint;
pub mod compiled;
mod error;
pub mod flush;
pub mod forward;
#[doc(hidden)]
pub mod macros;
pub mod nn;
pub mod ops;
pub mod optim;
mod real;
mod tape;
pub mod train;

#[cfg(test)]
mod testing;

pub use error::Error;
pub use forward::Dual;
#[cfg(feature = "fixed")]
pub use real::Q16;
pub use real::{One, Real, Zero};
pub use tape::dot;
pub use tape::{Grads, Graph, ReplayKey};
pub use tape::{Tape, Usage};
pub use tape::{Var, VarId};
