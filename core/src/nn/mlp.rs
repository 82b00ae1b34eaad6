//! A ready-made model, the multi-layer perceptron, and the predicted class of an input.

use nalgebra::SVector;

use super::{Init, Layer, Linear, Mat, Rng};
use crate::ops::unary::Relu;
use crate::Real;

/// A multi-layer perceptron `IN → HIDDEN (ReLU) → OUT`: a tuple of layers, so it is a
/// [`Layer`] and a [`Module`](super::Module) like any other composition. Deeper networks are longer
/// tuples.
pub type Mlp<T, const IN: usize, const HIDDEN: usize, const OUT: usize> =
    (Linear<T, IN, HIDDEN>, Relu, Linear<T, HIDDEN, OUT>);

/// An [`Mlp`] with He-uniform hidden weights (for the ReLU), Xavier-uniform output
/// weights and zero biases.
pub fn mlp<T: Real, const IN: usize, const HIDDEN: usize, const OUT: usize>(
    rng: &mut Rng,
) -> Mlp<T, IN, HIDDEN, OUT> {
    (
        Linear::new(Init::HeUniform, rng),
        Relu,
        Linear::new(Init::XavierUniform, rng),
    )
}

/// The predicted class of one input: the index of the model's largest logit (the first
/// on ties; 0 if the logits are NaN), computed without a tape.
pub fn predict<T, M, const IN: usize, const K: usize>(model: &M, x: &SVector<T, IN>) -> usize
where
    T: Real,
    M: Layer<T, Mat<IN, 1>, Output = Mat<K, 1>>,
{
    let z = model.eval(x);
    let mut best = 0;
    for (i, &v) in z.iter().enumerate() {
        if z.get(best).is_some_and(|&b| v > b) {
            best = i;
        }
    }
    best
}
