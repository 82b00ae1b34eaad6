//! [`PRelu`] on the compiled path: the tape's PReLU kernels.

use nalgebra::SMatrix;

use super::{Backprop, GradVisitor, ParamGrads, Zeroed};
use crate::nn::{Mat, PRelu};
use crate::ops::prelu::{prelu_backward_a, prelu_backward_x, prelu_forward};
use crate::{Error, Real};

impl<T: Real> Zeroed for PRelu<T> {
    const ZERO: Self = PRelu {
        slope: <nalgebra::SMatrix<T, 1, 1> as Zeroed>::ZERO,
    };
}

/// The gradient of a `PRelu` is a `PRelu`: `∂a` in `slope`. The slope is not penalised.
impl<T: Real> ParamGrads<T> for PRelu<T> {
    type Grads = PRelu<T>;

    fn visit_grads<V: GradVisitor<T>>(&mut self, g: &Self::Grads, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.slope, &g.slope)
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
