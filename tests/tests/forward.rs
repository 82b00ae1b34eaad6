//! Forward mode against the reverse-mode tape, and forward-over-reverse (a tape over
//! `Dual<f64, 1>`) against forward-over-forward Hessians and finite differences.

use stackgrad::forward::over_reverse::{gradient_and_hvp, lift, split};
use stackgrad::forward::{gradient, hessian, hessian_vector_product};
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::{Dual, Grads, Real, Tape, Var};
use stackgrad_examples::pseudo_random;

/// `true` only if every entry is within `tol` (relative to the reference); NaN fails.
fn all_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) -> bool {
    a.iter()
        .zip(b.iter())
        .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

/// `∂root/∂v` from a backward pass: the one place these tests read a gradient.
fn gradient_of<const R: usize, const C: usize>(
    grads: &Grads<'_, f64>,
    v: Var<'_, f64, R, C>,
) -> SMatrix<f64, R, C> {
    grads.wrt(v).unwrap().into_owned()
}

// ---- every tape operation against forward mode ------------------------------------------

const N: usize = 5;

/// Points away from every kink (0 for relu, ±1 for hardtanh), and positive where needed.
fn point() -> SVector<f64, N> {
    SVector::from_column_slice(&[-1.7, -0.6, 0.3, 0.8, 2.4])
}
fn weights() -> SVector<f64, N> {
    SVector::from_column_slice(&[0.5, -1.0, 2.0, 0.7, -0.3])
}

/// The same element-wise function on the tape and over `Real`.
type TapeOp = for<'g> fn(Var<'g, f64, N, 1>) -> Var<'g, f64, N, 1>;
type RealOp = fn(Dual<f64, N>) -> Dual<f64, N>;

fn sigmoid<S: Real>(x: S) -> S {
    S::one() / (S::one() + (-x).exp())
}

#[test]
fn every_unary_tape_op_matches_forward_mode() {
    let ops: [(&str, TapeOp, RealOp, bool); 20] = [
        ("exp", |v| v.exp(), |x| Real::exp(x), false),
        ("ln", |v| v.ln(), |x| Real::ln(x), true),
        ("sqrt", |v| v.sqrt(), |x| Real::sqrt(x), true),
        ("tanh", |v| v.tanh(), |x| Real::tanh(x), false),
        ("sigmoid", |v| v.sigmoid(), sigmoid, false),
        (
            "softplus",
            |v| v.softplus(),
            |x| Real::ln_1p(Real::exp(x)),
            false,
        ),
        (
            "relu",
            |v| v.relu(),
            |x| Real::max(x, Dual::constant(0.0)),
            false,
        ),
        (
            "leaky_relu",
            |v| v.leaky_relu(0.1),
            |x| Real::max(x, x * Dual::constant(0.1)),
            false,
        ),
        (
            "hardtanh",
            |v| v.hardtanh(),
            |x| Real::min(Real::max(x, Dual::constant(-1.0)), Dual::constant(1.0)),
            false,
        ),
        ("square", |v| v.square(), |x| x * x, false),
        ("sin", |v| v.sin(), |x| Real::sin(x), false),
        ("cos", |v| v.cos(), |x| Real::cos(x), false),
        ("abs", |v| v.abs(), |x| Real::abs(x), false),
        (
            "powf",
            |v| v.powf(1.7),
            |x| Real::powf(x, Dual::constant(1.7)),
            true,
        ),
        ("powi", |v| v.powi(-3), |x| Real::powi(x, -3), false),
        (
            "clamp",
            |v| v.clamp(-1.0, 1.0),
            |x| x.clamp(Dual::constant(-1.0), Dual::constant(1.0)),
            false,
        ),
        ("v * k", |v| v * 2.5, |x| x * Dual::constant(2.5), false),
        ("v / k", |v| v / -1.5, |x| x / Dual::constant(-1.5), false),
        ("v + k", |v| v + 0.75, |x| x + Dual::constant(0.75), false),
        ("v - k", |v| v - 0.75, |x| x - Dual::constant(0.75), false),
    ];
    let c0 = weights();
    for (name, tape_op, real_op, positive) in ops {
        let x0 = if positive { point().abs() } else { point() };
        let mut tape: Tape<f64, 64, 8> = Tape::new();
        let g = tape.graph();
        let (x, c) = (g.param(&x0), g.constant(&c0));
        let grads = tape_op(x).dot(c).backward().unwrap();
        let reverse = gradient_of(&grads, x);
        let (_, forward) = gradient(
            |x: SVector<Dual<f64, N>, N>| {
                x.iter()
                    .zip(c0.iter())
                    .fold(Dual::constant(0.0), |s, (xi, ci)| {
                        s + real_op(*xi) * Dual::constant(*ci)
                    })
            },
            x0,
        );
        assert!(
            all_close(&reverse, &forward, 1e-14),
            "{name}: {reverse} vs {forward}"
        );
    }
}

#[test]
fn matrix_tape_ops_match_forward_mode() {
    // f(A, x) = mean(max(A x, Aᵀ x) ∘ x) + scale(A x, 3)·x, with A = 3×3 and x = 3×1 as
    // one vector of 12 parameters for forward mode.
    fn f<S: Real>(p: SVector<S, 12>) -> S {
        let a = SMatrix::<S, 3, 3>::from_fn(|i, j| p[i + 3 * j]);
        let x = SVector::<S, 3>::from_fn(|i, _| p[9 + i]);
        let (ax, atx) = (a * x, a.transpose() * x);
        let mut m = S::zero();
        let mut d = S::zero();
        for i in 0..3 {
            m += Real::max(ax[i], atx[i]) * x[i];
            d += ax[i] * S::constant(3.0) * x[i];
        }
        m / S::constant(3.0) + d
    }
    let p0: SVector<f64, 12> = pseudo_random(7, 1.0);
    let a0 = SMatrix::<f64, 3, 3>::from_fn(|i, j| p0[i + 3 * j]);
    let x0 = SVector::<f64, 3>::from_fn(|i, _| p0[9 + i]);
    let mut tape: Tape<f64, 256, 16> = Tape::new();
    let g = tape.graph();
    let (a, x) = (g.param(&a0), g.param(&x0));
    let (ax, atx) = (a * x, a.transpose() * x);
    let loss = ax.max(atx).component_mul(x).mean() + ax.scale(3.0).dot(x);
    let grads = loss.backward().unwrap();
    let (fv, fg) = gradient(f, p0);
    assert!((loss.scalar() - fv).abs() < 1e-14);
    let (ga, gx) = (
        grads.wrt(a).unwrap().into_owned(),
        grads.wrt(x).unwrap().into_owned(),
    );
    let reverse = SVector::<f64, 12>::from_fn(|i, _| if i < 9 { ga[i] } else { gx[i - 9] });
    assert!(all_close(&reverse, &fg, 1e-13), "{reverse} vs {fg}");
}

// ---- forward-over-reverse on a small network's loss -------------------------------------

const H: usize = 4; // hidden units
const D: usize = 3; // inputs
const P: usize = H * D + H + H; // W₁, b₁, w₂ packed (W₁ column-major, as nalgebra stores)
const SAMPLES: usize = 3;

fn data() -> ([SVector<f64, D>; SAMPLES], [f64; SAMPLES]) {
    (
        [
            pseudo_random(11, 1.0),
            pseudo_random(12, 1.0),
            pseudo_random(13, 1.0),
        ],
        [0.5, -0.25, 1.0],
    )
}

/// Mean squared error of `w₂ᵀ tanh(W₁ x + b₁)` over the samples, parameters packed into
/// one vector: the forward-mode reference.
fn packed_loss<S: Real>(p: SVector<S, P>) -> S {
    let w1 = SMatrix::<S, H, D>::from_fn(|i, j| p[i + H * j]);
    let b1 = SVector::<S, H>::from_fn(|i, _| p[H * D + i]);
    let w2 = SVector::<S, H>::from_fn(|i, _| p[H * D + H + i]);
    let (xs, ys) = data();
    let mut loss = S::zero();
    for (x, y) in xs.iter().zip(ys) {
        let h = (w1 * x.map(S::constant) + b1).map(|z| z.tanh());
        let e = w2.dot(&h) - S::constant(y);
        loss += e * e;
    }
    loss / S::constant(SAMPLES as f64)
}

/// The same loss recorded on a tape, with its three parameter matrices.
fn tape_loss<'g, T: Real>(
    w1: Var<'g, T, H, D>,
    b1: Var<'g, T, H, 1>,
    w2: Var<'g, T, H, 1>,
    g: &'g stackgrad::Graph<'_, T, 512, 64>,
) -> Var<'g, T, 1, 1> {
    let (xs, ys) = data();
    let mut terms = [None; SAMPLES];
    for (t, (x, y)) in terms.iter_mut().zip(xs.iter().zip(ys)) {
        let x = g.constant_value(x.map(T::constant));
        let y = g.constant_value(SMatrix::<T, 1, 1>::new(T::constant(y)));
        *t = Some((w2.dot((w1 * x + b1).tanh()) - y).square());
    }
    let [a, b, c] = terms.map(|t| t.unwrap());
    (a + b + c).scale(T::constant(1.0 / SAMPLES as f64))
}

fn unpack(p: &SVector<f64, P>) -> (SMatrix<f64, H, D>, SVector<f64, H>, SVector<f64, H>) {
    (
        SMatrix::from_fn(|i, j| p[i + H * j]),
        SVector::from_fn(|i, _| p[H * D + i]),
        SVector::from_fn(|i, _| p[H * D + H + i]),
    )
}

fn pack(w1: &SMatrix<f64, H, D>, b1: &SVector<f64, H>, w2: &SVector<f64, H>) -> SVector<f64, P> {
    SVector::from_fn(|i, _| {
        if i < H * D {
            w1[i]
        } else if i < H * D + H {
            b1[i - H * D]
        } else {
            w2[i - H * D - H]
        }
    })
}

#[test]
fn forward_over_reverse_gives_gradient_and_hessian_vector_product_of_a_network_loss() {
    let p0: SVector<f64, P> = pseudo_random(3, 0.8);
    let v: SVector<f64, P> = pseudo_random(4, 1.0);
    let ((w1, b1, w2), (vw1, vb1, vw2)) = (unpack(&p0), unpack(&v));

    // One recording over Dual<f64, 1>, one backward pass.
    let (lw1, lb1, lw2) = (lift(&w1, &vw1), lift(&b1, &vb1), lift(&w2, &vw2));
    let mut tape: Tape<Dual<f64, 1>, 512, 64> = Tape::new();
    let g = tape.graph();
    let (tw1, tb1, tw2) = (g.param(&lw1), g.param(&lb1), g.param(&lw2));
    let loss = tape_loss(tw1, tb1, tw2, &g);
    let value = loss.scalar();
    let grads = loss.backward().unwrap();
    let ((gw1, hw1), (gb1, hb1), (gw2, hw2)) = (
        split(&grads.wrt(tw1).unwrap().into_owned()),
        split(&grads.wrt(tb1).unwrap().into_owned()),
        split(&grads.wrt(tw2).unwrap().into_owned()),
    );
    let (grad, hv) = (pack(&gw1, &gb1, &gw2), pack(&hw1, &hb1, &hw2));

    // Forward-over-forward references.
    let (f, fg, h) = hessian(packed_loss, p0);
    let (_, _, fhv) = hessian_vector_product(packed_loss, p0, v);
    assert!((value.re - f).abs() < 1e-14);
    assert!(all_close(&grad, &fg, 1e-13), "gradient {grad} vs {fg}");
    assert!(all_close(&hv, &(h * v), 1e-12), "Hv {hv} vs {}", h * v);
    assert!(all_close(&hv, &fhv, 1e-12));
    // The value's tangent is the directional derivative ∇f·v.
    assert!((value.eps[0] - fg.dot(&v)).abs() < 1e-12);
    // Finite differences of the gradient along v.
    let e = 1e-6;
    let fd =
        (gradient(packed_loss, p0 + v * e).1 - gradient(packed_loss, p0 - v * e).1) / (2.0 * e);
    assert!(all_close(&hv, &fd, 1e-6), "Hv {hv} vs central {fd}");
}

#[test]
fn gradient_and_hvp_helper_on_one_vector_parameter() {
    // Rosenbrock in 2-D through the tape: H at (1, 1) is [[802, −400], [−400, 200]].
    let mut tape: Tape<Dual<f64, 1>, 128, 32> = Tape::new();
    // A named function (closures stored in a variable do not get the higher-ranked
    // lifetimes the helper asks for; a closure written inline in the call does).
    fn rosen<'g>(
        g: &'g stackgrad::Graph<'_, Dual<f64, 1>, 128, 32>,
        x: Var<'g, Dual<f64, 1>, 2, 1>,
    ) -> Var<'g, Dual<f64, 1>, 1, 1> {
        let (x0, x1) = (x.rows::<0, 1>(), x.rows::<1, 1>());
        let one = g.constant_value(SMatrix::<Dual<f64, 1>, 1, 1>::new(Dual::constant(1.0)));
        (one - x0).square() + (x1 - x0.square()).square().scale(Dual::constant(100.0))
    }
    let x = SVector::<f64, 2>::new(1.0, 1.0);
    let v = SVector::<f64, 2>::new(1.0, 2.0);
    let (f, g, hv) = gradient_and_hvp(&mut tape, rosen, &x, &v).unwrap();
    assert_eq!((f, g), (0.0, SVector::zeros()));
    assert_eq!(hv, SVector::<f64, 2>::new(802.0 - 800.0, -400.0 + 400.0));
    // Elsewhere, against forward mode.
    fn rosenbrock<S: Real>(x: SVector<S, 2>) -> S {
        let a = S::one() - x[0];
        let b = x[1] - x[0] * x[0];
        a * a + S::constant(100.0) * b * b
    }
    let x = SVector::<f64, 2>::new(-1.2, 1.0);
    let (f, g, hv) = gradient_and_hvp(&mut tape, rosen, &x, &v).unwrap();
    let (ff, fg, h) = hessian(rosenbrock, x);
    assert!((f - ff).abs() < 1e-13);
    assert!(all_close(&g, &fg, 1e-14) && all_close(&hv, &(h * v), 1e-14));
    // A tape too small: an error, not a wrong answer.
    let mut small: Tape<Dual<f64, 1>, 8, 4> = Tape::new();
    let r = gradient_and_hvp(
        &mut small,
        |_, x: Var<'_, Dual<f64, 1>, 2, 1>| x.square().sum().exp().ln().sqrt(),
        &x,
        &v,
    );
    assert!(r.is_err());
}

#[test]
fn new_matrix_tape_ops_match_forward_mode() {
    // f(A, B) over A, B: 3×2, as one vector of 12 parameters for forward mode:
    //   Σ w₁ ∘ softmax(A ⊘ B) + Σ w₂ ∘ log_softmax([A B]) + ⟨row_sum(A), column_mean(B)ᵀ⟩
    //   + column_sum(A)·row_mean(B) + A[:, 1]·B[:, 0] + A[2, 0]·B[1, 1]
    const R: usize = 3;
    type M<S> = SMatrix<S, R, 2>;
    fn unpack<S: Real>(p: &SVector<S, 12>) -> (M<S>, M<S>) {
        (
            M::from_fn(|i, j| p[i + R * j]),
            M::from_fn(|i, j| p[6 + i + R * j]),
        )
    }
    fn weights(seed: u64) -> SMatrix<f64, R, 2> {
        SMatrix::from_column_slice(pseudo_random::<6, 1>(seed, 1.0).as_slice())
    }
    fn softmax_col<S: Real>(z: [S; R], log: bool) -> [S; R] {
        let m = z.iter().fold(z[0], |m, &x| Real::max(m, x));
        let lse = m + z.iter().fold(S::zero(), |s, &x| s + (x - m).exp()).ln();
        z.map(|x| if log { x - lse } else { (x - lse).exp() })
    }
    fn f<S: Real>(p: SVector<S, 12>) -> S {
        let (a, b) = unpack(&p);
        let (w1, w2) = (weights(1), weights(2));
        let mut total = S::zero();
        for j in 0..2 {
            let q = softmax_col([0, 1, 2].map(|i| a[(i, j)] / b[(i, j)]), false);
            let l = softmax_col([0, 1, 2].map(|i| a[(i, j)]), true);
            let l2 = softmax_col([0, 1, 2].map(|i| b[(i, j)]), true);
            for i in 0..R {
                total += q[i] * S::constant(w1[(i, j)]);
                total += l[i] * S::constant(w2[(i, j)]) + l2[i];
            }
        }
        for j in 0..2 {
            let row_sum_a = a[(0, j)] + a[(1, j)] + a[(2, j)];
            let col_mean_b = (b[(j, 0)] + b[(j, 1)]) / S::constant(2.0);
            total += row_sum_a * col_mean_b;
        }
        let row_mean_b = [0, 1].map(|j| (b[(0, j)] + b[(1, j)] + b[(2, j)]) / S::constant(3.0));
        for i in 0..R {
            let col_sum_a = a[(i, 0)] + a[(i, 1)];
            total += col_sum_a * col_sum_a * row_mean_b[i % 2];
            total += a[(i, 1)] * b[(i, 0)];
        }
        total + a[(2, 0)] * b[(1, 1)]
    }
    // B away from zero, as it divides
    let mut p0: SVector<f64, 12> = pseudo_random(11, 1.0);
    for k in 6..12 {
        p0[k] += 0.5 * p0[k].signum();
    }
    let (a0, b0) = unpack(&p0);
    let (w1, w2) = (weights(1), weights(2));
    let mut tape: Tape<f64, 512, 64> = Tape::new();
    let g = tape.graph();
    let (a, b) = (g.param(&a0), g.param(&b0));
    let ab = a.hstack::<2, 4>(b);
    let lsm = ab.log_softmax();
    let row_mean_b = b.row_mean();
    let col_sum_a = a.column_sum();
    let sq = col_sum_a.component_mul(col_sum_a);
    let loss = a
        .component_div(b)
        .softmax()
        .component_mul(g.constant(&w1))
        .sum()
        + lsm
            .transpose()
            .rows::<0, 2>()
            .transpose()
            .component_mul(g.constant(&w2))
            .sum()
        + lsm.transpose().rows::<2, 2>().sum()
        + (a.row_sum() * b.column_mean().rows::<0, 2>()).sum()
        + sq.at::<0, 0>() * row_mean_b.at::<0, 0>()
        + sq.at::<1, 0>() * row_mean_b.at::<0, 1>()
        + sq.at::<2, 0>() * row_mean_b.at::<0, 0>()
        + a.column::<1>().dot(b.column::<0>())
        + a.at::<2, 0>() * b.at::<1, 1>();
    let grads = loss.backward().unwrap();
    let (fv, fg) = gradient(f, p0);
    assert!(
        (loss.scalar() - fv).abs() < 1e-13,
        "{} vs {fv}",
        loss.scalar()
    );
    let (ga, gb) = (gradient_of(&grads, a), gradient_of(&grads, b));
    let reverse = SVector::<f64, 12>::from_fn(|i, _| if i < 6 { ga[i] } else { gb[i - 6] });
    assert!(all_close(&reverse, &fg, 1e-12), "{reverse} vs {fg}");
}
