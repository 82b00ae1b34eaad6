//! Models as types: what a model owns ([`Module`]), how it maps an input to an output
//! ([`Layer`]), and what both cost on a tape, computed by the compiler.
//!
//! A model is a value that owns its parameters as nalgebra matrices. Its *type* says
//! everything the tape and the optimizer need to know, as associated constants:
//!
//! - [`Module::PARAMS`]: trainable scalars (what an optimizer's state is sized by);
//! - [`Module::BIND`]: what binding the parameters to a graph records;
//! - [`Layer::FORWARD`]: what one forward pass on an input of shape `X` records;
//! - [`Module::PENALTY`]: what its L2 penalty records.
//!
//! Layers compose: a tuple `(A, B, C)` is a layer when each part's output is the next
//! part's input, and the compiler adds the constants up. A user struct of layers
//! implements [`Module`] by delegating to its fields.
//!
//! Gradients are matched to parameters by *identity*: [`Module::ids`] turns the bound
//! variables into lifetime-free [`VarId`]s, and [`Module::visit`] hands each parameter
//! to a [`Visitor`] together with its own id. An optimizer reads each parameter's
//! gradient through its id, whatever order the parameters were bound in and whatever
//! was recorded between them.
//!
//! ```
//! use stackgrad::nalgebra::SMatrix;
//! use stackgrad::nn::{Init, Layer, Linear, Mat, Module, Rng, Tanh};
//! use stackgrad::optim::{Optimizer, Sgd};
//! use stackgrad::{Tape, Usage};
//!
//! type Net = (Linear<f32, 3, 4>, Tanh, Linear<f32, 4, 1>);
//! const B: usize = 5;
//! // Parameters, then one forward pass on 3×5, then the loss (2 nodes, 4 scalars).
//! const NEED: Usage = <Net as Module<f32>>::BIND
//!     .plus(<Net as Layer<f32, Mat<3, B>>>::FORWARD)
//!     .plus(Usage { scalars: 4, nodes: 3 });
//!
//! let mut rng = Rng::seed_from_u64(7);
//! let mut net: Net = (Linear::new(Init::XavierUniform, &mut rng), Tanh, Linear::new(Init::XavierUniform, &mut rng));
//! let x = SMatrix::<f32, 3, B>::from_fn(|r, c| (r + c) as f32 * 0.1);
//! let mut tape: Tape<f32, { NEED.scalars }, { NEED.nodes }> = Tape::new();
//! let mut sgd = Sgd::new(0.1);
//! for _ in 0..3 {
//!     let ids = {
//!         let g = tape.graph();
//!         let vars = net.bind(&g);
//!         let y = Net::forward(&vars, g.constant(&x));
//!         y.norm_squared().backward()?;
//!         Net::ids(&vars)
//!     };
//!     sgd.step_model(&mut net, &tape, &ids)?; // each parameter with its own gradient
//! }
//! # Ok::<(), stackgrad::Error>(())
//! ```

use nalgebra::SMatrix;

use crate::{Error, Graph, Real, Usage, Var, VarId};

/// Where a parameter's gradient is, as a [`Visitor`] is handed it: on a tape, named by
/// the id of the parameter's variable on the graph that computed it ([`Module::visit`]),
/// or in a compiled pass's buffers, by value
/// ([`ParamGrads::visit_grads`](crate::compiled::ParamGrads::visit_grads)). One visitor
/// serves both: an optimizer steps a model with either.
///
/// A model written by hand hands an id with `.into()`:
/// `v.visit(&mut self.u, ids.u.into())`.
#[derive(Debug)]
pub enum Grad<'a, T, const R: usize, const C: usize> {
    /// The id of the parameter's variable; read it with [`Tape::grad`](crate::Tape::grad).
    Id(VarId<R, C>),
    /// The gradient itself.
    Value(&'a SMatrix<T, R, C>),
}

impl<T, const R: usize, const C: usize> Clone for Grad<'_, T, R, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, const R: usize, const C: usize> Copy for Grad<'_, T, R, C> {}

impl<T, const R: usize, const C: usize> From<VarId<R, C>> for Grad<'_, T, R, C> {
    fn from(id: VarId<R, C>) -> Self {
        Grad::Id(id)
    }
}

impl<'a, T, const R: usize, const C: usize> From<&'a SMatrix<T, R, C>> for Grad<'a, T, R, C> {
    fn from(g: &'a SMatrix<T, R, C>) -> Self {
        Grad::Value(g)
    }
}

/// A parameter tensor visitor: [`Module::visit`] (gradients on a tape) and
/// [`ParamGrads::visit_grads`](crate::compiled::ParamGrads::visit_grads) (gradients of a
/// compiled pass) call it once per parameter, in the same order, with the parameter and
/// where its gradient is ([`Grad`]).
pub trait Visitor<T> {
    /// Visits one parameter. An error stops the visit and is returned by it.
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        grad: Grad<'_, T, R, C>,
    ) -> Result<(), Error>;
}

/// Something that owns trainable parameters: a layer, a tuple of layers, a user's model.
pub trait Module<T: Real> {
    /// Trainable scalars.
    const PARAMS: usize;
    /// Parameter tensors (each is one node when bound).
    const TENSORS: usize;
    /// What [`Module::bind`] records: each tensor's gradient and one node per tensor.
    const BIND: Usage = Usage {
        scalars: Self::PARAMS,
        nodes: Self::TENSORS,
    };
    /// What [`Module::penalty`] records.
    const PENALTY: Usage;

    /// The parameters as variables of a graph.
    type Vars<'g>: Copy;
    /// The parameters' lifetime-free ids, to match gradients to parameters after the
    /// graph is gone.
    ///
    /// `Default` gives ids that belong to no tape: [`for_each_param`] walks the
    /// parameters with them when no gradient is needed.
    type Ids: Copy + core::fmt::Debug + PartialEq + Default;

    /// Registers the parameters on `g` (borrowed, not copied).
    fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
    ) -> Self::Vars<'g>;

    /// The ids of bound parameters.
    fn ids(vars: &Self::Vars<'_>) -> Self::Ids;

    /// Calls `v` on each parameter with its id in `ids`, in a fixed order.
    ///
    /// # Errors
    ///
    /// The first error `v` returns.
    fn visit<V: Visitor<T>>(&mut self, ids: &Self::Ids, v: &mut V) -> Result<(), Error>;

    /// The L2 penalty `λ/2·Σ‖W‖²` over the weight matrices (not biases, slopes or word
    /// vectors), or `None` if the module has no weights.
    fn penalty<'g>(vars: &Self::Vars<'g>, lambda: T) -> Option<Var<'g, T, 1, 1>>;

    /// Calls `f` with each parameter's name, as path segments, in [`Module::visit`]
    /// order: what a weight file calls it. The layers use PyTorch's names (`weight`,
    /// `bias`) and tuples the position of each part, so `(Linear, Relu, Linear)` names
    /// `0.weight`, `0.bias`, `2.weight`, `2.bias`, as an `nn.Sequential` does. The default
    /// numbers the tensors (`0`, `1`, ...): a model of its own struct overrides it to
    /// name its fields.
    fn names(f: &mut dyn FnMut(&[&str])) {
        for i in 0..Self::TENSORS {
            f(&[position(i)]);
        }
    }
}

/// The segments of a name path at most this deep are kept; deeper ones are cut.
const NAME_DEPTH: usize = 8;

/// `i` as a name segment (`"0"` to `"63"`, then `"64+"`).
pub(crate) fn position(i: usize) -> &'static str {
    const P: [&str; 64] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
        "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
        "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46",
        "47", "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61",
        "62", "63",
    ];
    P.get(i).copied().unwrap_or("64+")
}

/// Calls `f` with `path` under the segment `first`.
pub(crate) fn prefixed(first: &str, path: &[&str], f: &mut dyn FnMut(&[&str])) {
    let mut full = [""; NAME_DEPTH];
    full[0] = first;
    let n = 1 + path.len().min(NAME_DEPTH - 1);
    for (slot, seg) in full[1..n].iter_mut().zip(path) {
        *slot = seg;
    }
    f(&full[..n]);
}

/// Calls `f` on every parameter of `model` as a column-major slice, in
/// [`Module::visit`] order (for checkpoints and weight files).
pub fn for_each_param<T: Real, M: Module<T> + ?Sized>(model: &mut M, mut f: impl FnMut(&mut [T])) {
    struct Walk<F>(F);
    impl<T, F: FnMut(&mut [T])> Visitor<T> for Walk<F> {
        fn visit<const R: usize, const C: usize>(
            &mut self,
            param: &mut SMatrix<T, R, C>,
            _: Grad<'_, T, R, C>,
        ) -> Result<(), Error> {
            (self.0)(param.as_mut_slice());
            Ok(())
        }
    }
    let _ = model.visit(&M::Ids::default(), &mut Walk(&mut f));
}

/// A shape marker for [`Layer`] inputs and outputs: an `R×C` matrix (for a batch, `C`
/// columns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mat<const R: usize, const C: usize>;

/// What a shape marker stands for, on a graph and off it.
pub trait Shape {
    /// The variable of this shape.
    type Var<'g, T: Real>: Copy;
    /// The matrix of this shape.
    type Matrix<T: Real>;
}

impl<const R: usize, const C: usize> Shape for Mat<R, C> {
    type Var<'g, T: Real> = Var<'g, T, R, C>;
    type Matrix<T: Real> = SMatrix<T, R, C>;
}

/// A module that maps an input of shape `X` to an output, on a graph ([`Layer::forward`])
/// and off it ([`Layer::eval`], for inference).
pub trait Layer<T: Real, X: Shape>: Module<T> {
    /// The output shape.
    type Output: Shape;
    /// What one [`Layer::forward`] records on a tracked input (a layer inside a
    /// network), or on any input if the layer has parameters.
    const FORWARD: Usage;
    /// What one [`Layer::forward`] records on a constant input (the batch itself): a
    /// parameter-free layer then stores values only. Defaults to [`Layer::FORWARD`],
    /// which is right for any layer with parameters.
    const FORWARD_CONSTANT: Usage = Self::FORWARD;

    /// The output on a graph, from bound parameters.
    fn forward<'g>(vars: &Self::Vars<'g>, x: X::Var<'g, T>) -> <Self::Output as Shape>::Var<'g, T>;

    /// The output computed directly (no tape), with the same operations.
    fn eval(&self, x: &X::Matrix<T>) -> <Self::Output as Shape>::Matrix<T>;
}

/// Adds two penalties (either may be absent).
pub fn add_penalties<'g, T: Real>(
    a: Option<Var<'g, T, 1, 1>>,
    b: Option<Var<'g, T, 1, 1>>,
) -> Option<Var<'g, T, 1, 1>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}

/// [`add_penalties`] on values: the sum where both are present (the compiled path's
/// penalty, with the tape's additions in the tape's order).
pub fn add_penalties_value<T: Real>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}

/// What [`add_penalties`] records for two penalties of the given sizes.
pub const fn penalty_sum(a: Usage, b: Usage) -> Usage {
    let both = a.nodes > 0 && b.nodes > 0;
    let sum = a.plus(b);
    if both {
        sum.plus(Usage {
            scalars: 2,
            nodes: 1,
        })
    } else {
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Embedding, Linear, Mlp, PRelu, Relu, Tanh};

    /// Asserts that `M` names its tensors `want` (segments joined by dots), in order.
    fn assert_names<M: Module<f64>>(want: &[&[&str]]) {
        let mut i = 0;
        M::names(&mut |path| {
            assert_eq!(Some(&path), want.get(i), "name {i}");
            i += 1;
        });
        assert_eq!(i, want.len());
        assert_eq!(i, M::TENSORS);
    }

    #[test]
    fn names_follow_pytorchs_sequential() {
        assert_names::<Mlp<f64, 3, 4, 2>>(&[
            &["0", "weight"],
            &["0", "bias"],
            &["2", "weight"],
            &["2", "bias"],
        ]);
        type Nested = ((Embedding<f64, 5, 2>, Tanh), PRelu<f64>, Linear<f64, 2, 1>);
        assert_names::<Nested>(&[
            &["0", "0", "weight"],
            &["1", "weight"],
            &["2", "weight"],
            &["2", "bias"],
        ]);
        assert_names::<(Relu, Tanh)>(&[]);
    }

    /// A user's model that does not name its fields: positions.
    struct Pair(Linear<f64, 1, 1>);
    impl Module<f64> for Pair {
        const PARAMS: usize = 2;
        const TENSORS: usize = 2;
        const PENALTY: Usage = Usage::ZERO;
        type Vars<'g> = <Linear<f64, 1, 1> as Module<f64>>::Vars<'g>;
        type Ids = <Linear<f64, 1, 1> as Module<f64>>::Ids;
        fn bind<'g, 'a, const S: usize, const N: usize>(
            &'a self,
            g: &'g Graph<'a, f64, S, N>,
        ) -> Self::Vars<'g> {
            self.0.bind(g)
        }
        fn ids(vars: &Self::Vars<'_>) -> Self::Ids {
            Linear::ids(vars)
        }
        fn visit<V: Visitor<f64>>(&mut self, ids: &Self::Ids, v: &mut V) -> Result<(), Error> {
            self.0.visit(ids, v)
        }
        fn penalty<'g>(_: &Self::Vars<'g>, _: f64) -> Option<Var<'g, f64, 1, 1>> {
            None
        }
    }

    #[test]
    fn a_model_that_does_not_name_its_fields_gets_positions() {
        assert_names::<Pair>(&[&["0"], &["1"]]);
        assert_names::<(Pair, Pair)>(&[&["0", "0"], &["0", "1"], &["1", "0"], &["1", "1"]]);
        assert_eq!(position(70), "64+");
    }
}
