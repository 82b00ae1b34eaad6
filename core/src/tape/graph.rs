//! Recording a computational graph on a tape.
//!
//! A [`Graph`] borrows a [`Tape`] and the caller's parameters. Variables
//! ([`Var`]) are handles into it; every operation on them appends one node. The graph
//! knows nothing about what the operations are: each hands it a forward closure and a
//! backward rule.

use core::cell::{Cell, Ref, RefCell};

use nalgebra::SMatrix;

use super::arena::Tape;
use super::dot::{DotOptions, View};
use super::node::{Backward, Node, Values, NONE_OFFSET};
use super::record::{Forward, Handle, Record, Spec};
use super::var::Var;
use crate::{Error, Real};

/// A graph being recorded on a tape. Created by [`Tape::graph`].
///
/// It borrows the tape mutably and every parameter and constant it is given, for the
/// lifetime `'a`. Parameters are *not* copied: the tape refers to the caller's matrices,
/// and only their gradients take room in the tape. When the graph (and its variables) are
/// gone, the caller may update the parameters in place from [`Tape::grad`].
pub struct Graph<'a, T: 'static, const SCALARS: usize, const NODES: usize> {
    inner: RefCell<Inner<'a, T, SCALARS, NODES>>,
    /// A failure seen while the tape could not be reached (never expected: kept so that
    /// no failure is ever dropped).
    poison: Cell<Option<Error>>,
    /// The tape's `(serial, generation)`, fixed for the graph's life (the graph borrows
    /// the tape mutably, so nothing else can start a new graph on it): read without a
    /// borrow of the tape by every [`Var::id`].
    stamp: (u64, u32),
}

impl<T: 'static, const SCALARS: usize, const NODES: usize> core::fmt::Debug
    for Graph<'_, T, SCALARS, NODES>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.inner.try_borrow() {
            Ok(i) => f.debug_struct("Graph").field("tape", &*i.tape).finish(),
            Err(_) => f.write_str("Graph { .. }"),
        }
    }
}

struct Inner<'a, T: 'static, const SCALARS: usize, const NODES: usize> {
    tape: &'a mut Tape<T, SCALARS, NODES>,
    /// Values of borrowed leaves (parameters and constants), by node index.
    refs: [Option<&'a [T]>; NODES],
}

impl<T: Real, const SCALARS: usize, const NODES: usize> Tape<T, SCALARS, NODES> {
    /// Resets the tape and starts recording a new graph over it. The graph borrows the
    /// tape mutably, and the parameters it is given, for as long as it or any of its
    /// variables lives.
    pub fn graph(&mut self) -> Graph<'_, T, SCALARS, NODES> {
        self.reset();
        Graph::new(self)
    }
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
            Ok(mut inner) => inner.leaf(borrowed, copied, R, R * C, tracked),
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

    /// Writes the graph as Graphviz DOT to `out` (see [`dot`](super::dot)): each
    /// operation with its name and shape, the values on the edges and, after a backward
    /// pass, the gradients under them. No heap; `Err` only if `out` fails or the graph is
    /// being written to.
    pub fn write_dot<W: core::fmt::Write>(
        &self,
        out: &mut W,
        opts: &DotOptions<'_>,
    ) -> core::fmt::Result {
        let inner = self.inner.try_borrow().map_err(|_| core::fmt::Error)?;
        let (pool, nodes) = inner.tape.pool_and_nodes();
        let view = View {
            nodes,
            values: Values {
                refs: &inner.refs,
                pool,
                base: 0,
            },
            grads: inner.tape.grads_region(),
            backward_done: inner.tape.backward_done(),
        };
        super::dot::write(&view, out, opts)
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
        rows: usize,
        len: usize,
        tracked: bool,
    ) -> Result<Handle, Error> {
        let mut node = Node::EMPTY;
        node.len = len as u32;
        node.rows = rows as u32;
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
            op: Some(spec.op),
            inputs: spec.inputs,
            value: NONE_OFFSET,
            grad: NONE_OFFSET,
            len: spec.len as u32,
            rows: spec.rows as u32,
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
        // overwrite its slot (see `Backward::grad_fresh`), and slots nobody wrote are zeroed
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
            let Some(op) = node.op else {
                continue;
            };
            if node.grad == NONE_OFFSET || written_upper.first() != Some(&true) {
                continue;
            }
            let Some((lower, upper)) = grads.split_at_mut_checked(node.grad as usize) else {
                continue;
            };
            let mut context = Backward {
                node,
                index: i as u16,
                up: upper.get(..node.len as usize).unwrap_or(&[]),
                lower,
                written: written_lower,
                nodes,
                values,
            };
            op.run(&mut context);
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

    fn source(&self, node: u16) -> usize {
        match self.inner.try_borrow() {
            Ok(inner) => match inner.refs.get(node as usize) {
                Some(Some(r)) => r.as_ptr().addr(),
                _ => 0,
            },
            Err(_) => 0,
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
        // the failure after the graph is gone. User code never runs while the tape is
        // being written (a custom forward closure runs before its node is appended), so
        // the fallback is never expected.
        match self.inner.try_borrow() {
            Ok(inner) => inner.tape.fail(e),
            Err(_) => {
                if self.poison.get().is_none() {
                    self.poison.set(Some(e));
                }
            }
        }
    }

    fn stamp(&self) -> (u64, u32) {
        self.stamp
    }
}
