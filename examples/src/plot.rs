//! Learning curves drawn as SVG with `plotters` (its SVG backend only: no fonts are read,
//! text is left to the SVG viewer).
//!
//! ```no_run
//! use stackgrad_examples::plot::{learning_curves, Series};
//!
//! let loss = [(1.0, 2.1), (2.0, 0.9), (3.0, 0.4)];
//! let accuracy = [(1.0, 0.55), (2.0, 0.81), (3.0, 0.93)];
//! learning_curves(
//!     "digits.svg".as_ref(),
//!     "digits: training loss and held-out accuracy",
//!     "epoch",
//!     &[
//!         Series { name: "training loss", points: &loss },
//!         Series { name: "held-out accuracy", points: &accuracy },
//!     ],
//! )?;
//! # Ok::<(), stackgrad_examples::plot::PlotError>(())
//! ```
//!
//! All series share one y axis, whose range covers every point (so put quantities of a
//! similar scale together, such as a cross-entropy loss and an accuracy in `[0, 1]`, or
//! draw two figures). Points with a NaN or infinite coordinate are skipped, so a diverged
//! run still draws up to where it diverged.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use plotters::prelude::*;

/// One named curve: `(x, y)` points, drawn joined in the order given.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// The legend's label.
    pub name: &'a str,
    /// The points, e.g. `(epoch, loss)`.
    pub points: &'a [(f64, f64)],
}

/// What can go wrong drawing learning curves.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlotError {
    /// No series has a finite point: there is nothing to scale the axes to.
    Empty,
    /// plotters could not draw the figure.
    Draw(String),
    /// The SVG file could not be written.
    Io(std::io::Error),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Empty => f.write_str("no finite point to plot"),
            PlotError::Draw(e) => write!(f, "drawing the plot: {e}"),
            PlotError::Io(e) => write!(f, "writing the plot: {e}"),
        }
    }
}

impl std::error::Error for PlotError {}

/// Figure size in pixels (the SVG's width and height).
const SIZE: (u32, u32) = (720, 440);

/// Line colours, one per series in order (repeating after the last).
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Draws the series against a shared x axis labelled `x_label` and writes the SVG to
/// `path`.
pub fn learning_curves(
    path: &Path,
    title: &str,
    x_label: &str,
    series: &[Series<'_>],
) -> Result<(), PlotError> {
    let svg = learning_curves_svg(title, x_label, series)?;
    std::fs::write(path, svg).map_err(PlotError::Io)
}

/// Like [`learning_curves`], returning the SVG document as a string.
pub fn learning_curves_svg(
    title: &str,
    x_label: &str,
    series: &[Series<'_>],
) -> Result<String, PlotError> {
    let finite = |&&(x, y): &&(f64, f64)| x.is_finite() && y.is_finite();
    let all = || series.iter().flat_map(|s| s.points.iter().filter(finite));
    let xs = span(all().map(|p| p.0)).ok_or(PlotError::Empty)?;
    let ys = span(all().map(|p| p.1)).ok_or(PlotError::Empty)?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(xs, ys)
            .map_err(draw)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(draw)?;
        for (i, s) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let points: Vec<(f64, f64)> = s.points.iter().filter(finite).copied().collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(draw)?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            // Between a falling loss and a rising accuracy, where neither usually is.
            .position(SeriesLabelPosition::MiddleRight)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(draw)?;
        root.present().map_err(draw)?;
    }
    Ok(svg)
}

/// The range covering `values` with a 4 % margin each side (±0.5 around a single value);
/// `None` if there is no value.
fn span(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values.fold(None, |acc: Option<(f64, f64)>, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })?;
    let pad = if hi > lo { 0.04 * (hi - lo) } else { 0.5 };
    Some(lo - pad..hi + pad)
}

fn draw(e: impl fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_svg_file_with_every_series() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("curves.svg");
        let loss: Vec<(f64, f64)> = (1..=10).map(|e| (e as f64, 2.0 / e as f64)).collect();
        let acc: Vec<(f64, f64)> = (1..=10)
            .map(|e| (e as f64, 1.0 - 0.5 / e as f64))
            .chain([(11.0, f64::NAN)])
            .collect();
        learning_curves(
            &path,
            "test curves",
            "epoch",
            &[
                Series {
                    name: "training loss",
                    points: &loss,
                },
                Series {
                    name: "held-out accuracy",
                    points: &acc,
                },
            ],
        )
        .unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(
            svg.starts_with("<svg") || svg.starts_with("<?xml"),
            "{svg:.80}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
        for text in ["test curves", "epoch", "training loss", "held-out accuracy"] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(svg.matches("<polyline").count() >= 2, "two curves expected");
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn nothing_finite_is_an_error() {
        let r = learning_curves_svg(
            "t",
            "x",
            &[Series {
                name: "nan",
                points: &[(0.0, f64::NAN)],
            }],
        );
        assert!(matches!(r, Err(PlotError::Empty)));
        assert!(matches!(
            learning_curves_svg("t", "x", &[]),
            Err(PlotError::Empty)
        ));
    }
}
