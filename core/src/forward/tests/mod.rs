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

use nalgebra::SMatrix;

use super::*;

mod drivers;
mod dual_type;
mod edges;
mod functions;
mod through_nalgebra;

type D1 = Dual<f64, 1>;

use crate::testing::{central, central_grad, close};

fn all_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| close(*x, *y, tol))
}
