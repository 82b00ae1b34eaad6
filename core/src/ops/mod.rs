//! The operations on [`Var`](crate::Var), one file each: forward value, backward rule
//! (vector-Jacobian product), documentation and tests side by side.
//!
//! Each backward rule receives the node's upstream gradient `Ḡ = ∂loss/∂out` and *adds*
//! `Ḡ × local gradient` into each tracked input's gradient, so gradients sum where a
//! value fans out. Derivatives at kinks follow PyTorch; each file states its convention.
//!
//! # Scalars
//!
//! `v * k`, `v / k`, `v + k` and `v - k` take a constant `k` of the tape's scalar type
//! `T` on the right, for every `T` (`f32`, `f64`, [`Dual`](crate::Dual)); the orphan rule
//! allows `impl<T: Real> Mul<T> for Var<'_, T, R, C>` because `Var` comes first. A
//! scalar on the left (`2.0 * v`) would need an impl on `T` itself, which the orphan rule
//! rejects for a generic `T`, so it exists for `f32` and `f64` only. The named methods
//! are [`Var::scale`](crate::Var::scale) and [`Var::add_scalar`](crate::Var::add_scalar)
//! (nalgebra's names). The scalar gets no gradient: to learn one, make it a `1×1`
//! parameter.

/// The columns of a column-major matrix of `R` rows stored in `m`, as arrays (none if
/// `R` is 0, where `as_chunks` would panic: a matrix without rows has nothing to visit).
#[inline]
pub(crate) fn columns<T, const R: usize>(m: &[T]) -> &[[T; R]] {
    if R == 0 {
        &[]
    } else {
        m.as_chunks::<R>().0
    }
}

/// [`columns`], mutable.
#[inline]
pub(crate) fn columns_mut<T, const R: usize>(m: &mut [T]) -> &mut [[T; R]] {
    if R == 0 {
        &mut []
    } else {
        m.as_chunks_mut::<R>().0
    }
}

mod arith;
pub(crate) mod bias;
mod clamp;
mod component_div;
mod component_mul;
pub(crate) mod cross_entropy;
mod dot;
mod gather;
mod log_sum_exp;
pub(crate) mod matmul;
mod minmax;
pub(crate) mod norm;
pub(crate) mod prelu;
mod reduce;
mod scalar;
mod scale;
mod select;
mod softmax;
mod stack;
mod transpose;
pub mod unary;

pub use crate::tape::{Backward, BackwardFn, ForwardFn, Op};
pub use unary::Unary;

#[cfg(test)]
mod tests {
    use crate::nalgebra::SMatrix;
    use crate::Tape;

    /// Matrices without rows are types like any other: every operation that walks
    /// columns takes them without a panic (`as_chunks::<0>` would panic), the reductions
    /// give empty sums, and the backward pass runs.
    #[test]
    fn matrices_without_rows_do_not_panic() {
        let mut tape: Tape<f64, 256, 64> = Tape::new();
        let (e, w) = (SMatrix::<f64, 0, 3>::zeros(), SMatrix::<f64, 2, 0>::zeros());
        let b = SMatrix::<f64, 0, 1>::zeros();
        let g = tape.graph();
        let (x, w, b) = (g.param(&e), g.param(&w), g.param(&b));
        let total = x.row_sum().sum()
            + x.column_log_sum_exp().sum()
            + x.softmax().sum()
            + x.log_softmax().sum()
            + x.add_bias(b).sum()
            + (w * x).sum()
            + x.softmax_cross_entropy(x).sum()
            + x.column_sum().sum()
            + x.vstack::<2, 2>(g.constant_value(SMatrix::<f64, 2, 3>::zeros()))
                .sum();
        let v = total.value()[(0, 0)];
        // ln of an empty sum is −∞, and so is their total.
        assert!(v == f64::NEG_INFINITY, "{v}");
        let grads = total.backward().unwrap();
        assert_eq!(grads.wrt(w).unwrap().len(), 0);
    }
}
