//! What an optimizer steps: pairs of a parameter scalar and its gradient.

use nalgebra::SMatrix;

use super::finite;
use crate::flush::flush;
use crate::nn::{Module, Visitor};
use crate::{Error, Real, Tape, VarId};

/// Parameter scalars paired with their gradients, for [`Optimizer::step_with`]
/// (`super::Optimizer::step_with`). Implement it to step parameters kept some other way.
///
/// [`Optimizer::step_with`]: super::Optimizer::step_with
pub trait Pairs<T> {
    /// Checks everything a step needs before anything is written: that there are
    /// `expected` scalars (when the optimizer has state for that many), that every
    /// gradient can be read and is finite, and that every parameter is finite.
    ///
    /// # Errors
    ///
    /// The first problem found; nothing is changed.
    fn check(&mut self, expected: Option<usize>) -> Result<(), Error>;

    /// Calls `f(i, parameter, gradient)` for every scalar, numbered from 0 in a fixed
    /// order, and flushes the parameter to zero if it became subnormal
    /// ([`flush`](crate::flush::flush)). Called only after [`Pairs::check`] succeeded.
    fn for_each(&mut self, f: impl FnMut(usize, &mut T, T));
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
        if self.params.len() != n {
            return Err(Error::LengthMismatch {
                expected: n,
                found: self.params.len(),
            });
        }
        if self.grads.len() != n {
            return Err(Error::LengthMismatch {
                expected: n,
                found: self.grads.len(),
            });
        }
        finite(self.grads)?;
        finite(self.params)
    }

    fn for_each(&mut self, mut f: impl FnMut(usize, &mut T, T)) {
        for (i, (p, &g)) in self.params.iter_mut().zip(self.grads).enumerate() {
            f(i, p, g);
            *p = flush(*p);
        }
    }
}

/// A model's parameters, each paired with its own gradient on a tape through the ids of
/// its variables ([`Module::ids`]).
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

struct Checker<'t, T: 'static, const S: usize, const N: usize> {
    tape: &'t Tape<T, S, N>,
    count: usize,
}

impl<T: Real, const S: usize, const N: usize> Visitor<T> for Checker<'_, T, S, N> {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        id: VarId<R, C>,
    ) -> Result<(), Error> {
        let g = self.tape.grad(id)?;
        if !g.iter().all(|x| x.is_finite()) {
            return Err(Error::NonFinite);
        }
        finite(param.as_slice())?;
        self.count += R * C;
        Ok(())
    }
}

struct Applier<'t, T: 'static, F, const S: usize, const N: usize> {
    tape: &'t Tape<T, S, N>,
    i: usize,
    f: F,
}

impl<T: Real, F: FnMut(usize, &mut T, T), const S: usize, const N: usize> Visitor<T>
    for Applier<'_, T, F, S, N>
{
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        id: VarId<R, C>,
    ) -> Result<(), Error> {
        let g = self.tape.grad(id)?;
        for (p, &g) in param.iter_mut().zip(g.iter()) {
            (self.f)(self.i, p, g);
            *p = flush(*p);
            self.i += 1;
        }
        Ok(())
    }
}

impl<M: Module<T>, T: Real, const S: usize, const N: usize> Pairs<T>
    for ModelPairs<'_, M, T, S, N>
{
    fn check(&mut self, expected: Option<usize>) -> Result<(), Error> {
        let mut c = Checker {
            tape: self.tape,
            count: 0,
        };
        self.model.visit(self.ids, &mut c)?;
        match expected {
            Some(n) if n != c.count => Err(Error::LengthMismatch {
                expected: n,
                found: c.count,
            }),
            _ => Ok(()),
        }
    }

    fn for_each(&mut self, f: impl FnMut(usize, &mut T, T)) {
        let mut a = Applier {
            tape: self.tape,
            i: 0,
            f,
        };
        // Every gradient was readable in `check`, and nothing changed since.
        let r = self.model.visit(self.ids, &mut a);
        debug_assert!(r.is_ok());
    }
}
