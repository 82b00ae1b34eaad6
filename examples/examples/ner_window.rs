//! The CS224n window classifier `s = uᵀ tanh(W x + b)` over the 5-word window
//! `museums in Paris are amazing`: the tape's gradients beside the hand-derived ones,
//! the split of `∂s/∂x` into one gradient per word, and a numerical gradient check.
//!
//! Run: `cargo run --example ner_window`

use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::Tape;
use stackgrad_examples::{pseudo_random, window_grads_by_hand, window_score, WINDOW};
use stackgrad_std::check_gradient;

const DIM: usize = 4; // word-vector size
const D: usize = 5 * DIM; // window size
const H: usize = 8; // hidden units

fn max_abs_diff<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
) -> f64 {
    (a - b).amax()
}

fn fmt_vec(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:+.4}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), stackgrad::Error> {
    let w0: SMatrix<f64, H, D> = pseudo_random(1, 0.5);
    let b0: SVector<f64, H> = pseudo_random(2, 0.1);
    let u0: SVector<f64, H> = pseudo_random(3, 1.0);
    let words: [SVector<f64, DIM>; 5] = core::array::from_fn(|i| pseudo_random(10 + i as u64, 1.0));

    let mut tape: Tape<f64, 512, 32> = Tape::new();
    let g = tape.graph();
    let (w, b, u) = (g.param(&w0), g.param(&b0), g.param(&u0));
    // The window x = [x₁; …; x₅]: each word vector is a parameter of its own, so the
    // gradient of x arrives already split per word.
    let xs = words.each_ref().map(|v| g.param(v));
    let x = xs[0]
        .vstack::<DIM, 8>(xs[1])
        .vstack::<DIM, 12>(xs[2])
        .vstack::<DIM, 16>(xs[3])
        .vstack::<DIM, D>(xs[4]);
    let s = window_score(w, b, u, x);
    let grads = s.backward()?;

    let x0 = x.value();
    let hand = window_grads_by_hand(&w0, &b0, &u0, &x0);
    println!("window: {}", WINDOW.join(" "));
    println!("score s = uᵀ tanh(Wx + b) = {:.6}\n", s.scalar());
    println!("gradient        shape   hand-derived   max |tape − hand|");
    println!(
        "∂s/∂W           {H}×{D}    δxᵀ            {:.1e}",
        max_abs_diff(&grads.wrt(w), &hand.w)
    );
    println!(
        "∂s/∂b           {H}×1     δ              {:.1e}",
        max_abs_diff(&grads.wrt(b), &hand.b)
    );
    println!(
        "∂s/∂u           {H}×1     h              {:.1e}",
        max_abs_diff(&grads.wrt(u), &hand.u)
    );
    println!(
        "∂s/∂x           {D}×1    Wᵀδ            {:.1e}",
        max_abs_diff(&grads.wrt(x), &hand.x)
    );
    println!("\nδ = u ∘ (1 − h²) = [{}]", fmt_vec(hand.b.as_slice()));

    println!(
        "\n∂s/∂x split into one gradient per word (word k is rows {DIM}k..{DIM}k+{DIM} of Wᵀδ):"
    );
    for (k, (word, xk)) in WINDOW.iter().zip(xs).enumerate() {
        let gk = grads.wrt(xk);
        let from_x = hand.x.rows(DIM * k, DIM);
        println!(
            "  {word:<8} [{}]   max |tape − (Wᵀδ)ₖ| = {:.1e}",
            fmt_vec(gk.as_slice()),
            (gk - from_x).amax()
        );
    }
    drop(grads);
    println!(
        "\ntape used {:?} (capacity {:?})",
        tape.used(),
        tape.capacity()
    );

    // The numerical check: central differences in f64 against the tape, for W and for x.
    let check_w = check_gradient(&w0, |g, w| {
        window_score(
            w,
            g.constant_value(b0),
            g.constant_value(u0),
            g.constant_value(x0),
        )
    })?;
    let check_x = check_gradient(&x0, |g, x| {
        window_score(
            g.constant_value(w0),
            g.constant_value(b0),
            g.constant_value(u0),
            x,
        )
    })?;
    println!("\nnumerical check ∂s/∂W: {check_w}");
    println!("numerical check ∂s/∂x: {check_x}");
    if !(check_w.passed() && check_x.passed()) {
        std::process::exit(1);
    }
    Ok(())
}
