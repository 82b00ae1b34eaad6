//! Stochastic gradient descent (PyTorch's `torch.optim.SGD`): plain, with no state
//! ([`Sgd`]), or with momentum, dampening and Nesterov momentum over a buffer of `P`
//! scalars ([`SgdMomentum`]).

use super::step::{run, top, Known, Squares};
use super::{check_domains, Domain, Optimizer, Pairs};
use crate::{Error, Real};

/// Plain SGD with L2 weight decay, as in PyTorch with `momentum = 0`. With gradient `g`,
/// parameter `p`:
///
/// ```text
/// g ← g + λ·p        (weight_decay λ, default 0)
/// p ← p − lr·g
/// ```
///
/// State: none; it steps any number of parameters. [`Sgd::momentum`] turns it into
/// [`SgdMomentum`], which holds a buffer.
///
/// Domain ([`Error::HyperParameter`] outside it): `lr ≥ 0`, `λ ≥ 0`, both finite.
///
/// ```
/// use stackgrad::optim::{Optimizer, Sgd};
/// let mut p = [1.0f32, 2.0];
/// Sgd::new(0.5).step(&mut p, &[1.0, 1.0])?;
/// assert_eq!(p, [0.5, 1.5]);
/// # Ok::<(), stackgrad::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd<T> {
    lr: T,
    weight_decay: T,
    t: u32,
}

impl<T: Real> Sgd<T> {
    /// Plain SGD with learning rate `lr` (PyTorch's default is 1e-3).
    pub const fn new(lr: T) -> Self {
        Sgd {
            lr,
            weight_decay: T::ZERO,
            t: 0,
        }
    }

    /// L2 weight decay `λ`, added to the gradient (default 0).
    pub fn weight_decay(mut self, lambda: T) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// SGD with momentum `μ`, whose buffer holds `P` scalars (the model's
    /// [`Module::PARAMS`](crate::nn::Module::PARAMS)).
    pub fn momentum<const P: usize>(self, mu: T) -> SgdMomentum<T, P> {
        SgdMomentum {
            lr: self.lr,
            momentum: mu,
            dampening: T::zero(),
            weight_decay: self.weight_decay,
            nesterov: false,
            buf: [T::zero(); P],
            t: 0,
            known: Known::UNKNOWN,
        }
    }
}

impl<T: Real> Optimizer<T> for Sgd<T> {
    fn num_params(&self) -> Option<usize> {
        None
    }
    super::lr_and_steps!();
    fn reset(&mut self) {
        self.t = 0;
    }
    fn check_config(&self) -> Result<(), Error> {
        check_domains(&[
            ("lr", self.lr, Domain::NonNegative),
            ("weight_decay", self.weight_decay, Domain::NonNegative),
        ])
    }
    fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T])) {
        super::visit_steps(&mut self.t, f);
    }

    fn step_with<Q: Pairs<T>>(&mut self, mut pairs: Q) -> Result<(), Error> {
        self.check_config()?;
        pairs.check(None)?;
        let (lr, wd) = (self.lr, self.weight_decay);
        let (lr64, wd64) = (lr.to_f64(), wd.to_f64());
        // No state, so nothing to carry to the next step.
        let mut stateless = Known::UNKNOWN;
        if wd == T::zero() {
            // Without weight decay, no multiply-add of zero per parameter (on a chip
            // without an FPU, two library calls each). The same bits: `g + 0·p` differs
            // from `g` only in the sign of a zero, which `p − lr·d` does not show.
            run(
                &mut pairs,
                [],
                Squares::<0>,
                &mut stateless,
                |m| (top([m.grad, m.param + lr64 * m.grad]), [0.0; 3]),
                move |p, g, _| *p -= lr * g,
            )?;
        } else {
            run(
                &mut pairs,
                [],
                Squares::<0>,
                &mut stateless,
                |m| {
                    let d = m.grad + wd64 * m.param;
                    (top([d, m.param + lr64 * d]), [0.0; 3])
                },
                move |p, g, _| {
                    let d = g + wd * *p;
                    *p -= lr * d;
                },
            )?;
        }
        self.t = self.t.saturating_add(1);
        Ok(())
    }
}

/// SGD with momentum, as in PyTorch. With gradient `g`, parameter `p`, step `t`:
///
/// ```text
/// g ← g + λ·p                                  (weight_decay λ, default 0)
/// b ← g                  at t = 1
/// b ← μ·b + (1 − τ)·g    afterwards             (momentum μ, dampening τ, default 0)
/// g ← g + μ·b  if nesterov, else g ← b         (nesterov, default false)
/// p ← p − lr·g
/// ```
///
/// State: the momentum buffer `b`, `P` scalars. Made by [`Sgd::momentum`].
///
/// Domain ([`Error::HyperParameter`] outside it): `lr ≥ 0`, `μ ≥ 0`, `λ ≥ 0`, `τ`
/// finite.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdMomentum<T, const P: usize> {
    lr: T,
    momentum: T,
    dampening: T,
    weight_decay: T,
    nesterov: bool,
    buf: [T; P],
    t: u32,
    known: Known,
}

impl<T: Real, const P: usize> SgdMomentum<T, P> {
    /// Dampening `τ` of the momentum (default 0). PyTorch rejects it with Nesterov; here
    /// it is simply applied.
    pub fn dampening(mut self, tau: T) -> Self {
        self.dampening = tau;
        self
    }

    /// L2 weight decay `λ`, added to the gradient (default 0).
    pub fn weight_decay(mut self, lambda: T) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// Nesterov momentum (default false).
    pub fn nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }
}

impl<T: Real, const P: usize> Optimizer<T> for SgdMomentum<T, P> {
    fn num_params(&self) -> Option<usize> {
        Some(P)
    }
    super::lr_and_steps!();
    fn reset(&mut self) {
        self.buf = [T::zero(); P];
        self.t = 0;
        self.known = Known::UNKNOWN;
    }
    fn check_config(&self) -> Result<(), Error> {
        check_domains(&[
            ("lr", self.lr, Domain::NonNegative),
            ("momentum", self.momentum, Domain::NonNegative),
            ("dampening", self.dampening, Domain::Finite),
            ("weight_decay", self.weight_decay, Domain::NonNegative),
        ])
    }
    fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T])) {
        self.known = Known::UNKNOWN;
        f(&mut self.buf);
        super::visit_steps(&mut self.t, f);
    }

    fn step_with<Q: Pairs<T>>(&mut self, mut pairs: Q) -> Result<(), Error> {
        self.check_config()?;
        pairs.check(Some(P))?;
        let first = self.t == 0;
        let (lr, mu, tau, wd, nesterov) = (
            self.lr,
            self.momentum,
            self.dampening,
            self.weight_decay,
            self.nesterov,
        );
        let [lr64, mu64, tau64, wd64] = [lr, mu, tau, wd].map(T::to_f64);
        run(
            &mut pairs,
            [&mut self.buf[..]],
            Squares::<0>,
            &mut self.known,
            |m| {
                let d = m.grad + wd64 * m.param;
                let b = top([mu64 * m.state[0] + libm::fabs(1.0 - tau64) * d, d]);
                let step = if nesterov { d + mu64 * b } else { b };
                (top([d, b, step, m.param + lr64 * step]), [b, 0.0, 0.0])
            },
            move |p, g, [b]| {
                let mut d = g + wd * *p;
                *b = if first {
                    d
                } else {
                    mu * *b + (T::one() - tau) * d
                };
                d = if nesterov { d + mu * *b } else { *b };
                *p -= lr * d;
            },
        )?;
        self.t = self.t.saturating_add(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_steps, refuses_bad_input, three_steps};

    /// Without weight decay the step skips `g + 0·p`, and writes the same bits as the
    /// rule with it, on signed zeros, subnormals and large values alike.
    #[test]
    fn no_weight_decay_is_the_same_bits_as_a_zero_one() {
        let edges: [f64; 8] = [0.0, -0.0, 1e-310, -1e-310, 1.5, -2.25, 1e300, -1e300];
        for lr in [0.0f64, 0.1, 3.0] {
            for &p0 in &edges {
                for &g in &edges {
                    let mut p = [p0];
                    Sgd::new(lr).step(&mut p[..], &[g]).unwrap();
                    let d = g + 0.0 * p0;
                    let expected = crate::flush::flush(p0 - lr * d);
                    assert_eq!(p[0].to_bits(), expected.to_bits(), "lr {lr} p {p0} g {g}");
                }
            }
        }
    }

    // The problem: f(p) = ½‖p‖², g = p, p₀ = [1, −2]. The second coordinate is −2 times
    // the first at every step (every rule here is linear in p), so only the first is
    // derived.

    #[test]
    fn plain_and_weight_decay() {
        // lr 0.1: p ← p − 0.1·p = 0.9·p → 0.9, 0.81, 0.729
        let got = three_steps(&mut Sgd::new(0.1));
        assert_steps(got, [[0.9, -1.8], [0.81, -1.62], [0.729, -1.458]], 1e-15);
        // weight decay 0.5: g ← p + 0.5p = 1.5p, p ← p − 0.15p = 0.85·p
        // → 0.85, 0.7225, 0.614125
        let got = three_steps(&mut Sgd::new(0.1).weight_decay(0.5));
        assert_steps(
            got,
            [[0.85, -1.7], [0.7225, -1.445], [0.614125, -1.22825]],
            1e-15,
        );
    }

    #[test]
    fn momentum() {
        // lr 0.1, μ 0.9:
        // t=1: g = 1,    b = g = 1,                  p = 1 − 0.1·1       = 0.9
        // t=2: g = 0.9,  b = 0.9·1 + 0.9 = 1.8,      p = 0.9 − 0.18      = 0.72
        // t=3: g = 0.72, b = 0.9·1.8 + 0.72 = 2.34,  p = 0.72 − 0.234    = 0.486
        let got = three_steps(&mut Sgd::new(0.1).momentum::<2>(0.9));
        assert_steps(got, [[0.9, -1.8], [0.72, -1.44], [0.486, -0.972]], 1e-15);
        // with dampening 0.5 (not applied at t = 1):
        // t=1: b = 1,                               p = 0.9
        // t=2: b = 0.9·1 + 0.5·0.9 = 1.35,           p = 0.9 − 0.135     = 0.765
        // t=3: b = 0.9·1.35 + 0.5·0.765 = 1.5975,    p = 0.765 − 0.15975 = 0.60525
        let got = three_steps(&mut Sgd::new(0.1).momentum::<2>(0.9).dampening(0.5));
        assert_steps(
            got,
            [[0.9, -1.8], [0.765, -1.53], [0.60525, -1.2105]],
            1e-15,
        );
    }

    #[test]
    fn nesterov() {
        // lr 0.1, μ 0.9, Nesterov: d = g + μ·b
        // t=1: g = 1,      b = 1,                          d = 1 + 0.9       = 1.9,
        //      p = 1 − 0.19 = 0.81
        // t=2: g = 0.81,   b = 0.9 + 0.81 = 1.71,          d = 0.81 + 1.539  = 2.349,
        //      p = 0.81 − 0.2349 = 0.5751
        // t=3: g = 0.5751, b = 1.539 + 0.5751 = 2.1141,    d = 0.5751 + 1.90269 = 2.47779,
        //      p = 0.5751 − 0.247779 = 0.327321
        let got = three_steps(&mut Sgd::new(0.1).momentum::<2>(0.9).nesterov(true));
        assert_steps(
            got,
            [[0.81, -1.62], [0.5751, -1.1502], [0.327321, -0.654642]],
            1e-14,
        );
    }

    #[test]
    fn no_subnormal_survives_a_step() {
        crate::optim::tests::flushes_subnormals(Sgd::new(0.1));
    }

    #[test]
    fn bad_input_changes_nothing() {
        refuses_bad_input(Sgd::new(0.1).momentum::<2>(0.9).nesterov(true));
        refuses_bad_input(Sgd::new(0.1).weight_decay(0.1));
    }

    #[test]
    fn plain_sgd_holds_no_state() {
        // The configuration decides the state: no momentum, no buffer.
        assert_eq!(core::mem::size_of::<Sgd<f32>>(), 3 * 4);
        assert_eq!(
            core::mem::size_of::<SgdMomentum<f32, 100>>(),
            100 * 4 + 5 * 4 + 4 + 12
        );
    }
}
