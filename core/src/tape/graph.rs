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
use super::node::{Backward, Compute, Node, Recorded, Values, NONE_OFFSET};
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
    /// Whether the graph replays ([`Tape::replay`]): fixed for its life, as `Inner`'s
    /// `replay` is `Some`. Read before any borrow, so that recording a leaf and binding
    /// one again are separate paths.
    replaying: bool,
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
    /// While replaying ([`Tape::replay`]): where to look for the next leaf to bind, and
    /// the recorded output. `None` while recording.
    replay: Option<Replay>,
}

/// Which graph of a tape a step recorded, so that the step can replay it
/// ([`Tape::graph_or_replay`]). A new key names no graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayKey {
    /// The `(serial, generation)` of the graph last started with this key.
    stamp: (u64, u32),
    /// What the step's recording depended on beyond its leaves (the crate's training
    /// steps keep λ's bits here).
    pub(crate) tag: u64,
}

impl ReplayKey {
    /// A key that names no graph: the next step records.
    pub const fn new() -> Self {
        ReplayKey {
            stamp: (0, 0),
            tag: 0,
        }
    }

    /// Forgets the recording: the next step records anew (after a change of anything
    /// but the leaves' values).
    pub fn forget(&mut self) {
        *self = ReplayKey::new();
    }
}

/// A replay's progress.
#[derive(Clone, Copy)]
struct Replay {
    /// The node after the last leaf bound again.
    next: usize,
    /// The recorded output.
    root: u16,
    /// Whether [`Graph::replayed`] has run the forward pass.
    done: bool,
}

impl<T: Real, const SCALARS: usize, const NODES: usize> Tape<T, SCALARS, NODES> {
    /// Resets the tape and starts recording a new graph over it. The graph borrows the
    /// tape mutably, and the parameters it is given, for as long as it or any of its
    /// variables lives.
    pub fn graph(&mut self) -> Graph<'_, T, SCALARS, NODES> {
        self.reset();
        Graph::new(self)
    }

    /// Starts a replay of the graph recorded last: the same operations, computed again
    /// on new values of its leaves, without recording them. On the returned graph, bind
    /// every leaf again in the order they were recorded (the model's
    /// [`bind`](crate::nn::Module::bind), [`Graph::param`], [`Graph::constant`],
    /// [`Graph::constant_value`]), then [`Graph::replayed`] computes every value and
    /// returns the output, to call `backward()` on as when it was recorded.
    ///
    /// A replay is a new graph for ids: the ids of the recording (and of earlier
    /// replays) become [`Error::Stale`]; take new ones from the variables bound here. It
    /// runs each operation's own forward function and backward rule in the recorded
    /// order, so its values and gradients are bit for bit those of recording the graph
    /// anew on the same values, for the recording's cost in neither nodes nor checks.
    ///
    /// The graph must have been recorded with a successful backward pass
    /// ([`Error::NotRecorded`]) and hold no value computed by a caller's closure
    /// ([`Var::custom_unary`](crate::Var::custom_unary): [`Error::NoForward`]); a leaf
    /// of another shape or kind, or a borrowed leaf left unbound, is [`Error::Unbound`].
    /// Each poisons the replaying graph; the recording stays, to replay again.
    ///
    /// ```
    /// use stackgrad::nalgebra::{Matrix2, Vector2};
    /// use stackgrad::Tape;
    ///
    /// let w0 = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// {
    ///     // Record once: s = Σ tanh(W·x).
    ///     let x0 = Vector2::new(1.0, -1.0);
    ///     let g = tape.graph();
    ///     let (w, x) = (g.param(&w0), g.constant(&x0));
    ///     (w * x).tanh().sum().backward()?;
    /// }
    /// // Replay on a new x: the same value and gradient as recording it again.
    /// let x1 = Vector2::new(0.5, 2.0);
    /// let g = tape.replay();
    /// let (w, x) = (g.param(&w0), g.constant(&x1));
    /// let s = g.replayed::<1, 1>();
    /// let grads = s.backward()?;
    /// let dw = grads.wrt(w)?;
    /// let mut fresh: Tape<f64, 64, 8> = Tape::new();
    /// let g2 = fresh.graph();
    /// let (w2, x2) = (g2.param(&w0), g2.constant(&x1));
    /// let s2 = (w2 * x2).tanh().sum();
    /// assert_eq!(s.scalar(), s2.scalar());
    /// let grads2 = s2.backward()?;
    /// assert_eq!(dw, grads2.wrt(w2)?);
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    pub fn replay(&mut self) -> Graph<'_, T, SCALARS, NODES> {
        let started = self.start_replay();
        let mut g = Graph::new(self);
        g.inner.get_mut().replay = Some(Replay {
            next: 0,
            root: started.unwrap_or(super::node::NONE),
            done: false,
        });
        g.replaying = true;
        g
    }

    /// A graph for a step that runs many times: replays the graph `key` recorded on this
    /// tape if it is still the tape's last graph and can be replayed, and starts
    /// recording a new one otherwise; `key` then names the returned graph. With
    /// [`Graph::output`], one description of the step serves both: bind the leaves,
    /// then compute the output in `output`'s closure, which runs only when recording.
    ///
    /// The replay keeps everything but the leaves' values: the operations, their
    /// attributes (a scale, a penalty's λ, clamp bounds) and the leaves' shapes. Call
    /// [`ReplayKey::forget`] when any of them changes. Use it only for a step whose
    /// operations do not depend on the values (no `if` on a value, no loop whose count
    /// comes from the data): a replay runs the recorded operations whatever the new
    /// values are, as JAX's `jit` does. A step with such control flow records every time
    /// ([`Tape::graph`]).
    ///
    /// ```
    /// use stackgrad::nalgebra::{Matrix2, Vector2};
    /// use stackgrad::{ReplayKey, Tape};
    ///
    /// let mut w = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let mut key = ReplayKey::new();
    /// for step in 0..3 {
    ///     let x0 = Vector2::new(1.0, step as f64);
    ///     let id = {
    ///         let g = tape.graph_or_replay(&mut key); // records once, then replays
    ///         let (w, x) = (g.param(&w), g.constant(&x0));
    ///         let s = g.output(|| (w * x).tanh().sum());
    ///         s.backward()?;
    ///         w.id()
    ///     };
    ///     w -= 0.1 * tape.grad(id)?;
    /// }
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    pub fn graph_or_replay(&mut self, key: &mut ReplayKey) -> Graph<'_, T, SCALARS, NODES> {
        let g = if key.stamp != (0, 0) && key.stamp == self.stamp() && self.can_replay() {
            self.replay()
        } else {
            self.graph()
        };
        key.stamp = g.stamp;
        g
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
                replay: None,
            }),
            poison: Cell::new(None),
            replaying: false,
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
        Var::from_handle(self, self.borrowed_leaf(m.as_slice(), R, true))
    }

    /// An untracked leaf borrowed from the caller (no copy); it has no gradient
    /// ([`Error::Untracked`]), and nothing downstream of constants alone takes gradient
    /// memory.
    pub fn constant<const R: usize, const C: usize>(
        &self,
        m: &'a SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        Var::from_handle(self, self.borrowed_leaf(m.as_slice(), R, false))
    }

    /// An untracked leaf holding a copy of `m` in the tape: for values computed on the
    /// fly that have no owner to borrow from.
    pub fn constant_value<const R: usize, const C: usize>(
        &self,
        m: SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        Var::from_handle(self, self.copied_leaf(m.as_slice(), R))
    }

    /// On a replaying graph ([`Tape::replay`]), once its leaves are bound again: computes
    /// every recorded operation's value from them, in the recorded order, and returns
    /// the recorded output (the variable the recording's backward pass started from),
    /// which must be `R×C`. Then `backward()` on it computes the gradients.
    ///
    /// Poisons the graph (the returned variable is invalid, and `backward` says why)
    /// with [`Error::Unbound`] on a graph that records, after a replay already ran, with
    /// a leaf left unbound (every leaf is bound again, the copied constants too: a
    /// value kept from the recording could be stale data), or for an output of another
    /// shape.
    pub fn replayed<const R: usize, const C: usize>(&self) -> Var<'_, T, R, C> {
        let h = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.replayed(R, R * C),
            Err(_) => Err(Error::GradsBorrowed),
        };
        let h = h.unwrap_or_else(|e| self.failed(e, true));
        Var::from_handle(self, h)
    }

    /// Whether this graph replays a recording ([`Tape::replay`]) rather than records.
    pub fn is_replaying(&self) -> bool {
        self.replaying
    }

    /// The graph's output, once its leaves are bound: `record()` computes it while
    /// recording; while replaying, the recorded operations do ([`Graph::replayed`])
    /// and `record` is not called. One description of a step for both.
    pub fn output<'s, const R: usize, const C: usize>(
        &'s self,
        record: impl FnOnce() -> Var<'s, T, R, C>,
    ) -> Var<'s, T, R, C> {
        if self.is_replaying() {
            self.replayed()
        } else {
            record()
        }
    }

    /// A leaf that borrows `m`, of `rows` rows: for the leaves of every shape, one copy.
    fn borrowed_leaf(&self, m: &'a [T], rows: usize, tracked: bool) -> Handle {
        if self.replaying {
            return self.rebind_borrowed(m, rows, tracked);
        }
        let h = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.borrowed_leaf(m, rows, tracked),
            Err(_) => Err(Error::GradsBorrowed),
        };
        h.unwrap_or_else(|e| self.failed(e, tracked))
    }

    /// [`Graph::borrowed_leaf`] on a replaying graph: binds the next recorded leaf again.
    ///
    /// Out of line on a host (x86-64, AArch64), so that recording a leaf keeps a short
    /// path of its own (the 8×20 window's recorded gradient: 15 instructions fewer); in
    /// line on a microcontroller, whose replay paid a call per leaf for it (about 120
    /// instructions on the 4-8-3 step).
    #[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), inline(never))]
    #[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), inline)]
    fn rebind_borrowed(&self, m: &'a [T], rows: usize, tracked: bool) -> Handle {
        let h = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.rebind_borrowed(m, rows, tracked),
            Err(_) => Err(Error::GradsBorrowed),
        };
        h.unwrap_or_else(|e| self.failed(e, tracked))
    }

    /// `f` of node `node`'s value, for [`Record::read`] and [`Record::read_scalar`];
    /// `None` if the node is not recorded or the tape cannot be read.
    #[inline(always)]
    fn with_value<R>(&self, node: u16, f: impl FnOnce(&[T]) -> R) -> Option<R> {
        let inner = self.inner.try_borrow().ok()?;
        let (pool, nodes) = inner.tape.pool_and_nodes();
        if node as usize >= nodes.len() {
            return None;
        }
        let values = Values {
            refs: &inner.refs,
            pool,
            base: 0,
        };
        Some(f(values.get(nodes, node)))
    }

    /// Records why a node was not recorded, and hands out the invalid variable's handle.
    #[cold]
    #[inline(never)]
    fn failed(&self, e: Error, tracked: bool) -> Handle {
        self.fail(e);
        Handle::invalid(tracked)
    }

    /// A leaf holding a copy of `m`, of `rows` rows: for the leaves of every shape, one
    /// copy.
    fn copied_leaf(&self, m: &[T], rows: usize) -> Handle {
        let h = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.copied_leaf(m, rows),
            Err(_) => Err(Error::GradsBorrowed),
        };
        h.unwrap_or_else(|e| self.failed(e, false))
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
    /// Records a leaf holding a copy of `m` (untracked), or binds the next recorded one
    /// again when replaying.
    fn copied_leaf(&mut self, m: &[T], rows: usize) -> Result<Handle, Error> {
        if self.replay.is_some() {
            return self.rebind_copied(m, rows);
        }
        let mut node = Node::EMPTY;
        node.len = m.len() as u32;
        node.rows = rows as u32;
        let (node, grad) = self.tape.append(node, false, |out, _, _, _| {
            for (o, &x) in out.iter_mut().zip(m) {
                *o = x;
            }
        })?;
        Ok(Handle { node, grad })
    }

    /// Records a leaf that borrows its value `m` (while recording, not replaying).
    #[inline(always)]
    fn borrowed_leaf(&mut self, m: &'a [T], rows: usize, tracked: bool) -> Result<Handle, Error> {
        let (node, grad) = self.tape.append_borrowed(m.len(), rows, tracked)?;
        if let Some(slot) = self.refs.get_mut(node as usize) {
            *slot = Some(m);
        }
        Ok(Handle { node, grad })
    }

    /// Binds the next recorded leaf again to a copy of `m`, if it is a copied leaf of
    /// this shape.
    fn rebind_copied(&mut self, m: &[T], rows: usize) -> Result<Handle, Error> {
        let (node, grad, value) = self.next_leaf(None, rows, m.len(), false)?;
        let (pool, _) = self.tape.pool_mut_and_nodes();
        let start = value as usize;
        let out = pool
            .get_mut(start..start + m.len())
            .ok_or(Error::Internal)?;
        for (o, &x) in out.iter_mut().zip(m) {
            *o = x;
        }
        Ok(Handle { node, grad })
    }

    /// Binds the next recorded leaf again to `m`, if it is a borrowed leaf of this shape
    /// and kind.
    fn rebind_borrowed(&mut self, m: &'a [T], rows: usize, tracked: bool) -> Result<Handle, Error> {
        let (node, grad, _) = self.next_leaf(Some(m), rows, m.len(), tracked)?;
        Ok(Handle { node, grad })
    }

    /// Binds the next recorded leaf to `borrowed` (`None` for a leaf that holds a copy)
    /// if it has this shape and kind, and moves the replay past it: its index, gradient
    /// and value offsets. Else [`Error::Unbound`]. The one place that moves past a leaf,
    /// so every borrowed leaf before the replay's `next` has its value
    /// ([`Inner::replayed`] relies on it).
    #[inline(always)]
    fn next_leaf(
        &mut self,
        borrowed: Option<&'a [T]>,
        rows: usize,
        len: usize,
        tracked: bool,
    ) -> Result<(u16, u32, u32), Error> {
        if let Some(e) = self.tape.error() {
            return Err(e);
        }
        let Some(replay) = self.replay.as_mut() else {
            return Err(Error::Internal);
        };
        let (_, nodes) = self.tape.pool_and_nodes();
        let found = nodes
            .iter()
            .enumerate()
            .skip(replay.next)
            .find(|(_, n)| n.op.is_none());
        let Some((i, n)) = found else {
            return Err(Error::Unbound);
        };
        let same = !replay.done
            && n.len as usize == len
            && n.rows as usize == rows
            && (n.grad != NONE_OFFSET) == tracked
            && (n.value == NONE_OFFSET) == borrowed.is_some();
        let slot = self.refs.get_mut(i);
        let (true, Some(slot)) = (same, slot) else {
            return Err(Error::Unbound);
        };
        *slot = borrowed;
        replay.next = i + 1;
        Ok((i as u16, n.grad, n.value))
    }

    /// A replay's forward pass: every operation up to the recorded output, in order.
    fn replayed(&mut self, rows: usize, len: usize) -> Result<Handle, Error> {
        if let Some(e) = self.tape.error() {
            return Err(e);
        }
        let Some(replay) = self.replay.as_mut().filter(|r| !r.done) else {
            return Err(Error::Unbound);
        };
        replay.done = true;
        let (root, next) = (replay.root as usize, replay.next);
        let refs = &self.refs;
        let (pool, nodes) = self.tape.pool_mut_and_nodes();
        let nodes = nodes.get(..=root).ok_or(Error::NotRecorded)?;
        let Some(out) = nodes.last() else {
            return Err(Error::NotRecorded);
        };
        if out.len as usize != len || out.rows as usize != rows {
            return Err(Error::Unbound);
        }
        for (i, n) in nodes.iter().enumerate() {
            let Some(op) = n.op else {
                // Every leaf up to the output must have been bound again (in order, so
                // all before `next` were, each to its value: `next_leaf`): a copied
                // constant left as recorded could be stale data. (Stopping here leaves
                // the values computed so far, which the next replay computes again.)
                if i >= next {
                    return Err(Error::Unbound);
                }
                continue;
            };
            let forward = op.forward().ok_or(Error::NoForward)?;
            let start = n.value as usize;
            let split = start + n.len as usize;
            let (lo, hi) = pool.split_at_mut_checked(split).ok_or(Error::Internal)?;
            let out = lo.get_mut(start..).ok_or(Error::Internal)?;
            let values = Values {
                refs,
                pool: hi,
                base: split,
            };
            let [a, b, c] = n.inputs;
            let (a, b) = (values.get(nodes, a), values.get(nodes, b));
            match forward {
                Compute::Two(f) => f(a, b, n.attr, out),
                Compute::Three(f) => f(a, b, values.get(nodes, c), n.attr, out),
            }
        }
        Ok(Handle {
            node: root as u16,
            grad: out.grad,
        })
    }

    /// Records an operation (on a graph that records: [`Graph`] refuses it on a replaying
    /// one before coming here).
    fn push(&mut self, spec: Spec<T>, forward: Option<Forward<'_, T>>) -> Result<Handle, Error> {
        if !spec.replayable {
            self.tape.mark_opaque();
        }
        let Spec { node, tracked, .. } = spec;
        let refs = &self.refs;
        let (node, grad) = self.tape.append(node, tracked, |out, hi, base, nodes| {
            let values = Values {
                refs,
                pool: hi,
                base,
            };
            let [a, b, c] = node.inputs;
            let (a, b) = (values.get(nodes, a), values.get(nodes, b));
            match (forward, node.op.and_then(|op| op.forward())) {
                (Some(f), _) => f(a, b, out),
                (None, Some(Compute::Two(f))) => f(a, b, node.attr, out),
                (None, Some(Compute::Three(f))) => f(a, b, values.get(nodes, c), node.attr, out),
                // `Var::apply_*` push only operations with a forward function.
                (None, None) => {}
            }
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
        let graph = Recorded {
            nodes,
            values: Values {
                refs,
                pool: hi,
                base,
            },
        };
        // Gradients are not zeroed up front: the first contribution to a node may
        // overwrite its slot (see `Backward::grad_fresh`), and a slot nobody wrote is
        // zeroed when the sweep reaches its node (every node that could have written it
        // is newer, so done by then). This saves a pass over the largest gradients (the
        // weights').
        if let (Some(n), Some(w)) = (nodes.get(root), written.get_mut(root)) {
            if let Some(g) = grads.get_mut(n.grad as usize) {
                *g = T::one();
                *w = true;
            }
        }
        // By index, newest first: a node's inputs are older, so its upstream gradient is
        // complete when its turn comes. (Nodes recorded after the root were written by
        // nobody: their gradient is zero.)
        for i in (0..nodes.len()).rev() {
            let (Some(node), Some(&was_written)) = (nodes.get(i), written.get(i)) else {
                continue;
            };
            if !was_written {
                zero_grad(grads, node);
                continue;
            }
            let Some(op) = node.op else {
                continue;
            };
            let Some(written_lower) = written.get_mut(..i) else {
                continue;
            };
            // A written node is tracked (only a tracked slot is ever written), so its
            // offset splits the gradients; `NONE_OFFSET` would not.
            let Some((lower, upper)) = grads.split_at_mut_checked(node.grad as usize) else {
                continue;
            };
            let mut context = Backward {
                node,
                index: i as u16,
                up: upper.get(..node.len as usize).unwrap_or(&[]),
                lower,
                written: written_lower,
                graph: &graph,
            };
            op.run(&mut context);
        }
        self.tape.finish_backward(root as u16);
        Ok(())
    }
}

impl<'a, T: Real, const SCALARS: usize, const NODES: usize> Record<T>
    for Graph<'a, T, SCALARS, NODES>
{
    fn push(&self, spec: Spec<T>, forward: Option<Forward<'_, T>>) -> Handle {
        let tracked = spec.tracked;
        if self.replaying {
            // A replay computes the recorded operations itself (`Graph::replayed`).
            return self.failed(Error::Unbound, tracked);
        }
        let r = match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.push(spec, forward),
            Err(_) => Err(Error::GradsBorrowed),
        };
        r.unwrap_or_else(|e| self.failed(e, tracked))
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
        self.with_value(node, |v| {
            if v.len() != out.len() {
                return false;
            }
            for (o, &x) in out.iter_mut().zip(v) {
                *o = x;
            }
            true
        })
        .unwrap_or(false)
    }

    fn read_scalar(&self, node: u16) -> Option<T> {
        self.with_value(node, |v| match v {
            &[x] => Some(x),
            _ => None,
        })
        .flatten()
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

/// Zeroes a node's gradient slot, if it has one (a node no contribution reached).
#[inline]
fn zero_grad<T: Real>(grads: &mut [T], node: &Node<T>) {
    if node.grad != NONE_OFFSET {
        let start = node.grad as usize;
        if let Some(g) = grads.get_mut(start..start + node.len as usize) {
            g.fill(T::zero());
        }
    }
}
