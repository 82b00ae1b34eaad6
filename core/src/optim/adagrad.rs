//! Adagrad (PyTorch's `torch.optim.Adagrad`): a per-parameter step size that shrinks
//! with the sum of the squared gradients seen so far.

use super::step::{run, top, Known, Squares};
use super::{check_domains, Domain, Hyper, Optimizer, Pairs};
use crate::{Error, Real};

/// Adagrad, as in PyTorch. With gradient `g`, parameter `p`, step `t = 1, 2, …`:
///
/// ```text
/// g  ← g + λ·p                      (weight_decay λ, default 0)
/// η  = lr / (1 + (t − 1)·d)         (lr_decay d, default 0)
/// s  ← s + g²                       (s starts at initial_accumulator_value, default 0)
/// p  ← p − η·g / (√s + ε)           (eps ε, default 1e-10)
/// ```
///
/// State: the accumulator `s`, `P` scalars.
///
/// Domain ([`Error::HyperParameter`] outside it): `lr ≥ 0`, `d ≥ 0`, `λ ≥ 0`, an initial
/// accumulator value `≥ 0`, `ε > 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Adagrad<T, const P: usize> {
    lr: T,
    lr_decay: T,
    weight_decay: T,
    initial: T,
    eps: Hyper<T>,
    sum: [T; P],
    t: u32,
    known: Known,
}

impl<T: Real, const P: usize> Adagrad<T, P> {
    /// Adagrad with learning rate `lr` (PyTorch's default is 1e-2).
    pub const fn new(lr: T) -> Self {
        Adagrad {
            lr,
            lr_decay: T::ZERO,
            weight_decay: T::ZERO,
            initial: T::ZERO,
            eps: Hyper::Default(1e-10),
            sum: [T::ZERO; P],
            t: 0,
            known: Known::UNKNOWN,
        }
    }

    /// Learning-rate decay `d` (default 0).
    pub fn lr_decay(mut self, d: T) -> Self {
        self.lr_decay = d;
        self
    }

    /// L2 weight decay `λ`, added to the gradient (default 0).
    pub fn weight_decay(mut self, lambda: T) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// The accumulator's starting value (default 0); also what [`Optimizer::reset`]
    /// restores.
    pub fn initial_accumulator_value(mut self, v: T) -> Self {
        self.initial = v;
        self.sum = [v; P];
        self.known = Known::UNKNOWN;
        self
    }

    /// `ε` (default 1e-10).
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = Hyper::Set(eps);
        self
    }
}

impl<T: Real, const P: usize> Optimizer<T> for Adagrad<T, P> {
    fn num_params(&self) -> Option<usize> {
        Some(P)
    }
    super::lr_and_steps!();
    fn reset(&mut self) {
        self.sum = [self.initial; P];
        self.t = 0;
        self.known = Known::UNKNOWN;
    }

    fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T])) {
        self.known = Known::UNKNOWN;
        f(&mut self.sum);
        super::visit_steps(&mut self.t, f);
    }
    fn check_config(&self) -> Result<(), Error> {
        check_domains(&[
            ("lr", self.lr, Domain::NonNegative),
            ("lr_decay", self.lr_decay, Domain::NonNegative),
            ("weight_decay", self.weight_decay, Domain::NonNegative),
            (
                "initial_accumulator_value",
                self.initial,
                Domain::NonNegative,
            ),
            ("eps", self.eps.get(), Domain::Positive),
        ])
    }

    fn step_with<Q: Pairs<T>>(&mut self, mut pairs: Q) -> Result<(), Error> {
        self.check_config()?;
        pairs.check(Some(P))?;
        let t = self.t.saturating_add(1);
        let clr = self.lr / (T::one() + T::constant(f64::from(t - 1)) * self.lr_decay);
        let (wd, eps) = (self.weight_decay, self.eps.get());
        let [clr64, wd64, eps64] = [clr, wd, eps].map(T::to_f64);
        run(
            &mut pairs,
            [&mut self.sum[..]],
            Squares::<0b1>,
            &mut self.known,
            |m| {
                let d = m.grad + wd64 * m.param;
                let s = m.state[0] + d * d;
                let step = clr64 * d / eps64;
                let all = top([s, libm::sqrt(s) + eps64, clr64 * d, step, m.param + step]);
                (all, [s, 0.0, 0.0])
            },
            move |p, g, [s]| {
                let g = g + wd * *p;
                *s += g * g;
                // The square root of the sum as the engine stores it.
                *p -= clr * g / (s.flushed_non_negative().sqrt() + eps);
            },
        )?;
        self.t = t;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_steps, refuses_bad_input, three_steps};

    // The problem: f(p) = ½‖p‖², g = p, p₀ = [1, −2].

    #[test]
    fn three_steps_by_hand() {
        // lr 0.1, ε 1e-10 (it only shows in the 11th digit: 0.1/(1 + 1e-10)):
        // p₁: g = 1,         s = 1,           √s = 1,          p = 1 − 0.1·1/1            = 0.9
        //     g = −2,        s = 4,           √s = 2,          p = −2 + 0.1·2/2           = −1.9
        // p₂: g = 0.9,       s = 1.81,        √s = 1.3453624,  p = 0.9 − 0.09/1.3453624   = 0.8331035
        //     g = −1.9,      s = 7.61,        √s = 2.7586228,  p = −1.9 + 0.19/2.7586228  = −1.8311251
        // p₃: g = 0.8331035, s = 2.5040615,   √s = 1.5824227,  p = 0.8331035 − 0.0526473  = 0.7804562
        //     g = −1.8311251, s = 10.963019,  √s = 3.3110450,  p = −1.8311251 + 0.0553035 = −1.7758215
        let got = three_steps(&mut Adagrad::<f64, 2>::new(0.1));
        assert_steps(
            got,
            [
                [0.9, -1.9],
                [0.833_103_526_9, -1.831_125_053_8],
                [0.780_456_181_4, -1.775_821_515_0],
            ],
            1e-9,
        );
    }

    #[test]
    fn lr_decay_by_hand() {
        // lr_decay 0.5: η = 0.1, 0.1/1.5 = 0.0666667, 0.1/2 = 0.05.
        // p₂ = 0.9 − 0.0666667·0.9/1.3453624 = 0.9 − 0.0445976 = 0.8554024
        // p₃: s = 1.81 + 0.8554024² = 2.5417132, p = 0.8554024 − 0.05·0.8554024/1.5942751
        //       = 0.8554024 − 0.0268273 = 0.8285750
        // second coordinate: p₂ = −1.9 + 0.0666667·1.9/2.7586228 = −1.8540834,
        //     s = 7.61 + 1.8540834² = 11.047625, p₃ = −1.8540834 + 0.05·1.8540834/3.3237968
        //       = −1.8261923
        let got = three_steps(&mut Adagrad::<f64, 2>::new(0.1).lr_decay(0.5));
        assert_steps(
            got,
            [
                [0.9, -1.9],
                [0.855_402_351_2, -1.854_083_369_2],
                [0.828_575_038_4, -1.826_192_323_5],
            ],
            1e-9,
        );
    }

    #[test]
    fn no_subnormal_survives_a_step() {
        crate::optim::tests::flushes_subnormals(Adagrad::<f64, 2>::new(1e-300));
    }

    #[test]
    fn bad_input_changes_nothing() {
        refuses_bad_input(Adagrad::<f64, 2>::new(0.1).initial_accumulator_value(0.1));
    }
}
