//! Gradient clipping by global norm (PyTorch's `clip_grad_norm_`).

use nalgebra::SMatrix;

use super::pairs::Source;
use crate::nn::{Grad, Module, Visitor};
use crate::{Error, Real, Tape};

/// `‖g‖₂ = √Σ gᵢ²` over all the gradients of a model, accumulated in `f64` so that
/// `f32` gradients up to `f32::MAX` do not overflow. NaN if any entry is NaN, `+∞` if
/// any is infinite.
pub fn global_norm<T: Real>(grads: &[T]) -> f64 {
    let mut acc = 0.0f64;
    for g in grads {
        let x = g.to_f64();
        acc += x * x;
    }
    libm::sqrt(acc)
}

/// Rescales `grads` in place so that their global norm is at most `max_norm`, and
/// returns the norm before clipping (PyTorch's `clip_grad_norm_`, with
/// `error_if_nonfinite = True`): with `n = ‖g‖₂`, every gradient is multiplied by
/// `min(1, max_norm / (n + 1e-6))`.
///
/// For a model's gradients on a tape, use [`clip_model_grad_norm`].
///
/// # Errors
///
/// [`Error::NonFinite`] if the norm is NaN or infinite, or `max_norm` is NaN; nothing is
/// changed.
pub fn clip_grad_norm<T: Real>(grads: &mut [T], max_norm: T) -> Result<f64, Error> {
    let n = global_norm(grads);
    let max = max_norm.to_f64();
    if !n.is_finite() || max.is_nan() {
        return Err(Error::NonFinite);
    }
    let coef = max / (n + 1e-6);
    if coef < 1.0 {
        let c = T::constant(coef);
        for g in grads.iter_mut() {
            *g *= c;
        }
    }
    Ok(n)
}

/// [`clip_grad_norm`] over a model's gradients on `tape`, in place (each found through
/// its id, as an optimizer step finds it), before [`Optimizer::step_model`]
/// (`crate::optim::Optimizer::step_model`). The model itself is not changed; it is
/// borrowed mutably only to walk its parameters.
///
/// [`Optimizer::step_model`]: crate::optim::Optimizer::step_model
///
/// # Errors
///
/// As [`clip_grad_norm`], or the error of a gradient that cannot be read
/// ([`Tape::grad`]); nothing is changed.
pub fn clip_model_grad_norm<T: Real, M: Module<T>, const S: usize, const N: usize>(
    model: &mut M,
    tape: &mut Tape<T, S, N>,
    ids: &M::Ids,
    max_norm: T,
) -> Result<f64, Error> {
    struct Norm<'t, T: 'static, const S: usize, const N: usize>(&'t Tape<T, S, N>, f64);
    impl<T: Real, const S: usize, const N: usize> Visitor<T> for Norm<'_, T, S, N> {
        fn visit<const R: usize, const C: usize>(
            &mut self,
            param: &mut SMatrix<T, R, C>,
            grad: Grad<'_, T, R, C>,
        ) -> Result<(), Error> {
            for g in self.0.read(param, grad)? {
                let x = g.to_f64();
                self.1 += x * x;
            }
            Ok(())
        }
    }
    struct Scale<'t, T: 'static, const S: usize, const N: usize>(&'t mut Tape<T, S, N>, T);
    impl<T: Real, const S: usize, const N: usize> Visitor<T> for Scale<'_, T, S, N> {
        fn visit<const R: usize, const C: usize>(
            &mut self,
            _: &mut SMatrix<T, R, C>,
            grad: Grad<'_, T, R, C>,
        ) -> Result<(), Error> {
            // Gradients handed by value are not the tape's to scale.
            let Grad::Id(id) = grad else {
                return Err(Error::Foreign);
            };
            for g in self.0.grad_mut(id)?.iter_mut() {
                *g *= self.1;
            }
            Ok(())
        }
    }
    let mut norm = Norm(tape, 0.0);
    model.visit(ids, &mut norm)?;
    let n = libm::sqrt(norm.1);
    let max = max_norm.to_f64();
    if !n.is_finite() || max.is_nan() {
        return Err(Error::NonFinite);
    }
    let coef = max / (n + 1e-6);
    if coef < 1.0 {
        model.visit(ids, &mut Scale(tape, T::constant(coef)))?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_only_above_the_limit() {
        let mut g = [3.0f64, 4.0];
        assert_eq!(clip_grad_norm(&mut g, 10.0), Ok(5.0));
        assert_eq!(g, [3.0, 4.0]);
        assert_eq!(clip_grad_norm(&mut g, 1.0), Ok(5.0));
        let scale = 1.0 / (5.0 + 1e-6);
        assert_eq!(g, [3.0 * scale, 4.0 * scale]);
        assert!((global_norm(&g) - 1.0).abs() < 1e-6);
        // f32 entries whose squares overflow f32 still give a finite norm.
        let mut big = [3e30f32, 4e30];
        let n = clip_grad_norm(&mut big, 1.0).unwrap();
        assert!((n / 5e30 - 1.0).abs() < 1e-6);
        assert!((global_norm(&big) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn non_finite_changes_nothing() {
        for bad in [f64::NAN, f64::INFINITY] {
            let mut g = [1.0, bad];
            assert_eq!(clip_grad_norm(&mut g, 1.0), Err(Error::NonFinite));
            assert_eq!(g[0], 1.0);
        }
        let mut g = [1.0, 2.0];
        assert_eq!(clip_grad_norm(&mut g, f64::NAN), Err(Error::NonFinite));
        assert_eq!(g, [1.0, 2.0]);
    }
}
