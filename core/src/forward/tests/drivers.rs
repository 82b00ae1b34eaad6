//! The drivers: gradient, Jacobian, Hessian and Hessian-vector product.

use nalgebra::{matrix, vector, SVector};

use super::*;
use crate::Real;

fn rosenbrock<S: Real>(x: SVector<S, 2>) -> S {
    let a = S::one() - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + S::constant(100.0) * b * b
}

fn mixed<S: Real>(x: SVector<S, 4>) -> S {
    let r = (x[0] * x[0] + x[1] * x[1]).sqrt();
    (x[0] * x[1]).sin() * x[2].exp() + r.atan2(x[3]) - (x[3] * x[3] + S::one()).ln() * x[2].tanh()
}

#[test]
fn rosenbrock_hessian_at_the_minimum_and_elsewhere() {
    let (f, g, h) = hessian(rosenbrock, vector![1.0, 1.0]);
    assert_eq!((f, g), (0.0, vector![0.0, 0.0]));
    assert_eq!(h, matrix![802.0, -400.0; -400.0, 200.0]);
    // At (x, y): [[1200x² − 400y + 2, −400x], [−400x, 200]].
    let (x, y) = (-1.2, 1.0);
    let (_, g, h) = hessian(rosenbrock, vector![x, y]);
    let want = matrix![1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x; -400.0 * x, 200.0];
    assert!(all_close(&h, &want, 1e-13), "{h}");
    let (_, g2) = gradient(rosenbrock, vector![x, y]);
    assert_eq!(g, g2);
    assert!(all_close(
        &g,
        &central_grad(rosenbrock, vector![x, y]),
        1e-6
    ));
}

#[test]
fn hessian_vector_product_equals_h_times_v() {
    let x = vector![0.3, -0.8, 0.5, 1.7];
    let v = vector![1.0, -2.0, 0.5, 3.0];
    let (f, g, h) = hessian(mixed, x);
    let (f2, g2, hv) = hessian_vector_product(mixed, x, v);
    assert!(close(f2, f, 1e-15));
    assert!(all_close(&g2, &g, 1e-14));
    assert!(all_close(&hv, &(h * v), 1e-12), "{hv} vs {}", h * v);
    // And H itself against central differences of the gradient.
    for j in 0..4 {
        let col = central_grad(|y| gradient(mixed, y).1[j], x);
        assert!(all_close(&col, &h.column(j).into_owned(), 1e-5));
    }
    assert!(all_close(&h, &h.transpose(), 1e-12));
    // Rosenbrock: H v at (1, 1).
    let (_, _, hv) = hessian_vector_product(rosenbrock, vector![1.0, 1.0], vector![1.0, 2.0]);
    assert_eq!(hv, vector![802.0 - 800.0, -400.0 + 400.0]);
}

#[test]
fn gradient_and_jacobian_match_central_differences() {
    let x = vector![0.3, -0.8, 0.5, 1.7];
    let (f, g) = gradient(mixed, x);
    assert!(close(f, mixed(x), 1e-15));
    assert!(all_close(&g, &central_grad(mixed, x), 1e-6));

    fn map<S: Real>(x: SVector<S, 3>) -> SVector<S, 2> {
        SVector::<S, 2>::new(x[0] * x[1].cos() + x[2], (x[0] * x[2]).exp() - x[1].powi(3))
    }
    let x = vector![0.4, 1.1, -0.6];
    let (y, j) = jacobian(map, x);
    assert_eq!(y, map(x));
    for i in 0..2 {
        let row = central_grad(|z| map(z)[i], x);
        assert!(all_close(&j.row(i).transpose(), &row, 1e-6));
    }
    // f32 too.
    let (_, g32) = gradient(rosenbrock, vector![0.5_f32, 0.5]);
    assert!(close(f64::from(g32[0]), -51.0, 1e-5) && close(f64::from(g32[1]), 50.0, 1e-5));
}
