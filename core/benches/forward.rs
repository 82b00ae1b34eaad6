//! Forward-mode `gradient`: stackgrad's `Dual<f64, N>` against num-dual's `DualVec`, on
//! the same functions, in one run. The ratio of the two medians is the figure to quote.
//!
//! Each function is written twice with the same operations in the same order: once over
//! `stackgrad::Real`, once over `num_dual::DualNum<Primitive = f64>` (which is `Clone`, not `Copy`, so
//! it borrows where stackgrad copies).
//!
//! Measured on the 2-core dev host (median, stackgrad ÷ num-dual 0.11, two runs):
//! rosenbrock8 95.7/291.7 ns = 0.33 and 142/257 ns = 0.55; smooth8 637/1132 ns = 0.56
//! and 569/1024 ns = 0.56. The host is shared, so the absolute times drift between runs.
//! (Those figures predate the move to nalgebra 0.35 and num-dual 0.15 and were not re-run.)

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use nalgebra::SVector;
use num_dual::DualNum;
use stackgrad::{forward, Real};

const N: usize = 8;

/// Extended Rosenbrock: pure arithmetic.
fn rosenbrock<S: Real>(x: SVector<S, N>) -> S {
    let mut s = S::zero();
    for (a, b) in x.iter().zip(x.iter().skip(1)) {
        let u = *b - *a * *a;
        let v = S::one() - *a;
        s += S::constant(100.0) * u * u + v * v;
    }
    s
}

fn rosenbrock_nd<D: DualNum<Primitive = f64>>(x: SVector<D, N>) -> D {
    let mut s = D::from(0.0);
    for (a, b) in x.iter().zip(x.iter().skip(1)) {
        let u = b.clone() - a.clone() * a;
        let v = D::from(1.0) - a;
        s += u.clone() * &u * 100.0 + v.clone() * &v;
    }
    s
}

/// A small network-like function: transcendental functions and products.
fn smooth<S: Real>(x: SVector<S, N>) -> S {
    let mut s = S::zero();
    for (i, a) in x.iter().enumerate() {
        let w = S::constant(0.1 * (i as f64 + 1.0));
        s += (w * *a).tanh() * a.sin() + (*a * *a * S::constant(0.5)).exp().sqrt();
    }
    s.ln()
}

fn smooth_nd<D: DualNum<Primitive = f64>>(x: SVector<D, N>) -> D {
    let mut s = D::from(0.0);
    for (i, a) in x.iter().enumerate() {
        let w = 0.1 * (i as f64 + 1.0);
        s += (a.clone() * w).tanh() * a.sin() + (a.clone() * a * 0.5).exp().sqrt();
    }
    s.ln()
}

fn point() -> SVector<f64, N> {
    SVector::from_fn(|i, _| 0.3 + 0.17 * i as f64 - 0.05 * (i * i) as f64)
}

fn bench(c: &mut Criterion) {
    let x = point();
    // Same answers first, or the comparison means nothing.
    let (f1, g1) = forward::gradient(rosenbrock, x);
    let (f2, g2) = num_dual::gradient(rosenbrock_nd, &x);
    assert!((f1 - f2).abs() <= 1e-12 * f1.abs() && (g1 - g2).norm() <= 1e-10 * g1.norm());
    let (f1, g1) = forward::gradient(smooth, x);
    let (f2, g2) = num_dual::gradient(smooth_nd, &x);
    assert!((f1 - f2).abs() <= 1e-12 * f1.abs() && (g1 - g2).norm() <= 1e-10 * g1.norm());

    let mut g = c.benchmark_group("gradient_rosenbrock8");
    g.bench_function("stackgrad", |b| {
        b.iter(|| forward::gradient(rosenbrock, black_box(x)))
    });
    g.bench_function("num-dual", |b| {
        b.iter(|| num_dual::gradient(rosenbrock_nd, black_box(&x)))
    });
    g.finish();

    let mut g = c.benchmark_group("gradient_smooth8");
    g.bench_function("stackgrad", |b| {
        b.iter(|| forward::gradient(smooth, black_box(x)))
    });
    g.bench_function("num-dual", |b| {
        b.iter(|| num_dual::gradient(smooth_nd, black_box(&x)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
