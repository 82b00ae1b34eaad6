//! RMSprop (PyTorch's `torch.optim.RMSprop`): divides the step by a running root mean
//! square of the gradients.

use super::step::{at_least_zero, run, top, Known, Squares};
use super::{check_domains, Domain, Hyper, Optimizer, Pairs};
use crate::{Error, Real};

/// RMSprop, as in PyTorch. With gradient `g`, parameter `p`:
///
/// ```text
/// g ← g + λ·p                            (weight_decay λ, default 0)
/// v ← α·v + (1 − α)·g²                   (alpha α, default 0.99)
/// if centered:                           (default false)
///     ḡ ← α·ḡ + (1 − α)·g,   a = √(v − ḡ²) + ε
/// else a = √v + ε                        (eps ε, default 1e-8)
/// if μ > 0:  b ← μ·b + g/a,  p ← p − lr·b (momentum μ, default 0)
/// else       p ← p − lr·g/a
/// ```
///
/// State: `v`, `ḡ` and `b`, `3·P` scalars.
///
/// Domain ([`Error::HyperParameter`] outside it): `lr ≥ 0`, `0 ≤ α ≤ 1` (PyTorch takes
/// any `α ≥ 0`; above 1, `v` can turn negative), `ε > 0`, `λ ≥ 0`, `μ ≥ 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp<T, const P: usize> {
    lr: T,
    alpha: Hyper<T>,
    eps: Hyper<T>,
    weight_decay: T,
    momentum: T,
    centered: bool,
    square_avg: [T; P],
    grad_avg: [T; P],
    buf: [T; P],
    t: u32,
    known: Known,
}

impl<T: Real, const P: usize> RmsProp<T, P> {
    /// RMSprop with learning rate `lr` (PyTorch's default is 1e-2).
    pub const fn new(lr: T) -> Self {
        RmsProp {
            lr,
            alpha: Hyper::Default(0.99),
            eps: Hyper::Default(1e-8),
            weight_decay: T::ZERO,
            momentum: T::ZERO,
            centered: false,
            square_avg: [T::ZERO; P],
            grad_avg: [T::ZERO; P],
            buf: [T::ZERO; P],
            t: 0,
            known: Known::UNKNOWN,
        }
    }

    /// Smoothing constant `α` (default 0.99).
    pub fn alpha(mut self, alpha: T) -> Self {
        self.alpha = Hyper::Set(alpha);
        self
    }

    /// `ε` (default 1e-8).
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = Hyper::Set(eps);
        self
    }

    /// L2 weight decay `λ`, added to the gradient (default 0).
    pub fn weight_decay(mut self, lambda: T) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// Momentum `μ` (default 0).
    pub fn momentum(mut self, mu: T) -> Self {
        self.momentum = mu;
        self
    }

    /// Centered RMSprop: normalise by the variance rather than the second moment.
    pub fn centered(mut self, on: bool) -> Self {
        self.centered = on;
        self
    }
}

impl<T: Real, const P: usize> Optimizer<T> for RmsProp<T, P> {
    fn num_params(&self) -> Option<usize> {
        Some(P)
    }
    super::lr_and_steps!();
    fn reset(&mut self) {
        self.square_avg = [T::zero(); P];
        self.grad_avg = [T::zero(); P];
        self.buf = [T::zero(); P];
        self.t = 0;
        self.known = Known::UNKNOWN;
    }

    fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T])) {
        self.known = Known::UNKNOWN;
        f(&mut self.square_avg);
        f(&mut self.grad_avg);
        f(&mut self.buf);
        super::visit_steps(&mut self.t, f);
    }
    fn check_config(&self) -> Result<(), Error> {
        check_domains(&[
            ("lr", self.lr, Domain::NonNegative),
            ("alpha", self.alpha.get(), Domain::ClosedUnit),
            ("eps", self.eps.get(), Domain::Positive),
            ("weight_decay", self.weight_decay, Domain::NonNegative),
            ("momentum", self.momentum, Domain::NonNegative),
        ])
    }

    fn step_with<Q: Pairs<T>>(&mut self, mut pairs: Q) -> Result<(), Error> {
        self.check_config()?;
        pairs.check(Some(P))?;
        let (lr, alpha, eps, wd, mu, centered) = (
            self.lr,
            self.alpha.get(),
            self.eps.get(),
            self.weight_decay,
            self.momentum,
            self.centered,
        );
        let [lr64, eps64, wd64, mu64] = [lr, eps, wd, mu].map(T::to_f64);
        let one_minus = T::one() - alpha;
        let with_momentum = mu > T::zero();
        run(
            &mut pairs,
            [
                &mut self.square_avg[..],
                &mut self.grad_avg[..],
                &mut self.buf[..],
            ],
            Squares::<0b001>,
            &mut self.known,
            |m| {
                // v and ḡ are convex combinations; the denominator is at least ε.
                let d = m.grad + wd64 * m.param;
                let (v1, m1) = (top([m.state[0], d * d]), top([m.state[1], d]));
                let denom = libm::sqrt(v1 + m1 * m1) + eps64;
                let ratio = d / eps64;
                let b = mu64 * m.state[2] + ratio;
                let step = lr64 * top([b, ratio]);
                let firsts = [d + m.state[1], d * d, v1 + m1 * m1, denom, ratio, b];
                (
                    top([top(firsts), lr64 * d, step, m.param + step]),
                    [v1, m1, b],
                )
            },
            move |p, g, [v, m, b]| {
                let g = g + wd * *p;
                *v = alpha * *v + one_minus * g * g;
                let a = if centered {
                    *m += (g - *m) * one_minus;
                    at_least_zero(*v - *m * *m).sqrt() + eps
                } else {
                    v.flushed_non_negative().sqrt() + eps
                };
                if with_momentum {
                    *b = mu * *b + g / a;
                    *p -= lr * *b;
                } else {
                    *p -= lr * g / a;
                }
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

    // The problem: f(p) = ½‖p‖², g = p, p₀ = [1, −2].

    #[test]
    fn three_steps_by_hand() {
        // lr 0.01, α 0.99, ε 1e-8:
        // p₁: g = 1,  v = 0.01·1 = 0.01,  a = 0.1 + ε,  p = 1 − 0.01·1/0.1 = 0.9 (+1e-8)
        //     g = −2, v = 0.04,           a = 0.2 + ε,  p = −2 + 0.01·2/0.2 = −1.9
        // p₂: g = 0.9,  v = 0.0099 + 0.0081 = 0.018,  a = 0.1341641,
        //     p = 0.9 − 0.009/0.1341641 = 0.9 − 0.0670820 = 0.8329180
        //     g = −1.9, v = 0.0396 + 0.0361 = 0.0757, a = 0.2751363,
        //     p = −1.9 + 0.019/0.2751363 = −1.8309433
        // p₃: g = 0.8329180, v = 0.01782 + 0.0069375 = 0.0247575, a = 0.1573452,
        //     p = 0.8329180 − 0.0529357 = 0.7799823
        //     g = −1.8309433, v = 0.074943 + 0.0335235 = 0.1084665, a = 0.3293426,
        //     p = −1.8309433 + 0.0555939 = −1.7753495
        let got = three_steps(&mut RmsProp::<f64, 2>::new(0.01));
        assert_steps(
            got,
            [
                [0.900_000_01, -1.900_000_005],
                [0.832_917_975_3, -1.830_943_332_8],
                [0.779_982_282_0, -1.775_349_450_1],
            ],
            1e-9,
        );
    }

    #[test]
    fn centered_with_momentum_by_hand() {
        // lr 0.01, α 0.99, centered, μ 0.5:
        // p₁: g = 1, v = 0.01, ḡ = 0.01, a = √(0.01 − 0.0001) = 0.0994987,
        //     b = 1/0.0994987 = 10.0503771, p = 1 − 0.100503771 = 0.8994962
        // p₂: g = 0.8994962, v = 0.0099 + 0.0080909 = 0.0179909,
        //     ḡ = 0.0099 + 0.0089950 = 0.0188950, a = √(0.0179909 − 0.000357) = 0.1327928,
        //     b = 5.0251886 + 6.7736841 = 11.7988727, p = 0.8994962 − 0.1179887 = 0.7815075
        // p₃: g = 0.7815075, v = 0.0239186, ḡ = 0.0265211, a = 0.1523654,
        //     b = 5.8994364 + 5.1291681 = 11.0286045, p = 0.7815075 − 0.1102860 = 0.6712215
        // second coordinate likewise from −2: −1.8994962, −1.7795003, −1.6641709
        let got = three_steps(&mut RmsProp::<f64, 2>::new(0.01).centered(true).momentum(0.5));
        assert_steps(
            got,
            [
                [0.899_496_228_6, -1.899_496_223_5],
                [0.781_507_501_4, -1.779_500_268_1],
                [0.671_221_456_4, -1.664_170_919_4],
            ],
            1e-9,
        );
    }

    #[test]
    fn no_subnormal_survives_a_step() {
        crate::optim::tests::flushes_subnormals(RmsProp::<f64, 2>::new(1e-300));
    }

    #[test]
    fn bad_input_changes_nothing() {
        refuses_bad_input(RmsProp::<f64, 2>::new(0.01).centered(true).momentum(0.9));
    }
}
