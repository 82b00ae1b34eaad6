//! Through nalgebra's algorithms: their results differentiate.

use nalgebra::{matrix, vector, Matrix2, Matrix3, SMatrix, SVector, Vector3};
use simba::scalar::RealField;

use super::*;

fn a0() -> Matrix3<f64> {
    matrix![4.0, 1.0, 0.5; 1.0, 3.0, -0.7; 0.5, -0.7, 2.5]
}
fn da() -> Matrix3<f64> {
    matrix![0.3, -0.2, 0.1; 0.4, 0.9, -0.5; -0.6, 0.2, 0.7]
}
fn sym(m: Matrix3<f64>) -> Matrix3<f64> {
    (m + m.transpose()) * 0.5
}
/// `a + t·d` as dual numbers with `t` the variable (at `t = 0`).
fn lift<const R: usize, const C: usize>(
    a: SMatrix<f64, R, C>,
    d: SMatrix<f64, R, C>,
) -> SMatrix<D1, R, C> {
    a.zip_map(&d, |x, dx| D1::new(x, vector![dx]))
}
fn tangents<const R: usize, const C: usize>(m: &SMatrix<D1, R, C>) -> SMatrix<f64, R, C> {
    m.map(|d| d.eps[0])
}
fn values<const R: usize, const C: usize>(m: &SMatrix<D1, R, C>) -> SMatrix<f64, R, C> {
    m.map(|d| d.re)
}
/// Central difference of a matrix function of `t` at 0.
fn fd_mat<const R: usize, const C: usize>(
    f: impl Fn(f64) -> SMatrix<f64, R, C>,
) -> SMatrix<f64, R, C> {
    let h = 1e-6;
    (f(h) - f(-h)) / (2.0 * h)
}

#[test]
fn determinant_derivative_is_det_times_trace_of_inverse_times_da() {
    let (a, d) = (a0(), da());
    let det = lift(a, d).determinant();
    let inv = a.try_inverse().unwrap_or_else(Matrix3::zeros);
    let jacobi = a.determinant() * (inv * d).trace();
    let fd = central(|t| (a + d * t).determinant(), 0.0);
    assert!(close(det.re, a.determinant(), 1e-14));
    assert!(
        close(det.eps[0], jacobi, 1e-12),
        "{} vs {jacobi}",
        det.eps[0]
    );
    assert!(close(det.eps[0], fd, 1e-7));
    // Through LU as well.
    let det_lu = lift(a, d).lu().determinant();
    assert!(close(det_lu.eps[0], jacobi, 1e-12));
}

#[test]
fn inverse_derivative_is_minus_inverse_da_inverse() {
    let (a, d) = (a0(), da());
    let inv = a.try_inverse().unwrap_or_else(Matrix3::zeros);
    let dinv = lift(a, d).try_inverse().map(|m| tangents(&m));
    let want = -inv * d * inv;
    let fd = fd_mat(|t| (a + d * t).try_inverse().unwrap_or_else(Matrix3::zeros));
    assert!(
        dinv.is_some_and(|m| all_close(&m, &want, 1e-12)),
        "{dinv:?} vs {want}"
    );
    assert!(all_close(&want, &fd, 1e-7));
    // Singular: no inverse, no panic.
    let s = lift(matrix![1.0, 2.0; 2.0, 4.0], Matrix2::zeros());
    assert!(s.try_inverse().is_none());
}

#[test]
fn lu_and_cholesky_solves_differentiate() {
    let (a, d) = (a0(), da());
    let b = vector![1.0, -2.0, 0.5];
    let db = vector![0.2, 0.1, -0.3];
    // LU: x(t) = (A + t dA)⁻¹ (b + t db).
    let x = lift(a, d).lu().solve(&lift(b, db)).map(|x| tangents(&x));
    let fd = fd_mat(|t| {
        (a + d * t)
            .lu()
            .solve(&(b + db * t))
            .unwrap_or_else(Vector3::zeros)
    });
    assert!(x.is_some_and(|x| all_close(&x, &fd, 1e-7)), "{x:?} vs {fd}");
    // Cholesky (A and dA symmetric, A positive definite).
    let ds = sym(d);
    let chol = lift(a, ds).cholesky();
    let x = chol.map(|c| c.solve(&lift(b, db)));
    let fd = fd_mat(|t| {
        (a + ds * t)
            .cholesky()
            .map_or_else(Vector3::zeros, |c| c.solve(&(b + db * t)))
    });
    assert!(
        x.is_some_and(|x| all_close(&tangents(&x), &fd, 1e-7)),
        "{x:?} vs {fd}"
    );
    // Exact identity: dx = A⁻¹ (db − dA x).
    let x0 = a.cholesky().map_or_else(Vector3::zeros, |c| c.solve(&b));
    let want = a.try_inverse().unwrap_or_else(Matrix3::zeros) * (db - ds * x0);
    assert!(x.is_some_and(|x| all_close(&tangents(&x), &want, 1e-12)));
    // Not positive definite: None, no panic.
    assert!(lift(-a, ds).cholesky().is_none());
}

#[test]
fn qr_least_squares_differentiates() {
    let m = matrix![1.0, 0.5; 2.0, -1.0; 0.3, 0.8; -1.2, 0.4];
    let dm = matrix![0.1, -0.3; 0.2, 0.5; -0.4, 0.1; 0.3, 0.2];
    let b = vector![1.0, 0.2, -0.7, 2.0];
    let db = vector![-0.5, 0.3, 0.1, 0.2];
    fn lstsq<S: RealField + Copy>(m: SMatrix<S, 4, 2>, b: SVector<S, 4>) -> SVector<S, 2> {
        let qr = m.qr();
        let qtb = qr.q().transpose() * b;
        qr.r()
            .solve_upper_triangular(&qtb)
            .unwrap_or_else(|| SVector::from_element(S::from_subset(&f64::NAN)))
    }
    let x = lstsq(lift(m, dm), lift(b, db));
    let fd = fd_mat(|t| lstsq(m + dm * t, b + db * t));
    assert!(all_close(&values(&x), &lstsq(m, b), 1e-14));
    assert!(
        all_close(&tangents(&x), &fd, 1e-7),
        "{} vs {fd}",
        tangents(&x)
    );
    // The normal equations agree: x = (MᵀM)⁻¹ Mᵀ b.
    let normal = (m.transpose() * m)
        .try_inverse()
        .unwrap_or_else(Matrix2::zeros)
        * m.transpose()
        * b;
    assert!(all_close(&values(&x), &normal, 1e-12));
}

#[test]
fn symmetric_eigenvalues_differentiate() {
    let (a, ds) = (a0(), sym(da()));
    let eig = lift(a, ds).symmetric_eigen();
    let eig0 = a.symmetric_eigen();
    // dλᵢ = vᵢᵀ dA vᵢ for distinct eigenvalues.
    for (i, l) in eig.eigenvalues.iter().enumerate() {
        let j = eig0
            .eigenvalues
            .iter()
            .position(|l0| close(*l0, l.re, 1e-10))
            .unwrap_or(usize::MAX);
        assert!(j < 3, "eigenvalue {i} not found");
        let v = eig0.eigenvectors.column(j);
        let want = (v.transpose() * ds * v)[(0, 0)];
        assert!(
            close(l.eps[0], want, 1e-9),
            "dλ{i} = {} vs {want}",
            l.eps[0]
        );
    }
}

#[test]
fn hessian_through_nalgebra_with_nested_duals() {
    // f(x) = ln det(A + diag(x)), whose Hessian is −(B⁻¹ ∘ B⁻¹) with B = A + diag(x).
    fn logdet<S: RealField + Copy>(x: SVector<S, 3>) -> S {
        let a: Matrix3<S> = nalgebra::convert(a0());
        (a + Matrix3::from_diagonal(&x)).determinant().ln()
    }
    let x = vector![0.1, 0.2, 0.3];
    let (f, g, h) = hessian(logdet, x);
    let b = a0() + Matrix3::from_diagonal(&x);
    let binv = b.try_inverse().unwrap_or_else(Matrix3::zeros);
    assert!(close(f, b.determinant().ln(), 1e-14));
    assert!(all_close(&g, &binv.diagonal(), 1e-12));
    assert!(all_close(&h, &-binv.component_mul(&binv), 1e-12), "{h}");
}
