//! Gradients of every layer and loss in `Q16` against the same computation in `f64`,
//! from the same parameters and inputs (rounded to `Q16` first, so both start equal).
//!
//! A gradient is read through the public training path: one plain SGD step with
//! learning rate 1 on a copy of the model, `g = p − p'` (exact in both types).
//! Tolerance: `|g_Q16 − g_f64| ≤ 6e-5 + 1e-3·|g_f64|`, four steps of `2⁻¹⁶` plus 0.1 %:
//! each gradient entry is a chain of a few dozen rounded operations, each off by at most
//! half a step. Measured: the worst error is a quarter of that or less (`--nocapture`
//! prints it per test), about one step.

extern crate std;

use std::vec::Vec;

use nalgebra::SMatrix;

use crate::nn::{
    for_each_param, Layer, Linear, Mat, Module, PRelu, Relu, Rng, Sigmoid, Softplus, Tanh,
};
use crate::optim::{Optimizer, Sgd};
use crate::{Real, Tape, Q16};

const ABS: f64 = 6e-5;
const REL: f64 = 1e-3;

/// Which loss closes the model.
#[derive(Clone, Copy)]
enum Loss {
    CrossEntropy,
    Mse,
    Bce,
}

fn linear<T: Real, const I: usize, const O: usize>(rng: &mut Rng) -> Linear<T, I, O> {
    // Draws rounded to Q16, so that the f64 and Q16 models are equal.
    let mut d = || T::constant(Q16::from_f64(rng.uniform(-1.0, 1.0)).to_f64());
    Linear {
        weight: SMatrix::from_fn(|_, _| d()),
        bias: SMatrix::from_fn(|_, _| d()),
    }
}

fn data<T: Real, const R: usize, const C: usize>(seed: u64, lo: f64, hi: f64) -> SMatrix<T, R, C> {
    let mut rng = Rng::seed_from_u64(seed);
    SMatrix::from_fn(|_, _| T::constant(Q16::from_f64(rng.uniform(lo, hi)).to_f64()))
}

fn params<T: Real, M: Module<T>>(model: &mut M) -> Vec<f64> {
    let mut v = Vec::new();
    for_each_param(model, |s| v.extend(s.iter().map(|x| x.to_f64())));
    v
}

/// The gradient of `loss(model(x), y)` with respect to every parameter, in `f64`.
fn gradient<T: Real, M>(mut model: M, loss: Loss) -> Vec<f64>
where
    M: Layer<T, Mat<4, 2>, Output = Mat<3, 2>> + Module<T>,
{
    let x = data::<T, 4, 2>(11, -2.0, 2.0);
    let y = match loss {
        Loss::Mse => data::<T, 3, 2>(12, -1.0, 1.0),
        Loss::Bce => data::<T, 3, 2>(12, 0.0, 1.0),
        Loss::CrossEntropy => SMatrix::from_fn(|i, j| {
            if i == (j + 1) % 3 {
                T::one()
            } else {
                T::zero()
            }
        }),
    };
    let before = params(&mut model);
    let mut tape: Tape<T, 4096, 64> = Tape::new();
    let ids = {
        let g = tape.graph();
        let vars = model.bind(&g);
        let z = M::forward(&vars, g.constant(&x));
        let l = match loss {
            Loss::CrossEntropy => crate::nn::loss::softmax_cross_entropy(z, g.constant(&y)),
            Loss::Mse => crate::nn::loss::mse(z, g.constant(&y)),
            Loss::Bce => crate::nn::loss::binary_cross_entropy_with_logits(z, g.constant(&y)),
        };
        l.backward().expect("the tape fits");
        M::ids(&vars)
    };
    Sgd::new(T::one())
        .step_model(&mut model, &tape, &ids)
        .expect("finite gradients");
    let after = params(&mut model);
    before.iter().zip(&after).map(|(b, a)| b - a).collect()
}

/// The worst `|g_Q16 − g_f64| / (ABS + REL·|g_f64|)`: at most 1 passes.
fn compare(q: &[f64], f: &[f64]) -> f64 {
    assert_eq!(q.len(), f.len());
    assert!(f.iter().any(|&g| g.abs() > 1e-2), "a test with no gradient");
    q.iter()
        .zip(f)
        .map(|(q, f)| {
            assert!(q.is_finite() && f.is_finite());
            (q - f).abs() / (ABS + REL * f.abs())
        })
        .fold(0.0, f64::max)
}

macro_rules! layer_test {
    ($name:ident, $act:expr, $loss:expr) => {
        #[test]
        fn $name() {
            macro_rules! model {
                ($t:ty) => {
                    (
                        (linear::<$t, 4, 5>(&mut Rng::seed_from_u64(5)), $act),
                        linear::<$t, 5, 3>(&mut Rng::seed_from_u64(99)),
                    )
                };
            }
            let f = gradient::<f64, _>(model!(f64), $loss);
            let q = gradient::<Q16, _>(model!(Q16), $loss);
            let worst = compare(&q, &f);
            std::println!("{}: worst error / allowed {worst:.3}", stringify!($name));
            assert!(worst <= 1.0, "{}: {worst}", stringify!($name));
        }
    };
}

layer_test!(linear_tanh_linear_cross_entropy, Tanh, Loss::CrossEntropy);
layer_test!(linear_relu_linear_mse, Relu, Loss::Mse);
layer_test!(linear_sigmoid_linear_bce, Sigmoid, Loss::Bce);
layer_test!(
    linear_softplus_linear_cross_entropy,
    Softplus,
    Loss::CrossEntropy
);
layer_test!(
    linear_prelu_linear_mse,
    PRelu::new(Real::constant(0.25)),
    Loss::Mse
);

/// The comparison can fail: a gradient off by 1e-3 (a few dozen steps) is caught.
#[test]
fn a_wrong_gradient_is_caught() {
    let f = [0.5, -0.25, 0.0];
    assert!(compare(&[0.5, -0.25, 0.0], &f) <= 1.0);
    assert!(compare(&[0.5, -0.25, 1e-3], &f) > 1.0);
}

/// An overflow inside a step saturates to ±∞, and the optimizer refuses the step with
/// its existing error, leaving every parameter as it was.
#[test]
fn an_overflowing_step_is_refused_and_changes_nothing() {
    type Model = ((Linear<Q16, 4, 5>, Tanh), Linear<Q16, 5, 3>);
    let mut model: Model = (
        (linear(&mut Rng::seed_from_u64(1)), Tanh),
        linear(&mut Rng::seed_from_u64(2)),
    );
    // A weight so large that the output overflows.
    model.1.weight[(0, 0)] = Q16::from_f64(30000.0);
    model.1.bias[(0, 0)] = Q16::from_f64(30000.0);
    let before = params(&mut model);
    let x = data::<Q16, 4, 2>(11, -2.0, 2.0);
    let y = data::<Q16, 3, 2>(12, -1.0, 1.0);
    let mut tape: Tape<Q16, 4096, 64> = Tape::new();
    let ids = {
        let g = tape.graph();
        let vars = model.bind(&g);
        let z = <Model as Layer<Q16, Mat<4, 2>>>::forward(&vars, g.constant(&x));
        let l = crate::nn::loss::mse(z, g.constant(&y));
        assert!(
            !l.scalar().is_finite(),
            "the loss saturates: {}",
            l.scalar()
        );
        let _ = l.backward();
        <Model as Module<Q16>>::ids(&vars)
    };
    let r = Sgd::new(Q16::from_f64(0.05)).step_model(&mut model, &tape, &ids);
    assert_eq!(r, Err(crate::Error::NonFinite));
    assert_eq!(params(&mut model), before);
}
