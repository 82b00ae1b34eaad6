//! The one loop every optimizer steps through, with the step's guarantees paid once.
//!
//! An optimizer describes its update of one scalar (a rule: parameter, gradient and `K`
//! state values in, new parameter and state out) and a bound on what the rule can
//! write, from the largest magnitudes it reads. [`run`] then:
//!
//! 1. reads the gradients, parameters and state once, for their largest magnitude (a
//!    branch-free max over the bit patterns for `f32`/`f64`, which vectorises), and
//!    refuses the step with [`Error::NonFinite`] if any is NaN or infinite;
//! 2. if the rule's bound proves that nothing it computes can overflow (a bound on
//!    every intermediate and result, from the magnitudes and the hyper-parameters), runs
//!    the update in one pass, flushing every value it writes ([`flush`]);
//! 3. otherwise (a learning rate or gradient near the float's range, or a type whose
//!    magnitudes it cannot bound), runs the rule once without writing and refuses the
//!    step with [`Error::Overflow`] if any result is not finite, then writes.
//!
//! Either every parameter and state value is written, or none is; nothing written is
//! NaN, infinite or subnormal. Flushing is here and nowhere else, so no path skips it.

use super::Pairs;
use crate::flush::flush;
use crate::{Error, Real};

/// The largest magnitudes a step reads (NaN if a value is not finite).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Maxima<const K: usize> {
    pub(crate) grad: f64,
    pub(crate) param: f64,
    pub(crate) state: [f64; K],
}

/// `x` if positive, else 0: the argument of a square root that is never negative in
/// exact arithmetic (a running mean of squares), kept so if a restored state is not.
#[inline]
pub(crate) fn at_least_zero<T: Real>(x: T) -> T {
    if x > T::zero() {
        x
    } else {
        T::zero()
    }
}

/// The largest of the bounds of a rule's intermediate and final values (NaN if one is
/// NaN): a rule's bound lists every product and sum it computes, since an intermediate
/// can overflow where the result would not (`lr·g` before `/a`).
pub(crate) fn top<const N: usize>(bounds: [f64; N]) -> f64 {
    bounds.into_iter().fold(0.0, worse)
}

/// The larger of two magnitudes; NaN wins.
fn worse(a: f64, b: f64) -> f64 {
    if b.is_nan() || b > a {
        b
    } else {
        a
    }
}

/// Whether `bound` proves every value of magnitude at most `bound` finite in `T`, with a
/// factor 2 to spare for the rounding of the rule's few operations.
fn proven<T: Real>(bound: f64) -> bool {
    bound.is_finite() && T::constant(bound * 2.0).is_finite()
}

/// Runs one step of `rule` over `pairs` and the `K` state buffers (each as long as the
/// parameters), after [`Pairs::check`] and the optimizer's configuration check. `bound`
/// turns the largest magnitudes read into a bound on every value the rule writes
/// (`f64::INFINITY` if it cannot tell).
pub(crate) fn run<T: Real, Q: Pairs<T>, const K: usize>(
    pairs: &mut Q,
    mut state: [&mut [T]; K],
    bound: impl FnOnce(&Maxima<K>) -> f64,
    rule: impl Fn(&mut T, T, &mut [T; K]),
) -> Result<(), Error> {
    let mut m = Maxima {
        grad: 0.0,
        param: 0.0,
        state: [0.0; K],
    };
    pairs.for_each_chunk(|_, p, g| {
        m.grad = worse(m.grad, T::magnitude(g));
        m.param = worse(m.param, T::magnitude(p));
    });
    for (s, buf) in m.state.iter_mut().zip(state.iter()) {
        *s = T::magnitude(buf);
    }
    if m.grad.is_nan() || m.param.is_nan() || m.state.iter().any(|s| s.is_nan()) {
        return Err(Error::NonFinite);
    }
    if !proven::<T>(bound(&m)) {
        let mut finite = true;
        pairs.for_each_chunk(|off, p, g| {
            for (i, (&p, &g)) in p.iter().zip(g).enumerate() {
                let mut s = [T::zero(); K];
                for (s, buf) in s.iter_mut().zip(state.iter()) {
                    *s = buf.get(off + i).copied().unwrap_or(T::zero());
                }
                let mut p = p;
                rule(&mut p, g, &mut s);
                finite &= p.is_finite() && s.iter().all(|s| s.is_finite());
            }
        });
        if !finite {
            return Err(Error::Overflow);
        }
    }
    pairs.for_each_chunk(|off, p, g| {
        let n = p.len();
        let mut rows = state.each_mut().map(|buf| buf.get_mut(off..off + n));
        let mut rows: [&mut [T]; K] =
            core::array::from_fn(|k| rows.get_mut(k).and_then(Option::take).unwrap_or(&mut []));
        if rows.iter().any(|r| r.len() != n) {
            // `Pairs::check` counted the scalars against the state: never reached.
            return;
        }
        for (i, (p, &g)) in p.iter_mut().zip(g).enumerate() {
            let mut s = [T::zero(); K];
            for (s, row) in s.iter_mut().zip(rows.iter()) {
                *s = row.get(i).copied().unwrap_or(T::zero());
            }
            rule(p, g, &mut s);
            *p = flush(*p);
            for (s, row) in s.iter().zip(rows.iter_mut()) {
                if let Some(x) = row.get_mut(i) {
                    *x = flush(*s);
                }
            }
        }
    });
    Ok(())
}
