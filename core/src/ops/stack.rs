//! Stacking matrices on top of each other (`vstack`) or side by side (`hstack`), and
//! taking a block of rows back out: how the window `x = [x₁; …; x₅]` is built from word
//! vectors and how `∂s/∂x` splits into one gradient per word.
//!
//! The output shape is spelled by the caller and checked at compile time, because stable
//! Rust cannot compute `R1 + R2` in a type.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// Copies (forward) or accumulates (backward) between a `R1×C` block at row `r0` of an
/// `R×C` column-major matrix and a compact `R1×C` matrix.
#[inline]
fn for_block<T: Copy, const R: usize>(
    r0: usize,
    r1: usize,
    big: &[T],
    mut f: impl FnMut(usize, T),
) {
    for (c, col) in crate::ops::columns::<_, R>(big).iter().enumerate() {
        if let Some(block) = col.get(r0..r0 + r1) {
            for (i, &x) in block.iter().enumerate() {
                f(c * r1 + i, x);
            }
        }
    }
}

fn vstack_backward<T: Real, const R1: usize, const R2: usize, const R: usize, const C: usize>(
    s: &mut Backward<'_, T>,
) {
    let up = s.upstream();
    if let Some(ga) = s.grad(0) {
        for_block::<T, R>(0, R1, up, |i, u| {
            if let Some(g) = ga.get_mut(i) {
                *g += u;
            }
        });
    }
    if let Some(gb) = s.grad(1) {
        for_block::<T, R>(R1, R2, up, |i, u| {
            if let Some(g) = gb.get_mut(i) {
                *g += u;
            }
        });
    }
}

/// Side by side in column-major storage is one after the other: `a`'s `R·C1` entries,
/// then `b`'s. Backward hands each input its stretch of `Ḡ`.
fn hstack_backward<T: Real, const R: usize, const C1: usize>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    let (left, right) = up.split_at_checked(R * C1).unwrap_or((up, &[]));
    s.accumulate(0, left.iter().copied());
    s.accumulate(1, right.iter().copied());
}

fn rows_backward<T: Real, const R: usize, const START: usize, const LEN: usize, const C: usize>(
    s: &mut Backward<'_, T>,
) {
    let up = s.upstream();
    if let Some(ga) = s.grad(0) {
        for (c, col) in crate::ops::columns_mut::<_, R>(ga).iter_mut().enumerate() {
            if let (Some(dst), Some(src)) = (
                col.get_mut(START..START + LEN),
                up.get(c * LEN..(c + 1) * LEN),
            ) {
                for (g, &u) in dst.iter_mut().zip(src) {
                    *g += u;
                }
            }
        }
    }
}

/// `out = [a; b]`, an `R×C` matrix from `a` (`R1×C`) on top of `b` (`R2×C`).
fn vstack_forward<T: Real, const R1: usize, const R2: usize, const R: usize>(
    a: &[T],
    b: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    for (c, col) in crate::ops::columns_mut::<_, R>(out).iter_mut().enumerate() {
        // Element by element: `copy_from_slice` would keep a length-mismatch
        // panic path wherever the optimiser cannot prove the lengths equal.
        let (top, bottom) = col.split_at_mut(R1);
        if let (Some(x), Some(y)) = (a.get(c * R1..(c + 1) * R1), b.get(c * R2..(c + 1) * R2)) {
            for (o, &v) in top.iter_mut().zip(x).chain(bottom.iter_mut().zip(y)) {
                *o = v;
            }
        }
    }
}

/// `out = [a b]`: in column-major storage, `a`'s entries then `b`'s.
fn hstack_forward<T: Real>(a: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    for (o, &x) in out.iter_mut().zip(a.iter().chain(b)) {
        *o = x;
    }
}

/// `out` = rows `START .. START + LEN` of an `R`-row matrix `a`.
fn rows_forward<T: Real, const R: usize, const START: usize, const LEN: usize>(
    a: &[T],
    _: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    for_block::<T, R>(START, LEN, a, |i, x| {
        if let Some(o) = out.get_mut(i) {
            *o = x;
        }
    });
}

impl<'g, T: Real, const R1: usize, const C: usize> Var<'g, T, R1, C> {
    /// `[a; b]`: `a` on top of `b`, an `R×C` matrix with `R = R1 + R2` (checked at
    /// compile time). Backward hands each input its block of rows of `Ḡ`.
    ///
    /// ```
    /// # use stackgrad::{nalgebra::SVector, vector, Tape};
    /// let (a0, b0) = (vector![1.0, 2.0], vector![3.0]);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let x = g.param(&a0).vstack::<1, 3>(g.param(&b0));
    /// assert_eq!(x.value(), vector![1.0, 2.0, 3.0]);
    /// ```
    pub fn vstack<const R2: usize, const R: usize>(
        self,
        other: Var<'g, T, R2, C>,
    ) -> Var<'g, T, R, C> {
        const { assert!(R == R1 + R2, "vstack: the output must have R1 + R2 rows") };
        self.apply_binary(
            other,
            op!(
                "vstack",
                vstack_forward::<T, R1, R2, R>,
                vstack_backward::<T, R1, R2, R, C>
            ),
            [T::zero(); 2],
        )
    }

    /// `[a b]`: `a` (`R1×C`) and `b` (`R1×C2`) side by side, an `R1×C3` matrix with
    /// `C3 = C + C2` (checked at compile time). Backward hands each input
    /// its block of columns of `Ḡ`. Values are copied, so NaN and `±∞` pass through
    /// unchanged.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::{Matrix2, Matrix2x3, Vector2}};
    /// let (a0, b0) = (Matrix2::new(1.0, 2.0, 4.0, 5.0), Vector2::new(3.0, 6.0));
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let x = g.param(&a0).hstack::<1, 3>(g.param(&b0));
    /// assert_eq!(x.value(), Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// ```
    pub fn hstack<const C2: usize, const C3: usize>(
        self,
        other: Var<'g, T, R1, C2>,
    ) -> Var<'g, T, R1, C3> {
        const { assert!(C3 == C + C2, "hstack: the output must have C1 + C2 columns") };
        self.apply_binary(
            other,
            op!("hstack", hstack_forward::<T>, hstack_backward::<T, R1, C>),
            [T::zero(); 2],
        )
    }

    /// Rows `START .. START + LEN` (checked at compile time to lie inside). Backward adds
    /// `Ḡ` into that block of rows of the input's gradient.
    pub fn rows<const START: usize, const LEN: usize>(self) -> Var<'g, T, LEN, C> {
        const {
            assert!(
                START + LEN <= R1,
                "rows: the block must lie inside the matrix"
            )
        };
        self.apply_unary(
            op!(
                "rows",
                rows_forward::<T, R1, START, LEN>,
                rows_backward::<T, R1, START, LEN, C>
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
            x.vstack::<3, 5>(g.constant_value(mat(2)))
                .component_mul(g.constant_value(mat(3)))
                .sum()
        });
        check(mat::<2, 3>(1), |g, x| {
            g.constant_value(mat::<1, 3>(2))
                .vstack::<2, 3>(x)
                .component_mul(g.constant_value(mat(3)))
                .sum()
        });
        check(mat::<5, 2>(4), |g, x| {
            x.rows::<1, 3>()
                .component_mul(g.constant_value(mat(5)))
                .sum()
        });
    }

    #[test]
    fn hstack_matches_central_differences() {
        check(mat::<3, 2>(7), |g, x| {
            x.hstack::<1, 3>(g.constant_value(mat(8)))
                .component_mul(g.constant_value(mat(9)))
                .sum()
        });
        check(mat::<3, 2>(10), |g, x| {
            g.constant_value(mat::<3, 3>(11))
                .hstack::<2, 5>(x)
                .component_mul(g.constant_value(mat(12)))
                .sum()
        });
        // both sides from one input: the gradients add
        check(mat::<2, 2>(13), |g, x| {
            x.hstack::<2, 4>(x.scale(-2.0))
                .component_mul(g.constant_value(mat(14)))
                .sum()
        });
    }

    #[test]
    fn hstack_value_is_nalgebras() {
        let (a0, b0) = (mat::<3, 2>(15), mat::<3, 1>(16));
        let mut tape: crate::Tape<f64, 64, 8> = crate::Tape::new();
        let g = tape.graph();
        let x = g.constant(&a0).hstack::<1, 3>(g.constant(&b0)).value();
        assert_eq!(x.columns(0, 2), a0);
        assert_eq!(x.column(2), b0);
    }

    #[test]
    fn rows_undo_vstack() {
        check(mat::<2, 1>(6), |_, x| {
            let s = x.vstack::<2, 4>(x.scale(3.0));
            (s.rows::<0, 2>().component_mul(s.rows::<2, 2>())).sum()
        });
    }
}

/// Replays ([`Tape::replay`](crate::Tape::replay)) of a graph made of the operations
/// whose forward functions live in `ops` next to their backward rules: reduce,
/// component_mul, dot, scalar, minmax, gather, select, stack, transpose, component_div,
/// log_sum_exp, norm, clamp, prelu and softmax. A replay must give the value and every
/// gradient bit for bit as recording the graph anew on the same leaves does.
#[cfg(test)]
mod replay_tests {
    use crate::nalgebra::{vector, SMatrix};
    use crate::testing::mat;
    use crate::{Error, Graph, Tape, Var};

    type Tp = Tape<f64, 2048, 128>;
    type V<'g, const R: usize, const C: usize> = Var<'g, f64, R, C>;

    /// The value and the gradients of `x`, `y`, `s` and `table`, as bits.
    type Outcome = [u64; 36];

    /// The leaves, bound in this order: four parameters and the indices of `gather`
    /// (a copied constant).
    #[derive(Clone, Copy)]
    struct Leaves {
        x: SMatrix<f64, 3, 4>,
        y: SMatrix<f64, 3, 4>,
        s: SMatrix<f64, 1, 1>,
        table: SMatrix<f64, 5, 2>,
        idx: SMatrix<f64, 3, 1>,
    }

    fn leaves(seed: u64, idx: SMatrix<f64, 3, 1>) -> Leaves {
        Leaves {
            x: mat(seed),
            y: mat(seed + 1),
            s: mat(seed + 2),
            table: mat(seed + 3),
            idx,
        }
    }

    /// `a + b` for scalars, from this file's operations only.
    fn plus<'g>(a: V<'g, 1, 1>, b: V<'g, 1, 1>) -> V<'g, 1, 1> {
        a.vstack::<1, 2>(b).sum()
    }

    /// Every converted operation at least once; `x` and `y` fan out to many of them.
    fn model<'g>(
        x: V<'g, 3, 4>,
        y: V<'g, 3, 4>,
        s: V<'g, 1, 1>,
        table: V<'g, 5, 2>,
        idx: V<'g, 3, 1>,
    ) -> V<'g, 1, 1> {
        let q = x.max(y).component_div(y);
        let p = x.component_mul(y);
        let lse = x.column_log_sum_exp();
        let v = x.vstack::<3, 6>(y);
        let h = x.hstack::<4, 8>(y);
        let words = table.gather::<3, 6>(idx);
        let terms = [
            x.max(y).sum(),
            x.min(y).mean(),
            q.row_sum().dot(lse),
            p.column_mean().dot(x.column::<2>()),
            x.clamp(-0.5, 0.75).row_mean().sum(),
            x.prelu(s).column_sum().norm_squared(),
            x.softmax().dot(y.log_softmax()),
            x.transpose()
                .transpose()
                .component_mul(v.rows::<2, 3>())
                .sum(),
            h.norm_squared() / 3.0,
            (words + 0.25).dot(words - 1.5),
            y.at::<1, 3>(),
        ];
        let mut total = terms[0];
        for &t in &terms[1..] {
            total = plus(total, t);
        }
        total
    }

    fn outcome<'g>(
        out: V<'g, 1, 1>,
        x: V<'g, 3, 4>,
        y: V<'g, 3, 4>,
        s: V<'g, 1, 1>,
        table: V<'g, 5, 2>,
    ) -> Outcome {
        let mut bits = [0; 36];
        bits[0] = crate::testing::bits(out.scalar());
        let grads = out.backward().unwrap();
        let (dx, dy) = (grads.wrt(x).unwrap(), grads.wrt(y).unwrap());
        let (ds, dt) = (grads.wrt(s).unwrap(), grads.wrt(table).unwrap());
        let all = dx.iter().chain(dy.iter()).chain(ds.iter()).chain(dt.iter());
        for (b, d) in bits[1..].iter_mut().zip(all) {
            *b = crate::testing::bits(*d);
        }
        bits
    }

    type Bound<'g> = (
        V<'g, 3, 4>,
        V<'g, 3, 4>,
        V<'g, 1, 1>,
        V<'g, 5, 2>,
        V<'g, 3, 1>,
    );

    fn bind<'g, 'a>(g: &'g Graph<'a, f64, 2048, 128>, l: &'a Leaves) -> Bound<'g> {
        (
            g.param(&l.x),
            g.param(&l.y),
            g.param(&l.s),
            g.param(&l.table),
            g.constant_value(l.idx),
        )
    }

    /// Records the model on `tape` and runs its backward pass.
    fn record(tape: &mut Tp, l: &Leaves) -> Outcome {
        let g = tape.graph();
        let (x, y, s, t, idx) = bind(&g, l);
        let out = model(x, y, s, t, idx);
        let o = outcome(out, x, y, s, t);
        assert_eq!(g.error(), None);
        o
    }

    /// Replays what `tape` recorded on the leaves `l`.
    fn replay(tape: &mut Tp, l: &Leaves) -> Outcome {
        let g = tape.replay();
        let (x, y, s, t, _) = bind(&g, l);
        let out = g.replayed::<1, 1>();
        let o = outcome(out, x, y, s, t);
        assert_eq!(g.error(), None);
        o
    }

    fn special_values() -> Leaves {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let tiny = f64::MIN_POSITIVE / 4.0; // subnormal
        let mut l = leaves(40, vector![4.0, 0.0, 4.0]);
        l.x[(0, 0)] = nan;
        l.x[(1, 1)] = inf;
        l.x[(2, 2)] = -inf;
        l.x[(0, 3)] = -0.0;
        l.x[(1, 3)] = tiny;
        l.y[(2, 0)] = -0.0;
        l.y[(0, 1)] = 0.0;
        l.y[(1, 2)] = -tiny;
        l.y[(2, 3)] = 5e-324;
        l.s[(0, 0)] = -0.0;
        l.table[(4, 0)] = -inf;
        l.table[(0, 1)] = -0.0;
        l
    }

    #[test]
    fn every_converted_operation_replays_bit_for_bit() {
        let recorded = leaves(1, vector![1.0, 2.0, 1.0]);
        // Finite values and a gradient that is not NaN everywhere.
        let finite = leaves(10, vector![4.0, 0.0, 4.0]);
        let special = special_values();
        // Bad indices (NaN, out of range, −0.0 is row 0) and NaN/∞ through the table.
        let mut bad_indices = leaves(20, vector![f64::NAN, 7.0, -0.0]);
        bad_indices.table[(1, 0)] = f64::NAN;
        bad_indices.s[(0, 0)] = f64::INFINITY;
        let mut tape = Tp::new();
        let first = record(&mut tape, &recorded);
        assert!(f64::from_bits(first[0]).is_finite());
        // The same leaves again: what was recorded.
        assert_eq!(replay(&mut tape, &recorded), first);
        for l in [finite, special, bad_indices, recorded] {
            // Replays follow one another on one recording.
            let replayed = replay(&mut tape, &l);
            let mut fresh = Tp::new();
            assert_eq!(replayed, record(&mut fresh, &l));
        }
        let finite = replay(&mut tape, &leaves(10, vector![4.0, 0.0, 4.0]));
        assert!(finite.iter().all(|&b| f64::from_bits(b).is_finite()));
        let special = replay(&mut tape, &special_values());
        assert!(special.iter().any(|&b| f64::from_bits(b).is_nan()));
    }

    #[test]
    fn a_leaf_of_another_shape_is_unbound() {
        let recorded = leaves(1, vector![1.0, 2.0, 1.0]);
        let mut tape = Tp::new();
        let first = record(&mut tape, &recorded);
        {
            let other = SMatrix::<f64, 4, 3>::zeros();
            let g = tape.replay();
            let _ = g.param(&other); // the recording's first leaf is 3×4
            let out = g.replayed::<1, 1>();
            assert_eq!(out.backward().err(), Some(Error::Unbound));
        }
        {
            // A constant where a parameter was recorded (same shape, other kind).
            let g = tape.replay();
            let _ = g.constant(&recorded.x);
            assert_eq!(g.replayed::<1, 1>().backward().err(), Some(Error::Unbound));
        }
        // The recording stays: a correct replay still gives what it gave.
        assert_eq!(replay(&mut tape, &recorded), first);
    }
}
