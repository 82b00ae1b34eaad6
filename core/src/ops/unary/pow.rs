//! Powers with a constant exponent: `xᵖ` for a real `p` and `xⁿ` for an integer `n`.
//!
//! The exponent is a constant, so only `x` gets a gradient. Both derivatives come from
//! the forward-mode rule table ([`rules::powf`], [`rules::powi`]), so the tape and dual
//! numbers agree at every kink.

use super::Unary;
use crate::forward::rules;
use crate::{Real, Var};

/// `xᵖ` for a constant real `p`. Derivative `p·xᵖ⁻¹`.
///
/// Domain and conventions: a negative `x` gives NaN unless `p` is a whole number. At
/// `x = 0` the derivative is `0` for `p > 1` and for `p = 0` (`x⁰ = 1` everywhere, as
/// IEEE `pow` defines), `1` for `p = 1`, and `+∞` for `0 < p < 1` (as for `√x`). A NaN
/// `x` gives NaN with a NaN derivative, also for `p = 0` whose value is 1.
pub struct Powf;

impl<T: Real> Unary<T> for Powf {
    const NAME: &'static str = "powf";
    fn f(x: T, p: T) -> T {
        x.powf(p)
    }
    fn df(x: T, _: T, p: T) -> T {
        // The rule gives `1·NaN⁰ = 1` for `p = 1`: a NaN input must not get a number.
        if x.is_nan() {
            x
        } else {
            rules::powf(x, p).1
        }
    }
    const DF_READS_Y: bool = false;
}

/// `xⁿ` for a constant integer `n`, stored as the operation's scalar parameter (exact for
/// `|n| ≤ 2²⁴` in `f32`, and for every `i32` in `f64`). Derivative `n·xⁿ⁻¹`.
///
/// Defined for every real `x`, negative included. `x⁰ = 1` with derivative 0, including
/// at `x = 0`; for `n < 0`, `x = ±0` gives `±∞` and an infinite derivative. A NaN `x`
/// gives a NaN derivative (the value is NaN too, except `NaN⁰ = 1` as IEEE defines).
pub struct Powi;

/// The integer exponent held in the parameter (rounded to an integer if it is not one).
#[inline]
fn exponent<T: Real>(p: T) -> i32 {
    libm::round(p.to_f64()) as i32
}

impl<T: Real> Unary<T> for Powi {
    const NAME: &'static str = "powi";
    fn f(x: T, p: T) -> T {
        rules::powi(x, exponent(p)).0
    }
    fn df(x: T, _: T, p: T) -> T {
        if x.is_nan() {
            x
        } else {
            rules::powi(x, exponent(p)).1
        }
    }
    const DF_READS_Y: bool = false;
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise `xᵖ` for a constant real exponent (nalgebra's and Rust's `powf`).
    /// Derivative `p·xᵖ⁻¹`; see [`Powf`] for `x ≤ 0`.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let x0 = Vector2::new(4.0, 9.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&x0).powf(1.5).value(), Vector2::new(8.0, 27.0));
    /// ```
    pub fn powf(self, p: T) -> Var<'g, T, R, C> {
        self.map::<Powf>(p)
    }

    /// Element-wise `xⁿ` for a constant integer exponent (Rust's `powi`). Derivative
    /// `n·xⁿ⁻¹`; `x⁰ = 1` with derivative 0. See [`Powi`].
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let x0 = Vector2::new(-2.0, 0.5);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&x0).powi(3).value(), Vector2::new(-8.0, 0.125));
    /// ```
    pub fn powi(self, n: i32) -> Var<'g, T, R, C> {
        self.map::<Powi>(T::constant(f64::from(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::{Powf, Powi, Unary};
    use crate::testing::{check_unary, edge_table, grad_of};

    #[test]
    fn powf_matches_central_differences_and_edges() {
        for p in [-1.3, 0.5, 2.0, 3.7] {
            check_unary(|x| x.powf(p), &[0.2, 0.9, 1.5, 4.0]);
        }
        check_unary(|x| x.powf(3.0), &[-2.0, -0.4]);
        let inf = f64::INFINITY;
        edge_table::<Powf>(
            2.0,
            &[
                (0.0, 0.0, 0.0),
                (-3.0, 9.0, -6.0),
                (1.5, 2.25, 3.0),
                (inf, inf, inf),
            ],
        );
        edge_table::<Powf>(0.5, &[(0.0, 0.0, inf), (4.0, 2.0, 0.25), (inf, inf, 0.0)]);
        // x⁰ = 1 with derivative 0, at 0 as well (NaN⁰ = 1 too, but its derivative is
        // NaN); x¹ has derivative 1 at 0.
        for x in [0.0, -2.0, inf] {
            assert_eq!(<Powf as Unary<f64>>::f(x, 0.0), 1.0);
            assert_eq!(<Powf as Unary<f64>>::df(x, 1.0, 0.0), 0.0);
        }
        assert!(<Powf as Unary<f64>>::df(f64::NAN, 1.0, 0.0).is_nan());
        edge_table::<Powf>(1.0, &[(0.0, 0.0, 1.0)]);
        assert!(<Powf as Unary<f64>>::f(-2.0, 0.5).is_nan());
        assert!(<Powf as Unary<f64>>::df(-2.0, f64::NAN, 0.5).is_nan());
    }

    #[test]
    fn powi_matches_central_differences_and_edges() {
        for n in [-3, -1, 1, 2, 5] {
            check_unary(|x| x.powi(n), &[-1.7, -0.4, 0.3, 2.2]);
        }
        let inf = f64::INFINITY;
        edge_table::<Powi>(
            3.0,
            &[
                (0.0, 0.0, 0.0),
                (-2.0, -8.0, 12.0),
                (inf, inf, inf),
                (-inf, -inf, inf),
            ],
        );
        edge_table::<Powi>(-1.0, &[(0.0, inf, -inf), (2.0, 0.5, -0.25)]);
        // n = 0: constant 1 with derivative 0, but a NaN input still gives a NaN gradient.
        for x in [0.0, -3.0, inf] {
            assert_eq!(<Powi as Unary<f64>>::f(x, 0.0), 1.0);
            assert_eq!(<Powi as Unary<f64>>::df(x, 1.0, 0.0), 0.0);
        }
        assert!(<Powi as Unary<f64>>::df(f64::NAN, 1.0, 0.0).is_nan());
        assert_eq!(grad_of::<1, 1>(0.0, |_, x| x.powi(1)), 1.0);
    }
}
