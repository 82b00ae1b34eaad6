//! The operations on [`Var`](crate::Var), one file each: forward value, backward rule
//! (vector-Jacobian product), documentation and tests side by side.
//!
//! Each backward rule receives the node's upstream gradient `Ḡ = ∂loss/∂out` and *adds*
//! `Ḡ × local gradient` into each tracked input's gradient, so gradients sum where a
//! value fans out. Derivatives at kinks follow PyTorch; each file states its convention.
//!
//! # Scalars
//!
//! `v * k`, `v / k`, `v + k` and `v - k` take a constant `k` of the tape's scalar type
//! `T` on the right, for every `T` (`f32`, `f64`, [`Dual`](crate::Dual)); the orphan rule
//! allows `impl<T: Real> Mul<T> for Var<'_, T, R, C>` because `Var` comes first. A
//! scalar on the left (`2.0 * v`) would need an impl on `T` itself, which the orphan rule
//! rejects for a generic `T`, so it exists for `f32` and `f64` only. The named methods
//! are [`Var::scale`](crate::Var::scale) and [`Var::add_scalar`](crate::Var::add_scalar)
//! (nalgebra's names). The scalar gets no gradient: to learn one, make it a `1×1`
//! parameter.

mod arith;
pub(crate) mod bias;
mod clamp;
mod component_div;
mod component_mul;
pub(crate) mod cross_entropy;
mod dot;
mod gather;
mod log_sum_exp;
pub(crate) mod matmul;
mod minmax;
pub(crate) mod norm;
pub(crate) mod prelu;
mod reduce;
mod scalar;
mod scale;
mod select;
mod softmax;
mod stack;
mod transpose;
pub mod unary;

pub use crate::tape::{Backward, BackwardFn, Op};
pub use unary::Unary;
