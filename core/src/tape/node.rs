//! What the tape stores per node, and what a backward rule sees of the tape.
//!
//! The tape is operation-agnostic: every node carries a pointer to its operation's
//! [`Op`] (its name and its backward rule, a vector-Jacobian product monomorphised for
//! the node's shapes), and the tape calls the rule in reverse order with a [`Backward`]
//! context. This file depends on nothing else of the recorder.

use nalgebra::SMatrixView;

use crate::Real;

/// "No node" in an input slot.
pub(crate) const NONE: u16 = u16::MAX;

/// "No offset": the value slot of a borrowed leaf, the gradient slot of an untracked node.
pub(crate) const NONE_OFFSET: u32 = u32::MAX;

/// An operation as the tape records it: a name (for pictures of the graph, [`crate::tape::dot`]),
/// its forward function (how its value is computed from its inputs, if the tape may
/// compute it again: [`Tape::replay`](crate::Tape::replay)) and its backward rule. One
/// `static` per operation and shape, made by the compiler: a node stores only a pointer
/// to it.
///
/// ```
/// use stackgrad::ops::{Backward, Op};
/// fn twice_backward(b: &mut Backward<'_, f32>) {
///     let up = b.upstream();
///     b.accumulate(0, up.iter().map(|&u| 2.0 * u));
/// }
/// static TWICE: Op<f32> = Op::new("twice", twice_backward);
/// assert_eq!(TWICE.name(), "twice");
/// ```
pub struct Op<T: 'static> {
    name: &'static str,
    forward: Option<Compute<T>>,
    backward: BackwardFn<T>,
}

/// How an operation computes its value: from up to two inputs (every public operation,
/// [`ForwardFn`]) or from three (a fused layer of the crate, [`Forward3Fn`]).
pub(crate) enum Compute<T: 'static> {
    Two(ForwardFn<T>),
    Three(Forward3Fn<T>),
}

// By hand: a derive would ask `T: Copy`, and function pointers are `Copy` for any `T`.
impl<T> Clone for Compute<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Compute<T> {}

/// The forward function of an operation of three inputs (the crate's fused layers, as
/// [`nn::Linear`](crate::nn::Linear)'s `W·X + b`): as [`ForwardFn`], with a third input.
pub(crate) type Forward3Fn<T> =
    fn(input0: &[T], input1: &[T], input2: &[T], attr: [T; 2], out: &mut [T]);

impl<T: 'static> Op<T> {
    /// An operation called `name` whose backward rule is `backward`, and whose value
    /// the caller computes when recording it ([`Var::custom_unary`](crate::Var::custom_unary)):
    /// a graph holding it can be differentiated but not replayed. A `const fn`: use it
    /// in a `static`, or as `&const { Op::new(..) }` inside a generic function.
    pub const fn new(name: &'static str, backward: BackwardFn<T>) -> Self {
        Op {
            name,
            forward: None,
            backward,
        }
    }

    /// An operation whose value `forward` computes from its inputs and attributes, as
    /// the crate's own operations are made: recorded with
    /// [`Var::apply_unary`](crate::Var::apply_unary) or
    /// [`Var::apply_binary`](crate::Var::apply_binary), it can also be replayed
    /// ([`Tape::replay`](crate::Tape::replay)), by the same function.
    pub const fn with_forward(
        name: &'static str,
        forward: ForwardFn<T>,
        backward: BackwardFn<T>,
    ) -> Self {
        Op {
            name,
            forward: Some(Compute::Two(forward)),
            backward,
        }
    }

    /// An operation of three inputs, for the crate's fused layers: recorded with
    /// `Var::apply_ternary`, replayable as any other.
    pub(crate) const fn with_forward3(
        name: &'static str,
        forward: Forward3Fn<T>,
        backward: BackwardFn<T>,
    ) -> Self {
        Op {
            name,
            forward: Some(Compute::Three(forward)),
            backward,
        }
    }

    /// The forward function, if the operation has one.
    pub(crate) fn forward(&self) -> Option<Compute<T>> {
        self.forward
    }

    /// The operation's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the backward rule.
    pub(crate) fn run(&self, b: &mut Backward<'_, T>) {
        (self.backward)(b)
    }
}

/// `op!("name", forward, backward)`: a `&'static Op` for an operation, inside a generic
/// function.
macro_rules! op {
    ($name:expr, $forward:expr, $backward:expr) => {
        &const { $crate::ops::Op::with_forward($name, $forward, $backward) }
    };
    ($name:expr, $backward:expr) => {
        &const { $crate::ops::Op::new($name, $backward) }
    };
}
pub(crate) use op;

/// A forward function: writes an operation's value into `out` from its inputs (`input0`,
/// `input1`; empty for an input the operation does not have) and its two scalar
/// attributes (`attr[0]` is the one [`Backward::attr`] reads back; unused ones are 0).
/// All column-major slices of the shapes the operation was recorded with.
///
/// Public as [`ops::ForwardFn`](crate::ops::ForwardFn), for custom operations.
pub type ForwardFn<T> = fn(input0: &[T], input1: &[T], attr: [T; 2], out: &mut [T]);

/// A backward rule: reads the node's upstream gradient and adds each input's downstream
/// gradient (upstream × local) into that input's gradient.
///
/// Public as [`ops::BackwardFn`](crate::ops::BackwardFn), for custom operations.
pub type BackwardFn<T> = fn(&mut Backward<'_, T>);

/// One node of the graph.
#[derive(Clone, Copy)]
pub(crate) struct Node<T: 'static> {
    /// The operation; `None` for a leaf.
    pub(crate) op: Option<&'static Op<T>>,
    /// Inputs 0, 1 and 2 ([`NONE`] where the operation has fewer).
    pub(crate) inputs: [u16; 3],
    /// Offset of the value in the pool, or `NONE_OFFSET` for a borrowed leaf.
    pub(crate) value: u32,
    /// Offset of the gradient in the pool, or `NONE_OFFSET` if the node is not tracked.
    pub(crate) grad: u32,
    /// Number of scalars (`R·C`).
    pub(crate) len: u32,
    /// Rows (`R`), for pictures of the graph.
    pub(crate) rows: u32,
    /// The operation's scalar attributes (a slope, a scale, bounds), 0 where unused.
    pub(crate) attr: [T; 2],
}

impl<T: Real> Node<T> {
    /// An unused slot. Every byte is zero, so a `static` tape lands in `.bss`; the
    /// contents are never read (only the first `len` nodes of a tape are).
    pub(crate) const EMPTY: Node<T> = Node {
        op: None,
        inputs: [0, 0, 0],
        value: 0,
        grad: 0,
        len: 0,
        rows: 0,
        attr: [T::ZERO; 2],
    };
}

/// A backward rule's window on the tape, for one node: public as
/// [`ops::Backward`](crate::ops::Backward), the context a custom operation's backward
/// rule receives ([`Var::custom_unary`](crate::Var::custom_unary)).
///
/// Values and gradients are column-major slices of the shapes the operation was
/// recorded with: input `k` (0 or 1; 2 for the crate's fused layers), the operation's
/// output, and the upstream gradient `Ḡ = ∂loss/∂output`. The rule *adds*
/// `Ḡ × local gradient` into each tracked input's gradient
/// ([`Backward::grad`](Backward::grad) or [`Backward::accumulate`](Backward::accumulate)),
/// so gradients sum where a value fans out.
pub struct Backward<'s, T: 'static> {
    pub(crate) node: &'s Node<T>,
    /// The node's own index.
    pub(crate) index: u16,
    /// The node's upstream gradient, `∂loss/∂out`.
    pub(crate) up: &'s [T],
    /// The gradients of every earlier node (inputs always come earlier).
    pub(crate) lower: &'s mut [T],
    /// Whether each earlier node's gradient has been written in this pass.
    pub(crate) written: &'s mut [bool],
    /// What is the same for every node of the pass: one pointer, so that the sweep
    /// writes less per node.
    pub(crate) graph: &'s Recorded<'s, T>,
}

/// The recorded graph as a backward pass reads it: its nodes, and where their values
/// live (looked up only when a rule asks for one).
pub(crate) struct Recorded<'s, T: 'static> {
    pub(crate) nodes: &'s [Node<T>],
    pub(crate) values: Values<'s, T>,
}

/// Node values: borrowed leaves in `refs`, computed values in `pool`, which starts at
/// pool offset `base`.
#[derive(Clone, Copy)]
pub(crate) struct Values<'v, T> {
    pub(crate) refs: &'v [Option<&'v [T]>],
    pub(crate) pool: &'v [T],
    pub(crate) base: usize,
}

impl<'v, T> Values<'v, T> {
    /// The value of node `i` (empty if there is none).
    #[inline]
    pub(crate) fn get(&self, nodes: &[Node<T>], i: u16) -> &'v [T] {
        let i = i as usize;
        match nodes.get(i) {
            Some(n) if n.value != NONE_OFFSET => {
                let start = (n.value as usize).wrapping_sub(self.base);
                self.pool
                    .get(start..start.wrapping_add(n.len as usize))
                    .unwrap_or(&[])
            }
            _ => match self.refs.get(i) {
                Some(Some(r)) => r,
                _ => &[],
            },
        }
    }
}

impl<'s, T: Real> Backward<'s, T> {
    /// The value of input `k` (0 or 1; 2 for the crate's fused layers), column-major;
    /// empty for an input the operation does not have.
    #[inline]
    pub fn input(&self, k: usize) -> &'s [T] {
        match self.node.inputs.get(k) {
            Some(&i) => self.graph.values.get(self.graph.nodes, i),
            None => &[],
        }
    }

    /// The operation's output value, column-major.
    #[inline]
    pub fn output(&self) -> &'s [T] {
        self.out()
    }

    /// The upstream gradient `Ḡ = ∂loss/∂output`, column-major, in the output's shape.
    #[inline]
    pub fn upstream(&self) -> &'s [T] {
        self.up
    }

    /// The node's own value.
    #[inline]
    pub(crate) fn out(&self) -> &'s [T] {
        self.graph.values.get(self.graph.nodes, self.index)
    }

    /// The gradient accumulator of input `k` (zeroed on first use), or `None` if that
    /// input is not tracked. Backward rules add into it.
    #[inline]
    pub fn grad(&mut self, k: usize) -> Option<&mut [T]> {
        let (g, fresh) = self.grad_fresh(k)?;
        if fresh {
            g.fill(T::zero());
        }
        Some(g)
    }

    /// Like [`Backward::grad`], without zeroing: also returns `true` if this is the first
    /// write to the slot, in which case the rule must *overwrite* every entry (its
    /// content is stale) instead of adding to it. Used where overwriting saves a pass,
    /// as in the matrix product (`ger` with `β = 0`).
    #[inline]
    pub(crate) fn grad_fresh(&mut self, k: usize) -> Option<(&mut [T], bool)> {
        let i = *self.node.inputs.get(k)? as usize;
        let n = self.graph.nodes.get(i)?;
        if n.grad == NONE_OFFSET {
            return None;
        }
        let written = self.written.get_mut(i)?;
        let fresh = !*written;
        *written = true;
        let start = n.grad as usize;
        Some((self.lower.get_mut(start..start + n.len as usize)?, fresh))
    }

    /// Adds `values` into input `k`'s gradient, or writes them if this is the first
    /// contribution to it. Does nothing if the input is not tracked. `values` must yield
    /// one value per entry of the input (every element-wise rule does).
    #[inline]
    pub fn accumulate(&mut self, k: usize, values: impl Iterator<Item = T>) {
        if let Some((g, fresh)) = self.grad_fresh(k) {
            if fresh {
                for (g, v) in g.iter_mut().zip(values) {
                    *g = v;
                }
            } else {
                for (g, v) in g.iter_mut().zip(values) {
                    *g += v;
                }
            }
        }
    }

    /// The operation's scalar attribute (a slope, a scale), as given when it was recorded.
    #[inline]
    pub fn attr(&self) -> T {
        self.node.attr[0]
    }

    /// Both scalar attributes the operation was recorded with (the second is 0 unless
    /// it was recorded with two, as [`Var::apply_unary`](crate::Var::apply_unary) can).
    #[inline]
    pub fn attrs(&self) -> [T; 2] {
        self.node.attr
    }
}

/// A fixed-shape view of a column-major slice, or `None` if its length is not `R·C`.
#[inline]
pub(crate) fn view<T: Real, const R: usize, const C: usize>(
    s: &[T],
) -> Option<SMatrixView<'_, T, R, C>> {
    if s.len() == R * C {
        Some(SMatrixView::<T, R, C>::from_slice(s))
    } else {
        None
    }
}
