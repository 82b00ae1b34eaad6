//! Reductions to a scalar: `sum` and `mean`. Their backward rules broadcast the scalar
//! upstream gradient to every element (divided by `R·C` for the mean).

use crate::node::Sweep;
use crate::{Real, Var};

fn reduce_backward<T: Real>(s: &mut Sweep<'_, T>) {
    let Some(&u) = s.up.first() else { return };
    let u = u * s.attr();
    s.accumulate(0, core::iter::repeat(u));
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `Σ aᵢⱼ`. `∂/∂a = Ḡ·𝟙`.
    pub fn sum(self) -> Var<'g, T, 1, 1> {
        self.reduce(T::one())
    }

    /// `Σ aᵢⱼ / (R·C)`. `∂/∂a = Ḡ/(R·C)·𝟙`.
    pub fn mean(self) -> Var<'g, T, 1, 1> {
        self.reduce(T::one() / T::constant((R * C) as f64))
    }

    fn reduce(self, k: T) -> Var<'g, T, 1, 1> {
        self.unary(reduce_backward::<T>, k, |a, out| {
            let mut acc = T::zero();
            for &x in a {
                acc += x;
            }
            if let Some(o) = out.first_mut() {
                *o = k * acc;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, grad_of, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<3, 2>(1), |_, x| x.sum());
        check(mat::<3, 2>(2), |_, x| x.component_mul(x).mean());
        assert_eq!(grad_of::<1, 1>(5.0, |_, x| x.mean()), 1.0);
    }
}
