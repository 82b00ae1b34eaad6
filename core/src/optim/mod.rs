//! Optimizers with fixed-size state, learning-rate schedules and gradient clipping.
//!
//! Every optimizer follows PyTorch's `torch.optim` update rule and defaults, so a run can
//! be compared with PyTorch step by step; each file writes its rule out. State lives in
//! arrays sized by a const generic `P`, the number of parameter scalars (`Adam<f32, P>`
//! holds `2·P` scalars), so no allocation is ever needed.
//!
//! A step either updates every parameter or changes nothing: the lengths and the
//! gradients are checked first ([`Error::LengthMismatch`], [`Error::NonFinite`]), and
//! only then are parameters and state written.
//!
//! ```
//! use stackgrad::optim::{Adam, Optimizer};
//! let mut p = [1.0f64, -2.0];
//! let mut adam: Adam<f64, 2> = Adam::new(0.1);
//! adam.step(&mut p, &[0.5, -0.5])?;          // moves each by ≈ lr against the gradient
//! assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] + 1.9).abs() < 1e-6);
//! assert!(adam.step(&mut p, &[f64::NAN, 0.0]).is_err()); // refused, nothing changed
//! assert!((p[0] - 0.9).abs() < 1e-6);
//! # Ok::<(), stackgrad::Error>(())
//! ```

mod adagrad;
mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use clip::{clip_grad_norm, global_norm};
pub use rmsprop::RmsProp;
pub use schedule::Schedule;
pub use sgd::Sgd;

use crate::{Error, Real};

/// A gradient-descent rule with its own state for `P` parameter scalars.
pub trait Optimizer<T: Real> {
    /// The number of parameter scalars the state is sized for (`P`).
    fn num_params(&self) -> usize;

    /// The current learning rate.
    fn lr(&self) -> T;

    /// Sets the learning rate (what a [`Schedule`] does between steps).
    fn set_lr(&mut self, lr: T);

    /// How many steps have been taken.
    fn steps(&self) -> u32;

    /// Forgets the state (moments, accumulators, step count), as a fresh optimizer.
    fn reset(&mut self);

    /// One step over parameters given in parts (a model's weight matrices and biases),
    /// whose gradients are one slice in the same order: exactly how a tape lays out the
    /// gradients of parameters registered before any operation
    /// ([`Tape::grads`](crate::Tape::grads)).
    ///
    /// # Errors
    ///
    /// Nothing is changed, neither parameters nor state, if:
    /// [`Error::LengthMismatch`] the parts do not hold `P` scalars together, or `grads`
    /// does not hold `P`; [`Error::NonFinite`] a gradient is NaN or infinite.
    fn step_parts<const K: usize>(
        &mut self,
        params: [&mut [T]; K],
        grads: &[T],
    ) -> Result<(), Error>;

    /// One step over parameters and gradients of `P` scalars each. Errors as
    /// [`Optimizer::step_parts`].
    fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<(), Error> {
        self.step_parts([params], grads)
    }
}

/// The checks every step makes before it writes anything.
pub(crate) fn validate<T: Real, const K: usize>(
    p: usize,
    params: &[&mut [T]; K],
    grads: &[T],
) -> Result<(), Error> {
    let found: usize = params.iter().map(|s| s.len()).sum();
    if found != p {
        return Err(Error::LengthMismatch { expected: p, found });
    }
    if grads.len() != p {
        return Err(Error::LengthMismatch {
            expected: p,
            found: grads.len(),
        });
    }
    if grads.iter().any(|g| !g.is_finite()) {
        return Err(Error::NonFinite);
    }
    Ok(())
}

/// Calls `f(i, param)` for every parameter scalar, numbered across the parts.
pub(crate) fn for_each<T, const K: usize>(params: [&mut [T]; K], mut f: impl FnMut(usize, &mut T)) {
    let mut i = 0;
    for part in params {
        for x in part.iter_mut() {
            f(i, x);
            i += 1;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `f(p) = ½‖p‖²`, whose gradient is `p`: the fixed problem of the hand-derived tests.
    /// Runs three steps from `p₀ = [1, −2]` and returns the parameters after each.
    pub(crate) fn three_steps(opt: &mut impl Optimizer<f64>) -> [[f64; 2]; 3] {
        let mut p = [1.0, -2.0];
        let mut out = [[0.0; 2]; 3];
        for o in out.iter_mut() {
            let g = p;
            opt.step(&mut p, &g).unwrap();
            *o = p;
        }
        out
    }

    /// Asserts that each step matches the hand-derived values to `tol`.
    pub(crate) fn assert_steps(got: [[f64; 2]; 3], want: [[f64; 2]; 3], tol: f64) {
        for (t, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            for (a, b) in g.iter().zip(w) {
                assert!(
                    (a - b).abs() <= tol,
                    "step {}: got {g:?}, derived {w:?}",
                    t + 1
                );
            }
        }
    }

    /// A non-finite gradient or a wrong length changes neither the parameters nor the
    /// state: the next valid step gives the same result as without the failed ones.
    pub(crate) fn refuses_bad_input<O: Optimizer<f64> + Clone + PartialEq + core::fmt::Debug>(
        mut opt: O,
    ) {
        let mut p = [1.0, -2.0];
        opt.step(&mut p, &[0.5, 0.25]).unwrap();
        let (p_before, opt_before) = (p, opt.clone());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(opt.step(&mut p, &[0.1, bad]), Err(Error::NonFinite));
            assert_eq!(p, p_before);
            assert_eq!(opt, opt_before);
        }
        assert_eq!(
            opt.step(&mut p, &[0.1]),
            Err(Error::LengthMismatch {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            opt.step(&mut p[..1], &[0.1]),
            Err(Error::LengthMismatch {
                expected: 2,
                found: 1
            })
        );
        let (a, b) = p.split_at_mut(1);
        assert!(opt.step_parts([a, b], &[0.1, 0.2, 0.3]).is_err());
        assert_eq!(p, p_before);
        assert_eq!(opt, opt_before);
        // Parts and one slice give the same step.
        let mut q = p;
        let mut opt2 = opt.clone();
        opt.step(&mut p, &[0.1, 0.2]).unwrap();
        let (a, b) = q.split_at_mut(1);
        opt2.step_parts([a, b], &[0.1, 0.2]).unwrap();
        assert_eq!(p, q);
        assert_eq!(opt.steps(), 2);
        opt.reset();
        assert_eq!(opt.steps(), 0);
    }
}
