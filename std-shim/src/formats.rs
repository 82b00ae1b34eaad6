//! Named parameters in the formats other frameworks read and write: `.safetensors`
//! (through the `safetensors` crate) and NumPy's `.npy` (read and written here) and, with
//! the `npz` feature, `.npz` (a zip archive of `.npy` files, through the `zip` crate).
//!
//! The API knows nothing of stackgrad's model types: a model is described as a table of
//! named *slots*, each a `rows × cols` matrix backed by a slice of `f32` in **column-major**
//! order (the order nalgebra stores a matrix in, so `matrix.as_mut_slice()` is a slot's
//! data; [`Slot::matrix`] does this).
//!
//! # Layout: row-major files, column-major slots
//!
//! safetensors and NumPy (C order, the default) store a 2-D tensor of shape
//! `[rows, cols]` **row-major**: element `(i, j)` at `i·cols + j`. A slot holds it at
//! `j·rows + i`. Loading and saving transpose between the two, so element `(i, j)` of the
//! file is element `(i, j)` of the matrix, and a PyTorch `nn.Linear(in, out).weight`
//! (shape `[out, in]`) loads into a `SMatrix<f32, OUT, IN>`. A Fortran-order `.npy` is
//! already column-major and is read without transposing.
//!
//! Shapes accepted when loading a `rows × cols` slot:
//!
//! - `[rows, cols]`;
//! - `[rows]` if `cols == 1`: a column vector may be stored 1-D, as PyTorch stores a bias.
//!
//! When saving, a column vector (`cols == 1`) is written 1-D as `[rows]` and everything
//! else 2-D as `[rows, cols]`.
//!
//! # Data types
//!
//! Slots are `f32`. `F32` tensors load as they are. `F64` tensors are accepted and rounded
//! to the nearest `f32` (what `.float()` does in PyTorch); a finite `f64` beyond `f32`'s
//! range is refused ([`FormatError::OutOfRange`]) rather than turned into ±∞. Every other
//! type (`F16`, `BF16`, integers, ...) is refused with [`FormatError::Dtype`]. Files are
//! always written as little-endian `F32`.
//!
//! # All or nothing
//!
//! Every load first validates every slot (the slot's own length, the tensor's presence,
//! data type, shape and values) into a staging copy, and only then writes the slots. On
//! any error no slot has changed. Tensors in the file that no slot asks for are ignored.
//!
//! # Files from elsewhere
//!
//! A file may be hostile, so its declarations are checked before they cost anything: an
//! `.npy` header longer than NumPy's own limit (10,000 bytes) or nesting brackets more
//! than 16 deep is refused before it is parsed, and a tensor's shape is compared with its
//! slot's before a byte of its data is read, so a file declaring a huge or overflowing
//! shape is refused at once. An `.npz` entry declaring more bytes than an `.npy` of its
//! slot can have is refused before anything is inflated
//! ([`FormatError::EntryTooLarge`]), inflating never goes more than one byte past an
//! entry's declared size, and each entry is read to its end so its CRC-32 is checked. A
//! file holding two tensors of one name is refused ([`FormatError::DuplicateInFile`]).
//! No input panics.

use std::collections::HashSet;
use std::fmt;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use stackgrad::nalgebra::SMatrix;

mod npy;
#[cfg(feature = "npz")]
mod npz;

#[cfg(feature = "npz")]
pub use npz::{load_npz, save_npz};

/// A named `rows × cols` matrix to load into: `data` holds `rows·cols` values in
/// column-major order.
#[derive(Debug)]
pub struct Slot<'a> {
    /// The tensor's name in the file (e.g. `"fc1.weight"`).
    pub name: &'a str,
    /// Rows of the matrix (the file's first dimension).
    pub rows: usize,
    /// Columns of the matrix (the file's second dimension).
    pub cols: usize,
    /// `rows·cols` values, column-major.
    pub data: &'a mut [f32],
}

/// A named `rows × cols` matrix to save: like [`Slot`], read-only.
#[derive(Clone, Copy, Debug)]
pub struct SlotView<'a> {
    /// The tensor's name in the file.
    pub name: &'a str,
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// `rows·cols` values, column-major.
    pub data: &'a [f32],
}

impl<'a> Slot<'a> {
    /// A slot over a nalgebra matrix (column-major, as nalgebra stores it).
    pub fn matrix<const R: usize, const C: usize>(
        name: &'a str,
        m: &'a mut SMatrix<f32, R, C>,
    ) -> Self {
        Slot {
            name,
            rows: R,
            cols: C,
            data: m.as_mut_slice(),
        }
    }

    /// The same slot, read-only, for saving.
    pub fn view(&self) -> SlotView<'_> {
        SlotView {
            name: self.name,
            rows: self.rows,
            cols: self.cols,
            data: self.data,
        }
    }
}

impl<'a> SlotView<'a> {
    /// A view of a nalgebra matrix.
    pub fn matrix<const R: usize, const C: usize>(
        name: &'a str,
        m: &'a SMatrix<f32, R, C>,
    ) -> Self {
        SlotView {
            name,
            rows: R,
            cols: C,
            data: m.as_slice(),
        }
    }
}

/// What can go wrong loading or saving named parameters. Every variant about one tensor
/// names it. Whatever the error, a load has changed no slot.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FormatError {
    /// The bytes are not a valid file of that format (or could not be encoded as one).
    Malformed {
        /// `"safetensors"`, `"npz"` or `"npy"`.
        format: &'static str,
        /// What is wrong, as this crate or the underlying one (`safetensors`, `zip`) found
        /// it.
        detail: String,
    },
    /// No tensor of that name in the file.
    Missing {
        /// The slot's name.
        name: String,
    },
    /// The tensor exists with another shape.
    Shape {
        /// The tensor's name.
        name: String,
        /// The slot's `(rows, cols)`.
        expected: (usize, usize),
        /// The tensor's shape in the file.
        found: Vec<usize>,
    },
    /// The tensor's data type is neither `F32` nor `F64`.
    Dtype {
        /// The tensor's name.
        name: String,
        /// The data type in the file, as the format spells it (e.g. `"F16"`, `"<i4"`).
        found: String,
    },
    /// An `F64` tensor holds a finite value too large for `f32`.
    OutOfRange {
        /// The tensor's name.
        name: String,
        /// The first such value.
        value: f64,
    },
    /// A slot's data does not have `rows·cols` values (a caller's mistake).
    SlotLength {
        /// The slot's name.
        name: String,
        /// `rows·cols` (`usize::MAX` if that overflows).
        expected: usize,
        /// `data.len()`.
        found: usize,
    },
    /// An `.npz` entry declares more bytes than an `.npy` of its slot can have: refused
    /// before anything of it is inflated.
    EntryTooLarge {
        /// The tensor's name (its entry is `name.npy`).
        name: String,
        /// The slot's `(rows, cols)`.
        expected: (usize, usize),
        /// The entry's uncompressed size, as the archive declares it.
        declared: u64,
        /// The most bytes an `.npy` for the slot has: the longest preamble and header
        /// NumPy reads (10,012 bytes) and 8 bytes per value.
        limit: u64,
    },
    /// Two slots to save have the same name.
    Duplicate {
        /// The repeated name.
        name: String,
    },
    /// The file holds two tensors of the same name, so which one a slot of that name
    /// would get is arbitrary. Refused whichever names the slots ask for.
    DuplicateInFile {
        /// `"safetensors"` or `"npz"`.
        format: &'static str,
        /// The repeated name (for `.npz`, the entry's name without `.npy`).
        name: String,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Malformed { format, detail } => {
                write!(f, "not a valid {format} file: {detail}")
            }
            FormatError::Missing { name } => write!(f, "no tensor named {name:?} in the file"),
            FormatError::Shape {
                name,
                expected,
                found,
            } => {
                write!(f, "tensor {name:?} has shape {found:?} (")?;
                match shape_len(found) {
                    Some(n) => write!(f, "{n} values")?,
                    None => write!(f, "more values than a usize counts")?,
                }
                write!(
                    f,
                    ") in the file, but its slot is [{}, {}] ({} values)",
                    expected.0,
                    expected.1,
                    expected.0.saturating_mul(expected.1)
                )
            }
            FormatError::Dtype { name, found } => write!(
                f,
                "tensor {name:?} has data type {found}; only 32- and 64-bit floats load"
            ),
            FormatError::OutOfRange { name, value } => write!(
                f,
                "tensor {name:?} holds {value:e}, beyond the range of f32"
            ),
            FormatError::SlotLength {
                name,
                expected,
                found,
            } => write!(
                f,
                "slot {name:?} has {found} values for a {expected}-value matrix"
            ),
            FormatError::EntryTooLarge {
                name,
                expected,
                declared,
                limit,
            } => write!(
                f,
                "tensor {name:?} is an archive entry of {declared} bytes, more than the {limit} \
                 that an .npy of its [{}, {}] slot ({} values) can have; refused before \
                 inflating it",
                expected.0,
                expected.1,
                expected.0.saturating_mul(expected.1)
            ),
            FormatError::Duplicate { name } => write!(f, "two tensors are named {name:?}"),
            FormatError::DuplicateInFile { format, name } => write!(
                f,
                "the {format} file holds two tensors named {name:?}, so which one loads is \
                 ambiguous; write the file again with distinct names"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// Loads every slot from the `.safetensors` file in `bytes`, by name. All or nothing.
pub fn load_safetensors(bytes: &[u8], slots: &mut [Slot<'_>]) -> Result<(), FormatError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| malformed("safetensors", e))?;
    if let Some(name) = duplicate_json_key(bytes)? {
        return Err(FormatError::DuplicateInFile {
            format: "safetensors",
            name,
        });
    }
    load_all(slots, |slot| {
        let t = file.tensor(slot.name).map_err(|_| missing(slot.name))?;
        let values = match t.dtype() {
            Dtype::F32 => Values::F32(decode(t.data(), f32::from_le_bytes)),
            Dtype::F64 => Values::F64(decode(t.data(), f64::from_le_bytes)),
            other => {
                return Err(FormatError::Dtype {
                    name: slot.name.to_owned(),
                    found: other.to_string(),
                })
            }
        };
        Ok(Found {
            shape: t.shape().to_vec(),
            column_major: false,
            values,
        })
    })
}

/// The first tensor name that appears twice in the JSON header of a `.safetensors` file
/// that `SafeTensors::deserialize` accepted (which keeps the last silently). Names are
/// compared as decoded, so `"w"` and `"\u0077"` are the same.
pub(crate) fn duplicate_json_key(bytes: &[u8]) -> Result<Option<String>, FormatError> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut seen = HashSet::new();
            let mut first = None;
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if key != "__metadata__" && !seen.insert(key.clone()) && first.is_none() {
                    first = Some(key);
                }
            }
            Ok(first)
        }
    }

    // The header's length and bounds were checked by `SafeTensors::deserialize`.
    let header = bytes
        .get(..8)
        .and_then(|b| usize::try_from(u64::from_le_bytes(b.try_into().ok()?)).ok())
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
        .ok_or_else(|| malformed("safetensors", "no header"))?;
    serde_json::Deserializer::from_slice(header)
        .deserialize_map(Keys)
        .map_err(|e| malformed("safetensors", e))
}

/// Writes the slots as a `.safetensors` file (little-endian `F32`, row-major, no
/// metadata).
pub fn save_safetensors(slots: &[SlotView<'_>]) -> Result<Vec<u8>, FormatError> {
    check_views(slots)?;
    let buffers: Vec<Vec<u8>> = slots
        .iter()
        .map(|s| row_major(s).flat_map(f32::to_le_bytes).collect())
        .collect();
    let mut tensors = Vec::with_capacity(slots.len());
    for (s, buf) in slots.iter().zip(&buffers) {
        let view = TensorView::new(Dtype::F32, file_shape(s), buf)
            .map_err(|e| malformed("safetensors", e))?;
        tensors.push((s.name, view));
    }
    safetensors::tensor::serialize(tensors, None).map_err(|e| malformed("safetensors", e))
}

/// Loads one slot from the `.npy` file in `bytes` (its name only labels errors).
pub fn load_npy(bytes: &[u8], slot: &mut Slot<'_>) -> Result<(), FormatError> {
    load_all(std::slice::from_mut(slot), |slot| {
        npy::read(&mut &bytes[..], slot, "npy", "")
    })
}

/// Writes one slot as a `.npy` file (little-endian `float32`, C order).
pub fn save_npy(slot: &SlotView<'_>) -> Result<Vec<u8>, FormatError> {
    check_views(std::slice::from_ref(slot))?;
    let mut out = Vec::new();
    npy::write(&mut out, &file_shape(slot), row_major(slot));
    Ok(out)
}

/// A tensor's values as read from a file, before any check against its slot.
enum Values {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// A tensor found in a file for a slot.
struct Found {
    shape: Vec<usize>,
    /// `true` for Fortran-order `.npy` data, already in a slot's order.
    column_major: bool,
    values: Values,
}

/// Validates every slot into staging copies with `find`, then copies them all.
fn load_all(
    slots: &mut [Slot<'_>],
    mut find: impl FnMut(&Slot<'_>) -> Result<Found, FormatError>,
) -> Result<(), FormatError> {
    for s in slots.iter() {
        slot_len(s.name, s.rows, s.cols, s.data.len())?;
    }
    let mut staged = Vec::with_capacity(slots.len());
    for s in slots.iter() {
        let found = find(s)?;
        staged.push(stage(s, found)?);
    }
    for (s, values) in slots.iter_mut().zip(staged) {
        for (d, v) in s.data.iter_mut().zip(values) {
            *d = v;
        }
    }
    Ok(())
}

/// Checks a found tensor against its slot and returns its values in the slot's order.
fn stage(slot: &Slot<'_>, found: Found) -> Result<Vec<f32>, FormatError> {
    let (rows, cols) = (slot.rows, slot.cols);
    check_shape(slot, &found.shape)?;
    let n = rows * cols; // checked by `slot_len`
    let len = match &found.values {
        Values::F32(v) => v.len(),
        Values::F64(v) => v.len(),
    };
    if len != n {
        return Err(FormatError::Malformed {
            format: "tensor",
            detail: format!(
                "{:?} has {len} values for shape {:?}",
                slot.name, found.shape
            ),
        });
    }
    // Column-major position k = j·rows + i holds file element (i, j).
    let source = |k: usize| {
        if found.column_major || rows == 0 {
            k
        } else {
            (k % rows) * cols + k / rows
        }
    };
    match &found.values {
        Values::F32(v) => Ok((0..n).map(|k| v[source(k)]).collect()),
        Values::F64(v) => (0..n)
            .map(|k| {
                let x = v[source(k)];
                let y = x as f32;
                if x.is_finite() && !y.is_finite() {
                    Err(FormatError::OutOfRange {
                        name: slot.name.to_owned(),
                        value: x,
                    })
                } else {
                    Ok(y)
                }
            })
            .collect(),
    }
}

/// Checks a tensor's shape against its slot: `[rows, cols]`, or `[rows]` for a column.
fn check_shape(slot: &Slot<'_>, shape: &[usize]) -> Result<(), FormatError> {
    shape_fits(slot.name, slot.rows, slot.cols, shape)
}

/// Checks the shape of tensor `name` against a `rows × cols` matrix: `[rows, cols]`, or
/// `[rows]` for a column.
pub(crate) fn shape_fits(
    name: &str,
    rows: usize,
    cols: usize,
    shape: &[usize],
) -> Result<(), FormatError> {
    let ok = match shape {
        [r, c] => (*r, *c) == (rows, cols),
        [r] => *r == rows && cols == 1,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(FormatError::Shape {
            name: name.to_owned(),
            expected: (rows, cols),
            found: shape.to_vec(),
        })
    }
}

/// The number of values of a shape, `None` if it overflows.
fn shape_len(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// Checks the views to save: lengths and unique names.
fn check_views(slots: &[SlotView<'_>]) -> Result<(), FormatError> {
    let mut names = HashSet::new();
    for s in slots {
        slot_len(s.name, s.rows, s.cols, s.data.len())?;
        if !names.insert(s.name) {
            return Err(FormatError::Duplicate {
                name: s.name.to_owned(),
            });
        }
    }
    Ok(())
}

fn slot_len(name: &str, rows: usize, cols: usize, found: usize) -> Result<(), FormatError> {
    let expected = rows.saturating_mul(cols);
    if expected == found {
        Ok(())
    } else {
        Err(FormatError::SlotLength {
            name: name.to_owned(),
            expected,
            found,
        })
    }
}

/// The shape a slot is saved with: 1-D for a column vector, 2-D otherwise.
fn file_shape(s: &SlotView<'_>) -> Vec<usize> {
    saved_shape(s.rows, s.cols)
}

/// The shape a `rows × cols` matrix is saved with: 1-D for a column vector, 2-D otherwise.
pub(crate) fn saved_shape(rows: usize, cols: usize) -> Vec<usize> {
    if cols == 1 {
        vec![rows]
    } else {
        vec![rows, cols]
    }
}

/// The slot's values in row-major order (file element `(i, j)` at `i·cols + j`).
fn row_major<'s>(s: &'s SlotView<'_>) -> impl Iterator<Item = f32> + 's {
    row_major_values(s.data, s.rows, s.cols)
}

/// A column-major `rows × cols` matrix's values in row-major order.
pub(crate) fn row_major_values<T: Copy>(
    data: &[T],
    rows: usize,
    cols: usize,
) -> impl Iterator<Item = T> + '_ {
    (0..rows).flat_map(move |i| (0..cols).map(move |j| data[j * rows + i]))
}

/// Values of `N` bytes each, converted by `from`.
pub(crate) fn decode<T, const N: usize>(bytes: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            from(a)
        })
        .collect()
}

pub(crate) fn malformed(format: &'static str, e: impl fmt::Display) -> FormatError {
    FormatError::Malformed {
        format,
        detail: e.to_string(),
    }
}

pub(crate) fn missing(name: &str) -> FormatError {
    FormatError::Missing {
        name: name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackgrad::nalgebra::{Matrix2x3, Matrix3x2, Vector2};

    /// An `.npy` file with this header text, padded as NumPy pads it, and these data bytes.
    pub(super) fn npy_file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.to_owned();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&u16::try_from(h.len()).unwrap().to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(data);
        b
    }

    /// A 2×3 slot of sentinels named `w`.
    pub(super) fn w_slot(data: &mut [f32; 6]) -> Slot<'_> {
        Slot {
            name: "w",
            rows: 2,
            cols: 3,
            data,
        }
    }

    pub(super) const NPY_W: &[u8] = include_bytes!("../fixtures/fixture_w.npy");
    const SAFETENSORS: &[u8] = include_bytes!("../fixtures/fixture.safetensors");

    /// `w = [[1, 2, 3], [4, 5, 6]]` of the fixtures, column-major.
    pub(super) const W_COL_MAJOR: [f32; 6] = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    pub(super) const SENTINEL: f32 = -99.0;

    /// A small model: a 2×3 weight, a 2-vector bias, a 1×1 scale.
    pub(super) struct Model {
        pub(super) w: Matrix2x3<f32>,
        pub(super) b: Vector2<f32>,
        pub(super) s: [f32; 1],
    }

    impl Model {
        pub(super) fn example() -> Self {
            Model {
                w: Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
                b: Vector2::new(0.5, -0.25),
                s: [7.0],
            }
        }
        pub(super) fn sentinel() -> Self {
            Model {
                w: Matrix2x3::repeat(SENTINEL),
                b: Vector2::repeat(SENTINEL),
                s: [SENTINEL],
            }
        }
        pub(super) fn views(&self) -> Vec<SlotView<'_>> {
            vec![
                SlotView::matrix("w", &self.w),
                SlotView::matrix("b", &self.b),
                SlotView {
                    name: "s",
                    rows: 1,
                    cols: 1,
                    data: &self.s,
                },
            ]
        }
        pub(super) fn slots(&mut self) -> Vec<Slot<'_>> {
            vec![
                Slot::matrix("w", &mut self.w),
                Slot::matrix("b", &mut self.b),
                Slot {
                    name: "s",
                    rows: 1,
                    cols: 1,
                    data: &mut self.s,
                },
            ]
        }
    }

    pub(super) type Load = fn(&[u8], &mut [Slot<'_>]) -> Result<(), FormatError>;
    type Save = fn(&[SlotView<'_>]) -> Result<Vec<u8>, FormatError>;

    /// The formats of several tensors a file, as far as the features built have them.
    fn formats() -> Vec<(&'static str, Load, Save)> {
        let all: &[(&'static str, Load, Save)] = &[
            ("safetensors", load_safetensors, save_safetensors),
            #[cfg(feature = "npz")]
            ("npz", load_npz, save_npz),
        ];
        all.to_vec()
    }

    #[test]
    fn round_trips() {
        let m = Model::example();
        for (format, load, save) in formats() {
            let bytes = save(&m.views()).unwrap();
            let mut n = Model::sentinel();
            load(&bytes, &mut n.slots()).unwrap();
            assert_eq!((n.w, n.b, n.s), (m.w, m.b, m.s), "{format}");
        }
        let bytes = save_npy(&SlotView::matrix("w", &m.w)).unwrap();
        let mut w = Matrix2x3::repeat(SENTINEL);
        load_npy(&bytes, &mut Slot::matrix("w", &mut w)).unwrap();
        assert_eq!(w, m.w);
    }

    #[test]
    fn saved_files_are_row_major_with_pytorch_shapes() {
        let m = Model::example();
        let bytes = save_safetensors(&m.views()).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let w = file.tensor("w").unwrap();
        assert_eq!((w.dtype(), w.shape()), (Dtype::F32, &[2usize, 3][..]));
        assert_eq!(
            decode(w.data(), f32::from_le_bytes),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        assert_eq!(file.tensor("b").unwrap().shape(), &[2]);
        assert_eq!(file.tensor("s").unwrap().shape(), &[1]);

        // NPY_W is numpy.save's file of the same matrix: the bytes are NumPy's own.
        let npy = save_npy(&SlotView::matrix("w", &m.w)).unwrap();
        assert_eq!(npy, NPY_W);
    }

    /// Loads `w`, `b` and `d` from a fixture file that Python wrote, and checks them.
    pub(super) fn load_fixture(load: Load, bytes: &[u8]) {
        let (mut w, mut b, mut d) = ([0f32; 6], [0f32; 2], [0f32; 4]);
        let mut slots = [
            Slot {
                name: "w",
                rows: 2,
                cols: 3,
                data: &mut w,
            },
            Slot {
                name: "b",
                rows: 2,
                cols: 1,
                data: &mut b,
            },
            Slot {
                name: "d",
                rows: 2,
                cols: 2,
                data: &mut d,
            },
        ];
        load(bytes, &mut slots).unwrap();
        assert_eq!(w, W_COL_MAJOR);
        assert_eq!(b, [0.5, -0.25]);
        // float64 [[0.1, 0.2], [0.3, 0.4]], rounded to f32, column-major.
        assert_eq!(d, [0.1, 0.3, 0.2, 0.4]);
    }

    #[test]
    fn python_fixtures_load_with_known_values() {
        load_fixture(load_safetensors, SAFETENSORS);
        // A single .npy from numpy.save.
        let mut w = Matrix2x3::zeros();
        load_npy(NPY_W, &mut Slot::matrix("w", &mut w)).unwrap();
        assert_eq!(w, Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    }

    /// Loads into sentinel slots: one named `w_name`, shaped `rows × cols`, and, if
    /// `others`, the example model's `b` before it and `s` after it (so a failure must also
    /// spare the slots already validated). Checks the slots stay untouched.
    pub(super) fn load_err(
        load: Load,
        bytes: &[u8],
        w_name: &str,
        (rows, cols): (usize, usize),
        others: bool,
    ) -> FormatError {
        let (mut b, mut s) = ([SENTINEL; 2], [SENTINEL; 1]);
        let mut w = vec![SENTINEL; rows.saturating_mul(cols).min(64)];
        let mut slots = vec![Slot {
            name: w_name,
            rows,
            cols,
            data: &mut w,
        }];
        if others {
            slots.insert(
                0,
                Slot {
                    name: "b",
                    rows: 2,
                    cols: 1,
                    data: &mut b,
                },
            );
            slots.push(Slot {
                name: "s",
                rows: 1,
                cols: 1,
                data: &mut s,
            });
        }
        let e = load(bytes, &mut slots).unwrap_err();
        assert!(b.iter().chain(&w).chain(&s).all(|&x| x == SENTINEL), "{e}");
        e
    }

    #[test]
    fn each_error_leaves_every_slot_untouched() {
        for (format, load, save) in formats() {
            let m = Model::example();
            let bytes = save(&m.views()).unwrap();
            let e = load_err(load, &bytes, "nope", (2, 3), true);
            assert_eq!(e, missing("nope"), "{format}");
            assert!(e.to_string().contains("\"nope\""));
            let e = load_err(load, &bytes, "w", (3, 2), true);
            assert_eq!(
                e,
                FormatError::Shape {
                    name: "w".into(),
                    expected: (3, 2),
                    found: vec![2, 3]
                },
                "{format}"
            );
            let e = load_err(load, &bytes[..bytes.len() / 2], "w", (2, 3), true);
            assert!(matches!(e, FormatError::Malformed { .. }), "{format}: {e}");
        }
        // A column vector saved 1-D does not load as a row vector.
        let bytes = save_safetensors(&Model::example().views()).unwrap();
        let mut row = [SENTINEL; 2];
        let mut slot = [Slot {
            name: "b",
            rows: 1,
            cols: 2,
            data: &mut row,
        }];
        assert!(matches!(
            load_safetensors(&bytes, &mut slot),
            Err(FormatError::Shape { .. })
        ));
        assert_eq!(row, [SENTINEL; 2]);
    }

    #[test]
    fn bad_dtypes_are_refused_by_name() {
        // `half` is float16 in the Python fixtures.
        let e = load_err(load_safetensors, SAFETENSORS, "half", (2, 1), false);
        assert_eq!(
            e,
            FormatError::Dtype {
                name: "half".into(),
                found: "F16".into()
            }
        );

        // Integers, written by the crates themselves.
        let ints = [1i32, 2];
        let int_bytes: Vec<u8> = ints.iter().flat_map(|x| x.to_le_bytes()).collect();
        let bytes = safetensors::tensor::serialize(
            [(
                "w",
                TensorView::new(Dtype::I32, vec![2], &int_bytes).unwrap(),
            )],
            None,
        )
        .unwrap();
        let e = load_err(load_safetensors, &bytes, "w", (2, 1), false);
        assert!(
            matches!(e, FormatError::Dtype { ref found, .. } if found == "I32"),
            "{e}"
        );
        let npy = npy_file(
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
            &int_bytes,
        );
        let mut w = [SENTINEL; 2];
        let e = load_npy(
            &npy,
            &mut Slot {
                name: "w",
                rows: 2,
                cols: 1,
                data: &mut w,
            },
        )
        .unwrap_err();
        assert_eq!(w, [SENTINEL; 2]);
        assert_eq!(
            e,
            FormatError::Dtype {
                name: "w".into(),
                found: "<i4".into()
            }
        );
    }

    #[test]
    fn f64_beyond_f32_is_refused() {
        let big = [1.0f64, 1e300];
        let bytes: Vec<u8> = big.iter().flat_map(|x| x.to_le_bytes()).collect();
        let file = safetensors::tensor::serialize(
            [("w", TensorView::new(Dtype::F64, vec![2], &bytes).unwrap())],
            None,
        )
        .unwrap();
        let e = load_err(load_safetensors, &file, "w", (2, 1), false);
        assert_eq!(
            e,
            FormatError::OutOfRange {
                name: "w".into(),
                value: 1e300
            }
        );
        // Infinity itself is a value, not an overflow.
        let inf = [f64::INFINITY, f64::NAN];
        let bytes: Vec<u8> = inf.iter().flat_map(|x| x.to_le_bytes()).collect();
        let file = safetensors::tensor::serialize(
            [("w", TensorView::new(Dtype::F64, vec![2], &bytes).unwrap())],
            None,
        )
        .unwrap();
        let mut v = [0f32; 2];
        load_safetensors(
            &file,
            &mut [Slot {
                name: "w",
                rows: 2,
                cols: 1,
                data: &mut v,
            }],
        )
        .unwrap();
        assert!(v[0] == f32::INFINITY && v[1].is_nan());
    }

    #[test]
    fn caller_mistakes_are_errors() {
        let m = Model::example();
        let mut views = m.views();
        views[1].rows = 3;
        for (_, _, save) in formats() {
            assert_eq!(
                save(&views),
                Err(FormatError::SlotLength {
                    name: "b".into(),
                    expected: 3,
                    found: 2
                })
            );
        }
        views[1] = SlotView::matrix("w", &m.w);
        for (_, _, save) in formats() {
            assert_eq!(
                save(&views),
                Err(FormatError::Duplicate { name: "w".into() })
            );
        }
        let bytes = save_safetensors(&m.views()).unwrap();
        let e = load_err(load_safetensors, &bytes, "w", (usize::MAX, 2), true);
        assert!(matches!(e, FormatError::SlotLength { .. }), "{e}");
    }

    #[test]
    fn npy_errors() {
        let mut w = Matrix2x3::repeat(SENTINEL);
        let e = load_npy(NPY_W, &mut Slot::matrix("w", &mut Matrix3x2::zeros())).unwrap_err();
        assert!(matches!(e, FormatError::Shape { .. }), "{e}");
        let e = load_npy(&NPY_W[..100], &mut Slot::matrix("w", &mut w)).unwrap_err();
        assert!(
            matches!(e, FormatError::Malformed { format: "npy", .. }),
            "{e}"
        );
        assert_eq!(w, Matrix2x3::repeat(SENTINEL));
    }

    #[test]
    fn npy_header_longer_than_the_file_is_refused_without_allocating_it() {
        // Version 2 header length 0x7254_0000 (1.9 GB) in a file of 30 bytes: found by
        // the formats_load fuzz target as an out-of-memory.
        let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
        bytes.extend_from_slice(&0x7254_0000u32.to_le_bytes());
        bytes.extend_from_slice(b"{'descr': '<f4'}");
        let mut m = SMatrix::<f32, 2, 3>::from_element(7.0);
        let r = load_npy(&bytes, &mut Slot::matrix("w", &mut m));
        assert!(
            matches!(r, Err(FormatError::Malformed { format: "npy", .. })),
            "{r:?}"
        );
        assert_eq!(m, SMatrix::<f32, 2, 3>::from_element(7.0));
    }

    #[test]
    fn big_endian_files_load() {
        // A big-endian file (a '>f4' or '>f8' array saved by NumPy).
        let be: Vec<u8> = [1f32, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect();
        let npy = npy_file(
            "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
            &be,
        );
        let mut w = [SENTINEL; 6];
        load_npy(&npy, &mut w_slot(&mut w)).unwrap();
        assert_eq!(w, W_COL_MAJOR);
        let be: Vec<u8> = [1f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect();
        let npy = npy_file(
            "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }",
            &be,
        );
        let mut w = [SENTINEL; 6];
        load_npy(&npy, &mut w_slot(&mut w)).unwrap();
        assert_eq!(w, W_COL_MAJOR);
    }

    #[test]
    fn a_shape_whose_product_overflows_is_refused_without_a_panic() {
        // npyz multiplied the dimensions unchecked: "attempt to multiply with overflow"
        // with overflow checks on, a wrapped size without them.
        let huge = 1u64 << 32;
        let npy = npy_file(
            &format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': ({huge}, {huge}, {huge}), }}"
            ),
            &[],
        );
        let mut w = [SENTINEL; 6];
        let e = load_npy(&npy, &mut w_slot(&mut w)).unwrap_err();
        let dim = usize::try_from(huge).unwrap_or(usize::MAX);
        assert_eq!(
            e,
            FormatError::Shape {
                name: "w".into(),
                expected: (2, 3),
                found: vec![dim; 3]
            }
        );
        assert!(
            e.to_string().contains("more values than a usize counts")
                && e.to_string().contains("(6 values)"),
            "{e}"
        );
        assert_eq!(w, [SENTINEL; 6]);
        // Two dimensions whose product wraps to exactly the slot's 6 values on 64 bits.
        let npy = npy_file(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775811, 2), }",
            &[0; 24],
        );
        let e = load_npy(&npy, &mut w_slot(&mut w)).unwrap_err();
        assert!(matches!(e, FormatError::Shape { .. }), "{e}");
    }

    #[test]
    fn hostile_npy_headers_are_refused_at_once() {
        let mut w = [SENTINEL; 6];
        // Unclosed brackets: the general parser npyz used took ×3 the time per bracket
        // (fuzz/known/formats_load-timeout, tested in tests/tests/fuzz_known.rs).
        for open in ["{", "[", "("] {
            let npy = npy_file(&format!("{{'descr': {}", open.repeat(9000)), &[]);
            let e = load_npy(&npy, &mut w_slot(&mut w)).unwrap_err();
            assert!(e.to_string().contains("nest deeper than 16 levels"), "{e}");
        }
        // A header longer than NumPy's own limit is not even read.
        let mut npy = b"\x93NUMPY\x02\x00".to_vec();
        npy.extend_from_slice(&20_000u32.to_le_bytes());
        npy.resize(npy.len() + 20_000, b' ');
        let e = load_npy(&npy, &mut w_slot(&mut w)).unwrap_err();
        assert!(e.to_string().contains("more than the 10000"), "{e}");
        for (bytes, reason) in [
            (&b"\x93NUMPY\x04\x00"[..], "version 4.0"),
            (b"\x93NUM", "too few"),
            (b"PK\x03\x04 a zip", "does not start with"),
            (
                b"\x93NUMPY\x01\x00\x10\x00{'descr':",
                "ends after 9 of the header's 16 bytes",
            ),
        ] {
            let e = load_npy(bytes, &mut w_slot(&mut w)).unwrap_err();
            assert!(
                matches!(e, FormatError::Malformed { format: "npy", .. }),
                "{e}"
            );
            assert!(e.to_string().contains(reason), "{reason}: {e}");
        }
        assert_eq!(w, [SENTINEL; 6]);
    }

    /// A `.safetensors` file with this JSON header (padded with spaces to 8 bytes) and
    /// these data bytes.
    fn safetensors_file(json: &str, data: &[u8]) -> Vec<u8> {
        let mut json = json.to_owned();
        while !json.len().is_multiple_of(8) {
            json.push(' ');
        }
        let mut b = (json.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(json.as_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn two_tensors_of_one_name_are_refused() {
        let one = r#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#;
        let data: Vec<u8> = [1f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        // The same key twice, and a key that is the same name once its escape is decoded.
        for second in [r#""b""#, r#""\u0062""#] {
            let file = safetensors_file(&format!("{{\"b\":{one},{second}:{one}}}"), &data);
            let e = load_err(load_safetensors, &file, "b", (2, 1), false);
            assert_eq!(
                e,
                FormatError::DuplicateInFile {
                    format: "safetensors",
                    name: "b".into()
                }
            );
            assert!(e.to_string().contains("two tensors named \"b\""), "{e}");
        }
        // Distinct names are fine.
        let file = safetensors_file(&format!("{{\"b\":{one}}}"), &data);
        let mut b = [0f32; 2];
        let mut slot = [Slot {
            name: "b",
            rows: 2,
            cols: 1,
            data: &mut b,
        }];
        load_safetensors(&file, &mut slot).unwrap();
        assert_eq!(b, [1.0, 2.0]);
    }
}
