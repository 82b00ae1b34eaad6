//! Training steps: the layer above [`nn`](crate::nn) (models, losses) and
//! [`optim`](crate::optim) (update rules), which depend on neither this module nor each
//! other's training code.
//!
//! A classification step is `cross_entropy(M(X), Y) + λ/2·Σ‖W‖²`, then one optimizer
//! step of every parameter with its own gradient, for any model `M` that maps `IN×B`
//! inputs to `K×B` logits. It runs three ways, with the same numbers to the last bit:
//!
//! - [`train_classifier`]: recorded on a tape every step (any model, any graph);
//! - [`train_classifier_replayed`]: recorded once, then replayed
//!   ([`Tape::graph_or_replay`](crate::Tape::graph_or_replay)): the same tape, without
//!   recording again;
//! - [`train_classifier_compiled`]: no tape, the model's compiled backward pass
//!   ([`compiled::Backprop`](crate::compiled::Backprop)), for tuples of the layers that
//!   implement it; the fastest on small graphs.
//!
//! [`ClassifierStep::USAGE`] sizes the tape of the first two, computed by the compiler.

mod classifier;
mod compiled;
#[cfg(test)]
mod replay_tests;

pub use classifier::{
    classifier_loss, train_classifier, train_classifier_replayed, ClassifierStep,
};
pub use compiled::{train_classifier_compiled, ClassifierBuffers};
