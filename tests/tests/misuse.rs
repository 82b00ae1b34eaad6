//! Misuse: every way to read a gradient either answers for the right variable of the
//! right graph, or says it cannot. Each error variant is produced here (`Capacity` also
//! in `reverse.rs`; `Internal` and `Exhausted`, which a host cannot reach, in the tape's
//! unit tests).

use stackgrad::nalgebra::{Matrix2, Vector2};
use stackgrad::nn::{mlp, Mlp, Module, Rng};
use stackgrad::optim::{Adam, Optimizer, Sgd};
use stackgrad::{Error, Tape, Usage};

type T = Tape<f64, 64, 16>;

/// Records `‖w·x‖²` on `tape` for parameter `w0`, runs backward, returns w's id.
fn record(tape: &mut T, w0: &Matrix2<f64>, x0: &Vector2<f64>) -> stackgrad::VarId<2, 2> {
    let g = tape.graph();
    let w = g.param(w0);
    (w * g.constant(x0)).norm_squared().backward().unwrap();
    w.id()
}

#[test]
fn an_id_read_on_another_tape_of_the_same_capacity_is_foreign() {
    let x0 = Vector2::new(1.0, 2.0);
    let (wa, wb) = (Matrix2::repeat(1.0), Matrix2::repeat(-3.0));
    let (mut a, mut b): (T, T) = (Tape::new(), Tape::new());
    let ida = record(&mut a, &wa, &x0);
    let idb = record(&mut b, &wb, &x0);
    // Both tapes are on their first graph, with the same layout: offsets and generations
    // agree, the tapes' identities do not.
    assert_eq!(b.grad(ida).err(), Some(Error::Foreign));
    assert_eq!(a.grad(idb).err(), Some(Error::Foreign));
    assert_eq!(a.grad(ida).unwrap(), 2.0 * (wa * x0) * x0.transpose());
}

#[test]
fn an_id_of_an_older_graph_is_stale() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    let old = record(&mut tape, &w0, &x0);
    let new = record(&mut tape, &w0, &x0);
    assert_eq!(tape.grad(old).err(), Some(Error::Stale));
    assert!(tape.grad(new).is_ok());
    tape.reset();
    assert_eq!(tape.grad(new).err(), Some(Error::Stale));
}

#[test]
fn before_backward_and_after_it() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    let (before, later) = {
        let g = tape.graph();
        let w = g.param(&w0);
        let y = (w * g.constant(&x0)).norm_squared();
        let before = y.id();
        (before, {
            let _ = y.backward().unwrap();
            w.exp().id()
        })
    };
    // `before` was recorded before the pass and has its gradient (dy/dy = 1);
    // `later` was recorded after it.
    assert_eq!(tape.grad(before).unwrap()[0], 1.0);
    assert_eq!(tape.grad(later).err(), Some(Error::NoBackward));
    let id = {
        let g = tape.graph();
        let w = g.param(&w0);
        let _ = (w * g.constant(&x0)).norm_squared();
        w.id()
    };
    assert_eq!(tape.grad(id).err(), Some(Error::NoBackward));
}

#[test]
fn a_constant_has_no_gradient() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    let xid = {
        let g = tape.graph();
        let (w, x) = (g.param(&w0), g.constant(&x0));
        let grads = (w * x).norm_squared().backward().unwrap();
        assert_eq!(grads.wrt(x).err(), Some(Error::Untracked));
        x.id()
    };
    assert_eq!(tape.grad(xid).err(), Some(Error::Untracked));
}

#[test]
fn two_live_graphs_do_not_answer_for_each_other() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let (mut a, mut b): (T, T) = (Tape::new(), Tape::new());
    let (ga, gb) = (a.graph(), b.graph());
    let (wa, wb) = (ga.param(&w0), gb.param(&w0));
    let sa = (wa * ga.constant(&x0)).norm_squared();
    let sb = (wb * gb.constant(&x0)).norm_squared();
    let grads_a = sa.backward().unwrap();
    // Same shapes, same offsets, another graph: refused.
    assert_eq!(grads_a.wrt(wb).err(), Some(Error::Foreign));
    assert!(grads_a.wrt(wa).is_ok());
    let grads_b = sb.backward().unwrap();
    assert_eq!(grads_b.wrt(wa).err(), Some(Error::Foreign));
    drop((grads_a, grads_b));
    // Mixing their variables in one operation poisons both graphs.
    let mixed = wa + wb;
    assert!(!mixed.is_valid());
    assert_eq!(ga.error(), Some(Error::Foreign));
    assert_eq!(gb.error(), Some(Error::Foreign));
    assert_eq!(sa.backward().err(), Some(Error::Foreign));
}

#[test]
fn recording_while_gradients_are_borrowed() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    {
        let g = tape.graph();
        let w = g.param(&w0);
        let grads = (w * g.constant(&x0)).norm_squared().backward().unwrap();
        assert!(!w.exp().is_valid());
        drop(grads);
        assert_eq!(g.error(), Some(Error::GradsBorrowed));
    }
    assert_eq!(tape.error(), Some(Error::GradsBorrowed));
}

/// `y = 2x`, for the re-entry tests.
fn double_backward(b: &mut stackgrad::ops::Backward<'_, f64>) {
    let up = b.upstream();
    b.accumulate(0, up.iter().map(|&u| 2.0 * u));
}
static DOUBLE: stackgrad::ops::Op<f64> = stackgrad::ops::Op::new("double", double_backward);

#[test]
fn recording_inside_a_custom_forward_works() {
    let (w0, x0) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    let g = tape.graph();
    let w = g.param(&w0);
    let x = g.constant(&x0);
    let mut inner = None;
    // The closure records `w·x` (and binds a leaf) before the custom node lands.
    let y = x.custom_unary::<2, 1>(&DOUBLE, 0.0, |x, out| {
        let wx = w * g.constant_value(Vector2::new(x[0], x[1]));
        inner = Some(wx);
        for (o, &v) in out.iter_mut().zip(wx.value().iter()) {
            *o = 2.0 * v;
        }
    });
    assert_eq!(g.error(), None);
    assert_eq!(y.value(), 2.0 * w0 * x0);
    // The custom node's input is `x` (a constant): its gradient does not reach `w`; the
    // nested product is a node of its own, and differentiates as one.
    let wx = inner.expect("recorded");
    let grads = (y.sum() + wx.sum()).backward().unwrap();
    assert_eq!(grads.wrt(w).unwrap(), Matrix2::new(1.0, 2.0, 1.0, 2.0));
}

#[test]
fn reading_values_inside_a_custom_forward_gives_them() {
    let (w0, x0) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    let g = tape.graph();
    let w = g.param(&w0);
    let wx = w * g.constant(&x0);
    let mut seen = None;
    let y = wx.custom_unary::<2, 1>(&DOUBLE, 0.0, |a, out| {
        seen = Some((w.value(), wx.value()));
        for (o, &v) in out.iter_mut().zip(a) {
            *o = 2.0 * v;
        }
    });
    assert_eq!(seen, Some((w0, w0 * x0)));
    assert_eq!(y.value(), 2.0 * w0 * x0);
    let grads = y.sum().backward().unwrap();
    assert_eq!(grads.wrt(w).unwrap(), Matrix2::new(2.0, 4.0, 2.0, 4.0));
    assert_eq!(g.error(), None);
}

#[test]
fn an_overflow_states_the_whole_graphs_need_in_one_try() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let program = |tape: &mut Tape<f64, 8, 3>| {
        let g = tape.graph();
        let w = g.param(&w0); // 4 scalars, 1 node
        let x = g.constant(&x0); // 1 node
        let h = (w * x).tanh(); // 2 nodes, 4 scalars each
        let s = h.norm_squared(); // 1 node, 2 scalars
        s.backward().err()
    };
    let mut small: Tape<f64, 8, 3> = Tape::new();
    let need = Usage {
        scalars: 4 + 4 + 4 + 2,
        nodes: 5,
    };
    assert_eq!(
        program(&mut small),
        Some(Error::Capacity {
            needed: need,
            capacity: Usage {
                scalars: 8,
                nodes: 3
            }
        })
    );
    // The stated need fits exactly.
    let mut exact: Tape<f64, 14, 5> = Tape::new();
    let g = exact.graph();
    let w = g.param(&w0);
    let s = (w * g.constant(&x0)).tanh().norm_squared();
    assert!(s.backward().is_ok());
    assert_eq!(g.needed(), need);
}

/// A variable the tape had no room for has no value: it reads as NaN, as a matrix and
/// as a scalar, never as another node's numbers or a zero.
#[test]
fn a_value_that_was_not_recorded_reads_as_nan() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let mut small: Tape<f64, 8, 3> = Tape::new();
    let g = small.graph();
    let w = g.param(&w0);
    let h = (w * g.constant(&x0)).tanh(); // the product fits, the tanh does not
    let s = h.norm_squared();
    assert!(h.value().iter().all(|v| v.is_nan()));
    assert!(s.scalar().is_nan());
    assert!(w.value() == w0); // what was recorded still reads
}

#[test]
fn the_ids_of_another_model_on_the_same_graph_are_refused() {
    type Net = Mlp<f64, 2, 3, 2>;
    let mut a: Net = mlp(&mut Rng::seed_from_u64(1));
    let mut b: Net = mlp(&mut Rng::seed_from_u64(2));
    let (a0, b0) = (a, b);
    let x = stackgrad::nalgebra::SMatrix::<f64, 2, 1>::new(0.5, -1.0);
    let mut tape: Tape<f64, 512, 64> = Tape::new();
    let (ids_a, ids_b) = {
        let g = tape.graph();
        let (va, vb) = (a.bind(&g), b.bind(&g));
        let ya = <Net as stackgrad::nn::Layer<f64, _>>::forward(&va, g.constant(&x));
        let yb = <Net as stackgrad::nn::Layer<f64, _>>::forward(&vb, g.constant(&x));
        (ya.norm_squared() + yb.sum()).backward().unwrap();
        (Net::ids(&va), Net::ids(&vb))
    };
    // Same type, same graph, same tape: only the pairing of parameter and id tells.
    let mut opt = Sgd::new(0.1);
    assert_eq!(
        opt.step_model(&mut a, &tape, &ids_b),
        Err(Error::ParamMismatch)
    );
    assert_eq!(
        opt.step_model(&mut b, &tape, &ids_a),
        Err(Error::ParamMismatch)
    );
    assert_eq!((a, b), (a0, b0));
    opt.step_model(&mut a, &tape, &ids_a).unwrap();
    opt.step_model(&mut b, &tape, &ids_b).unwrap();
    let ga = tape.grad(ids_a.0.weight).unwrap().into_owned();
    assert_eq!(a.0.weight, a0.0.weight - 0.1 * ga);
    assert_ne!(a.0.weight, a0.0.weight);
}

#[test]
fn optimizer_misuse_changes_nothing() {
    type Net = Mlp<f64, 2, 3, 2>;
    let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
    let net0 = net;
    let x = stackgrad::nalgebra::SMatrix::<f64, 2, 1>::new(0.5, -1.0);
    let y = stackgrad::nalgebra::SMatrix::<f64, 2, 1>::new(1.0, 0.0);
    let mut tape: Tape<f64, 256, 32> = Tape::new();
    let ids = {
        let g = tape.graph();
        let v = net.bind(&g);
        stackgrad::train::classifier_loss::<f64, Net, 2, 2, 1>(
            &v,
            g.constant(&x),
            g.constant(&y),
            0.0,
        )
        .backward()
        .unwrap();
        Net::ids(&v)
    };
    // State sized for another model.
    let mut wrong: Adam<f64, 5> = Adam::new(0.1);
    assert_eq!(
        wrong.step_model(&mut net, &tape, &ids),
        Err(Error::LengthMismatch {
            expected: 5,
            found: <Net as Module<f64>>::PARAMS
        })
    );
    // A learning rate whose step overflows: refused, nothing written.
    assert_eq!(
        Sgd::new(f64::MAX)
            .weight_decay(f64::MAX)
            .step_model(&mut net, &tape, &ids),
        Err(Error::Overflow)
    );
    assert_eq!(net, net0);
    // A NaN learning rate: named.
    assert_eq!(
        Sgd::new(f64::NAN).step_model(&mut net, &tape, &ids),
        Err(Error::HyperParameter { name: "lr" })
    );
    // A NaN parameter.
    let bias = net.0.bias[0];
    net.0.bias[0] = f64::NAN;
    assert_eq!(
        Sgd::new(0.1).step_model(&mut net, &tape, &ids),
        Err(Error::NonFinite)
    );
    assert_eq!(net.0.weight, net0.0.weight);
    net.0.bias[0] = bias;
    // A copy of the model was never bound: its parameters are not the ids'.
    let mut copy = net;
    assert_eq!(
        Sgd::new(0.1).step_model(&mut copy, &tape, &ids),
        Err(Error::ParamMismatch)
    );
    assert_eq!((copy, net), (net0, net0));
    // The right one works once, and the ids are stale after the next graph.
    Sgd::new(0.1).step_model(&mut net, &tape, &ids).unwrap();
    assert_ne!(net, net0);
    tape.reset();
    assert_eq!(
        Sgd::new(0.1).step_model(&mut net, &tape, &ids),
        Err(Error::Stale)
    );
}

/// What `main() -> Result<(), Error>` prints (`Error: {e:?}`) names the way out.
#[test]
fn a_newcomers_mistakes_print_the_way_out() {
    let (w0, x0) = (Matrix2::repeat(1.0), Vector2::new(1.0, 2.0));
    let shown = |e: Error| format!("{e:?}");
    // The gradient of a constant.
    let mut tape: T = Tape::new();
    {
        let g = tape.graph();
        let (w, x) = (g.param(&w0), g.constant(&x0));
        let grads = (w * x).sum().backward().unwrap();
        let e = grads.wrt(x).unwrap_err();
        assert!(shown(e).starts_with("Untracked: "), "{}", shown(e));
        assert!(
            shown(e).contains("record it with `Graph::param`"),
            "{}",
            shown(e)
        );
    }
    // A tape too small: the size that fits.
    let mut small: Tape<f64, 4, 2> = Tape::new();
    let g = small.graph();
    let e = (g.param(&w0) * g.constant(&x0))
        .sum()
        .backward()
        .unwrap_err();
    assert!(
        shown(e).contains("make the tape at least `Tape<_, 10, 4>`"),
        "{}",
        shown(e)
    );
    // Reading before backward, and another tape's id.
    let id = {
        let g = tape.graph();
        g.param(&w0).id()
    };
    let e = tape.grad(id).unwrap_err();
    assert!(shown(e).contains("call `backward()`"), "{}", shown(e));
    let other: T = Tape::new();
    let e = other.grad(id).unwrap_err();
    assert!(
        shown(e).contains("read each gradient from the tape"),
        "{}",
        shown(e)
    );
    // A NaN gradient, and a NaN learning rate: each named.
    let mut p = [1.0f64, 2.0];
    let e = Sgd::new(0.1).step(&mut p, &[f64::NAN, 0.0]).unwrap_err();
    assert!(shown(e).contains("NaN or infinite"), "{}", shown(e));
    let e = Sgd::new(f64::NAN).step(&mut p, &[0.0, 0.0]).unwrap_err();
    assert!(shown(e).contains("`lr`"), "{}", shown(e));
}

// ---- replay: every misuse is an error, never another graph's numbers ------------------

/// Records `Σ tanh(W·x)` on `tape` and runs its backward pass.
fn record_tanh(tape: &mut T, w: &Matrix2<f64>, x: &Vector2<f64>) {
    let g = tape.graph();
    let (w, x) = (g.param(w), g.constant(x));
    (w * x).tanh().sum().backward().unwrap();
}

#[test]
fn replay_needs_a_recording_with_a_backward_pass() {
    let (w0, x0) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Vector2::new(1.0, 2.0));
    let mut tape: T = Tape::new();
    let replay = |tape: &mut T| {
        let g = tape.replay();
        let _ = (g.param(&w0), g.constant(&x0));
        g.replayed::<1, 1>().backward().err()
    };
    assert_eq!(replay(&mut tape), Some(Error::NotRecorded)); // nothing recorded
    {
        let g = tape.graph();
        let _ = (g.param(&w0) * g.constant(&x0)).tanh().sum(); // no backward
    }
    assert_eq!(replay(&mut tape), Some(Error::NotRecorded));
    {
        let mut small: Tape<f64, 4, 16> = Tape::new(); // too small: the recording fails
        let g = small.graph();
        let s = (g.param(&w0) * g.constant(&x0)).tanh().sum();
        assert!(matches!(s.backward(), Err(Error::Capacity { .. })));
        let g = small.replay();
        let _ = (g.param(&w0), g.constant(&x0));
        assert_eq!(
            g.replayed::<1, 1>().backward().err(),
            Some(Error::NotRecorded)
        );
    }
    record_tanh(&mut tape, &w0, &x0);
    assert_eq!(replay(&mut tape), None);
}

#[test]
fn a_value_from_a_closure_is_never_replayed() {
    let x0 = Vector2::new(1.0, 2.0);
    let mut tape: T = Tape::new();
    {
        let g = tape.graph();
        let x = g.param(&x0);
        let y = x.custom_unary::<2, 1>(&DOUBLE, 0.0, |x, out| {
            out[0] = 2.0 * x[0];
            out[1] = 2.0 * x[1];
        });
        y.sum().backward().unwrap();
    }
    let g = tape.replay();
    let _ = g.param(&x0);
    assert_eq!(
        g.replayed::<1, 1>().backward().err(),
        Some(Error::NoForward)
    );
    // An op without a forward function cannot be applied either.
    let g = tape.graph();
    let y = g.param(&x0).apply_unary::<2, 1>(&DOUBLE, [0.0; 2]);
    assert!(!y.is_valid());
    assert_eq!(g.error(), Some(Error::NoForward));
}

#[test]
fn a_replay_binds_the_recorded_leaves_or_says_it_cannot() {
    let (w0, x0) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Vector2::new(1.0, 2.0));
    let x3 = stackgrad::nalgebra::Vector3::new(1.0, 2.0, 3.0);
    let mut tape: T = Tape::new();
    record_tanh(&mut tape, &w0, &x0);
    macro_rules! attempt {
        (|$g:ident| $bind:expr) => {{
            let $g = tape.replay();
            let _ = $bind;
            let e = $g.error();
            e.or_else(|| $g.replayed::<1, 1>().backward().err())
        }};
    }
    // Another shape, a constant for a parameter, a copied leaf for a borrowed one.
    assert_eq!(attempt!(|g| g.param(&x3)), Some(Error::Unbound));
    assert_eq!(
        attempt!(|g| (g.constant(&w0), g.constant(&x0))),
        Some(Error::Unbound)
    );
    assert_eq!(
        attempt!(|g| (g.param(&w0), g.constant_value(x0))),
        Some(Error::Unbound)
    );
    // A leaf left unbound, one too many, an operation recorded.
    assert_eq!(attempt!(|g| g.param(&w0)), Some(Error::Unbound));
    assert_eq!(
        attempt!(|g| (g.param(&w0), g.constant(&x0), g.constant(&x0))),
        Some(Error::Unbound)
    );
    assert_eq!(
        attempt!(|g| (g.param(&w0) * g.constant(&x0)).sum()),
        Some(Error::Unbound)
    );
    // The right leaves: fine, and the recording survives every failure above.
    assert_eq!(attempt!(|g| (g.param(&w0), g.constant(&x0))), None);
    // An output of another shape; twice; on a graph that records.
    let g = tape.replay();
    let _ = (g.param(&w0), g.constant(&x0));
    let y = g.replayed::<2, 1>();
    assert!(!y.is_valid());
    assert_eq!(g.error(), Some(Error::Unbound));
    let g = tape.replay();
    let _ = (g.param(&w0), g.constant(&x0));
    let s = g.replayed::<1, 1>();
    assert_eq!(g.replayed::<1, 1>().backward().err(), Some(Error::Unbound));
    assert_eq!(s.backward().err(), Some(Error::Unbound)); // the graph is poisoned
    let g = tape.graph();
    assert_eq!(g.replayed::<1, 1>().backward().err(), Some(Error::Unbound));
}

#[test]
fn a_replay_is_a_new_graph_for_ids() {
    let (w0, w1, x0) = (
        Matrix2::new(1.0, 2.0, 3.0, 4.0),
        Matrix2::new(-1.0, 0.5, 0.25, 2.0),
        Vector2::new(1.0, 2.0),
    );
    let mut tape: T = Tape::new();
    let old = {
        let g = tape.graph();
        let w = g.param(&w0);
        (w * g.constant(&x0)).tanh().sum().backward().unwrap();
        w.id()
    };
    // Replayed on another matrix: the recording's id is stale (it named `w0`'s
    // gradient), the replay's id names `w1`'s.
    let new = {
        let g = tape.replay();
        let w = g.param(&w1);
        let _ = g.constant(&x0);
        g.replayed::<1, 1>().backward().unwrap();
        w.id()
    };
    assert_eq!(tape.grad(old).err(), Some(Error::Stale));
    assert!(new.borrowed_from(&w1) && !new.borrowed_from(&w0));
    let mut fresh: T = Tape::new();
    let g = fresh.graph();
    let w = g.param(&w1);
    let want = (w * g.constant(&x0))
        .tanh()
        .sum()
        .backward()
        .unwrap()
        .wrt(w)
        .unwrap()
        .into_owned();
    assert_eq!(tape.grad(new).unwrap(), want);
}

#[test]
fn a_replay_that_stops_at_an_unbound_leaf_leaves_nothing_stale() {
    // `s = Σ tanh(w·x + c)`: the product comes before the leaf `c`, so a replay that
    // binds `w` and `x` only computes the product, then stops at `c`.
    let (w0, w1, x0) = (
        Matrix2::new(1.0, 2.0, 3.0, 4.0),
        Matrix2::new(-1.0, 0.5, 0.25, 2.0),
        Vector2::new(1.0, 2.0),
    );
    let (c0, c1) = (Vector2::new(0.5, -0.5), Vector2::new(-2.0, 1.5));
    let mut tape: T = Tape::new();
    {
        let g = tape.graph();
        let (w, x) = (g.param(&w0), g.constant(&x0));
        let p = w * x;
        (p + g.param(&c0)).tanh().sum().backward().unwrap();
    }
    {
        let g = tape.replay();
        let _ = (g.param(&w1), g.constant(&x0));
        let s = g.replayed::<1, 1>();
        assert!(!s.is_valid());
        assert_eq!(s.backward().err(), Some(Error::Unbound));
    }
    // A full replay after it: the same bits as recording the graph afresh.
    let (value, dw, dc) = {
        let g = tape.replay();
        let (w, _, c) = (g.param(&w1), g.constant(&x0), g.param(&c1));
        let s = g.replayed::<1, 1>();
        let grads = s.backward().unwrap();
        let (dw, dc) = (
            grads.wrt(w).unwrap().into_owned(),
            grads.wrt(c).unwrap().into_owned(),
        );
        (s.scalar(), dw, dc)
    };
    let mut fresh: T = Tape::new();
    let g = fresh.graph();
    let (w, x, c) = (g.param(&w1), g.constant(&x0), g.param(&c1));
    let s = (w * x + c).tanh().sum();
    let grads = s.backward().unwrap();
    assert_eq!(value.to_bits(), s.scalar().to_bits());
    assert_eq!(dw, grads.wrt(w).unwrap());
    assert_eq!(dc, grads.wrt(c).unwrap());
}

/// Set to make the next call of [`flaky_backward`] panic.
static PANIC_NEXT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `y = 2x`, whose rule panics once when [`PANIC_NEXT`] is set: a caller's rule that
/// fails in the middle of a sweep.
fn flaky_backward(b: &mut stackgrad::ops::Backward<'_, f64>) {
    if PANIC_NEXT.swap(false, std::sync::atomic::Ordering::SeqCst) {
        panic!("a rule that panics");
    }
    let up = b.upstream();
    b.accumulate(0, up.iter().map(|&u| 2.0 * u));
}
fn flaky_forward(x: &[f64], _: &[f64], _: [f64; 2], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = 2.0 * v;
    }
}
static FLAKY: stackgrad::ops::Op<f64> =
    stackgrad::ops::Op::with_forward("flaky", flaky_forward, flaky_backward);

/// `Σ (flaky(a) + a)` with `a = w·x`, and `∂/∂w`: the sum's rule marks `a`'s slot as
/// written before the flaky rule runs.
fn flaky_gradient(tape: &mut T, w0: &Matrix2<f64>, x0: &Vector2<f64>) -> Matrix2<f64> {
    let g = tape.graph();
    let w = g.param(w0);
    let a = w * g.constant(x0);
    let s = (a.apply_unary::<2, 1>(&FLAKY, [0.0; 2]) + a).sum();
    let grads = s.backward().unwrap();
    grads.wrt(w).unwrap().into_owned()
}

/// A rule that panics in the middle of a sweep (the panic caught) leaves no state that
/// the tape's next graph could read: its gradients are those of a fresh tape. (A sweep
/// keeps per-node "written" flags; the interrupted one left some set, and a tape that
/// skipped clearing them before a pass failed this test.)
#[test]
fn a_panic_in_a_rule_leaves_nothing_for_the_next_graph() {
    let (w0, x0) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Vector2::new(1.0, -2.0));
    let expected = flaky_gradient(&mut Tape::new(), &w0, &x0);
    assert_eq!(expected, 3.0 * Matrix2::new(1.0, -2.0, 1.0, -2.0));
    let mut tape: T = Tape::new();
    PANIC_NEXT.store(true, std::sync::atomic::Ordering::SeqCst);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        flaky_gradient(&mut tape, &w0, &x0)
    }));
    assert!(caught.is_err());
    // The same tape, a new graph: the same gradient as a fresh tape's, twice.
    assert_eq!(flaky_gradient(&mut tape, &w0, &x0), expected);
    assert_eq!(flaky_gradient(&mut tape, &w0, &x0), expected);
}
