//! The fixed-capacity tape: storage for one computational graph at a time.
//!
//! The tape owns a pool of `SCALARS` scalars and a table of `NODES` nodes, all inline: it
//! can live on the stack, in a `static` cell, or in a struct. It knows nothing about
//! individual operations: a node is a backward function pointer plus the offsets of its
//! value and gradient in the pool. Recording happens through a [`Graph`], which borrows
//! the tape together with the caller's parameters; once the graph is gone, the gradients
//! stay readable in place ([`Tape::grad`]) while the parameters are free to be updated.
//!
//! # Memory
//!
//! `size_of::<Tape<T, S, N>>()` is about `S·size_of::<T>() + N·(size_of::<Node<T>>() + 1)`,
//! fixed at compile time. One recording uses:
//!
//! - per parameter: `R·C` scalars (its gradient; its value is *not* copied);
//! - per borrowed constant: nothing;
//! - per operation: `R·C` scalars for its value, plus `R·C` more if it depends on a
//!   parameter (its gradient);
//! - one node per leaf and per operation.
//!
//! [`Tape::used`] and [`Tape::high_water`] report what was actually used.

use nalgebra::SMatrixView;

use crate::graph::Graph;
use crate::node::{Node, NONE};
use crate::var::VarId;
use crate::{Error, Real};

/// How much of a tape is, or was, in use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Scalars of the pool in use.
    pub scalars: usize,
    /// Nodes in use.
    pub nodes: usize,
}

/// A fixed-capacity reverse-mode tape with `SCALARS` scalars and `NODES` nodes, all
/// stored inline (no heap).
///
/// ```
/// use stackgrad::nalgebra::{matrix, vector};
/// use stackgrad::Tape;
///
/// let w0 = matrix![1.0, 2.0; 3.0, 4.0];
/// let x0 = vector![1.0, -1.0];
/// let mut tape: Tape<f64, 64, 8> = Tape::new();
/// let g = tape.graph();
/// let w = g.param(&w0);
/// let x = g.constant(&x0);
/// let s = (w * x).tanh().sum();
/// let grads = s.backward()?;
/// let dw = grads.wrt(w); // 2×2, the shape of w
/// assert!((dw[(0, 0)] - (1.0 - (-1.0f64).tanh().powi(2))).abs() < 1e-12);
/// # Ok::<(), stackgrad::Error>(())
/// ```
pub struct Tape<T, const SCALARS: usize, const NODES: usize> {
    pub(crate) pool: [T; SCALARS],
    pub(crate) nodes: [Node<T>; NODES],
    /// During a backward pass: whether a node's gradient has been written yet. A node
    /// nobody wrote to has a zero gradient and its backward rule is skipped.
    pub(crate) written: [bool; NODES],
    /// Nodes in use.
    pub(crate) len: usize,
    /// Gradients occupy `pool[..gtop]`, growing up.
    pub(crate) gtop: usize,
    /// Values occupy `pool[vbot..]`, growing down.
    pub(crate) vbot: usize,
    pub(crate) high: Usage,
    /// Incremented by every new graph; stamps [`VarId`]s.
    pub(crate) generation: u32,
    /// After a backward pass on the current graph: the end of the gradients it computed
    /// (`pool[..top]`). Nodes recorded after it have slots above and no gradient yet.
    pub(crate) grads_top: Option<usize>,
    /// Set by the first failure of the current graph; cleared by `reset`.
    pub(crate) poison: Option<Error>,
}

impl<T: Real, const SCALARS: usize, const NODES: usize> Default for Tape<T, SCALARS, NODES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real, const SCALARS: usize, const NODES: usize> Tape<T, SCALARS, NODES> {
    /// An empty tape. Node indices are `u16`, so `NODES` must be below 65535; this is
    /// checked at compile time.
    pub fn new() -> Self {
        const {
            assert!(NODES < NONE as usize, "NODES must be below 65535");
            assert!(SCALARS < u32::MAX as usize, "SCALARS must fit in a u32");
        }
        Tape {
            pool: [T::zero(); SCALARS],
            nodes: [Node::empty(); NODES],
            written: [false; NODES],
            len: 0,
            gtop: 0,
            vbot: SCALARS,
            high: Usage::default(),
            generation: 0,
            grads_top: None,
            poison: None,
        }
    }

    /// Forgets the recorded graph (O(1)): usage drops to zero, a capacity error is
    /// cleared, gradients and [`VarId`]s of the old graph become stale. The high-water
    /// mark is kept.
    pub fn reset(&mut self) {
        // Usage only grows while a graph records, so its peak is its final usage.
        self.high = self.high_water();
        self.len = 0;
        self.gtop = 0;
        self.vbot = SCALARS;
        self.generation = self.generation.wrapping_add(1);
        self.grads_top = None;
        self.poison = None;
    }

    /// Resets the tape and starts recording a new graph over it. The graph borrows the
    /// tape mutably, and the parameters it is given, for as long as it or any of its
    /// variables lives.
    pub fn graph(&mut self) -> Graph<'_, T, SCALARS, NODES> {
        self.reset();
        Graph::new(self)
    }

    /// What the current graph uses.
    pub fn used(&self) -> Usage {
        Usage {
            scalars: self.gtop + (SCALARS - self.vbot),
            nodes: self.len,
        }
    }

    /// The most this tape has ever used, across resets: size a tape by running one step
    /// and reading this.
    pub fn high_water(&self) -> Usage {
        let used = self.used();
        Usage {
            scalars: self.high.scalars.max(used.scalars),
            nodes: self.high.nodes.max(used.nodes),
        }
    }

    /// The capacity, `SCALARS` and `NODES`.
    pub const fn capacity(&self) -> Usage {
        Usage {
            scalars: SCALARS,
            nodes: NODES,
        }
    }

    /// The error that poisoned the current graph, if any.
    pub fn error(&self) -> Option<Error> {
        self.poison
    }

    /// The gradient of the last backward pass with respect to the variable `id`
    /// (from [`Var::id`](crate::Var::id)), read in place after its graph is gone.
    ///
    /// # Errors
    ///
    /// [`Error::Stale`] if the id is from an older graph, if no backward pass has run on
    /// the current one, or if the variable is not tracked (a constant).
    pub fn grad<const R: usize, const C: usize>(
        &self,
        id: VarId<R, C>,
    ) -> Result<SMatrixView<'_, T, R, C>, Error> {
        let s = self.grad_slice(id)?;
        crate::node::view::<T, R, C>(s).ok_or(Error::Stale)
    }

    /// Like [`Tape::grad`], as a column-major slice of `R·C` scalars (what an
    /// [`Optimizer`](crate) step takes).
    pub fn grad_slice<const R: usize, const C: usize>(
        &self,
        id: VarId<R, C>,
    ) -> Result<&[T], Error> {
        let top = self.grads_top.ok_or(Error::Stale)?;
        if id.generation != self.generation || id.grad == NONE_OFFSET {
            return Err(Error::Stale);
        }
        let start = id.grad as usize;
        self.pool
            .get(start..start + R * C)
            .filter(|_| start + R * C <= top)
            .ok_or(Error::Stale)
    }

    /// Every gradient of the last backward pass, in the order the tracked nodes were
    /// recorded. Parameters registered before any operation come first, back to back:
    /// for a model that registers its `P` parameter scalars first, `grads()?[..P]` is
    /// the gradient of all of them in one slice, ready for an
    /// [`Optimizer`](crate::optim::Optimizer) step.
    ///
    /// # Errors
    ///
    /// [`Error::Stale`] if no backward pass has run on the current graph.
    pub fn grads(&self) -> Result<&[T], Error> {
        let top = self.grads_top.ok_or(Error::Stale)?;
        self.pool.get(..top).ok_or(Error::Stale)
    }

    /// Like [`Tape::grads`], mutable: to clip or rescale gradients in place
    /// ([`clip_grad_norm`](crate::optim::clip_grad_norm)) before a step.
    pub fn grads_mut(&mut self) -> Result<&mut [T], Error> {
        let top = self.grads_top.ok_or(Error::Stale)?;
        self.pool.get_mut(..top).ok_or(Error::Stale)
    }
}

pub(crate) const NONE_OFFSET: u32 = u32::MAX;
