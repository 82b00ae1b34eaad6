//! Reverse mode across crates: the lecture's examples, closed-form gradients, fan-out,
//! ties, and what happens when a tape is full.

use stackgrad::nalgebra::{Matrix1, Matrix2, SMatrix, SVector, Vector2};
use stackgrad::{Error, Tape, Usage};
use stackgrad_examples::{gates, pseudo_random, window_grads_by_hand, window_score};

#[test]
fn the_lecture_gate_example_exactly() {
    let (x0, y0, z0) = (Matrix1::new(1.0), Matrix1::new(2.0), Matrix1::new(0.0));
    let mut tape: Tape<f64, 16, 8> = Tape::new();
    let g = tape.graph();
    let (x, y, z) = (g.param(&x0), g.param(&y0), g.param(&z0));
    let f = gates(x, y, z);
    let grads = f.backward().unwrap();
    assert_eq!(f.scalar(), 6.0);
    assert_eq!(
        [
            grads.wrt(x).unwrap().into_owned()[0],
            grads.wrt(y).unwrap().into_owned()[0],
            grads.wrt(z).unwrap().into_owned()[0]
        ],
        [2.0, 5.0, 0.0]
    );
    // The same in f32.
    let (x0, y0, z0) = (Matrix1::new(1.0f32), Matrix1::new(2.0), Matrix1::new(0.0));
    let mut tape: Tape<f32, 16, 8> = Tape::new();
    let g = tape.graph();
    let (x, y, z) = (g.param(&x0), g.param(&y0), g.param(&z0));
    let grads = gates(x, y, z).backward().unwrap();
    assert_eq!(
        [
            grads.wrt(x).unwrap().into_owned()[0],
            grads.wrt(y).unwrap().into_owned()[0],
            grads.wrt(z).unwrap().into_owned()[0]
        ],
        [2.0, 5.0, 0.0]
    );
}

#[test]
fn the_window_model_matches_its_closed_form() {
    const H: usize = 8;
    const D: usize = 20;
    for seed in 0..5 {
        let w0: SMatrix<f64, H, D> = pseudo_random(seed * 4 + 1, 0.5);
        let b0: SVector<f64, H> = pseudo_random(seed * 4 + 2, 0.1);
        let u0: SVector<f64, H> = pseudo_random(seed * 4 + 3, 1.0);
        let x0: SVector<f64, D> = pseudo_random(seed * 4 + 4, 1.0);
        let mut tape: Tape<f64, 512, 16> = Tape::new();
        let g = tape.graph();
        let (w, b, u, x) = (g.param(&w0), g.param(&b0), g.param(&u0), g.param(&x0));
        let grads = window_score(w, b, u, x).backward().unwrap();
        let hand = window_grads_by_hand(&w0, &b0, &u0, &x0);
        assert!((grads.wrt(w).unwrap().into_owned() - hand.w).amax() < 1e-14);
        assert!((grads.wrt(b).unwrap().into_owned() - hand.b).amax() < 1e-14);
        assert!((grads.wrt(u).unwrap().into_owned() - hand.u).amax() < 1e-14);
        assert!((grads.wrt(x).unwrap().into_owned() - hand.x).amax() < 1e-14);
    }
}

#[test]
fn a_value_used_several_times_gets_the_sum_of_its_gradients() {
    let x0 = Vector2::new(0.5, -1.5);
    let mut tape: Tape<f64, 64, 16> = Tape::new();
    let g = tape.graph();
    let x = g.param(&x0);
    // f = Σ (x + x∘x + tanh x): ∂f/∂x = 1 + 2x + (1 − tanh²x).
    let f = (x + x.component_mul(x) + x.tanh()).sum();
    let d = f.backward().unwrap().wrt(x).unwrap().into_owned();
    for i in 0..2 {
        let t = x0[i].tanh();
        assert!((d[i] - (1.0 + 2.0 * x0[i] + 1.0 - t * t)).abs() < 1e-15);
    }
}

#[test]
fn ties_in_max_split_the_gradient_evenly() {
    let (a0, b0) = (Matrix1::new(2.0), Matrix1::new(2.0));
    let mut tape: Tape<f64, 16, 8> = Tape::new();
    let g = tape.graph();
    let (a, b) = (g.param(&a0), g.param(&b0));
    let grads = a.max(b).backward().unwrap();
    assert_eq!(
        (
            grads.wrt(a).unwrap().into_owned()[0],
            grads.wrt(b).unwrap().into_owned()[0]
        ),
        (0.5, 0.5)
    );
}

#[test]
fn gradients_are_read_in_place_after_the_graph_is_gone() {
    let mut w0 = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    let x0 = Vector2::new(1.0, -1.0);
    let mut tape: Tape<f64, 64, 8> = Tape::new();
    let id = {
        let g = tape.graph();
        let w = g.param(&w0);
        let loss = (w * g.constant(&x0)).square().sum();
        loss.backward().unwrap();
        w.id()
    };
    // The graph no longer borrows w0: update it in place from the tape's gradient.
    let grad = tape.grad(id).unwrap();
    let expected = 2.0 * (w0 * x0) * x0.transpose();
    assert_eq!(grad.clone_owned(), expected);
    for (p, g) in w0.iter_mut().zip(tape.grad(id).unwrap().iter()) {
        *p -= 0.1 * g;
    }
    assert_eq!(w0, Matrix2::new(1.0, 2.0, 3.0, 4.0) - 0.1 * expected);
    // After a reset the id is stale.
    tape.reset();
    assert_eq!(tape.grad(id).err(), Some(Error::Stale));
}

/// Runs `op` on two 2×2 parameters on a tape with exactly one scalar too few for it:
/// the op must fail with `Error::Capacity`, the graph refuses to differentiate, and the
/// tape works again after a reset.
macro_rules! overflow_case {
    ($name:ident, |$x:ident, $y:ident| $op:expr) => {
        #[test]
        fn $name() {
            let (x0, y0) = (
                Matrix2::new(0.5, -1.0, 2.0, 0.25),
                Matrix2::new(1.5, 0.5, -0.5, 3.0),
            );
            // 1. How much does the op need?
            let mut tape: Tape<f64, 256, 256> = Tape::new();
            let g = tape.graph();
            let ($x, $y) = (g.param(&x0), g.param(&y0));
            let before = g.used().scalars;
            let v = $op;
            let need = g.used().scalars - before;
            assert!(v.is_valid() && need > 0);
            let expected = v.sum().backward().unwrap().wrt($x).unwrap().into_owned();
            // 2. Leave one scalar less than that free.
            let g = tape.graph();
            let ($x, $y) = (g.param(&x0), g.param(&y0));
            let pad = Matrix1::new(0.0);
            while 256 - g.used().scalars > need - 1 {
                let _ = g.constant_value(pad);
            }
            let v = $op;
            assert!(!v.is_valid());
            assert!(v.value().iter().all(|e: &f64| e.is_nan()));
            let err = g.error().unwrap();
            assert!(
                matches!(
                    err,
                    Error::Capacity {
                        capacity: Usage {
                            scalars: 256,
                            nodes: 256
                        },
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(matches!($x.sum().backward(), Err(Error::Capacity { .. })));
            assert!(matches!(v.sum().backward(), Err(Error::Capacity { .. })));
            // 3. After a reset, the same op works again and gives the same gradient.
            let g = tape.graph();
            let ($x, $y) = (g.param(&x0), g.param(&y0));
            let again = $op.sum().backward().unwrap().wrt($x).unwrap().into_owned();
            assert_eq!(again, expected);
            let _ = $y;
        }
    };
}

overflow_case!(capacity_add, |x, y| x + y);
overflow_case!(capacity_sub, |x, y| x - y);
overflow_case!(capacity_neg, |x, y| -x + y);
overflow_case!(capacity_matmul, |x, y| x * y);
overflow_case!(capacity_component_mul, |x, y| x.component_mul(y));
overflow_case!(capacity_scale, |x, y| x.scale(2.0) + y);
overflow_case!(capacity_transpose, |x, y| x.transpose() + y);
overflow_case!(capacity_dot, |x, y| x.dot(y));
overflow_case!(capacity_sum, |x, y| (x + y).sum());
overflow_case!(capacity_mean, |x, y| (x + y).mean());
overflow_case!(capacity_max, |x, y| x.max(y));
overflow_case!(capacity_min, |x, y| x.min(y));
overflow_case!(capacity_sigmoid, |x, y| x.sigmoid() + y);
overflow_case!(capacity_tanh, |x, y| x.tanh() + y);
overflow_case!(capacity_hardtanh, |x, y| x.hardtanh() + y);
overflow_case!(capacity_relu, |x, y| x.relu() + y);
overflow_case!(capacity_leaky_relu, |x, y| x.leaky_relu(0.1) + y);
overflow_case!(capacity_softplus, |x, y| x.softplus() + y);
overflow_case!(capacity_exp, |x, y| x.exp() + y);
overflow_case!(capacity_ln, |x, y| (x.square() + y.square()).ln());
overflow_case!(capacity_sqrt, |x, y| (x.square() + y.square()).sqrt());
overflow_case!(capacity_square, |x, y| x.square() + y);
overflow_case!(capacity_vstack, |x, y| x.vstack::<2, 4>(y));
overflow_case!(capacity_rows, |x, y| (x + y).rows::<1, 1>());
overflow_case!(capacity_add_bias, |x, y| x
    .add_bias(y.rows::<0, 1>().transpose()));
overflow_case!(capacity_norm_squared, |x, y| (x + y).norm_squared());
overflow_case!(capacity_softmax_cross_entropy, |x, y| x
    .softmax_cross_entropy(y.sigmoid()));
overflow_case!(capacity_binary_cross_entropy, |x, y| x
    .binary_cross_entropy_with_logits(y.sigmoid()));
overflow_case!(capacity_gather, |x, y| x
    .gather::<2, 4>(y.rows::<0, 1>().transpose().scale(0.0)));
overflow_case!(capacity_prelu, |x, y| x
    .prelu(y.rows::<0, 1>().rows::<0, 1>().transpose().rows::<0, 1>()));

#[test]
fn running_out_of_nodes_is_an_error_too() {
    let x0 = Matrix1::new(1.0);
    let mut tape: Tape<f64, 64, 3> = Tape::new();
    let g = tape.graph();
    let x = g.param(&x0);
    let y = x.square().exp(); // nodes 2 and 3: fits exactly
    assert!(y.is_valid());
    let z = y.ln(); // a fourth node
    assert!(!z.is_valid());
    assert_eq!(
        g.error(),
        Some(Error::Capacity {
            needed: Usage {
                scalars: 1 + 2 + 2 + 2,
                nodes: 4
            },
            capacity: Usage {
                scalars: 64,
                nodes: 3
            }
        })
    );
    assert!(
        y.backward().is_err(),
        "a poisoned graph gives no gradient, not even of an earlier node"
    );
    let g = tape.graph();
    let x = g.param(&x0);
    assert!(x.square().exp().backward().is_ok());
}

#[test]
fn recording_while_gradients_are_borrowed_is_an_error() {
    let x0 = Matrix1::new(1.0);
    let mut tape: Tape<f64, 64, 8> = Tape::new();
    let g = tape.graph();
    let x = g.param(&x0);
    let y = x.square();
    let grads = y.backward().unwrap();
    let z = x.exp(); // the gradients are borrowed: refused
    assert!(!z.is_valid());
    assert_eq!(grads.wrt(x).unwrap().into_owned()[0], 2.0);
    drop(grads);
    assert_eq!(g.error(), Some(Error::GradsBorrowed));
    // The tape remembers the failure after the graph is gone.
    assert_eq!(tape.error(), Some(Error::GradsBorrowed));
    assert!(tape.graph().error().is_none(), "a new graph starts clean");
}

#[test]
fn high_water_mark_survives_resets() {
    let x0 = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    let mut tape: Tape<f64, 64, 8> = Tape::new();
    {
        let g = tape.graph();
        let x = g.param(&x0);
        let _ = (x * x).sum();
    }
    let used = tape.used();
    // 4 (grad of x) + 4 + 4 (value and grad of x·x) + 1 + 1 (value and grad of the sum).
    assert_eq!(used.scalars, 14);
    assert_eq!(used.nodes, 3);
    tape.reset();
    assert_eq!(tape.used().scalars, 0);
    assert_eq!(tape.high_water(), used);
}

#[test]
fn unreached_variables_get_zero_and_backward_can_run_twice() {
    let (x0, y0) = (
        Matrix2::new(1.0, 2.0, 3.0, 4.0),
        Matrix2::new(-1.0, 0.5, 2.0, 1.0),
    );
    let mut tape: Tape<f64, 128, 16> = Tape::new();
    let g = tape.graph();
    let (x, y) = (g.param(&x0), g.param(&y0));
    let later = (y * y).sum(); // recorded, tracked, not reached from `f`
    let f = (x * x).sum();
    let first = f.backward().unwrap().wrt(x).unwrap().into_owned();
    let grads = f.backward().unwrap();
    assert_eq!(grads.wrt(x).unwrap().into_owned(), first);
    assert_eq!(grads.wrt(y).unwrap().into_owned(), Matrix2::zeros());
    assert_eq!(grads.wrt(later).unwrap().into_owned(), Matrix1::zeros());
    drop(grads);
    // A second root on the same graph gives its own gradients.
    let grads = later.backward().unwrap();
    assert_eq!(grads.wrt(x).unwrap().into_owned(), Matrix2::zeros());
    assert_eq!(
        grads.wrt(y).unwrap().into_owned(),
        y0.transpose() * Matrix2::repeat(1.0) + Matrix2::repeat(1.0) * y0.transpose()
    );
}

/// A NaN in an input shows up in the value of every operation it reaches, never a silent
/// number; ±∞ inputs run through every operation without a panic (their IEEE results,
/// such as `tanh ∞ = 1`, are checked in each operation's edge table).
macro_rules! non_finite_case {
    ($name:ident, |$x:ident, $y:ident| $op:expr) => {
        #[test]
        fn $name() {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let x0 = Matrix2::new(0.5, bad, 2.0, 0.25);
                let y0 = Matrix2::new(1.5, 0.5, -0.5, 3.0);
                let mut tape: Tape<f64, 256, 32> = Tape::new();
                let g = tape.graph();
                let ($x, $y) = (g.param(&x0), g.param(&y0));
                let v = $op;
                let value = v.value();
                if bad.is_nan() {
                    assert!(
                        value.iter().any(|e: &f64| e.is_nan()),
                        "{}: NaN was masked: {value}",
                        stringify!($name)
                    );
                }
                // The backward pass runs, and a NaN input gives a non-finite gradient
                // somewhere rather than a silent number everywhere.
                let grads = v.sum().backward().unwrap();
                if bad.is_nan() {
                    let dx = grads.wrt($x).unwrap();
                    let dy = grads.wrt($y).unwrap();
                    assert!(
                        dx.iter().chain(dy.iter()).any(|e| e.is_nan())
                            || stringify!($name).contains("linear"),
                        "{}: NaN vanished from the gradients {dx} {dy}",
                        stringify!($name)
                    );
                }
            }
        }
    };
}

non_finite_case!(non_finite_linear_add, |x, y| x + y);
non_finite_case!(non_finite_linear_sub, |x, y| x - y);
non_finite_case!(non_finite_linear_neg, |x, y| -x + y);
non_finite_case!(non_finite_matmul, |x, y| x * y);
non_finite_case!(non_finite_component_mul, |x, y| x.component_mul(y));
non_finite_case!(non_finite_linear_scale, |x, y| x.scale(2.0) + y);
non_finite_case!(non_finite_linear_transpose, |x, y| x.transpose() + y);
non_finite_case!(non_finite_dot, |x, y| x.dot(y));
non_finite_case!(non_finite_linear_sum, |x, y| (x + y).sum());
non_finite_case!(non_finite_linear_mean, |x, y| (x + y).mean());
non_finite_case!(non_finite_max, |x, y| x.max(y));
non_finite_case!(non_finite_min, |x, y| x.min(y));
non_finite_case!(non_finite_sigmoid, |x, y| x.sigmoid().component_mul(y));
non_finite_case!(non_finite_tanh, |x, y| x.tanh().component_mul(y));
non_finite_case!(non_finite_hardtanh, |x, y| x.hardtanh().component_mul(y));
non_finite_case!(non_finite_relu, |x, y| x.relu().component_mul(y));
non_finite_case!(non_finite_leaky_relu, |x, y| x
    .leaky_relu(0.1)
    .component_mul(y));
non_finite_case!(non_finite_softplus, |x, y| x.softplus().component_mul(y));
non_finite_case!(non_finite_exp, |x, y| x.exp().component_mul(y));
non_finite_case!(non_finite_ln, |x, y| x.ln().component_mul(y));
non_finite_case!(non_finite_sqrt, |x, y| x.sqrt().component_mul(y));
non_finite_case!(non_finite_square, |x, y| x.square().component_mul(y));
non_finite_case!(non_finite_linear_vstack, |x, y| x.vstack::<2, 4>(y));
non_finite_case!(non_finite_linear_rows, |x, y| (x + y).rows::<0, 1>());

#[test]
fn a_variable_recorded_after_backward_has_no_gradient_yet() {
    let x0 = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    let mut tape: Tape<f64, 64, 8> = Tape::new();
    let (xid, late) = {
        let g = tape.graph();
        let x = g.param(&x0);
        x.square().sum().backward().unwrap();
        let late = x.exp(); // recorded after the backward pass
        (x.id(), late.id())
    };
    assert_eq!(tape.grad(xid).unwrap().clone_owned(), 2.0 * x0);
    assert_eq!(tape.grad(late).err(), Some(Error::NoBackward));
}
