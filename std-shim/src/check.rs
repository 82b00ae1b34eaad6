//! Numerical gradient checks: the tape's gradient against central differences in `f64`.
//!
//! For each entry `xᵢ` of the input, the numerical derivative is
//! `(f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / 2hᵢ` with a step scaled to the entry,
//! `hᵢ = step·max(1, |xᵢ|)`, and the entry passes when
//! `|analytic − numeric| ≤ tol·max(|analytic|, |numeric|, G)`, where `G` is the largest
//! finite magnitude among all entries of both gradients (their max norm).
//!
//! The criterion is relative at every scale: multiplying the function by any positive
//! constant multiplies both sides by it and leaves the verdict unchanged, so a gradient
//! that is wrong by a factor of 2 fails even when all its entries are 1e-9. (An absolute
//! floor would let any gradient below it pass.) Measuring each entry against `G` as well
//! as its own size keeps an entry that should be 0 from failing on the round-off of the
//! central difference, which is of the order of the gradient's scale times `1e-10`. Only
//! when both gradients are exactly 0 everywhere is the floor absolute: the smallest
//! normal `f64`, so equal zeros pass and nothing else is excused.
//!
//! NaN never passes: the comparison is written so that a NaN on either side fails, and
//! so does an infinity unless both sides are the same infinity.

use core::fmt;

use stackgrad::nalgebra::SMatrix;
use stackgrad::{Error, Graph, Tape, Var};

/// Scalars of the tape the checker evaluates on (on the heap: 1 MiB of `f64`).
pub const CHECK_SCALARS: usize = 1 << 17;
/// Nodes of the tape the checker evaluates on.
pub const CHECK_NODES: usize = 4096;

/// The graph a checked function is recorded on.
pub type CheckGraph<'a> = Graph<'a, f64, CHECK_SCALARS, CHECK_NODES>;

/// The tape the checker evaluates on: `let mut tape: Box<CheckTape> =`
/// [`boxed_tape`](crate::boxed_tape)`()` for [`value_and_grad`].
pub type CheckTape = Tape<f64, CHECK_SCALARS, CHECK_NODES>;

/// Settings of a check. `Default` is `step = 1e-6`, `tol = 1e-6`, which f64 central
/// differences meet comfortably for smooth functions away from kinks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckConfig {
    /// Relative finite-difference step.
    pub step: f64,
    /// Relative tolerance: each entry's error relative to the larger of its own size
    /// and the gradient's (see the module docs); no absolute floor.
    pub tol: f64,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            step: 1e-6,
            tol: 1e-6,
        }
    }
}

/// The outcome of a check: the worst entry, with its analytic and numeric values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// `(row, column)` of the worst entry.
    pub worst: (usize, usize),
    /// The tape's derivative there.
    pub analytic: f64,
    /// The central difference there.
    pub numeric: f64,
    /// `|analytic − numeric| / max(|analytic|, |numeric|, scale)` (NaN if either is
    /// NaN): see [`scaled_error`].
    pub error: f64,
    /// The gradient scale `G` errors are relative to: the largest finite magnitude among
    /// the entries of both gradients.
    pub scale: f64,
    /// The tolerance it was held to.
    pub tol: f64,
    /// The value of the function at the input.
    pub value: f64,
    /// How many entries were checked.
    pub entries: usize,
}

impl GradCheck {
    /// `true` if every entry passed.
    pub fn passed(&self) -> bool {
        self.error <= self.tol || (self.analytic == self.numeric)
    }
}

/// The report; a failure also says what to look at.
impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        write!(
            f,
            "{verdict}: {} entries; worst at {:?}: tape {:.10e}, central difference {:.10e}, \
             error {:.2e} relative to max(|entry|, gradient scale {:.3e}) (tolerance {:.0e})",
            self.entries, self.worst, self.analytic, self.numeric, self.error, self.scale, self.tol
        )?;
        if self.passed() {
            Ok(())
        } else if self.analytic.is_nan() || self.numeric.is_nan() || self.value.is_nan() {
            f.write_str(
                "; a NaN: the function or its gradient is not a number at this input: check \
                 the input for NaN and the operations' domains (ln, sqrt, powf of negatives)",
            )
        } else {
            f.write_str(
                "; the tape's gradient disagrees with central differences: check the \
                 backward rules this entry flows through (custom operations first), or move \
                 the input off a kink (relu, abs, max at a tie), where the two differ by \
                 design",
            )
        }
    }
}

/// The error of one entry as [`check_gradient`] measures it:
/// `|a − b| / max(|a|, |b|, scale)`, with `scale` floored at the smallest normal `f64`
/// (so two exact zeros give 0). NaN if either side is NaN, 0 for equal values (equal
/// infinities included), +∞ for any other infinity.
///
/// `scale` is `G`, the magnitude of the whole gradient (the largest finite entry of
/// either gradient): an entry is judged relative to its own size or to the gradient's,
/// whichever is larger, never against an absolute constant. Scaling the function scales
/// both, so the verdict does not depend on the function's units; and an entry that
/// should be 0 is measured against `G`, not against its own round-off.
pub fn scaled_error(a: f64, b: f64, scale: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    let floor = if scale.is_nan() { 0.0 } else { scale };
    let e = (a - b).abs() / a.abs().max(b.abs()).max(floor).max(f64::MIN_POSITIVE);
    if e.is_nan() {
        f64::INFINITY
    } else {
        e
    }
}

/// The relative error with an absolute floor of 1: `|a − b| / max(1, |a|, |b|)`; NaN if
/// either side is NaN, 0 for equal infinities, +∞ for any other infinity.
///
/// Not what [`check_gradient`] uses: the floor of 1 hides any error in a gradient whose
/// entries are far below 1 (see [`scaled_error`]).
pub fn relative_error(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    let e = (a - b).abs() / 1f64.max(a.abs()).max(b.abs());
    if e.is_nan() {
        f64::INFINITY
    } else {
        e
    }
}

/// Evaluates `f` at `x0` on `tape`: its value and its tape gradient.
///
/// # Errors
///
/// The tape's error if `f` does not fit in it.
pub fn value_and_grad<const R: usize, const C: usize, F>(
    tape: &mut CheckTape,
    x0: &SMatrix<f64, R, C>,
    f: &F,
) -> Result<(f64, SMatrix<f64, R, C>), Error>
where
    F: for<'a, 'g> Fn(&'g CheckGraph<'a>, Var<'g, f64, R, C>) -> Var<'g, f64, 1, 1>,
{
    let g = tape.graph();
    let x = g.param(x0);
    let y = f(&g, x);
    let grads = y.backward()?;
    Ok((y.scalar(), grads.wrt(x)?.into_owned()))
}

/// Checks the tape gradient of `f` at `x0` against central differences in `f64`.
///
/// An entry passes when `|analytic − numeric| ≤ tol·max(|analytic|, |numeric|, G)`, with
/// `G` the largest finite entry of either gradient ([`scaled_error`]): a relative test at
/// every scale, so a gradient wrong by a factor of 2 fails however small the function.
///
/// `f` receives the graph (to make constants) and `x0` as a tracked variable, and returns
/// a scalar. The checker's graph lives inside this call, so other inputs enter as copies,
/// `g.constant_value(m)`, not borrows. Write the model generically over [`stackgrad::Real`] and call it with `f64`
/// here, `f32` on the chip.
///
/// ```
/// use stackgrad::nalgebra::Matrix2x3;
/// use stackgrad_std::check_gradient;
///
/// let x0 = Matrix2x3::new(0.1, -0.4, 0.9, 1.3, -2.0, 0.5);
/// let report = check_gradient(&x0, |_, x| x.tanh().square().sum()).unwrap();
/// assert!(report.passed(), "{report}");
/// ```
///
/// # Errors
///
/// The tape's error if `f` does not fit the checker's tape.
pub fn check_gradient<const R: usize, const C: usize, F>(
    x0: &SMatrix<f64, R, C>,
    f: F,
) -> Result<GradCheck, Error>
where
    F: for<'a, 'g> Fn(&'g CheckGraph<'a>, Var<'g, f64, R, C>) -> Var<'g, f64, 1, 1>,
{
    check_gradient_with(x0, CheckConfig::default(), f)
}

/// [`check_gradient`] with explicit settings.
///
/// # Errors
///
/// The tape's error if `f` does not fit the checker's tape.
pub fn check_gradient_with<const R: usize, const C: usize, F>(
    x0: &SMatrix<f64, R, C>,
    cfg: CheckConfig,
    f: F,
) -> Result<GradCheck, Error>
where
    F: for<'a, 'g> Fn(&'g CheckGraph<'a>, Var<'g, f64, R, C>) -> Var<'g, f64, 1, 1>,
{
    let mut tape: Box<CheckTape> = crate::boxed_tape();
    let mut eval = |x: &SMatrix<f64, R, C>| value_and_grad(&mut tape, x, &f);
    let (value, analytic) = eval(x0)?;
    let mut numeric = SMatrix::<f64, R, C>::zeros();
    for c in 0..C {
        for r in 0..R {
            let h = cfg.step * 1f64.max(x0[(r, c)].abs());
            let (mut xp, mut xm) = (*x0, *x0);
            xp[(r, c)] += h;
            xm[(r, c)] -= h;
            numeric[(r, c)] = (eval(&xp)?.0 - eval(&xm)?.0) / (2.0 * h);
        }
    }
    let scale = analytic
        .iter()
        .chain(numeric.iter())
        .filter(|x| x.is_finite())
        .fold(0.0, |m: f64, x| m.max(x.abs()));
    let mut report = GradCheck {
        worst: (0, 0),
        analytic: f64::NAN,
        numeric: f64::NAN,
        error: -1.0,
        scale,
        tol: cfg.tol,
        value,
        entries: R * C,
    };
    for c in 0..C {
        for r in 0..R {
            let (a, numeric) = (analytic[(r, c)], numeric[(r, c)]);
            let e = scaled_error(a, numeric, scale);
            // NaN counts as the worst possible error, and stays the worst.
            let worse = !report.error.is_nan() && (e.is_nan() || e > report.error);
            if worse {
                report = GradCheck {
                    worst: (r, c),
                    analytic: a,
                    numeric,
                    error: e,
                    ..report
                };
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackgrad::nalgebra::{Matrix2, Vector3};
    use stackgrad::ops::Unary;

    #[test]
    fn a_correct_gradient_passes() {
        let x0 = Matrix2::new(0.3, -1.2, 2.0, 0.5);
        let r = check_gradient(&x0, |_, x| (x * x).exp().mean()).unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!(r.entries, 4);
    }

    #[test]
    fn a_wrong_gradient_fails() {
        // relu at its kink: the tape says relu'(0) = 0, the central difference says 1/2.
        let x0 = Vector3::new(0.0, 1.0, -1.0);
        let r = check_gradient(&x0, |_, x| x.relu().sum()).unwrap();
        assert!(!r.passed(), "{r}");
        assert_eq!(r.worst, (0, 0));
        assert_eq!(r.analytic, 0.0);
        assert!((r.numeric - 0.5).abs() < 1e-9);
        // The report says where to look.
        let text = r.to_string();
        assert!(
            text.starts_with("FAIL: 3 entries; worst at (0, 0)"),
            "{text}"
        );
        assert!(
            text.contains("backward rules") && text.contains("kink"),
            "{text}"
        );
        let passed = check_gradient(&x0, |_, x| x.square().sum()).unwrap();
        assert!(!passed.to_string().contains("backward rules"), "{passed}");
    }

    /// `x³` with a derivative that is wrong by a factor of 2 (`6x²`).
    struct DoubledCube;

    impl Unary<f64> for DoubledCube {
        fn f(x: f64, _: f64) -> f64 {
            x * x * x
        }
        fn df(x: f64, _: f64, _: f64) -> f64 {
            6.0 * x * x
        }
    }

    #[test]
    fn a_wrong_gradient_fails_at_any_scale() {
        // Regression: with an absolute floor of 1 in the error, a gradient 100 % wrong
        // passed once the loss was scaled below the tolerance.
        let x0 = Vector3::new(0.7, -1.3, 0.2);
        for k in [1e3, 1.0, 1e-7, 1e-12] {
            let r = check_gradient(&x0, |_, x| x.map::<DoubledCube>(0.0).sum().scale(k)).unwrap();
            assert!(!r.passed(), "scale {k}: {r}");
            assert!(
                (r.analytic / r.numeric - 2.0).abs() < 1e-6,
                "scale {k}: {r}"
            );
        }
    }

    #[test]
    fn a_correct_gradient_passes_at_any_scale() {
        // Including entries that are exactly 0 and entries far smaller than the others.
        let x0 = Matrix2::new(0.3, -1.2, 2.0, 0.5);
        for k in [1e6, 1.0, 1e-7, 1e-12] {
            let r = check_gradient(&x0, |_, x| {
                let cubed = x.square().component_mul(x);
                (x.exp().mean() + cubed.scale(1e-6).sum() + x.relu().scale(0.0).sum()).scale(k)
            })
            .unwrap();
            assert!(r.passed(), "scale {k}: {r}");
        }
        // A function that does not depend on its input: both gradients are exactly 0.
        let r = check_gradient(&x0, |_, x| x.scale(0.0).sum()).unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!((r.scale, r.error), (0.0, 0.0));
        assert_eq!(scaled_error(0.0, 1e-300, 0.0), 1.0);
        assert_eq!(scaled_error(1e-9, 2e-9, 1e-9), 0.5);
        assert_eq!(scaled_error(1e-12, 2e-12, 1.0), 1e-12);
    }

    #[test]
    fn nan_never_passes() {
        let x0 = Vector3::new(1.0, f64::NAN, 2.0);
        let r = check_gradient(&x0, |_, x| x.square().sum()).unwrap();
        assert!(!r.passed(), "{r}");
        assert!(r.error.is_nan());
        assert!(r.to_string().contains("check the input for NaN"), "{r}");
        assert!(relative_error(f64::NAN, 1.0).is_nan());
        assert!(scaled_error(f64::NAN, 1.0, 1.0).is_nan());
        assert!(scaled_error(1.0, f64::NAN, 1.0).is_nan());
        assert_eq!(scaled_error(f64::INFINITY, 1.0, 1.0), f64::INFINITY);
        assert_eq!(scaled_error(f64::INFINITY, f64::INFINITY, 1.0), 0.0);
        assert!(relative_error(1.0, f64::NAN).is_nan());
        assert_eq!(relative_error(f64::INFINITY, 1.0), f64::INFINITY);
        assert_eq!(relative_error(f64::INFINITY, f64::INFINITY), 0.0);
    }
}
