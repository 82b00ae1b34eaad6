//! A gradient self-check that a device can run at boot, in O(1) extra memory.
//!
//! The check compares the analytic directional derivative `⟨g, v⟩` with the central
//! difference `(f(x + h·v) − f(x − h·v)) / 2h` along one pseudo-random direction `v`.
//! One direction tests every component of `g` at once: a wrong component changes
//! `⟨g, v⟩` unless it happens to be cancelled, which a second seed rules out.
//!
//! Nothing here stores a vector. A [`Direction`] is a seed; its components (each `±1`,
//! a Rademacher vector) are regenerated from the seed every time they are needed, so
//! the check itself keeps a few scalars. The function is evaluated along the line
//! `t ↦ f(x + t·v)`: the caller builds the perturbed input from [`Direction::iter`],
//! so the parameters are never modified (no round-off from perturbing and restoring).
//!
//! ```
//! use stackgrad::check::{check_gradient, Direction, Tolerance};
//!
//! // f(x) = x₀² + 3·x₁, so ∇f = (2·x₀, 3).
//! let x = [1.5_f64, -2.0];
//! let g = [3.0, 3.0];
//! let dir = Direction::new(7);
//! let f = |t: f64| {
//!     let mut v = dir.iter::<f64>();
//!     let x0 = x[0] + t * v.next().unwrap_or(0.0);
//!     let x1 = x[1] + t * v.next().unwrap_or(0.0);
//!     x0 * x0 + 3.0 * x1
//! };
//! let c = check_gradient(f, g.iter().copied(), &dir, 1e-4, Tolerance::new(1e-6, 1e-9));
//! assert!(c.passed, "{c:?}");
//! ```

use crate::nn::Rng;
use crate::Real;

/// A direction `v ∈ {−1, +1}ⁿ`, stored as its seed: O(1) memory for any `n`.
///
/// [`Direction::iter`] yields the same components every time it is called. Components
/// are `±1`, so `‖v‖² = n` and the central difference along `v` has the same step `h`
/// in every coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Direction {
    seed: u32,
}

impl Direction {
    /// The direction with this seed.
    pub const fn new(seed: u32) -> Self {
        Self { seed }
    }

    /// The seed.
    pub const fn seed(&self) -> u32 {
        self.seed
    }

    /// The components `v₀, v₁, …` (each `±1`), an endless iterator: take as many as the
    /// input has, in the same order as the gradient is given to [`check_gradient`].
    pub fn iter<S: Real>(&self) -> DirectionIter<S> {
        DirectionIter {
            rng: Rng::seed_from_u64(u64::from(self.seed)),
            _scalar: core::marker::PhantomData,
        }
    }

    /// `⟨g, v⟩` over as many components as `g` yields.
    pub fn dot<S: Real>(&self, g: impl IntoIterator<Item = S>) -> S {
        let mut acc = S::zero();
        for (gi, vi) in g.into_iter().zip(self.iter::<S>()) {
            acc += gi * vi;
        }
        acc
    }
}

/// The components of a [`Direction`]; see [`Direction::iter`].
#[derive(Clone, Debug)]
pub struct DirectionIter<S> {
    rng: Rng,
    _scalar: core::marker::PhantomData<S>,
}

impl<S: Real> Iterator for DirectionIter<S> {
    type Item = S;
    fn next(&mut self) -> Option<S> {
        // One bit of the crate's generator (xoshiro256**) per component.
        if self.rng.next_u64() >> 63 != 0 {
            Some(S::one())
        } else {
            Some(-S::one())
        }
    }
}

/// How close the two directional derivatives must be.
///
/// They pass when `|analytic − numeric| ≤ max(abs, rel · max(|analytic|, |numeric|))`
/// and both are finite. The absolute floor keeps a tiny true derivative (where the
/// relative error is meaningless) from failing on round-off alone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance<S> {
    /// Relative tolerance.
    pub rel: S,
    /// Absolute floor.
    pub abs: S,
}

impl<S: Real> Tolerance<S> {
    /// A tolerance from `rel` and `abs` (given as `f64`, converted to `S`).
    pub fn new(rel: f64, abs: f64) -> Self {
        Self {
            rel: S::constant(rel),
            abs: S::constant(abs),
        }
    }
}

/// The outcome of one check: both values, the error and the verdict.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Check<S> {
    /// `⟨g, v⟩` from the analytic gradient.
    pub analytic: S,
    /// `(f(x + h·v) − f(x − h·v)) / 2h`.
    pub numeric: S,
    /// `|analytic − numeric|` (NaN if either is NaN).
    pub error: S,
    /// The largest error that passes: `max(abs, rel · max(|analytic|, |numeric|))`.
    pub allowed: S,
    /// `true` only if both values are finite and `error ≤ allowed`. NaN never passes.
    pub passed: bool,
}

/// Compares a known slope with the central difference of `phi` at 0.
///
/// `phi(t)` must be `f(x + t·v)`, and `slope` the analytic `⟨∇f(x), v⟩`. Evaluates `phi`
/// twice, at `h` and `−h`. The central difference has truncation error `O(h²·|φ'''|)`
/// and round-off `O(ε·|f| / h)`: `h ≈ 1e-3` suits `f32` on functions of order 1, and
/// `h ≈ 1e-6` suits `f64`.
pub fn check_slope<S: Real>(
    mut phi: impl FnMut(S) -> S,
    slope: S,
    h: S,
    tol: Tolerance<S>,
) -> Check<S> {
    let plus = phi(h);
    let minus = phi(-h);
    let numeric = (plus - minus) / (h + h);
    compare(slope, numeric, tol)
}

/// Checks a gradient `g` along `dir`: [`check_slope`] with `slope = ⟨g, v⟩`.
///
/// `phi(t)` must evaluate `f(x + t·v)`, taking the components of `v` from
/// `dir.iter()` in the order `g` yields them. Extra memory: a few scalars.
pub fn check_gradient<S: Real>(
    phi: impl FnMut(S) -> S,
    g: impl IntoIterator<Item = S>,
    dir: &Direction,
    h: S,
    tol: Tolerance<S>,
) -> Check<S> {
    check_slope(phi, dir.dot(g), h, tol)
}

/// The verdict on two values of the same derivative (see [`Tolerance`]).
pub fn compare<S: Real>(analytic: S, numeric: S, tol: Tolerance<S>) -> Check<S> {
    let error = (analytic - numeric).abs();
    let scale = Real::max(analytic.abs(), numeric.abs());
    let allowed = Real::max(tol.abs, tol.rel * scale);
    // Written so that a NaN anywhere fails: `NaN <= x` is false.
    let passed = analytic.is_finite() && numeric.is_finite() && error <= allowed;
    Check {
        analytic,
        numeric,
        error,
        allowed,
        passed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_is_reproducible_and_balanced() {
        let d = Direction::new(3);
        let mut plus = 0;
        for (a, b) in d.iter::<f32>().zip(d.iter::<f32>()).take(1000) {
            assert_eq!(a, b);
            assert!(a == 1.0 || a == -1.0);
            if a > 0.0 {
                plus += 1;
            }
        }
        assert!((400..600).contains(&plus), "{plus}");
        assert!(!Direction::new(3)
            .iter::<f32>()
            .take(32)
            .eq(Direction::new(4).iter::<f32>().take(32)));
    }

    /// f(x) = Σ sin(xᵢ)·xᵢ₊₁ + x₀³ over 6 inputs, and its gradient.
    fn f(x: &[f64; 6]) -> f64 {
        let mut s = x[0] * x[0] * x[0];
        for i in 0..5 {
            s += Real::sin(x[i]) * x[i + 1];
        }
        s
    }

    fn grad(x: &[f64; 6]) -> [f64; 6] {
        let mut g = [0.0; 6];
        g[0] = 3.0 * x[0] * x[0];
        for i in 0..5 {
            g[i] += Real::cos(x[i]) * x[i + 1];
            g[i + 1] += Real::sin(x[i]);
        }
        g
    }

    fn run(g: &[f64; 6], seed: u32) -> Check<f64> {
        let x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1];
        let dir = Direction::new(seed);
        let phi = |t: f64| {
            let mut y = x;
            for (yi, vi) in y.iter_mut().zip(dir.iter::<f64>()) {
                *yi += t * vi;
            }
            f(&y)
        };
        check_gradient(
            phi,
            g.iter().copied(),
            &dir,
            1e-5,
            Tolerance::new(1e-6, 1e-9),
        )
    }

    #[test]
    fn a_correct_gradient_passes() {
        let x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1];
        for seed in 1..20 {
            let c = run(&grad(&x), seed);
            assert!(c.passed, "seed {seed}: {c:?}");
            assert!(c.error <= c.allowed);
        }
    }

    #[test]
    fn a_wrong_gradient_fails() {
        let x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1];
        for k in 0..6 {
            let mut g = grad(&x);
            g[k] += 0.01;
            // A perturbation of one component changes ⟨g, v⟩ by ±0.01 for every seed.
            let c = run(&g, 5);
            assert!(!c.passed, "component {k}: {c:?}");
        }
    }

    #[test]
    fn nan_never_passes() {
        let x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1];
        let mut g = grad(&x);
        g[2] = f64::NAN;
        let c = run(&g, 5);
        assert!(!c.passed);
        assert!(c.analytic.is_nan() && c.error.is_nan());
        // A function that returns NaN fails too, even with a huge tolerance.
        let c = check_slope(|_| f64::NAN, 1.0, 1e-3, Tolerance::new(1e30, 1e30));
        assert!(!c.passed);
        // And so does an infinite slope against an infinite difference.
        let c = check_slope(
            |t| t * f64::INFINITY,
            f64::INFINITY,
            1.0,
            Tolerance::new(1.0, 1.0),
        );
        assert!(!c.passed);
    }

    #[test]
    fn tolerance_is_two_sided_with_an_absolute_floor() {
        let tol = Tolerance::new(1e-3, 1e-6);
        assert!(compare(1.0, 1.0005, tol).passed);
        assert!(compare(1.0005, 1.0, tol).passed);
        assert!(!compare(1.0, 1.01, tol).passed);
        assert!(!compare(1.01, 1.0, tol).passed);
        // Near zero the floor decides.
        assert!(compare(0.0, 5e-7, tol).passed);
        assert!(!compare(0.0, 5e-6, tol).passed);
    }

    #[test]
    fn works_in_f32() {
        let x = [0.5_f32, -0.25, 1.0];
        let g = [2.0 * x[0], x[2], x[1]]; // f = x₀² + x₁·x₂
        let dir = Direction::new(11);
        let phi = |t: f32| {
            let mut v = dir.iter::<f32>();
            let mut y = x;
            for yi in y.iter_mut() {
                *yi += t * v.next().unwrap_or(0.0);
            }
            y[0] * y[0] + y[1] * y[2]
        };
        let c = check_gradient(phi, g, &dir, 1e-2, Tolerance::new(1e-3, 1e-5));
        assert!(c.passed, "{c:?}");
    }
}
