//! Element-wise functions `y = f(x)`, one file each, all sharing one engine.
//!
//! A function states its value `f` and its derivative `df`, which may use the input `x`,
//! the output `y` (cheaper for `exp`, `tanh`, `sigmoid`) and a scalar parameter `p` (the
//! slope of a leaky ReLU). The engine records one node per call and, backward, adds
//! `Ḡ ∘ f'(x)` into the input's gradient.
//!
//! Implement [`Unary`] to add your own, and apply it with [`Var::map`].

mod abs;
mod cos;
mod exp;
mod hardtanh;
mod leaky_relu;
mod ln;
mod pow;
mod relu;
mod sigmoid;
mod sin;
mod softplus;
mod sqrt;
mod square;
mod tanh;

pub use abs::Abs;
pub use cos::Cos;
pub use exp::Exp;
pub use hardtanh::HardTanh;
pub use leaky_relu::LeakyRelu;
pub use ln::Ln;
pub use pow::{Powf, Powi};
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use sin::Sin;
pub use softplus::Softplus;
pub use sqrt::Sqrt;
pub use square::Square;
pub use tanh::Tanh;

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

/// An element-wise function with its derivative.
pub trait Unary<T: Real> {
    /// The function's name, in pictures of the graph (`"map"` unless given).
    const NAME: &'static str = "map";
    /// The value `f(x)`; `p` is the operation's scalar parameter (unused by most).
    fn f(x: T, p: T) -> T;
    /// The derivative `f'(x)`, given `x`, `y = f(x)` and `p`. Must return NaN where `x` is
    /// NaN, so a NaN is never turned into a silent zero gradient.
    fn df(x: T, y: T, p: T) -> T;
    /// Whether [`Unary::df`] reads `x`. Declared `false`, the backward pass does not look
    /// the input up and passes NaN as `x`: a `df` that reads it anyway gives NaN
    /// gradients, never wrong numbers.
    const DF_READS_X: bool = true;
    /// Whether [`Unary::df`] reads `y`; as [`Unary::DF_READS_X`], for the output.
    const DF_READS_Y: bool = true;
}

/// `out = U::f(x, p)`, element-wise.
#[inline]
pub(crate) fn map_forward<T: Real, U: Unary<T>>(x: &[T], p: T, out: &mut [T]) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = U::f(x, p);
    }
}

/// `∂x = Ḡ ∘ U::df(x, y, p)`, written (`write`) or added.
#[inline]
pub(crate) fn map_backward<T: Real, U: Unary<T>>(
    x: &[T],
    y: &[T],
    up: &[T],
    p: T,
    g: &mut [T],
    write: bool,
) {
    // An argument `df` does not read is NaN, and its slice is not walked.
    let nan = T::nan();
    if !U::DF_READS_X && !U::DF_READS_Y {
        let terms = up.iter().map(|&u| u * U::df(nan, nan, p));
        store(g, terms, write);
    } else if !U::DF_READS_X {
        let terms = up.iter().zip(y).map(|(&u, &y)| u * U::df(nan, y, p));
        store(g, terms, write);
    } else if !U::DF_READS_Y {
        let terms = up.iter().zip(x).map(|(&u, &x)| u * U::df(x, nan, p));
        store(g, terms, write);
    } else {
        let terms = up
            .iter()
            .zip(x.iter().zip(y))
            .map(|(&u, (&x, &y))| u * U::df(x, y, p));
        store(g, terms, write);
    }
}

/// Writes (`write`) or adds `terms` into `g`.
#[inline(always)]
fn store<T: Real>(g: &mut [T], terms: impl Iterator<Item = T>, write: bool) {
    if write {
        for (g, v) in g.iter_mut().zip(terms) {
            *g = v;
        }
    } else {
        for (g, v) in g.iter_mut().zip(terms) {
            *g += v;
        }
    }
}

fn unary_forward<T: Real, U: Unary<T>>(a: &[T], _: &[T], attr: [T; 2], out: &mut [T]) {
    map_forward::<T, U>(a, attr[0], out)
}

fn unary_backward<T: Real, U: Unary<T>>(s: &mut Backward<'_, T>) {
    // Only the values `df` reads are looked up.
    let x = if U::DF_READS_X { s.input(0) } else { &[] };
    let y = if U::DF_READS_Y { s.out() } else { &[] };
    let (up, p) = (s.upstream(), s.attr());
    if let Some((g, fresh)) = s.grad_fresh(0) {
        map_backward::<T, U>(x, y, up, p, g, fresh);
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Applies `U` element-wise with parameter `p`: one node, whose backward rule is
    /// `Ḡ ∘ U::df`.
    pub fn map<U: Unary<T>>(self, p: T) -> Var<'g, T, R, C> {
        self.apply_unary(
            op!(U::NAME, unary_forward::<T, U>, unary_backward::<T, U>),
            [p, T::zero()],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Unary;
    use crate::nalgebra::Vector3;
    use crate::Tape;

    /// `x²` with its derivative from `x`, declared as reading `x` or (wrongly) not, and
    /// reading `y` or not.
    struct Square<const X: bool, const Y: bool>;
    impl<const X: bool, const Y: bool> Unary<f64> for Square<X, Y> {
        fn f(x: f64, _: f64) -> f64 {
            x * x
        }
        fn df(x: f64, _: f64, _: f64) -> f64 {
            2.0 * x
        }
        const DF_READS_X: bool = X;
        const DF_READS_Y: bool = Y;
    }

    /// `3x`: a derivative that reads neither.
    struct Triple;
    impl Unary<f64> for Triple {
        fn f(x: f64, _: f64) -> f64 {
            3.0 * x
        }
        fn df(_: f64, _: f64, _: f64) -> f64 {
            3.0
        }
        const DF_READS_X: bool = false;
        const DF_READS_Y: bool = false;
    }

    fn gradient<U: Unary<f64>>() -> Vector3<f64> {
        let x0 = Vector3::new(1.0, -2.0, 0.5);
        let mut tape: Tape<f64, 32, 4> = Tape::new();
        let g = tape.graph();
        let x = g.param(&x0);
        let grads = x.map::<U>(0.0).sum().backward().unwrap();
        grads.wrt(x).unwrap().into_owned()
    }

    /// What `df` reads is passed; what it declared unread is NaN, so a `df` that reads it
    /// anyway gives NaN gradients, not another value's numbers (nor zeros).
    #[test]
    fn a_df_gets_what_it_reads_and_nan_for_what_it_declared_unread() {
        let want = Vector3::new(2.0, -4.0, 1.0);
        assert_eq!(gradient::<Square<true, true>>(), want);
        assert_eq!(gradient::<Square<true, false>>(), want);
        assert!(gradient::<Square<false, true>>().iter().all(|g| g.is_nan()));
        assert!(gradient::<Square<false, false>>()
            .iter()
            .all(|g| g.is_nan()));
        assert_eq!(gradient::<Triple>(), Vector3::repeat(3.0));
    }
}
