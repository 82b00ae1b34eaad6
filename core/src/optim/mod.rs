//! Optimizers with fixed-size state, learning-rate schedules and gradient clipping.
//!
//! Every optimizer follows PyTorch's `torch.optim` update rule and defaults, so a run can
//! be compared with PyTorch step by step; each file writes its rule out. State lives in
//! arrays sized by a const generic `P`, the number of parameter scalars (`Adam<f32, P>`
//! holds `2·P` scalars), only where the configuration needs it: plain [`Sgd`] holds none,
//! [`SgdMomentum`] one buffer. No allocation is ever needed.
//!
//! Configuration is one way for all: `new(lr)`, then builder methods for the rest.
//!
//! A model is stepped with [`Optimizer::step_model`]: each parameter with its own
//! gradient, found through the id of its variable ([`Module`]), whatever order the
//! parameters were bound in. Raw slices go through [`Optimizer::step`].
//!
//! After a step, parameters and state hold no subnormal numbers: each value written is
//! flushed to a zero of its sign when it falls below the smallest normal number
//! ([`flush`](crate::flush)), so a long run does not slow down as dead units decay.
//!
//! A step either updates every parameter or changes nothing: the lengths, the gradients,
//! the parameters and the hyper-parameters are checked first ([`Error::LengthMismatch`],
//! [`Error::NonFinite`], or the error of a gradient that cannot be read), and only then
//! are parameters and state written.
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
mod pairs;
mod rmsprop;
mod schedule;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use clip::{clip_grad_norm, clip_model_grad_norm, global_norm};
pub use pairs::{ModelPairs, Pairs, SlicePairs};
pub use rmsprop::RmsProp;
pub use schedule::Schedule;
pub use sgd::{Sgd, SgdMomentum};

use crate::nn::Module;
use crate::{Error, Real, Tape};

/// A gradient-descent rule, with state for `P` parameter scalars where its configuration
/// needs state.
pub trait Optimizer<T: Real> {
    /// The number of parameter scalars the state is sized for (`P`), or `None` if the
    /// optimizer holds no per-parameter state (it then steps any number).
    fn num_params(&self) -> Option<usize>;

    /// The current learning rate.
    fn lr(&self) -> T;

    /// Sets the learning rate (what a [`Schedule`] does between steps).
    fn set_lr(&mut self, lr: T);

    /// How many steps have been taken.
    fn steps(&self) -> u32;

    /// Forgets the state (moments, accumulators, step count), as a fresh optimizer.
    fn reset(&mut self);

    /// [`Error::NonFinite`] if a hyper-parameter is NaN or infinite.
    fn check_config(&self) -> Result<(), Error>;

    /// Calls `f` on each part of the optimizer's state as a slice, in a fixed order (the
    /// buffers, then the step count as a one-scalar slice, exact up to 2²⁴ steps in
    /// `f32`), and takes back what `f` wrote: what a
    /// [checkpoint](crate::checkpoint::Training) saves and restores.
    fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T]));

    /// One step over parameter/gradient pairs: checks everything ([`Pairs::check`],
    /// [`Optimizer::check_config`]), then updates each parameter. The building block of
    /// [`Optimizer::step`] and [`Optimizer::step_model`].
    ///
    /// # Errors
    ///
    /// Nothing is changed, neither parameters nor state, on any error.
    fn step_with<Q: Pairs<T>>(&mut self, pairs: Q) -> Result<(), Error>;

    /// One step over parameters and gradients given as slices of equal length (`P`
    /// scalars for an optimizer with state).
    ///
    /// # Errors
    ///
    /// Nothing is changed if: [`Error::LengthMismatch`] the lengths differ (or differ
    /// from `P`); [`Error::NonFinite`] a gradient, parameter or hyper-parameter is NaN or
    /// infinite.
    fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<(), Error> {
        self.step_with(SlicePairs::new(params, grads))
    }

    /// One step over a model's parameters, each with its own gradient read from `tape`
    /// through `ids` (from [`Module::ids`] on the graph that ran backward).
    ///
    /// # Errors
    ///
    /// Nothing is changed if a gradient cannot be read ([`Error::Foreign`],
    /// [`Error::Stale`], [`Error::NoBackward`], [`Error::Untracked`]: see
    /// [`Tape::grad`]), if the model does not hold `P` scalars
    /// ([`Error::LengthMismatch`]), or if a gradient, parameter or hyper-parameter is
    /// not finite ([`Error::NonFinite`]).
    fn step_model<M: Module<T>, const S: usize, const N: usize>(
        &mut self,
        model: &mut M,
        tape: &Tape<T, S, N>,
        ids: &M::Ids,
    ) -> Result<(), Error> {
        self.step_with(ModelPairs::new(model, tape, ids))
    }
}

/// The accessors every optimizer shares: `lr`, `set_lr` and `steps`, over fields `lr` and
/// `t` of the given path (`self.lr` or `self.0.lr`).
macro_rules! lr_and_steps {
    ($($field:tt).*) => {
        fn lr(&self) -> T {
            self.$($field.)*lr
        }
        fn set_lr(&mut self, lr: T) {
            self.$($field.)*lr = lr;
        }
        fn steps(&self) -> u32 {
            self.$($field.)*t
        }
    };
}
pub(crate) use lr_and_steps;

/// Hands the step count to `f` as a one-scalar slice and takes back what it wrote (a
/// negative, non-finite or fractional value becomes the nearest valid count).
pub(crate) fn visit_steps<T: Real>(t: &mut u32, f: &mut dyn FnMut(&mut [T])) {
    let mut s = [T::constant(f64::from(*t))];
    f(&mut s);
    let v = s[0].to_f64();
    *t = if v.is_finite() && v > 0.0 {
        libm::round(v.min(f64::from(u32::MAX))) as u32
    } else {
        0
    };
}

/// [`Error::NonFinite`] unless every value is finite.
pub(crate) fn finite<T: Real>(xs: &[T]) -> Result<(), Error> {
    if xs.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(Error::NonFinite)
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

    /// Every optimizer leaves no subnormal parameter: a step that would make one writes 0.
    pub(crate) fn flushes_subnormals(mut opt: impl Optimizer<f64>) {
        let tiny = f64::MIN_POSITIVE;
        let mut p = [tiny * 1.5, -tiny * 1.5];
        // A gradient that moves each parameter just under the normal range (or across
        // zero by a subnormal amount): whatever lands there must be flushed.
        for _ in 0..50 {
            let g = p;
            opt.step(&mut p, &g).unwrap();
            assert!(p.iter().all(|x| !x.is_subnormal()), "{p:?}");
        }
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
        if opt.num_params().is_some() {
            assert_eq!(
                opt.step(&mut p[..1], &[0.1]),
                Err(Error::LengthMismatch {
                    expected: 2,
                    found: 1
                })
            );
        }
        let mut bad_p = p;
        bad_p[0] = f64::NAN;
        assert_eq!(opt.step(&mut bad_p, &[0.1, 0.2]), Err(Error::NonFinite));
        assert_eq!(opt, opt_before);
        let mut bad_lr = opt.clone();
        bad_lr.set_lr(f64::NAN);
        assert_eq!(bad_lr.step(&mut p, &[0.1, 0.2]), Err(Error::NonFinite));
        assert_eq!(p, p_before);
        opt.step(&mut p, &[0.1, 0.2]).unwrap();
        assert_eq!(opt.steps(), 2);
        opt.reset();
        assert_eq!(opt.steps(), 0);
    }
}
