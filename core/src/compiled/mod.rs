//! Compiled gradients: a model whose graph is fixed at compile time runs its backward
//! pass as code, with no tape.
//!
//! A layer states its forward pass with a cache and its backward pass as a function
//! ([`Backprop`]); a tuple of layers chains them; the compiler monomorphises and inlines
//! the whole pass for the model's type. There are no nodes, no function pointers, no
//! capacity checks and nothing to size: the memory is `size_of` the model's cache
//! ([`Backprop::Cache`]) and gradients ([`ParamGrads::Grads`]), no heap, no panic path.
//!
//! The passes call the tape's kernels ([`ops`](crate::ops)) in the tape's order, so
//! values and gradients are bit for bit the tape's, NaN and kink conventions included.
//! The tape stays for graphs with control flow; the same model type runs on both, and
//! training switches path in one line ([`train_classifier_compiled`](crate::train::train_classifier_compiled) for
//! [`train_classifier`](crate::train::train_classifier)). An optimizer steps a model with
//! compiled gradients through `(&mut model, &grads)`, a [`Pairs`](crate::optim::Pairs).
//!
//! This module only names the path's traits: a layer implements them in its own file of
//! [`nn`](crate::nn), beside [`Module`](crate::nn::Module) and
//! [`Layer`](crate::nn::Layer), and its [`Layer::eval`](crate::nn::Layer::eval) and
//! [`Backprop::forward_cached`] call one kernel. Implemented for
//! [`Linear`](crate::nn::Linear), [`PRelu`](crate::nn::PRelu), the activations
//! [`Relu`](crate::ops::unary::Relu), [`Tanh`](crate::ops::unary::Tanh),
//! [`Sigmoid`](crate::ops::unary::Sigmoid), [`Softplus`](crate::ops::unary::Softplus),
//! and tuples of up to 8 layers.

pub use crate::nn::backprop::{Backprop, ParamGrads};
pub use crate::nn::tuple::Stage;
pub use crate::nn::zeroed::Zeroed;
