//! The fully connected layer `y = Wx + b`, on one column or a batch of columns.

use nalgebra::{SMatrix, SVector};

use super::loss::l2_penalty;
use super::{Backprop, ParamGrads, Zeroed};
use super::{Init, Layer, Mat, Module, Rng, Shape, Visitor};
use crate::ops::bias::{add_bias_backward_b, add_bias_in_place};
use crate::ops::matmul::{
    matmul_backward_a, matmul_backward_a_penalized, matmul_backward_b, matmul_forward,
    with_write_flag,
};
use crate::ops::norm::norm_squared_forward;
use crate::ops::Backward;
use crate::{Error, Graph, Real, Usage, Var, VarId};

/// A fully connected layer: weights `W: OUT×IN`, bias `b: OUT`, `y = Wx + b`.
///
/// The parameters are plain nalgebra matrices owned by the layer. As a [`Module`] it
/// binds them to a graph (no copy) and hands them to an optimizer by identity; as a
/// [`Layer`] on `IN×B` inputs it maps a batch of `B` columns to `OUT×B`.
///
/// # Tape memory
///
/// Binding costs `OUT·IN + OUT` scalars (the gradients) and 2 nodes; a forward pass on a
/// batch of `B` columns costs `2·OUT·B` scalars (the value and gradient of `Wx + b`) and
/// 1 node (`linear`: the product and the bias in one, by the functions the compiled path
/// runs); the L2 penalty on `W`, 4 scalars and 2 nodes.
///
/// ```
/// use stackgrad::nalgebra::{SMatrix, Vector2};
/// use stackgrad::nn::{Layer, Linear, Mat, Module};
/// type L = Linear<f32, 2, 3>;
/// assert_eq!(<L as Module<f32>>::PARAMS, 9);
/// assert_eq!(<L as Layer<f32, Mat<2, 4>>>::FORWARD.scalars, 2 * 3 * 4);
/// let layer = L { weight: SMatrix::repeat(1.0), bias: SMatrix::repeat(0.5) };
/// assert_eq!(layer.eval(&Vector2::new(1.0, 2.0)), SMatrix::<f32, 3, 1>::repeat(3.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear<T: Real, const IN: usize, const OUT: usize> {
    /// `W`, `OUT×IN`.
    pub weight: SMatrix<T, OUT, IN>,
    /// `b`, `OUT`.
    pub bias: SVector<T, OUT>,
}

/// A [`Linear`] layer's parameters registered on a graph.
#[derive(Clone, Copy, Debug)]
pub struct LinearVars<'g, T, const IN: usize, const OUT: usize> {
    /// `W`
    pub weight: Var<'g, T, OUT, IN>,
    /// `b`
    pub bias: Var<'g, T, OUT, 1>,
}

/// The ids of a [`Linear`] layer's bound parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinearIds<const IN: usize, const OUT: usize> {
    /// `W`
    pub weight: VarId<OUT, IN>,
    /// `b`
    pub bias: VarId<OUT, 1>,
}

impl<T: Real, const IN: usize, const OUT: usize> Linear<T, IN, OUT> {
    /// Weights drawn by `init` (fan_in = `IN`, fan_out = `OUT`), bias zero.
    pub fn new(init: Init, rng: &mut Rng) -> Self {
        Linear {
            weight: init.matrix(rng),
            bias: SVector::zeros(),
        }
    }
}

impl<T: Real, const IN: usize, const OUT: usize> Module<T> for Linear<T, IN, OUT> {
    const PARAMS: usize = OUT * IN + OUT;
    const TENSORS: usize = 2;
    const PENALTY: Usage = Usage {
        scalars: 4,
        nodes: 2,
    };
    type Vars<'g> = LinearVars<'g, T, IN, OUT>;
    type Ids = LinearIds<IN, OUT>;

    /// Registers `W` and `b` as parameters of `g`.
    fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
    ) -> LinearVars<'g, T, IN, OUT> {
        LinearVars {
            weight: g.param(&self.weight),
            bias: g.param(&self.bias),
        }
    }

    fn ids(v: &LinearVars<'_, T, IN, OUT>) -> LinearIds<IN, OUT> {
        LinearIds {
            weight: v.weight.id(),
            bias: v.bias.id(),
        }
    }

    fn visit<V: Visitor<T>>(&mut self, ids: &LinearIds<IN, OUT>, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.weight, ids.weight.into())?;
        v.visit(&mut self.bias, ids.bias.into())
    }

    /// `λ/2·‖W‖²` (the bias is not penalised).
    fn penalty<'g>(v: &Self::Vars<'g>, lambda: T) -> Option<Var<'g, T, 1, 1>> {
        Some(l2_penalty(v.weight, lambda))
    }

    /// `weight` (`OUT×IN`, as PyTorch's `nn.Linear`) and `bias`.
    fn names(f: &mut dyn FnMut(&[&str])) {
        f(&["weight"]);
        f(&["bias"]);
    }
}

impl<T: Real, const IN: usize, const OUT: usize, const B: usize> Layer<T, Mat<IN, B>>
    for Linear<T, IN, OUT>
{
    type Output = Mat<OUT, B>;
    const FORWARD: Usage = Usage {
        scalars: 2 * OUT * B,
        nodes: 1,
    };

    /// `W·X + b𝟙ᵀ` for a batch `X` of `B` columns. Gradients: `∂/∂W = Ḡ Xᵀ`,
    /// `∂/∂b = Σ_c Ḡ[:, c]`, `∂/∂X = Wᵀ Ḡ`.
    fn forward<'g>(
        v: &Self::Vars<'g>,
        x: <Mat<IN, B> as Shape>::Var<'g, T>,
    ) -> <Mat<OUT, B> as Shape>::Var<'g, T> {
        v.forward(x)
    }

    /// `Wx + b` for a batch without a tape: the compiled path's forward pass
    /// ([`Backprop::forward_cached`]), the tape's kernels, so one description gives the
    /// same bits on all three paths.
    fn eval(&self, x: &SMatrix<T, IN, B>) -> SMatrix<T, OUT, B> {
        let mut y = SMatrix::<T, OUT, B>::zeros();
        <Self as Backprop<T, Mat<IN, B>>>::forward_cached(self, x, &mut (), &mut y);
        y
    }
}

impl<'g, T: Real, const IN: usize, const OUT: usize> LinearVars<'g, T, IN, OUT> {
    /// `W·X + b𝟙ᵀ` for a batch `X` of `B` columns (`B = 1` for one input): one tape
    /// node, named `linear`, whose value and backward rule are the layer's own two
    /// functions (`linear_forward`, `linear_backward`), which its compiled pass
    /// ([`Backprop`]) and [`Layer::eval`] run too.
    pub fn forward<const B: usize>(&self, x: Var<'g, T, IN, B>) -> Var<'g, T, OUT, B> {
        self.weight.apply_ternary(
            x,
            self.bias,
            &const {
                crate::ops::Op::with_forward3(
                    "linear",
                    linear_op_forward::<T, IN, OUT, B>,
                    linear_op_backward::<T, IN, OUT, B>,
                )
            },
            [T::zero(); 2],
        )
    }
}

// The layer's computation, written once over column-major slices: the tape's node, the
// compiled pass and `eval` all run these two functions.

/// `Y = W·X + b𝟙ᵀ`: the product's kernel, then the bias added to each column.
#[inline]
fn linear_forward<T: Real, const IN: usize, const OUT: usize, const B: usize>(
    w: &[T],
    x: &[T],
    b: &[T],
    y: &mut [T],
) {
    matmul_forward::<T, OUT, IN, B>(w, x, y);
    add_bias_in_place::<T, OUT>(y, b);
}

/// A gradient to compute: its slot, and whether this is the first contribution to it
/// (then it is written, else added to).
type Slot<'s, T> = Option<(&'s mut [T], bool)>;

/// The backward pass from `Ḡ = up`: `∂b = Σ_c Ḡ[:, c]`, `∂W = Ḡ·Xᵀ` (then `+ k·W` for
/// `penalty = Some((k, W))`, in the same loop), `∂X = Wᵀ·Ḡ`, in this order, each into
/// the slot given (none for an input without a gradient). `PENALISED` says whether a
/// penalty may be given (the compiled pass, whose `λ` is known only when it runs: `∂W`
/// then takes the penalised kernel, which also serves `None`); the tape's rule passes
/// none (its penalty is a node of its own), and its `∂W` takes the plain kernel.
///
/// Always inlined: each caller passes constant slots (the tape's rule one slot per call),
/// so each copy keeps only its kernels (each called through `with_write_flag`). Out of
/// line, the kernels' column sums were copied through memory (the 64×320 window's
/// gradient cost 35 % more).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn linear_backward<
    T: Real,
    const IN: usize,
    const OUT: usize,
    const B: usize,
    const PENALISED: bool,
>(
    w: &[T],
    x: &[T],
    up: &[T],
    gw: Slot<'_, T>,
    gb: Slot<'_, T>,
    gx: Slot<'_, T>,
    penalty: Option<(T, &[T])>,
) {
    if let Some((gb, fresh)) = gb {
        add_bias_backward_b::<T, OUT>(up, gb, fresh);
    }
    if let Some((gw, fresh)) = gw {
        with_write_flag(fresh, |write| {
            if PENALISED {
                matmul_backward_a_penalized::<T, OUT, IN, B>(x, up, gw, write, penalty)
            } else {
                matmul_backward_a::<T, OUT, IN, B>(x, up, gw, write)
            }
        });
    }
    if let Some((gx, fresh)) = gx {
        with_write_flag(fresh, |write| {
            matmul_backward_b::<T, OUT, IN, B>(w, up, gx, write)
        });
    }
}

fn linear_op_forward<T: Real, const IN: usize, const OUT: usize, const B: usize>(
    w: &[T],
    x: &[T],
    b: &[T],
    _: [T; 2],
    y: &mut [T],
) {
    linear_forward::<T, IN, OUT, B>(w, x, b, y);
}

/// The tape's rule: inputs `W`, `X`, `b`. Without a penalty (on the tape it is a node
/// of its own).
fn linear_op_backward<T: Real, const IN: usize, const OUT: usize, const B: usize>(
    s: &mut Backward<'_, T>,
) {
    let (w, x, up) = (s.input(0), s.input(1), s.upstream());
    // One slot at a time (each borrows the context mutably): `∂b`, `∂W`, `∂X`.
    if let Some(gb) = s.grad_fresh(2) {
        linear_backward::<T, IN, OUT, B, false>(w, x, up, None, Some(gb), None, None);
    }
    if let Some(gw) = s.grad_fresh(0) {
        linear_backward::<T, IN, OUT, B, false>(w, x, up, Some(gw), None, None, None);
    }
    if let Some(gx) = s.grad_fresh(1) {
        linear_backward::<T, IN, OUT, B, false>(w, x, up, None, None, Some(gx), None);
    }
}

// The compiled path (`Backprop`): the tape's product and bias kernels, in the tape's
// order.

impl<T: Real, const IN: usize, const OUT: usize> Zeroed for Linear<T, IN, OUT> {
    const ZERO: Self = Linear {
        weight: SMatrix::ZERO,
        bias: SMatrix::ZERO,
    };
}

/// The gradients of a `Linear` are a `Linear`: `∂W` in `weight`, `∂b` in `bias`.
impl<T: Real, const IN: usize, const OUT: usize> ParamGrads<T> for Linear<T, IN, OUT> {
    type Grads = Linear<T, IN, OUT>;

    fn visit_grads<V: Visitor<T>>(&mut self, g: &Self::Grads, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.weight, (&g.weight).into())?;
        v.visit(&mut self.bias, (&g.bias).into())
    }

    /// `(λ·½)·‖W‖²`, as the tape's `norm_squared` then `scale`.
    fn penalty_value(&self, lambda: T) -> Option<T> {
        let k = lambda * T::constant(0.5);
        Some(k * norm_squared_forward(self.weight.as_slice()))
    }
}

/// `Y = W·X + b𝟙ᵀ` (the tape's product, then its bias addition), no cache: the backward
/// pass needs only the input. Backward, in the tape's order: `∂b = Σ_c Ḡ[:, c]`,
/// `∂W = Ḡ·Xᵀ` (then `+ λW` in the same loop, under a penalty), `∂X = Wᵀ·Ḡ`.
impl<T: Real, const IN: usize, const OUT: usize, const B: usize> Backprop<T, Mat<IN, B>>
    for Linear<T, IN, OUT>
{
    type Cache = ();

    #[inline]
    fn forward_cached(&self, x: &SMatrix<T, IN, B>, _: &mut (), y: &mut SMatrix<T, OUT, B>) {
        linear_forward::<T, IN, OUT, B>(
            self.weight.as_slice(),
            x.as_slice(),
            self.bias.as_slice(),
            y.as_mut_slice(),
        );
    }

    #[inline]
    fn backward(
        &self,
        x: &SMatrix<T, IN, B>,
        _: &SMatrix<T, OUT, B>,
        _: &mut (),
        up: &SMatrix<T, OUT, B>,
        grads: &mut Self,
        dx: Option<&mut SMatrix<T, IN, B>>,
        penalty: Option<T>,
    ) {
        // The tape's `scale` node passes `u = (λ·½)·1` down to `norm_squared`, whose rule
        // adds `(u + u)·W`.
        let w = self.weight.as_slice();
        let penalty = penalty.map(|lambda| {
            let u = lambda * T::constant(0.5) * T::one();
            (u + u, w)
        });
        linear_backward::<T, IN, OUT, B, true>(
            w,
            x.as_slice(),
            up.as_slice(),
            Some((grads.weight.as_mut_slice(), true)),
            Some((grads.bias.as_mut_slice(), true)),
            dx.map(|dx| (dx.as_mut_slice(), true)),
            penalty,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, close, mat};
    use crate::Tape;

    #[test]
    fn gradients_match_central_differences() {
        let (w0, b0, x0) = (mat::<3, 4>(1), mat::<3, 1>(2), mat::<4, 5>(3));
        let weights = mat::<3, 5>(4);
        // with respect to W, to b and to the input batch
        check(w0, |g, w| {
            let l = LinearVars {
                weight: w,
                bias: g.constant_value(b0),
            };
            l.forward(g.constant_value(x0))
                .tanh()
                .dot(g.constant_value(weights))
        });
        check(b0, |g, b| {
            let l = LinearVars {
                weight: g.constant_value(w0),
                bias: b,
            };
            l.forward(g.constant_value(x0))
                .tanh()
                .dot(g.constant_value(weights))
        });
        check(x0, |g, x| {
            let l = LinearVars {
                weight: g.constant_value(w0),
                bias: g.constant_value(b0),
            };
            l.forward(x).tanh().dot(g.constant_value(weights))
        });
    }

    #[test]
    fn one_variable_in_several_slots_of_the_node_sums_its_gradients() {
        // The `linear` node's rule takes one input's slot at a time: where one variable
        // is the weight and the input (a square `W·W + b`), or all three (`w·w + w`),
        // its contributions must add up, not overwrite each other.
        let (w0, b0) = (mat::<3, 3>(5), mat::<3, 1>(6));
        let weights = mat::<3, 3>(7);
        check(w0, |g, w| {
            let l = LinearVars {
                weight: w,
                bias: g.constant_value(b0),
            };
            l.forward(w).tanh().dot(g.constant_value(weights))
        });
        let s0 = mat::<1, 1>(8);
        check(s0, |_, s| {
            LinearVars { weight: s, bias: s }.forward(s).tanh()
        });
        // And the value: `w·w + w`.
        let mut tape: Tape<f64, 16, 4> = Tape::new();
        let g = tape.graph();
        let s = g.param(&s0);
        let y = LinearVars { weight: s, bias: s }.forward(s);
        assert_eq!(y.scalar(), s0[0] * s0[0] + s0[0]);
        let grads = y.backward().unwrap();
        // In the rule's order: `∂b` (1), then `∂W` (`x·ḡ`), then `∂X` (`W·ḡ`).
        assert_eq!(grads.wrt(s).unwrap()[0], (1.0 + s0[0]) + s0[0]);
    }

    #[test]
    fn tape_forward_equals_eval_and_memory_is_as_stated() {
        let layer = Linear::<f64, 4, 3> {
            weight: mat(1),
            bias: mat(2),
        };
        let x0 = mat::<4, 5>(3);
        let mut tape: Tape<f64, 256, 16> = Tape::new();
        let g = tape.graph();
        let x = g.constant(&x0);
        let y = layer.bind(&g).forward(x).value();
        let used = g.used();
        let direct = Layer::<f64, Mat<4, 5>>::eval(&layer, &x0);
        assert!(y
            .iter()
            .zip(direct.iter())
            .all(|(a, b)| close(*a, *b, 1e-15)));
        type L = Linear<f64, 4, 3>;
        let need = <L as Module<f64>>::BIND.plus(<L as Layer<f64, Mat<4, 5>>>::FORWARD);
        assert_eq!(used.scalars, need.scalars);
        assert_eq!(used.nodes, 1 + need.nodes);
    }
}
