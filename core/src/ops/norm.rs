//! The squared Frobenius norm `‖A‖² = Σ aᵢⱼ²`, one node with a scalar value: the L2
//! penalty `λ/2·‖W‖²` costs two scalars on the tape instead of two copies of `W`.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// `Σ aᵢⱼ²` in the order of the product kernels' [`dot`](crate::ops::matmul::dot): eight
/// interleaved partial sums, which vectorise (one running sum cost 3.4 instructions per
/// entry on x86-64, a third of an L2-penalised step's recording at batch 1).
#[inline]
pub(crate) fn norm_squared_forward<T: Real>(a: &[T]) -> T {
    crate::ops::matmul::dot_slices(a, a)
}

/// `∂a = 2Ḡ·a` for upstream `u`, written (`write`) or added.
#[inline]
pub(crate) fn norm_squared_backward_a<T: Real>(a: &[T], u: T, ga: &mut [T], write: bool) {
    let two_u = u + u;
    // Two loops rather than a test per entry, so that each vectorises.
    if write {
        for (g, &x) in ga.iter_mut().zip(a) {
            *g = two_u * x;
        }
    } else {
        for (g, &x) in ga.iter_mut().zip(a) {
            *g += two_u * x;
        }
    }
}

fn norm_squared_backward<T: Real>(s: &mut Backward<'_, T>) {
    let a = s.input(0);
    let Some(&u) = s.upstream().first() else {
        return;
    };
    if let Some((ga, fresh)) = s.grad_fresh(0) {
        norm_squared_backward_a(a, u, ga, fresh);
    }
}

/// The node's forward function: `out = [Σ aᵢⱼ²]`, by [`norm_squared_forward`].
fn norm_squared_forward_fn<T: Real>(a: &[T], _: &[T], _: [T; 2], out: &mut [T]) {
    if let Some(o) = out.first_mut() {
        *o = norm_squared_forward(a);
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `Σ aᵢⱼ²` (nalgebra's `norm_squared`). `∂/∂a = 2Ḡ·a`. Overflows to +∞ for entries
    /// above ≈ 1.8e19 (`f32`); NaN gives NaN.
    pub fn norm_squared(self) -> Var<'g, T, 1, 1> {
        self.apply_unary(
            op!(
                "norm_squared",
                norm_squared_forward_fn::<T>,
                norm_squared_backward::<T>
            ),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, grad_of, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<3, 4>(1), |_, a| a.norm_squared());
        check(mat::<2, 2>(2), |_, a| (a + a).norm_squared().scale(0.5));
        assert_eq!(grad_of::<1, 1>(-3.0, |_, x| x.norm_squared()), -6.0);
        assert!(grad_of::<1, 1>(f64::NAN, |_, x| x.norm_squared()).is_nan());
    }
}
