//! A custom operation written by a user: the 1-D convolution (valid, stride 1, as
//! PyTorch's `conv1d` computes it: a cross-correlation) of a signal of `N` samples with a
//! kernel of `K` taps, giving `N − K + 1` outputs. stackgrad has no such operation; this
//! file adds one on the public interface (`Op::with_forward`, `Var::apply_binary` and
//! `ops::Backward`), as the crate's own operations are written, checks both gradients
//! against central differences with `stackgrad-std`, and then learns a kernel with a
//! training loop that records its graph once and replays it (`Tape::graph_or_replay`),
//! bit for bit the loop that records every step.
//!
//! Run: `cargo run --example custom_op`

use stackgrad::nalgebra::SVector;
use stackgrad::ops::{Backward, Op};
use stackgrad::{Real, ReplayKey, Tape, Var};
use stackgrad_std::check_gradient;

/// `y[i] = Σ_j k[j]·x[i + j]`: the forward function, from the inputs' values alone (no
/// captured variable), so that a replay computes the value again.
fn conv1d_forward<T: Real>(x: &[T], k: &[T], _: [T; 2], out: &mut [T]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = T::zero();
        for (j, &kj) in k.iter().enumerate() {
            if let Some(&xv) = x.get(i + j) {
                *o += kj * xv;
            }
        }
    }
}

/// Backward, with upstream `ȳ`:
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
    // The operation: its name (for pictures of the graph), its forward function and its
    // backward rule, as a `static` the compiler makes for each `T` and `K`.
    let op = &const { Op::with_forward("conv1d", conv1d_forward::<T>, conv1d_backward::<T, K>) };
    x.apply_binary(k, op, [T::zero(); 2])
}

/// Learns the kernel that turns `signal` into `target` by SGD on `‖conv1d(x, k) − t‖²`,
/// recording every step (`replay = false`) or recording once and replaying; returns the
/// learned kernel and the last loss.
fn learn(
    signal: &SVector<f64, 8>,
    target: &SVector<f64, 6>,
    replay: bool,
) -> Result<(SVector<f64, 3>, f64, usize), stackgrad::Error> {
    let mut kernel = SVector::<f64, 3>::zeros();
    let mut tape: Tape<f64, 128, 16> = Tape::new();
    let mut key = ReplayKey::new();
    let (mut loss, mut replays) = (f64::NAN, 0);
    for step in 0..200 {
        // A new stretch of the signal each step: the leaves change, the graph does not.
        let x = signal.map(|v| v * (1.0 + 0.01 * (step % 7) as f64));
        let t = target.map(|v| v * (1.0 + 0.01 * (step % 7) as f64));
        let id = {
            let g = if replay {
                tape.graph_or_replay(&mut key)
            } else {
                tape.graph()
            };
            let k = g.param(&kernel);
            let (xv, tv) = (g.constant(&x), g.constant(&t));
            let l = g.output(|| (conv1d::<f64, 8, 3, 6>(xv, k) - tv).norm_squared());
            l.backward()?;
            loss = l.scalar();
            replays += usize::from(g.is_replaying());
            k.id()
        };
        kernel -= 0.05 * tape.grad(id)?;
    }
    Ok((kernel, loss, replays))
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

    // Learning a kernel: the target is a signal convolved with a known kernel (a signal
    // with more than one frequency, so that the kernel is the only one that fits).
    let signal = SVector::<f64, 8>::from_fn(|i, _| ((i * i) as f64 * 0.37).sin());
    let known = SVector::<f64, 3>::new(0.5, 1.0, -0.25);
    let target =
        SVector::<f64, 6>::from_fn(|i, _| (0..3).map(|j| known[j] * signal[i + j]).sum::<f64>());
    let (recorded, loss_r, _) = learn(&signal, &target, false)?;
    let (replayed, loss_p, replays) = learn(&signal, &target, true)?;
    println!(
        "learned kernel {:.4?} (known {:.4?}), last loss {loss_p:.3e}; recorded once and \
         replayed {replays} times",
        replayed.as_slice(),
        known.as_slice()
    );
    let same = recorded
        .iter()
        .zip(replayed.iter())
        .all(|(a, b)| a.to_bits() == b.to_bits());
    if !same || loss_r.to_bits() != loss_p.to_bits() {
        return Err("the replayed training differs from the recorded one".into());
    }
    println!("the same kernel and loss, bit for bit, as recording every step");
    if (replayed - known).amax() > 1e-3 {
        return Err("the kernel was not learned".into());
    }
    Ok(())
}
