//! The UCI handwritten digits (8×8 images, `examples/data/digits.csv`), as used by the
//! `digits` and `outgrow` examples.

use stackgrad::nalgebra::SVector;

/// Pixels per image.
pub const PIXELS: usize = 64;

const DATA: &str = include_str!("../data/digits.csv");

/// One image and its label.
#[derive(Clone, Debug)]
pub struct Example {
    /// Pixel intensities scaled from 0..16 to 0..1, row by row.
    pub x: SVector<f32, PIXELS>,
    /// The digit.
    pub label: usize,
}

/// Every row of the file, in order.
///
/// # Errors
///
/// A message naming the line that does not parse.
pub fn load() -> Result<Vec<Example>, String> {
    DATA.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let v: Vec<f32> = line
                .split(',')
                .map(|f| f.trim().parse::<f32>())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            if v.len() != PIXELS + 1 {
                return Err(format!("line {}: {} fields", n + 1, v.len()));
            }
            Ok(Example {
                // pixel counts 0..16 scaled to 0..1
                x: SVector::from_iterator(v[..PIXELS].iter().map(|p| p / 16.0)),
                label: v[PIXELS] as usize,
            })
        })
        .collect()
}
