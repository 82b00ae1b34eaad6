//! The window classifier's implementations, shared by the criterion benchmark and the
//! instruction-count benchmark.

use stackgrad::compiled::{Backprop, ParamGrads, Zeroed};
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::nn::{Linear, LinearVars, Mat};
use stackgrad::ops::unary::Tanh;
use stackgrad::{Real, Tape};

pub fn data<const H: usize, const D: usize>() -> (
    SMatrix<f32, H, D>,
    SVector<f32, H>,
    SVector<f32, H>,
    SVector<f32, D>,
) {
    let mut s: u32 = 0x2545_F491;
    let mut next = move |_, _| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s as f32 / u32::MAX as f32 - 0.5) * 0.2
    };
    (
        SMatrix::from_fn(&mut next),
        SMatrix::from_fn(&mut next),
        SMatrix::from_fn(&mut next),
        SMatrix::from_fn(&mut next),
    )
}

/// Gradients of the hand-written backprop, preallocated once.
pub struct HandGrads<const H: usize, const D: usize> {
    pub w: SMatrix<f32, H, D>,
    pub b: SVector<f32, H>,
    pub u: SVector<f32, H>,
    pub x: SVector<f32, D>,
}

/// `h = tanh(Wx + b)`, with `gemv` writing into a copy of `b`.
fn hidden<const H: usize, const D: usize>(
    w: &SMatrix<f32, H, D>,
    b: &SVector<f32, H>,
    x: &SVector<f32, D>,
) -> SVector<f32, H> {
    let mut h = *b;
    h.gemv(1.0, w, x, 1.0);
    h.apply(|z| *z = Real::tanh(*z));
    h
}

/// The score alone: one forward pass.
pub fn forward<const H: usize, const D: usize>(
    w: &SMatrix<f32, H, D>,
    b: &SVector<f32, H>,
    u: &SVector<f32, H>,
    x: &SVector<f32, D>,
) -> f32 {
    u.dot(&hidden(w, b, x))
}

/// The hand-written backprop: forward, then `δ = u ∘ (1 − h²)`; `∂W = δxᵀ` (`ger`),
/// `∂b = δ`, `∂u = h`, `∂x = Wᵀδ`, every output written in place. `DOT8` picks the
/// kernel of `Wᵀδ`: nalgebra's `gemv_tr`, or 8-lane dot products of `W`'s columns (the
/// kernel the tape's matrix product uses).
fn backprop<const H: usize, const D: usize, const DOT8: bool>(
    w: &SMatrix<f32, H, D>,
    b: &SVector<f32, H>,
    u: &SVector<f32, H>,
    x: &SVector<f32, D>,
    out: &mut HandGrads<H, D>,
) -> f32 {
    let h = hidden(w, b, x);
    let s = u.dot(&h);
    out.u = h;
    for ((d, &ui), &hi) in out.b.iter_mut().zip(u.iter()).zip(h.iter()) {
        *d = ui * (1.0 - hi * hi);
    }
    out.w.ger(1.0, &out.b, x, 0.0);
    if DOT8 {
        for (g, col) in out.x.iter_mut().zip(w.as_slice().chunks_exact(H)) {
            *g = dot8(col, out.b.as_slice());
        }
    } else {
        out.x.gemv_tr(1.0, w, &out.b, 0.0);
    }
    s
}

/// The careful hand-written backprop of the issue: `ger` and `gemv_tr`.
pub fn hand<const H: usize, const D: usize>(
    w: &SMatrix<f32, H, D>,
    b: &SVector<f32, H>,
    u: &SVector<f32, H>,
    x: &SVector<f32, D>,
    out: &mut HandGrads<H, D>,
) -> f32 {
    backprop::<H, D, false>(w, b, u, x, out)
}

/// [`hand`] with `Wᵀδ` by the tape's 8-lane dot-product kernel: the limit with that kernel.
pub fn hand_dot<const H: usize, const D: usize>(
    w: &SMatrix<f32, H, D>,
    b: &SVector<f32, H>,
    u: &SVector<f32, H>,
    x: &SVector<f32, D>,
    out: &mut HandGrads<H, D>,
) -> f32 {
    backprop::<H, D, true>(w, b, u, x, out)
}

fn dot8(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (xs, ys) = (x.chunks_exact(8), y.chunks_exact(8));
    let mut tail = 0.0;
    for (a, b) in xs.remainder().iter().zip(ys.remainder()) {
        tail += a * b;
    }
    if x.len() >= 64 {
        // The tape's long-sum path: lanes 0–3 and 4–7 in two vector registers.
        let (mut lo, mut hi) = ([0.0f32; 4], [0.0f32; 4]);
        for (a, b) in xs.zip(ys) {
            for i in 0..4 {
                lo[i] += a[i] * b[i];
                hi[i] += a[i + 4] * b[i + 4];
            }
        }
        let (lo, hi) = std::hint::black_box((lo, hi));
        return ((lo[0] + hi[0]) + (lo[1] + hi[1])) + ((lo[2] + hi[2]) + (lo[3] + hi[3])) + tail;
    }
    for (a, b) in xs.zip(ys) {
        for ((s, &a), &b) in acc.iter_mut().zip(a).zip(b) {
            *s += a * b;
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

impl<const H: usize, const D: usize> HandGrads<H, D> {
    /// Zeroed outputs.
    pub fn new() -> Self {
        HandGrads {
            w: SMatrix::zeros(),
            b: SVector::zeros(),
            u: SVector::zeros(),
            x: SVector::zeros(),
        }
    }
}

/// The score and all four gradients by the tape, read in place; returns the score and
/// the sum of the gradient views' first entries (so nothing is optimised away).
pub fn tape<const H: usize, const D: usize, const S: usize>(
    tape: &mut Tape<f32, S, 16>,
    w0: &SMatrix<f32, H, D>,
    b0: &SVector<f32, H>,
    u0: &SVector<f32, H>,
    x0: &SVector<f32, D>,
) -> (f32, f32) {
    gradient_on_tape::<H, D, S, false>(tape, w0, b0, u0, x0)
}

/// [`tape`] with the hidden layer recorded through [`Linear`]'s forward pass: `Wx + b` is
/// one node (`linear`, the layer's own kernels) instead of the product and the sum.
pub fn tape_layer<const H: usize, const D: usize, const S: usize>(
    tape: &mut Tape<f32, S, 16>,
    w0: &SMatrix<f32, H, D>,
    b0: &SVector<f32, H>,
    u0: &SVector<f32, H>,
    x0: &SVector<f32, D>,
) -> (f32, f32) {
    gradient_on_tape::<H, D, S, true>(tape, w0, b0, u0, x0)
}

/// [`tape`] (`LAYER = false`: the lecture's operations) or [`tape_layer`].
fn gradient_on_tape<const H: usize, const D: usize, const S: usize, const LAYER: bool>(
    tape: &mut Tape<f32, S, 16>,
    w0: &SMatrix<f32, H, D>,
    b0: &SVector<f32, H>,
    u0: &SVector<f32, H>,
    x0: &SVector<f32, D>,
) -> (f32, f32) {
    let g = tape.graph();
    let (w, b, u, x) = (g.param(w0), g.param(b0), g.param(u0), g.param(x0));
    let z = if LAYER {
        LinearVars { weight: w, bias: b }.forward(x)
    } else {
        w * x + b
    };
    let s = u.dot(z.tanh());
    let Ok(grads) = s.backward() else {
        return (f32::NAN, f32::NAN);
    };
    let (Ok(dw), Ok(db), Ok(du), Ok(dx)) = (grads.wrt(w), grads.wrt(b), grads.wrt(u), grads.wrt(x))
    else {
        return (f32::NAN, f32::NAN);
    };
    let probe = dw[(H - 1, D - 1)] + db[H - 1] + du[0] + dx[D - 1];
    drop(grads);
    (s.scalar(), probe)
}

/// [`tape`] replayed: the graph [`tape`] recorded last on `tape`, computed again on these
/// values (the same four leaves, in the same order).
pub fn replay<const H: usize, const D: usize, const S: usize>(
    tape: &mut Tape<f32, S, 16>,
    w0: &SMatrix<f32, H, D>,
    b0: &SVector<f32, H>,
    u0: &SVector<f32, H>,
    x0: &SVector<f32, D>,
) -> (f32, f32) {
    let g = tape.replay();
    let (w, b, u, x) = (g.param(w0), g.param(b0), g.param(u0), g.param(x0));
    let s = g.replayed::<1, 1>();
    let Ok(grads) = s.backward() else {
        return (f32::NAN, f32::NAN);
    };
    let (Ok(dw), Ok(db), Ok(du), Ok(dx)) = (grads.wrt(w), grads.wrt(b), grads.wrt(u), grads.wrt(x))
    else {
        return (f32::NAN, f32::NAN);
    };
    let probe = dw[(H - 1, D - 1)] + db[H - 1] + du[0] + dx[D - 1];
    drop(grads);
    (s.scalar(), probe)
}

/// The window classifier's hidden layer `tanh(Wx + b)` as a compiled model: `W` and `b`
/// live in its `Linear`.
pub type Hidden<const H: usize, const D: usize> = (Linear<f32, D, H>, Tanh);

/// The model built from the benchmark's data (copied once, outside the timed loop).
pub fn hidden_model<const H: usize, const D: usize>(
    w: &SMatrix<f32, H, D>,
    b: &SVector<f32, H>,
) -> Hidden<H, D> {
    (
        Linear {
            weight: *w,
            bias: *b,
        },
        Tanh,
    )
}

/// What the compiled pass keeps: its cache, `h`, and the four gradients.
pub struct CompiledGrads<const H: usize, const D: usize> {
    pub cache: <Hidden<H, D> as Backprop<f32, Mat<D, 1>>>::Cache,
    pub h: SVector<f32, H>,
    /// `∂W` in `.0.weight`, `∂b` in `.0.bias`.
    pub wb: <Hidden<H, D> as ParamGrads<f32>>::Grads,
    pub u: SVector<f32, H>,
    pub x: SVector<f32, D>,
}

impl<const H: usize, const D: usize> CompiledGrads<H, D> {
    /// Zeroed buffers.
    pub fn new() -> Self {
        CompiledGrads {
            cache: Zeroed::zeroed(),
            h: SVector::zeros(),
            wb: Zeroed::zeroed(),
            u: SVector::zeros(),
            x: SVector::zeros(),
        }
    }
}

/// The score and all four gradients on the compiled path: `h = tanh(Wx + b)` forward,
/// `s = u·h`, then the model's backward pass from `∂s/∂h = u`, and `∂s/∂u = h`.
pub fn compiled<const H: usize, const D: usize>(
    net: &Hidden<H, D>,
    u: &SVector<f32, H>,
    x: &SVector<f32, D>,
    out: &mut CompiledGrads<H, D>,
) -> f32 {
    net.forward_cached(x, &mut out.cache, &mut out.h);
    let s = u.dot(&out.h);
    out.u = out.h;
    net.backward(
        x,
        &out.h,
        &mut out.cache,
        u,
        &mut out.wb,
        Some(&mut out.x),
        None,
    );
    s
}
