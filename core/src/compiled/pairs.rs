//! Optimizers step a model with the gradients of a compiled pass: `(model, grads)` is a
//! [`Pairs`].

use nalgebra::SMatrix;

use super::{GradVisitor, ParamGrads};
use crate::optim::Pairs;
use crate::{Error, Real};

struct Checker {
    count: usize,
}

impl<T: Real> GradVisitor<T> for Checker {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) -> Result<(), Error> {
        if !grad.iter().chain(param.iter()).all(|x| x.is_finite()) {
            return Err(Error::NonFinite);
        }
        self.count += R * C;
        Ok(())
    }
}

struct Applier<F> {
    i: usize,
    f: F,
}

impl<T: Real, F: FnMut(usize, &mut T, T)> GradVisitor<T> for Applier<F> {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        param: &mut SMatrix<T, R, C>,
        grad: &SMatrix<T, R, C>,
    ) -> Result<(), Error> {
        for (p, &g) in param.iter_mut().zip(grad.iter()) {
            (self.f)(self.i, p, g);
            self.i += 1;
        }
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
        let mut c = Checker { count: 0 };
        self.0.visit_grads(self.1, &mut c)?;
        match expected {
            Some(n) if n != c.count => Err(Error::LengthMismatch {
                expected: n,
                found: c.count,
            }),
            _ => Ok(()),
        }
    }

    fn for_each(&mut self, f: impl FnMut(usize, &mut T, T)) {
        let mut a = Applier { i: 0, f };
        // The applier never fails.
        let _ = self.0.visit_grads(self.1, &mut a);
    }
}
