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
        self.binary(
            other,
            op!("vstack", vstack_backward::<T, R1, R2, R, C>),
            T::zero(),
            |a, b, out| {
                for (c, col) in crate::ops::columns_mut::<_, R>(out).iter_mut().enumerate() {
                    // Element by element: `copy_from_slice` would keep a length-mismatch
                    // panic path wherever the optimiser cannot prove the lengths equal.
                    let (top, bottom) = col.split_at_mut(R1);
                    if let (Some(x), Some(y)) =
                        (a.get(c * R1..(c + 1) * R1), b.get(c * R2..(c + 1) * R2))
                    {
                        for (o, &v) in top.iter_mut().zip(x).chain(bottom.iter_mut().zip(y)) {
                            *o = v;
                        }
                    }
                }
            },
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
        self.binary(
            other,
            op!("hstack", hstack_backward::<T, R1, C>),
            T::zero(),
            |a, b, out| {
                for (o, &x) in out.iter_mut().zip(a.iter().chain(b)) {
                    *o = x;
                }
            },
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
        self.unary(
            op!("rows", rows_backward::<T, R1, START, LEN, C>),
            T::zero(),
            |a, out| {
                for_block::<T, R1>(START, LEN, a, |i, x| {
                    if let Some(o) = out.get_mut(i) {
                        *o = x;
                    }
                });
            },
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
