//! Recording a computational graph on a tape.
//!
//! A [`Graph`] borrows a [`Tape`] and the caller's parameters. Variables
//! ([`Var`]) are handles into it; every operation on them appends one node. The graph
//! knows nothing about what the operations are: each hands it a forward closure and a
//! backward rule.

use core::cell::{Cell, Ref, RefCell};

use nalgebra::SMatrix;

use crate::node::{BackwardFn, Node, Sweep, Values, NONE};
use crate::tape::NONE_OFFSET;
use crate::var::{Var, VarId};
use crate::{Error, Real, Tape};

/// A graph being recorded on a tape. Created by [`Tape::graph`].
///
/// It borrows the tape mutably and every parameter and constant it is given, for the
/// lifetime `'a`. Parameters are *not* copied: the tape refers to the caller's matrices,
/// and only their gradients take room in the tape. When the graph (and its variables) are
/// gone, the caller may update the parameters in place from [`Tape::grad`].
pub struct Graph<'a, T, const SCALARS: usize, const NODES: usize> {
    inner: RefCell<Inner<'a, T, SCALARS, NODES>>,
    /// A failure seen while the tape could not be reached (never expected: kept so that
    /// no failure is ever dropped).
    poison: Cell<Option<Error>>,
    /// The tape's `(serial, generation)`, fixed for the graph's life (the graph borrows
    /// the tape mutably, so nothing else can start a new graph on it): read without a
    /// borrow of the tape by every [`Var::id`].
    stamp: (u32, u32),
}

impl<T, const SCALARS: usize, const NODES: usize> core::fmt::Debug
    for Graph<'_, T, SCALARS, NODES>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.inner.try_borrow() {
            Ok(i) => f.debug_struct("Graph").field("tape", &*i.tape).finish(),
            Err(_) => f.write_str("Graph { .. }"),
        }
    }
}

struct Inner<'a, T, const SCALARS: usize, const NODES: usize> {
    tape: &'a mut Tape<T, SCALARS, NODES>,
    /// Values of borrowed leaves (parameters and constants), by node index.
    refs: [Option<&'a [T]>; NODES],
}

/// What an operation asks the graph to append.
pub(crate) struct Spec<T> {
    pub(crate) inputs: [u16; 2],
    /// Whether any input depends on a parameter (the variables know it).
    pub(crate) tracked: bool,
    pub(crate) len: usize,
    pub(crate) backward: BackwardFn<T>,
    pub(crate) attr: T,
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
    /// Appends a node whose value `forward(input0, input1, out)` computes.
    fn push(&self, spec: Spec<T>, forward: Forward<'_, T>) -> Handle;
    /// Counts an operation on an invalid variable: nothing is stored, the need grows.
    fn count(&self, len: usize, tracked: bool);
    /// Copies a node's value into `out`; `false` if the node is invalid.
    fn read(&self, node: u16, out: &mut [T]) -> bool;
    /// Runs the reverse sweep from `root` and lends out the gradient region.
    fn backward(&self, root: u16) -> Result<Ref<'_, [T]>, Error>;
    /// Records a failure.
    fn fail(&self, e: Error);
    /// The tape's `(serial, generation)`, which stamps ids.
    fn stamp(&self) -> (u32, u32);
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Graph<'a, T, SCALARS, NODES> {
    pub(crate) fn new(tape: &'a mut Tape<T, SCALARS, NODES>) -> Self {
        let stamp = tape.stamp();
        Graph {
            stamp,
            inner: RefCell::new(Inner {
                tape,
                refs: [None; NODES],
            }),
            poison: Cell::new(None),
        }
    }

    /// A tracked leaf: the tape refers to `m` (no copy) and computes `∂/∂m`.
    ///
    /// ```
    /// # use stackgrad::{nalgebra::Vector2, Tape};
    /// let p = Vector2::new(3.0, 4.0);
    /// let mut tape: Tape<f64, 16, 4> = Tape::new();
    /// let g = tape.graph();
    /// let v = g.param(&p);
    /// let grads = v.norm_squared().backward()?;
    /// assert_eq!(grads.wrt(v)?, 2.0 * p); // ∂‖p‖²/∂p = 2p
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    pub fn param<const R: usize, const C: usize>(
        &self,
        m: &'a SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.leaf(Some(m.as_slice()), None, true)
    }

    /// An untracked leaf borrowed from the caller (no copy); it has no gradient
    /// ([`Error::Untracked`]), and nothing downstream of constants alone takes gradient
    /// memory.
    pub fn constant<const R: usize, const C: usize>(
        &self,
        m: &'a SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.leaf(Some(m.as_slice()), None, false)
    }

    /// An untracked leaf holding a copy of `m` in the tape: for values computed on the
    /// fly that have no owner to borrow from.
    pub fn constant_value<const R: usize, const C: usize>(
        &self,
        m: SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.leaf(None, Some(m.as_slice()), false)
    }

    fn leaf<const R: usize, const C: usize>(
        &self,
        borrowed: Option<&'a [T]>,
        copied: Option<&[T]>,
        tracked: bool,
    ) -> Var<'_, T, R, C> {
        let h = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.leaf(borrowed, copied, R * C, tracked),
            Err(_) => Err(Error::GradsBorrowed),
        };
        let h = h.unwrap_or_else(|e| {
            self.fail(e);
            Handle::invalid(tracked)
        });
        Var::from_handle(self, h)
    }

    /// What the tape holds so far (zero while the gradients are borrowed).
    pub fn used(&self) -> crate::Usage {
        self.inner
            .try_borrow()
            .map(|i| i.tape.used())
            .unwrap_or_default()
    }

    /// What the graph needs so far, counting what was recorded after an overflow.
    pub fn needed(&self) -> crate::Usage {
        self.inner
            .try_borrow()
            .map(|i| i.tape.needed())
            .unwrap_or_default()
    }

    /// The error that poisoned this graph, if any.
    pub fn error(&self) -> Option<Error> {
        if let Some(e) = self.poison.get() {
            return Some(e);
        }
        self.inner.try_borrow().ok().and_then(|i| i.tape.error())
    }
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Inner<'a, T, SCALARS, NODES> {
    fn leaf(
        &mut self,
        borrowed: Option<&'a [T]>,
        copied: Option<&[T]>,
        len: usize,
        tracked: bool,
    ) -> Result<Handle, Error> {
        let mut node = Node::EMPTY;
        node.len = len as u32;
        let (node, grad) = self
            .tape
            .append(node, copied.is_some(), tracked, |out, _, _, _| {
                if let Some(src) = copied {
                    for (o, &x) in out.iter_mut().zip(src) {
                        *o = x;
                    }
                }
            })?;
        if let Some(slot) = self.refs.get_mut(node as usize) {
            *slot = borrowed;
        }
        Ok(Handle { node, grad })
    }

    fn push(&mut self, spec: Spec<T>, forward: Forward<'_, T>) -> Result<Handle, Error> {
        let node = Node {
            backward: Some(spec.backward),
            inputs: spec.inputs,
            value: NONE_OFFSET,
            grad: NONE_OFFSET,
            len: spec.len as u32,
            attr: spec.attr,
        };
        let refs = &self.refs;
        let (node, grad) = self
            .tape
            .append(node, true, spec.tracked, |out, hi, base, nodes| {
                let values = Values {
                    refs,
                    pool: hi,
                    base,
                };
                let a = values.get(nodes, spec.inputs[0]);
                let b = values.get(nodes, spec.inputs[1]);
                forward(a, b, out);
            })?;
        Ok(Handle { node, grad })
    }

    fn backward(&mut self, root: u16) -> Result<(), Error> {
        if let Some(e) = self.tape.error() {
            return Err(e);
        }
        let root = root as usize;
        let refs = &self.refs;
        let (grads, hi, base, nodes, written) = self.tape.sweep_parts()?;
        if root >= nodes.len() {
            return Err(Error::Internal);
        }
        let values = Values {
            refs,
            pool: hi,
            base,
        };
        // Gradients are not zeroed up front: the first contribution to a node may
        // overwrite its slot (see `Sweep::grad_fresh`), and slots nobody wrote are zeroed
        // at the end. This saves a pass over the largest gradients (the weights').
        written.fill(false);
        if let (Some(n), Some(w)) = (nodes.get(root), written.get_mut(root)) {
            if let Some(g) = grads.get_mut(n.grad as usize) {
                *g = T::one();
                *w = true;
            }
        }
        for (i, node) in nodes.iter().enumerate().take(root + 1).rev() {
            let Some((written_lower, written_upper)) = written.split_at_mut_checked(i) else {
                break;
            };
            let Some(backward) = node.backward else {
                continue;
            };
            if node.grad == NONE_OFFSET || written_upper.first() != Some(&true) {
                continue;
            }
            let Some((lower, upper)) = grads.split_at_mut_checked(node.grad as usize) else {
                continue;
            };
            let mut sweep = Sweep {
                node,
                index: i as u16,
                up: upper.get(..node.len as usize).unwrap_or(&[]),
                lower,
                written: written_lower,
                nodes,
                values,
            };
            backward(&mut sweep);
        }
        for (node, w) in nodes.iter().zip(written.iter()) {
            if !*w && node.grad != NONE_OFFSET {
                let start = node.grad as usize;
                if let Some(g) = grads.get_mut(start..start + node.len as usize) {
                    g.fill(T::zero());
                }
            }
        }
        self.tape.finish_backward();
        Ok(())
    }
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Record<T>
    for Graph<'a, T, SCALARS, NODES>
{
    fn push(&self, spec: Spec<T>, forward: Forward<'_, T>) -> Handle {
        let tracked = spec.tracked;
        let r = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.push(spec, forward),
            Err(_) => Err(Error::GradsBorrowed),
        };
        r.unwrap_or_else(|e| {
            self.fail(e);
            Handle::invalid(tracked)
        })
    }

    fn count(&self, len: usize, tracked: bool) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.tape.count(len, tracked);
        }
    }

    fn read(&self, node: u16, out: &mut [T]) -> bool {
        let Ok(inner) = self.inner.try_borrow() else {
            return false;
        };
        let (pool, nodes) = inner.tape.pool_and_nodes();
        if node as usize >= nodes.len() {
            return false;
        }
        let values = Values {
            refs: &inner.refs,
            pool,
            base: 0,
        };
        let v = values.get(nodes, node);
        if v.len() != out.len() {
            return false;
        }
        for (o, &x) in out.iter_mut().zip(v) {
            *o = x;
        }
        true
    }

    fn backward(&self, root: u16) -> Result<Ref<'_, [T]>, Error> {
        if let Some(e) = self.poison.get() {
            return Err(e);
        }
        self.inner
            .try_borrow_mut()
            .map_err(|_| Error::GradsBorrowed)?
            .backward(root)?;
        let inner = self.inner.try_borrow().map_err(|_| Error::Internal)?;
        Ok(Ref::map(inner, |i| i.tape.grads_region()))
    }

    fn fail(&self, e: Error) {
        // A shared borrow succeeds even while gradients are borrowed, and the tape keeps
        // the failure after the graph is gone.
        match self.inner.try_borrow() {
            Ok(inner) => inner.tape.fail(e),
            Err(_) => {
                debug_assert!(false, "failure while the tape is being written: {e}");
                if self.poison.get().is_none() {
                    self.poison.set(Some(e));
                }
            }
        }
    }

    fn stamp(&self) -> (u32, u32) {
        self.stamp
    }
}

/// The gradients of one backward pass, borrowed from the tape: the one way to read a
/// gradient while its graph is alive ([`Grads::wrt`]).
///
/// While it lives, the graph cannot record (an operation then poisons the graph with
/// [`Error::GradsBorrowed`]). Drop it, and the graph, to update parameters in place from
/// [`Tape::grad`].
pub struct Grads<'g, T> {
    pub(crate) grads: Ref<'g, [T]>,
    pub(crate) stamp: (u32, u32),
}

impl<T> core::fmt::Debug for Grads<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Grads")
            .field("scalars", &self.grads.len())
            .finish()
    }
}

impl<'g, T: Real> Grads<'g, T> {
    /// `∂root/∂v`, read in place (no copy) in the shape of `v`; `.into_owned()` copies
    /// it out. Zero for a tracked variable the root does not depend on.
    ///
    /// # Errors
    ///
    /// [`Error::Untracked`] for a constant; [`Error::Foreign`] for a variable of another
    /// graph.
    ///
    /// ```
    /// # use stackgrad::{nalgebra::Vector2, Error, Tape};
    /// let (a0, b0) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
    /// let mut tape: Tape<f64, 32, 8> = Tape::new();
    /// let g = tape.graph();
    /// let (a, b) = (g.param(&a0), g.constant(&b0));
    /// let grads = a.dot(b).backward()?;
    /// assert_eq!(grads.wrt(a)?, b0); // ∂(a·b)/∂a = b
    /// assert_eq!(grads.wrt(b), Err(Error::Untracked));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn wrt<const R: usize, const C: usize>(
        &self,
        v: Var<'_, T, R, C>,
    ) -> Result<nalgebra::SMatrixView<'_, T, R, C>, Error> {
        let id: VarId<R, C> = v.id();
        if (id.tape, id.generation) != self.stamp || id.tape == 0 {
            return Err(Error::Foreign);
        }
        if id.grad == NONE_OFFSET {
            return Err(Error::Untracked);
        }
        let start = id.grad as usize;
        let s = self
            .grads
            .get(start..start + R * C)
            .ok_or(Error::NoBackward)?;
        crate::node::view::<T, R, C>(s).ok_or(Error::Internal)
    }
}
