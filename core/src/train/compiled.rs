//! Training a classifier on the compiled path: the same loss, the same step and the same
//! numbers as [`train_classifier`](crate::train::train_classifier), with the model's
//! buffers instead of a tape.

use nalgebra::SMatrix;

use crate::nn::Mat;
use crate::nn::{Backprop, Zeroed};
use crate::ops::cross_entropy::{softmax_ce_backward_z, softmax_ce_forward};
use crate::optim::Optimizer;
use crate::{Error, Real};

/// What one compiled classification step of model `M` needs, for batches of `B` columns
/// of `IN` features and `K` classes: the forward pass's cache, the logits and their
/// gradient, the parameters' gradients. Its size is `size_of` this type, fixed at compile
/// time; nothing can overflow.
pub struct ClassifierBuffers<T, M, const IN: usize, const K: usize, const B: usize>
where
    T: Real,
    M: Backprop<T, Mat<IN, B>, Output = Mat<K, B>>,
{
    cache: M::Cache,
    logits: SMatrix<T, K, B>,
    dlogits: SMatrix<T, K, B>,
    grads: M::Grads,
}

impl<T, M, const IN: usize, const K: usize, const B: usize> ClassifierBuffers<T, M, IN, K, B>
where
    T: Real,
    M: Backprop<T, Mat<IN, B>, Output = Mat<K, B>>,
{
    /// Zeroed buffers, as a constant: all-zero bytes, so a `static` of them is in `.bss`.
    pub const fn new() -> Self {
        ClassifierBuffers {
            cache: M::Cache::ZERO,
            logits: <SMatrix<T, K, B> as Zeroed>::ZERO,
            dlogits: <SMatrix<T, K, B> as Zeroed>::ZERO,
            grads: M::Grads::ZERO,
        }
    }

    /// The gradients of the last step, one matrix per parameter.
    pub fn grads(&self) -> &M::Grads {
        &self.grads
    }

    /// The logits of the last step's batch (before the update).
    pub fn logits(&self) -> &SMatrix<T, K, B> {
        &self.logits
    }
}

impl<T, M, const IN: usize, const K: usize, const B: usize> Default
    for ClassifierBuffers<T, M, IN, K, B>
where
    T: Real,
    M: Backprop<T, Mat<IN, B>, Output = Mat<K, B>>,
{
    fn default() -> Self {
        Self::new()
    }
}

/// One training step on the compiled path: the loss
/// `cross_entropy(M(X), Y) + λ/2·Σ‖W‖²`, its gradients by the model's compiled backward
/// pass, and `opt`'s update of every parameter in place. Returns the loss before the
/// step.
///
/// The same model type trains on either path: replace the tape of
/// [`train_classifier`](crate::train::train_classifier) by [`ClassifierBuffers`]. Same
/// kernels in the same order, so the loss, the gradients and the parameters after any
/// number of steps are bit for bit the tape's.
///
/// ```
/// use stackgrad::train::{train_classifier_compiled, ClassifierBuffers};
/// use stackgrad::nalgebra::SMatrix;
/// use stackgrad::nn::{mlp, Mlp, Module, Rng};
/// use stackgrad::optim::Adam;
///
/// type Net = Mlp<f32, 4, 8, 3>;
/// const B: usize = 2;
/// let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
/// let mut buffers = ClassifierBuffers::<f32, Net, 4, 3, B>::new();
/// let mut adam: Adam<f32, { <Net as Module<f32>>::PARAMS }> = Adam::new(1e-2);
/// let x = SMatrix::<f32, 4, B>::from_fn(|r, c| (r + c) as f32);
/// let y = SMatrix::<f32, 3, B>::from_fn(|r, c| if r == c { 1.0 } else { 0.0 });
/// let first = train_classifier_compiled(&mut net, &mut buffers, &mut adam, &x, &y, 1e-4)?;
/// for _ in 0..50 {
///     train_classifier_compiled(&mut net, &mut buffers, &mut adam, &x, &y, 1e-4)?;
/// }
/// assert!(train_classifier_compiled(&mut net, &mut buffers, &mut adam, &x, &y, 1e-4)? < first);
/// # Ok::<(), stackgrad::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::LengthMismatch`] if the optimizer's state is not sized for the model's
/// [`Module::PARAMS`](crate::nn::Module::PARAMS); [`Error::NonFinite`] if a gradient or
/// parameter is NaN or infinite. On error the parameters and the optimizer are unchanged.
pub fn train_classifier_compiled<T, M, O, const IN: usize, const K: usize, const B: usize>(
    model: &mut M,
    buffers: &mut ClassifierBuffers<T, M, IN, K, B>,
    opt: &mut O,
    x: &SMatrix<T, IN, B>,
    y: &SMatrix<T, K, B>,
    lambda: T,
) -> Result<T, Error>
where
    T: Real,
    M: Backprop<T, Mat<IN, B>, Output = Mat<K, B>>,
    O: Optimizer<T>,
{
    let b = &mut *buffers;
    model.forward_cached(x, &mut b.cache, &mut b.logits);
    let inv_b = T::one() / T::constant(B as f64);
    let ce = softmax_ce_forward::<T, K>(b.logits.as_slice(), y.as_slice(), inv_b);
    // No penalty work at λ = 0, as on the tape.
    let penalty = (lambda != T::zero()).then_some(lambda);
    let loss = match penalty.and_then(|lambda| model.penalty_value(lambda)) {
        Some(p) => ce + p,
        None => ce,
    };
    // The tape seeds the root with 1; the sum passes it on unchanged.
    softmax_ce_backward_z::<T, K>(
        b.logits.as_slice(),
        y.as_slice(),
        T::one() * inv_b,
        b.dlogits.as_mut_slice(),
        true,
    );
    model.backward(
        x,
        &b.logits,
        &mut b.cache,
        &b.dlogits,
        &mut b.grads,
        None,
        penalty,
    );
    opt.step_with((&mut *model, &b.grads))?;
    Ok(loss)
}
