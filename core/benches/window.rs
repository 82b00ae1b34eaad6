//! The window classifier `s = uᵀ tanh(Wx + b)` in f32, side by side:
//!
//! - `forward`: the score alone, plain nalgebra (the cost of one forward pass);
//! - `tape`: the score and `∂s/∂W, ∂s/∂b, ∂s/∂u, ∂s/∂x` by the tape, read in place;
//! - `tape_layer`: the same with `Wx + b` recorded through `nn::Linear` (one node);
//! - `replay`: the same by replaying the graph `tape` recorded (`Tape::replay`);
//! - `compiled`: the same by the model's compiled backward pass (`stackgrad::compiled`);
//! - `hand`: the same four gradients by a careful hand-written backprop (outputs written
//!   in place with `ger`/`gemv_tr`, no transposed copies): the physical limit;
//! - `hand_dot`: the same with `Wᵀδ` by the tape's 8-lane dot-product kernel.
//!
//! Run: `cargo bench -p stackgrad --bench window`

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use stackgrad::Tape;

#[path = "window_impl/mod.rs"]
mod window_impl;
use window_impl::{
    compiled, data, forward, hand, hand_dot, hidden_model, replay, tape, tape_layer, CompiledGrads,
    HandGrads,
};

fn bench_size<const H: usize, const D: usize, const S: usize>(c: &mut Criterion) {
    let (w0, b0, u0, x0) = data::<H, D>();
    let mut group = c.benchmark_group(format!("window_{H}x{D}"));
    group.bench_function(BenchmarkId::new("forward", ""), |bench| {
        bench.iter(|| {
            forward(
                black_box(&w0),
                black_box(&b0),
                black_box(&u0),
                black_box(&x0),
            )
        })
    });

    let mut t: Box<Tape<f32, S, 16>> = Box::new(Tape::new());
    group.bench_function(BenchmarkId::new("tape", ""), |bench| {
        bench.iter(|| {
            tape(
                &mut t,
                black_box(&w0),
                black_box(&b0),
                black_box(&u0),
                black_box(&x0),
            )
        })
    });

    let mut tl: Box<Tape<f32, S, 16>> = Box::new(Tape::new());
    group.bench_function(BenchmarkId::new("tape_layer", ""), |bench| {
        bench.iter(|| {
            tape_layer(
                &mut tl,
                black_box(&w0),
                black_box(&b0),
                black_box(&u0),
                black_box(&x0),
            )
        })
    });

    // `t` holds the graph `tape` recorded last: replay it.
    group.bench_function(BenchmarkId::new("replay", ""), |bench| {
        bench.iter(|| {
            replay(
                &mut t,
                black_box(&w0),
                black_box(&b0),
                black_box(&u0),
                black_box(&x0),
            )
        })
    });

    let net = Box::new(hidden_model(&w0, &b0));
    let mut cout = Box::new(CompiledGrads::<H, D>::new());
    group.bench_function(BenchmarkId::new("compiled", ""), |bench| {
        bench.iter(|| {
            let s = compiled(black_box(&net), black_box(&u0), black_box(&x0), &mut cout);
            black_box(&cout);
            s
        })
    });

    let mut out = Box::new(HandGrads::<H, D>::new());
    group.bench_function(BenchmarkId::new("hand", ""), |bench| {
        bench.iter(|| {
            let s = hand(
                black_box(&w0),
                black_box(&b0),
                black_box(&u0),
                black_box(&x0),
                &mut out,
            );
            black_box(&out);
            s
        })
    });
    group.bench_function(BenchmarkId::new("hand_dot", ""), |bench| {
        bench.iter(|| {
            let s = hand_dot(
                black_box(&w0),
                black_box(&b0),
                black_box(&u0),
                black_box(&x0),
                &mut out,
            );
            black_box(&out);
            s
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_size::<8, 20, 512>(c);
    bench_size::<64, 320, 24_000>(c);
}

criterion_group!(window, benches);
criterion_main!(window);
