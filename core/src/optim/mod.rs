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
//! A step either updates every parameter or changes nothing, and never writes NaN or
//! ±∞. Before anything is written it checks the hyper-parameters against their rule's
//! domain ([`Error::HyperParameter`], with PyTorch's ranges as the floor: `lr ≥ 0`,
//! `0 ≤ β < 1`, and `ε > 0` where the rule divides by it), the lengths and gradient ids
//! ([`Error::LengthMismatch`], [`Error::ParamMismatch`], or the error of a gradient that
//! cannot be read), that gradients, parameters and state are finite
//! ([`Error::NonFinite`]), and that the update cannot overflow ([`Error::Overflow`]).
//!
//! The price is paid once per step, not per scalar: one read of the gradients and
//! parameters for their largest magnitude (a branch-free max that vectorises), from
//! which each rule proves its results finite. The state is not read for it: each step
//! keeps its rule's bound on the state it wrote for the next one (the state is read
//! again after a reset, after [`Optimizer::visit_state`], or when the carried bound
//! has grown too loose to prove a step). Only when the proof fails (values near the
//! float's range) does the step compute its results once more without writing to check
//! them.
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
mod step;

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

    /// [`Error::HyperParameter`] naming the first hyper-parameter outside its rule's
    /// domain (NaN, infinite, or out of range: each optimizer's docs give the ranges).
    /// Every step calls it first; call it after building to fail early.
    fn check_config(&self) -> Result<(), Error>;

    /// Calls `f` on each part of the optimizer's state as a slice, in a fixed order (the
    /// buffers, then the step count as a one-scalar slice, exact up to 2²⁴ steps in
    /// `f32`), and takes back what `f` wrote: what a
    /// [checkpoint](crate::checkpoint::Training) saves and restores.
    fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T]));

    /// One step over parameter/gradient pairs: checks everything ([`Pairs::check`],
    /// [`Optimizer::check_config`], finiteness, overflow), then updates each parameter.
    /// The building block of [`Optimizer::step`] and [`Optimizer::step_model`].
    ///
    /// # Errors
    ///
    /// Nothing is changed, neither parameters nor state, on any error:
    /// [`Error::HyperParameter`], the errors of [`Pairs::check`], [`Error::NonFinite`]
    /// (a gradient, parameter or state value is NaN or ±∞) or [`Error::Overflow`].
    fn step_with<Q: Pairs<T>>(&mut self, pairs: Q) -> Result<(), Error>;

    /// One step over parameters and gradients given as slices of equal length (`P`
    /// scalars for an optimizer with state).
    ///
    /// # Errors
    ///
    /// Nothing is changed if: [`Error::LengthMismatch`] the lengths differ (or differ
    /// from `P`); [`Error::NonFinite`] a gradient or parameter is NaN or infinite;
    /// [`Error::HyperParameter`] or [`Error::Overflow`] (see [`Optimizer::step_with`]).
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
    /// [`Tape::grad`]), if an id is not the one its parameter was bound as
    /// ([`Error::ParamMismatch`]: another model's ids), if the model does not hold `P`
    /// scalars ([`Error::LengthMismatch`]), or on the errors of
    /// [`Optimizer::step_with`].
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

/// A hyper-parameter: PyTorch's default, kept as an `f64` until a step converts it (so
/// that every optimizer's `new` is a `const fn`, for any scalar type), or a value the
/// caller set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Hyper<T> {
    Default(f64),
    Set(T),
}

impl<T: Real> Hyper<T> {
    /// The value in `T`.
    #[inline]
    pub(crate) fn get(self) -> T {
        match self {
            Hyper::Default(x) => T::constant(x),
            Hyper::Set(x) => x,
        }
    }
}

/// The domain of a hyper-parameter, for [`Optimizer::check_config`].
#[derive(Clone, Copy)]
pub(crate) enum Domain {
    /// Finite.
    Finite,
    /// Finite and `≥ 0`.
    NonNegative,
    /// Finite and `> 0`.
    Positive,
    /// `0 ≤ x < 1`.
    Unit,
    /// `0 ≤ x ≤ 1`.
    ClosedUnit,
}

/// [`Error::HyperParameter`] naming the first `(name, value, domain)` outside its domain.
pub(crate) fn check_domains<T: Real>(params: &[(&'static str, T, Domain)]) -> Result<(), Error> {
    for &(name, x, domain) in params {
        let v = x.to_f64();
        let ok = x.is_finite()
            && match domain {
                Domain::Finite => true,
                Domain::NonNegative => v >= 0.0,
                Domain::Positive => v > 0.0,
                Domain::Unit => (0.0..1.0).contains(&v),
                Domain::ClosedUnit => (0.0..=1.0).contains(&v),
            };
        if !ok {
            return Err(Error::HyperParameter { name });
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::nn::Rng;

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
        for lr in [f64::NAN, f64::INFINITY, -0.1] {
            let mut bad_lr = opt.clone();
            bad_lr.set_lr(lr);
            assert_eq!(
                bad_lr.step(&mut p, &[0.1, 0.2]),
                Err(Error::HyperParameter { name: "lr" })
            );
            assert_eq!(p, p_before);
            assert_eq!(bad_lr.steps(), opt.steps());
        }
        // A state value made NaN (a corrupt checkpoint, say) is refused too.
        if opt.num_params().is_some() {
            let mut bad_state = opt.clone();
            let mut first = true;
            bad_state.visit_state(&mut |s| {
                if first {
                    s[1] = f64::NAN;
                    first = false;
                }
            });
            let mut before = bad_state.clone();
            assert_eq!(bad_state.step(&mut p, &[0.1, 0.2]), Err(Error::NonFinite));
            assert_eq!(p, p_before);
            assert_eq!(state_bits(&mut bad_state), state_bits(&mut before));
        }
        opt.step(&mut p, &[0.1, 0.2]).unwrap();
        assert_eq!(opt.steps(), 2);
        opt.reset();
        assert_eq!(opt.steps(), 0);
    }

    /// The bits of an optimizer's state (the first 16 values): equal even where NaN.
    fn state_bits(opt: &mut impl Optimizer<f64>) -> [u64; 16] {
        let mut bits = [0; 16];
        let mut i = 0;
        opt.visit_state(&mut |s| {
            for x in s.iter() {
                if let Some(b) = bits.get_mut(i) {
                    *b = x.to_bits();
                }
                i += 1;
            }
        });
        bits
    }

    /// Steps `opt` (f32, two parameters) with hostile gradients and parameters drawn
    /// from `rng`: every step either fails and changes nothing, or succeeds and leaves
    /// every parameter and state value finite and normal (or zero), and each step does
    /// what it does when the state's bounds are read instead of carried from the last
    /// step. Returns how many steps were refused.
    pub(crate) fn never_writes_non_finite<O>(opt: &mut O, rng: &mut Rng, steps: usize) -> usize
    where
        O: Optimizer<f32> + Clone + PartialEq + core::fmt::Debug,
    {
        let mut p = [1.0f32, -2.0];
        let mut refused = 0;
        let pick = |rng: &mut Rng| -> f32 {
            match rng.below(8) {
                0 => 0.0,
                1 => f32::MAX / (1.0 + rng.next_f64() as f32 * 3.0),
                2 => -1.0e20,
                3 => f32::MIN_POSITIVE * rng.next_f64() as f32,
                4 => 1.0e19 * rng.normal(0.0, 1.0),
                _ => rng.normal(0.0, 1.0),
            }
        };
        for _ in 0..steps {
            let g = [pick(rng), pick(rng)];
            if rng.below(4) == 0 {
                p = [pick(rng), pick(rng)];
            }
            let (p_before, opt_before) = (p, opt.clone());
            // A twin that forgets the state's bounds carried from its last step (handing
            // out its state does that), so it reads them: the same outcome, bit for bit.
            let (mut twin, mut twin_p) = (opt.clone(), p);
            twin.visit_state(&mut |_| {});
            let twin_outcome = twin.step(&mut twin_p, &g);
            let outcome = opt.step(&mut p, &g);
            assert_eq!(outcome, twin_outcome, "{opt_before:?} {p_before:?} {g:?}");
            assert_eq!(p.map(f32::to_bits), twin_p.map(f32::to_bits));
            assert_eq!(*opt, twin);
            match outcome {
                Ok(()) => {
                    let mut ok = p.iter().all(|x| x.is_finite() && !x.is_subnormal());
                    opt.visit_state(&mut |s| {
                        ok &= s.iter().all(|x| x.is_finite() && !x.is_subnormal());
                    });
                    assert!(ok, "{opt:?} wrote {p:?} from {p_before:?} with {g:?}");
                }
                Err(e) => {
                    assert!(matches!(e, Error::Overflow | Error::NonFinite), "{e:?}");
                    assert_eq!((p, &*opt), (p_before, &opt_before), "{e:?} changed");
                    refused += 1;
                }
            }
        }
        refused
    }

    #[test]
    fn no_optimizer_writes_nan_or_infinity_under_ok() {
        let mut rng = Rng::seed_from_u64(18);
        let mut refused = 0;
        // Under Miri (interpreted, soft floats: about 50 ms a step) a few rounds check the
        // engine's memory safety; natively, 40 rounds of 50 steps per optimizer.
        let (rounds, steps) = if cfg!(miri) { (2, 5) } else { (40, 50) };
        for _ in 0..rounds {
            let lr = [1e-3f32, 0.1, 10.0, 1e30, f32::MAX][rng.below(5) as usize];
            let b1 = [0.0f32, 0.9, 0.999_999][rng.below(3) as usize];
            let wd = [0.0f32, 0.01, 1e30][rng.below(3) as usize];
            let eps = [1e-8f32, 1e-30, f32::MIN_POSITIVE][rng.below(3) as usize];
            refused += never_writes_non_finite(&mut Sgd::new(lr).weight_decay(wd), &mut rng, steps);
            refused += never_writes_non_finite(
                &mut Sgd::new(lr).momentum::<2>(b1).nesterov(rng.below(2) == 0),
                &mut rng,
                steps,
            );
            refused += never_writes_non_finite(
                &mut Adam::<f32, 2>::new(lr)
                    .betas(b1, 0.999)
                    .eps(eps)
                    .weight_decay(wd),
                &mut rng,
                steps,
            );
            refused += never_writes_non_finite(
                &mut AdamW::<f32, 2>::new(lr).betas(b1, b1).eps(eps),
                &mut rng,
                steps,
            );
            refused += never_writes_non_finite(
                &mut RmsProp::<f32, 2>::new(lr)
                    .alpha(b1)
                    .eps(eps)
                    .momentum(b1)
                    .centered(rng.below(2) == 0),
                &mut rng,
                steps,
            );
            refused += never_writes_non_finite(
                &mut Adagrad::<f32, 2>::new(lr).eps(eps).weight_decay(wd),
                &mut rng,
                steps,
            );
        }
        // Both outcomes were exercised, many times.
        let total = rounds * 6 * steps;
        let least = total / 12;
        assert!(
            refused > least && total - refused > least,
            "{refused} of {total}"
        );
    }

    #[test]
    fn state_near_the_range_is_checked_though_its_bound_is_carried() {
        // Adagrad's sum of squares in f32 grows by 1.44e38 a step: the second step leaves
        // 2.88e38 (finite), the third would make +∞. The bound carried from the second
        // step must say so, and the third is refused as when the state is read.
        let mut adagrad: Adagrad<f32, 2> = Adagrad::new(1e-3);
        let mut p = [1.0f32, -2.0];
        let g = [1.2e19, 0.0];
        assert_eq!(adagrad.step(&mut p, &g), Ok(()));
        assert_eq!(adagrad.step(&mut p, &g), Ok(()));
        let before = (p, adagrad.clone());
        assert_eq!(adagrad.step(&mut p, &g), Err(Error::Overflow));
        assert_eq!((p, adagrad.clone()), before);
        // Adam's second moment: (1 − β₂)·g² = 1e35 a step from g = 1e19, with β₂ = 0
        // the whole g²; 3e19 makes 9e38, +∞ in f32.
        let mut adam: Adam<f32, 2> = Adam::new(1e-3).betas(0.9, 0.0);
        assert_eq!(adam.step(&mut p, &[1e19, 1.0]), Ok(()));
        assert_eq!(adam.step(&mut p, &[1.0, 1.0]), Ok(()));
        assert_eq!(adam.step(&mut p, &[3e19, 1.0]), Err(Error::Overflow));
    }

    #[test]
    fn a_state_of_squares_is_stored_at_least_zero_and_the_step_uses_what_is_stored() {
        // A restored second moment (Adam's v, Adagrad's sum, RMSprop's square average)
        // that is negative, −0 or subnormal, and gradients whose squares are 0 in f32:
        // the step stores +0 (its value is below the normal range), and its square root
        // is that of the stored value, so the step is the one from a state of +0 (no NaN
        // from a negative's root; with Adam's ε = 1e-30 a subnormal's root, 1e-20, would
        // show).
        let g = [1e-30f32; 4];
        let restored = [-1.0e-30f32, -0.0, 1.0e-40, -4.0];
        fn with_state<O: Optimizer<f32>>(mut opt: O, buffer: usize, s: [f32; 4]) -> O {
            let mut k = 0;
            opt.visit_state(&mut |xs: &mut [f32]| {
                if k == buffer {
                    xs.copy_from_slice(&s);
                }
                k += 1;
            });
            opt
        }
        fn state<O: Optimizer<f32>>(opt: &mut O, buffer: usize) -> [u32; 4] {
            let (mut k, mut out) = (0, [0; 4]);
            opt.visit_state(&mut |xs: &mut [f32]| {
                if k == buffer {
                    out = core::array::from_fn(|i| xs[i].to_bits());
                }
                k += 1;
            });
            out
        }
        fn check<O: Optimizer<f32>>(bad: O, zero: O, buffer: usize, g: [f32; 4]) {
            let (mut bad, mut zero) = (bad, zero);
            let (mut p, mut q) = ([1.0f32; 4], [1.0f32; 4]);
            bad.step(&mut p, &g).unwrap();
            zero.step(&mut q, &g).unwrap();
            assert_eq!(p.map(f32::to_bits), q.map(f32::to_bits));
            let s = state(&mut bad, buffer);
            assert_eq!(s, state(&mut zero, buffer));
            assert_eq!(s, [0; 4], "{s:x?}");
        }
        let adam = || Adam::<f32, 4>::new(1e-3).betas(0.9, 0.5).eps(1e-30);
        check(
            with_state(adam(), 1, restored),
            with_state(adam(), 1, [0.0; 4]),
            1,
            g,
        );
        let adagrad = || Adagrad::<f32, 4>::new(1e-2);
        check(
            with_state(adagrad(), 0, restored),
            with_state(adagrad(), 0, [0.0; 4]),
            0,
            g,
        );
        let rmsprop = || RmsProp::<f32, 4>::new(1e-2).alpha(0.5);
        check(
            with_state(rmsprop(), 0, restored),
            with_state(rmsprop(), 0, [0.0; 4]),
            0,
            g,
        );
    }

    #[test]
    fn every_optimizer_is_built_in_a_const() {
        // What a chip needs to keep an optimizer in a `static` (`.bss`/`.data`, no
        // runtime initialisation).
        static SGD: Sgd<f32> = Sgd::new(0.1);
        static ADAM: Adam<f32, 4> = Adam::new(1e-3);
        static ADAMW: AdamW<f32, 4> = AdamW::new(1e-3);
        static RMSPROP: RmsProp<f32, 4> = RmsProp::new(1e-2);
        static ADAGRAD: Adagrad<f32, 4> = Adagrad::new(1e-2);
        const DUAL: Adam<crate::Dual<f64, 1>, 2> = Adam::new(crate::Dual::ZERO);
        assert_eq!(SGD.lr(), 0.1);
        assert_eq!(ADAM, Adam::new(1e-3));
        assert_eq!(ADAMW.clone().check_config(), Ok(()));
        assert_eq!(RMSPROP.clone().check_config(), Ok(()));
        assert_eq!(ADAGRAD.clone().check_config(), Ok(()));
        assert_eq!(DUAL.check_config(), Ok(()));
    }

    #[test]
    fn the_probes_reproductions_are_refused() {
        let mut p = [1.0f64, -2.0];
        // β = 1 gave [NaN, NaN].
        let mut adam: Adam<f64, 2> = Adam::new(0.1).betas(1.0, 0.999);
        let e = Error::HyperParameter { name: "beta1" };
        assert_eq!(adam.step(&mut p, &[0.5, 0.5]), Err(e));
        adam = Adam::new(0.1).betas(0.9, 1.0);
        let e = Error::HyperParameter { name: "beta2" };
        assert_eq!(adam.step(&mut p, &[0.5, 0.5]), Err(e));
        // ε = 0 with a zero gradient gave 0/0.
        let e = Error::HyperParameter { name: "eps" };
        assert_eq!(
            Adam::<f64, 2>::new(0.1).eps(0.0).step(&mut p, &[0.0, 1.0]),
            Err(e)
        );
        assert_eq!(
            RmsProp::<f64, 2>::new(0.1)
                .eps(0.0)
                .step(&mut p, &[0.0, 1.0]),
            Err(e)
        );
        assert_eq!(
            Adagrad::<f64, 2>::new(0.1)
                .eps(0.0)
                .step(&mut p, &[0.0, 1.0]),
            Err(e)
        );
        assert_eq!(Adam::<f64, 2>::new(0.1).check_config(), Ok(()));
        // An lr of 1e308 overflowed to −∞.
        let mut sgd = Sgd::new(1e308);
        assert_eq!(sgd.step(&mut p, &[10.0, 0.0]), Err(Error::Overflow));
        assert_eq!((p, sgd.steps()), ([1.0, -2.0], 0));
        // Optimizer state overflowed to +∞ (g² in f32).
        let mut q = [1.0f32, -2.0];
        let mut adam: Adam<f32, 2> = Adam::new(1e-3);
        assert_eq!(adam.step(&mut q, &[1e22, 0.0]), Err(Error::Overflow));
        assert_eq!((q, adam.steps()), ([1.0, -2.0], 0));
        let mut adagrad: Adagrad<f32, 2> = Adagrad::new(1e-3);
        assert_eq!(adagrad.step(&mut q, &[0.0, -2e19]), Err(Error::Overflow));
        // The same gradients, smaller, step.
        assert_eq!(adam.step(&mut q, &[1e18, 0.0]), Ok(()));
        assert_eq!(adagrad.step(&mut q, &[0.0, -1e18]), Ok(()));
    }

    #[test]
    fn over_dual_numbers_the_checked_path_runs() {
        use crate::Dual;
        let mut p = [Dual::<f64, 1>::variable(1.0, 0), Dual::constant(-2.0)];
        let g = p;
        let mut adam: Adam<Dual<f64, 1>, 2> = Adam::new(Dual::constant(0.1));
        adam.step(&mut p, &g).unwrap();
        assert!((p[0].re - 0.9).abs() < 1e-6 && (p[0].eps[0] - 1.0).abs() < 1e-6);
        let mut sgd = Sgd::new(Dual::<f64, 1>::constant(1e308));
        let g = [
            Dual::constant(0.0),
            Dual::new(1.0, nalgebra::vector![1e308]),
        ];
        assert_eq!(sgd.step(&mut p, &g), Err(Error::Overflow));
    }
}
