//! A custom operation written by a user: the 1-D convolution (valid, stride 1, as
//! PyTorch's `conv1d` computes it: a cross-correlation) of a signal of `N` samples with a
//! kernel of `K` taps, giving `N − K + 1` outputs. stackgrad has no such operation; this
//! file adds one on the public interface (`Var::custom_binary` and `ops::Backward`), and
//! checks both gradients against central differences with `stackgrad-std`.
//!
//! Run: `cargo run --example custom_op`

use stackgrad::nalgebra::SVector;
use stackgrad::ops::{Backward, Op};
use stackgrad::{Real, Var};
use stackgrad_std::check_gradient;

/// `y[i] = Σ_j k[j]·x[i + j]`. Backward, with upstream `ȳ`:
/// `∂/∂x[i + j] += k[j]·ȳ[i]` and `∂/∂k[j] += x[i + j]·ȳ[i]`.
fn conv1d_backward<T: Real, const K: usize>(b: &mut Backward<'_, T>) {
    let (x, k, up) = (b.input(0), b.input(1), b.upstream());
    if let Some(gx) = b.grad(0) {
        for (i, &u) in up.iter().enumerate() {
            for (j, &kj) in k.iter().enumerate() {
                if let Some(g) = gx.get_mut(i + j) {
                    *g += kj * u;
                }
            }
        }
    }
    if let Some(gk) = b.grad(1) {
        for (i, &u) in up.iter().enumerate() {
            for (j, g) in gk.iter_mut().enumerate() {
                if let Some(&xv) = x.get(i + j) {
                    *g += xv * u;
                }
            }
        }
    }
}

/// The convolution as an operation on variables. `M = N − K + 1` is checked at compile
/// time.
fn conv1d<'g, T: Real, const N: usize, const K: usize, const M: usize>(
    x: Var<'g, T, N, 1>,
    k: Var<'g, T, K, 1>,
) -> Var<'g, T, M, 1> {
    const { assert!(M + K == N + 1, "conv1d: the output has N − K + 1 samples") };
    // The operation: its name (for pictures of the graph) and its backward rule, as a
    // `static` the compiler makes for each `T` and `K`.
    let op = &const { Op::new("conv1d", conv1d_backward::<T, K>) };
    x.custom_binary(k, op, T::zero(), |x, k, out| {
        for (i, o) in out.iter_mut().enumerate() {
            *o = T::zero();
            for (j, &kj) in k.iter().enumerate() {
                if let Some(&xv) = x.get(i + j) {
                    *o += kj * xv;
                }
            }
        }
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let signal = SVector::<f64, 8>::from_fn(|i, _| (i as f64 * 0.9).sin());
    let kernel = SVector::<f64, 3>::new(0.25, -0.5, 1.0);
    let weights = SVector::<f64, 6>::from_fn(|i, _| 1.0 + i as f64 * 0.1);

    // The loss: a weighted sum of tanh of the convolution.
    let by_signal = check_gradient(&signal, |g, x| {
        let y = conv1d::<f64, 8, 3, 6>(x, g.constant_value(kernel));
        y.tanh().dot(g.constant_value(weights))
    })?;
    let by_kernel = check_gradient(&kernel, |g, k| {
        let y = conv1d::<f64, 8, 3, 6>(g.constant_value(signal), k);
        y.tanh().dot(g.constant_value(weights))
    })?;
    println!("conv1d, gradient with respect to the signal: {by_signal}");
    println!("conv1d, gradient with respect to the kernel: {by_kernel}");
    if !(by_signal.passed() && by_kernel.passed()) {
        return Err("a custom gradient is wrong".into());
    }
    Ok(())
}
