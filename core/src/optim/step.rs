//! The one loop every optimizer steps through, with the step's guarantees paid once.
//!
//! An optimizer describes its update of one scalar (a rule: parameter, gradient and `K`
//! state values in, new parameter and state out) and a bound on what the rule can
//! write, from the largest magnitudes it reads. [`run`] then:
//!
//! 1. reads the gradients and parameters once, for their largest magnitude (a
//!    branch-free max over the bit patterns for `f32`/`f64`, which vectorises), and
//!    refuses the step with [`Error::NonFinite`] if any is NaN or infinite. The state
//!    is read the same way only when its bounds are not [`Known`] from the previous
//!    step (the first step, after a reset, after [`visit_state`] handed it out): a step
//!    writes only finite state, and its rule's bound says how large that state can be;
//! 2. if the rule's bound proves that nothing it computes can overflow (a bound on
//!    every intermediate and result, from the magnitudes and the hyper-parameters), runs
//!    the update in one pass, flushing every value it writes ([`flush`]);
//! 3. otherwise (a learning rate or gradient near the float's range, or a type whose
//!    magnitudes it cannot bound), runs the rule once without writing and refuses the
//!    step with [`Error::Overflow`] if any result is not finite, then writes.
//!
//! [`visit_state`]: super::Optimizer::visit_state
//!
//! Either every parameter and state value is written, or none is; nothing written is
//! NaN, infinite or subnormal, and a state buffer of squares ([`Squares`]) is written at
//! least +0. Flushing is here and nowhere else, so no path skips it.

use super::Pairs;
use crate::flush::flush;
use crate::{Error, Real};

/// The largest magnitudes a step reads (NaN if a value is not finite).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Maxima {
    pub(crate) grad: f64,
    pub(crate) param: f64,
    /// Per state buffer, in the order given (0 past the last).
    pub(crate) state: [f64; 3],
}

/// Upper bounds of an optimizer's state buffers' magnitudes, carried from one step to
/// the next so that a step does not read the state for them, or unknown (NaN).
///
/// Only a successful [`run`] makes them known, from its rule's bound on the values it
/// wrote; whatever else changes the state (a constructor, `reset`, `visit_state`) sets
/// them to [`Known::UNKNOWN`]. Kept in `f32` (12 bytes in the optimizer), widened enough
/// that the conversion's rounding cannot take a bound below the state ([`widen`]): a
/// bound beyond `f32`'s range becomes +∞, which proves nothing, and the next step reads
/// the state. A cache, not state: two optimizers that differ only in it are equal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Known([f32; 3]);

impl Known {
    /// Not known: the next step reads the state.
    pub(crate) const UNKNOWN: Known = Known([f32::NAN; 3]);

    /// The bounds, if known.
    fn get(self) -> Option<[f64; 3]> {
        if self.0.iter().any(|b| b.is_nan()) {
            None
        } else {
            Some(self.0.map(f64::from))
        }
    }

    /// Keeps the first `K` of `bounds`, widened (0 for the rest); NaN (a bound that
    /// proves nothing) leaves them unknown.
    fn keep<const K: usize>(bounds: [f64; 3]) -> Known {
        let mut kept = [0.0; 3];
        for (k, &b) in kept.iter_mut().zip(&bounds).take(K) {
            *k = widen(b) as f32;
        }
        Known(kept)
    }
}

impl PartialEq for Known {
    fn eq(&self, _: &Known) -> bool {
        true
    }
}

/// A bound carried to the next step, widened for what the bound does not count: the
/// rounding of the rule's operations, relative in a float (a few ulps, below 2⁻²⁰) and
/// absolute in fixed point (a few steps of 2⁻¹⁶, below 2⁻¹²), and the rounding to the
/// nearest `f32` it is kept as (at most 2⁻²⁴ relative, so a relative 2⁻¹⁹ leaves more
/// than 2⁻²⁰ after it). Over many steps the widening adds up; when a bound grows too
/// loose to prove a step, [`run`] reads the state again.
fn widen(bound: f64) -> f64 {
    bound * (1.0 + 1.0 / 524_288.0) + 1.0 / 4096.0
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

/// An optimizer's `K` state buffers, walked beside a chunk of parameters and gradients
/// with iterators (no index, no bounds check, no panic path): one implementation per
/// `K` an optimizer uses.
pub(crate) trait Rows<T: Real, const K: usize> {
    /// The largest magnitude of each buffer ([`Real::magnitude`]).
    fn magnitudes(&self) -> [f64; 3];
    /// Whether `rule` gives finite results on the chunk at `offset`, nothing written.
    fn finite(
        &self,
        offset: usize,
        p: &[T],
        g: &[T],
        rule: &impl Fn(&mut T, T, &mut [T; K]),
    ) -> bool;
    /// Applies `rule` to the chunk at `offset` and flushes everything it writes, each
    /// state buffer by [`state_flush`] under `SQUARES` (a [`Squares`] mask).
    fn write<const SQUARES: u8>(
        &mut self,
        offset: usize,
        p: &mut [T],
        g: &[T],
        rule: &impl Fn(&mut T, T, &mut [T; K]),
    );
}

/// Which of an optimizer's state buffers hold values never negative in exact arithmetic
/// (a running sum or mean of squares): bit `k` for buffer `k`. The engine writes those
/// through [`Real::flushed_non_negative`] (one comparison and a mask for a float, where
/// [`flush`] and the clamp at zero a square root needs after it cost six), the others
/// through [`flush`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Squares<const MASK: u8>;

/// A state value as the engine writes it: buffer `k` flushed as [`Squares`] `SQUARES`
/// says.
#[inline]
fn state_flush<T: Real, const SQUARES: u8>(x: T, k: u32) -> T {
    if SQUARES >> k & 1 == 1 {
        x.flushed_non_negative()
    } else {
        flush(x)
    }
}

/// The finiteness of one rule application, without a branch.
#[inline]
fn all_finite<T: Real, const K: usize>(p: T, s: &[T; K]) -> bool {
    s.iter().fold(p.is_finite(), |ok, s| ok & s.is_finite())
}

impl<T: Real> Rows<T, 0> for [&mut [T]; 0] {
    fn magnitudes(&self) -> [f64; 3] {
        [0.0; 3]
    }
    fn finite(&self, _: usize, p: &[T], g: &[T], rule: &impl Fn(&mut T, T, &mut [T; 0])) -> bool {
        p.iter().zip(g).fold(true, |ok, (&p, &g)| {
            let (mut p, mut s) = (p, []);
            rule(&mut p, g, &mut s);
            ok & all_finite(p, &s)
        })
    }
    fn write<const SQUARES: u8>(
        &mut self,
        _: usize,
        p: &mut [T],
        g: &[T],
        rule: &impl Fn(&mut T, T, &mut [T; 0]),
    ) {
        for (p, &g) in p.iter_mut().zip(g) {
            rule(p, g, &mut []);
            *p = flush(*p);
        }
    }
}

impl<T: Real> Rows<T, 1> for [&mut [T]; 1] {
    fn magnitudes(&self) -> [f64; 3] {
        let [a] = self;
        [T::magnitude(a), 0.0, 0.0]
    }
    fn finite(&self, off: usize, p: &[T], g: &[T], rule: &impl Fn(&mut T, T, &mut [T; 1])) -> bool {
        let [a] = self;
        let a = a.get(off..).unwrap_or(&[]);
        p.iter().zip(g).zip(a).fold(true, |ok, ((&p, &g), &a)| {
            let (mut p, mut s) = (p, [a]);
            rule(&mut p, g, &mut s);
            ok & all_finite(p, &s)
        })
    }
    fn write<const SQUARES: u8>(
        &mut self,
        off: usize,
        p: &mut [T],
        g: &[T],
        rule: &impl Fn(&mut T, T, &mut [T; 1]),
    ) {
        let [a] = self;
        let a = a.get_mut(off..).unwrap_or(&mut []);
        for ((p, &g), a) in p.iter_mut().zip(g).zip(a) {
            let mut s = [*a];
            rule(p, g, &mut s);
            *p = flush(*p);
            *a = state_flush::<T, SQUARES>(s[0], 0);
        }
    }
}

impl<T: Real> Rows<T, 2> for [&mut [T]; 2] {
    fn magnitudes(&self) -> [f64; 3] {
        let [a, b] = self;
        [T::magnitude(a), T::magnitude(b), 0.0]
    }
    fn finite(&self, off: usize, p: &[T], g: &[T], rule: &impl Fn(&mut T, T, &mut [T; 2])) -> bool {
        let [a, b] = self;
        let (a, b) = (a.get(off..).unwrap_or(&[]), b.get(off..).unwrap_or(&[]));
        let it = p.iter().zip(g).zip(a).zip(b);
        it.fold(true, |ok, (((&p, &g), &a), &b)| {
            let (mut p, mut s) = (p, [a, b]);
            rule(&mut p, g, &mut s);
            ok & all_finite(p, &s)
        })
    }
    fn write<const SQUARES: u8>(
        &mut self,
        off: usize,
        p: &mut [T],
        g: &[T],
        rule: &impl Fn(&mut T, T, &mut [T; 2]),
    ) {
        let [a, b] = self;
        let a = a.get_mut(off..).unwrap_or(&mut []);
        let b = b.get_mut(off..).unwrap_or(&mut []);
        for (((p, &g), a), b) in p.iter_mut().zip(g).zip(a).zip(b) {
            let mut s = [*a, *b];
            rule(p, g, &mut s);
            *p = flush(*p);
            *a = state_flush::<T, SQUARES>(s[0], 0);
            *b = state_flush::<T, SQUARES>(s[1], 1);
        }
    }
}

impl<T: Real> Rows<T, 3> for [&mut [T]; 3] {
    fn magnitudes(&self) -> [f64; 3] {
        let [a, b, c] = self;
        [T::magnitude(a), T::magnitude(b), T::magnitude(c)]
    }
    fn finite(&self, off: usize, p: &[T], g: &[T], rule: &impl Fn(&mut T, T, &mut [T; 3])) -> bool {
        let [a, b, c] = self;
        let a = a.get(off..).unwrap_or(&[]);
        let (b, c) = (b.get(off..).unwrap_or(&[]), c.get(off..).unwrap_or(&[]));
        let it = p.iter().zip(g).zip(a).zip(b).zip(c);
        it.fold(true, |ok, ((((&p, &g), &a), &b), &c)| {
            let (mut p, mut s) = (p, [a, b, c]);
            rule(&mut p, g, &mut s);
            ok & all_finite(p, &s)
        })
    }
    fn write<const SQUARES: u8>(
        &mut self,
        off: usize,
        p: &mut [T],
        g: &[T],
        rule: &impl Fn(&mut T, T, &mut [T; 3]),
    ) {
        let [a, b, c] = self;
        let a = a.get_mut(off..).unwrap_or(&mut []);
        let b = b.get_mut(off..).unwrap_or(&mut []);
        let c = c.get_mut(off..).unwrap_or(&mut []);
        for ((((p, &g), a), b), c) in p.iter_mut().zip(g).zip(a).zip(b).zip(c) {
            let mut s = [*a, *b, *c];
            rule(p, g, &mut s);
            *p = flush(*p);
            *a = state_flush::<T, SQUARES>(s[0], 0);
            *b = state_flush::<T, SQUARES>(s[1], 1);
            *c = state_flush::<T, SQUARES>(s[2], 2);
        }
    }
}

/// Runs one step of `rule` over `pairs` and the `K` state buffers (each as long as the
/// parameters), after [`Pairs::check`] and the optimizer's configuration check. `bound`
/// turns the largest magnitudes read into a bound on every value the rule computes
/// (NaN or `f64::INFINITY` if it cannot tell) and a bound on each state buffer it
/// writes (0 past the last), which `known` keeps for the next step. `Squares` says
/// which state buffers are never negative (a rule that takes a square root of one
/// should take it of [`Real::flushed_non_negative`] of the new value, which is what is
/// stored: the compiler computes it once for both). `rule` should capture by value
/// (`move`), so that its constants stay in registers.
pub(crate) fn run<T: Real, Q: Pairs<T>, R: Rows<T, K>, const K: usize, const SQUARES: u8>(
    pairs: &mut Q,
    mut state: R,
    _: Squares<SQUARES>,
    known: &mut Known,
    bound: impl Fn(&Maxima) -> (f64, [f64; 3]),
    rule: impl Fn(&mut T, T, &mut [T; K]),
) -> Result<(), Error> {
    // Without state (`K = 0`, plain SGD) there is nothing to carry (its magnitudes are
    // zeros, read from nothing): no work at all, which matters on a chip without
    // double-precision hardware.
    let carried = if K == 0 { None } else { known.get() };
    let mut m = Maxima {
        grad: 0.0,
        param: 0.0,
        state: match carried {
            Some(s) => s,
            None => state.magnitudes(),
        },
    };
    pairs.for_each_chunk(|_, p, g| {
        m.grad = worse(m.grad, T::magnitude(g));
        m.param = worse(m.param, T::magnitude(p));
    });
    if m.grad.is_nan() || m.param.is_nan() || m.state.iter().any(|s| s.is_nan()) {
        return Err(Error::NonFinite);
    }
    let (mut all, mut next) = bound(&m);
    if !proven::<T>(all) && carried.is_some() {
        // The carried bounds may have grown loose: the state's own magnitudes.
        m.state = state.magnitudes();
        if m.state.iter().any(|s| s.is_nan()) {
            return Err(Error::NonFinite);
        }
        (all, next) = bound(&m);
    }
    if !proven::<T>(all) {
        let mut finite = true;
        pairs.for_each_chunk(|off, p, g| finite &= state.finite(off, p, g, &rule));
        if !finite {
            return Err(Error::Overflow);
        }
    }
    pairs.for_each_chunk(|off, p, g| state.write::<SQUARES>(off, p, g, &rule));
    if K > 0 {
        *known = Known::keep::<K>(next);
    }
    Ok(())
}
