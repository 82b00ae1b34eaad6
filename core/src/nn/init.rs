//! Weight initializers (PyTorch's `torch.nn.init` formulas), driven by a seeded [`Rng`].
//!
//! A weight matrix `W` of shape `OUT×IN` (as in [`Linear`](super::Linear): `y = Wx`)
//! has `fan_in = IN` (its columns) and `fan_out = OUT` (its rows). The same seed gives the
//! same weights on every target (the draws are computed in `f64`).

use nalgebra::SMatrix;

use super::Rng;
use crate::Real;

/// How to fill a weight matrix.
///
/// ```
/// use stackgrad::nalgebra::SMatrix;
/// use stackgrad::nn::{Init, Rng};
/// let mut rng = Rng::seed_from_u64(42);
/// let w: SMatrix<f32, 4, 6> = Init::XavierUniform.matrix(&mut rng);
/// let bound = (6.0f32 / (6.0 + 4.0)).sqrt(); // ±√(6 / (fan_in + fan_out))
/// assert!(w.iter().all(|&x| x.abs() <= bound));
/// // The same seed gives the same weights, on the host and on a chip.
/// let again: SMatrix<f32, 4, 6> = Init::XavierUniform.matrix(&mut Rng::seed_from_u64(42));
/// assert_eq!(w, again);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros (biases; never a hidden layer's weights, which would stay symmetric).
    Zeros,
    /// Xavier/Glorot uniform: `U(−a, a)` with `a = √(6 / (fan_in + fan_out))`. Keeps the
    /// variance of activations and gradients about constant through `tanh`/`sigmoid`
    /// layers (PyTorch's `xavier_uniform_`, gain 1).
    XavierUniform,
    /// Xavier/Glorot normal: `N(0, σ²)` with `σ = √(2 / (fan_in + fan_out))`.
    XavierNormal,
    /// He/Kaiming uniform for ReLU layers: `U(−a, a)` with `a = √(6 / fan_in)`
    /// (PyTorch's `kaiming_uniform_` with `nonlinearity = "relu"`, mode `fan_in`).
    HeUniform,
    /// He/Kaiming normal for ReLU layers: `N(0, σ²)` with `σ = √(2 / fan_in)`.
    HeNormal,
    /// `U(−a, a)` with a given bound `a`.
    Uniform(f64),
    /// `N(0, σ²)` with a given standard deviation `σ`.
    Normal(f64),
}

impl Init {
    /// The uniform bound or normal standard deviation for a matrix with these fans
    /// (`0` for [`Init::Zeros`]). A fan of 0 gives `+∞`, a matrix with no entries.
    pub fn scale(self, fan_in: usize, fan_out: usize) -> f64 {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        match self {
            Init::Zeros => 0.0,
            Init::XavierUniform => libm::sqrt(6.0 / (fi + fo)),
            Init::XavierNormal => libm::sqrt(2.0 / (fi + fo)),
            Init::HeUniform => libm::sqrt(6.0 / fi),
            Init::HeNormal => libm::sqrt(2.0 / fi),
            Init::Uniform(a) | Init::Normal(a) => a,
        }
    }

    /// Fills `w` (`fan_in` = its columns, `fan_out` = its rows), drawing in column-major
    /// order.
    pub fn fill<T: Real, const R: usize, const C: usize>(
        self,
        w: &mut SMatrix<T, R, C>,
        rng: &mut Rng,
    ) {
        let a = self.scale(C, R);
        for x in w.iter_mut() {
            *x = match self {
                Init::Zeros => T::zero(),
                Init::XavierUniform | Init::HeUniform | Init::Uniform(_) => {
                    T::constant(a * (2.0 * rng.next_f64() - 1.0))
                }
                Init::XavierNormal | Init::HeNormal | Init::Normal(_) => {
                    T::constant(a * rng.normal(0.0f64, 1.0))
                }
            };
        }
    }

    /// A new `R×C` matrix filled by [`Init::fill`].
    pub fn matrix<T: Real, const R: usize, const C: usize>(
        self,
        rng: &mut Rng,
    ) -> SMatrix<T, R, C> {
        let mut w = SMatrix::zeros();
        self.fill(&mut w, rng);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments<const R: usize, const C: usize>(w: &SMatrix<f64, R, C>) -> (f64, f64, f64) {
        let n = (R * C) as f64;
        let mean = w.sum() / n;
        let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var, w.amax())
    }

    #[test]
    fn scales_follow_pytorch() {
        assert_eq!(Init::XavierUniform.scale(64, 32), libm::sqrt(6.0 / 96.0));
        assert_eq!(Init::XavierNormal.scale(64, 32), libm::sqrt(2.0 / 96.0));
        assert_eq!(Init::HeUniform.scale(64, 32), libm::sqrt(6.0 / 64.0));
        assert_eq!(Init::HeNormal.scale(64, 32), libm::sqrt(2.0 / 64.0));
        assert_eq!(Init::Zeros.scale(3, 3), 0.0);
    }

    #[test]
    fn draws_have_the_stated_bounds_and_variances() {
        let mut rng = Rng::seed_from_u64(11);
        // OUT = 40, IN = 200: fan_in 200, fan_out 40.
        let w: SMatrix<f64, 40, 200> = Init::XavierUniform.matrix(&mut rng);
        let a = libm::sqrt(6.0 / 240.0);
        let (mean, var, amax) = moments(&w);
        assert!(amax < a && mean.abs() < 0.01);
        assert!((var / (a * a / 3.0) - 1.0).abs() < 0.05, "{var}");
        let w: SMatrix<f64, 40, 200> = Init::HeNormal.matrix(&mut rng);
        let (mean, var, _) = moments(&w);
        assert!(
            mean.abs() < 0.01 && (var / (2.0 / 200.0) - 1.0).abs() < 0.05,
            "{var}"
        );
        let w: SMatrix<f64, 40, 200> = Init::XavierNormal.matrix(&mut rng);
        let (_, var, _) = moments(&w);
        assert!((var / (2.0 / 240.0) - 1.0).abs() < 0.05, "{var}");
        let w: SMatrix<f64, 40, 200> = Init::HeUniform.matrix(&mut rng);
        let (_, var, amax) = moments(&w);
        assert!(amax < libm::sqrt(6.0 / 200.0));
        assert!((var / (2.0 / 200.0) - 1.0).abs() < 0.05, "{var}");
        let z: SMatrix<f64, 3, 3> = Init::Zeros.matrix(&mut rng);
        assert_eq!(z, SMatrix::<f64, 3, 3>::zeros());
    }

    #[test]
    fn same_seed_same_weights_in_f32_and_f64() {
        let w64: SMatrix<f64, 4, 5> = Init::XavierNormal.matrix(&mut Rng::seed_from_u64(5));
        let w32: SMatrix<f32, 4, 5> = Init::XavierNormal.matrix(&mut Rng::seed_from_u64(5));
        assert_eq!(w32, w64.map(|x| x as f32));
        let again: SMatrix<f64, 4, 5> = Init::XavierNormal.matrix(&mut Rng::seed_from_u64(5));
        assert_eq!(w64, again);
    }
}
