//! One column, or one entry, of a matrix as a variable of its own. The index is a const
//! parameter checked at compile time, so an index out of bounds does not compile (and
//! nothing can panic at run time). Backward adds `Ḡ` into that column or entry of the
//! input's gradient; every other entry receives 0.

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// Adds `Ḡ` into the input's gradient from stored entry `start` on.
#[inline]
fn add_block<T: Real>(s: &mut Backward<'_, T>, start: usize) {
    let up = s.upstream();
    if let Some(ga) = s.grad(0) {
        if let Some(dst) = ga.get_mut(start..start + up.len()) {
            for (g, &u) in dst.iter_mut().zip(up) {
                *g += u;
            }
        }
    }
}

/// Copies the `len` consecutive stored entries from `start` into `out`; the backward
/// rule adds `Ḡ` back from the same `start`.
#[inline]
fn copy_block<T: Real>(a: &[T], start: usize, len: usize, out: &mut [T]) {
    if let Some(src) = a.get(start..start + len) {
        for (o, &x) in out.iter_mut().zip(src) {
            *o = x;
        }
    }
}

/// Forward of `column::<J>` of a matrix of `R` rows: its `R` entries from `J·R`.
fn column_forward<T: Real, const R: usize, const J: usize>(
    a: &[T],
    _: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    copy_block(a, J * R, R, out);
}

/// Forward of `at::<I, J>` of a matrix of `R` rows: its entry `J·R + I`.
fn at_forward<T: Real, const R: usize, const I: usize, const J: usize>(
    a: &[T],
    _: &[T],
    _: [T; 2],
    out: &mut [T],
) {
    copy_block(a, J * R + I, 1, out);
}

fn column_backward<T: Real, const R: usize, const J: usize>(s: &mut Backward<'_, T>) {
    add_block(s, J * R);
}

fn at_backward<T: Real, const R: usize, const I: usize, const J: usize>(s: &mut Backward<'_, T>) {
    add_block(s, J * R + I);
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Column `J` as an `R×1` column (nalgebra's `column(j)`, with the index a const
    /// parameter: `J < C` is checked at compile time). `∂/∂a[:, J] = Ḡ`, 0 elsewhere.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::{Matrix2x3, Vector2}};
    /// let a0 = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let a = g.param(&a0);
    /// assert_eq!(a.column::<1>().value(), Vector2::new(2.0, 5.0));
    /// assert_eq!(a.at::<1, 2>().scalar(), 6.0);
    /// ```
    ///
    /// ```compile_fail
    /// # use stackgrad::{Tape, nalgebra::Matrix2x3};
    /// let a0 = Matrix2x3::<f64>::zeros();
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let _ = g.param(&a0).column::<3>(); // only columns 0, 1, 2: does not compile
    /// ```
    pub fn column<const J: usize>(self) -> Var<'g, T, R, 1> {
        const {
            assert!(
                J < C,
                "column: the index must be less than the number of columns"
            )
        };
        self.apply_unary(
            op!(
                "column",
                column_forward::<T, R, J>,
                column_backward::<T, R, J>
            ),
            [T::zero(); 2],
        )
    }

    /// Entry `(I, J)` as a `1×1` variable (`I < R` and `J < C` are checked at compile
    /// time). `∂/∂a[I, J] = Ḡ`, 0 elsewhere. Read its value with [`Var::scalar`].
    pub fn at<const I: usize, const J: usize>(self) -> Var<'g, T, 1, 1> {
        const { assert!(I < R && J < C, "at: the entry must lie inside the matrix") };
        self.apply_unary(
            op!("at", at_forward::<T, R, I, J>, at_backward::<T, R, I, J>),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::{Matrix2x3, SMatrix};
    use crate::testing::{check, eval, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<3, 4>(1), |g, x| {
            x.column::<2>()
                .component_mul(g.constant_value(mat(2)))
                .sum()
        });
        check(mat::<3, 4>(3), |_, x| {
            let (a, b) = (x.at::<2, 3>(), x.at::<0, 1>());
            a.component_mul(b).component_mul(a).sum() + x.column::<0>().sum()
        });
    }

    #[test]
    fn values_and_gradients_land_in_place() {
        let a0 = mat::<3, 4>(4);
        let mut tape: crate::Tape<f64, 64, 8> = crate::Tape::new();
        let g = tape.graph();
        let a = g.constant(&a0);
        assert_eq!(a.column::<3>().value(), a0.column(3));
        assert_eq!(a.at::<1, 2>().scalar(), a0[(1, 2)]);
        assert_eq!(a.at::<0, 0>().scalar(), a0[(0, 0)]);
        let (_, d) = eval(&Matrix2x3::repeat(f64::NAN), &|_, x| x.at::<1, 0>());
        let expected =
            SMatrix::<f64, 2, 3>::from_fn(|i, j| if (i, j) == (1, 0) { 1.0 } else { 0.0 });
        assert_eq!(d, expected);
        let (v, d) = eval(&Matrix2x3::repeat(f64::INFINITY), &|_, x| {
            x.column::<2>().sum()
        });
        let expected = SMatrix::<f64, 2, 3>::from_fn(|_, j| if j == 2 { 1.0 } else { 0.0 });
        assert_eq!((v, d), (f64::INFINITY, expected));
    }
}
