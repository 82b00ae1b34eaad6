//! The two traits of the compiled path: where a model's gradients live
//! ([`ParamGrads`]), and how a layer runs forward with a cache and backward as code
//! ([`Backprop`]).

use super::{Layer, Module, Shape, Visitor, Zeroed};
use crate::{Error, Real};

/// A module whose parameter gradients live in a value of a type known to the compiler,
/// [`ParamGrads::Grads`], holding one matrix per parameter of the same shape (a
/// [`Linear`](crate::nn::Linear)'s gradients are a `Linear`).
pub trait ParamGrads<T: Real>: Module<T> {
    /// The gradients, one matrix per parameter.
    type Grads: Zeroed;

    /// Calls `v` on each parameter with its gradient in `grads`, in the order of
    /// [`Module::visit`] (so an optimizer's state lines up on both paths).
    ///
    /// # Errors
    ///
    /// The first error `v` returns.
    fn visit_grads<V: Visitor<T>>(&mut self, grads: &Self::Grads, v: &mut V) -> Result<(), Error>;

    /// The value of [`Module::penalty`] (`λ/2·Σ‖W‖²` over the weight matrices), with the
    /// tape's operations in the tape's order; `None` if the module has no weights. Its
    /// gradient is added by [`Backprop::backward`] given `penalty = Some(λ)`.
    fn penalty_value(&self, lambda: T) -> Option<T>;
}

/// A layer whose backward pass is code: [`Backprop::forward_cached`] runs the forward
/// pass keeping what the backward pass needs in [`Backprop::Cache`], and
/// [`Backprop::backward`] computes the gradients of the parameters and of the input from
/// the output's. The compiler monomorphises and inlines both for the whole model: no
/// tape, no nodes, no run-time bookkeeping, and the memory is `size_of` the cache and
/// the gradients.
///
/// Both passes call the tape's own kernels in the tape's order, so the outputs and the
/// gradients are bit for bit the tape's (NaN and kink conventions included).
///
/// Tuples of layers are layers when each layer's output is the next layer's input:
///
/// ```
/// use stackgrad::compiled::{Backprop, ParamGrads, Zeroed};
/// use stackgrad::nalgebra::SMatrix;
/// use stackgrad::nn::{Init, Linear, Mat, Rng};
/// use stackgrad::ops::unary::Tanh;
///
/// type Net = (Linear<f32, 3, 4>, Tanh, Linear<f32, 4, 2>);
/// type X = Mat<3, 5>; // a batch of 5 columns
/// let mut rng = Rng::seed_from_u64(1);
/// let net: Net = (Linear::new(Init::XavierUniform, &mut rng), Tanh, Linear::new(Init::XavierUniform, &mut rng));
/// let x = SMatrix::<f32, 3, 5>::repeat(0.5);
///
/// let mut cache = <Net as Backprop<f32, X>>::Cache::zeroed();
/// let mut y = SMatrix::<f32, 2, 5>::zeros();
/// net.forward_cached(&x, &mut cache, &mut y);
///
/// let up = SMatrix::<f32, 2, 5>::repeat(1.0); // ∂loss/∂y
/// let mut grads = <Net as ParamGrads<f32>>::Grads::zeroed();
/// let mut dx = SMatrix::<f32, 3, 5>::zeros();
/// net.backward(&x, &y, &mut cache, &up, &mut grads, Some(&mut dx), None);
/// // grads.0.weight is ∂loss/∂W₁ (4×3), grads.2.bias is ∂loss/∂b₂, dx is ∂loss/∂x.
/// ```
///
/// A shape mistake is a compile error that names the layer and the input it cannot take.
/// Here rustc says: ``error[E0277]: `Linear<f32, 5, 2>` cannot take an input of shape
/// `Mat<4, 1>` on the compiled path``, with the note "in a tuple of layers, each layer's
/// output shape must be the next layer's input shape" and "but trait `Backprop<_, Mat<5,
/// _>>` is implemented for it":
///
/// ```compile_fail,E0277
/// use stackgrad::compiled::Backprop;
/// use stackgrad::nn::{Linear, Mat};
/// use stackgrad::ops::unary::Relu;
///
/// fn compiled<N: Backprop<f32, Mat<3, 1>>>() {}
/// // Linear<3, 4> gives 4 rows, but the next layer takes 5.
/// compiled::<(Linear<f32, 3, 4>, Relu, Linear<f32, 5, 2>)>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take an input of shape `{X}` on the compiled path",
    label = "this layer does not take `{X}`",
    note = "in a tuple of layers, each layer's output shape must be the next layer's input shape"
)]
pub trait Backprop<T: Real, X: Shape>: Layer<T, X> + ParamGrads<T> {
    /// What the forward pass keeps for the backward pass beyond the layer's input and
    /// output (nothing for a single layer; a tuple keeps its intermediate values and
    /// their gradients).
    type Cache: Zeroed;

    /// The forward pass: writes the output into `y` and what the backward pass needs
    /// into `cache`. `y` is [`Layer::eval`]'s value, bit for bit the tape's.
    fn forward_cached(
        &self,
        x: &X::Matrix<T>,
        cache: &mut Self::Cache,
        y: &mut <Self::Output as Shape>::Matrix<T>,
    );

    /// The backward pass, after [`Backprop::forward_cached`] on the same `x` gave `y` and
    /// `cache`: from `up = ∂loss/∂y`, *writes* each parameter's gradient into `grads`
    /// and, if `dx` is given, `∂loss/∂x` into it. With `penalty = Some(λ)` each weight's
    /// gradient also gets the penalty's `λW` ([`ParamGrads::penalty_value`]'s gradient),
    /// added in the loop that writes it, after the product's terms, as the tape's sweep
    /// adds it; `None` for no penalty (no work at all).
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        x: &X::Matrix<T>,
        y: &<Self::Output as Shape>::Matrix<T>,
        cache: &mut Self::Cache,
        up: &<Self::Output as Shape>::Matrix<T>,
        grads: &mut Self::Grads,
        dx: Option<&mut X::Matrix<T>>,
        penalty: Option<T>,
    );
}
