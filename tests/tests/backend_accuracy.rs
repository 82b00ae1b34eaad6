//! The error of the selected `f32` math backend against `f64` libm, per function.
//!
//! Run with each backend, and `--nocapture` to see the table:
//!
//! ```text
//! cargo test -p stackgrad-tests --test backend_accuracy -- --nocapture
//! cargo test -p stackgrad-tests --test backend_accuracy --features stackgrad/micromath -- --nocapture
//! ```
//!
//! The `f32` functions are called through `Real` explicitly: `x.exp()` on an `f32` would
//! call `std`'s inherent method, not the backend.
//!
//! Each function's worst error `|got − exact| / max(1, |exact|)` (relative, with the same
//! absolute floor as the gradient checks, so values near zero are judged by their
//! absolute error) over a grid of its domain must stay below the bound stated for the
//! backend. The bounds for micromath are what this test
//! measured, rounded up; they are documented in `core/src/real/micromath.rs`.

use stackgrad::Real;

struct Case {
    name: &'static str,
    f32: fn(f32) -> f32,
    f64: fn(f64) -> f64,
    lo: f64,
    hi: f64,
    /// Bounds on the worst relative error: (libm, micromath).
    bound: (f64, f64),
}

fn worst(c: &Case) -> (f64, f64) {
    let n = 20_000;
    let (mut worst, mut at) = (0.0f64, c.lo);
    for i in 0..=n {
        let x = c.lo + (c.hi - c.lo) * i as f64 / n as f64;
        let x32 = x as f32;
        let exact = (c.f64)(x32 as f64);
        let got = (c.f32)(x32) as f64;
        let err = (got - exact).abs() / exact.abs().max(1.0);
        let err = if err.is_nan() { f64::INFINITY } else { err };
        if err > worst {
            (worst, at) = (err, x);
        }
    }
    (worst, at)
}

#[test]
fn backend_errors_stay_within_their_documented_bounds() {
    let cases = [
        Case {
            name: "exp",
            f32: <f32 as Real>::exp,
            f64: libm::exp,
            lo: -20.0,
            hi: 20.0,
            bound: (2e-7, 2e-3),
        },
        Case {
            name: "ln",
            f32: <f32 as Real>::ln,
            f64: libm::log,
            lo: 0.01,
            hi: 100.0,
            bound: (2e-7, 1e-4),
        },
        Case {
            name: "sqrt",
            f32: <f32 as Real>::sqrt,
            f64: libm::sqrt,
            lo: 0.0,
            hi: 100.0,
            bound: (1e-7, 2.5e-3),
        },
        Case {
            name: "tanh",
            f32: <f32 as Real>::tanh,
            f64: libm::tanh,
            lo: -8.0,
            hi: 8.0,
            bound: (3e-7, 2e-3),
        },
        Case {
            name: "sin",
            f32: <f32 as Real>::sin,
            f64: libm::sin,
            lo: -3.0,
            hi: 3.0,
            bound: (2e-7, 2e-3),
        },
        Case {
            name: "cos",
            f32: <f32 as Real>::cos,
            f64: libm::cos,
            lo: -1.5,
            hi: 1.5,
            bound: (2e-7, 2e-3),
        },
        Case {
            name: "exp_m1",
            f32: <f32 as Real>::exp_m1,
            f64: libm::expm1,
            lo: -5.0,
            hi: 5.0,
            bound: (2e-7, 2e-3),
        },
        Case {
            name: "ln_1p",
            f32: <f32 as Real>::ln_1p,
            f64: libm::log1p,
            lo: -0.9,
            hi: 10.0,
            bound: (2e-7, 1e-4),
        },
    ];
    let backend = <f32 as Real>::BACKEND;
    println!(
        "f32 backend: {backend}; worst error |got - exact| / max(1, |exact|) against f64 libm"
    );
    println!(
        "{:<8} {:>12} {:>12} {:>10}",
        "function", "error", "at x", "bound"
    );
    let mut failed = Vec::new();
    for c in &cases {
        let (e, at) = worst(c);
        let bound = if backend == "micromath" {
            c.bound.1
        } else {
            c.bound.0
        };
        println!("{:<8} {:>12.3e} {:>12.4} {:>10.0e}", c.name, e, at, bound);
        if e.is_nan() || e > bound {
            failed.push(c.name);
        }
    }
    assert!(
        failed.is_empty(),
        "{backend}: errors above their bounds: {failed:?}"
    );
}
