//! The lecture's gate example: `f(x, y, z) = (x + y)·max(y, z)` at `(1, 2, 0)`.
//!
//! Prints every node's forward value and its gradient `∂f/∂node`: `+` distributes the
//! upstream gradient, `max` routes it, `*` switches it, and `y`, used twice, gets the sum.
//!
//! Run: `cargo run --example gates`

use stackgrad::nalgebra::Matrix1;
use stackgrad::Tape;

fn main() -> Result<(), stackgrad::Error> {
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
    drop(grads);
    println!("tape used: {:?} of {:?}", tape.used(), tape.capacity());
    Ok(())
}
