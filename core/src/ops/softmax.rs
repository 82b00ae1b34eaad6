//! Softmax and log-softmax of each column, as [`Var::softmax_cross_entropy`] treats a
//! `K×B` matrix: `K` logits per column, `B` independent columns.
//!
//! Both are stable for logits of any finite size (the column's largest entry is
//! subtracted before any exponential) and both read only their output backward:
//!
//! - softmax `p = e^{z − lse(z)}`: `∂/∂z = p ∘ (Ḡ − ⟨Ḡ, p⟩)` per column;
//! - log-softmax `l = z − lse(z)`: `∂/∂z = Ḡ − e^{l} · Σ Ḡ` per column.
//!
//! Domain, per column: a `−∞` logit is a masked class (probability 0, log-probability
//! `−∞`), and gets gradient 0 from softmax; a `+∞` or NaN logit, or a column of only
//! `−∞`, makes the whole column NaN (value and gradient).

use crate::ops::Backward;
use crate::tape::op;
use crate::{Real, Var};

fn softmax_backward<T: Real, const K: usize>(s: &mut Backward<'_, T>) {
    let (p, up) = (s.out(), s.upstream());
    if let Some(gz) = s.grad(0) {
        for ((gcol, pcol), ucol) in crate::ops::columns_mut::<_, K>(gz)
            .iter_mut()
            .zip(crate::ops::columns::<_, K>(p))
            .zip(crate::ops::columns::<_, K>(up))
        {
            let mut inner = T::zero();
            for (&u, &q) in ucol.iter().zip(pcol) {
                inner += u * q;
            }
            for ((g, &q), &u) in gcol.iter_mut().zip(pcol).zip(ucol) {
                *g += q * (u - inner);
            }
        }
    }
}

fn log_softmax_backward<T: Real, const K: usize>(s: &mut Backward<'_, T>) {
    let (l, up) = (s.out(), s.upstream());
    if let Some(gz) = s.grad(0) {
        for ((gcol, lcol), ucol) in crate::ops::columns_mut::<_, K>(gz)
            .iter_mut()
            .zip(crate::ops::columns::<_, K>(l))
            .zip(crate::ops::columns::<_, K>(up))
        {
            let mut total = T::zero();
            for &u in ucol {
                total += u;
            }
            for ((g, &x), &u) in gcol.iter_mut().zip(lcol).zip(ucol) {
                *g += u - x.exp() * total;
            }
        }
    }
}

/// `out = log_softmax(z)` (or its `exp`, the softmax) per column, as
/// `(z − m) − ln Σ e^{z − m}` with `m = max z`: subtracting `m` first keeps the result
/// exact where `z = m` (computing `z − lse` would round `lse = m + …` to `m`'s
/// precision first). NaN if `m` is NaN or infinite: a NaN or `+∞` entry, or only `−∞`.
fn forward<T: Real, const K: usize>(z: &[T], out: &mut [T], exp: bool) {
    for (ocol, zcol) in crate::ops::columns_mut::<_, K>(out)
        .iter_mut()
        .zip(crate::ops::columns::<_, K>(z))
    {
        let mut m = -T::infinity();
        for &x in zcol {
            m = Real::max(m, x);
        }
        let mut total = T::zero();
        for &x in zcol {
            total += (x - m).exp();
        }
        if exp {
            for (o, &x) in ocol.iter_mut().zip(zcol) {
                *o = (x - m).exp() / total;
            }
        } else {
            let ln_total = total.ln();
            for (o, &x) in ocol.iter_mut().zip(zcol) {
                *o = (x - m) - ln_total;
            }
        }
    }
}

/// The softmax node's forward function: [`forward`] with `exp`.
fn softmax_forward<T: Real, const K: usize>(z: &[T], _: &[T], _: [T; 2], out: &mut [T]) {
    forward::<T, K>(z, out, true)
}

/// The log-softmax node's forward function: [`forward`] without `exp`.
fn log_softmax_forward<T: Real, const K: usize>(z: &[T], _: &[T], _: [T; 2], out: &mut [T]) {
    forward::<T, K>(z, out, false)
}

impl<'g, T: Real, const K: usize, const B: usize> Var<'g, T, K, B> {
    /// The softmax of each column, `p_kc = e^{z_kc} / Σ_j e^{z_jc}`: every column becomes
    /// a probability distribution. `∂/∂z = p ∘ (Ḡ − ⟨Ḡ, p⟩)` per column.
    ///
    /// Stable for logits of any finite size. A `−∞` logit is a masked class
    /// (probability 0, gradient 0); a `+∞` or NaN logit, or a column of only `−∞`,
    /// makes its column NaN, value and gradient.
    ///
    /// For a loss, prefer [`Var::softmax_cross_entropy`] or [`Var::log_softmax`]: the log
    /// of a softmax underflows to `−∞` where the log-softmax stays finite.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector3};
    /// let z0 = Vector3::new(1000.0, 1000.0, f64::NEG_INFINITY); // no overflow
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// assert_eq!(g.param(&z0).softmax().value(), Vector3::new(0.5, 0.5, 0.0));
    /// ```
    pub fn softmax(self) -> Var<'g, T, K, B> {
        self.apply_unary(
            op!("softmax", softmax_forward::<T, K>, softmax_backward::<T, K>),
            [T::zero(); 2],
        )
    }

    /// The log-softmax of each column, `l_kc = z_kc − ln Σ_j e^{z_jc}`, computed stably.
    /// `∂/∂z = Ḡ − softmax(z) · Σ_k Ḡ_k` per column.
    ///
    /// A `−∞` logit is a masked class (log-probability `−∞`; it still passes its own `Ḡ`
    /// through); a `+∞` or NaN logit, or a column of only `−∞`, makes its column NaN.
    ///
    /// ```
    /// # use stackgrad::{Tape, nalgebra::Vector2};
    /// let z0 = Vector2::new(800.0, 800.0);
    /// let mut tape: Tape<f64, 64, 8> = Tape::new();
    /// let g = tape.graph();
    /// let l = g.param(&z0).log_softmax().value();
    /// assert_eq!(l, Vector2::repeat(-core::f64::consts::LN_2));
    /// ```
    pub fn log_softmax(self) -> Var<'g, T, K, B> {
        self.apply_unary(
            op!(
                "log_softmax",
                log_softmax_forward::<T, K>,
                log_softmax_backward::<T, K>
            ),
            [T::zero(); 2],
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::nalgebra::{SMatrix, Vector3};
    use crate::testing::{check, close, eval, mat};

    #[test]
    fn matches_central_differences() {
        check(mat::<4, 3>(1).scale(2.0), |g, z| {
            z.softmax().component_mul(g.constant_value(mat(2))).sum()
        });
        check(mat::<4, 3>(3).scale(2.0), |g, z| {
            z.log_softmax()
                .component_mul(g.constant_value(mat(4)))
                .sum()
        });
        // log-softmax against the log of the softmax
        check(mat::<3, 2>(5), |g, z| {
            (z.softmax().ln() - z.log_softmax())
                .component_mul(g.constant_value(mat(6)))
                .sum()
                + z.log_softmax().sum()
        });
    }

    #[test]
    fn columns_are_independent_distributions() {
        let z0 = mat::<4, 3>(7);
        let mut tape: crate::Tape<f64, 256, 16> = crate::Tape::new();
        let g = tape.graph();
        let (p, l) = (
            g.param(&z0).softmax().value(),
            g.param(&z0).log_softmax().value(),
        );
        for c in 0..3 {
            assert!(close(p.column(c).sum(), 1.0, 1e-15));
            for k in 0..4 {
                assert!(close(libm::exp(l[(k, c)]), p[(k, c)], 1e-15));
            }
        }
        // shifting one column changes nothing
        let shifted = SMatrix::<f64, 4, 3>::from_fn(|k, c| z0[(k, c)] + 100.0 * c as f64);
        assert!((g.param(&shifted).softmax().value() - p).abs().max() < 1e-13);
    }

    #[test]
    fn edges() {
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        // a masked class: probability 0 and gradient 0 from softmax; the log-softmax
        // passes Ḡ through to it (its log-probability is −∞ whatever the logit).
        let z0 = Vector3::new(-inf, 0.0, 0.0);
        let w = Vector3::new(1.0, 2.0, -1.0);
        let (v, d) = eval(&z0, &|g, z| z.softmax().dot(g.constant_value(w)));
        assert_eq!(v, 0.5);
        assert_eq!(d, Vector3::new(0.0, 0.75, -0.75));
        let (v, d) = eval(&z0, &|_, z| z.log_softmax().sum());
        assert_eq!(v, -inf);
        assert_eq!(d, Vector3::new(1.0, -0.5, -0.5));
        let (_, d) = eval(&z0, &|_, z| z.log_softmax().rows::<1, 2>().sum());
        assert_eq!(d, Vector3::new(0.0, 0.0, 0.0));
        // zero logits: uniform
        let (v, _) = eval(&Vector3::new(0.0, 0.0, 0.0), &|_, z| {
            z.softmax().rows::<0, 1>().sum()
        });
        assert!(close(v, 1.0 / 3.0, 1e-15));
        // +∞, NaN and an all −∞ column: NaN
        for z in [
            Vector3::new(inf, 0.0, 0.0),
            Vector3::new(nan, 0.0, 0.0),
            Vector3::repeat(-inf),
        ] {
            let (v, d) = eval(&z, &|_, z| z.softmax().rows::<1, 1>().sum());
            assert!(v.is_nan() && d.iter().all(|x| x.is_nan()), "softmax {z}");
            let (v, d) = eval(&z, &|_, z| z.log_softmax().rows::<1, 1>().sum());
            assert!(
                v.is_nan() && d.iter().any(|x| x.is_nan()),
                "log_softmax {z}"
            );
        }
    }
}
