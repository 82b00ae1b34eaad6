//! The lecture's gate example: `f(x, y, z) = (x + y)·max(y, z)` at `(1, 2, 0)`.
//!
//! Prints every node's forward value and its gradient `∂f/∂node`: `+` distributes the
//! upstream gradient, `max` routes it, `*` switches it, and `y`, used twice, gets the sum.
//!
//! It also draws the lecture's picture of the graph, forward values above each edge and
//! gradients under them, as Graphviz DOT and SVG (into the directory given as the first
//! argument, else the temporary directory; `docs/pictures/` holds the committed ones).
//!
//! Run: `cargo run --example gates [-- DIR]`

use stackgrad::dot::DotOptions;
use stackgrad::nalgebra::Matrix1;
use stackgrad::Tape;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (x0, y0, z0) = (Matrix1::new(1.0), Matrix1::new(2.0), Matrix1::new(0.0));
    let mut tape: Tape<f64, 16, 8> = Tape::new();
    let g = tape.graph();
    let (x, y, z) = (g.param(&x0), g.param(&y0), g.param(&z0));
    let q = x + y; // + distributes
    let m = y.max(z); // max routes
    let f = q * m; // * switches
    let grads = f.backward()?;

    println!("f(x, y, z) = (x + y)·max(y, z) at (x, y, z) = (1, 2, 0)\n");
    println!("{:<16} {:>8} {:>10}", "node", "value", "∂f/∂node");
    for (name, v) in [
        ("x", x),
        ("y", y),
        ("z", z),
        ("q = x + y", q),
        ("m = max(y, z)", m),
        ("f = q·m", f),
    ] {
        println!("{name:<16} {:>8} {:>10}", v.scalar(), grads.wrt(v)?[0]);
    }
    println!(
        "\n∇f = ({}, {}, {}): y fans out to q and m, and its gradient is the sum 3 + 2.",
        grads.wrt(x)?[0],
        grads.wrt(y)?[0],
        grads.wrt(z)?[0]
    );
    let mut dot = String::new();
    g.write_dot(
        &mut dot,
        &DotOptions {
            leaf_names: &["x", "y", "z"],
            ..DotOptions::default()
        },
    )?;
    drop(grads);
    let dir = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let (dot_path, svg_path) = (dir.join("gates.dot"), dir.join("gates.svg"));
    std::fs::write(&dot_path, &dot)?;
    std::fs::write(&svg_path, stackgrad_std::dot_to_svg(&dot)?)?;
    println!(
        "the graph: {} and {}",
        dot_path.display(),
        svg_path.display()
    );
    println!("tape used: {:?} of {:?}", tape.used(), tape.capacity());
    Ok(())
}
