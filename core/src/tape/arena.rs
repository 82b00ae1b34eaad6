//! The fixed-capacity tape: storage for one computational graph at a time.
//!
//! The tape owns a pool of `SCALARS` scalars and a table of `NODES` nodes, all inline: it
//! can live in a `static` (its [`Tape::new`] is a `const fn` whose bytes are all zero, so
//! it lands in `.bss` and the linker checks it against the memory map), on the stack, or
//! in a struct. It knows nothing about individual operations: a node is a backward
//! function pointer plus the offsets of its value and gradient in the pool. Recording
//! happens through a [`Graph`](super::Graph), which borrows the tape together with the caller's
//! parameters; once the graph is gone, the gradients stay readable in place
//! ([`Tape::grad`]) while the parameters are free to be updated.
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
//! The layers of [`nn`](crate::nn) add these up at compile time. For an ad-hoc graph,
//! record it once on a small tape: the [`Error::Capacity`] it returns states the whole
//! graph's need, because recording goes on counting after an overflow.
//!
//! # A large tape on the host
//!
//! `Box::new(Tape::new())` builds the tape on the stack first, which overflows it in a
//! debug build for tapes of megabytes. Put a large tape in a `static` instead (it is
//! zero-initialised, so it costs no binary size), or build it on a thread with a larger
//! stack (`std::thread::Builder::stack_size`).

use core::cell::Cell;

use nalgebra::SMatrixView;

use super::node::{Node, NONE, NONE_OFFSET};
use super::var::VarId;
use crate::{Error, Real};

/// How much of a tape is, or was, in use (or is needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Usage {
    /// Scalars of the pool.
    pub scalars: usize,
    /// Nodes.
    pub nodes: usize,
}

impl Usage {
    /// No scalars, no nodes.
    pub const ZERO: Usage = Usage {
        scalars: 0,
        nodes: 0,
    };

    /// `self + other`, in a `const` context (for sizes computed by the compiler).
    pub const fn plus(self, other: Usage) -> Usage {
        Usage {
            scalars: self.scalars + other.scalars,
            nodes: self.nodes + other.nodes,
        }
    }

    /// Whether `self` fits in `capacity` (both resources).
    pub const fn fits_in(self, capacity: Usage) -> bool {
        self.scalars <= capacity.scalars && self.nodes <= capacity.nodes
    }
}

/// Whether [`Tape::append`] computes a node's value after storing the node (on a host,
/// x86-64 and AArch64) or before.
const VALUE_LAST: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// The most nodes for which a backward pass clears every written flag of the tape, not
/// only those of the nodes in use (one fixed-size clear the compiler writes in line).
const SMALL_TABLE: usize = 64;

/// What poisoned the current graph (0: nothing). A code rather than an `Option<Error>`
/// so that a fresh tape's bytes are all zero.
const POISON_NONE: u8 = 0;
const POISON_CAPACITY: u8 = 1;
const POISON_GRADS_BORROWED: u8 = 2;
const POISON_FOREIGN: u8 = 3;
const POISON_INTERNAL: u8 = 4;
const POISON_EXHAUSTED: u8 = 5;
const POISON_NO_FORWARD: u8 = 6;
const POISON_NOT_RECORDED: u8 = 7;
const POISON_UNBOUND: u8 = 8;

/// A fixed-capacity reverse-mode tape with `SCALARS` scalars and `NODES` nodes, all
/// stored inline (no heap).
///
/// ```
/// use stackgrad::nalgebra::{Matrix2, Vector2};
/// use stackgrad::Tape;
///
/// let w0 = Matrix2::new(1.0, 2.0, 3.0, 4.0);
/// let x0 = Vector2::new(1.0, -1.0);
/// let mut tape: Tape<f64, 64, 8> = Tape::new();
/// let g = tape.graph();
/// let w = g.param(&w0);
/// let x = g.constant(&x0);
/// let s = (w * x).tanh().sum();
/// let grads = s.backward()?;
/// let dw = grads.wrt(w)?; // 2×2, the shape of w, read in place
/// assert!((dw[(0, 0)] - (1.0 - (-1.0f64).tanh().powi(2))).abs() < 1e-12);
/// # Ok::<(), stackgrad::Error>(())
/// ```
///
/// A tape can be a `static` (zero-initialised, in `.bss`):
///
/// ```
/// use stackgrad::Tape;
/// static TAPE: std::sync::Mutex<Tape<f32, 4096, 64>> = std::sync::Mutex::new(Tape::new());
/// let mut tape = TAPE.lock().unwrap();
/// assert_eq!(tape.graph().used().nodes, 0);
/// ```
pub struct Tape<T: 'static, const SCALARS: usize, const NODES: usize> {
    pool: [T; SCALARS],
    nodes: [Node<T>; NODES],
    /// During a backward pass: whether a node's gradient has been written yet. A node
    /// nobody wrote to has a zero gradient and its backward rule is skipped.
    written: [bool; NODES],
    /// Nodes in use.
    len: usize,
    /// Gradients occupy `pool[..grad_end]`, growing up.
    grad_end: usize,
    /// Values occupy the last `value_len` scalars of the pool, growing down.
    value_len: usize,
    /// What the current graph recorded but did not store (after an overflow, or on a
    /// poisoned graph): its need is its usage plus this. Nothing is counted per node
    /// while everything fits.
    extra: Usage,
    /// The highest usage of graphs before the current one.
    high: Usage,
    /// This tape's identity, drawn from a global counter when it records its first graph
    /// (0 until then, or if the counter is exhausted), and again whenever `generation`
    /// has used up its range. With `generation`, it stamps every [`VarId`]: no two
    /// graphs of a process share a stamp.
    serial: u64,
    /// The serial this tape had before its last new identity (0 if none): its ids read
    /// as [`Error::Stale`], not as another tape's.
    retired: u64,
    /// Incremented by every new graph.
    generation: u32,
    /// After a backward pass on the current graph: the end of the gradients it computed
    /// (`pool[..grads_done]`); 0 before.
    grads_done: usize,
    /// Whether a backward pass has run on the current graph.
    backward_done: bool,
    /// What poisoned the current graph (a `POISON_*` code). A `Cell`, so a failure is
    /// recorded even while the gradients are borrowed.
    poison: Cell<u8>,
    /// One more than the index of the node the last successful backward pass of the
    /// recording started from, 0 before one (so that an empty tape is all zero bytes,
    /// in `.bss`): what [`Tape::replay`] computes again.
    root: u16,
    /// Whether a node's value was computed by a caller's closure rather than its op's
    /// forward function: such a graph cannot be replayed.
    opaque: bool,
}

impl<T: Real, const SCALARS: usize, const NODES: usize> Default for Tape<T, SCALARS, NODES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static, const SCALARS: usize, const NODES: usize> core::fmt::Debug
    for Tape<T, SCALARS, NODES>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tape")
            .field("capacity", &(SCALARS, NODES))
            .field("nodes", &self.len)
            .field("scalars", &(self.grad_end + self.value_len))
            .field("backward_done", &self.backward_done)
            .field("poisoned", &(self.poison.get() != POISON_NONE))
            .finish()
    }
}

/// The next tape identity, or 0 when none is left. The counter never wraps: a serial
/// handed out once is never handed out again.
fn next_serial() -> u64 {
    use core::sync::atomic::Ordering::Relaxed;
    // 64 bits where the target has 64-bit atomics: at a billion tapes a second, they
    // last five centuries.
    #[cfg(target_has_atomic = "64")]
    {
        use core::sync::atomic::AtomicU64;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_update(Relaxed, Relaxed, |s| s.checked_add(1))
            .unwrap_or(0)
    }
    #[cfg(all(not(target_has_atomic = "64"), target_has_atomic = "32"))]
    {
        use core::sync::atomic::AtomicU32;
        static NEXT: AtomicU32 = AtomicU32::new(1);
        NEXT.fetch_update(Relaxed, Relaxed, |s| s.checked_add(1))
            .map_or(0, u64::from)
    }
    // Cores without atomic read-modify-write (Cortex-M0) are single-core; a graph started
    // inside an interrupt handler at the same instant as one in thread mode could draw
    // the same serial, which is why ids also carry a per-tape generation.
    #[cfg(not(target_has_atomic = "32"))]
    {
        use core::sync::atomic::AtomicU32;
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let s = NEXT.load(Relaxed);
        match s.checked_add(1) {
            Some(n) => {
                NEXT.store(n, Relaxed);
                u64::from(s)
            }
            None => 0,
        }
    }
}

impl<T: Real, const SCALARS: usize, const NODES: usize> Tape<T, SCALARS, NODES> {
    /// An empty tape, as a constant: every byte is zero, so `static TAPE: … = Tape::new()`
    /// lands in `.bss`. Node indices are `u16` and offsets `u32`, so `NODES` must be
    /// below 65535 and `SCALARS` below 2³²−1; both are checked at compile time.
    pub const fn new() -> Self {
        const {
            assert!(NODES < NONE as usize, "NODES must be below 65535");
            assert!(SCALARS < u32::MAX as usize, "SCALARS must fit in a u32");
        }
        Tape {
            pool: [T::ZERO; SCALARS],
            nodes: [Node::EMPTY; NODES],
            written: [false; NODES],
            len: 0,
            grad_end: 0,
            value_len: 0,
            extra: Usage::ZERO,
            high: Usage::ZERO,
            serial: 0,
            retired: 0,
            generation: 0,
            grads_done: 0,
            backward_done: false,
            poison: Cell::new(POISON_NONE),
            root: 0,
            opaque: false,
        }
    }

    /// Forgets the recorded graph (O(1)): usage drops to zero, an error is cleared,
    /// gradients and [`VarId`]s of the old graph become stale. The high-water mark is
    /// kept.
    pub fn reset(&mut self) {
        self.reset_with(next_serial);
    }

    /// [`Tape::reset`], drawing a new identity from `next` when one is needed.
    fn reset_with(&mut self, next: fn() -> u64) {
        self.high = self.high_water();
        self.len = 0;
        self.grad_end = 0;
        self.value_len = 0;
        self.extra = Usage::ZERO;
        self.root = 0;
        self.opaque = false;
        self.new_generation(next);
    }

    /// A new graph's stamp: a new generation (or identity), no backward pass, no poison.
    fn new_generation(&mut self, next: fn() -> u64) {
        if self.serial == 0 || self.generation == u32::MAX {
            // A new identity rather than a wrapped generation: an id of the graph 2³²
            // graphs ago must read as stale, not as the new graph's.
            self.retired = self.serial;
            self.serial = next();
            self.generation = 0;
        }
        self.generation += 1;
        self.grads_done = 0;
        self.backward_done = false;
        self.poison.set(if self.serial == 0 {
            POISON_EXHAUSTED
        } else {
            POISON_NONE
        });
    }

    /// What the current graph uses in the tape (after an overflow, what was stored
    /// before it).
    pub fn used(&self) -> Usage {
        Usage {
            scalars: self.grad_end + self.value_len,
            nodes: self.len,
        }
    }

    /// What the current graph needs: its usage, plus everything recorded after an
    /// overflow (counted, not stored).
    pub fn needed(&self) -> Usage {
        let used = self.used();
        Usage {
            scalars: used.scalars + self.extra.scalars,
            nodes: used.nodes + self.extra.nodes,
        }
    }

    /// The most any graph on this tape has needed, across resets: size a tape by
    /// running one step on a generous tape and reading this.
    pub fn high_water(&self) -> Usage {
        let needed = self.needed();
        Usage {
            scalars: self.high.scalars.max(needed.scalars),
            nodes: self.high.nodes.max(needed.nodes),
        }
    }

    /// The capacity, `SCALARS` and `NODES`.
    pub const fn capacity(&self) -> Usage {
        Usage {
            scalars: SCALARS,
            nodes: NODES,
        }
    }

    /// The error that poisoned the current graph, if any. It stays after the graph is
    /// dropped, until the next graph starts.
    #[inline]
    pub fn error(&self) -> Option<Error> {
        match self.poison.get() {
            POISON_NONE => None,
            code => Some(self.poison_error(code)),
        }
    }

    /// The error a poison code stands for: out of line, so that the test every
    /// recording step makes for "not poisoned" is one comparison, not a jump table.
    #[cold]
    #[inline(never)]
    fn poison_error(&self, code: u8) -> Error {
        match code {
            POISON_CAPACITY => Error::Capacity {
                needed: self.needed(),
                capacity: self.capacity(),
            },
            POISON_GRADS_BORROWED => Error::GradsBorrowed,
            POISON_FOREIGN => Error::Foreign,
            POISON_EXHAUSTED => Error::Exhausted,
            POISON_NO_FORWARD => Error::NoForward,
            POISON_NOT_RECORDED => Error::NotRecorded,
            POISON_UNBOUND => Error::Unbound,
            _ => Error::Internal,
        }
    }

    /// Poisons the current graph with `e` unless it is already poisoned.
    pub(crate) fn fail(&self, e: Error) {
        if self.poison.get() == POISON_NONE {
            self.poison.set(match e {
                Error::Capacity { .. } => POISON_CAPACITY,
                Error::GradsBorrowed => POISON_GRADS_BORROWED,
                Error::Foreign => POISON_FOREIGN,
                Error::Exhausted => POISON_EXHAUSTED,
                Error::NoForward => POISON_NO_FORWARD,
                Error::NotRecorded => POISON_NOT_RECORDED,
                Error::Unbound => POISON_UNBOUND,
                _ => POISON_INTERNAL,
            });
        }
    }

    /// The identity that stamps this graph's ids: `(serial, generation)`.
    pub(crate) fn stamp(&self) -> (u64, u32) {
        (self.serial, self.generation)
    }

    /// The gradient of the last backward pass with respect to the variable `id` (from
    /// [`Var::id`](crate::Var::id)), read in place after its graph is gone: the one way
    /// to read a gradient once the graph has been dropped.
    ///
    /// # Errors
    ///
    /// - [`Error::Foreign`]: the id belongs to another tape;
    /// - [`Error::Stale`]: the id is from an older graph of this tape;
    /// - [`Error::NoBackward`]: no backward pass has run on the graph (or it failed), or
    ///   the variable was recorded after it;
    /// - [`Error::Untracked`]: the variable is a constant.
    pub fn grad<const R: usize, const C: usize>(
        &self,
        id: VarId<R, C>,
    ) -> Result<SMatrixView<'_, T, R, C>, Error> {
        let s = self.grad_of(id.tape, id.generation, id.grad, R * C)?;
        super::node::view::<T, R, C>(s).ok_or(Error::Internal)
    }

    /// [`Tape::grad`] as a column-major slice (what an optimizer steps through).
    pub(crate) fn grad_slice<const R: usize, const C: usize>(
        &self,
        id: VarId<R, C>,
    ) -> Result<&[T], Error> {
        self.grad_of(id.tape, id.generation, id.grad, R * C)
    }

    /// [`Tape::grad`], mutable: for clipping gradients in place before a step.
    pub(crate) fn grad_mut<const R: usize, const C: usize>(
        &mut self,
        id: VarId<R, C>,
    ) -> Result<&mut [T], Error> {
        self.grad_of_mut(id.tape, id.generation, id.grad, R * C)
    }

    /// Checks an id's stamp and finds its gradient slot.
    pub(crate) fn slot(
        &self,
        tape: u64,
        generation: u32,
        grad: u32,
        len: usize,
    ) -> Result<core::ops::Range<usize>, Error> {
        if tape == self.retired && tape != 0 {
            return Err(Error::Stale);
        }
        if tape != self.serial || self.serial == 0 {
            return Err(Error::Foreign);
        }
        if generation != self.generation {
            return Err(Error::Stale);
        }
        if grad == NONE_OFFSET {
            return Err(Error::Untracked);
        }
        if !self.backward_done {
            return Err(Error::NoBackward);
        }
        let start = grad as usize;
        let end = start.checked_add(len).ok_or(Error::Internal)?;
        if end > self.grads_done {
            return Err(Error::NoBackward);
        }
        Ok(start..end)
    }

    /// The gradient slot of an id, by its parts.
    pub(crate) fn grad_of(
        &self,
        tape: u64,
        generation: u32,
        grad: u32,
        len: usize,
    ) -> Result<&[T], Error> {
        let r = self.slot(tape, generation, grad, len)?;
        self.pool.get(r).ok_or(Error::Internal)
    }

    /// The gradient slot of an id, by its parts, mutable (for clipping before a step).
    pub(crate) fn grad_of_mut(
        &mut self,
        tape: u64,
        generation: u32,
        grad: u32,
        len: usize,
    ) -> Result<&mut [T], Error> {
        let r = self.slot(tape, generation, grad, len)?;
        self.pool.get_mut(r).ok_or(Error::Internal)
    }

    // ----- recording, for `Graph` -----

    /// Counts a node that needs `value_len + grad_len` scalars and checks that it fits.
    /// On overflow, poisons the graph; a node not stored is counted in `extra`.
    fn reserve(&mut self, value_len: usize, grad_len: usize) -> Result<(), Error> {
        if self.poison.get() != POISON_NONE {
            self.count_unstored(value_len + grad_len);
            return Err(self.error().unwrap_or(Error::Internal));
        }
        let free = SCALARS - self.grad_end - self.value_len;
        if self.len >= NODES || value_len + grad_len > free {
            self.count_unstored(value_len + grad_len);
            let e = Error::Capacity {
                needed: self.needed(),
                capacity: self.capacity(),
            };
            self.fail(e);
            return Err(e);
        }
        Ok(())
    }

    /// Counts a node recorded after a failure (nothing is stored).
    pub(crate) fn count(&mut self, len: usize, tracked: bool) {
        self.count_unstored(len + if tracked { len } else { 0 });
    }

    /// Adds a node of `scalars` that was not stored to what the graph needs.
    fn count_unstored(&mut self, scalars: usize) {
        self.extra.nodes += 1;
        self.extra.scalars += scalars;
    }

    /// Appends a node that stores a value of `node.len` scalars in the pool (`write`
    /// fills it, given the values below it). Returns its index and gradient offset.
    #[inline]
    pub(crate) fn append(
        &mut self,
        mut node: Node<T>,
        tracked: bool,
        write: impl FnOnce(&mut [T], &[T], usize, &[Node<T>]),
    ) -> Result<(u16, u32), Error> {
        let len = node.len as usize;
        let grad_len = if tracked { len } else { 0 };
        self.reserve(len, grad_len)?;
        let index = self.len;
        // Values grow down, so every existing value lies in `hi` and the new one at the
        // end of `lo`.
        let split = SCALARS - self.value_len;
        let vstart = split - len;
        let (lo, hi) = self
            .pool
            .split_at_mut_checked(split)
            .ok_or(Error::Internal)?;
        let out = lo.get_mut(vstart..).ok_or(Error::Internal)?;
        // The nodes so far (for the values `write` reads) and the new one's slot.
        let (below, slot) = self
            .nodes
            .split_at_mut_checked(index)
            .ok_or(Error::Internal)?;
        let slot = slot.first_mut().ok_or(Error::Internal)?;
        node.value = vstart as u32;
        node.grad = if tracked {
            self.grad_end as u32
        } else {
            NONE_OFFSET
        };
        // `write` sees only the nodes below (split off above), so the node may be stored
        // before or after its value is computed. On a host, before: nothing is left to do
        // after the call, so less is kept across it (the 8×20 window's recorded gradient:
        // 10 instructions fewer). On the Cortex-M4F that order cost the 4-8-3 step 155.
        let (index, grad) = (index as u16, node.grad);
        let mut store = || {
            *slot = node;
            self.len += 1;
            self.grad_end += grad_len;
            self.value_len += len;
        };
        if VALUE_LAST {
            store();
            write(out, hi, split, below);
        } else {
            write(out, hi, split, below);
            store();
        }
        Ok((index, grad))
    }

    /// Appends a leaf that borrows its value (nothing of it is stored in the pool): the
    /// most common node, without [`Tape::append`]'s value bookkeeping.
    #[inline]
    pub(crate) fn append_borrowed(
        &mut self,
        len: usize,
        rows: usize,
        tracked: bool,
    ) -> Result<(u16, u32), Error> {
        let grad_len = if tracked { len } else { 0 };
        self.reserve(0, grad_len)?;
        let grad = if tracked {
            self.grad_end as u32
        } else {
            NONE_OFFSET
        };
        let index = self.len;
        *self.nodes.get_mut(index).ok_or(Error::Internal)? = Node {
            value: NONE_OFFSET,
            grad,
            len: len as u32,
            rows: rows as u32,
            ..Node::EMPTY
        };
        self.len += 1;
        self.grad_end += grad_len;
        Ok((index as u16, grad))
    }

    /// The pool split for a backward pass: gradients below, values above (starting at
    /// the returned offset), with the nodes and their written flags.
    #[allow(clippy::type_complexity)]
    pub(crate) fn sweep_parts(
        &mut self,
    ) -> Result<(&mut [T], &[T], usize, &[Node<T>], &mut [bool]), Error> {
        let split = self.grad_end;
        let (grads, values) = self
            .pool
            .split_at_mut_checked(split)
            .ok_or(Error::Internal)?;
        let nodes = self.nodes.get(..self.len).ok_or(Error::Internal)?;
        // Cleared for the pass: a small table whole (a few stores in line, no `memset`
        // call), a large one up to the nodes in use.
        if NODES <= SMALL_TABLE {
            self.written = [false; NODES];
        }
        let written = self.written.get_mut(..self.len).ok_or(Error::Internal)?;
        if NODES > SMALL_TABLE {
            written.fill(false);
        }
        Ok((grads, values, split, nodes, written))
    }

    /// Marks the gradients computed by a finished backward pass as readable.
    pub(crate) fn finish_backward(&mut self, root: u16) {
        self.grads_done = self.grad_end;
        self.backward_done = true;
        // Node indices are below `NONE` (65535), so one more fits.
        self.root = root.saturating_add(1);
    }

    /// Whether the recorded graph can be replayed ([`Tape::replay`] would not refuse).
    pub(crate) fn can_replay(&self) -> bool {
        self.root != 0 && !self.opaque && self.poison.get() == POISON_NONE
    }

    /// Marks the graph as holding a value a caller's closure computed (not replayable).
    pub(crate) fn mark_opaque(&mut self) {
        self.opaque = true;
    }

    /// Starts a replay of the recorded graph: a new generation over the same nodes and
    /// offsets, with no backward pass yet. Returns the node to replay up to, or why the
    /// graph cannot be replayed (the tape is then poisoned with it).
    pub(crate) fn start_replay(&mut self) -> Result<u16, Error> {
        self.high = self.high_water();
        self.new_generation(next_serial);
        let e = if self.poison.get() != POISON_NONE {
            return Err(self.error().unwrap_or(Error::Internal));
        } else if self.root == 0 {
            Error::NotRecorded
        } else if self.opaque {
            Error::NoForward
        } else {
            return Ok(self.root - 1);
        };
        self.fail(e);
        Err(e)
    }

    /// The pool and the recorded nodes, for a replay's forward pass.
    pub(crate) fn pool_mut_and_nodes(&mut self) -> (&mut [T], &[Node<T>]) {
        (&mut self.pool, self.nodes.get(..self.len).unwrap_or(&[]))
    }

    /// The whole pool and the nodes, for reading values.
    pub(crate) fn pool_and_nodes(&self) -> (&[T], &[Node<T>]) {
        (&self.pool, self.nodes.get(..self.len).unwrap_or(&[]))
    }

    /// Whether a backward pass has run on the current graph.
    pub(crate) fn backward_done(&self) -> bool {
        self.backward_done
    }

    /// The gradient region of the last backward pass.
    pub(crate) fn grads_region(&self) -> &[T] {
        self.pool.get(..self.grads_done).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Matrix1;

    #[test]
    fn a_fresh_tape_is_a_constant() {
        let t = const { Tape::<f32, 16, 4>::new() };
        assert_eq!(t.used(), Usage::ZERO);
        assert_eq!(t.error(), None);
    }

    #[test]
    fn ids_stay_stale_when_the_generation_runs_out() {
        let x0 = Matrix1::new(2.0);
        let mut t: Tape<f64, 8, 4> = Tape::new();
        t.reset();
        // 2³² graphs take seconds (reset is O(1)); start just before the end of the range.
        t.generation = u32::MAX - 1;
        let mut ids = [VarId::<1, 1>::default(); 3];
        for id in ids.iter_mut() {
            let g = t.graph();
            let x = g.param(&x0);
            let _ = x.square().backward().unwrap();
            *id = x.id();
        }
        // The second graph has a new identity; the graphs before the last are stale, never read
        // as the new graph's gradient (which sits at the same offset).
        assert_eq!(ids[0].grad, ids[2].grad);
        assert_eq!(t.grad(ids[0]).err(), Some(Error::Stale));
        assert_eq!(t.grad(ids[1]).err(), Some(Error::Stale));
        assert_eq!(t.grad(ids[2]).unwrap()[(0, 0)], 4.0);
        assert_ne!(ids[1].tape, ids[0].tape);
    }

    #[test]
    fn a_tape_without_an_identity_refuses_to_record() {
        // What happens once a target without 64-bit atomics has handed out 2³² serials.
        let x0 = Matrix1::new(2.0);
        let mut t: Tape<f64, 8, 4> = Tape::new();
        t.reset_with(|| 0);
        assert_eq!(t.error(), Some(Error::Exhausted));
        let id = {
            let g = crate::Graph::new(&mut t);
            let x = g.param(&x0);
            assert_eq!(x.square().backward().err(), Some(Error::Exhausted));
            x.id()
        };
        assert_eq!(t.grad(id).err(), Some(Error::Foreign));
    }

    #[test]
    fn tape_serials_are_wide() {
        // 2³² tapes in one process must not reuse a serial: serials are 64-bit wherever
        // the target has 64-bit atomics (the host), and saturate (Error::Exhausted)
        // where it does not.
        let id = VarId::<1, 1>::default();
        assert_eq!(core::mem::size_of_val(&id.tape), 8);
        let (a, b) = (next_serial(), next_serial());
        assert!(a != 0 && b > a);
    }

    #[test]
    fn an_impossible_slot_is_an_internal_error() {
        let x0 = Matrix1::new(2.0);
        let mut t: Tape<f64, 8, 4> = Tape::new();
        {
            let g = t.graph();
            let _ = g.param(&x0).square().backward().unwrap();
        }
        let (serial, generation) = t.stamp();
        // An offset whose end overflows: only a corrupted id could carry it.
        assert_eq!(
            t.slot(serial, generation, 1, usize::MAX),
            Err(Error::Internal)
        );
        t.fail(Error::Internal);
        assert_eq!(t.error(), Some(Error::Internal));
    }
}
