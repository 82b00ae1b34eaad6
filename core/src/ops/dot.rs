//! The inner product `⟨a, b⟩ = Σ aᵢⱼ bᵢⱼ` of two matrices of the same shape, a scalar.
//! For the window classifier, `s = uᵀh = u.dot(h)`: `∂s/∂u = h`, `∂s/∂h = u`.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

fn dot_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (a, b) = (s.input(0), s.input(1));
    let Some(&u) = s.upstream().first() else {
        return;
    };
    s.accumulate(0, b.iter().map(|&y| u * y));
    s.accumulate(1, a.iter().map(|&x| u * x));
}

/// `out = Σ aᵢⱼ bᵢⱼ`, one running sum in storage order.
fn dot_forward<T: Real>(a: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    let mut acc = T::zero();
    for (&x, &y) in a.iter().zip(b) {
        acc += x * y;
    }
    if let Some(o) = out.first_mut() {
        *o = acc;
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `Σ aᵢⱼ bᵢⱼ` (nalgebra's `dot`). `∂/∂a = Ḡ·b`, `∂/∂b = Ḡ·a`.
    pub fn dot(self, other: Var<'g, T, R, C>) -> Var<'g, T, 1, 1> {
        self.apply_binary(
            other,
            op!("dot", dot_forward::<T>, dot_backward::<T>),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<4, 2>(1), |g, x| x.dot(g.constant_value(mat(2))));
        check(mat::<4, 1>(3), |_, x| x.dot(x));
    }
}
