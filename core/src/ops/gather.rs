//! Gathering rows of an embedding table into one stacked column: the window
//! `x = [L[i₁]; …; L[i_N]]` built from the rows of the word-vector matrix `L` in one node.
//!
//! Backward adds each slot's gradient into the row it was read from, so a word that
//! appears twice in a window receives the sum of both gradients (fan-out).

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// The row an index scalar names, if it is a whole number in `0..rows`.
#[inline]
fn row_index<T: Real>(x: T, rows: usize) -> Option<usize> {
    let f = x.to_f64();
    // The range test is written so that NaN fails it.
    let whole = (0.0..rows as f64).contains(&f) && libm::floor(f) == f;
    whole.then_some(f as usize)
}

fn gather_backward<T: Real, const V: usize, const D: usize>(s: &mut Backward<'_, T>) {
    let (idx, up) = (s.input(1), s.upstream());
    if let Some(gt) = s.grad(0) {
        for (&i, ucol) in idx.iter().zip(crate::ops::columns::<_, D>(up).iter()) {
            let Some(r) = row_index(i, V) else { continue };
            // Row r of a V×D column-major table: entries r, r + V, r + 2V, …
            for (g, &u) in gt.iter_mut().skip(r).step_by(V).zip(ucol) {
                *g += u;
            }
        }
    }
}

/// `out = [table[i₁, :]; …; table[i_N, :]]` for a `V×D` table, NaN for a slot whose
/// index names no row.
fn gather_forward<T: Real, const V: usize, const D: usize>(
    table: &[T],
    idx: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    for (&i, ocol) in idx
        .iter()
        .zip(crate::ops::columns_mut::<_, D>(out).iter_mut())
    {
        match row_index(i, V) {
            Some(r) => {
                for (o, &x) in ocol.iter_mut().zip(table.iter().skip(r).step_by(V)) {
                    *o = x;
                }
            }
            None => ocol.fill(T::nan()),
        }
    }
}

impl<'g, T: Real, const V: usize, const D: usize> Var<'g, T, V, D> {
    /// Rows `indices[0], …, indices[N−1]` of this `V×D` table, each as a column of `D`
    /// entries, stacked into one column of `ND = N·D` entries (checked at compile time):
    /// the concatenated word vectors of a window.
    ///
    /// `indices` holds row numbers as scalars (exact up to 2²⁴ in `f32`); pass it with
    /// [`Graph::constant_value`](crate::Graph::constant_value) (`N` scalars on the tape).
    ///
    /// Derivative: `∂/∂table[i_k, :] += Ḡ[kD .. kD + D]` for every slot `k`, so a row
    /// looked up twice gets both gradients; rows not looked up get 0. The indices get no
    /// gradient (they are not differentiable). An index that is NaN, negative, fractional
    /// or `≥ V` gives a NaN word vector and sends no gradient: never a panic, never a
    /// silent zero.
    ///
    /// ```
    /// # use stackgrad::{matrix, vector, Tape};
    /// let table = matrix![1.0, 2.0; 3.0, 4.0; 5.0, 6.0]; // 3 words, 2 dimensions
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let l = g.param(&table);
    /// let x = l.gather::<2, 4>(g.constant_value(vector![2.0, 2.0]));
    /// assert_eq!(x.value(), vector![5.0, 6.0, 5.0, 6.0]);
    /// let grads = x.sum().backward()?;
    /// assert_eq!(grads.wrt(l).unwrap().into_owned(), matrix![0.0, 0.0; 0.0, 0.0; 2.0, 2.0]); // seen twice
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    pub fn gather<const N: usize, const ND: usize>(
        self,
        indices: Var<'g, T, N, 1>,
    ) -> Var<'g, T, ND, 1> {
        const { assert!(ND == N * D, "gather: the output must have N·D rows") };
        self.apply_binary(
            indices,
            op!(
                "gather",
                gather_forward::<T, V, D>,
                gather_backward::<T, V, D>
            ),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::{vector, SMatrix};
    use crate::testing::{check, mat};
    use crate::Tape;

    #[test]
    fn matches_central_differences_with_repeats() {
        let idx = vector![3.0, 0.0, 3.0];
        check(mat::<5, 2>(1), |g, table| {
            table
                .gather::<3, 6>(g.constant_value(idx))
                .component_mul(g.constant_value(mat(2)))
                .sum()
        });
    }

    #[test]
    fn bad_indices_give_nan_and_no_gradient() {
        let t0: SMatrix<f64, 3, 2> = mat(3);
        let mut tape: Tape<f64, 256, 32> = Tape::new();
        let g = tape.graph();
        let t = g.param(&t0);
        for bad in [f64::NAN, -1.0, 3.0, 0.5, f64::INFINITY] {
            let x = t.gather::<2, 4>(g.constant_value(vector![1.0, bad]));
            let v = x.value();
            assert_eq!(v[0], t0[(1, 0)]);
            assert_eq!(v[1], t0[(1, 1)]);
            assert!(v[2].is_nan() && v[3].is_nan(), "index {bad}");
        }
        let x = t.gather::<2, 4>(g.constant_value(vector![1.0, 7.0]));
        let grads = x.rows::<0, 2>().sum().backward().unwrap();
        let d = grads.wrt(t).unwrap().into_owned();
        assert_eq!(d.row(1).sum(), 2.0);
        assert_eq!(d.row(0).sum() + d.row(2).sum(), 0.0);
    }
}
