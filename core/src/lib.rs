#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc = include_str!("../../README.md")]

pub use nalgebra;

mod error;
mod graph;
pub mod nn;
mod node;
pub mod ops;
pub mod optim;
mod real;
mod tape;
mod var;

#[cfg(test)]
mod testing;

pub use error::{Error, Resource};
pub use graph::{Grads, Graph};
pub use real::{One, Real, Zero};
pub use tape::{Tape, Usage};
pub use var::{Var, VarId};
