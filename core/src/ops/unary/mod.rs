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
    let terms = up
        .iter()
        .zip(x.iter().zip(y))
        .map(|(&u, (&x, &y))| u * U::df(x, y, p));
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
    let (x, y, up, p) = (s.input(0), s.out(), s.upstream(), s.attr());
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
