//! The parametric ReLU, whose negative-side slope `a` is learned.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// `out = prelu(x)` with slope `a`.
#[inline]
pub(crate) fn prelu_forward<T: Real>(x: &[T], a: T, out: &mut [T]) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = if x > T::zero() { x } else { a * x };
    }
}

/// `∂x = Ḡ ∘ prelu'(x)`, written (`write`) or added.
#[inline]
pub(crate) fn prelu_backward_x<T: Real>(x: &[T], a: T, up: &[T], gx: &mut [T], write: bool) {
    for ((g, &u), &x) in gx.iter_mut().zip(up).zip(x) {
        let d = if x > T::zero() {
            T::one()
        } else if x.is_nan() {
            x
        } else {
            a
        };
        *g = if write { u * d } else { *g + u * d };
    }
}

/// `∂a = Σ Ḡ·x` over the entries with `x ≤ 0` (or NaN), in order, starting from 0
/// (`write`) or from the current value.
#[inline]
pub(crate) fn prelu_backward_a<T: Real>(x: &[T], up: &[T], ga: &mut T, write: bool) {
    let mut acc = if write { T::zero() } else { *ga };
    for (&u, &x) in up.iter().zip(x) {
        // x ≤ 0, or NaN (which then gives a NaN gradient)
        if x <= T::zero() || x.is_nan() {
            acc += u * x;
        }
    }
    *ga = acc;
}

fn prelu_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (x, up) = (s.input(0), s.upstream());
    let Some(&a) = s.input(1).first() else { return };
    if let Some((gx, fresh)) = s.grad_fresh(0) {
        prelu_backward_x(x, a, up, gx, fresh);
    }
    if let Some((ga, fresh)) = s.grad_fresh(1) {
        if let Some(ga) = ga.first_mut() {
            prelu_backward_a(x, up, ga, fresh);
        }
    }
}

/// The node's forward function: `out = prelu(x)` with the slope `a`, input 1 (NaN if
/// it is missing).
fn prelu_forward_fn<T: Real>(x: &[T], a: &[T], _: [T; 2], out: &mut [T]) {
    let a = a.first().copied().unwrap_or(T::nan());
    prelu_forward(x, a, out)
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// PReLU with one learned slope `a` shared by all entries (PyTorch's `PReLU()`):
    /// `x` for `x > 0`, `a·x` otherwise.
    ///
    /// Derivatives: `∂/∂x = 1` for `x > 0`, `a` for `x ≤ 0` (`a` at the kink 0, as in
    /// PyTorch); `∂/∂a = Σ Ḡ·x` over the entries with `x ≤ 0`. NaN in `x` gives NaN in the
    /// value and in both gradients; a NaN slope gives NaN for every `x ≤ 0`.
    pub fn prelu(self, slope: Var<'g, T, 1, 1>) -> Var<'g, T, R, C> {
        self.apply_binary(
            slope,
            op!("prelu", prelu_forward_fn::<T>, prelu_backward::<T>),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::{matrix, SMatrix};
    use crate::testing::{check, mat};
    use crate::Tape;

    #[test]
    fn matches_central_differences_for_input_and_slope() {
        check(mat::<3, 2>(1), |g, x| {
            x.prelu(g.constant_value(SMatrix::<f64, 1, 1>::new(0.25)))
                .component_mul(g.constant_value(mat(2)))
                .sum()
        });
        check(SMatrix::<f64, 1, 1>::new(0.3), |g, a| {
            g.constant_value(mat::<3, 2>(3))
                .prelu(a)
                .component_mul(g.constant_value(mat(4)))
                .sum()
        });
    }

    #[test]
    fn kink_and_nan() {
        let x0 = matrix![0.0, f64::NAN, -2.0, 3.0];
        let a0 = SMatrix::<f64, 1, 1>::new(0.25);
        let mut tape: Tape<f64, 64, 8> = Tape::new();
        let g = tape.graph();
        let (x, a) = (g.param(&x0), g.param(&a0));
        let y = x.prelu(a);
        let v = y.value();
        assert_eq!((v[0], v[2], v[3]), (0.0, -0.5, 3.0));
        assert!(v[1].is_nan());
        let grads = y.sum().backward().unwrap();
        let dx = grads.wrt(x).unwrap().into_owned();
        assert_eq!((dx[0], dx[2], dx[3]), (0.25, 0.25, 1.0));
        assert!(dx[1].is_nan());
        assert!(grads.wrt(a).unwrap().into_owned()[0].is_nan());
    }
}
