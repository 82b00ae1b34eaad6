//! Pictures of a recorded graph: Graphviz DOT written to any [`core::fmt::Write`] (a
//! `String` on the host, a serial port on a chip), with no heap. Nothing of this is linked
//! into a program that does not call it, and the tape stores nothing for it beyond what
//! it keeps anyway (each node points to its operation's `static` [`Op`](super::Op),
//! whose name this prints).
//!
//! One box per operation with its name and shape; parameters (tracked leaves) and
//! constants are drawn differently. Each edge carries the value flowing forward and,
//! after a backward pass, the gradient flowing back under it: every entry for matrices
//! of up to [`DotOptions::max_entries`] entries, otherwise the shape and the norm. The
//! lecture's picture of backpropagation, for any graph:
//!
//! ```
//! use stackgrad::nalgebra::Matrix1;
//! use stackgrad::Tape;
//!
//! let (x0, y0, z0) = (Matrix1::new(1.0), Matrix1::new(2.0), Matrix1::new(0.0));
//! let mut tape: Tape<f64, 32, 8> = Tape::new();
//! let g = tape.graph();
//! let (x, y, z) = (g.param(&x0), g.param(&y0), g.param(&z0));
//! let f = (x + y).component_mul(y.max(z));
//! let grads = f.backward()?;
//! let mut dot = String::new();
//! g.write_dot(&mut dot, &Default::default()).unwrap();
//! assert!(dot.starts_with("digraph stackgrad {"));
//! assert!(dot.contains("component_mul"));
//! # drop(grads);
//! # Ok::<(), stackgrad::Error>(())
//! ```

use core::fmt::{self, Write};

use super::node::{Node, Values, NONE, NONE_OFFSET};
use crate::Real;

/// How [`Graph::write_dot`](crate::Graph::write_dot) draws a graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DotOptions<'a> {
    /// Names of the leaves (parameters and constants) in the order they were recorded;
    /// a leaf past the end is called `param k` or `constant k` by its node number.
    pub leaf_names: &'a [&'a str],
    /// Matrices with at most this many entries show every entry on their edges; larger
    /// ones show their shape and norm.
    pub max_entries: usize,
    /// Significant digits of the numbers shown, at most [`DotOptions::MAX_DIGITS`] (an
    /// `f64` has no more; a larger value is taken as that).
    pub digits: usize,
    /// Lay the graph out left to right (`true`) or top to bottom.
    pub left_to_right: bool,
}

impl DotOptions<'_> {
    /// The most significant digits shown: 17, all an `f64` holds. (`core::fmt` panics
    /// on a precision above 65535, so the clamp also keeps
    /// [`Graph::write_dot`](super::Graph::write_dot) panic-free.)
    pub const MAX_DIGITS: usize = 17;
}

impl Default for DotOptions<'_> {
    fn default() -> Self {
        DotOptions {
            leaf_names: &[],
            max_entries: 4,
            digits: 4,
            left_to_right: true,
        }
    }
}

/// A name written inside a DOT string: quotes, backslashes and line breaks escaped.
struct Escaped<'s>(&'s str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' | '\r' => f.write_char(' ')?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// What the writer reads of a graph.
pub(crate) struct View<'v, T: 'static> {
    pub(crate) nodes: &'v [Node<T>],
    pub(crate) values: Values<'v, T>,
    /// `pool[..grads_done]`: empty before a backward pass.
    pub(crate) grads: &'v [T],
    /// Whether a backward pass has computed the gradients.
    pub(crate) backward_done: bool,
}

/// A number in `digits` significant digits, fixed or scientific by its size.
fn number<W: Write>(out: &mut W, x: f64, digits: usize) -> fmt::Result {
    let digits = digits.clamp(1, DotOptions::MAX_DIGITS);
    let a = x.abs();
    if x == 0.0 || x.is_nan() || x.is_infinite() {
        write!(out, "{x}")
    } else if (1e-3..1e5).contains(&a) {
        // Digits after the point so that `digits` are significant.
        let int_digits = if a >= 1.0 {
            libm::floor(libm::log10(a)) as usize + 1
        } else {
            0
        };
        write!(out, "{x:.*}", digits.saturating_sub(int_digits).max(1))
    } else {
        write!(out, "{x:.*e}", digits.saturating_sub(1))
    }
}

/// A matrix's entries (row by row, rows separated by `;`), or its shape and norm.
fn matrix<W: Write, T: Real>(
    out: &mut W,
    m: &[T],
    rows: usize,
    opts: &DotOptions<'_>,
) -> fmt::Result {
    let rows = rows.max(1);
    let cols = m.len() / rows;
    if m.len() <= opts.max_entries {
        if m.len() > 1 {
            out.write_char('[')?;
        }
        for r in 0..rows {
            if r > 0 {
                out.write_str("; ")?;
            }
            for c in 0..cols {
                if c > 0 {
                    out.write_str(", ")?;
                }
                let x = m.get(c * rows + r).map_or(f64::NAN, |v| v.to_f64());
                number(out, x, opts.digits)?;
            }
        }
        if m.len() > 1 {
            out.write_char(']')?;
        }
        Ok(())
    } else {
        let norm = libm::sqrt(m.iter().map(|v| v.to_f64() * v.to_f64()).sum());
        write!(out, "{rows}×{cols}, ‖·‖ ")?;
        number(out, norm, opts.digits)
    }
}

/// The gradient of node `i`, if the backward pass computed one.
fn gradient<'v, T: Real>(v: &View<'v, T>, n: &Node<T>) -> Option<&'v [T]> {
    if !v.backward_done || n.grad == NONE_OFFSET {
        return None;
    }
    let start = n.grad as usize;
    v.grads.get(start..start + n.len as usize)
}

/// An edge label: the value, and under it the gradient.
fn edge_label<W: Write, T: Real>(
    out: &mut W,
    v: &View<'_, T>,
    i: u16,
    opts: &DotOptions<'_>,
) -> fmt::Result {
    let Some(n) = v.nodes.get(i as usize) else {
        return Ok(());
    };
    matrix(out, v.values.get(v.nodes, i), n.rows as usize, opts)?;
    if let Some(g) = gradient(v, n) {
        out.write_str("\\n∇ ")?;
        matrix(out, g, n.rows as usize, opts)?;
    }
    Ok(())
}

/// What a node is called in the picture: its operation's name, except that a product of
/// two `1×1` values is `×`, the lecture's product gate (it is a `matmul` on the tape).
fn display_name<T>(nodes: &[Node<T>], n: &Node<T>, name: &'static str) -> &'static str {
    let scalar = |i: u16| nodes.get(i as usize).is_some_and(|m| m.len == 1);
    if name == "matmul" && n.len == 1 && scalar(n.inputs[0]) && scalar(n.inputs[1]) {
        "×"
    } else {
        name
    }
}

/// Writes the graph `v` as DOT.
pub(crate) fn write<W: Write, T: Real>(
    v: &View<'_, T>,
    out: &mut W,
    opts: &DotOptions<'_>,
) -> fmt::Result {
    writeln!(out, "digraph stackgrad {{")?;
    if opts.left_to_right {
        writeln!(out, "  rankdir=LR;")?;
    }
    writeln!(
        out,
        "  node [fontname=\"Helvetica\", fontsize=11]; edge [fontname=\"Helvetica\", fontsize=10];"
    )?;
    let mut leaf = 0usize;
    for (i, n) in v.nodes.iter().enumerate() {
        let rows = n.rows.max(1);
        let cols = n.len / rows;
        let name = if n.op.is_none() {
            leaf += 1;
            opts.leaf_names.get(leaf - 1).copied()
        } else {
            None
        };
        match n.op {
            Some(op) => writeln!(
                out,
                "  n{i} [shape=box, style=rounded, label=\"{}\\n{rows}×{cols}\"];",
                display_name(v.nodes, n, op.name())
            )?,
            None => {
                let (kind, color) = if n.grad != NONE_OFFSET {
                    ("param", "#dbeafe")
                } else {
                    ("constant", "#f3f4f6")
                };
                write!(
                    out,
                    "  n{i} [shape=box, style=\"rounded,filled\", fillcolor=\"{color}\", label=\""
                )?;
                match name {
                    Some(name) => write!(out, "{kind} {}", Escaped(name))?,
                    None => write!(out, "{kind} {i}")?,
                }
                writeln!(out, "\\n{rows}×{cols}\"];")?;
            }
        }
        if n.op.is_some() {
            for (k, &input) in n.inputs.iter().enumerate() {
                if input == NONE {
                    continue;
                }
                write!(out, "  n{input} -> n{i} [label=\"")?;
                edge_label(out, v, input, opts)?;
                // Which operand, where the order matters (a − b, A·B).
                if n.inputs[1] != NONE {
                    let operand = ["a", "b", "c"].get(k).copied().unwrap_or("");
                    write!(out, "\", headlabel=\"{operand}")?;
                }
                writeln!(out, "\"];")?;
            }
        }
    }
    // The last node's value (the root of a backward pass, usually) leaves the graph.
    if let Some(last) = v.nodes.len().checked_sub(1) {
        // A box with a white border: text only, in Graphviz and in layout-rs (which draws
        // every shape it does not know, `plaintext` among them, as a circle).
        writeln!(out, "  out [shape=box, color=\"white\", label=\"output\"];")?;
        write!(out, "  n{last} -> out [label=\"")?;
        edge_label(out, v, last as u16, opts)?;
        writeln!(out, "\"];")?;
    }
    writeln!(out, "}}")
}
