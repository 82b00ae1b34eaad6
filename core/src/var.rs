//! Variables: `Copy` handles to the nodes of a graph.

use core::fmt;
use core::marker::PhantomData;

use nalgebra::SMatrix;

use crate::graph::{Grads, Handle, Record, Spec};
use crate::node::{BackwardFn, NONE};
use crate::tape::NONE_OFFSET;
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarId<const R: usize, const C: usize> {
    pub(crate) grad: u32,
    pub(crate) generation: u32,
    _shape: PhantomData<[(); 0]>,
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
            grad: self.grad,
            generation: self.graph.generation(),
            _shape: PhantomData,
        }
    }

    /// Appends an operation of one input to the graph. `forward(x, out)` computes the
    /// value; `backward` is the operation's vector-Jacobian product.
    #[inline]
    pub(crate) fn unary<const R2: usize, const C2: usize>(
        self,
        backward: BackwardFn<T>,
        param: T,
        mut forward: impl FnMut(&[T], &mut [T]),
    ) -> Var<'g, T, R2, C2> {
        let spec = Spec {
            inputs: [self.node, NONE],
            tracked: self.is_tracked(),
            len: R2 * C2,
            backward,
            param,
        };
        let h = if self.node == NONE {
            Handle::INVALID
        } else {
            self.graph.push(spec, &mut |a, _, out| forward(a, out))
        };
        Var::from_handle(self.graph, h)
    }

    /// Appends an operation of two inputs. Both must belong to the same graph; if not,
    /// the graph is poisoned with [`Error::Busy`].
    #[inline]
    pub(crate) fn binary<const R1: usize, const C1: usize, const R2: usize, const C2: usize>(
        self,
        other: Var<'g, T, R1, C1>,
        backward: BackwardFn<T>,
        param: T,
        mut forward: impl FnMut(&[T], &[T], &mut [T]),
    ) -> Var<'g, T, R2, C2> {
        if !core::ptr::addr_eq(self.graph, other.graph) {
            self.graph.fail(Error::Busy);
            other.graph.fail(Error::Busy);
            return Var::from_handle(self.graph, Handle::INVALID);
        }
        let spec = Spec {
            inputs: [self.node, other.node],
            tracked: self.is_tracked() || other.is_tracked(),
            len: R2 * C2,
            backward,
            param,
        };
        let h = if self.node == NONE || other.node == NONE {
            Handle::INVALID
        } else {
            self.graph.push(spec, &mut forward)
        };
        Var::from_handle(self.graph, h)
    }
}

impl<'g, T: Real> Var<'g, T, 1, 1> {
    /// Runs backpropagation from this scalar: one reverse sweep computes its gradient with
    /// respect to every variable of the graph. Gradients sum where a value fans out.
    ///
    /// # Errors
    ///
    /// The error that poisoned the graph ([`Error::Capacity`] if an operation did not
    /// fit: no gradient is ever computed from a partial graph), or [`Error::Busy`] if the
    /// gradients of an earlier backward pass are still borrowed.
    pub fn backward(&self) -> Result<Grads<'g, T>, Error> {
        if self.node == NONE {
            // Only a failed operation makes an invalid variable, and it poisoned the graph.
            return Err(self.graph.backward(NONE).err().unwrap_or(Error::Busy));
        }
        let grads = self.graph.backward(self.node)?;
        Ok(Grads {
            grads,
            generation: self.graph.generation(),
        })
    }

    /// The value of a scalar.
    pub fn scalar(&self) -> T {
        self.value()[(0, 0)]
    }
}
