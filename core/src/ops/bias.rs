//! Adding a bias column to every column of a batch: `Z + b𝟙ᵀ`, how `Wx + b` is computed
//! for a batch `X = [x₁ … x_B]` in one node.
//!
//! Backward: `∂/∂Z = Ḡ` and `∂/∂b = Ḡ𝟙 = Σ_c Ḡ[:, c]` (the bias is used once per column,
//! so its gradient is the sum over the batch: gradients sum at fan-out).

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// `out = Z + b𝟙ᵀ`.
#[inline]
fn add_bias_op_forward<T: Real, const R: usize>(z: &[T], b: &[T], _: [T; 2], out: &mut [T]) {
    add_bias_forward::<T, R>(z, b, out);
}

pub(crate) fn add_bias_forward<T: Real, const R: usize>(z: &[T], b: &[T], out: &mut [T]) {
    for (ocol, zcol) in crate::ops::columns_mut::<_, R>(out)
        .iter_mut()
        .zip(crate::ops::columns::<_, R>(z).iter())
    {
        for ((o, &x), &y) in ocol.iter_mut().zip(zcol).zip(b) {
            *o = x + y;
        }
    }
}

/// `Z ← Z + b𝟙ᵀ` in place: the same additions as [`add_bias_forward`].
#[inline]
pub(crate) fn add_bias_in_place<T: Real, const R: usize>(z: &mut [T], b: &[T]) {
    for zcol in crate::ops::columns_mut::<_, R>(z).iter_mut() {
        for (x, &y) in zcol.iter_mut().zip(b) {
            *x += y;
        }
    }
}

/// `∂Z = Ḡ`, written (`write`) or added.
#[inline]
pub(crate) fn add_bias_backward_z<T: Real>(up: &[T], gz: &mut [T], write: bool) {
    if write {
        for (g, &u) in gz.iter_mut().zip(up) {
            *g = u;
        }
    } else {
        for (g, &u) in gz.iter_mut().zip(up) {
            *g += u;
        }
    }
}

/// `∂b = Σ_c Ḡ[:, c]`, the columns in order, written (`write`: the first column
/// overwrites) or added.
#[inline]
pub(crate) fn add_bias_backward_b<T: Real, const R: usize>(up: &[T], gb: &mut [T], write: bool) {
    let cols = crate::ops::columns::<_, R>(up);
    if cols.is_empty() && write {
        gb.fill(T::zero());
    }
    for (c, col) in cols.iter().enumerate() {
        if write && c == 0 {
            for (g, &u) in gb.iter_mut().zip(col) {
                *g = u;
            }
        } else {
            for (g, &u) in gb.iter_mut().zip(col) {
                *g += u;
            }
        }
    }
}

fn add_bias_backward<T: Real, const R: usize>(s: &mut Backward<'_, T>) {
    let up = s.upstream();
    if let Some((gz, fresh)) = s.grad_fresh(0) {
        add_bias_backward_z(up, gz, fresh);
    }
    if let Some((gb, fresh)) = s.grad_fresh(1) {
        add_bias_backward_b::<T, R>(up, gb, fresh);
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `Z + b𝟙ᵀ`: the column `bias` added to each of the `C` columns (a bias broadcast
    /// over a batch). `∂/∂Z = Ḡ`, `∂/∂b = Σ_c Ḡ[:, c]`. For `C = 1` it is `+`. NaN and
    /// ±∞ propagate as in `+` (`∞ + (−∞)` is NaN).
    ///
    /// ```
    /// # use stackgrad::{matrix, vector, Tape};
    /// let (z0, b0) = (matrix![1.0, 2.0; 3.0, 4.0], vector![10.0, 20.0]);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let b = g.param(&b0);
    /// let y = g.constant(&z0).add_bias(b);
    /// assert_eq!(y.value(), matrix![11.0, 12.0; 23.0, 24.0]);
    /// let grads = y.sum().backward()?;
    /// assert_eq!(grads.wrt(b)?, vector![2.0, 2.0]); // one per column
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    pub fn add_bias(self, bias: Var<'g, T, R, 1>) -> Var<'g, T, R, C> {
        self.apply_binary(
            bias,
            op!(
                "add_bias",
                add_bias_op_forward::<T, R>,
                add_bias_backward::<T, R>
            ),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, mat};

    #[test]
    fn matches_central_differences_for_both_inputs() {
        check(mat::<3, 4>(1), |g, z| {
            z.add_bias(g.constant_value(mat::<3, 1>(2)))
                .component_mul(g.constant_value(mat(3)))
                .sum()
        });
        check(mat::<3, 1>(4), |g, b| {
            g.constant_value(mat::<3, 4>(5))
                .add_bias(b)
                .component_mul(g.constant_value(mat(6)))
                .sum()
        });
        // both at once, through a fan-out
        check(mat::<2, 1>(7), |g, b| {
            (g.constant_value(mat::<2, 2>(8)) * b.vstack::<2, 4>(b).rows::<0, 2>().add_bias(b))
                .component_mul(g.constant_value(mat(9)))
                .sum()
        });
    }
}
