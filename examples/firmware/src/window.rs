//! The CS224n window classifier, `s = uᵀ tanh(W x + b)`, with a hand-written backward
//! pass: the baseline that stackgrad's gradient is measured against.
//!
//! `x` is the concatenation of the word vectors of a 5-word window
//! (`museums in Paris are amazing`, 4 numbers per word), `W` is 8 × 20. With
//! `h = tanh(z)`, `z = W x + b` and `δ = u ∘ (1 − h²)` (lecture 4):
//! `∂s/∂u = h`, `∂s/∂b = δ`, `∂s/∂W = δ xᵀ`, `∂s/∂x = Wᵀ δ`.
//!
//! Written in place with nalgebra's BLAS-style operations (`gemv`, `ger`, `gemv_tr`),
//! so the baseline does no more work than a careful C implementation would.

use stackgrad::compiled::{Backprop, ParamGrads, Zeroed};
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::nn::{Layer, Linear, Mat, Module, Rng, Tanh};
use stackgrad::{Error, Graph, Real, Tape, Usage, Var};

/// Words in a window.
pub const WORDS: usize = 5;
/// Numbers per word vector.
pub const DIM: usize = 4;
/// Inputs: `WORDS · DIM`.
pub const INPUTS: usize = WORDS * DIM;
/// Hidden units.
pub const HIDDEN: usize = 8;

/// The window `museums in Paris are amazing`, one (made-up, fixed) 4-vector per word.
pub const WINDOW: [[f64; DIM]; WORDS] = [
    [0.25, -0.5, 0.75, 0.125],   // museums
    [-0.375, 0.5, 0.0, -0.25],   // in
    [0.875, 0.25, -0.625, 0.5],  // Paris
    [-0.125, -0.25, 0.375, 0.0], // are
    [0.5, 0.625, 0.25, -0.75],   // amazing
];

/// The parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Window<S: Real> {
    /// Weights, `HIDDEN × INPUTS`.
    pub w: SMatrix<S, HIDDEN, INPUTS>,
    /// Bias.
    pub b: SVector<S, HIDDEN>,
    /// Output weights.
    pub u: SVector<S, HIDDEN>,
}

/// The gradient of `s` with respect to each parameter and to the input.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowGrads<S: Real> {
    /// `∂s/∂W = δ xᵀ`.
    pub w: SMatrix<S, HIDDEN, INPUTS>,
    /// `∂s/∂b = δ`.
    pub b: SVector<S, HIDDEN>,
    /// `∂s/∂u = h`.
    pub u: SVector<S, HIDDEN>,
    /// `∂s/∂x = Wᵀ δ`.
    pub x: SVector<S, INPUTS>,
}

impl<S: Real> WindowGrads<S> {
    /// All zeros.
    pub fn zeros() -> Self {
        Self {
            w: SMatrix::zeros(),
            b: SVector::zeros(),
            u: SVector::zeros(),
            x: SVector::zeros(),
        }
    }
}

/// The input vector `x` of [`WINDOW`].
pub fn window_input<S: Real>() -> SVector<S, INPUTS> {
    SVector::from_fn(|i, _| S::constant(WINDOW[i / DIM][i % DIM]))
}

impl<S: Real> Window<S> {
    /// The same classifier on the compiled path.
    pub fn compiled(&self) -> CompiledWindow<S> {
        CompiledWindow {
            hidden: (
                Linear {
                    weight: self.w,
                    bias: self.b,
                },
                Tanh,
            ),
            cache: Zeroed::zeroed(),
            h: SVector::zeros(),
            grads: Zeroed::zeroed(),
        }
    }

    /// Fixed pseudo-random parameters (the crate's [`Rng`] from `seed`), the same on
    /// every target:
    /// `W` uniform in `±0.3`, `b` in `±0.1`, `u` in `±0.5`.
    pub fn example(seed: u32) -> Self {
        let mut r = Rng::seed_from_u64(u64::from(seed));
        let mut next = |scale: f64| S::constant(scale * r.uniform(-1.0, 1.0));
        let w = SMatrix::from_fn(|_, _| next(0.3));
        let b = SVector::from_fn(|_, _| next(0.1));
        let u = SVector::from_fn(|_, _| next(0.5));
        Self { w, b, u }
    }

    /// Forward pass: writes `h = tanh(W x + b)` and returns `s = uᵀ h`.
    pub fn forward(&self, x: &SVector<S, INPUTS>, h: &mut SVector<S, HIDDEN>) -> S {
        h.copy_from(&self.b);
        h.gemv(S::one(), &self.w, x, S::one());
        h.apply(|v| *v = Real::tanh(*v));
        self.u.dot(h)
    }

    /// Backward pass from `h` (kept by [`Window::forward`]): writes every gradient.
    pub fn backward(&self, x: &SVector<S, INPUTS>, h: &SVector<S, HIDDEN>, g: &mut WindowGrads<S>) {
        g.u.copy_from(h);
        // δ = u ∘ (1 − h²), kept in g.b.
        for ((d, &ui), &hi) in g.b.iter_mut().zip(self.u.iter()).zip(h.iter()) {
            *d = ui * (S::one() - hi * hi);
        }
        // β = 0: nalgebra never reads the old contents.
        g.w.ger(S::one(), &g.b, x, S::zero());
        g.x.gemv_tr(S::one(), &self.w, &g.b, S::zero());
    }

    /// One gradient step's worth of work: forward, then backward. Returns `s`.
    pub fn gradient(&self, x: &SVector<S, INPUTS>, g: &mut WindowGrads<S>) -> S {
        let mut h = SVector::zeros();
        let s = self.forward(x, &mut h);
        self.backward(x, &h, g);
        s
    }
}

/// The window classifier's hidden layer `tanh(Wx + b)` as layers, for the compiled path
/// (and, through their constants, for sizing the tape).
pub type Hidden<S> = (Linear<S, INPUTS, HIDDEN>, Tanh);

/// What the window classifier records when every leaf is tracked (a gradient step): the
/// four leaves' gradients (`W`, `b`, `u`, `x`), the operations as the lecture writes
/// them, `W·x` and `+ b` (a value and a gradient of `HIDDEN` scalars each, 1 node each),
/// `tanh` (the `Tanh` layer's constant) and the score `u·h` (2 scalars, 1 node).
/// Computed by the compiler. (Recorded through [`Linear`]'s forward pass instead, `Wx + b`
/// is one node: its `FORWARD`.)
pub const WINDOW_USAGE: Usage = Usage {
    scalars: <Hidden<f32> as Module<f32>>::PARAMS + HIDDEN + INPUTS,
    nodes: 4,
}
.plus(Usage {
    scalars: 4 * HIDDEN,
    nodes: 2,
})
.plus(<Tanh as Layer<f32, Mat<HIDDEN, 1>>>::FORWARD)
.plus(Usage {
    scalars: 2,
    nodes: 1,
});

/// A tape exactly as big as the window classifier needs.
pub type WindowTape<S> = Tape<S, { WINDOW_USAGE.scalars }, { WINDOW_USAGE.nodes }>;

/// The window classifier on the compiled path: the hidden layer with `W` and `b`, and
/// its buffers. Built once from a [`Window`] (outside any measured loop).
pub struct CompiledWindow<S: Real> {
    hidden: Hidden<S>,
    cache: <Hidden<S> as Backprop<S, Mat<INPUTS, 1>>>::Cache,
    h: SVector<S, HIDDEN>,
    grads: <Hidden<S> as ParamGrads<S>>::Grads,
}

impl<S: Real> CompiledWindow<S> {
    /// The score and all four gradients: `h = tanh(Wx + b)` forward, `s = u·h`, then the
    /// hidden layer's backward pass from `∂s/∂h = u` (writing `∂W`, `∂b` and `∂x`), and
    /// `∂s/∂u = h`. `∂W` and `∂b` stay in the buffers ([`CompiledWindow::copy_grads`]).
    pub fn gradient(
        &mut self,
        u: &SVector<S, HIDDEN>,
        x: &SVector<S, INPUTS>,
        g: &mut WindowGrads<S>,
    ) -> S {
        self.hidden.forward_cached(x, &mut self.cache, &mut self.h);
        let s = u.dot(&self.h);
        g.u.copy_from(&self.h);
        self.hidden.backward(
            x,
            &self.h,
            &mut self.cache,
            u,
            &mut self.grads,
            Some(&mut g.x),
            None,
        );
        s
    }

    /// Copies `∂W` and `∂b` of the last [`CompiledWindow::gradient`] into `g`.
    pub fn copy_grads(&self, g: &mut WindowGrads<S>) {
        g.w.copy_from(&self.grads.0.weight);
        g.b.copy_from(&self.grads.0.bias);
    }
}

/// The window classifier recorded on a graph: its four leaves (all tracked, as in a
/// gradient step) and its score.
struct Recorded<'g, S> {
    w: Var<'g, S, HIDDEN, INPUTS>,
    b: Var<'g, S, HIDDEN, 1>,
    u: Var<'g, S, HIDDEN, 1>,
    x: Var<'g, S, INPUTS, 1>,
    s: Var<'g, S, 1, 1>,
}

impl<S: Real> Window<S> {
    /// Records `s = u · tanh(W x + b)` on `g`, every leaf tracked.
    fn record_on<'a, 'g, const N: usize, const M: usize>(
        &'a self,
        g: &'g Graph<'a, S, N, M>,
        x: &'a SVector<S, INPUTS>,
    ) -> Recorded<'g, S> {
        let (w, b, u, x) = (
            g.param(&self.w),
            g.param(&self.b),
            g.param(&self.u),
            g.param(x),
        );
        let s = u.dot((w * x + b).tanh());
        Recorded { w, b, u, x, s }
    }

    /// stackgrad's forward pass: records `s = u · tanh(W x + b)` with every leaf tracked
    /// (as a gradient step does) and returns `s`, without the backward pass.
    pub fn record<const N: usize, const M: usize>(
        &self,
        tape: &mut Tape<S, N, M>,
        x: &SVector<S, INPUTS>,
    ) -> Result<S, Error> {
        let g = tape.graph();
        let r = self.record_on(&g, x);
        match g.error() {
            Some(e) => Err(e),
            None => Ok(r.s.scalar()),
        }
    }

    /// stackgrad's gradient step: records the graph and runs the backward pass. The
    /// gradients stay in the tape (read them with [`Tape::grad`]); if `out` is given they
    /// are also copied there. Returns `s`.
    pub fn stackgrad_gradient<const N: usize, const M: usize>(
        &self,
        tape: &mut Tape<S, N, M>,
        x: &SVector<S, INPUTS>,
        out: Option<&mut WindowGrads<S>>,
    ) -> Result<S, Error> {
        let g = tape.graph();
        let r = self.record_on(&g, x);
        let value = r.s.scalar();
        let grads = r.s.backward()?;
        if let Some(out) = out {
            out.w.copy_from(&grads.wrt(r.w)?);
            out.b.copy_from(&grads.wrt(r.b)?);
            out.u.copy_from(&grads.wrt(r.u)?);
            out.x.copy_from(&grads.wrt(r.x)?);
        }
        Ok(value)
    }

    /// `s` at `W + t·Vw, b + t·Vb, u + t·Vu, x + t·Vx`, the direction's components taken
    /// in the order `W` (column-major), `b`, `u`, `x`: the line a gradient self-check
    /// differentiates along.
    pub fn score_along(
        &self,
        x: &SVector<S, INPUTS>,
        dir: &stackgrad::check::Direction,
        t: S,
    ) -> S {
        let mut v = dir.iter::<S>();
        let mut moved = self.clone();
        let mut xm = *x;
        for p in moved
            .w
            .iter_mut()
            .chain(moved.b.iter_mut())
            .chain(moved.u.iter_mut())
            .chain(xm.iter_mut())
        {
            *p += t * v.next().unwrap_or(S::zero());
        }
        let mut h = SVector::zeros();
        moved.forward(&xm, &mut h)
    }
}

impl<S: Real> WindowGrads<S> {
    /// Every component in the order of [`Window::score_along`]: `W`, `b`, `u`, `x`.
    pub fn iter(&self) -> impl Iterator<Item = S> + '_ {
        self.w
            .iter()
            .chain(self.b.iter())
            .chain(self.u.iter())
            .chain(self.x.iter())
            .copied()
    }

    /// The largest `|a − b|` over every component (NaN if any is NaN).
    pub fn max_abs_diff(&self, other: &Self) -> S {
        let mut m = S::zero();
        for (a, b) in self.iter().zip(other.iter()) {
            m = Real::max(m, (a - b).abs());
        }
        m
    }
}
