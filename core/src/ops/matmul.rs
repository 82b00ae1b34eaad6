//! The matrix product `A·B` (`*`, as in nalgebra). Shapes are types: `R×K · K×C → R×C`,
//! anything else does not compile.
//!
//! Backward: `∂/∂A = Ḡ·Bᵀ` and `∂/∂B = Aᵀ·Ḡ`, written in place with `ger` and with dot
//! products of `A`'s contiguous columns (no transposed copies). For the window classifier `z = Wx + b`,
//! this is `∂s/∂W = δxᵀ` and `∂s/∂x = Wᵀδ`.

use core::ops::Mul;

use crate::node::{view, view_mut, Sweep};
use crate::{Real, Var};

fn matmul_backward<T: Real, const R: usize, const K: usize, const C: usize>(s: &mut Sweep<'_, T>) {
    let (Some(b), Some(upv)) = (view::<T, K, C>(s.input(1)), view::<T, R, C>(s.up)) else {
        return;
    };
    if let Some((ga, fresh)) = s.grad_fresh(0) {
        if let Some(mut ga) = view_mut::<T, R, K>(ga) {
            // ∂A += Ḡ Bᵀ = Σ_c Ḡ[:, c] B[:, c]ᵀ; the first term overwrites a fresh slot.
            for c in 0..C {
                let beta = if fresh && c == 0 { T::zero() } else { T::one() };
                ga.ger(T::one(), &upv.column(c), &b.column(c), beta);
            }
        }
    }
    let (a, up) = (s.input(0), s.up);
    if let Some((gb, fresh)) = s.grad_fresh(1) {
        // ∂B[k, c] (+)= ⟨A[:, k], Ḡ[:, c]⟩: columns of A are contiguous, so each entry is
        // one dot product of two slices, with no transposed copy.
        for (c, gcol) in gb.chunks_exact_mut(K).enumerate() {
            let Some(ucol) = up.get(c * R..(c + 1) * R) else {
                return;
            };
            for (g, acol) in gcol.iter_mut().zip(a.chunks_exact(R)) {
                let d = dot(acol, ucol);
                *g = if fresh { d } else { *g + d };
            }
        }
    }
}

/// `Σ xᵢyᵢ` with eight independent partial sums, which the compiler maps to SIMD lanes
/// (a single running sum would serialise every addition).
#[inline]
fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let (xs, ys) = (x.chunks_exact(8), y.chunks_exact(8));
    let mut tail = T::zero();
    for (a, b) in xs.remainder().iter().zip(ys.remainder()) {
        tail += *a * *b;
    }
    for (a, b) in xs.zip(ys) {
        for ((s, &a), &b) in acc.iter_mut().zip(a).zip(b) {
            *s += a * b;
        }
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) + tail
}

/// The matrix product, one tape node. Value `A·B`; local gradients `Ḡ·Bᵀ` for `A` and
/// `Aᵀ·Ḡ` for `B`. NaN and ±∞ propagate as in the plain product.
impl<'g, T: Real, const R: usize, const K: usize, const C: usize> Mul<Var<'g, T, K, C>>
    for Var<'g, T, R, K>
{
    type Output = Var<'g, T, R, C>;
    fn mul(self, rhs: Var<'g, T, K, C>) -> Self::Output {
        self.binary(
            rhs,
            matmul_backward::<T, R, K, C>,
            T::zero(),
            |a, b, out| {
                if let (Some(a), Some(b), Some(mut o)) = (
                    view::<T, R, K>(a),
                    view::<T, K, C>(b),
                    view_mut::<T, R, C>(out),
                ) {
                    a.mul_to(&b, &mut o);
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::SMatrix;
    use crate::testing::{check, mat};

    #[test]
    fn product_matches_central_differences_for_both_operands() {
        // A tracked on the left,
        check(mat::<3, 4>(1), |g, a| {
            (a * g.constant_value(mat::<4, 2>(2)))
                .component_mul(g.constant_value(mat(3)))
                .sum()
        });
        // on the right,
        check(mat::<4, 2>(4), |g, b| {
            (g.constant_value(mat::<3, 4>(5)) * b)
                .component_mul(g.constant_value(mat(6)))
                .sum()
        });
        // on both sides (fan-out through a product), and as a column.
        check(mat::<3, 3>(7), |g, a| {
            (a * a * g.constant_value(mat::<3, 1>(8)))
                .component_mul(g.constant_value(mat(9)))
                .sum()
        });
    }

    #[test]
    fn value_is_nalgebras_product() {
        let a0: SMatrix<f64, 2, 3> = mat(1);
        let b0: SMatrix<f64, 3, 2> = mat(2);
        let mut tape: crate::Tape<f64, 64, 8> = crate::Tape::new();
        let g = tape.graph();
        let p = g.param(&a0) * g.constant(&b0);
        assert_eq!(p.value(), a0 * b0);
    }
}
