//! Forward-mode automatic differentiation with dual numbers.
//!
//! A [`Dual<T, N>`](Dual) carries a value and `N` tangents through any computation written
//! against [`Real`](crate::Real), nalgebra's algorithms included, and comes out with the
//! value and its `N` directional derivatives. No tape, no heap: the cost is `N + 1`
//! scalar operations per operation, so forward mode suits few inputs (Jacobians of small
//! maps, Hessians by nesting) and the reverse-mode tape suits many.
//!
//! - [`dual`]: the number type and its arithmetic (one chain rule).
//! - [`rules`]: the one table of derivative rules, with each kink's convention.
//! - [`scalar`]: `Dual` as a nalgebra scalar (`RealField` and the traits under it).
//!   (Not named `nalgebra`, which would shadow the crate for `use stackgrad::forward::*`.)
//! - [`drivers`]: [`derivative`], [`gradient`], [`jacobian`], [`hessian`],
//!   [`hessian_vector_product`].
//! - [`over_reverse`]: the reverse-mode [`Tape`](crate::Tape) over `Dual<T, 1>`: gradient
//!   and Hessian-vector product in one backward pass.
//!
//! # Where an elementary function is written
//!
//! Once, in the crate's table of elementary functions (`core/src/real/table.rs`): one row
//! gives its [`Real`](crate::Real) docs and libm names, its [`Dual`] docs and the nalgebra
//! traits that forward it, and macros generate the `f32`/`f64` implementations, the
//! inherent `Dual` method and its `Real`, `ComplexField` and `RealField` forwarding. A new
//! function takes that row, its rule in [`rules`] (value and local derivative), and its
//! tests: a line in the rules' own table and in `forward/tests/functions.rs` (a test
//! generated for each row fails until it is there). On micromath, the compiler then asks
//! for an `f32` function of that name in `core/src/real/micromath.rs`.
//!
//! ```
//! use stackgrad::nalgebra::{Matrix2, SVector};
//! use stackgrad::vector;
//! use stackgrad::{forward, Dual, Real};
//!
//! // One generic function serves every driver...
//! fn f<S: Real>(x: SVector<S, 2>) -> S {
//!     (x[0] * x[1]).sin() + x[0].exp()
//! }
//! let x = vector![0.5_f64, 2.0];
//! let (_, g) = forward::gradient(f, x);
//! let (_, _, h) = forward::hessian(f, x);
//! assert!((g[1] - 0.5 * 1f64.cos()).abs() < 1e-15);
//! assert!((h[(0, 1)] - h[(1, 0)]).abs() < 1e-12);
//!
//! // ...and nalgebra's algorithms differentiate: d(A⁻¹)/dt at A(t) = [[t, 1], [1, 2]].
//! let t = Dual::<f64, 1>::variable(3.0, 0);
//! let a = Matrix2::new(t, Dual::constant(1.0), Dual::constant(1.0), Dual::constant(2.0));
//! let inv = a.try_inverse().unwrap_or_else(Matrix2::zeros);
//! assert!((inv[(0, 0)].eps[0] - (-4.0 / 25.0)).abs() < 1e-15);
//! ```

pub mod drivers;
pub mod dual;
pub mod over_reverse;
pub mod rules;
pub mod scalar;

pub use drivers::{derivative, gradient, hessian, hessian_vector_product, jacobian};
pub use dual::Dual;

#[cfg(test)]
mod tests;
