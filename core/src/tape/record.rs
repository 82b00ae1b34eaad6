//! The interface variables record through: what an operation asks the graph to append
//! ([`Spec`]), where it landed ([`Handle`]), and the graph as variables see it
//! ([`Record`], with the tape's capacities erased).

use core::cell::Ref;

use super::node::{Node, Op, NONE, NONE_OFFSET};
use crate::Error;

/// What an operation asks the graph to append.
pub(crate) struct Spec<T: 'static> {
    /// The node as it will be stored, but for its value and gradient offsets (the tape
    /// fills them in).
    pub(crate) node: Node<T>,
    /// Whether any input depends on a parameter (the variables know it).
    pub(crate) tracked: bool,
    /// Whether `forward` is the op's own forward function, so that a replay may run it
    /// again (`false` for a value a caller's closure computed).
    pub(crate) replayable: bool,
}

impl<T: 'static> Spec<T> {
    /// An operation's node: `op` on `inputs` ([`NONE`] where it has fewer), with an
    /// output of `len` scalars in `rows` rows.
    #[inline(always)]
    pub(crate) fn new(
        op: &'static Op<T>,
        inputs: [u16; 3],
        len: usize,
        rows: usize,
        attr: [T; 2],
        tracked: bool,
        replayable: bool,
    ) -> Self {
        Spec {
            node: Node {
                op: Some(op),
                inputs,
                value: NONE_OFFSET,
                grad: NONE_OFFSET,
                len: len as u32,
                rows: rows as u32,
                attr,
            },
            tracked,
            replayable,
        }
    }
}

/// An operation's forward computation: `(input0, input1, out)`.
pub(crate) type Forward<'f, T> = &'f mut dyn FnMut(&[T], &[T], &mut [T]);

/// Where a new node landed.
#[derive(Clone, Copy)]
pub(crate) struct Handle {
    pub(crate) node: u16,
    pub(crate) grad: u32,
}

/// The gradient offset of an invalid variable that would have been tracked: it keeps the
/// need count exact after a failure. Never a valid offset (pools are below `u32::MAX`).
pub(crate) const TRACKED_INVALID: u32 = u32::MAX - 1;

impl Handle {
    /// The handle of a failed operation.
    pub(crate) fn invalid(tracked: bool) -> Handle {
        Handle {
            node: NONE,
            grad: if tracked {
                TRACKED_INVALID
            } else {
                NONE_OFFSET
            },
        }
    }
}

/// The graph as variables see it, with the tape's capacities erased.
pub(crate) trait Record<T> {
    /// Appends a node whose value `forward(input0, input1, out)` computes, or, without
    /// `forward`, the operation's own forward function.
    fn push(&self, spec: Spec<T>, forward: Option<Forward<'_, T>>) -> Handle;
    /// Counts an operation on an invalid variable: nothing is stored, the need grows.
    fn count(&self, len: usize, tracked: bool);
    /// The address of the matrix a leaf node borrowed, or 0.
    fn source(&self, node: u16) -> usize;
    /// Copies a node's value into `out`; `false` if the node is invalid.
    fn read(&self, node: u16, out: &mut [T]) -> bool;
    /// The value of a node of one scalar; `None` if the node is invalid.
    fn read_scalar(&self, node: u16) -> Option<T>;
    /// Runs the reverse sweep from `root` and lends out the gradient region.
    fn backward(&self, root: u16) -> Result<Ref<'_, [T]>, Error>;
    /// Records a failure.
    fn fail(&self, e: Error);
    /// The tape's `(serial, generation)`, which stamps ids.
    fn stamp(&self) -> (u64, u32);
}
