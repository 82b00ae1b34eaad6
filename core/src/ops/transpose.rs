//! The transpose `aᵀ`. `∂/∂a = Ḡᵀ`.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// Calls `f(i, j)` for every pair of an entry `i` of an `R×C` column-major matrix and
/// the index `j` of the same entry in its `C×R` transpose.
#[inline]
fn for_transposed<const R: usize, const C: usize>(mut f: impl FnMut(usize, usize)) {
    for c in 0..C {
        for r in 0..R {
            f(c * R + r, r * C + c);
        }
    }
}

fn transpose_backward<T: Real, const R: usize, const C: usize>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    if let Some(ga) = s.grad(0) {
        for_transposed::<R, C>(|i, j| {
            if let (Some(g), Some(&u)) = (ga.get_mut(i), up.get(j)) {
                *g += u;
            }
        });
    }
}

/// `out = aᵀ` for an `R×C` matrix `a`.
fn transpose_forward<T: Real, const R: usize, const C: usize>(
    a: &[T],
    _: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    for_transposed::<R, C>(|i, j| {
        if let (Some(o), Some(&x)) = (out.get_mut(j), a.get(i)) {
            *o = x;
        }
    });
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `aᵀ`, as a new `C×R` node. `∂/∂a = Ḡᵀ`.
    pub fn transpose(self) -> Var<'g, T, C, R> {
        self.apply_unary(
            op!(
                "transpose",
                transpose_forward::<T, R, C>,
                transpose_backward::<T, R, C>
            ),
            [T::zero(); 2],
        )
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

    #[test]
    fn value_is_the_transpose() {
        let a0 = mat::<2, 3>(4);
        let mut tape: crate::Tape<f64, 64, 8> = crate::Tape::new();
        let g = tape.graph();
        assert_eq!(g.constant(&a0).transpose().value(), a0.transpose());
    }
}
