//! Forward-over-reverse: a gradient and a Hessian-vector product in one backward pass.
//!
//! Record the computation on a [`Tape`] whose scalar is `Dual<T, 1>`, with every
//! parameter's tangent set to its part of a direction `v` ([`lift`]). The forward pass then
//! carries the directional derivative of every value along `v`, and the one backward pass
//! computes, for every parameter, the gradient (real parts) and the derivative of the
//! gradient along `v`, which is the Hessian-vector product `H v` (tangents); [`split`]
//! separates them. This costs about twice a plain backward pass, whatever the number of
//! parameters, where a full Hessian would cost a pass per parameter.
//!
//! [`gradient_and_hvp`] does it all for one vector parameter. For a model with several
//! parameter matrices, use [`lift`] and [`split`] around an ordinary recording:
//!
//! ```
//! use stackgrad::forward::over_reverse::{lift, split};
//! use stackgrad::{matrix, vector};
//! use stackgrad::{Dual, Tape};
//!
//! // loss = Σ tanh(W x)², with parameter W and direction V.
//! let (w0, v) = (matrix![0.5, -1.0; 0.3, 0.8], matrix![1.0, 0.0; 0.0, -1.0]);
//! let x0 = vector![1.0, 2.0].map(Dual::<f64, 1>::constant);
//! let w = lift(&w0, &v);
//! let mut tape: Tape<Dual<f64, 1>, 64, 8> = Tape::new();
//! let g = tape.graph();
//! let (wv, x) = (g.param(&w), g.constant(&x0));
//! let loss = (wv * x).tanh().square().sum();
//! let (grad, hv) = split(&loss.backward()?.wrt(wv)?.into_owned()); // ∂loss/∂W and H·V, both 2×2
//! # assert!(grad[(0, 0)].is_finite() && hv[(1, 1)].is_finite());
//! # Ok::<(), stackgrad::Error>(())
//! ```
//!
//! The tape's backward rules are written over [`Real`], so they differentiate as they run:
//! nothing in the tape knows about dual numbers. At a kink the tangent follows the rule
//! of the branch the value takes (for example `relu'` is 0 at 0 and so is its derivative).

use nalgebra::{SMatrix, SVector};

use super::Dual;
use crate::{Error, Graph, Real, Tape, Var};

/// A parameter for forward-over-reverse: value `x`, tangent `v` (its part of the
/// direction of the Hessian-vector product), entry by entry.
#[inline]
pub fn lift<T: Real, const R: usize, const C: usize>(
    x: &SMatrix<T, R, C>,
    v: &SMatrix<T, R, C>,
) -> SMatrix<Dual<T, 1>, R, C> {
    x.zip_map(v, |xi, vi| Dual::new(xi, SVector::<T, 1>::new(vi)))
}

/// Splits a gradient computed on a `Dual<T, 1>` tape into the gradient (values) and the
/// Hessian-vector product (tangents).
#[inline]
#[allow(clippy::type_complexity)]
pub fn split<T: Real, const R: usize, const C: usize>(
    g: &SMatrix<Dual<T, 1>, R, C>,
) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
    (g.map(|d| d.re), g.map(|d| d.eps.x))
}

/// The value, gradient and Hessian-vector product `H v` of a scalar function of one
/// vector parameter, recorded once on `tape` and swept back once.
///
/// `f` receives the graph (to add constants with
/// [`Graph::constant_value`]) and the parameter, and returns the scalar to differentiate.
/// The tape is reset first and left holding this recording.
///
/// # Errors
///
/// What [`Var::backward`] returns: [`Error::Capacity`] if the recording did not fit the
/// tape (nothing is computed from a partial graph).
///
/// ```
/// use stackgrad::forward::over_reverse::gradient_and_hvp;
/// use stackgrad::nalgebra::vector;
/// use stackgrad::{Dual, Tape};
///
/// // f(x) = Σ exp(xᵢ)·xᵢ²: H is diagonal, Hᵢᵢ = eˣ(x² + 4x + 2).
/// let mut tape: Tape<Dual<f64, 1>, 64, 8> = Tape::new();
/// let (x, v) = (vector![0.0, 1.0], vector![1.0, 1.0]);
/// let (f, g, hv) = gradient_and_hvp(&mut tape, |_, x| x.exp().component_mul(x.square()).sum(), &x, &v)?;
/// let e = 1f64.exp();
/// assert!((f - e).abs() < 1e-15 && (g[1] - 3.0 * e).abs() < 1e-14);
/// assert!((hv[0] - 2.0).abs() < 1e-15 && (hv[1] - 7.0 * e).abs() < 1e-13);
/// # Ok::<(), stackgrad::Error>(())
/// ```
#[allow(clippy::type_complexity)]
pub fn gradient_and_hvp<T, F, const N: usize, const SCALARS: usize, const NODES: usize>(
    tape: &mut Tape<Dual<T, 1>, SCALARS, NODES>,
    f: F,
    x: &SVector<T, N>,
    v: &SVector<T, N>,
) -> Result<(T, SVector<T, N>, SVector<T, N>), Error>
where
    T: Real,
    F: for<'a, 'g> FnOnce(
        &'g Graph<'a, Dual<T, 1>, SCALARS, NODES>,
        Var<'g, Dual<T, 1>, N, 1>,
    ) -> Var<'g, Dual<T, 1>, 1, 1>,
{
    let xd = lift(x, v);
    tape.reset();
    let g = tape.graph();
    let xv = g.param(&xd);
    let loss = f(&g, xv);
    let value = loss.scalar().re;
    let grads = loss.backward()?;
    let (grad, hv) = split(&grads.wrt(xv)?.into_owned());
    Ok((value, grad, hv))
}
