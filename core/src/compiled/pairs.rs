//! Optimizers step a model with the gradients of a compiled pass: `(model, grads)` is a
//! [`Pairs`].

use nalgebra::SMatrix;

use super::{GradVisitor, ParamGrads};
use crate::optim::Pairs;
use crate::{Error, Real};

struct Counter {
    count: usize,
}

impl<T: Real> GradVisitor<T> for Counter {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        _: &mut SMatrix<T, R, C>,
        _: &SMatrix<T, R, C>,
    ) -> Result<(), Error> {
        self.count += R * C;
        Ok(())
    }
}

struct Chunks<F> {
    offset: usize,
    f: F,
}

impl<T: Real, F: FnMut(usize, &mut [T], &[T])> GradVisitor<T> for Chunks<F> {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) -> Result<(), Error> {
        (self.f)(self.offset, param.as_mut_slice(), grad.as_slice());
        self.offset += R * C;
        Ok(())
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
        let mut c = Counter { count: 0 };
        self.0.visit_grads(self.1, &mut c)?;
        match expected {
            Some(n) if n != c.count => Err(Error::LengthMismatch {
                expected: n,
                found: c.count,
            }),
            _ => Ok(()),
        }
    }

    fn for_each_chunk(&mut self, f: impl FnMut(usize, &mut [T], &[T])) {
        // The visitor never fails.
        let _ = self.0.visit_grads(self.1, &mut Chunks { offset: 0, f });
    }
}
