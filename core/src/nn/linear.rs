//! The fully connected layer `y = Wx + b`, on one column or a batch of columns.

use nalgebra::{SMatrix, SVector};

use super::{Init, Rng};
use crate::{Graph, Real, Var};

/// A fully connected layer: weights `W: OUT×IN`, bias `b: OUT`, `y = Wx + b`.
///
/// The parameters are plain nalgebra matrices owned by the layer; [`Linear::bind`]
/// registers them on a graph (no copy), and [`Linear::params_mut`] hands them to an
/// [`Optimizer`](crate::optim::Optimizer) in the same order as their gradients.
///
/// # Tape memory
///
/// Binding costs [`Linear::PARAMS`] scalars (the gradients) and 2 nodes; a forward pass
/// on a batch of `B` columns costs [`Linear::forward_scalars`]`(B) = 4·OUT·B` scalars
/// (value and gradient of `Wx`, then of `+ b`) and 2 nodes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear<T: Real, const IN: usize, const OUT: usize> {
    /// `W`, `OUT×IN`.
    pub weight: SMatrix<T, OUT, IN>,
    /// `b`, `OUT`.
    pub bias: SVector<T, OUT>,
}

/// A [`Linear`] layer's parameters registered on a graph.
#[derive(Clone, Copy, Debug)]
pub struct LinearVars<'g, T, const IN: usize, const OUT: usize> {
    /// `W`
    pub weight: Var<'g, T, OUT, IN>,
    /// `b`
    pub bias: Var<'g, T, OUT, 1>,
}

impl<T: Real, const IN: usize, const OUT: usize> Linear<T, IN, OUT> {
    /// Number of trainable scalars, `OUT·IN + OUT`.
    pub const PARAMS: usize = OUT * IN + OUT;
    /// Tape nodes taken by [`Linear::bind`].
    pub const BIND_NODES: usize = 2;
    /// Tape nodes taken by one [`LinearVars::forward`].
    pub const FORWARD_NODES: usize = 2;

    /// Tape scalars taken by one [`LinearVars::forward`] on `batch` columns: `4·OUT·batch`.
    pub const fn forward_scalars(batch: usize) -> usize {
        4 * OUT * batch
    }

    /// Weights drawn by `init` (fan_in = `IN`, fan_out = `OUT`), bias zero.
    pub fn new(init: Init, rng: &mut Rng) -> Self {
        Linear {
            weight: init.matrix(rng),
            bias: SVector::zeros(),
        }
    }

    /// Registers `W` and `b` as parameters of `g` (in that order).
    pub fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
    ) -> LinearVars<'g, T, IN, OUT> {
        LinearVars {
            weight: g.param(&self.weight),
            bias: g.param(&self.bias),
        }
    }

    /// `Wx + b` for a batch, computed directly with nalgebra (no tape): for inference.
    pub fn eval<const B: usize>(&self, x: &SMatrix<T, IN, B>) -> SMatrix<T, OUT, B> {
        let mut y = self.weight * x;
        for mut col in y.column_iter_mut() {
            col += &self.bias;
        }
        y
    }

    /// `[W, b]` as mutable column-major slices, in the order [`Linear::bind`] registers
    /// them (so their gradients are laid out the same way on the tape).
    pub fn params_mut(&mut self) -> [&mut [T]; 2] {
        [self.weight.as_mut_slice(), self.bias.as_mut_slice()]
    }
}

impl<'g, T: Real, const IN: usize, const OUT: usize> LinearVars<'g, T, IN, OUT> {
    /// `W·X + b𝟙ᵀ` for a batch `X` of `B` columns (`B = 1` for one input). Gradients:
    /// `∂/∂W = Ḡ Xᵀ`, `∂/∂b = Σ_c Ḡ[:, c]`, `∂/∂X = Wᵀ Ḡ`.
    pub fn forward<const B: usize>(&self, x: Var<'g, T, IN, B>) -> Var<'g, T, OUT, B> {
        (self.weight * x).add_bias(self.bias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, close, mat};
    use crate::Tape;

    #[test]
    fn gradients_match_central_differences() {
        let (w0, b0, x0) = (mat::<3, 4>(1), mat::<3, 1>(2), mat::<4, 5>(3));
        let weights = mat::<3, 5>(4);
        // with respect to W, to b and to the input batch
        check(w0, |g, w| {
            let l = LinearVars {
                weight: w,
                bias: g.constant_value(b0),
            };
            l.forward(g.constant_value(x0))
                .tanh()
                .dot(g.constant_value(weights))
        });
        check(b0, |g, b| {
            let l = LinearVars {
                weight: g.constant_value(w0),
                bias: b,
            };
            l.forward(g.constant_value(x0))
                .tanh()
                .dot(g.constant_value(weights))
        });
        check(x0, |g, x| {
            let l = LinearVars {
                weight: g.constant_value(w0),
                bias: g.constant_value(b0),
            };
            l.forward(x).tanh().dot(g.constant_value(weights))
        });
    }

    #[test]
    fn tape_forward_equals_eval_and_memory_is_as_stated() {
        let layer = Linear::<f64, 4, 3> {
            weight: mat(1),
            bias: mat(2),
        };
        let x0 = mat::<4, 5>(3);
        let mut tape: Tape<f64, 256, 16> = Tape::new();
        let g = tape.graph();
        let x = g.constant(&x0);
        let y = layer.bind(&g).forward(x).value();
        let used = g.used();
        let direct = layer.eval(&x0);
        assert!(y
            .iter()
            .zip(direct.iter())
            .all(|(a, b)| close(*a, *b, 1e-15)));
        type L = Linear<f64, 4, 3>;
        assert_eq!(used.scalars, L::PARAMS + L::forward_scalars(5));
        assert_eq!(used.nodes, 1 + L::BIND_NODES + L::FORWARD_NODES);
    }
}
