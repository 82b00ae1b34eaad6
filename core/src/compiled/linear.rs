//! [`Linear`] on the compiled path: the tape's product and bias kernels, in the tape's
//! order.

use nalgebra::SMatrix;

use super::{Backprop, GradVisitor, ParamGrads, Zeroed};
use crate::nn::{Linear, Mat};
use crate::ops::bias::{add_bias_backward_b, add_bias_in_place};
use crate::ops::matmul::{matmul_backward_a_penalized, matmul_backward_b, matmul_forward};
use crate::ops::norm::norm_squared_forward;
use crate::{Error, Real};

impl<T: Real, const IN: usize, const OUT: usize> Zeroed for Linear<T, IN, OUT> {
    const ZERO: Self = Linear {
        weight: SMatrix::ZERO,
        bias: SMatrix::ZERO,
    };
}

/// The gradients of a `Linear` are a `Linear`: `∂W` in `weight`, `∂b` in `bias`.
impl<T: Real, const IN: usize, const OUT: usize> ParamGrads<T> for Linear<T, IN, OUT> {
    type Grads = Linear<T, IN, OUT>;

    fn visit_grads<V: GradVisitor<T>>(&mut self, g: &Self::Grads, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.weight, &g.weight)?;
        v.visit(&mut self.bias, &g.bias)
    }

    /// `(λ·½)·‖W‖²`, as the tape's `norm_squared` then `scale`.
    fn penalty_value(&self, lambda: T) -> Option<T> {
        let k = lambda * T::constant(0.5);
        Some(k * norm_squared_forward(self.weight.as_slice()))
    }
}

/// `Y = W·X + b𝟙ᵀ` (the tape's product, then its bias addition), no cache: the backward
/// pass needs only the input. Backward, in the tape's order: `∂b = Σ_c Ḡ[:, c]`,
/// `∂W = Ḡ·Xᵀ` (then `+ λW` in the same loop, under a penalty), `∂X = Wᵀ·Ḡ`.
impl<T: Real, const IN: usize, const OUT: usize, const B: usize> Backprop<T, Mat<IN, B>>
    for Linear<T, IN, OUT>
{
    type Cache = ();

    #[inline]
    fn forward_cached(&self, x: &SMatrix<T, IN, B>, _: &mut (), y: &mut SMatrix<T, OUT, B>) {
        matmul_forward::<T, OUT, IN, B>(self.weight.as_slice(), x.as_slice(), y.as_mut_slice());
        add_bias_in_place::<T, OUT>(y.as_mut_slice(), self.bias.as_slice());
    }

    #[inline]
    fn backward(
        &self,
        x: &SMatrix<T, IN, B>,
        _: &SMatrix<T, OUT, B>,
        _: &mut (),
        up: &SMatrix<T, OUT, B>,
        grads: &mut Self,
        dx: Option<&mut SMatrix<T, IN, B>>,
        penalty: Option<T>,
    ) {
        let up = up.as_slice();
        add_bias_backward_b::<T, OUT>(up, grads.bias.as_mut_slice(), true);
        // The tape's `scale` node passes `u = (λ·½)·1` down to `norm_squared`, whose rule
        // adds `(u + u)·W`.
        let w = self.weight.as_slice();
        let penalty = penalty.map(|lambda| {
            let u = lambda * T::constant(0.5) * T::one();
            (u + u, w)
        });
        matmul_backward_a_penalized::<T, OUT, IN, B>(
            x.as_slice(),
            up,
            grads.weight.as_mut_slice(),
            true,
            penalty,
        );
        if let Some(dx) = dx {
            matmul_backward_b::<T, OUT, IN, B>(self.weight.as_slice(), up, dx.as_mut_slice(), true);
        }
    }
}
