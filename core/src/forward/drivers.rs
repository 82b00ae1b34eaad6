//! Drivers: derivatives, gradients, Jacobians, Hessians and Hessian-vector products of
//! functions written once over any [`Real`].
//!
//! Each driver seeds the inputs as dual numbers, runs the function once and reads the
//! derivatives off the result. Write the function generic over `S: Real` and pass it
//! by name: the driver picks `S` (a [`Dual`] of the right shape).
//!
//! | driver | scalar the function runs on | cost (scalar operations per operation of `f`) |
//! |---|---|---|
//! | [`derivative`] | `Dual<T, 1>` | 2 |
//! | [`gradient`], [`jacobian`] | `Dual<T, N>` | `N + 1` |
//! | [`hessian`] | `Dual<Dual<T, N>, N>` | `(N + 1)²` |
//! | [`hessian_vector_product`] | `Dual<Dual<T, 1>, N>` | `2(N + 1)` |
//!
//! Nothing allocates and nothing panics; NaN or ±∞ inside `f` show up in the results.

use nalgebra::{SMatrix, SVector};

use super::Dual;
use crate::Real;

/// Seeds `x` as `N` independent variables: `x[i]` gets the `i`-th unit tangent.
#[inline]
fn seed<T: Real, const N: usize>(x: SVector<T, N>) -> SVector<Dual<T, N>, N> {
    x.map_with_location(|i, _, xi| Dual::variable(xi, i))
}

/// The value and derivative of `f: ℝ → ℝ` at `x`: `(f(x), f'(x))`.
///
/// ```
/// use stackgrad::{forward, Real};
///
/// fn f<S: Real>(x: S) -> S {
///     x * x.exp()
/// }
/// let (y, dy) = forward::derivative(f, 1.0_f64);
/// let e = core::f64::consts::E;
/// assert!((y - e).abs() < 1e-15 && (dy - 2.0 * e).abs() < 1e-15);
/// ```
#[inline]
pub fn derivative<T: Real, F>(f: F, x: T) -> (T, T)
where
    F: FnOnce(Dual<T, 1>) -> Dual<T, 1>,
{
    let y = f(Dual::variable(x, 0));
    (y.re, y.eps.x)
}

/// The value and gradient of `f: ℝᴺ → ℝ` at `x`: `(f(x), ∇f(x))`, in one evaluation of `f`
/// on `Dual<T, N>`.
///
/// ```
/// use stackgrad::nalgebra::SVector;
/// use stackgrad::vector;
/// use stackgrad::{forward, Real};
///
/// fn rosenbrock<S: Real>(x: SVector<S, 2>) -> S {
///     let a = S::one() - x[0];
///     let b = x[1] - x[0] * x[0];
///     a * a + S::constant(100.0) * b * b
/// }
/// let (f, g) = forward::gradient(rosenbrock, vector![0.0_f64, 0.0]);
/// assert_eq!((f, g), (1.0, vector![-2.0, 0.0]));
/// ```
#[inline]
pub fn gradient<T: Real, F, const N: usize>(f: F, x: SVector<T, N>) -> (T, SVector<T, N>)
where
    F: FnOnce(SVector<Dual<T, N>, N>) -> Dual<T, N>,
{
    let y = f(seed(x));
    (y.re, y.eps)
}

/// The value and Jacobian of `f: ℝᴺ → ℝᴹ` at `x`: `(f(x), J)` with `J[(i, j)] = ∂fᵢ/∂xⱼ`
/// (`M × N`), in one evaluation of `f` on `Dual<T, N>`.
///
/// ```
/// use stackgrad::nalgebra::SVector;
/// use stackgrad::{matrix, vector};
/// use stackgrad::{forward, Real};
///
/// fn polar<S: Real>(p: SVector<S, 2>) -> SVector<S, 2> {
///     SVector::<S, 2>::new(p[0] * p[1].cos(), p[0] * p[1].sin())
/// }
/// let (_, j) = forward::jacobian(polar, vector![2.0_f64, 0.0]);
/// assert_eq!(j, matrix![1.0, 0.0; 0.0, 2.0]);
/// ```
#[inline]
pub fn jacobian<T: Real, F, const N: usize, const M: usize>(
    f: F,
    x: SVector<T, N>,
) -> (SVector<T, M>, SMatrix<T, M, N>)
where
    F: FnOnce(SVector<Dual<T, N>, N>) -> SVector<Dual<T, N>, M>,
{
    let y = f(seed(x));
    let mut jac = SMatrix::<T, M, N>::from_element(T::zero());
    for (mut row, yi) in jac.row_iter_mut().zip(y.iter()) {
        for (dst, src) in row.iter_mut().zip(yi.eps.iter()) {
            *dst = *src;
        }
    }
    (y.map(|yi| yi.re), jac)
}

/// The value, gradient and Hessian of `f: ℝᴺ → ℝ` at `x`: `(f(x), ∇f(x), ∇²f(x))`, in one
/// evaluation of `f` on nested dual numbers `Dual<Dual<T, N>, N>`.
///
/// The Hessian is exact to rounding and symmetric as far as `f`'s arithmetic is (its two
/// triangles are computed separately and are not averaged).
///
/// ```
/// use stackgrad::nalgebra::SVector;
/// use stackgrad::{matrix, vector};
/// use stackgrad::{forward, Real};
///
/// fn rosenbrock<S: Real>(x: SVector<S, 2>) -> S {
///     let a = S::one() - x[0];
///     let b = x[1] - x[0] * x[0];
///     a * a + S::constant(100.0) * b * b
/// }
/// let (f, g, h) = forward::hessian(rosenbrock, vector![1.0_f64, 1.0]);
/// assert_eq!((f, g), (0.0, vector![0.0, 0.0]));
/// assert_eq!(h, matrix![802.0, -400.0; -400.0, 200.0]);
/// ```
#[inline]
#[allow(clippy::type_complexity)]
pub fn hessian<T: Real, F, const N: usize>(
    f: F,
    x: SVector<T, N>,
) -> (T, SVector<T, N>, SMatrix<T, N, N>)
where
    F: FnOnce(SVector<Dual<Dual<T, N>, N>, N>) -> Dual<Dual<T, N>, N>,
{
    // Inner tangents differentiate once, outer tangents once more.
    let xs = x.map_with_location(|i, _, xi| {
        let mut outer: Dual<Dual<T, N>, N> = Dual::constant(Dual::variable(xi, i));
        if let Some(e) = outer.eps.as_mut_slice().get_mut(i) {
            *e = Dual::constant(T::one());
        }
        outer
    });
    let y = f(xs);
    // y.eps[j] = ∂f/∂xⱼ as a dual number whose tangent i is ∂²f/∂xᵢ∂xⱼ.
    let mut hess = SMatrix::<T, N, N>::from_element(T::zero());
    for (mut col, dj) in hess.column_iter_mut().zip(y.eps.iter()) {
        for (dst, src) in col.iter_mut().zip(dj.eps.iter()) {
            *dst = *src;
        }
    }
    (y.re.re, y.re.eps, hess)
}

/// The value, gradient and Hessian-vector product `∇²f(x)·v` of `f: ℝᴺ → ℝ`, in one
/// evaluation of `f` on `Dual<Dual<T, 1>, N>`: about `2(N + 1)` scalars per value instead
/// of the `(N + 1)²` a full [`hessian`] carries. (A reverse-mode tape over `Dual<T, 1>`
/// does the same in one backward pass.)
///
/// ```
/// use stackgrad::nalgebra::SVector;
/// use stackgrad::vector;
/// use stackgrad::{forward, Real};
///
/// fn f<S: Real>(x: SVector<S, 2>) -> S {
///     x[0] * x[0] * x[1] // H = [[2y, 2x], [2x, 0]]
/// }
/// let (_, _, hv) = forward::hessian_vector_product(f, vector![1.0_f64, 3.0], vector![1.0, 2.0]);
/// assert_eq!(hv, vector![6.0 + 4.0, 2.0]);
/// ```
#[inline]
#[allow(clippy::type_complexity)]
pub fn hessian_vector_product<T: Real, F, const N: usize>(
    f: F,
    x: SVector<T, N>,
    v: SVector<T, N>,
) -> (T, SVector<T, N>, SVector<T, N>)
where
    F: FnOnce(SVector<Dual<Dual<T, 1>, N>, N>) -> Dual<Dual<T, 1>, N>,
{
    // Inner tangent: the direction v. Outer tangents: the coordinate directions.
    let xs = x.zip_map(&v, |xi, vi| {
        Dual::constant(Dual::new(xi, SVector::<T, 1>::new(vi)))
    });
    let xs = xs.map_with_location(|i, _, mut xi: Dual<Dual<T, 1>, N>| {
        if let Some(e) = xi.eps.as_mut_slice().get_mut(i) {
            *e = Dual::constant(T::one());
        }
        xi
    });
    let y = f(xs);
    // y.eps[j] = ∂f/∂xⱼ, whose inner tangent is its derivative along v: (∇²f v)ⱼ.
    (y.re.re, y.eps.map(|d| d.re), y.eps.map(|d| d.eps.x))
}
