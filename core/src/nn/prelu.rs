//! The parametric ReLU layer: a ReLU whose negative-side slope is learned.

use nalgebra::SMatrix;

use crate::{Graph, Real, Var};

/// PReLU with one learned slope shared by all entries (PyTorch's `nn.PReLU()`, which
/// starts the slope at 0.25): `x` for `x > 0`, `a·x` otherwise. See [`Var::prelu`] for the
/// derivatives and the kink convention.
///
/// # Tape memory
///
/// Binding costs 1 scalar and 1 node; a forward pass on an `R×C` input costs `2·R·C`
/// scalars and 1 node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PRelu<T: Real> {
    /// The slope `a`, a 1×1 matrix so that it can be bound as a parameter.
    pub slope: SMatrix<T, 1, 1>,
}

impl<T: Real> Default for PRelu<T> {
    fn default() -> Self {
        PRelu::new(T::constant(0.25))
    }
}

impl<T: Real> PRelu<T> {
    /// Number of trainable scalars.
    pub const PARAMS: usize = 1;

    /// A PReLU starting at slope `a`.
    pub fn new(a: T) -> Self {
        PRelu {
            slope: SMatrix::<T, 1, 1>::new(a),
        }
    }

    /// Registers the slope as a parameter of `g`.
    pub fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
    ) -> Var<'g, T, 1, 1> {
        g.param(&self.slope)
    }

    /// The slope as a mutable slice, for an optimizer.
    pub fn params_mut(&mut self) -> [&mut [T]; 1] {
        [self.slope.as_mut_slice()]
    }

    /// `prelu(x)` without a tape.
    pub fn eval<const R: usize, const C: usize>(&self, x: &SMatrix<T, R, C>) -> SMatrix<T, R, C> {
        let a = self.slope[(0, 0)];
        x.map(|x| if x > T::zero() { x } else { a * x })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, mat};
    use crate::Tape;

    #[test]
    fn layer_gradient_and_value() {
        let x0 = mat::<3, 2>(1);
        check(SMatrix::<f64, 1, 1>::new(0.25), |g, a| {
            g.constant_value(x0)
                .prelu(a)
                .component_mul(g.constant_value(mat(2)))
                .sum()
        });
        let p = PRelu::<f64>::default();
        let mut tape: Tape<f64, 64, 8> = Tape::new();
        let g = tape.graph();
        let y = g.constant(&x0).prelu(p.bind(&g));
        assert_eq!(y.value(), p.eval(&x0));
        assert_eq!(g.used().scalars, 1 + 2 * 6);
    }
}
