//! The element-wise quotient `a ⊘ b`. Each input receives the upstream gradient times
//! the partial derivative of `x/y`: `1/y` for the numerator, `−x/y²` for the denominator.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

fn component_div_backward<T: Real>(s: &mut Backward<'_, T>) {
    let (b, q, up) = (s.input(1), s.out(), s.upstream());
    s.accumulate(0, up.iter().zip(b).map(|(&u, &y)| u / y));
    // −x/y² written as −(x/y)/y: the quotient is at hand, and y² could overflow.
    s.accumulate(
        1,
        up.iter()
            .zip(q.iter().zip(b))
            .map(|(&u, (&q, &y))| -(u * q / y)),
    );
}

/// `out = a ⊘ b` (IEEE division).
fn component_div_forward<T: Real>(a: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x / y;
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `a ⊘ b`, element-wise quotient (nalgebra's name). `∂/∂a = Ḡ ⊘ b`,
    /// `∂/∂b = −Ḡ ∘ a ⊘ b²` (computed as `−Ḡ ∘ (a ⊘ b) ⊘ b`).
    ///
    /// Domain: IEEE division. A zero denominator gives `±∞` (or NaN for `0/0`), and the
    /// gradients there are infinite or NaN: nothing is masked. NaN in either input gives a
    /// NaN value and a NaN gradient for the denominator; the numerator's gradient `Ḡ/b`
    /// does not depend on `a` and stays finite.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let (a0, b0) = (Vector2::new(1.0, 6.0), Vector2::new(4.0, -3.0));
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let q = g.param(&a0).component_div(g.param(&b0));
    /// assert_eq!(q.value(), Vector2::new(0.25, -2.0));
    /// ```
    pub fn component_div(self, other: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.apply_binary(
            other,
            op!(
                "component_div",
                component_div_forward::<T>,
                component_div_backward::<T>
            ),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::SMatrix;
    use crate::testing::{check, eval, grad_of, mat};

    /// Entries of `mat(seed)` pushed away from 0, in ±[0.5, 2.5).
    fn away_from_zero<const R: usize, const C: usize>(seed: u64) -> SMatrix<f64, R, C> {
        mat::<R, C>(seed).map(|x| x + 0.5 * x.signum())
    }

    #[test]
    fn matches_central_differences() {
        // numerator, denominator, and both at once
        check(mat::<2, 3>(1), |g, x| {
            x.component_div(g.constant_value(away_from_zero(2))).sum()
        });
        check(away_from_zero::<2, 3>(3), |g, y| {
            g.constant_value(mat(4))
                .component_div(y)
                .component_mul(g.constant_value(mat(5)))
                .sum()
        });
        check(away_from_zero::<3, 1>(6), |_, x| {
            x.component_mul(x).component_div(x.scale(3.0)).sum()
        });
    }

    #[test]
    fn edges() {
        // x/x = 1 has derivative 0 (1/x from the numerator, −1/x from the denominator).
        assert_eq!(grad_of::<1, 1>(3.0, |_, x| x.component_div(x)), 0.0);
        // d(1/x)/dx = −1/x².
        let d = grad_of::<1, 1>(4.0, |g, x| {
            g.constant_value(SMatrix::<f64, 1, 1>::new(1.0))
                .component_div(x)
        });
        assert_eq!(d, -1.0 / 16.0);
        // Division by zero: infinite value and gradient; 0/0 and NaN give NaN.
        let one = SMatrix::<f64, 1, 1>::new(1.0);
        let (v, d) = eval(&SMatrix::<f64, 1, 1>::new(0.0), &|g, y| {
            g.constant_value(one).component_div(y)
        });
        assert_eq!(v, f64::INFINITY);
        assert_eq!(d[0], f64::NEG_INFINITY);
        let (v, d) = eval(&SMatrix::<f64, 1, 1>::new(0.0), &|_, x| x.component_div(x));
        assert!(v.is_nan() && d[0].is_nan());
        // A NaN numerator: NaN value; its own gradient is 1/y, which does not depend on
        // it (as for every linear operation), while the denominator's gradient is NaN.
        let (v, d) = eval(&SMatrix::<f64, 1, 1>::new(f64::NAN), &|g, x| {
            x.component_div(g.constant_value(one))
        });
        assert!(v.is_nan() && d[0] == 1.0);
        let (v, d) = eval(&SMatrix::<f64, 1, 1>::new(2.0), &|g, y| {
            g.constant_value(SMatrix::<f64, 1, 1>::from_element(f64::NAN))
                .component_div(y)
        });
        assert!(v.is_nan() && d[0].is_nan());
    }
}
