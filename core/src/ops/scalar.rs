//! Arithmetic with a constant scalar on the right: `v * k`, `v / k`, `v + k`, `v − k`,
//! applied to every entry. The scalar is a constant: only `v` gets a gradient. (To learn
//! a scalar, make it a `1×1` parameter `s` and write the matrix product `v * s` for a
//! column `v`.)
//!
//! # Why the operators are generic
//!
//! The impls are `impl<T: Real> Mul<T> for Var<'_, T, R, C>` and so on, for any scalar
//! type `T` of the tape (`f32`, `f64`, and [`Dual`](crate::Dual) for forward over
//! reverse). Rust's orphan rule accepts them because the first type in the impl, `Var`,
//! is local to this crate; the uncovered `T` comes after it. They do not overlap with
//! the matrix product `Var * Var` because a `Var` is never a [`Real`]. A scalar on the
//! *left* (`2.0 * v`) would need an impl on the foreign type `T` itself, which the
//! orphan rule rejects for a generic `T`; it is provided for `f32` and `f64`.
//!
//! The named methods are [`Var::scale`] (nalgebra's name for `v * k`) and
//! [`Var::add_scalar`] (nalgebra's name for `v + k`).

use crate::tape::op;
use core::ops::{Add, Div, Mul, Sub};

use crate::ops::Backward;
use crate::{Real, Var};

fn add_scalar_backward<T: Real>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    s.accumulate(0, up.iter().copied());
}

fn div_scalar_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (k, up) = (s.attr(), s.upstream());
    s.accumulate(0, up.iter().map(|&u| u / k));
}

/// `out = x + k` entry by entry, `k = attr[0]`.
fn add_scalar_forward<T: Real>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let k = attr[0];
    for (o, &x) in out.iter_mut().zip(a) {
        *o = x + k;
    }
}

/// `out = x / k` entry by entry (IEEE division), `k = attr[0]`.
fn div_scalar_forward<T: Real>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    let k = attr[0];
    for (o, &x) in out.iter_mut().zip(a) {
        *o = x / k;
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `v + k·𝟙`, adding a constant to every entry (nalgebra's `add_scalar`). `∂/∂v = Ḡ`.
    /// A NaN or infinite `k` propagates to the value (`∞ − ∞` gives NaN); the gradient
    /// passes through unchanged.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let x0 = Vector2::new(1.0, -2.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let x = g.param(&x0);
    /// assert_eq!(x.add_scalar(0.5).value(), Vector2::new(1.5, -1.5));
    /// assert_eq!((x + 1.0).value(), Vector2::new(2.0, -1.0));
    /// assert_eq!((x - 1.0).value(), Vector2::new(0.0, -3.0));
    /// ```
    pub fn add_scalar(self, k: T) -> Var<'g, T, R, C> {
        self.apply_unary(
            op!(
                "add_scalar",
                add_scalar_forward::<T>,
                add_scalar_backward::<T>
            ),
            [k, T::zero()],
        )
    }

    /// `v / k` for a constant `k`, entry by entry (IEEE division, not a multiplication
    /// by `1/k`, so it rounds as `x / k` does). `∂/∂v = Ḡ / k`. `k = 0` gives `±∞` (NaN
    /// for a zero entry) and an infinite gradient; a NaN `k` propagates.
    fn div_scalar(self, k: T) -> Var<'g, T, R, C> {
        self.apply_unary(
            op!(
                "div_scalar",
                div_scalar_forward::<T>,
                div_scalar_backward::<T>
            ),
            [k, T::zero()],
        )
    }
}

/// `v * k`, every entry times a constant scalar: [`Var::scale`]. `∂/∂v = k·Ḡ`.
///
/// ```
/// # use stackgrad::{Tape, nalgebra::Vector2};
/// let x0 = Vector2::new(1.0, -2.0);
/// let mut tape: Tape<f64, 64, 8> = Tape::new();
/// let g = tape.graph();
/// let x = g.param(&x0);
/// assert_eq!((x * 2.0).value(), Vector2::new(2.0, -4.0));
/// assert_eq!((3.0 * x).value(), Vector2::new(3.0, -6.0));
/// ```
impl<'g, T: Real, const R: usize, const C: usize> Mul<T> for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn mul(self, k: T) -> Self::Output {
        self.scale(k)
    }
}

/// `v / k`, every entry divided by a constant scalar. `∂/∂v = Ḡ / k`; `k = 0` gives
/// infinite values and gradients (NaN for `0/0`).
///
/// ```
/// # use stackgrad::{Tape, nalgebra::Vector2};
/// let x0 = Vector2::new(1.0, -2.0);
/// let mut tape: Tape<f64, 64, 8> = Tape::new();
/// let g = tape.graph();
/// assert_eq!((g.param(&x0) / 2.0).value(), Vector2::new(0.5, -1.0));
/// ```
impl<'g, T: Real, const R: usize, const C: usize> Div<T> for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn div(self, k: T) -> Self::Output {
        self.div_scalar(k)
    }
}

/// `v + k`, a constant added to every entry: [`Var::add_scalar`]. `∂/∂v = Ḡ`.
impl<'g, T: Real, const R: usize, const C: usize> Add<T> for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn add(self, k: T) -> Self::Output {
        self.add_scalar(k)
    }
}

/// `v − k`, a constant subtracted from every entry (`x − k` is exactly `x + (−k)` in
/// IEEE arithmetic). `∂/∂v = Ḡ`.
impl<'g, T: Real, const R: usize, const C: usize> Sub<T> for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;
    fn sub(self, k: T) -> Self::Output {
        self.add_scalar(-k)
    }
}

/// `k * v` for the concrete float types (a generic scalar cannot stand on the left; see
/// the module docs).
macro_rules! scalar_on_the_left {
    ($($t:ty),*) => {$(
        /// `k * v`, the same as `v * k`: [`Var::scale`].
        impl<'g, const R: usize, const C: usize> Mul<Var<'g, $t, R, C>> for $t {
            type Output = Var<'g, $t, R, C>;
            fn mul(self, v: Var<'g, $t, R, C>) -> Self::Output {
                v.scale(self)
            }
        }
    )*};
}
scalar_on_the_left!(f32, f64);

#[cfg(test)]
mod tests {
    use crate::nalgebra::SMatrix;
    use crate::testing::{check, eval, grad_of, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<3, 2>(1), |g, x| {
            ((x * 2.5) / -1.5 + 0.75 - 2.0)
                .component_mul(g.constant_value(mat(2)))
                .sum()
        });
        check(mat::<2, 2>(3), |_, x| {
            (0.5 * x).component_mul(x + 1.0).sum()
        });
        assert_eq!(grad_of::<1, 1>(1.0, |_, x| x / 4.0), 0.25);
        assert_eq!(grad_of::<1, 1>(1.0, |_, x| x + 4.0), 1.0);
        assert_eq!(grad_of::<1, 1>(1.0, |_, x| x - 4.0), 1.0);
        assert_eq!(grad_of::<1, 1>(1.0, |_, x| x * -3.0), -3.0);
    }

    #[test]
    fn values_are_the_ieee_operations_and_nan_propagates() {
        let x0 = SMatrix::<f64, 1, 1>::new(0.1);
        assert_eq!(eval(&x0, &|_, x| x / 3.0).0, 0.1 / 3.0);
        assert_eq!(eval(&x0, &|_, x| x - 0.3).0, 0.1 - 0.3);
        let (v, d) = eval(&x0, &|_, x| x / 0.0);
        assert_eq!((v, d[0]), (f64::INFINITY, f64::INFINITY));
        let (v, d) = eval(&x0, &|_, x| x / f64::NAN);
        assert!(v.is_nan() && d[0].is_nan());
        let (v, d) = eval(&x0, &|_, x| x + f64::NAN);
        assert!(v.is_nan() && d[0] == 1.0);
        let (v, _) = eval(&SMatrix::<f64, 1, 1>::new(f64::INFINITY), &|_, x| {
            x - f64::INFINITY
        });
        assert!(v.is_nan());
    }
}
