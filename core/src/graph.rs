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
use crate::{Error, Real, Resource, Tape};

/// A graph being recorded on a tape. Created by [`Tape::graph`].
///
/// It borrows the tape mutably and every parameter and constant it is given, for the
/// lifetime `'a`. Parameters are *not* copied: the tape refers to the caller's matrices,
/// and only their gradients take room in the tape. When the graph (and its variables) are
/// gone, the caller may update the parameters in place from [`Tape::grad`].
pub struct Graph<'a, T, const SCALARS: usize, const NODES: usize> {
    inner: RefCell<Inner<'a, T, SCALARS, NODES>>,
    /// First failure seen while the inner state could not be borrowed.
    poison: Cell<Option<Error>>,
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
    pub(crate) param: T,
}

/// An operation's forward computation: `(input0, input1, out)`.
pub(crate) type Forward<'f, T> = &'f mut dyn FnMut(&[T], &[T], &mut [T]);

/// Where a new node landed.
#[derive(Clone, Copy)]
pub(crate) struct Handle {
    pub(crate) node: u16,
    pub(crate) grad: u32,
}

impl Handle {
    pub(crate) const INVALID: Handle = Handle {
        node: NONE,
        grad: NONE_OFFSET,
    };
}

/// The graph as variables see it, with the tape's capacities erased.
pub(crate) trait Record<T> {
    /// Appends a node whose value `forward(input0, input1, out)` computes.
    fn push(&self, spec: Spec<T>, forward: Forward<'_, T>) -> Handle;
    /// Copies a node's value into `out`; `false` if the node is invalid.
    fn read(&self, node: u16, out: &mut [T]) -> bool;
    /// Runs the reverse sweep from `root` and lends out the gradient region.
    fn backward(&self, root: u16) -> Result<Ref<'_, [T]>, Error>;
    /// Records a failure.
    fn fail(&self, e: Error);
    /// The tape's generation, which stamps ids.
    fn generation(&self) -> u32;
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Graph<'a, T, SCALARS, NODES> {
    pub(crate) fn new(tape: &'a mut Tape<T, SCALARS, NODES>) -> Self {
        Graph {
            inner: RefCell::new(Inner {
                tape,
                refs: [None; NODES],
            }),
            poison: Cell::new(None),
        }
    }

    /// A tracked leaf: the tape refers to `m` (no copy) and computes `∂/∂m`.
    pub fn param<const R: usize, const C: usize>(
        &self,
        m: &'a SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.leaf(Some(m.as_slice()), None, true)
    }

    /// An untracked leaf borrowed from the caller (no copy); its gradient is zero and
    /// nothing downstream of constants alone takes gradient memory.
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
            Err(_) => Err(Error::Busy),
        };
        let h = h.unwrap_or_else(|e| {
            self.fail(e);
            Handle::INVALID
        });
        Var::from_handle(self, h)
    }

    /// What the tape uses so far (zero if the gradients are borrowed right now).
    pub fn used(&self) -> crate::Usage {
        self.inner
            .try_borrow()
            .map(|i| i.tape.used())
            .unwrap_or_default()
    }

    /// The error that poisoned this graph, if any.
    pub fn error(&self) -> Option<Error> {
        if let Some(e) = self.poison.get() {
            return Some(e);
        }
        self.inner.try_borrow().ok().and_then(|i| i.tape.poison)
    }
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Inner<'a, T, SCALARS, NODES> {
    /// Checks that a node with a value of `value_len` scalars and a gradient of
    /// `grad_len` fits, without changing anything.
    fn fits(&self, value_len: usize, grad_len: usize) -> Result<(), Error> {
        let t = &*self.tape;
        if let Some(e) = t.poison {
            return Err(e);
        }
        if t.len >= NODES {
            return Err(Error::Capacity {
                needed: t.len + 1,
                capacity: NODES,
                resource: Resource::Nodes,
            });
        }
        let free = t.vbot - t.gtop;
        if value_len + grad_len > free {
            return Err(Error::Capacity {
                needed: t.used().scalars + value_len + grad_len,
                capacity: SCALARS,
                resource: Resource::Scalars,
            });
        }
        Ok(())
    }

    /// Commits a node already known to fit.
    fn commit(&mut self, mut node: Node<T>, value_len: usize, grad_len: usize) -> Handle {
        let t = &mut *self.tape;
        let index = t.len;
        node.grad = if grad_len > 0 {
            t.gtop as u32
        } else {
            NONE_OFFSET
        };
        t.gtop += grad_len;
        t.vbot -= value_len;
        if let Some(slot) = t.nodes.get_mut(index) {
            *slot = node;
        }
        t.len += 1;
        Handle {
            node: index as u16,
            grad: node.grad,
        }
    }

    fn leaf(
        &mut self,
        borrowed: Option<&'a [T]>,
        copied: Option<&[T]>,
        len: usize,
        tracked: bool,
    ) -> Result<Handle, Error> {
        let value_len = if copied.is_some() { len } else { 0 };
        let grad_len = if tracked { len } else { 0 };
        if let Err(e) = self.fits(value_len, grad_len) {
            self.tape.poison.get_or_insert(e);
            return Err(e);
        }
        let mut node = Node::empty();
        node.len = len as u32;
        if let Some(src) = copied {
            let start = self.tape.vbot - value_len;
            node.value = start as u32;
            if let Some(dst) = self.tape.pool.get_mut(start..start + len) {
                dst.copy_from_slice(src);
            }
        }
        let index = self.tape.len;
        if let Some(slot) = self.refs.get_mut(index) {
            *slot = borrowed;
        }
        Ok(self.commit(node, value_len, grad_len))
    }

    fn push(&mut self, spec: Spec<T>, forward: Forward<'_, T>) -> Result<Handle, Error> {
        let len = spec.len;
        let grad_len = if spec.tracked { len } else { 0 };
        if let Err(e) = self.fits(len, grad_len) {
            self.tape.poison.get_or_insert(e);
            return Err(e);
        }
        let t = &mut *self.tape;
        let start = t.vbot - len;
        // Values grow down, so every existing value lies in `hi` and the new one at the
        // end of `lo`.
        let (lo, hi) = t.pool.split_at_mut_checked(t.vbot).ok_or(Error::Busy)?;
        let out = lo.get_mut(start..).unwrap_or(&mut []);
        let values = Values {
            refs: &self.refs,
            pool: hi,
            base: t.vbot,
        };
        let a = values.get(&t.nodes, spec.inputs[0]);
        let b = values.get(&t.nodes, spec.inputs[1]);
        forward(a, b, out);
        let node = Node {
            backward: spec.backward,
            inputs: spec.inputs,
            value: start as u32,
            grad: NONE_OFFSET,
            len: len as u32,
            param: spec.param,
        };
        Ok(self.commit(node, len, grad_len))
    }

    fn backward(&mut self, root: u16) -> Result<(), Error> {
        let t = &mut *self.tape;
        if let Some(e) = t.poison {
            return Err(e);
        }
        let root = root as usize;
        if root >= t.len {
            return Err(Error::Busy);
        }
        let (grads, hi) = t.pool.split_at_mut_checked(t.gtop).ok_or(Error::Busy)?;
        let nodes = t.nodes.get(..t.len).unwrap_or(&[]);
        let values = Values {
            refs: &self.refs,
            pool: hi,
            base: t.gtop,
        };
        let written = t.written.get_mut(..t.len).unwrap_or(&mut []);
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
            if node.grad == NONE_OFFSET
                || node.inputs == [NONE, NONE]
                || written_upper.first() != Some(&true)
            {
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
            (node.backward)(&mut sweep);
        }
        for (node, w) in nodes.iter().zip(written.iter()) {
            if !*w && node.grad != NONE_OFFSET {
                let start = node.grad as usize;
                if let Some(g) = grads.get_mut(start..start + node.len as usize) {
                    g.fill(T::zero());
                }
            }
        }
        t.grads_top = Some(t.gtop);
        Ok(())
    }
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Record<T>
    for Graph<'a, T, SCALARS, NODES>
{
    fn push(&self, spec: Spec<T>, forward: Forward<'_, T>) -> Handle {
        if self.poison.get().is_some() {
            return Handle::INVALID;
        }
        let r = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.push(spec, forward),
            Err(_) => Err(Error::Busy),
        };
        r.unwrap_or_else(|e| {
            self.fail(e);
            Handle::INVALID
        })
    }

    fn read(&self, node: u16, out: &mut [T]) -> bool {
        let Ok(inner) = self.inner.try_borrow() else {
            return false;
        };
        let t = &*inner.tape;
        if node as usize >= t.len {
            return false;
        }
        let values = Values {
            refs: &inner.refs,
            pool: &t.pool,
            base: 0,
        };
        let v = values.get(&t.nodes, node);
        if v.len() != out.len() {
            return false;
        }
        out.copy_from_slice(v);
        true
    }

    fn backward(&self, root: u16) -> Result<Ref<'_, [T]>, Error> {
        if let Some(e) = self.poison.get() {
            return Err(e);
        }
        self.inner
            .try_borrow_mut()
            .map_err(|_| Error::Busy)?
            .backward(root)?;
        let inner = self.inner.try_borrow().map_err(|_| Error::Busy)?;
        Ok(Ref::map(inner, |i| {
            i.tape.pool.get(..i.tape.gtop).unwrap_or(&[])
        }))
    }

    fn fail(&self, e: Error) {
        if self.poison.get().is_none() {
            self.poison.set(Some(e));
        }
    }

    fn generation(&self) -> u32 {
        self.inner
            .try_borrow()
            .map(|i| i.tape.generation)
            .unwrap_or(u32::MAX)
    }
}

/// The gradients of one backward pass, borrowed from the tape.
///
/// While it lives, the graph cannot record (an operation then poisons the graph with
/// [`Error::Busy`]). Drop it, and the graph, to update parameters in place from
/// [`Tape::grad`].
pub struct Grads<'g, T> {
    pub(crate) grads: Ref<'g, [T]>,
    pub(crate) generation: u32,
}

impl<'g, T: Real> Grads<'g, T> {
    /// `∂root/∂v`, copied out, in the shape of `v`. Zero for a constant, or for a
    /// variable the root does not depend on. NaN-filled if `v` is invalid (from a
    /// poisoned graph, which cannot reach here) or from another graph.
    pub fn wrt<const R: usize, const C: usize>(&self, v: Var<'_, T, R, C>) -> SMatrix<T, R, C> {
        match self.slice(v.id()) {
            Some(s) => SMatrix::from_column_slice(s),
            None if v.id().grad == NONE_OFFSET && v.id().generation == self.generation => {
                SMatrix::zeros()
            }
            None => SMatrix::repeat(T::nan()),
        }
    }

    /// `∂root/∂v` read in place (no copy), or `None` for an untracked variable.
    pub fn view<const R: usize, const C: usize>(
        &self,
        v: Var<'_, T, R, C>,
    ) -> Option<nalgebra::SMatrixView<'_, T, R, C>> {
        crate::node::view::<T, R, C>(self.slice(v.id())?)
    }

    /// The gradient of every tracked node, parameters first in the order they were
    /// registered (when they were registered before any operation).
    pub fn as_slice(&self) -> &[T] {
        &self.grads
    }

    fn slice<const R: usize, const C: usize>(&self, id: VarId<R, C>) -> Option<&[T]> {
        if id.generation != self.generation || id.grad == NONE_OFFSET {
            return None;
        }
        let start = id.grad as usize;
        self.grads.get(start..start + R * C)
    }
}
