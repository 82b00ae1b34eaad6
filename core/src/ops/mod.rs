//! The operations on [`Var`](crate::Var), one file each: forward value, backward rule
//! (vector-Jacobian product), documentation and tests side by side.
//!
//! Each backward rule receives the node's upstream gradient `Ḡ = ∂loss/∂out` and *adds*
//! `Ḡ × local gradient` into each tracked input's gradient, so gradients sum where a
//! value fans out. Derivatives at kinks follow PyTorch; each file states its convention.

mod arith;
mod bias;
mod clamp;
mod component_div;
mod component_mul;
mod cross_entropy;
mod dot;
mod gather;
mod matmul;
mod minmax;
mod norm;
mod prelu;
mod reduce;
mod scalar;
mod scale;
mod select;
mod softmax;
mod stack;
mod transpose;
pub mod unary;

pub use unary::Unary;
