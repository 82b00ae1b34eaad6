//! The squared Frobenius norm `‖A‖² = Σ aᵢⱼ²`, one node with a scalar value: the L2
//! penalty `λ/2·‖W‖²` costs two scalars on the tape instead of two copies of `W`.

use crate::node::Sweep;
use crate::{Real, Var};

fn norm_squared_backward<T: Real>(s: &mut Sweep<'_, T>) {
    let a = s.input(0);
    let Some(&u) = s.up.first() else { return };
    let two_u = u + u;
    if let Some(ga) = s.grad(0) {
        for (g, &x) in ga.iter_mut().zip(a) {
            *g += two_u * x;
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `Σ aᵢⱼ²` (nalgebra's `norm_squared`). `∂/∂a = 2Ḡ·a`. Overflows to +∞ for entries
    /// above ≈ 1.8e19 (`f32`); NaN gives NaN.
    pub fn norm_squared(self) -> Var<'g, T, 1, 1> {
        self.unary(norm_squared_backward::<T>, T::zero(), |a, out| {
            let mut acc = T::zero();
            for &x in a {
                acc += x * x;
            }
            if let Some(o) = out.first_mut() {
                *o = acc;
            }
        })
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
