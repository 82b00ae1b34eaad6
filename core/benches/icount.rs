//! Instruction counts of the window classifier's implementations, for callgrind:
//!
//! ```text
//! cargo bench -p stackgrad --bench icount --no-run
//! valgrind --tool=callgrind target/release/deps/icount-* SIZE VARIANT ITERS
//! ```
//!
//! `SIZE` is `small` (8×20) or `large` (64×320), `VARIANT` is `forward`, `tape`,
//! `tape_layer` (the hidden layer through `nn::Linear`'s one node), `replay` (recorded
//! once, then [`Tape::replay`](stackgrad::Tape::replay)ed),
//! `compiled` (the model's compiled backward pass), `hand`, `hand_dot` (the hand-written
//! code with the tape's dot-product kernel) or `none`
//! (setup only, to subtract). `.ci`-independent: `scripts/icount.sh` runs all.

use std::hint::black_box;

use stackgrad::Tape;

#[path = "window_impl/mod.rs"]
mod window_impl;
use window_impl::{
    compiled, data, forward, hand, hand_dot, hidden_model, replay, tape, tape_layer, CompiledGrads,
    HandGrads,
};

fn run<const H: usize, const D: usize, const S: usize>(variant: &str, iters: usize) -> f32 {
    let (w, b, u, x) = data::<H, D>();
    let mut t: Box<Tape<f32, S, 16>> = Box::new(Tape::new());
    let mut out = Box::new(HandGrads::<H, D>::new());
    let net = Box::new(hidden_model(&w, &b));
    let mut cout = Box::new(CompiledGrads::<H, D>::new());
    let mut acc = 0.0;
    if variant == "replay" {
        // Recorded once (the script subtracts a run of one iteration).
        let (s, p) = tape(&mut t, &w, &b, &u, &x);
        acc += s + p;
    }
    for _ in 0..iters {
        acc += match variant {
            "replay" => {
                let (s, p) = replay(
                    &mut t,
                    black_box(&w),
                    black_box(&b),
                    black_box(&u),
                    black_box(&x),
                );
                s + p
            }
            "forward" => forward(black_box(&w), black_box(&b), black_box(&u), black_box(&x)),
            "tape" => {
                let (s, p) = tape(
                    &mut t,
                    black_box(&w),
                    black_box(&b),
                    black_box(&u),
                    black_box(&x),
                );
                s + p
            }
            "tape_layer" => {
                let (s, p) = tape_layer(
                    &mut t,
                    black_box(&w),
                    black_box(&b),
                    black_box(&u),
                    black_box(&x),
                );
                s + p
            }
            "hand" => {
                let s = hand(
                    black_box(&w),
                    black_box(&b),
                    black_box(&u),
                    black_box(&x),
                    &mut out,
                );
                s + black_box(&out).w[(H - 1, D - 1)]
            }
            "hand_dot" => {
                let s = hand_dot(
                    black_box(&w),
                    black_box(&b),
                    black_box(&u),
                    black_box(&x),
                    &mut out,
                );
                s + black_box(&out).w[(H - 1, D - 1)]
            }
            "compiled" => {
                let s = compiled(black_box(&net), black_box(&u), black_box(&x), &mut cout);
                s + black_box(&cout).wb.0.weight[(H - 1, D - 1)]
            }
            _ => 0.0,
        };
    }
    acc
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Under `cargo bench` (args like `--bench`), do nothing.
    if args.len() < 4 || args[1].starts_with("--") {
        return;
    }
    let iters: usize = args[3].parse().unwrap_or(100);
    let acc = match args[1].as_str() {
        "small" => run::<8, 20, 512>(&args[2], iters),
        _ => run::<64, 320, 24_000>(&args[2], iters),
    };
    println!("{acc}");
}
