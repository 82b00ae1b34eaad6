//! Pictures of a recorded graph as SVG: the DOT that
//! [`Graph::write_dot`](stackgrad::Graph::write_dot) writes, laid out and drawn by the
//! `layout-rs` crate (no Graphviz installation needed). Needs the `svg` feature.

use std::fmt;

/// A DOT text that could not be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureError(pub String);

impl fmt::Display for PictureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot draw the graph: the DOT text does not parse ({}): pass dot_to_svg what \
             Graph::write_dot wrote, unchanged, or DOT that the layout-rs crate reads",
            self.0
        )
    }
}

impl std::error::Error for PictureError {}

/// Draws DOT text as an SVG document. Needs the `svg` feature.
///
/// ```
/// use stackgrad::nalgebra::Matrix1;
/// use stackgrad::Tape;
///
/// let (x0, y0) = (Matrix1::new(3.0), Matrix1::new(-2.0));
/// let mut tape: Tape<f64, 32, 8> = Tape::new();
/// let g = tape.graph();
/// let (x, y) = (g.param(&x0), g.param(&y0));
/// let f = x.component_mul(y);
/// let grads = f.backward()?;
/// let mut dot = String::new();
/// g.write_dot(&mut dot, &Default::default()).unwrap();
/// drop(grads);
/// let svg = stackgrad_std::dot_to_svg(&dot).unwrap();
/// assert!(svg.contains("<svg") && svg.contains("component_mul"));
/// # Ok::<(), stackgrad::Error>(())
/// ```
///
/// # Errors
///
/// [`PictureError`] with the parser's message if `dot` is not DOT the drawing crate reads.
pub fn dot_to_svg(dot: &str) -> Result<String, PictureError> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};

    let graph = DotParser::new(dot).process().map_err(PictureError)?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut svg = SVGWriter::new();
    visual.do_it(false, false, false, &mut svg);
    Ok(svg.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_dot_is_refused_with_the_way_out() {
        let e = dot_to_svg("this is not DOT {").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("cannot draw the graph: the DOT text does not parse ("));
        assert!(text.contains(&e.0), "{text}");
        assert!(text.contains("Graph::write_dot"), "{text}");
    }
}
