//! The one error type of stackgrad: one meaning per variant.

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Capacity { needed, capacity } => write!(
                f,
                "tape capacity exceeded: the graph needs {} scalars and {} nodes, the tape \
                 has {} and {}; nothing is differentiated until a new graph starts",
                needed.scalars, needed.nodes, capacity.scalars, capacity.nodes
            ),
            Error::GradsBorrowed => {
                f.write_str("an operation was recorded while the gradients were borrowed")
            }
            Error::Foreign => {
                f.write_str("a variable or id was used with a graph or tape it does not belong to")
            }
            Error::Stale => f.write_str("the id is from an older graph of this tape"),
            Error::NoBackward => {
                f.write_str("no backward pass has computed this variable's gradient")
            }
            Error::Untracked => {
                f.write_str("the variable is not tracked (a constant): it has no gradient")
            }
            Error::LengthMismatch { expected, found } => {
                write!(f, "length mismatch: expected {expected}, found {found}")
            }
            Error::NonFinite => {
                f.write_str("non-finite value (NaN or infinity); nothing was changed")
            }
            Error::Internal => f.write_str("internal invariant violated (a stackgrad bug)"),
        }
    }
}

impl core::error::Error for Error {}
