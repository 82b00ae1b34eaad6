//! Pictures of the graph: the DOT text of the lecture's gate example, checked line by
//! line, and equal to the picture committed under docs/pictures/.

use stackgrad::dot::DotOptions;
use stackgrad::nalgebra::Matrix1;
use stackgrad::Tape;

fn gates_dot(backward: bool) -> String {
    let (x0, y0, z0) = (Matrix1::new(1.0), Matrix1::new(2.0), Matrix1::new(0.0));
    let mut tape: Tape<f64, 16, 8> = Tape::new();
    let g = tape.graph();
    let (x, y, z) = (g.param(&x0), g.param(&y0), g.param(&z0));
    let f = (x + y) * y.max(z);
    let grads = backward.then(|| f.backward().unwrap());
    let mut dot = String::new();
    let opts = DotOptions {
        leaf_names: &["x", "y", "z"],
        ..DotOptions::default()
    };
    g.write_dot(&mut dot, &opts).unwrap();
    drop(grads);
    dot
}

#[test]
fn the_gates_graph_as_dot() {
    let dot = gates_dot(true);
    for line in [
        "digraph stackgrad {",
        r##"  n0 [shape=box, style="rounded,filled", fillcolor="#dbeafe", label="param x\n1×1"];"##,
        r##"  n3 [shape=box, style=rounded, label="add\n1×1"];"##,
        // y fans out: 2 forward on both edges, and the sum 3 + 2 = 5 flows back on both.
        r##"  n1 -> n3 [label="2.000\n∇ 5.000", headlabel="b"];"##,
        r##"  n4 [shape=box, style=rounded, label="max\n1×1"];"##,
        r##"  n1 -> n4 [label="2.000\n∇ 5.000", headlabel="a"];"##,
        r##"  n2 -> n4 [label="0\n∇ 0", headlabel="b"];"##,
        // * switches: q gets m = 2, m gets q = 3.
        r##"  n3 -> n5 [label="3.000\n∇ 2.000", headlabel="a"];"##,
        r##"  n4 -> n5 [label="2.000\n∇ 3.000", headlabel="b"];"##,
        // The lecture's product gate: a 1×1 by 1×1 product (a matmul on the tape).
        r##"  n5 [shape=box, style=rounded, label="×\n1×1"];"##,
        // The output is text, not a shape (layout-rs draws unknown shapes as circles).
        r##"  out [shape=box, color="white", label="output"];"##,
        r##"  n5 -> out [label="6.000\n∇ 1.000"];"##,
        "}",
    ] {
        assert!(dot.lines().any(|l| l == line), "missing {line:?} in\n{dot}");
    }
    let committed = include_str!("../../docs/pictures/gates.dot");
    assert_eq!(
        dot, committed,
        "docs/pictures/gates.dot is out of date: run `cargo run --example gates -- docs/pictures`"
    );
}

#[test]
fn before_backward_the_edges_carry_values_only() {
    let dot = gates_dot(false);
    assert!(
        dot.contains(r##"n3 -> n5 [label="3.000", headlabel="a"];"##),
        "{dot}"
    );
    assert!(!dot.contains('∇'));
}

#[test]
fn names_are_escaped_and_large_matrices_summarised() {
    let w0 = stackgrad::nalgebra::SMatrix::<f64, 3, 3>::repeat(2.0);
    let mut tape: Tape<f64, 64, 8> = Tape::new();
    let g = tape.graph();
    let w = g.param(&w0);
    let s = w.sum();
    let grads = s.backward().unwrap();
    let mut dot = String::new();
    let opts = DotOptions {
        leaf_names: &["a \"quoted\"\nname"],
        ..DotOptions::default()
    };
    g.write_dot(&mut dot, &opts).unwrap();
    drop(grads);
    assert!(
        dot.contains(r##"label="param a \"quoted\" name\n3×3""##),
        "{dot}"
    );
    // 9 entries > 4: shape and norm (‖W‖ = 6, ‖∇‖ = 3).
    assert!(
        dot.contains(r##"n0 -> n1 [label="3×3, ‖·‖ 6.000\n∇ 3×3, ‖·‖ 3.000"];"##),
        "{dot}"
    );
}

#[test]
fn any_digit_count_writes_without_panicking() {
    let (x0, y0) = (Matrix1::new(1.0 / 3.0), Matrix1::new(12345.678));
    let mut tape: Tape<f64, 16, 8> = Tape::new();
    let g = tape.graph();
    let (x, y) = (g.param(&x0), g.param(&y0));
    let _ = (x * y).backward().unwrap();
    let write = |digits| {
        let mut dot = String::new();
        let opts = DotOptions {
            digits,
            ..DotOptions::default()
        };
        g.write_dot(&mut dot, &opts).unwrap();
        dot
    };
    // core::fmt panics on a precision above 65535; the writer shows at most 17 digits.
    let most = write(DotOptions::MAX_DIGITS);
    assert_eq!(write(70_000), most);
    assert_eq!(write(usize::MAX), most);
    assert!(most.contains("0.33333333333333331"), "{most}");
    assert_eq!(write(0), write(1));
}

#[test]
fn a_layer_of_three_inputs_is_one_box_with_three_labelled_edges() {
    use stackgrad::nalgebra::{Matrix2, Vector2};
    use stackgrad::nn::LinearVars;
    let (w0, b0, x0) = (
        Matrix2::new(1.0, 2.0, 3.0, 4.0),
        Vector2::new(0.5, -0.5),
        Vector2::new(1.0, -1.0),
    );
    let mut tape: Tape<f64, 64, 8> = Tape::new();
    let g = tape.graph();
    let (w, b, x) = (g.param(&w0), g.param(&b0), g.constant(&x0));
    let y = LinearVars { weight: w, bias: b }.forward(x).sum();
    let grads = y.backward().unwrap();
    let mut dot = String::new();
    g.write_dot(&mut dot, &DotOptions::default()).unwrap();
    drop(grads);
    // Leaves n0 (W), n1 (b), n2 (x); the layer is n3: W, X and b in that order.
    assert!(
        dot.contains(r##"n3 [shape=box, style=rounded, label="linear\n2×1"];"##),
        "{dot}"
    );
    for (from, operand) in [("n0", "a"), ("n2", "b"), ("n1", "c")] {
        let edge = format!("  {from} -> n3 [");
        let line = dot.lines().find(|l| l.starts_with(&edge));
        assert!(
            line.is_some_and(|l| l.ends_with(&format!("headlabel=\"{operand}\"];"))),
            "{from} → linear: {line:?} in\n{dot}"
        );
    }
    assert!(
        !dot.contains("matmul") && !dot.contains("add_bias"),
        "{dot}"
    );
}
