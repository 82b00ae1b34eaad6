//! The error type of stackgrad's core: one meaning per variant, and a message that says
//! what to do.

use core::fmt;

use crate::Usage;

/// Everything that can go wrong in stackgrad. No function of the crate panics; each
/// failure is one of these values, and each variant has exactly one meaning.
///
/// ```
/// use stackgrad::nalgebra::Vector3;
/// use stackgrad::{Error, Tape, Usage};
///
/// let x0 = Vector3::new(1.0, 2.0, 3.0);
/// let mut tape: Tape<f64, 4, 2> = Tape::new(); // too small
/// let g = tape.graph();
/// let x = g.param(&x0);
/// let result = x.exp().sum().backward(); // bound first: see the README on `match` tails
/// match result {
///     // The whole graph's need, counted on after the overflow: size the tape with it.
///     Err(Error::Capacity { needed, capacity }) => {
///         assert_eq!(needed, Usage { scalars: 3 + 6 + 2, nodes: 3 });
///         assert_eq!(capacity, Usage { scalars: 4, nodes: 2 });
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The graph did not fit in the tape. The graph is poisoned: no gradient is computed
    /// from a partial graph. Recording goes on counting after the overflow (without
    /// storing anything), so `needed` is what the *whole* graph needs, in scalars and
    /// nodes, as far as it was recorded: size the tape with it in one try.
    Capacity {
        /// What the graph needs.
        needed: Usage,
        /// What the tape has (`SCALARS`, `NODES`).
        capacity: Usage,
    },
    /// An operation was recorded while the gradients of a backward pass were borrowed
    /// (a live [`Grads`](crate::Grads)). The graph is poisoned.
    GradsBorrowed,
    /// A variable or id was used with a graph or tape it does not belong to: an
    /// operation on variables of two graphs (the graph is poisoned), or a gradient read
    /// with a variable or [`VarId`](crate::VarId) of another graph or tape.
    Foreign,
    /// A [`VarId`](crate::VarId) of an older graph of this tape: the tape has recorded a
    /// new graph since, and the gradient is gone.
    Stale,
    /// The gradient was asked for before a backward pass ran on the graph, or for a
    /// variable recorded after it.
    NoBackward,
    /// The variable has no gradient: it is a constant, or computed from constants only.
    Untracked,
    /// A slice passed to a fixed-size routine has the wrong length.
    LengthMismatch {
        /// The length the routine needs.
        expected: usize,
        /// The length it was given.
        found: usize,
    },
    /// A gradient, a parameter or a hyper-parameter that must be finite holds NaN or ±∞.
    /// Nothing was changed.
    NonFinite,
    /// An internal invariant of the tape did not hold (a bug in stackgrad: please report
    /// it). The graph is poisoned; nothing is computed from it.
    Internal,
    /// An id was paired with a parameter other than the matrix its variable borrowed:
    /// the ids of another model (of the same type, bound on the same graph), or a model
    /// moved since it was bound. Nothing was changed.
    ParamMismatch,
    /// A hyper-parameter is outside the domain of its update rule (NaN, ±∞, a negative
    /// learning rate, `β ≥ 1`, `ε ≤ 0`, ...). Nothing was changed.
    HyperParameter {
        /// Which one, as its builder method is named (`"lr"`, `"beta1"`, `"eps"`, ...).
        name: &'static str,
    },
    /// The step would have written a parameter or an optimizer state of `±∞` (its update
    /// overflows the float type: a learning rate or gradient far too large). Nothing was
    /// changed.
    Overflow,
    /// This process has created more tapes than ids can tell apart (2³² on a target
    /// without 64-bit atomics; never with them). Reuse a tape with a new graph instead
    /// of creating one per request.
    Exhausted,
    /// An operation without a forward function (its [`Op`](crate::ops::Op) made with
    /// `Op::new`) was asked to compute its value: given to
    /// [`Var::apply_unary`](crate::Var::apply_unary) or `apply_binary`, or recorded with
    /// [`Var::custom_unary`](crate::Var::custom_unary) in a graph then
    /// [replayed](crate::Tape::replay). The graph is poisoned.
    NoForward,
    /// [`Tape::replay`](crate::Tape::replay) on a tape whose last graph cannot be
    /// replayed: nothing was recorded, the recording failed, or no backward pass ran on
    /// it (the pass names the output to replay).
    NotRecorded,
    /// A replaying graph was given what its recording did not have: a leaf of another
    /// shape or kind (a parameter for a constant, a borrowed matrix for a copied value,
    /// or the reverse), more leaves, an operation to record, an output of another shape;
    /// or a leaf was not bound again before [`Graph::replayed`](crate::Graph::replayed)
    /// (every leaf is, in the recorded order); or `replayed` on a graph that records.
    /// The graph is poisoned.
    Unbound,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Capacity { needed, capacity } => write!(
                f,
                "tape capacity exceeded: the graph needs {} scalars and {} nodes, the tape \
                 has {} and {}; make the tape at least `Tape<_, {}, {}>` (nothing is \
                 differentiated until a new graph starts)",
                needed.scalars,
                needed.nodes,
                capacity.scalars,
                capacity.nodes,
                needed.scalars.max(capacity.scalars),
                needed.nodes.max(capacity.nodes)
            ),
            Error::GradsBorrowed => f.write_str(
                "an operation was recorded while the gradients of `backward` were borrowed: \
                 drop the `Grads` (or finish reading them) before recording more",
            ),
            Error::Foreign => f.write_str(
                "a variable or id was used with a graph or tape it does not belong to: read \
                 each gradient from the tape (or `Grads`) of the graph that recorded it",
            ),
            Error::Stale => f.write_str(
                "the id is from an older graph of this tape, whose gradients are gone: take \
                 ids (`Var::id`, `Module::ids`) from the graph that ran `backward` last",
            ),
            Error::NoBackward => f.write_str(
                "no backward pass has computed this gradient: call `backward()` on the \
                 loss first (a variable recorded after it has no gradient either)",
            ),
            Error::Untracked => f.write_str(
                "the variable has no gradient: it was recorded with `Graph::constant` (or \
                 computed from constants only); record it with `Graph::param` to get one",
            ),
            Error::LengthMismatch { expected, found } => write!(
                f,
                "length mismatch: expected {expected} scalars, found {found} (an optimizer \
                 holds state for exactly `P` scalars: size it with the model's \
                 `Module::PARAMS`)"
            ),
            Error::NonFinite => f.write_str(
                "a gradient, parameter or optimizer state is NaN or infinite; nothing was \
                 changed (look for a division by zero or an exploding loss; \
                 `optim::clip_grad_norm` bounds large gradients)",
            ),
            Error::Internal => f.write_str(
                "internal invariant violated: a bug in stackgrad, please report it with the \
                 program that triggered it",
            ),
            Error::ParamMismatch => f.write_str(
                "an id was paired with a parameter it was not bound from (the ids of another \
                 model, or a model moved since `bind`): step the model whose `bind` made the \
                 ids",
            ),
            Error::HyperParameter { name } => write!(
                f,
                "the hyper-parameter `{name}` is outside its rule's domain (NaN, infinite, \
                 negative, a β of 1 or more, or an ε of 0); nothing was changed: see the \
                 optimizer's docs for the allowed range"
            ),
            Error::Overflow => f.write_str(
                "the step would overflow a parameter or optimizer state to infinity; nothing \
                 was changed: lower the learning rate or clip the gradients \
                 (`optim::clip_grad_norm`)",
            ),
            Error::Exhausted => f.write_str(
                "no tape ids are left in this process (2^32 tapes created on a target \
                 without 64-bit atomics): reuse tapes (`Tape::graph` starts a new graph) \
                 instead of creating one per request",
            ),
            Error::NoForward => f.write_str(
                "an operation without a forward function was asked for its value (given to \
                 `apply_unary`/`apply_binary`, or replayed): make its `Op` with \
                 `Op::with_forward`, or record the graph anew instead of replaying it",
            ),
            Error::NotRecorded => f.write_str(
                "nothing to replay: record the graph on this tape and run its backward pass \
                 once (`Tape::graph`, then `backward()` on the output), then `Tape::replay`",
            ),
            Error::Unbound => f.write_str(
                "a replay was given what its recording did not have: bind the same leaves \
                 (`Module::bind`, `Graph::param`, `Graph::constant`, `Graph::constant_value`) \
                 in the order they were recorded, record no operation, and ask \
                 `Graph::replayed` for the output's shape",
            ),
        }
    }
}

/// The variant as `derive(Debug)` writes it, then the message: what `main() -> Result`
/// prints on an error is then something to act on (`Untracked: the variable has no
/// gradient: ... record it with Graph::param ...`), not a bare variant name.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Capacity { needed, capacity } => f
                .debug_struct("Capacity")
                .field("needed", &needed)
                .field("capacity", &capacity)
                .finish()?,
            Error::LengthMismatch { expected, found } => f
                .debug_struct("LengthMismatch")
                .field("expected", &expected)
                .field("found", &found)
                .finish()?,
            Error::HyperParameter { name } => f
                .debug_struct("HyperParameter")
                .field("name", &name)
                .finish()?,
            Error::GradsBorrowed => f.write_str("GradsBorrowed")?,
            Error::Foreign => f.write_str("Foreign")?,
            Error::Stale => f.write_str("Stale")?,
            Error::NoBackward => f.write_str("NoBackward")?,
            Error::Untracked => f.write_str("Untracked")?,
            Error::NonFinite => f.write_str("NonFinite")?,
            Error::Internal => f.write_str("Internal")?,
            Error::ParamMismatch => f.write_str("ParamMismatch")?,
            Error::Overflow => f.write_str("Overflow")?,
            Error::Exhausted => f.write_str("Exhausted")?,
            Error::NoForward => f.write_str("NoForward")?,
            Error::NotRecorded => f.write_str("NotRecorded")?,
            Error::Unbound => f.write_str("Unbound")?,
        }
        write!(f, ": {self}")
    }
}

impl core::error::Error for Error {}
