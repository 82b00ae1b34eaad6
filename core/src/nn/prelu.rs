//! The parametric ReLU layer: a ReLU whose negative-side slope is learned.

use nalgebra::SMatrix;

use super::{Backprop, ParamGrads, Zeroed};
use super::{Layer, Mat, Module, Shape, Visitor};
use crate::ops::prelu::{prelu_backward_a, prelu_backward_x, prelu_forward};
use crate::{Error, Graph, Real, Usage, Var, VarId};

/// PReLU with one learned slope shared by all entries (PyTorch's `nn.PReLU()`, which
/// starts the slope at 0.25): `x` for `x > 0`, `a·x` otherwise. See [`Var::prelu`] for the
/// derivatives and the kink convention.
///
/// # Tape memory
///
/// Binding costs 1 scalar and 1 node; a forward pass on an `R×C` input costs `2·R·C`
/// scalars and 1 node.
///
/// ```
/// use stackgrad::nalgebra::Vector2;
/// use stackgrad::nn::{Layer, Module, PRelu};
/// use stackgrad::Tape;
///
/// let p = PRelu::new(0.25);
/// assert_eq!(p.eval(&Vector2::new(-2.0, 3.0)), Vector2::new(-0.5, 3.0));
/// let x0 = Vector2::new(-2.0, 3.0);
/// let mut tape: Tape<f64, 32, 8> = Tape::new();
/// let g = tape.graph();
/// let a = p.bind(&g);
/// let y = PRelu::forward(&a, g.constant(&x0));
/// let grads = y.sum().backward()?;
/// assert_eq!(grads.wrt(a)?[0], -2.0); // ∂/∂a = Σ over the negative entries of x
/// # Ok::<(), stackgrad::Error>(())
/// ```
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
    /// A PReLU starting at slope `a`.
    pub fn new(a: T) -> Self {
        PRelu {
            slope: SMatrix::<T, 1, 1>::new(a),
        }
    }
}

impl<T: Real> Module<T> for PRelu<T> {
    const PARAMS: usize = 1;
    const TENSORS: usize = 1;
    const PENALTY: Usage = Usage::ZERO;
    type Vars<'g> = Var<'g, T, 1, 1>;
    type Ids = VarId<1, 1>;

    /// Registers the slope as a parameter of `g`.
    fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
    ) -> Var<'g, T, 1, 1> {
        g.param(&self.slope)
    }

    fn ids(v: &Var<'_, T, 1, 1>) -> VarId<1, 1> {
        v.id()
    }

    fn visit<V: Visitor<T>>(&mut self, id: &VarId<1, 1>, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.slope, (*id).into())
    }

    /// The slope is not penalised.
    fn penalty<'g>(_: &Self::Vars<'g>, _: T) -> Option<Var<'g, T, 1, 1>> {
        None
    }

    /// `weight`, as PyTorch's `nn.PReLU`.
    fn names(f: &mut dyn FnMut(&[&str])) {
        f(&["weight"]);
    }
}

impl<T: Real, const R: usize, const C: usize> Layer<T, Mat<R, C>> for PRelu<T> {
    type Output = Mat<R, C>;
    const FORWARD: Usage = Usage {
        scalars: 2 * R * C,
        nodes: 1,
    };

    fn forward<'g>(
        slope: &Self::Vars<'g>,
        x: <Mat<R, C> as Shape>::Var<'g, T>,
    ) -> <Mat<R, C> as Shape>::Var<'g, T> {
        x.prelu(*slope)
    }

    /// `prelu(x)` without a tape: the compiled path's forward pass
    /// ([`Backprop::forward_cached`]), one kernel for both.
    fn eval(&self, x: &SMatrix<T, R, C>) -> SMatrix<T, R, C> {
        let mut y = SMatrix::<T, R, C>::zeros();
        <Self as Backprop<T, Mat<R, C>>>::forward_cached(self, x, &mut (), &mut y);
        y
    }
}

// The compiled path (`Backprop`): the tape's PReLU kernels.

impl<T: Real> Zeroed for PRelu<T> {
    const ZERO: Self = PRelu {
        slope: <nalgebra::SMatrix<T, 1, 1> as Zeroed>::ZERO,
    };
}

/// The gradient of a `PRelu` is a `PRelu`: `∂a` in `slope`. The slope is not penalised.
impl<T: Real> ParamGrads<T> for PRelu<T> {
    type Grads = PRelu<T>;

    fn visit_grads<V: Visitor<T>>(&mut self, g: &Self::Grads, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.slope, (&g.slope).into())
    }

    fn penalty_value(&self, _: T) -> Option<T> {
        None
    }
}

/// The slope, read without a panic path.
#[inline]
fn slope<T: Real>(p: &PRelu<T>) -> T {
    p.slope.as_slice().first().copied().unwrap_or(T::nan())
}

/// `x` for `x > 0`, `a·x` otherwise; backward `∂x` and `∂a` as
/// [`Var::prelu`](crate::Var::prelu), from the input (no cache).
impl<T: Real, const R: usize, const C: usize> Backprop<T, Mat<R, C>> for PRelu<T> {
    type Cache = ();

    #[inline]
    fn forward_cached(&self, x: &SMatrix<T, R, C>, _: &mut (), y: &mut SMatrix<T, R, C>) {
        prelu_forward(x.as_slice(), slope(self), y.as_mut_slice());
    }

    #[inline]
    fn backward(
        &self,
        x: &SMatrix<T, R, C>,
        _: &SMatrix<T, R, C>,
        _: &mut (),
        up: &SMatrix<T, R, C>,
        grads: &mut Self,
        dx: Option<&mut SMatrix<T, R, C>>,
        _: Option<T>,
    ) {
        let a = slope(self);
        if let Some(dx) = dx {
            prelu_backward_x(x.as_slice(), a, up.as_slice(), dx.as_mut_slice(), true);
        }
        if let Some(ga) = grads.slope.as_mut_slice().first_mut() {
            prelu_backward_a(x.as_slice(), up.as_slice(), ga, true);
        }
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
