//! Building blocks for training: layers, initializers, losses, and a seeded random
//! generator, all `no_std` and allocation-free.
//!
//! - Layers own their parameters as nalgebra matrices: [`Linear`], [`Embedding`],
//!   [`PRelu`]. `bind(&graph)` registers them on a graph (no copy); `params_mut()` hands
//!   them to an [`Optimizer`](crate::optim::Optimizer) in the order their gradients lie
//!   on the tape.
//! - [`Init`]: Xavier/Glorot and He initializers driven by [`Rng`] (xoshiro256**), the
//!   same weights on the host and on a chip for the same seed.
//! - [`loss`]: mean squared error, softmax and binary cross-entropy from logits, the
//!   max-margin loss, the L2 penalty.
//! - [`Mlp`]: a two-layer perceptron with its training step and exact tape size.
//!
//! # Tape memory, known at compile time
//!
//! Each layer and loss states what it takes on a tape (see their `# Tape memory`
//! sections; the rules are those of [`Tape`](crate::Tape)): a parameter takes its size
//! in scalars (its gradient), an operation its output size for the value plus as much
//! again when it depends on a parameter, and every leaf and operation one node. A model
//! adds these up into associated consts, such as [`Mlp::step_scalars`] and
//! [`Mlp::STEP_NODES`], and sizes its tape with them exactly.

mod embedding;
mod init;
mod linear;
pub mod loss;
mod mlp;
mod prelu;
mod rng;

pub use embedding::Embedding;
pub use init::Init;
pub use linear::{Linear, LinearVars};
pub use mlp::Mlp;
pub use prelu::PRelu;
pub use rng::{splitmix64, Rng};
