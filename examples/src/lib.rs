//! Models shared by the host examples and the integration tests, written once,
//! generically over [`Real`], so the same code runs in `f64` in a check and in `f32` on a
//! chip.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod digits_data;
pub mod outgrow;
pub mod plot;

use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::{Real, Var};

/// The lecture's gate example, `f(x, y, z) = (x + y)·max(y, z)`.
///
/// `+` distributes the upstream gradient, `max` routes it, `*` switches it: at
/// `(1, 2, 0)`, `f = 6` and `∇f = (2, 5, 0)`.
pub fn gates<'g, T: Real>(
    x: Var<'g, T, 1, 1>,
    y: Var<'g, T, 1, 1>,
    z: Var<'g, T, 1, 1>,
) -> Var<'g, T, 1, 1> {
    (x + y) * y.max(z)
}

/// The CS224n window classifier's score `s = uᵀ tanh(W x + b)`, for a window `x` of
/// `D` stacked word-vector entries and `H` hidden units.
pub fn window_score<'g, T: Real, const H: usize, const D: usize>(
    w: Var<'g, T, H, D>,
    b: Var<'g, T, H, 1>,
    u: Var<'g, T, H, 1>,
    x: Var<'g, T, D, 1>,
) -> Var<'g, T, 1, 1> {
    u.dot((w * x + b).tanh())
}

/// The window classifier's gradients derived by hand (lecture 4): with `z = Wx + b`,
/// `h = tanh z` and `δ = u ∘ (1 − h²)`,
/// `∂s/∂W = δxᵀ`, `∂s/∂b = δ`, `∂s/∂u = h`, `∂s/∂x = Wᵀδ`.
pub struct WindowGrads<T: Real, const H: usize, const D: usize> {
    /// `δxᵀ`
    pub w: SMatrix<T, H, D>,
    /// `δ`
    pub b: SVector<T, H>,
    /// `h`
    pub u: SVector<T, H>,
    /// `Wᵀδ`
    pub x: SVector<T, D>,
}

/// Computes [`WindowGrads`] with plain nalgebra, no tape.
pub fn window_grads_by_hand<T: Real, const H: usize, const D: usize>(
    w: &SMatrix<T, H, D>,
    b: &SVector<T, H>,
    u: &SVector<T, H>,
    x: &SVector<T, D>,
) -> WindowGrads<T, H, D> {
    let h = (w * x + b).map(|z| z.tanh());
    let delta = u.component_mul(&h.map(|h| T::one() - h * h));
    WindowGrads {
        w: delta * x.transpose(),
        b: delta,
        u: h,
        x: w.transpose() * delta,
    }
}

/// The lecture's window, `museums in Paris are amazing`.
pub const WINDOW: [&str; 5] = ["museums", "in", "Paris", "are", "amazing"];

/// Deterministic example data: entries uniform in `(−scale, scale)`, drawn from
/// [`stackgrad::nn::Rng`] seeded with `seed`.
pub fn pseudo_random<const R: usize, const C: usize>(seed: u64, scale: f64) -> SMatrix<f64, R, C> {
    let mut rng = stackgrad::nn::Rng::seed_from_u64(seed);
    SMatrix::from_fn(|_, _| rng.uniform(-scale, scale))
}
