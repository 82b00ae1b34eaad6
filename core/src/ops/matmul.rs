//! The matrix product `A·B` (`*`, as in nalgebra). Shapes are types: `R×K · K×C → R×C`,
//! anything else does not compile.
//!
//! Backward: `∂/∂A = Ḡ·Bᵀ` and `∂/∂B = Aᵀ·Ḡ`, both written in place over the
//! column-major storage, with no transposed copy: `∂A` column by column as `axpy`s
//! (for a column vector `B` that is `ger`, the outer product `δxᵀ` of the window
//! classifier), `∂B` as dot products of `A`'s contiguous columns with `Ḡ`'s (`Wᵀδ`).
//!
//! The kernels work on slices and never index out of bounds, so the operation links
//! without a panic path (the firmware checks this). They are shared with the compiled
//! path ([`crate::compiled`]), which therefore computes the same numbers bit for bit.

use crate::tape::op;
use core::ops::Mul;

use crate::ops::Backward;
use crate::{Real, Var};

/// A column-major `R×C` matrix stored in a slice, as an array of `C` columns, or `None`
/// if the slice is too short. With both sizes known at compile time, every loop over it
/// has a fixed trip count.
#[inline]
pub(crate) fn mat<T, const R: usize, const C: usize>(m: &[T]) -> Option<&[[T; R]; C]> {
    m.as_chunks::<R>().0.first_chunk::<C>()
}

/// [`mat`], mutable.
#[inline]
pub(crate) fn mat_mut<T, const R: usize, const C: usize>(m: &mut [T]) -> Option<&mut [[T; R]; C]> {
    m.as_chunks_mut::<R>().0.first_chunk_mut::<C>()
}

/// `y = a·x` (when `write`) or `y += a·x`.
#[inline]
pub(crate) fn axpy<T: Real, const R: usize>(y: &mut [T; R], a: T, x: &[T; R], write: bool) {
    if write {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = a * x;
        }
    } else {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }
}

/// `Σ xᵢyᵢ` as eight interleaved partial sums, added pairwise at the end. On a host with
/// SIMD the eight sums map to vector lanes (one running sum would serialise every
/// addition). The same order is used on every target, so a chip computes bit for bit
/// what the host computes.
#[inline]
pub(crate) fn dot<T: Real, const R: usize>(x: &[T; R], y: &[T; R]) -> T {
    dot_slices(x, y)
}

/// [`dot`] of two slices, over the length of the shorter.
#[inline]
pub(crate) fn dot_slices<T: Real>(x: &[T], y: &[T]) -> T {
    let n = x.len().min(y.len());
    let (x, y) = (x.get(..n).unwrap_or(&[]), y.get(..n).unwrap_or(&[]));
    let ((xs, xr), (ys, yr)) = (x.as_chunks::<8>(), y.as_chunks::<8>());
    let mut tail = T::zero();
    for (a, b) in xr.iter().zip(yr) {
        tail += *a * *b;
    }
    // Written out lane by lane, so it is unrolled even where the firmware optimises for
    // size.
    let z = T::zero();
    let [mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7] = [z, z, z, z, z, z, z, z];
    for ([a0, a1, a2, a3, a4, a5, a6, a7], [b0, b1, b2, b3, b4, b5, b6, b7]) in xs.iter().zip(ys) {
        s0 += *a0 * *b0;
        s1 += *a1 * *b1;
        s2 += *a2 * *b2;
        s3 += *a3 * *b3;
        s4 += *a4 * *b4;
        s5 += *a5 * *b5;
        s6 += *a6 * *b6;
        s7 += *a7 * *b7;
    }
    ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) + tail
}

/// `out = A·B`, column by column: `out[:, c] = Σ_k A[:, k]·B[k, c]`.
#[inline]
pub(crate) fn matmul_forward<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &[T],
    b: &[T],
    out: &mut [T],
) {
    let (Some(a), Some(b), Some(out)) = (
        mat::<T, R, K>(a),
        mat::<T, K, C>(b),
        mat_mut::<T, R, C>(out),
    ) else {
        return;
    };
    for (ocol, bcol) in out.iter_mut().zip(b) {
        // The running sum of the column in a local, so that it can stay in registers.
        let mut acc = [T::zero(); R];
        let mut terms = a.iter().zip(bcol);
        if let Some((acol, &bk)) = terms.next() {
            axpy(&mut acc, bk, acol, true);
        }
        for (acol, &bk) in terms {
            axpy(&mut acc, bk, acol, false);
        }
        *ocol = acc;
    }
}

/// `∂A = Ḡ·Bᵀ`, written (`write`) or added: `∂A[:, k] (+)= Σ_c Ḡ[:, c]·B[k, c]`, the
/// columns of `Ḡ` in order; when writing, the first term overwrites.
///
/// Column `k` of `∂A` is finished before the next one starts: its running sum stays
/// in registers across the `C` terms instead of being loaded and stored once per term,
/// and each term is an `axpy` along the column, which vectorises. Each entry sums the
/// same terms in the same order as a column-after-column sweep would, so the result is
/// the same bits.
#[inline]
pub(crate) fn matmul_backward_a<T: Real, const R: usize, const K: usize, const C: usize>(
    b: &[T],
    up: &[T],
    ga: &mut [T],
    write: bool,
) {
    let (Some(b), Some(up), Some(ga)) = (
        mat::<T, K, C>(b),
        mat::<T, R, C>(up),
        mat_mut::<T, R, K>(ga),
    ) else {
        return;
    };
    for (k, gcol) in ga.iter_mut().enumerate() {
        let mut acc = *gcol;
        let mut terms = up.iter().zip(b.iter().map(|bcol| bcol.get(k).copied()));
        if write {
            match terms.next() {
                Some((ucol, bkc)) => axpy(&mut acc, bkc.unwrap_or(T::zero()), ucol, true),
                None => acc = [T::zero(); R],
            }
        }
        for (ucol, bkc) in terms {
            axpy(&mut acc, bkc.unwrap_or(T::zero()), ucol, false);
        }
        *gcol = acc;
    }
}

/// `∂B = Aᵀ·Ḡ`, written (`write`) or added: `∂B[k, c] (+)= ⟨A[:, k], Ḡ[:, c]⟩` by the
/// 8-lane [`dot`].
#[inline]
pub(crate) fn matmul_backward_b<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &[T],
    up: &[T],
    gb: &mut [T],
    write: bool,
) {
    let (Some(a), Some(up), Some(gb)) = (
        mat::<T, R, K>(a),
        mat::<T, R, C>(up),
        mat_mut::<T, K, C>(gb),
    ) else {
        return;
    };
    for (gcol, ucol) in gb.iter_mut().zip(up) {
        for (g, acol) in gcol.iter_mut().zip(a) {
            let d = dot(acol, ucol);
            *g = if write { d } else { *g + d };
        }
    }
}

fn matmul_backward<T: Real, const R: usize, const K: usize, const C: usize>(
    s: &mut Backward<'_, T>,
) {
    let (a, b, up) = (s.input(0), s.input(1), s.upstream());
    if let Some((ga, fresh)) = s.grad_fresh(0) {
        matmul_backward_a::<T, R, K, C>(b, up, ga, fresh);
    }
    if let Some((gb, fresh)) = s.grad_fresh(1) {
        matmul_backward_b::<T, R, K, C>(a, up, gb, fresh);
    }
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
            op!("matmul", matmul_backward::<T, R, K, C>),
            T::zero(),
            matmul_forward::<T, R, K, C>,
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
        // Long columns exercise every lane and the tail of the dot product.
        check(mat::<19, 3>(10), |g, a| {
            (g.constant_value(mat::<2, 19>(11)) * a)
                .component_mul(g.constant_value(mat(12)))
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
        assert!((p.value() - a0 * b0).amax() < 1e-15);
    }
}
