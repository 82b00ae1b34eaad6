//! The gradients of a backward pass while the graph lives ([`Grads`]), and
//! [`Var::backward`], which computes them.

use core::cell::Ref;

use super::node::{NONE, NONE_OFFSET};
use super::record::Record;
use super::var::Var;
use crate::{Error, Real};

/// The gradients of one backward pass, borrowed from the tape: the one way to read a
/// gradient while its graph is alive ([`Grads::wrt`]).
///
/// While it lives, the graph cannot record (an operation then poisons the graph with
/// [`Error::GradsBorrowed`]). Drop it, and the graph, to update parameters in place from
/// [`Tape::grad`](crate::Tape::grad).
pub struct Grads<'g, T> {
    pub(crate) grads: Ref<'g, [T]>,
    /// The graph the gradients belong to. A [`Var`] borrows its graph, so every variable
    /// handed to [`Grads::wrt`] belongs to a live graph, and two live graphs never share
    /// an address: the graph's address names it (no call for its stamp).
    pub(crate) graph: &'g dyn Record<T>,
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
        if !core::ptr::addr_eq(v.graph, self.graph) {
            return Err(Error::Foreign);
        }
        if v.grad == NONE_OFFSET {
            return Err(Error::Untracked);
        }
        let start = v.grad as usize;
        let s = self
            .grads
            .get(start..start + R * C)
            .ok_or(Error::NoBackward)?;
        super::node::view::<T, R, C>(s).ok_or(Error::Internal)
    }
}

impl<'g, T: Real> Var<'g, T, 1, 1> {
    /// Runs backpropagation from this scalar: one reverse sweep computes its gradient with
    /// respect to every variable of the graph. Gradients sum where a value fans out.
    ///
    /// # Errors
    ///
    /// The error that poisoned the graph ([`Error::Capacity`] if the graph did not fit,
    /// stating the whole graph's need: no gradient is ever computed from a partial
    /// graph), or [`Error::GradsBorrowed`] if the gradients of an earlier backward pass
    /// are still borrowed.
    pub fn backward(&self) -> Result<Grads<'g, T>, Error> {
        if self.node == NONE {
            // Only a failed operation makes an invalid variable, and it poisoned the graph.
            return Err(self.graph.backward(NONE).err().unwrap_or(Error::Internal));
        }
        let grads = self.graph.backward(self.node)?;
        Ok(Grads {
            grads,
            graph: self.graph,
        })
    }

    /// The value of a scalar.
    pub fn scalar(&self) -> T {
        // As `value()` (NaN for an invalid variable), without a matrix to copy through.
        self.graph.read_scalar(self.node).unwrap_or_else(T::nan)
    }
}
