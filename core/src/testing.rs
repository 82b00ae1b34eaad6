//! Test helpers shared by the operations' unit tests (compiled for tests only).

use nalgebra::SMatrix;

use crate::ops::Unary;
use crate::{Graph, Tape, Var};

pub(crate) type TestGraph<'a> = Graph<'a, f64, 4096, 64>;

/// A deterministic matrix with entries in [−2, 2), different for each `seed` (from the
/// crate's one generator, [`Rng`](crate::nn::Rng)).
pub(crate) fn mat<const R: usize, const C: usize>(seed: u64) -> SMatrix<f64, R, C> {
    let mut rng = crate::nn::Rng::seed_from_u64(seed);
    SMatrix::from_fn(|_, _| rng.uniform(-2.0, 2.0))
}

/// The bits of `x`, with every NaN as one pattern: what "bit for bit" compares. The sign
/// and payload of a NaN that an operation produces are not specified (Miri picks them
/// at random), so two runs of the same computation may differ there and nowhere else.
pub(crate) fn bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// `|a − b| ≤ tol·max(1, |a|, |b|)`, or both the same infinity. Fails on NaN.
pub(crate) fn close(a: f64, b: f64, tol: f64) -> bool {
    a == b || (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

/// The central difference `(f(x + h) − f(x − h)) / 2h` with `h = 1e-6·max(1, |x|)`.
pub(crate) fn central(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// The gradient of `f` at `x` by central differences, one coordinate at a time.
pub(crate) fn central_grad<const N: usize>(
    f: impl Fn(nalgebra::SVector<f64, N>) -> f64,
    x: nalgebra::SVector<f64, N>,
) -> nalgebra::SVector<f64, N> {
    nalgebra::SVector::from_fn(|i, _| {
        central(
            |t| {
                let mut y = x;
                y[i] = t;
                f(y)
            },
            x[i],
        )
    })
}

/// The value of `f` at `x0` and its tape gradient.
pub(crate) fn eval<const R: usize, const C: usize>(
    x0: &SMatrix<f64, R, C>,
    f: &impl for<'a, 'g> Fn(&'g TestGraph<'a>, Var<'g, f64, R, C>) -> Var<'g, f64, 1, 1>,
) -> (f64, SMatrix<f64, R, C>) {
    let mut tape: Tape<f64, 4096, 64> = Tape::new();
    let g = tape.graph();
    let x = g.param(x0);
    let y = f(&g, x);
    let grads = y.backward().expect("test graph fits");
    (y.scalar(), grads.wrt(x).unwrap().into_owned())
}

/// Checks the tape gradient of `f` at `x0` against central differences in f64.
pub(crate) fn check<const R: usize, const C: usize>(
    x0: SMatrix<f64, R, C>,
    f: impl for<'a, 'g> Fn(&'g TestGraph<'a>, Var<'g, f64, R, C>) -> Var<'g, f64, 1, 1>,
) {
    let (_, analytic) = eval(&x0, &f);
    for i in 0..R * C {
        let h = 1e-6 * 1f64.max(x0[i].abs());
        let (mut xp, mut xm) = (x0, x0);
        xp[i] += h;
        xm[i] -= h;
        let numeric = (eval(&xp, &f).0 - eval(&xm, &f).0) / (2.0 * h);
        assert!(
            close(analytic[i], numeric, 1e-6),
            "entry {i}: tape {} vs central difference {numeric}",
            analytic[i]
        );
    }
}

/// The derivative of a scalar function at `x`, by the tape.
pub(crate) fn grad_of<const R: usize, const C: usize>(
    x: f64,
    f: impl for<'a, 'g> Fn(&'g TestGraph<'a>, Var<'g, f64, 1, 1>) -> Var<'g, f64, 1, 1>,
) -> f64 {
    eval(&SMatrix::<f64, 1, 1>::new(x), &f).1[0]
}

/// Checks an element-wise op against central differences at each point, one at a time.
pub(crate) fn check_unary(
    op: impl for<'g> Fn(Var<'g, f64, 1, 1>) -> Var<'g, f64, 1, 1>,
    points: &[f64],
) {
    for &p in points {
        check(SMatrix::<f64, 1, 1>::new(p), |_, x| op(x));
    }
}

/// Checks `f` and `f'` exactly on an edge table of `(x, f(x), f'(x))`, and that NaN in
/// gives NaN out for both.
pub(crate) fn edge_table<U: Unary<f64>>(p: f64, rows: &[(f64, f64, f64)]) {
    for &(x, fx, dfx) in rows {
        let y = U::f(x, p);
        assert!(close(y, fx, 1e-15), "f({x}) = {y}, expected {fx}");
        let d = U::df(x, y, p);
        assert!(close(d, dfx, 1e-15), "f'({x}) = {d}, expected {dfx}");
    }
    let y = U::f(f64::NAN, p);
    assert!(y.is_nan(), "f(NaN) = {y}");
    assert!(U::df(f64::NAN, y, p).is_nan(), "f'(NaN) is not NaN");
}
