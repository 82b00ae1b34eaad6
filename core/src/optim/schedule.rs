//! Learning-rate schedules: the learning rate as a function of the step (or epoch)
//! count `t`, applied with [`Optimizer::set_lr`](super::Optimizer::set_lr).

use crate::Real;

/// A learning-rate schedule from a base rate `lr₀`.
///
/// ```
/// use stackgrad::optim::{Adam, Optimizer, Schedule};
/// let mut adam: Adam<f32, 4> = Adam::new(1e-2);
/// let cosine = Schedule::Cosine { t_max: 100, eta_min: 0.0 };
/// for epoch in 0..100 {
///     adam.set_lr(cosine.lr(1e-2, epoch));
///     // ... one epoch of steps ...
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// `lr₀` for ever.
    Constant,
    /// Exponential decay `lr₀·e^(−k·t)` (PyTorch's `ExponentialLR` with `γ = e^(−k)`).
    Exponential {
        /// The decay rate `k ≥ 0`.
        k: f64,
    },
    /// Step decay `lr₀·γ^⌊t / step⌋` (PyTorch's `StepLR`). A `step` of 0 is taken as 1.
    Step {
        /// Steps between decays.
        step: u32,
        /// The factor applied at each decay.
        gamma: f64,
    },
    /// Cosine annealing `η_min + (lr₀ − η_min)·(1 + cos(π·t/t_max))/2` (PyTorch's
    /// `CosineAnnealingLR`, closed form): `lr₀` at `t = 0`, `η_min` at `t = t_max`, and,
    /// as in PyTorch, rising again after it. A `t_max` of 0 is taken as 1.
    Cosine {
        /// The half period.
        t_max: u32,
        /// The lowest rate.
        eta_min: f64,
    },
}

impl Schedule {
    /// The learning rate at step `t` (computed in `f64`, then rounded to `T`).
    pub fn lr<T: Real>(&self, lr0: T, t: u32) -> T {
        let (lr0, t) = (lr0.to_f64(), f64::from(t));
        let lr = match *self {
            Schedule::Constant => lr0,
            Schedule::Exponential { k } => lr0 * libm::exp(-k * t),
            Schedule::Step { step, gamma } => {
                let n = libm::floor(t / f64::from(step.max(1)));
                lr0 * libm::pow(gamma, n)
            }
            Schedule::Cosine { t_max, eta_min } => {
                let phase = core::f64::consts::PI * t / f64::from(t_max.max(1));
                eta_min + (lr0 - eta_min) * (1.0 + libm::cos(phase)) / 2.0
            }
        };
        T::constant(lr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        crate::testing::close(a, b, 1e-12)
    }

    #[test]
    fn values() {
        assert_eq!(Schedule::Constant.lr(0.1, 1000), 0.1);
        let e = Schedule::Exponential { k: 0.5 };
        assert!(close(e.lr(2.0, 0), 2.0));
        assert!(close(e.lr(2.0, 2), 2.0 * libm::exp(-1.0)));
        let s = Schedule::Step {
            step: 10,
            gamma: 0.5,
        };
        assert_eq!(
            [s.lr(1.0, 0), s.lr(1.0, 9), s.lr(1.0, 10), s.lr(1.0, 25)],
            [1.0, 1.0, 0.5, 0.25]
        );
        let c = Schedule::Cosine {
            t_max: 10,
            eta_min: 0.1,
        };
        assert!(close(c.lr(1.0, 0), 1.0));
        assert!(close(c.lr(1.0, 5), 0.55));
        assert!(close(c.lr(1.0, 10), 0.1));
        assert!(close(c.lr(1.0, 20), 1.0));
        let zero = Schedule::Step {
            step: 0,
            gamma: 0.5,
        };
        assert_eq!(zero.lr(1.0f32, 2), 0.25);
    }
}
