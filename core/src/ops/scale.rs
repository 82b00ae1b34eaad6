//! Multiplication by a fixed scalar, `k·a`. `∂/∂a = k·Ḡ`.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

fn scale_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (k, up) = (s.attr(), s.upstream());
    s.accumulate(0, up.iter().map(|&u| k * u));
}

fn scale_forward<T: Real>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let k = attr[0];
    for (o, &x) in out.iter_mut().zip(a) {
        *o = k * x;
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `k·a` for a constant `k` (nalgebra's `scale`). `∂/∂a = k·Ḡ`. A NaN or infinite
    /// `k` propagates.
    pub fn scale(self, k: T) -> Var<'g, T, R, C> {
        self.apply_unary(
            op!("scale", scale_forward::<T>, scale_backward::<T>),
            [k, T::zero()],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, grad_of, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<3, 2>(1), |g, x| {
            x.scale(-2.5).component_mul(g.constant_value(mat(2))).sum()
        });
        assert_eq!(grad_of::<1, 1>(1.0, |_, x| x.scale(4.0)), 4.0);
    }
}
