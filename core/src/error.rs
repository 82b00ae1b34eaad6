//! The one error type of stackgrad.

use core::fmt;

/// Which fixed-size resource of a [`Tape`](crate::Tape) ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The scalar pool (`SCALARS`): values of computed nodes and gradients of tracked ones.
    Scalars,
    /// The node table (`NODES`): one entry per leaf and per matrix operation.
    Nodes,
}

/// Everything that can go wrong in stackgrad. No function of the crate panics; each
/// failure is one of these values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An operation did not fit in the tape. The tape is poisoned: no gradient is
    /// computed from the partial graph until the tape is reset (a new
    /// [`Tape::graph`](crate::Tape::graph) resets it).
    Capacity {
        /// How many scalars (or nodes) the tape would have needed for the operation.
        needed: usize,
        /// How many it has.
        capacity: usize,
        /// Which resource ran out.
        resource: Resource,
    },
    /// An operation was recorded while the graph's gradients were borrowed (a live
    /// [`Grads`](crate::Grads)), or a variable of another graph was used. The graph is
    /// poisoned.
    Busy,
    /// A [`VarId`](crate::VarId) was looked up after its graph was replaced, or before
    /// `backward` ran on it.
    Stale,
    /// A slice passed to a fixed-size routine has the wrong length.
    LengthMismatch {
        /// The length the routine needs.
        expected: usize,
        /// The length it was given.
        found: usize,
    },
    /// A gradient (or another input that must be finite) holds NaN or ±∞. Nothing was
    /// changed.
    NonFinite,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Capacity {
                needed,
                capacity,
                resource,
            } => {
                let what = match resource {
                    Resource::Scalars => "scalars",
                    Resource::Nodes => "nodes",
                };
                write!(
                    f,
                    "tape capacity exceeded: needed {needed} {what}, capacity is {capacity}; \
                     the tape refuses to differentiate until it is reset"
                )
            }
            Error::Busy => f.write_str(
                "an operation was recorded while gradients were borrowed, or mixed variables \
                 of two graphs",
            ),
            Error::Stale => {
                f.write_str("gradient id does not belong to the tape's last backward pass")
            }
            Error::LengthMismatch { expected, found } => {
                write!(f, "length mismatch: expected {expected}, found {found}")
            }
            Error::NonFinite => {
                f.write_str("non-finite value (NaN or infinity); nothing was changed")
            }
        }
    }
}

impl core::error::Error for Error {}
