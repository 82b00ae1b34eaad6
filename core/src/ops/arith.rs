//! Element-wise `+`, `−` and unary `−`. `+` distributes the upstream gradient to both
//! inputs unchanged; `−` negates it for the right-hand side.

use crate::tape::op;
use core::ops::{Add, Neg, Sub};

use crate::ops::Backward;
use crate::{Real, Var};

fn add_backward<T: Real>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    s.accumulate(0, up.iter().copied());
    s.accumulate(1, up.iter().copied());
}

fn sub_backward<T: Real>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    s.accumulate(0, up.iter().copied());
    s.accumulate(1, up.iter().map(|&u| -u));
}

fn neg_backward<T: Real>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    s.accumulate(0, up.iter().map(|&u| -u));
}

fn add_forward<T: Real>(a: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
}

fn sub_forward<T: Real>(a: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x - y;
    }
}

fn neg_forward<T: Real>(a: &[T], _: &[T], _: [T; 2], out: &mut [T]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = -x;
    }
}

/// `a + b`, element-wise. `∂/∂a = ∂/∂b = I`.
impl<'g, T: Real, const R: usize, const C: usize> Add for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn add(self, rhs: Self) -> Self::Output {
        self.apply_binary(
            rhs,
            op!("add", add_forward::<T>, add_backward::<T>),
            [T::zero(); 2],
        )
    }
}

/// `a − b`, element-wise. `∂/∂a = I`, `∂/∂b = −I`.
impl<'g, T: Real, const R: usize, const C: usize> Sub for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn sub(self, rhs: Self) -> Self::Output {
        self.apply_binary(
            rhs,
            op!("sub", sub_forward::<T>, sub_backward::<T>),
            [T::zero(); 2],
        )
    }
}

/// `−a`. `∂/∂a = −I`.
impl<'g, T: Real, const R: usize, const C: usize> Neg for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn neg(self) -> Self::Output {
        self.apply_unary(
            op!("neg", neg_forward::<T>, neg_backward::<T>),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, grad_of, mat};

    #[test]
    fn add_sub_neg_match_central_differences() {
        let x = mat::<3, 2>(1);
        check(x, |g, v| {
            let c = g.constant_value(mat::<3, 2>(2));
            ((v + c) - v.component_mul(v) + (-v))
                .component_mul(g.constant_value(mat(3)))
                .sum()
        });
    }

    #[test]
    fn plus_distributes_and_fan_out_sums() {
        // f = x + x + x: the gradient of x is the sum of three upstream gradients.
        let d = grad_of::<1, 1>(2.0, |_, x| x + x + x);
        assert_eq!(d, 3.0);
        let d = grad_of::<1, 1>(2.0, |_, x| x - x);
        assert_eq!(d, 0.0);
    }
}
