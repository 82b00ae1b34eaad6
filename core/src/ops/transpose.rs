//! The transpose `aᵀ`. `∂/∂a = Ḡᵀ`.

use crate::node::{view, view_mut, Sweep};
use crate::{Real, Var};

fn transpose_backward<T: Real, const R: usize, const C: usize>(s: &mut Sweep<'_, T>) {
    let Some(up) = view::<T, C, R>(s.up) else {
        return;
    };
    if let Some(mut ga) = s.grad(0).and_then(view_mut::<T, R, C>) {
        ga += up.transpose();
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `aᵀ`, as a new `C×R` node. `∂/∂a = Ḡᵀ`.
    pub fn transpose(self) -> Var<'g, T, C, R> {
        self.unary(transpose_backward::<T, R, C>, T::zero(), |a, out| {
            if let (Some(a), Some(mut o)) = (view::<T, R, C>(a), view_mut::<T, C, R>(out)) {
                a.transpose_to(&mut o);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<2, 3>(1), |g, x| {
            x.transpose().component_mul(g.constant_value(mat(2))).sum()
        });
        check(mat::<3, 1>(3), |_, x| (x.transpose() * x).sum());
    }
}
