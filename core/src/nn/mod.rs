//! Building blocks for training: layers, initializers, losses, and a seeded random
//! generator, all `no_std` and allocation-free.
//!
//! - Models as types ([`Module`], [`Layer`]): a layer owns its parameters as nalgebra
//!   matrices and states, as associated constants the compiler adds up, its parameter
//!   count and what binding, a forward pass and its L2 penalty record on a tape. Layers
//!   compose as tuples, `(Linear<f32, 64, 32>, Relu, Linear<f32, 32, 10>)`; an optimizer
//!   steps a model with each parameter's own gradient, found by identity.
//! - Layers: [`Linear`], [`Embedding`], [`PRelu`], and the activations [`Relu`],
//!   [`Tanh`], [`Sigmoid`] and [`Softplus`] as parameter-free layers (the element-wise
//!   functions of [`ops::unary`](crate::ops::unary), re-exported here: `nn::Tanh` and
//!   `ops::unary::Tanh` are the same type).
//! - [`Init`]: Xavier/Glorot and He initializers driven by [`Rng`] (xoshiro256**), the
//!   same weights on the host and on a chip for the same seed.
//! - [`loss`]: mean squared error, softmax and binary cross-entropy from logits, the
//!   max-margin loss, the L2 penalty.
//! - [`Mlp`], a ready-made model, and [`predict`], the class a model picks. Training
//!   steps live above this module and [`optim`](crate::optim), in
//!   [`train`](crate::train).

mod activation;
pub(crate) mod backprop;
#[cfg(test)]
mod backprop_tests;
mod embedding;
mod init;
mod linear;
pub mod loss;
mod mlp;
mod module;
mod prelu;
mod rng;
pub(crate) mod tuple;
pub(crate) mod zeroed;

// The activation layers: element-wise functions of `ops::unary` that are also
// parameter-free layers, shown here beside the other layers.
#[doc(inline)]
pub use crate::ops::unary::{Relu, Sigmoid, Softplus, Tanh};
pub use embedding::Embedding;
pub use init::Init;
pub use linear::{Linear, LinearIds, LinearVars};
pub use mlp::{mlp, predict, Mlp};
pub use module::{
    add_penalties, add_penalties_value, for_each_param, penalty_sum, Grad, Layer, Mat, Module,
    Shape, Visitor,
};
pub use prelu::PRelu;
pub use rng::{splitmix64, Rng};
// The compiled path's traits, implemented in each layer's file beside `Module` and
// `Layer`; public as `stackgrad::compiled::…`.
pub(crate) use backprop::{Backprop, ParamGrads};
pub(crate) use zeroed::Zeroed;
