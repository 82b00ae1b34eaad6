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
    // `None` for a matrix without rows (there is nothing to read).
    if R == 0 {
        return None;
    }
    crate::ops::columns::<T, R>(m).first_chunk::<C>()
}

/// [`mat`], mutable.
#[inline]
pub(crate) fn mat_mut<T, const R: usize, const C: usize>(m: &mut [T]) -> Option<&mut [[T; R]; C]> {
    if R == 0 {
        return None;
    }
    crate::ops::columns_mut::<T, R>(m).first_chunk_mut::<C>()
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

/// Whether the target is a host with vector registers (x86-64, AArch64), where the
/// compiler vectorises the kernels' loops; a microcontroller's are compiled for size.
const HOST_VECTORS: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// Runs `kernel(write)`. On a host, `write` is passed as a constant, so that each call
/// site compiles the kernel's loops for writing or for adding alone, not for both (the
/// 64×320 window's tape gradient: 8 % fewer instructions); a microcontroller keeps one
/// copy of each kernel (two cost the M4F's `gradients` program 230 bytes).
#[inline(always)]
pub(crate) fn with_write_flag(write: bool, kernel: impl FnOnce(bool)) {
    if !HOST_VECTORS {
        kernel(write)
    } else if write {
        kernel(true)
    } else {
        kernel(false)
    }
}

/// From how many terms on a column a product keeps its running sum in a local rather
/// than in the output. On a host with vector registers (x86-64, AArch64) always: the sum
/// stays in registers, and a column swept in the output once let the compiler vectorise
/// the tape's `∂A = Ḡ·Bᵀ` across columns, with shuffles, at four instructions per
/// multiply-add. On a microcontroller only for long sums: its loops are not unrolled at
/// `opt-level = "s"`, so the local stays in memory and the copy in and out is a cost
/// (measured on the Cortex-M4F: +6 % on the 4-8-3 step with locals everywhere). Both
/// ways add the same terms in the same order, so the choice never changes a result, and
/// a test runs both.
const LOCAL_SUM_TERMS: usize = if HOST_VECTORS { 1 } else { 16 };

/// `Σ xᵢyᵢ` as eight interleaved partial sums, added pairwise at the end. On a host with
/// SIMD the eight sums map to vector lanes (one running sum would serialise every
/// addition). The same order is used on every target, so a chip computes bit for bit
/// what the host computes.
#[inline]
pub(crate) fn dot<T: Real, const R: usize>(x: &[T; R], y: &[T; R]) -> T {
    dot_slices(x, y)
}

/// From how many chunks of eight terms [`dot_slices`] takes its long-sum path on a host.
const LONG_DOT_CHUNKS: usize = 8;

/// [`dot`] of two slices, over the length of the shorter.
///
/// Always inlined on a host with vector registers: where a caller passes one slice twice
/// (`‖a‖²`) the compiler then loads each value once (1.25 → 1 instruction per term), and
/// the product's backward pass keeps its dot products in line (out of line they cost the
/// 64×320 window gradient 2.5 % more). A microcontroller keeps its own inlining choices:
/// inlined there, the body (large in fixed point) grew the Q16 training program by
/// 1.7 KB.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), inline(always))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), inline)]
pub(crate) fn dot_slices<T: Real>(x: &[T], y: &[T]) -> T {
    let n = x.len().min(y.len());
    let (x, y) = (x.get(..n).unwrap_or(&[]), y.get(..n).unwrap_or(&[]));
    let ((xs, xr), (ys, yr)) = (x.as_chunks::<8>(), y.as_chunks::<8>());
    let mut tail = T::zero();
    for (a, b) in xr.iter().zip(yr) {
        tail += *a * *b;
    }
    let z = T::zero();
    if HOST_VECTORS && xs.len() >= LONG_DOT_CHUNKS {
        // A long sum on a host with vector registers (a penalty's `‖W‖²`): lanes 0–3 and
        // 4–7 as two arrays, which the compiler keeps in two vector registers (with eight
        // named sums it shuffles them into pairs: two instructions per term where about
        // one is needed; for short sums, the products' `Wᵀ·Ḡ`, that costs less than this
        // path's fixed price). The same sums in the same order: `s[i]` is lane `i` plus
        // lane `i + 4`.
        let (mut lo, mut hi) = ([z; 4], [z; 4]);
        for (a, b) in xs.iter().zip(ys) {
            for i in 0..4 {
                lo[i] += a[i] * b[i];
                hi[i] += a[i + 4] * b[i + 4];
            }
        }
        // Through `black_box` (one store and load of each array, once per call): seeing
        // the pairwise sums below, the compiler shuffled the lanes into pairs inside the
        // loop (two instructions per term), not after it.
        let (lo, hi) = core::hint::black_box((lo, hi));
        let s: [T; 4] = core::array::from_fn(|i| lo[i] + hi[i]);
        return (s[0] + s[1]) + (s[2] + s[3]) + tail;
    }
    // Written out lane by lane, so it is unrolled even where the firmware optimises for
    // size. In floating point the sums start from the first chunk's products, not from
    // `0 + x·y`: the zero costs an addition per lane (the compiler must keep it, as it
    // turns a −0 into +0; a software addition on a chip without an FPU), and it cannot
    // change the result. A sum of products differs only in the sign of a zero, and no
    // zero's sign survives the final `+ tail`, which is +0 or not zero (it starts at
    // +0); the test below checks signed zeros. In fixed point (`Real::ZERO_ADD_EXACT`)
    // the zero is free, and the peeled chunk, a second copy of eight products, grew the
    // Q16 training program by 1.2 KB.
    let mut chunks = xs.iter().zip(ys);
    let first = if T::ZERO_ADD_EXACT {
        None
    } else {
        chunks.next()
    };
    let [mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7] = match first {
        Some(([a0, a1, a2, a3, a4, a5, a6, a7], [b0, b1, b2, b3, b4, b5, b6, b7])) => [
            *a0 * *b0,
            *a1 * *b1,
            *a2 * *b2,
            *a3 * *b3,
            *a4 * *b4,
            *a5 * *b5,
            *a6 * *b6,
            *a7 * *b7,
        ],
        None => [z; 8],
    };
    for ([a0, a1, a2, a3, a4, a5, a6, a7], [b0, b1, b2, b3, b4, b5, b6, b7]) in chunks {
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
    matmul_forward_sums::<T, R, K, C>(a, b, out, K >= LOCAL_SUM_TERMS);
}

/// [`matmul_forward`], each column's running sum in a local (`local`) or in the output.
#[inline]
fn matmul_forward_sums<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    local: bool,
) {
    // An empty inner dimension: every entry is an empty sum.
    if K == 0 {
        out.iter_mut().for_each(|o| *o = T::zero());
        return;
    }
    let (Some(a), Some(b), Some(out)) = (
        mat::<T, R, K>(a),
        mat::<T, K, C>(b),
        mat_mut::<T, R, C>(out),
    ) else {
        return;
    };
    for (ocol, bcol) in out.iter_mut().zip(b) {
        if !local {
            for (k, (acol, &bk)) in a.iter().zip(bcol).enumerate() {
                axpy(ocol, bk, acol, k == 0);
            }
            continue;
        }
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
/// With many columns (a batch), column `k` of `∂A` is finished before the next one
/// starts: its running sum stays in registers across the `C` terms instead of being
/// loaded and stored once per term, and each term is an `axpy` along the column, which
/// vectorises (swept column after column of `Ḡ`, the compiler once vectorised the
/// tape's instance across columns instead, with shuffles, at four instructions per
/// multiply-add). Each entry sums the same terms in the same order either way.
#[inline]
pub(crate) fn matmul_backward_a<T: Real, const R: usize, const K: usize, const C: usize>(
    b: &[T],
    up: &[T],
    ga: &mut [T],
    write: bool,
) {
    if HOST_VECTORS && C == 1 {
        outer_product::<T, R, K, C>(b, up, ga, write);
        return;
    }
    matmul_backward_a_sums::<T, R, K, C>(b, up, ga, write, C >= LOCAL_SUM_TERMS, None);
}

/// `∂A = ḡ·bᵀ` for one column (`C = 1`) on a host with vector registers: an outer
/// product whose entries are single products (`b[k]·ḡ[i]`, added to the slot when not
/// writing), so every loop gives the same bits. nalgebra's `ger` (with `α = 1`, exact;
/// `β = 0` never reads the stale slot) compiles to a better loop than ours, which the
/// compiler vectorised across columns with transposes: the 8×20 window's gradient takes
/// 150 instructions fewer on x86-64 (the same loop written here took none fewer). Only
/// the unpenalised kernel comes here: in the penalised one (the compiled step's) this
/// branch made a larger function that compiled worse (+900 instructions on the MLP's
/// batch-1 step). A microcontroller keeps [`matmul_backward_a`]'s loop: there `ger`'s
/// shape checks did not all fold away at `opt-level = "s"`, and a panic path linked.
#[inline]
fn outer_product<T: Real, const R: usize, const K: usize, const C: usize>(
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
    let (Some(ucol), Some(bcol)) = (up.first(), b.first()) else {
        return;
    };
    let mut gm = nalgebra::SMatrixViewMut::<T, R, K>::from_slice(ga.as_flattened_mut());
    let uv = nalgebra::SVectorView::<T, R>::from_slice(ucol);
    let bv = nalgebra::SVectorView::<T, K>::from_slice(bcol);
    gm.ger(T::one(), &uv, &bv, if write { T::zero() } else { T::one() });
}

/// [`matmul_backward_a`], then `∂A += k·W` for `penalty = Some((k, W))` (`W` shaped as
/// `A`), in the same pass where the sum stays in a local: the gradient of a penalty
/// `k/2·‖W‖²` on the weight `A = W`, added after the product's terms as the tape's sweep
/// adds it (the same value as `norm_squared`'s backward rule adding `2u·W` afterwards,
/// with `k = u + u`).
#[inline]
pub(crate) fn matmul_backward_a_penalized<
    T: Real,
    const R: usize,
    const K: usize,
    const C: usize,
>(
    b: &[T],
    up: &[T],
    ga: &mut [T],
    write: bool,
    penalty: Option<(T, &[T])>,
) {
    matmul_backward_a_sums::<T, R, K, C>(b, up, ga, write, C >= LOCAL_SUM_TERMS, penalty);
}

/// [`matmul_backward_a`], each column's running sum in a local (`local`) or in `ga`.
#[inline]
fn matmul_backward_a_sums<T: Real, const R: usize, const K: usize, const C: usize>(
    b: &[T],
    up: &[T],
    ga: &mut [T],
    write: bool,
    local: bool,
    penalty: Option<(T, &[T])>,
) {
    let (Some(b), Some(up), Some(ga)) = (
        mat::<T, K, C>(b),
        mat::<T, R, C>(up),
        mat_mut::<T, R, K>(ga),
    ) else {
        return;
    };
    // A weight of another shape has no penalty here (the callers pass `A`'s own).
    let penalty = penalty.and_then(|(scale, w)| Some((scale, mat::<T, R, K>(w)?)));
    if !local {
        // Column after column of `Ḡ` (for a batch of one, `ger`).
        if C == 0 && write {
            for gcol in ga.iter_mut() {
                gcol.fill(T::zero());
            }
        }
        for (c, (ucol, bcol)) in up.iter().zip(b).enumerate() {
            for (gcol, &bkc) in ga.iter_mut().zip(bcol) {
                axpy(gcol, bkc, ucol, write && c == 0);
            }
        }
        // A second pass here (the microcontroller's way): one flat loop, as the
        // penalty's own rule runs it.
        if let Some((scale, w)) = penalty {
            let flat = ga.as_flattened_mut().iter_mut();
            for (g, &w) in flat.zip(w.as_flattened()) {
                *g += scale * w;
            }
        }
        return;
    }
    // The penalty's columns walked beside `∂A`'s (none without a penalty): one test of
    // an iterator per column, cheaper than a look-up by index.
    let no_w: &[[T; R]] = &[];
    let (scale, w) = match penalty {
        Some((scale, w)) => (scale, &w[..]),
        None => (T::zero(), no_w),
    };
    let mut wcols = w.iter();
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
        if let Some(wcol) = wcols.next() {
            axpy(&mut acc, scale, wcol, false);
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
    if !HOST_VECTORS || R >= 8 * LONG_DOT_CHUNKS {
        for (gcol, ucol) in gb.iter_mut().zip(up) {
            dot_per_column(gcol, a, ucol, write);
        }
        return;
    }
    // On a host, four columns of `A` at a time while the sums are short (below the long
    // path of `dot_slices`): the four dot products side by side, one per vector lane.
    let quads = K / 4;
    let (a4, a1) = a.split_at(4 * quads);
    for (gcol, ucol) in gb.iter_mut().zip(up) {
        let (g4, g1) = gcol.split_at_mut(4 * quads);
        for (g, acols) in g4.chunks_exact_mut(4).zip(a4.chunks_exact(4)) {
            let (Ok(g), Ok(acols)) = (<&mut [T; 4]>::try_from(g), <&[[T; R]; 4]>::try_from(acols))
            else {
                continue;
            };
            let d = dot4(acols, ucol);
            for (g, d) in g.iter_mut().zip(d) {
                *g = if write { d } else { *g + d };
            }
        }
        dot_per_column(g1, a1, ucol, write);
    }
}

/// `g[k] (+)= ⟨A[:, k], ḡ⟩`, one [`dot`] per column of `A`.
#[inline(always)]
fn dot_per_column<T: Real, const R: usize>(g: &mut [T], a: &[[T; R]], up: &[T; R], write: bool) {
    for (g, acol) in g.iter_mut().zip(a) {
        let d = dot(acol, up);
        *g = if write { d } else { *g + d };
    }
}

/// `[⟨x₀, y⟩, ⟨x₁, y⟩, ⟨x₂, y⟩, ⟨x₃, y⟩]`, each summed exactly as [`dot`] sums it (its
/// short path: `R` below `8 · LONG_DOT_CHUNKS`), term for term and in the same order, so
/// every result has [`dot`]'s bits. Written with the four columns side by side, so that
/// the compiler puts one column in each lane of a vector register: on x86-64 the 8×20
/// window's `Wᵀ·Ḡ` takes about half the instructions of one [`dot`] per column, whose
/// eight lanes must each be added across at the end.
#[inline(always)]
fn dot4<T: Real, const R: usize>(x: &[[T; R]; 4], y: &[T; R]) -> [T; 4] {
    let z = [T::zero(); 4];
    let chunks = R / 8;
    let mut tail = z;
    for i in 8 * chunks..R {
        for (t, col) in tail.iter_mut().zip(x) {
            *t += col[i] * y[i];
        }
    }
    // The products of chunk `c`, lane `l`, column by column.
    let products = |c: usize, l: usize| -> [T; 4] {
        let i = 8 * c + l;
        core::array::from_fn(|j| x[j][i] * y[i])
    };
    // As in `dot_slices`: in floating point the sums start from the first chunk's
    // products; in fixed point from zero.
    let first = if T::ZERO_ADD_EXACT || chunks == 0 {
        0
    } else {
        1
    };
    let mut s: [[T; 4]; 8] = if first == 1 {
        core::array::from_fn(|l| products(0, l))
    } else {
        [z; 8]
    };
    for c in first..chunks {
        for (l, sl) in s.iter_mut().enumerate() {
            let p = products(c, l);
            for (a, p) in sl.iter_mut().zip(p) {
                *a += p;
            }
        }
    }
    core::array::from_fn(|j| {
        ((s[0][j] + s[4][j]) + (s[1][j] + s[5][j]))
            + ((s[2][j] + s[6][j]) + (s[3][j] + s[7][j]))
            + tail[j]
    })
}

fn matmul_op_forward<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &[T],
    b: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    matmul_forward::<T, R, K, C>(a, b, out);
}

fn matmul_backward<T: Real, const R: usize, const K: usize, const C: usize>(
    s: &mut Backward<'_, T>,
) {
    let (a, b, up) = (s.input(0), s.input(1), s.upstream());
    if let Some((ga, fresh)) = s.grad_fresh(0) {
        with_write_flag(fresh, |write| {
            matmul_backward_a::<T, R, K, C>(b, up, ga, write)
        });
    }
    if let Some((gb, fresh)) = s.grad_fresh(1) {
        with_write_flag(fresh, |write| {
            matmul_backward_b::<T, R, K, C>(a, up, gb, write)
        });
    }
}

/// The matrix product, one tape node. Value `A·B`; local gradients `Ḡ·Bᵀ` for `A` and
/// `Aᵀ·Ḡ` for `B`. NaN and ±∞ propagate as in the plain product.
impl<'g, T: Real, const R: usize, const K: usize, const C: usize> Mul<Var<'g, T, K, C>>
    for Var<'g, T, R, K>
{
    type Output = Var<'g, T, R, C>;
    fn mul(self, rhs: Var<'g, T, K, C>) -> Self::Output {
        self.apply_binary(
            rhs,
            op!(
                "matmul",
                matmul_op_forward::<T, R, K, C>,
                matmul_backward::<T, R, K, C>
            ),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::SMatrix;

    /// The dot product's one order, written out: eight lane sums over the chunks of
    /// eight, added pairwise, then the rest one by one. Every length takes one of
    /// `dot_slices`' two paths (short and long sums on a host), and both must give these
    /// bits: what a chip computes with the named sums.
    #[test]
    fn every_length_sums_in_the_one_order() {
        fn reference(x: &[f32], y: &[f32]) -> f32 {
            let chunks = x.len() / 8;
            let mut lanes = [0.0f32; 8];
            for c in 0..chunks {
                for (j, lane) in lanes.iter_mut().enumerate() {
                    *lane += x[8 * c + j] * y[8 * c + j];
                }
            }
            let mut tail = 0.0f32;
            for i in 8 * chunks..x.len() {
                tail += x[i] * y[i];
            }
            let l = lanes;
            ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7])) + tail
        }
        let x: [f32; 300] = core::array::from_fn(|i| ::libm::sinf(i as f32 * 0.731) * 1e3);
        let y: [f32; 300] = core::array::from_fn(|i| ::libm::cosf(i as f32 * 0.377));
        for n in 0..300 {
            let (x, y) = (&x[..n], &y[..n]);
            assert_eq!(
                super::dot_slices(x, y).to_bits(),
                reference(x, y).to_bits(),
                "{n}"
            );
            assert_eq!(super::dot_slices(x, x).to_bits(), reference(x, x).to_bits());
        }
        // Signed zeros: products of −0 and +0 in every lane, and sums that cancel.
        let z: [f32; 40] = core::array::from_fn(|i| match i % 5 {
            0 => -0.0,
            1 => 0.0,
            2 => 1.5,
            3 => -1.5,
            _ => -0.0,
        });
        let w: [f32; 40] = core::array::from_fn(|i| if i % 3 == 0 { 1.0 } else { -0.0 });
        let (neg_zeros, ones) = ([-0.0f32; 40], [1.0f32; 40]);
        for n in 0..40 {
            let cases = [
                (&z[..n], &w[..n]),
                (&w[..n], &w[..n]),
                (&z[..n], &z[..n]),
                // Every product −0: the sum is +0.
                (&neg_zeros[..n], &ones[..n]),
            ];
            for (x, y) in cases {
                assert_eq!(
                    super::dot_slices(x, y).to_bits(),
                    reference(x, y).to_bits(),
                    "{n}"
                );
            }
        }
    }

    /// `∂B = Aᵀ·Ḡ` four columns at a time (on a host) gives every entry [`super::dot`]'s
    /// bits, written and added, for sums of every short length (with and without a tail
    /// past the chunks of eight), column counts that leave a remainder, large terms that
    /// round, and signed zeros.
    #[test]
    fn four_columns_at_a_time_give_each_dot_products_bits() {
        fn case<const R: usize, const K: usize>() {
            let a = SMatrix::<f32, R, K>::from_fn(|i, j| match (i + 2 * j) % 7 {
                0 => -0.0,
                1 => 0.0,
                2 => 3.0e7,
                _ => ::libm::sinf((i * 7 + j * 3) as f32 * 0.37) * 1e3,
            });
            let up = SMatrix::<f32, R, 1>::from_fn(|i, _| match i % 5 {
                0 => -0.0,
                1 => 1.0,
                _ => ::libm::cosf(i as f32 * 0.71),
            });
            let start = SMatrix::<f32, K, 1>::from_fn(|i, _| ::libm::sinf(i as f32));
            for write in [true, false] {
                let mut gb = start;
                super::matmul_backward_b::<f32, R, K, 1>(
                    a.as_slice(),
                    up.as_slice(),
                    gb.as_mut_slice(),
                    write,
                );
                for k in 0..K {
                    let col: &[f32; R] = a.as_slice()[k * R..(k + 1) * R].try_into().unwrap();
                    let ucol: &[f32; R] = up.as_slice().try_into().unwrap();
                    let d = super::dot(col, ucol);
                    let want = if write { d } else { start[k] + d };
                    assert_eq!(gb[k].to_bits(), want.to_bits(), "R {R}, K {K}, column {k}");
                }
            }
        }
        case::<1, 4>();
        case::<3, 5>();
        case::<8, 20>();
        case::<8, 3>();
        case::<13, 9>();
        case::<16, 8>();
        case::<24, 7>();
        case::<63, 6>();
        case::<64, 4>();
    }

    /// Running sums in locals or in the output: the same bits, written or added, with a
    /// penalty's term or without, for a batch of one and of many; the penalty's term is
    /// the one `norm_squared`'s rule adds afterwards.
    #[test]
    fn both_ways_of_summing_give_the_same_bits() {
        fn case<const R: usize, const K: usize, const C: usize>() {
            let a =
                SMatrix::<f32, R, K>::from_fn(|i, j| ::libm::sinf((i * 7 + j * 3) as f32 * 0.37));
            let b =
                SMatrix::<f32, K, C>::from_fn(|i, j| ::libm::cosf((i * 5 + j * 11) as f32 * 0.23));
            let up = SMatrix::<f32, R, C>::from_fn(|i, j| ::libm::sinf((i + j * 13) as f32 * 0.71));
            let same = |x: &[f32], y: &[f32]| {
                x.iter()
                    .map(|v| v.to_bits())
                    .eq(y.iter().map(|v| v.to_bits()))
            };
            let mut outs = [SMatrix::<f32, R, C>::zeros(); 2];
            for (out, local) in outs.iter_mut().zip([false, true]) {
                super::matmul_forward_sums::<f32, R, K, C>(
                    a.as_slice(),
                    b.as_slice(),
                    out.as_mut_slice(),
                    local,
                );
            }
            assert!(same(outs[0].as_slice(), outs[1].as_slice()));
            let w = SMatrix::<f32, R, K>::from_fn(|i, j| ::libm::cosf((i * 3 + j) as f32 * 0.61));
            for (write, penalized) in [(true, false), (false, false), (true, true), (false, true)] {
                let mut gas = [a; 3];
                let penalty = penalized.then_some((0.3f32, w.as_slice()));
                for (ga, local) in gas.iter_mut().zip([false, true]) {
                    super::matmul_backward_a_sums::<f32, R, K, C>(
                        b.as_slice(),
                        up.as_slice(),
                        ga.as_mut_slice(),
                        write,
                        local,
                        penalty,
                    );
                }
                assert!(same(gas[0].as_slice(), gas[1].as_slice()));
                // The product alone, then the penalty's rule as the tape runs it.
                super::matmul_backward_a_sums::<f32, R, K, C>(
                    b.as_slice(),
                    up.as_slice(),
                    gas[2].as_mut_slice(),
                    write,
                    true,
                    None,
                );
                if penalized {
                    crate::ops::norm::norm_squared_backward_a(
                        w.as_slice(),
                        0.15,
                        gas[2].as_mut_slice(),
                        false,
                    );
                }
                assert!(same(gas[0].as_slice(), gas[2].as_slice()));
            }
        }
        case::<8, 4, 1>();
        case::<3, 8, 1>();
        // The benchmark's first layer at batch 32 (too slow to interpret under Miri).
        if !cfg!(miri) {
            case::<32, 64, 32>();
        }
        case::<10, 32, 17>();
        case::<5, 0, 3>();
        case::<5, 3, 0>();
    }
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
