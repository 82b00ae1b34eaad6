//! The recorder: one module with walls. Files in one-way dependency order (each uses
//! only those above it; see ARCHITECTURE.md):
//!
//! - [`node`]: the node format, [`Op`], the backward context [`Backward`];
//! - `record`: the interface variables record through;
//! - `var`: [`Var`] and [`VarId`];
//! - `arena`: [`Tape`], which owns all of its own bookkeeping behind private fields;
//! - [`dot`]: pictures of a recorded graph (what `graph` writes them with);
//! - `graph`: [`Graph`], recording and the reverse sweep;
//! - `grads`: [`Grads`] and [`Var::backward`].

mod arena;
pub mod dot;
mod grads;
mod graph;
mod node;
mod record;
mod var;

pub use arena::{Tape, Usage};
pub use grads::Grads;
pub use graph::{Graph, ReplayKey};
pub(crate) use node::op;
pub use node::{Backward, BackwardFn, ForwardFn, Op};
pub use var::{Var, VarId};
