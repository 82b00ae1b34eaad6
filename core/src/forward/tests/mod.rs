//! Forward mode against central differences, through every path a dual number is used:
//! as a `Real`, as a nalgebra `RealField`, nested, and inside nalgebra's algorithms.
//! One file a topic; the helpers every topic uses are here.
//!
//! - `functions`: every elementary function as a `Real` and as a nalgebra field, first
//!   and second derivatives, and that each row of the table is among them.
//! - `edges`: NaN, kinks and singular points, large values and infinities.
//! - `dual_type`: constructors, comparisons, conversions, approx, `Display`.
//! - `drivers`: gradient, Jacobian, Hessian and Hessian-vector product.
//! - `through_nalgebra`: determinant, inverse, LU, Cholesky, QR, eigenvalues.

use nalgebra::{SMatrix, SVector};

use super::*;

mod drivers;
mod dual_type;
mod edges;
mod functions;
mod through_nalgebra;

type D1 = Dual<f64, 1>;

/// `true` only if `a` is within `tol` of `b`, relative to `b`'s size; NaN is never close.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn central(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

fn central_grad<const N: usize>(
    f: impl Fn(SVector<f64, N>) -> f64,
    x: SVector<f64, N>,
) -> SVector<f64, N> {
    let mut g = SVector::<f64, N>::zeros();
    for (i, gi) in g.iter_mut().enumerate() {
        let h = 1e-6 * x[i].abs().max(1.0);
        let mut xp = x;
        let mut xm = x;
        xp[i] += h;
        xm[i] -= h;
        *gi = (f(xp) - f(xm)) / (2.0 * h);
    }
    g
}

fn all_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| close(*x, *y, tol))
}
