//! The Jacobian of a planar 3-link robot arm's forward kinematics, three ways side by side:
//! forward mode (one pass of `Dual<f64, 3>`), the reverse-mode tape (one backward pass
//! per output), and central differences.
//!
//! The arm has links of length `l₁, l₂, l₃` and joint angles `q₁, q₂, q₃`, each relative
//! to the previous link. With the absolute angles `θᵢ = q₁ + … + qᵢ`, the hand is at
//! `x = Σ lᵢ cos θᵢ`, `y = Σ lᵢ sin θᵢ`, pointing at `φ = θ₃`. Column `j` of `∂(x, y, φ)/∂q`
//! is the hand's velocity when joint `j` turns at unit speed.
//!
//! Run: `cargo run --example jacobian`

use stackgrad::nalgebra::{Matrix3, SMatrix, Vector3};
use stackgrad::ops::Unary;
use stackgrad::{forward, Real, Tape};

const LINKS: [f64; 3] = [1.0, 0.8, 0.5];

/// Forward kinematics, written once over any `Real`: `(x, y, φ)`.
fn hand<S: Real>(q: Vector3<S>) -> Vector3<S> {
    let (mut x, mut y, mut theta) = (S::zero(), S::zero(), S::zero());
    for (qi, li) in q.iter().zip(LINKS) {
        theta += *qi;
        x += S::constant(li) * theta.cos();
        y += S::constant(li) * theta.sin();
    }
    Vector3::new(x, y, theta)
}

/// Element-wise `cos` and `sin` for the tape (it has no trigonometric ops of its own; a
/// user adds one by stating its value and derivative).
struct Cos;
impl<T: Real> Unary<T> for Cos {
    fn f(x: T, _: T) -> T {
        x.cos()
    }
    fn df(x: T, _: T, _: T) -> T {
        -x.sin()
    }
}
struct Sin;
impl<T: Real> Unary<T> for Sin {
    fn f(x: T, _: T) -> T {
        x.sin()
    }
    fn df(x: T, _: T, _: T) -> T {
        x.cos()
    }
}

/// The same kinematics on the tape, one backward pass per output row.
fn jacobian_by_tape(q0: &Vector3<f64>) -> Result<Matrix3<f64>, stackgrad::Error> {
    // θ = L q with L lower-triangular ones; x = lᵀ cos θ, y = lᵀ sin θ, φ = θ₃.
    let cumulative = Matrix3::new(1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0);
    let links = Vector3::from(LINKS);
    let last = Vector3::new(0.0, 0.0, 1.0);
    let mut tape: Tape<f64, 128, 16> = Tape::new();
    let g = tape.graph();
    let q = g.param(q0);
    let theta = g.constant(&cumulative) * q;
    let outputs = [
        theta.map::<Cos>(0.0).dot(g.constant(&links)),
        theta.map::<Sin>(0.0).dot(g.constant(&links)),
        theta.dot(g.constant(&last)),
    ];
    let mut jac = Matrix3::zeros();
    for (mut row, out) in jac.row_iter_mut().zip(outputs) {
        row.copy_from(&out.backward()?.wrt(q)?.transpose());
    }
    Ok(jac)
}

fn jacobian_by_central_differences(q0: &Vector3<f64>) -> Matrix3<f64> {
    let h = 1e-6;
    Matrix3::from_fn(|i, j| {
        let mut e = Vector3::zeros();
        e[j] = h;
        (hand(q0 + e)[i] - hand(q0 - e)[i]) / (2.0 * h)
    })
}

fn print_matrix(name: &str, m: &SMatrix<f64, 3, 3>) {
    println!("{name}");
    for (r, label) in m.row_iter().zip(["∂x", "∂y", "∂φ"]) {
        println!(
            "  {label}/∂q  [{:>12.8} {:>12.8} {:>12.8}]",
            r[0], r[1], r[2]
        );
    }
}

fn main() -> Result<(), stackgrad::Error> {
    let q0 = Vector3::new(0.3, 0.9, -0.4);
    let (p, forward_mode) = forward::jacobian(hand, q0);
    let tape = jacobian_by_tape(&q0)?;
    let fd = jacobian_by_central_differences(&q0);

    println!(
        "planar arm, links {:?}, joint angles q = ({}, {}, {})",
        LINKS, q0[0], q0[1], q0[2]
    );
    println!(
        "hand at x = {:.6}, y = {:.6}, pointing at φ = {:.6}\n",
        p[0], p[1], p[2]
    );
    print_matrix("forward mode (one pass over Dual<f64, 3>):", &forward_mode);
    print_matrix("reverse mode (tape, one backward pass per row):", &tape);
    print_matrix("central differences (h = 1e-6):", &fd);
    println!(
        "\nmax |forward − tape| = {:.1e}, max |forward − central| = {:.1e}",
        (forward_mode - tape).amax(),
        (forward_mode - fd).amax()
    );
    let det = forward_mode.determinant();
    println!("det J = {det:.6} (0 would mean a singular pose: some hand motion unreachable)");
    Ok(())
}
