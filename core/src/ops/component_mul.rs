//! The element-wise (Hadamard) product `a ∘ b`. `*` "switches" the gradient: each input
//! receives the upstream gradient times the *other* input.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

fn component_mul_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (a, b, up) = (s.input(0), s.input(1), s.upstream());
    s.accumulate(0, up.iter().zip(b).map(|(&u, &y)| u * y));
    s.accumulate(1, up.iter().zip(a).map(|(&u, &x)| u * x));
}

/// `out = a ∘ b`.
fn component_mul_forward<T: Real>(a: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x * y;
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `a ∘ b`, element-wise product (nalgebra's name). `∂/∂a = Ḡ ∘ b`, `∂/∂b = Ḡ ∘ a`.
    pub fn component_mul(self, other: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.apply_binary(
            other,
            op!(
                "component_mul",
                component_mul_forward::<T>,
                component_mul_backward::<T>
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
        check(mat::<2, 3>(1), |g, x| {
            x.component_mul(g.constant_value(mat(2))).sum()
        });
        check(mat::<2, 3>(3), |g, x| {
            x.component_mul(x)
                .component_mul(g.constant_value(mat(4)))
                .sum()
        });
    }

    #[test]
    fn switches_the_gradient() {
        // d(x·x)/dx = 2x: both uses of x receive the other.
        assert_eq!(grad_of::<1, 1>(3.0, |_, x| x.component_mul(x)), 6.0);
    }
}
