//! Adam and AdamW (PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`): steps scaled
//! by bias-corrected running moments of the gradient. They differ only in how weight
//! decay enters: added to the gradient (Adam, an L2 term) or applied to the weights
//! directly, decoupled from the moments (AdamW).

use super::step::{run, top, Known, Squares};
use super::{check_domains, Domain, Hyper, Optimizer, Pairs};
use crate::{Error, Real};

/// Hyper-parameters and state shared by [`Adam`] and [`AdamW`].
#[derive(Clone, Debug, PartialEq)]
struct Moments<T, const P: usize> {
    lr: T,
    beta1: Hyper<T>,
    beta2: Hyper<T>,
    eps: Hyper<T>,
    weight_decay: Hyper<T>,
    m: [T; P],
    v: [T; P],
    t: u32,
    known: Known,
}

impl<T: Real, const P: usize> Moments<T, P> {
    const fn new(lr: T, weight_decay: Hyper<T>) -> Self {
        Moments {
            lr,
            beta1: Hyper::Default(0.9),
            beta2: Hyper::Default(0.999),
            eps: Hyper::Default(1e-8),
            weight_decay,
            m: [T::ZERO; P],
            v: [T::ZERO; P],
            t: 0,
            known: Known::UNKNOWN,
        }
    }

    fn reset(&mut self) {
        self.m = [T::zero(); P];
        self.v = [T::zero(); P];
        self.t = 0;
        self.known = Known::UNKNOWN;
    }

    fn check_config(&self) -> Result<(), Error> {
        check_domains(&[
            ("lr", self.lr, Domain::NonNegative),
            ("beta1", self.beta1.get(), Domain::Unit),
            ("beta2", self.beta2.get(), Domain::Unit),
            ("eps", self.eps.get(), Domain::Positive),
            ("weight_decay", self.weight_decay.get(), Domain::NonNegative),
        ])
    }

    fn step<Q: Pairs<T>, const DECOUPLED: bool>(&mut self, pairs: Q) -> Result<(), Error> {
        // Without weight decay, a loop without its multiply-add: the same bits, since a
        // finite `p` makes `g + 0·p` differ from `g` at most in the sign of a zero, which
        // neither moment shows (`±0 − m` is `−m`, and `+0` for `m = ±0`; `(±0)² = +0`),
        // and `p·(1 − lr·0)` is `p`.
        if self.weight_decay.get() == T::zero() {
            self.step_decay::<Q, DECOUPLED, false>(pairs)
        } else {
            self.step_decay::<Q, DECOUPLED, true>(pairs)
        }
    }

    fn step_decay<Q: Pairs<T>, const DECOUPLED: bool, const DECAY: bool>(
        &mut self,
        mut pairs: Q,
    ) -> Result<(), Error> {
        self.check_config()?;
        pairs.check(Some(P))?;
        let t = self.t.saturating_add(1);
        // Bias corrections in f64, as PyTorch computes them (Python floats). With
        // 0 ≤ β < 1 both are in (0, 1].
        let (b1, b2, eps, wd) = (
            self.beta1.get(),
            self.beta2.get(),
            self.eps.get(),
            self.weight_decay.get(),
        );
        let bc1 = 1.0 - libm::pow(b1.to_f64(), f64::from(t));
        let bc2 = 1.0 - libm::pow(b2.to_f64(), f64::from(t));
        let step_size64 = self.lr.to_f64() / bc1;
        let step_size = T::constant(step_size64);
        let bc2_sqrt = T::constant(libm::sqrt(bc2));
        let lr = self.lr;
        let [lr64, eps64, wd64] = [lr, eps, wd].map(T::to_f64);
        run(
            &mut pairs,
            [&mut self.m[..], &mut self.v[..]],
            Squares::<0b10>,
            &mut self.known,
            |m| {
                // m and v are convex combinations of their old values and g (or g²);
                // the denominator is at least ε.
                let (g, p) = if DECOUPLED {
                    (m.grad, m.param * (1.0 + lr64 * wd64))
                } else {
                    (m.grad + wd64 * m.param, m.param)
                };
                let (m1, v1) = (top([m.state[0], g]), top([m.state[1], g * g]));
                let step = step_size64 * m1;
                let denom = libm::sqrt(v1 / bc2) + eps64;
                let firsts = [step_size64, lr64 * wd64, g + m.state[0], g * g, v1, denom];
                let all = top([top(firsts), step, step / eps64, p + step / eps64]);
                (all, [m1, v1, 0.0])
            },
            move |p, g, [m, v]| {
                // A constant of the function's type, so each of Adam and AdamW gets a
                // loop without the test.
                let g = if !DECAY {
                    g
                } else if DECOUPLED {
                    *p *= T::one() - lr * wd;
                    g
                } else {
                    g + wd * *p
                };
                *m += (g - *m) * (T::one() - b1);
                *v = b2 * *v + (T::one() - b2) * g * g;
                // The square root of `v` as the engine stores it (the compiler computes
                // that once for both).
                let denom = v.flushed_non_negative().sqrt() / bc2_sqrt + eps;
                *p -= step_size * *m / denom;
            },
        )?;
        self.t = t;
        Ok(())
    }
}

macro_rules! adam_common {
    ($name:ident, $decoupled:literal) => {
        impl<T: Real, const P: usize> $name<T, P> {
            /// Exponential decay rates `(β₁, β₂)` of the moments (default `(0.9, 0.999)`).
            pub fn betas(mut self, beta1: T, beta2: T) -> Self {
                self.0.beta1 = Hyper::Set(beta1);
                self.0.beta2 = Hyper::Set(beta2);
                self
            }

            /// `ε` (default 1e-8).
            pub fn eps(mut self, eps: T) -> Self {
                self.0.eps = Hyper::Set(eps);
                self
            }

            /// Weight decay `λ` (see the type's update rule for how it enters).
            pub fn weight_decay(mut self, lambda: T) -> Self {
                self.0.weight_decay = Hyper::Set(lambda);
                self
            }
        }

        impl<T: Real, const P: usize> Optimizer<T> for $name<T, P> {
            fn num_params(&self) -> Option<usize> {
                Some(P)
            }
            super::lr_and_steps!(0);
            fn reset(&mut self) {
                self.0.reset();
            }
            fn check_config(&self) -> Result<(), Error> {
                self.0.check_config()
            }
            fn visit_state(&mut self, f: &mut dyn FnMut(&mut [T])) {
                self.0.known = Known::UNKNOWN;
                f(&mut self.0.m);
                f(&mut self.0.v);
                super::visit_steps(&mut self.0.t, f);
            }
            fn step_with<Q: Pairs<T>>(&mut self, pairs: Q) -> Result<(), Error> {
                self.0.step::<Q, $decoupled>(pairs)
            }
        }
    };
}

/// Adam, as in PyTorch (without `amsgrad`). With gradient `g`, parameter `p`, step
/// `t = 1, 2, …`:
///
/// ```text
/// g ← g + λ·p                                   (weight_decay λ, default 0: an L2 term)
/// m ← β₁·m + (1 − β₁)·g                         (β₁ default 0.9)
/// v ← β₂·v + (1 − β₂)·g²                        (β₂ default 0.999)
/// p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)   (ε default 1e-8)
/// ```
///
/// State: `m` and `v`, `2·P` scalars, plus the step count.
///
/// Domain ([`Error::HyperParameter`] outside it): `lr ≥ 0`, `0 ≤ β₁, β₂ < 1`, `ε > 0`
/// (PyTorch allows `ε = 0`, where a zero gradient gives `0/0`), `λ ≥ 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T, const P: usize>(Moments<T, P>);

impl<T: Real, const P: usize> Adam<T, P> {
    /// Adam with learning rate `lr` (PyTorch's default is 1e-3).
    pub const fn new(lr: T) -> Self {
        Adam(Moments::new(lr, Hyper::Set(T::ZERO)))
    }
}

adam_common!(Adam, false);

/// AdamW, as in PyTorch: Adam with decoupled weight decay. The weights shrink first,
/// `p ← p·(1 − lr·λ)` (`λ` default 1e-2), then take Adam's step with the plain gradient
/// (no `λ·p` added to it), so the decay does not pass through the moments.
///
/// State: `m` and `v`, `2·P` scalars, plus the step count.
///
/// Domain ([`Error::HyperParameter`] outside it): `lr ≥ 0`, `0 ≤ β₁, β₂ < 1`, `ε > 0`
/// (PyTorch allows `ε = 0`, where a zero gradient gives `0/0`), `λ ≥ 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamW<T, const P: usize>(Moments<T, P>);

impl<T: Real, const P: usize> AdamW<T, P> {
    /// AdamW with learning rate `lr` (PyTorch's default is 1e-3) and weight decay 1e-2.
    pub const fn new(lr: T) -> Self {
        AdamW(Moments::new(lr, Hyper::Default(1e-2)))
    }
}

adam_common!(AdamW, true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_steps, refuses_bad_input, three_steps};

    // The problem: f(p) = ½‖p‖², g = p, p₀ = [1, −2].

    /// Without weight decay the loop leaves out `g + 0·p` (and AdamW its `p·(1 − lr·0)`):
    /// the same bits as the loop with the term at λ = 0, over many steps, with ±0 in
    /// gradients, moments and parameters (where a sign could differ), subnormals, and
    /// values of every size.
    #[test]
    fn leaving_out_a_zero_decay_changes_no_bit() {
        const N: usize = 12;
        let specials = [0.0f32, -0.0, 1e-40, -1e-40, 1.0, -3.5, 1e-20, -1e20];
        let mut rng = crate::nn::Rng::seed_from_u64(5);
        for decoupled in [false, true] {
            let mut without: Moments<f32, N> = Moments::new(1e-2, Hyper::Set(0.0));
            let mut with = without.clone();
            let mut p: [f32; N] = core::array::from_fn(|i| specials[i % specials.len()]);
            let mut q = p;
            for step in 0..40 {
                let g: [f32; N] = core::array::from_fn(|i| {
                    if (i + step) % 3 == 0 {
                        specials[(i * 5 + step) % specials.len()]
                    } else {
                        rng.uniform(-2.0, 2.0)
                    }
                });
                let pairs = |p| crate::optim::SlicePairs::new(p, &g);
                let (a, b) = if decoupled {
                    (
                        without.step_decay::<_, true, false>(pairs(&mut p)),
                        with.step_decay::<_, true, true>(pairs(&mut q)),
                    )
                } else {
                    (
                        without.step_decay::<_, false, false>(pairs(&mut p)),
                        with.step_decay::<_, false, true>(pairs(&mut q)),
                    )
                };
                assert_eq!(a, b);
                for (x, y) in p
                    .iter()
                    .chain(&without.m)
                    .chain(&without.v)
                    .zip(q.iter().chain(&with.m).chain(&with.v))
                {
                    assert_eq!(
                        x.to_bits(),
                        y.to_bits(),
                        "step {step}, decoupled {decoupled}"
                    );
                }
            }
        }
    }

    #[test]
    fn adam_three_steps_by_hand() {
        // lr 0.1, β = (0.9, 0.999), ε 1e-8. Write m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ);
        // the step is lr·m̂/(√v̂ + ε), about lr while the gradient keeps its sign.
        // p₁: g = 1: m = 0.1, v = 0.001, m̂ = 1, v̂ = 1,  p = 1 − 0.1/(1 + 1e-8) = 0.9
        //     g = −2: m̂ = −2, v̂ = 4,                    p = −2 + 0.1·2/2 = −1.9
        // p₂: g = 0.9: m = 0.09 + 0.09 = 0.18,  v = 0.000999 + 0.00081 = 0.001809,
        //     m̂ = 0.18/0.19 = 0.9473684, v̂ = 0.001809/0.001999 = 0.9049525, √v̂ = 0.9512900,
        //     p = 0.9 − 0.1·0.9473684/0.9512900 = 0.9 − 0.0995878 = 0.8004122
        //     g = −1.9: m = −0.37, v = 0.007606, m̂ = −1.9473684, v̂ = 3.8049025,
        //     p = −1.9 + 0.1·1.9473684/1.9506159 = −1.8001665
        // p₃: g = 0.8004122: m = 0.162 + 0.0800412 = 0.2420412, v = 0.0024479,
        //     m̂ = 0.2420412/0.271 = 0.8931410, v̂ = 0.0024479/0.002997 = 0.8167667,
        //     p = 0.8004122 − 0.1·0.8931410/0.9037515 = 0.8004122 − 0.0988260 = 0.7015863
        //     g = −1.8001665: m̂ = −1.8930504, v̂ = 3.6166132, p = −1.7006234
        let got = three_steps(&mut Adam::<f64, 2>::new(0.1));
        assert_steps(
            got,
            [
                [0.900_000_001, -1.900_000_000_5],
                [0.800_412_229_7, -1.800_166_486_6],
                [0.701_586_274_5, -1.700_623_392_8],
            ],
            1e-9,
        );
    }

    #[test]
    fn adam_weight_decay_is_an_l2_term() {
        // λ = 0.5: g = p + 0.5p = 1.5p. Adam is invariant to scaling the gradient (up to
        // ε), so the path is the one above: 0.9, 0.8004122, 0.7015863 (ε now weighs
        // 1e-8/1.5, hence the last digits).
        let got = three_steps(&mut Adam::<f64, 2>::new(0.1).weight_decay(0.5));
        assert_steps(
            got,
            [
                [0.900_000_000_7, -1.900_000_000_3],
                [0.800_412_229_0, -1.800_166_486_3],
                [0.701_586_273_5, -1.700_623_392_3],
            ],
            1e-9,
        );
    }

    #[test]
    fn adamw_three_steps_by_hand() {
        // lr 0.1, λ 0.5: the weights shrink by 1 − 0.05 = 0.95 first; the gradient is the
        // one computed before the step (g = p).
        // p₁: 1·0.95 = 0.95, then Adam's first step −0.1: 0.85
        //     −2·0.95 = −1.9, then +0.1: −1.8
        // p₂: g = 0.85: 0.85·0.95 = 0.8075; m = 0.09 + 0.085 = 0.175, v = 0.0017215,
        //     m̂ = 0.9210526, v̂ = 0.8611806, step 0.1·0.9210526/0.9279982 = 0.0992516,
        //     p = 0.8075 − 0.0992516 = 0.7082484
        //     g = −1.8: −1.71; m̂ = −1.8947368, v̂ = 3.6198099, p = −1.71 + 0.0995878 = −1.6104122
        // p₃: g = 0.7082484: 0.6728360; m = 0.2283248, v = 0.0022214, m̂ = 0.8425271,
        //     v̂ = 0.7412057, p = 0.6728360 − 0.0978621 = 0.5749739
        //     g = −1.6104122: −1.5298916; m̂ = −1.7898200, v̂ = 3.2773401, p = −1.4310252
        let got = three_steps(&mut AdamW::<f64, 2>::new(0.1).weight_decay(0.5));
        assert_steps(
            got,
            [
                [0.850_000_001, -1.800_000_000_5],
                [0.708_248_444_4, -1.610_412_228_7],
                [0.574_973_932_3, -1.431_025_244_4],
            ],
            1e-9,
        );
    }

    #[test]
    fn defaults_are_pytorchs() {
        let a = Adam::<f32, 1>::new(1e-3);
        assert_eq!(
            (
                a.0.beta1.get(),
                a.0.beta2.get(),
                a.0.eps.get(),
                a.0.weight_decay.get()
            ),
            (0.9, 0.999, 1e-8, 0.0)
        );
        let w = AdamW::<f32, 1>::new(1e-3);
        assert_eq!(w.0.weight_decay.get(), 1e-2);
    }

    #[test]
    fn no_subnormal_survives_a_step() {
        crate::optim::tests::flushes_subnormals(Adam::<f64, 2>::new(1e-300));
    }

    #[test]
    fn bad_input_changes_nothing() {
        refuses_bad_input(Adam::<f64, 2>::new(0.1).weight_decay(0.1));
        refuses_bad_input(AdamW::<f64, 2>::new(0.1));
    }
}
