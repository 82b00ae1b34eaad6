//! Variables: `Copy` handles to the nodes of a graph.

use core::fmt;

use nalgebra::SMatrix;

use super::node::{Op, NONE, NONE_OFFSET};
use super::record::{Handle, Record, Spec};
use crate::{Error, Real};

/// An `R×C` matrix in a graph: a parameter, a constant, or the result of an operation.
///
/// A `Var` is a small `Copy` handle; the operations on it are in [`crate::ops`]. Shapes
/// are types: a product of incompatible shapes does not compile.
///
/// ```compile_fail
/// use stackgrad::nalgebra::SMatrix;
/// use stackgrad::Tape;
/// let a0 = SMatrix::<f32, 3, 4>::zeros();
/// let mut tape: Tape<f32, 64, 8> = Tape::new();
/// let g = tape.graph();
/// let a = g.param(&a0);
/// let _ = a * a; // 3×4 times 3×4: does not compile
/// ```
pub struct Var<'g, T, const R: usize, const C: usize> {
    pub(crate) graph: &'g dyn Record<T>,
    pub(crate) node: u16,
    pub(crate) grad: u32,
}

impl<T, const R: usize, const C: usize> Clone for Var<'_, T, R, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, const R: usize, const C: usize> Copy for Var<'_, T, R, C> {}

impl<T, const R: usize, const C: usize> fmt::Debug for Var<'_, T, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Var<{R}×{C}>(node {})", self.node)
    }
}

/// A lifetime-free name for a variable, to read its gradient from the
/// [`Tape`](crate::Tape) after the graph is gone ([`Tape::grad`](crate::Tape::grad)).
///
/// It knows its tape and its graph: read on another tape it gives [`Error::Foreign`], and
/// after its tape has started a new graph, [`Error::Stale`]; never another variable's
/// numbers.
///
/// `VarId::default()` belongs to no tape: every read of it is [`Error::Foreign`].
///
/// ```
/// use stackgrad::nalgebra::Vector2;
/// use stackgrad::{Error, Tape};
///
/// let mut w = Vector2::new(1.0, -1.0);
/// let (mut a, mut b): (Tape<f64, 16, 4>, Tape<f64, 16, 4>) = (Tape::new(), Tape::new());
/// let id = {
///     let g = a.graph();
///     let v = g.param(&w);
///     v.norm_squared().backward()?;
///     v.id()
/// };
/// w -= 0.1 * a.grad(id)?; // the graph is gone: `w` can be written
/// assert_eq!(b.grad(id).err(), Some(Error::Foreign)); // another tape
/// a.reset();
/// assert_eq!(a.grad(id).err(), Some(Error::Stale)); // a newer graph
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VarId<const R: usize, const C: usize> {
    /// The tape's serial number (unique per tape, never 0).
    pub(crate) tape: u64,
    /// The tape's graph counter when the variable was recorded.
    pub(crate) generation: u32,
    /// The gradient's offset in the pool, or `NONE_OFFSET` if untracked.
    pub(crate) grad: u32,
    /// The address of the matrix a leaf borrowed (0 for an operation or a copied
    /// constant): an optimizer checks that the id is paired with that very parameter.
    pub(crate) source: usize,
}

impl<const R: usize, const C: usize> VarId<R, C> {
    /// Whether the variable is a leaf that borrowed `m` ([`Graph::param`](crate::Graph::param)
    /// or [`Graph::constant`](crate::Graph::constant) of `m`, which has not moved since).
    pub fn borrowed_from<T>(&self, m: &nalgebra::SMatrix<T, R, C>) -> bool {
        self.source != 0 && self.source == m.as_ptr().addr()
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    pub(crate) fn from_handle(graph: &'g dyn Record<T>, h: Handle) -> Self {
        Var {
            graph,
            node: h.node,
            grad: h.grad,
        }
    }

    /// `true` if the variable depends on a parameter (it has a gradient).
    pub fn is_tracked(&self) -> bool {
        self.grad != NONE_OFFSET
    }

    /// `false` if the variable came out of a failed operation (see
    /// [`Graph::error`](crate::Graph::error)).
    pub fn is_valid(&self) -> bool {
        self.node != NONE
    }

    /// The value, copied out. All NaN if the variable is invalid.
    pub fn value(&self) -> SMatrix<T, R, C> {
        let mut m = SMatrix::<T, R, C>::zeros();
        if !self.graph.read(self.node, m.as_mut_slice()) {
            m.fill(T::nan());
        }
        m
    }

    /// A lifetime-free id of this variable, for [`Tape::grad`](crate::Tape::grad).
    pub fn id(&self) -> VarId<R, C> {
        VarId {
            source: self.graph.source(self.node),
            ..self.stamped()
        }
    }

    /// The id without the source look-up: enough to find the gradient slot.
    pub(crate) fn stamped(&self) -> VarId<R, C> {
        let (tape, generation) = self.graph.stamp();
        VarId {
            tape,
            generation,
            grad: self.grad,
            source: 0,
        }
    }

    /// A custom operation of one input with an `R2×C2` output: `forward(x, out)` writes
    /// the value from the input (both column-major slices), and `op` names the operation
    /// and carries its backward rule, the vector-Jacobian product, which gets a
    /// [`Backward`](crate::ops::Backward) context.
    /// `attr` is a scalar the rule can read back ([`Backward::attr`]). The crate's own
    /// operations are written the same way. Check a new rule with `stackgrad-std`'s
    /// `check_gradient`.
    ///
    /// [`Backward::attr`]: crate::ops::Backward::attr
    ///
    /// ```
    /// use stackgrad::nalgebra::Vector3;
    /// use stackgrad::ops::{Backward, Op};
    /// use stackgrad::{Real, Tape};
    ///
    /// /// `y = x³` element-wise: `∂/∂x = 3x²·Ḡ`.
    /// fn cube_backward<T: Real>(b: &mut Backward<'_, T>) {
    ///     let (x, up) = (b.input(0), b.upstream());
    ///     let three = T::constant(3.0);
    ///     b.accumulate(0, x.iter().zip(up).map(|(&x, &u)| three * x * x * u));
    /// }
    ///
    /// let x0 = Vector3::new(1.0, -2.0, 0.5);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let x = g.param(&x0);
    /// let cube = &const { Op::new("cube", cube_backward::<f64>) }; // a `static`, made by the compiler
    /// let y = x.custom_unary::<3, 1>(cube, 0.0, |x, out| {
    ///     for (o, &v) in out.iter_mut().zip(x) {
    ///         *o = v * v * v;
    ///     }
    /// });
    /// let grads = y.sum().backward()?;
    /// assert_eq!(grads.wrt(x)?, Vector3::new(3.0, 12.0, 0.75));
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    ///
    /// `forward` runs while nothing of the graph is borrowed: it may read any variable's
    /// value ([`Var::value`]) and even record operations of its own, which land before
    /// the custom one. It reads a copy of the input and writes into an `R2×C2` matrix,
    /// both on the stack, which the tape then copies.
    #[inline]
    pub fn custom_unary<const R2: usize, const C2: usize>(
        self,
        op: &'static Op<T>,
        attr: T,
        mut forward: impl FnMut(&[T], &mut [T]),
    ) -> Var<'g, T, R2, C2> {
        let mut out = SMatrix::<T, R2, C2>::zeros();
        if self.is_valid() {
            let mut x = SMatrix::<T, R, C>::zeros();
            if self.graph.read(self.node, x.as_mut_slice()) {
                forward(x.as_slice(), out.as_mut_slice());
            } else {
                self.graph.fail(Error::Internal);
            }
        }
        self.unary(op, attr, |_, o| copy(o, out.as_slice()))
    }

    /// A custom operation of two inputs (`self` is input 0, `other` input 1) with an
    /// `R2×C2` output: as [`Var::custom_unary`], with `forward(a, b, out)`. Both inputs
    /// must belong to the same graph (else [`Error::Foreign`]).
    #[inline]
    pub fn custom_binary<const R1: usize, const C1: usize, const R2: usize, const C2: usize>(
        self,
        other: Var<'g, T, R1, C1>,
        op: &'static Op<T>,
        attr: T,
        mut forward: impl FnMut(&[T], &[T], &mut [T]),
    ) -> Var<'g, T, R2, C2> {
        let mut out = SMatrix::<T, R2, C2>::zeros();
        if self.is_valid() && other.is_valid() && core::ptr::addr_eq(self.graph, other.graph) {
            let mut a = SMatrix::<T, R, C>::zeros();
            let mut b = SMatrix::<T, R1, C1>::zeros();
            if self.graph.read(self.node, a.as_mut_slice())
                && other.graph.read(other.node, b.as_mut_slice())
            {
                forward(a.as_slice(), b.as_slice(), out.as_mut_slice());
            } else {
                self.graph.fail(Error::Internal);
            }
        }
        self.binary(other, op, attr, |_, _, o| copy(o, out.as_slice()))
    }

    /// Appends an operation of one input to the graph. `forward(x, out)` computes the
    /// value; `backward` is the operation's vector-Jacobian product.
    #[inline]
    pub(crate) fn unary<const R2: usize, const C2: usize>(
        self,
        op: &'static Op<T>,
        attr: T,
        mut forward: impl FnMut(&[T], &mut [T]),
    ) -> Var<'g, T, R2, C2> {
        let tracked = self.is_tracked();
        let h = if self.node == NONE {
            self.graph.count(R2 * C2, tracked);
            Handle::invalid(tracked)
        } else {
            let spec = Spec::new(
                op,
                [self.node, NONE, NONE],
                R2 * C2,
                R2,
                [attr, T::zero()],
                tracked,
                false,
            );
            self.graph
                .push(spec, Some(&mut |a, _, out| forward(a, out)))
        };
        Var::from_handle(self.graph, h)
    }

    /// Appends an operation of two inputs. Both must belong to the same graph; if not,
    /// the graph is poisoned with [`Error::Foreign`].
    #[inline]
    pub(crate) fn binary<const R1: usize, const C1: usize, const R2: usize, const C2: usize>(
        self,
        other: Var<'g, T, R1, C1>,
        op: &'static Op<T>,
        attr: T,
        mut forward: impl FnMut(&[T], &[T], &mut [T]),
    ) -> Var<'g, T, R2, C2> {
        let tracked = self.is_tracked() || other.is_tracked();
        if !core::ptr::addr_eq(self.graph, other.graph) {
            return Var::from_handle(self.graph, foreign(&[self.graph, other.graph], tracked));
        }
        let h = if self.node == NONE || other.node == NONE {
            self.graph.count(R2 * C2, tracked);
            Handle::invalid(tracked)
        } else {
            let spec = Spec::new(
                op,
                [self.node, other.node, NONE],
                R2 * C2,
                R2,
                [attr, T::zero()],
                tracked,
                false,
            );
            self.graph.push(spec, Some(&mut forward))
        };
        Var::from_handle(self.graph, h)
    }

    /// An operation of one input with an `R2×C2` output whose value its [`Op`]'s own
    /// forward function computes ([`Op::with_forward`]), with attributes `attr` (0 where
    /// unused; the backward rule reads them back with
    /// [`Backward::attrs`](crate::ops::Backward::attrs)). Every operation of the crate is
    /// recorded this way, and a graph made of such operations can be replayed on new
    /// values of its leaves ([`Tape::replay`](crate::Tape::replay)).
    ///
    /// An `op` without a forward function ([`Op::new`]) records nothing and poisons the
    /// graph with [`Error::NoForward`].
    ///
    /// ```
    /// use stackgrad::nalgebra::Vector3;
    /// use stackgrad::ops::{Backward, Op};
    /// use stackgrad::{Real, Tape};
    ///
    /// /// `y = k·x³` element-wise, `k` the attribute: `∂/∂x = 3k·x²·Ḡ`.
    /// fn cube_forward<T: Real>(x: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    ///     for (o, &v) in out.iter_mut().zip(x) {
    ///         *o = attr[0] * v * v * v;
    ///     }
    /// }
    /// fn cube_backward<T: Real>(b: &mut Backward<'_, T>) {
    ///     let (x, up, k) = (b.input(0), b.upstream(), b.attr());
    ///     let three = T::constant(3.0);
    ///     b.accumulate(0, x.iter().zip(up).map(|(&x, &u)| three * k * x * x * u));
    /// }
    ///
    /// let x0 = Vector3::new(1.0, -2.0, 0.5);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let x = g.param(&x0);
    /// let cube = &const { Op::with_forward("cube", cube_forward::<f64>, cube_backward::<f64>) };
    /// let y = x.apply_unary::<3, 1>(cube, [2.0, 0.0]);
    /// let grads = y.sum().backward()?;
    /// assert_eq!(grads.wrt(x)?, Vector3::new(6.0, 24.0, 1.5));
    /// # Ok::<(), stackgrad::Error>(())
    /// ```
    #[inline]
    pub fn apply_unary<const R2: usize, const C2: usize>(
        self,
        op: &'static Op<T>,
        attr: [T; 2],
    ) -> Var<'g, T, R2, C2> {
        let tracked = self.is_tracked();
        let h = match op.forward() {
            None => {
                self.graph.fail(Error::NoForward);
                Handle::invalid(tracked)
            }
            Some(_) if self.node == NONE => {
                self.graph.count(R2 * C2, tracked);
                Handle::invalid(tracked)
            }
            Some(_) => {
                let spec = Spec::new(
                    op,
                    [self.node, NONE, NONE],
                    R2 * C2,
                    R2,
                    attr,
                    tracked,
                    true,
                );
                self.graph.push(spec, None)
            }
        };
        Var::from_handle(self.graph, h)
    }

    /// An operation of two inputs (`self` is input 0, `other` input 1) whose value its
    /// [`Op`]'s forward function computes: as [`Var::apply_unary`]. Both inputs must
    /// belong to the same graph (else [`Error::Foreign`]).
    #[inline]
    pub fn apply_binary<const R1: usize, const C1: usize, const R2: usize, const C2: usize>(
        self,
        other: Var<'g, T, R1, C1>,
        op: &'static Op<T>,
        attr: [T; 2],
    ) -> Var<'g, T, R2, C2> {
        let tracked = self.is_tracked() || other.is_tracked();
        if !core::ptr::addr_eq(self.graph, other.graph) {
            return Var::from_handle(self.graph, foreign(&[self.graph, other.graph], tracked));
        }
        let h = match op.forward() {
            None => {
                self.graph.fail(Error::NoForward);
                Handle::invalid(tracked)
            }
            Some(_) if self.node == NONE || other.node == NONE => {
                self.graph.count(R2 * C2, tracked);
                Handle::invalid(tracked)
            }
            Some(_) => {
                let spec = Spec::new(
                    op,
                    [self.node, other.node, NONE],
                    R2 * C2,
                    R2,
                    attr,
                    tracked,
                    true,
                );
                self.graph.push(spec, None)
            }
        };
        Var::from_handle(self.graph, h)
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// An operation of three inputs (`self`, `b`, `c`: inputs 0, 1 and 2), for the
    /// crate's fused layers ([`nn::Linear`](crate::nn::Linear) records `W·X + b` as one
    /// node): as [`Var::apply_binary`], with an [`Op`] made by `Op::with_forward3`. All
    /// three inputs must belong to the same graph (else [`Error::Foreign`]).
    ///
    /// Its body is written out as `apply_binary`'s is: one helper shared by the three
    /// `apply_*` methods changed how the compiler inlined recording, and the host's 4-8-3
    /// tape step took 89 instructions more (8 003 → 8 092).
    #[inline]
    pub(crate) fn apply_ternary<
        const R1: usize,
        const C1: usize,
        const R2: usize,
        const C2: usize,
        const R3: usize,
        const C3: usize,
    >(
        self,
        b: Var<'g, T, R1, C1>,
        c: Var<'g, T, R2, C2>,
        op: &'static Op<T>,
        attr: [T; 2],
    ) -> Var<'g, T, R3, C3> {
        let tracked = self.is_tracked() || b.is_tracked() || c.is_tracked();
        if !core::ptr::addr_eq(self.graph, b.graph) || !core::ptr::addr_eq(self.graph, c.graph) {
            return Var::from_handle(
                self.graph,
                foreign(&[self.graph, b.graph, c.graph], tracked),
            );
        }
        let h = match op.forward() {
            None => {
                self.graph.fail(Error::NoForward);
                Handle::invalid(tracked)
            }
            Some(_) if self.node == NONE || b.node == NONE || c.node == NONE => {
                self.graph.count(R3 * C3, tracked);
                Handle::invalid(tracked)
            }
            Some(_) => {
                let spec = Spec::new(
                    op,
                    [self.node, b.node, c.node],
                    R3 * C3,
                    R3,
                    attr,
                    tracked,
                    true,
                );
                self.graph.push(spec, None)
            }
        };
        Var::from_handle(self.graph, h)
    }
}

/// Copies a custom operation's result into its slot (the same length by construction).
/// An operation on variables of different graphs: poisons each graph, and hands out the
/// invalid result's handle. Out of line: no correct program comes here.
#[cold]
#[inline(never)]
fn foreign<T>(graphs: &[&dyn Record<T>], tracked: bool) -> Handle {
    for g in graphs {
        g.fail(Error::Foreign);
    }
    Handle::invalid(tracked)
}

fn copy<T: Copy>(to: &mut [T], from: &[T]) {
    for (t, &f) in to.iter_mut().zip(from) {
        *t = f;
    }
}
