//! What an optimizer steps: pairs of a parameter scalar and its gradient.

use nalgebra::SMatrix;

use crate::nn::{Grad, Module, ParamGrads, Visitor};
use crate::{Error, Real, Tape};

/// Parameter scalars paired with their gradients, for [`Optimizer::step_with`]
/// (`super::Optimizer::step_with`). Implement it to step parameters kept some other way.
///
/// The optimizer reads the pairs tensor by tensor: it checks them ([`Pairs::check`]),
/// reads every chunk once for the largest magnitudes (refusing NaN and ±∞), then walks
/// the chunks again to update them in place.
///
/// [`Optimizer::step_with`]: super::Optimizer::step_with
pub trait Pairs<T> {
    /// Checks what a step needs before anything is read or written: that there are
    /// `expected` scalars (when the optimizer has state for that many), that every
    /// gradient can be read and belongs to its parameter. Finiteness is the optimizer's
    /// to check, in its own pass over the chunks.
    ///
    /// # Errors
    ///
    /// The first problem found; nothing is changed.
    fn check(&mut self, expected: Option<usize>) -> Result<(), Error>;

    /// Calls `f(offset, parameters, gradients)` for every chunk (a tensor, or all of a
    /// slice), in a fixed order, with `offset` the number of scalars before it and both
    /// slices of the same length. Called only after [`Pairs::check`] succeeded; the
    /// optimizer writes the parameters in place and flushes them itself.
    fn for_each_chunk(&mut self, f: impl FnMut(usize, &mut [T], &[T]));
}

/// Parameters and gradients as two slices of the same length.
#[derive(Debug)]
pub struct SlicePairs<'a, T> {
    params: &'a mut [T],
    grads: &'a [T],
}

impl<'a, T> SlicePairs<'a, T> {
    /// Pairs `params[i]` with `grads[i]`.
    pub fn new(params: &'a mut [T], grads: &'a [T]) -> Self {
        SlicePairs { params, grads }
    }
}

impl<T: Real> Pairs<T> for SlicePairs<'_, T> {
    fn check(&mut self, expected: Option<usize>) -> Result<(), Error> {
        let n = expected.unwrap_or(self.params.len());
        for found in [self.params.len(), self.grads.len()] {
            if found != n {
                return Err(Error::LengthMismatch { expected: n, found });
            }
        }
        Ok(())
    }

    fn for_each_chunk(&mut self, mut f: impl FnMut(usize, &mut [T], &[T])) {
        f(0, self.params, self.grads);
    }
}

/// A model's parameters, each paired with its own gradient on a tape through the ids of
/// its variables ([`Module::ids`]). An id must be the one its parameter was bound as:
/// another model's ids (even of the same type, on the same graph) are
/// [`Error::ParamMismatch`].
pub struct ModelPairs<'a, M: Module<T>, T: Real, const S: usize, const N: usize> {
    model: &'a mut M,
    tape: &'a Tape<T, S, N>,
    ids: &'a M::Ids,
}

impl<M: Module<T>, T: Real, const S: usize, const N: usize> core::fmt::Debug
    for ModelPairs<'_, M, T, S, N>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ModelPairs").field("ids", self.ids).finish()
    }
}

impl<'a, M: Module<T>, T: Real, const S: usize, const N: usize> ModelPairs<'a, M, T, S, N> {
    /// Pairs `model`'s parameters with their gradients on `tape`.
    pub fn new(model: &'a mut M, tape: &'a Tape<T, S, N>, ids: &'a M::Ids) -> Self {
        ModelPairs { model, tape, ids }
    }
}

/// Where the visitors below read a gradient: through a tape for an id ([`Module::visit`]),
/// or as handed ([`ParamGrads::visit_grads`]). One pair of visitors serves both kinds of
/// [`Pairs`].
pub(crate) trait Source<T> {
    /// The gradient's values, without checking whose they are (what [`Source::read`]
    /// checked before).
    fn slice<'a, const R: usize, const C: usize>(
        &'a self,
        grad: Grad<'a, T, R, C>,
    ) -> Result<&'a [T], Error>;

    /// The gradient's values, after checking that they are `param`'s: an id must be
    /// the one `param` was bound as ([`Error::ParamMismatch`]).
    #[inline]
    fn read<'a, const R: usize, const C: usize>(
        &'a self,
        param: &SMatrix<T, R, C>,
        grad: Grad<'a, T, R, C>,
    ) -> Result<&'a [T], Error> {
        let g = self.slice(grad)?;
        match grad {
            Grad::Id(id) if !id.borrowed_from(param) => Err(Error::ParamMismatch),
            _ => Ok(g),
        }
    }
}

impl<T: Real, const S: usize, const N: usize> Source<T> for Tape<T, S, N> {
    #[inline]
    fn slice<'a, const R: usize, const C: usize>(
        &'a self,
        grad: Grad<'a, T, R, C>,
    ) -> Result<&'a [T], Error> {
        match grad {
            Grad::Id(id) => self.grad_slice(id),
            Grad::Value(g) => Ok(g.as_slice()),
        }
    }
}

/// No tape: gradients come by value (a compiled pass's buffers), and an id has no tape to
/// be read from ([`Error::Foreign`]).
struct ByValue;

impl<T: Real> Source<T> for ByValue {
    #[inline]
    fn slice<'a, const R: usize, const C: usize>(
        &'a self,
        grad: Grad<'a, T, R, C>,
    ) -> Result<&'a [T], Error> {
        match grad {
            Grad::Value(g) => Ok(g.as_slice()),
            Grad::Id(_) => Err(Error::Foreign),
        }
    }
}

/// Counts the scalars, checking that every gradient can be read and is its parameter's.
struct Checker<'s, Src> {
    source: &'s Src,
    count: usize,
}

impl<T: Real, Src: Source<T>> Visitor<T> for Checker<'_, Src> {
    #[inline]
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        grad: Grad<'_, T, R, C>,
    ) -> Result<(), Error> {
        self.source.read(param, grad)?;
        self.count += R * C;
        Ok(())
    }
}

/// Hands `f` each parameter with its gradient and offset.
struct Chunks<'s, Src, F> {
    source: &'s Src,
    offset: usize,
    f: F,
}

impl<T: Real, Src: Source<T>, F: FnMut(usize, &mut [T], &[T])> Visitor<T> for Chunks<'_, Src, F> {
    #[inline]
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        grad: Grad<'_, T, R, C>,
    ) -> Result<(), Error> {
        // `check` read every gradient and checked whose it is; nothing changed since.
        let g = self.source.slice(grad)?;
        (self.f)(self.offset, param.as_mut_slice(), g);
        self.offset += R * C;
        Ok(())
    }
}

/// [`Pairs::check`] of a model's visit: every gradient readable and its parameter's, and
/// `expected` scalars if given.
fn check_count(count: usize, expected: Option<usize>) -> Result<(), Error> {
    match expected {
        Some(n) if n != count => Err(Error::LengthMismatch {
            expected: n,
            found: count,
        }),
        _ => Ok(()),
    }
}

impl<M: Module<T>, T: Real, const S: usize, const N: usize> Pairs<T>
    for ModelPairs<'_, M, T, S, N>
{
    fn check(&mut self, expected: Option<usize>) -> Result<(), Error> {
        let mut c = Checker {
            source: self.tape,
            count: 0,
        };
        self.model.visit(self.ids, &mut c)?;
        check_count(c.count, expected)
    }

    fn for_each_chunk(&mut self, f: impl FnMut(usize, &mut [T], &[T])) {
        let mut c = Chunks {
            source: self.tape,
            offset: 0,
            f,
        };
        // Every gradient was readable in `check`, and nothing changed since.
        let _ = self.model.visit(self.ids, &mut c);
    }
}

/// A model and the gradients of a compiled backward pass, in the order of
/// [`Module::visit`](crate::nn::Module::visit) (the tape's): `opt.step_with((&mut model,
/// &grads))`.
///
/// ```
/// use stackgrad::compiled::{ParamGrads, Zeroed};
/// use stackgrad::nn::Linear;
/// use stackgrad::optim::{Optimizer, Sgd};
///
/// let mut layer = Linear::<f32, 2, 1>::zeroed();
/// let mut grads = <Linear<f32, 2, 1> as ParamGrads<f32>>::Grads::zeroed();
/// grads.bias[0] = 1.0;
/// Sgd::new(0.5).step_with((&mut layer, &grads))?;
/// assert_eq!(layer.bias[0], -0.5);
/// # Ok::<(), stackgrad::Error>(())
/// ```
impl<T: Real, M: ParamGrads<T>> Pairs<T> for (&mut M, &M::Grads) {
    fn check(&mut self, expected: Option<usize>) -> Result<(), Error> {
        let mut c = Checker {
            source: &ByValue,
            count: 0,
        };
        self.0.visit_grads(self.1, &mut c)?;
        check_count(c.count, expected)
    }

    fn for_each_chunk(&mut self, f: impl FnMut(usize, &mut [T], &[T])) {
        let mut c = Chunks {
            source: &ByValue,
            offset: 0,
            f,
        };
        // Every gradient was readable in `check`, and nothing changed since.
        let _ = self.0.visit_grads(self.1, &mut c);
    }
}
