//! Weight files: named matrices saved on the host, loaded back, or turned into Rust
//! constants that a firmware compiles into flash.
//!
//! The binary format is small and fixed, little-endian throughout:
//!
//! ```text
//! b"SGW1"  u32 count
//! count × { u32 name length, name (UTF-8), u32 rows, u32 cols, rows·cols × f64 (column-major) }
//! ```
//!
//! Values are stored as `f64`, which holds every `f32` and `f64` exactly.
//!
//! A weight file may come from elsewhere, so nothing in it is trusted: [`Weights::load`]
//! refuses a file larger than [`MAX_FILE_BYTES`] (or a limit you choose, with
//! [`Weights::load_with_limit`]) before reading it, refuses two matrices of one name
//! ([`WeightError::Duplicate`]), and [`Weights::to_rust`] emits valid Rust for any names
//! and values (see there).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::Module;
use stackgrad::Real;

/// The largest weight file [`Weights::load`] reads: 64 MiB, about 8 million `f64`
/// values, far above what a microcontroller's flash holds. Use
/// [`Weights::load_with_limit`] for another limit.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// What can go wrong reading or using a weight file.
#[derive(Debug)]
#[non_exhaustive]
pub enum WeightError {
    /// The file could not be read or written.
    Io(std::io::Error),
    /// The file is larger than the limit it was loaded with (nothing past the limit was
    /// read).
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The file's size in bytes as far as it is known: its metadata's length, or for
        /// a file that grew while it was read (or a stream without a length) the bytes
        /// read before stopping, `limit + 1`.
        size: u64,
    },
    /// The bytes are not a weight file (bad magic, truncated, bad UTF-8).
    Format(&'static str),
    /// No matrix of that name.
    Missing(String),
    /// Two matrices of the file have this name, so which one [`Weights::get`] would
    /// return is arbitrary. ([`Weights::add`] replaces a matrix of the same name, so a
    /// file [`Weights`] writes never has two.)
    Duplicate(String),
    /// The matrix exists with another shape.
    Shape {
        /// The matrix's name.
        name: String,
        /// The shape asked for.
        expected: (usize, usize),
        /// The shape in the file.
        found: (usize, usize),
    },
}

impl std::fmt::Display for WeightError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeightError::Io(e) => write!(f, "weight file: {e}"),
            WeightError::TooLarge { limit, size } => write!(
                f,
                "weight file of {size} bytes refused: the limit is {limit} bytes \
                 (Weights::load_with_limit sets another)"
            ),
            WeightError::Format(what) => write!(f, "not a stackgrad weight file: {what}"),
            WeightError::Missing(name) => write!(f, "no matrix named {name:?} in the weight file"),
            WeightError::Duplicate(name) => write!(
                f,
                "the weight file holds two matrices named {name:?}, so which one loads is \
                 ambiguous; write the file again with distinct names"
            ),
            WeightError::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "matrix {name:?} is {}×{} in the file, {}×{} was asked for",
                found.0, found.1, expected.0, expected.1
            ),
        }
    }
}

impl std::error::Error for WeightError {}

impl From<std::io::Error> for WeightError {
    fn from(e: std::io::Error) -> Self {
        WeightError::Io(e)
    }
}

/// Reads a weight file front to back.
struct Reader<'b>(&'b [u8]);

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], WeightError> {
        if self.0.len() < n {
            return Err(WeightError::Format("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<usize, WeightError> {
        let b: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| WeightError::Format("truncated"))?;
        Ok(u32::from_le_bytes(b) as usize)
    }
}

/// A named entry: shape and column-major values.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    name: String,
    rows: usize,
    cols: usize,
    values: Vec<f64>,
}

/// An ordered set of named matrices.
///
/// ```
/// use stackgrad::nalgebra::Matrix2x3;
/// use stackgrad_std::Weights;
///
/// let w = Matrix2x3::new(1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let mut file = Weights::new();
/// file.add("layer1.w", &w);
/// let back = Weights::from_bytes(&file.to_bytes())?;
/// assert_eq!(back.get::<f32, 2, 3>("layer1.w")?, w);
/// assert!(file.to_rust().contains("pub const LAYER1_W: [f32; 6]"));
/// # Ok::<(), stackgrad_std::WeightError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Weights {
    entries: Vec<Entry>,
}

impl Weights {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the matrix `name`.
    pub fn add<T: Real, const R: usize, const C: usize>(
        &mut self,
        name: &str,
        m: &SMatrix<T, R, C>,
    ) -> &mut Self {
        self.put(Entry {
            name: name.to_owned(),
            rows: R,
            cols: C,
            values: m.iter().map(|x| x.to_f64()).collect(),
        });
        self
    }

    /// Adds `entry`, replacing a matrix of the same name.
    fn put(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.name == entry.name) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }

    /// The matrix `name`, converted to `T`.
    ///
    /// # Errors
    ///
    /// [`WeightError::Missing`] or [`WeightError::Shape`].
    pub fn get<T: Real, const R: usize, const C: usize>(
        &self,
        name: &str,
    ) -> Result<SMatrix<T, R, C>, WeightError> {
        let e = self
            .entries
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| WeightError::Missing(name.to_owned()))?;
        if (e.rows, e.cols) != (R, C) {
            return Err(WeightError::Shape {
                name: name.to_owned(),
                expected: (R, C),
                found: (e.rows, e.cols),
            });
        }
        Ok(SMatrix::from_iterator(
            e.values.iter().map(|&x| T::constant(x)),
        ))
    }

    /// Every parameter of `model`, named by its structure ([`Module::names`]: `0.weight`,
    /// `0.bias`, ... for a tuple of layers): one call to save a model in this format
    /// ([`Weights::save`]) or as Rust constants ([`Weights::to_rust`]).
    ///
    /// ```
    /// use stackgrad::nn::{mlp, Mlp, Rng};
    /// use stackgrad_std::Weights;
    ///
    /// type Net = Mlp<f32, 2, 3, 1>;
    /// let net: Net = mlp(&mut Rng::seed_from_u64(1));
    /// let w = Weights::from_model(&net);
    /// assert_eq!(w.names().collect::<Vec<_>>(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    /// let mut again: Net = mlp(&mut Rng::seed_from_u64(2));
    /// w.load_into(&mut again)?;
    /// assert_eq!(again, net);
    /// assert!(w.to_rust().contains("pub const"));
    /// # Ok::<(), stackgrad_std::WeightError>(())
    /// ```
    pub fn from_model<T: Real, M: Module<T> + Clone>(model: &M) -> Self {
        let mut w = Weights::new();
        for p in crate::model::params::<T, M>(model) {
            w.put(Entry {
                name: p.name,
                rows: p.rows,
                cols: p.cols,
                values: p.values,
            });
        }
        w
    }

    /// Loads every parameter of `model` from these weights, by the names
    /// [`Weights::from_model`] gives them, all or nothing.
    ///
    /// # Errors
    ///
    /// [`WeightError::Missing`] or [`WeightError::Shape`] for the first parameter that
    /// has no matrix of its name and shape; `model` is then unchanged.
    pub fn load_into<T: Real, M: Module<T> + Clone>(
        &self,
        model: &mut M,
    ) -> Result<(), WeightError> {
        let mut staged = Vec::with_capacity(M::TENSORS);
        for p in crate::model::params::<T, M>(model) {
            let e = self
                .entries
                .iter()
                .find(|e| e.name == p.name)
                .ok_or_else(|| WeightError::Missing(p.name.clone()))?;
            if (e.rows, e.cols) != (p.rows, p.cols) {
                return Err(WeightError::Shape {
                    name: p.name,
                    expected: (p.rows, p.cols),
                    found: (e.rows, e.cols),
                });
            }
            staged.push(e.values.clone());
        }
        crate::model::write_params(model, staged);
        Ok(())
    }

    /// The names, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = b"SGW1".to_vec();
        let put = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_le_bytes());
        put(&mut out, self.entries.len());
        for e in &self.entries {
            put(&mut out, e.name.len());
            out.extend_from_slice(e.name.as_bytes());
            put(&mut out, e.rows);
            put(&mut out, e.cols);
            for v in &e.values {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Parses a file's bytes.
    ///
    /// # Errors
    ///
    /// [`WeightError::Format`] if the bytes are not a complete weight file,
    /// [`WeightError::Duplicate`] if two matrices have the same name.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeightError> {
        let mut r = Reader(
            bytes
                .strip_prefix(b"SGW1")
                .ok_or(WeightError::Format("bad magic"))?,
        );
        let count = r.u32()?;
        let mut entries = Vec::new();
        let mut names = HashSet::new();
        for _ in 0..count {
            let len = r.u32()?;
            let name = std::str::from_utf8(r.take(len)?)
                .map_err(|_| WeightError::Format("name is not UTF-8"))?;
            if !names.insert(name) {
                return Err(WeightError::Duplicate(name.to_owned()));
            }
            let name = name.to_owned();
            let (rows, cols) = (r.u32()?, r.u32()?);
            let n = rows.checked_mul(cols).and_then(|n| n.checked_mul(8));
            let raw = r.take(n.ok_or(WeightError::Format("shape overflows"))?)?;
            let values = raw
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            entries.push(Entry {
                name,
                rows,
                cols,
                values,
            });
        }
        if !r.0.is_empty() {
            return Err(WeightError::Format("trailing bytes"));
        }
        Ok(Weights { entries })
    }

    /// Writes the file.
    ///
    /// # Errors
    ///
    /// [`WeightError::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), WeightError> {
        Ok(std::fs::write(path, self.to_bytes())?)
    }

    /// Reads a file written by [`Weights::save`], of at most [`MAX_FILE_BYTES`].
    ///
    /// # Errors
    ///
    /// [`WeightError::TooLarge`], [`WeightError::Io`], [`WeightError::Format`] or
    /// [`WeightError::Duplicate`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, WeightError> {
        Self::load_with_limit(path, MAX_FILE_BYTES)
    }

    /// Reads a file written by [`Weights::save`], refusing one of more than `max_bytes`.
    ///
    /// The size is checked before reading, and the read itself stops one byte past the
    /// limit, so a file that grows meanwhile, or a device or pipe without a size, cannot
    /// make this allocate more than `max_bytes + 1` bytes.
    ///
    /// # Errors
    ///
    /// [`WeightError::TooLarge`], [`WeightError::Io`], [`WeightError::Format`] or
    /// [`WeightError::Duplicate`].
    pub fn load_with_limit(path: impl AsRef<Path>, max_bytes: u64) -> Result<Self, WeightError> {
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        if size > max_bytes {
            return Err(WeightError::TooLarge {
                limit: max_bytes,
                size,
            });
        }
        let mut bytes = Vec::new();
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max_bytes {
            return Err(WeightError::TooLarge {
                limit: max_bytes,
                size: size.max(bytes.len() as u64),
            });
        }
        Self::from_bytes(&bytes)
    }

    /// Rust source with one `pub const NAME: [f32; R·C]` per matrix (column-major, what
    /// `SMatrix::from_column_slice` takes), for a firmware to compile trained weights into
    /// flash (typically with `include!`).
    ///
    /// The output is valid Rust for any names and values, since a weight file may come
    /// from elsewhere:
    ///
    /// - Names become upper-case identifiers: ASCII letters and digits are kept
    ///   (upper-cased), every other character becomes `_` (`layer1.w` → `LAYER1_W`). A
    ///   name that would give an empty identifier, one starting with a digit, or one of
    ///   underscores only is prefixed with `W_` (`0.bias` → `W_0_BIAS`).
    /// - Names that collide after this are told apart deterministically, in the order of
    ///   the entries: the first keeps its identifier, each later one gets the first free
    ///   suffix `_2`, `_3`, … (`a.b` → `A_B`, then `a-b` → `A_B_2`).
    /// - The original name appears in each constant's doc comment as an escaped string
    ///   literal of printable ASCII (`\n`, `\u{…}`, …), so no character of a name can end
    ///   the comment or reach the code.
    /// - Finite values are printed so that they parse back to the same `f32`; infinities
    ///   (including `f64` values too large for `f32`) are `f32::INFINITY` and
    ///   `f32::NEG_INFINITY`, the usual NaN is `f32::NAN`, and any other NaN is
    ///   `f32::from_bits(…)` with its exact bits.
    pub fn to_rust(&self) -> String {
        let mut s =
            String::from("// Generated by stackgrad-std's Weights::to_rust. Column-major.\n");
        let mut taken = HashSet::new();
        for e in &self.entries {
            let ident = unique_ident(rust_ident(&e.name), &mut taken);
            let _ = writeln!(
                s,
                "/// Matrix {}: {}×{}.",
                escaped_literal(&e.name),
                e.rows,
                e.cols
            );
            let _ = write!(s, "pub const {ident}: [f32; {}] = [", e.values.len());
            for (i, v) in e.values.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(s, "{sep}{}", f32_literal(*v as f32));
            }
            s.push_str("];\n");
        }
        s
    }
}

/// An upper-case Rust identifier for `name`: ASCII alphanumerics upper-cased, anything
/// else `_`, and `W_` in front if that would be empty, start with a digit, or be all
/// underscores (never a keyword: the only keyword with an upper-case letter is `Self`).
fn rust_ident(name: &str) -> String {
    let ident: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if ident.starts_with(|c: char| c.is_ascii_uppercase())
        || (ident.starts_with('_') && ident.chars().any(|c| c != '_'))
    {
        ident
    } else {
        format!("W_{ident}")
    }
}

/// `ident`, or `ident_2`, `ident_3`, … : the first not in `taken`, which it joins.
fn unique_ident(ident: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = ident.clone();
    let mut k = 2u64;
    while taken.contains(&candidate) {
        candidate = format!("{ident}_{k}");
        k += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// `text` as a Rust string literal made of printable ASCII only: `"`, `\\` and the usual
/// control characters escaped, every other character outside `' '..='~'` as `\u{…}`.
/// Safe inside a `//` comment: it holds no line break, no bare carriage return and no
/// bidirectional-override character.
fn escaped_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// A Rust expression for the `f32` `v`, exact to the bit.
fn f32_literal(v: f32) -> String {
    if v.is_nan() {
        if v.to_bits() == f32::NAN.to_bits() {
            "f32::NAN".to_owned()
        } else {
            format!("f32::from_bits({:#010x})", v.to_bits())
        }
    } else if v == f32::INFINITY {
        "f32::INFINITY".to_owned()
    } else if v == f32::NEG_INFINITY {
        "f32::NEG_INFINITY".to_owned()
    } else {
        // Debug prints the shortest decimal that parses back to `v`, always with a `.`
        // or an exponent, so it is a float literal (`-0.0` keeps its sign).
        format!("{v:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackgrad::nalgebra::{Matrix3x2, Vector3};

    #[test]
    fn round_trips_through_bytes_and_files_exactly() {
        let a = Matrix3x2::new(0.1f32, -2.5, 3.0e-8, 7.0, f32::MAX, -0.0);
        let b = Vector3::new(1.0f64 / 3.0, f64::MIN_POSITIVE, 42.0);
        let mut w = Weights::new();
        w.add("a", &a).add("b", &b);
        let back = Weights::from_bytes(&w.to_bytes()).unwrap();
        assert_eq!(back, w);
        assert_eq!(back.get::<f32, 3, 2>("a").unwrap(), a);
        assert_eq!(back.get::<f64, 3, 1>("b").unwrap(), b);
        let path =
            std::env::temp_dir().join(format!("stackgrad-weights-{}.sgw", std::process::id()));
        w.save(&path).unwrap();
        assert_eq!(Weights::load(&path).unwrap(), w);
        let _ = std::fs::remove_file(&path);
        assert_eq!(back.names().collect::<Vec<_>>(), ["a", "b"]);
    }

    fn temp_path(tag: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "stackgrad-weights-{tag}-{}.sgw",
            std::process::id()
        ))
    }

    #[test]
    fn load_refuses_a_file_over_its_limit() {
        let mut w = Weights::new();
        w.add("a", &Vector3::new(1.0f32, 2.0, 3.0));
        let bytes = w.to_bytes();
        let n = bytes.len() as u64;
        let path = temp_path("limit");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(Weights::load_with_limit(&path, n).unwrap(), w);
        let err = Weights::load_with_limit(&path, n - 1).unwrap_err();
        assert!(
            matches!(err, WeightError::TooLarge { limit, size } if limit == n - 1 && size == n),
            "{err:?}"
        );
        assert!(err.to_string().contains("limit"), "{err}");
        // The default limit is the documented constant: a file one byte over it is refused
        // (a sparse file, so the test writes nothing).
        let big = std::fs::File::create(&path).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        drop(big);
        assert!(matches!(
            Weights::load(&path),
            Err(WeightError::TooLarge {
                limit: MAX_FILE_BYTES,
                ..
            })
        ));
        let _ = std::fs::remove_file(&path);
        // A stream without a length is cut one byte past the limit.
        if Path::new("/dev/zero").exists() {
            assert!(matches!(
                Weights::load_with_limit("/dev/zero", 1000),
                Err(WeightError::TooLarge {
                    limit: 1000,
                    size: 1001
                })
            ));
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut w = Weights::new();
        w.add("a", &Vector3::new(1.0f32, 2.0, 3.0));
        let bytes = w.to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                Weights::from_bytes(&bytes[..cut]).is_err(),
                "a file cut at {cut} bytes parsed"
            );
        }
        assert!(matches!(
            Weights::from_bytes(b"XXXX"),
            Err(WeightError::Format(_))
        ));
        assert!(matches!(
            w.get::<f32, 3, 1>("b"),
            Err(WeightError::Missing(_))
        ));
        assert!(matches!(
            w.get::<f32, 1, 3>("a"),
            Err(WeightError::Shape { .. })
        ));
    }

    /// Weights whose names and values each broke `to_rust`'s output before: non-finite
    /// values, names starting with a digit, empty or punctuation-only names, names that
    /// collide after mangling, and names that try to leave their doc comment.
    fn nasty() -> (Weights, Vec<(&'static str, Vec<f32>)>) {
        let odd_nan = f32::from_bits(0xffc0_0123);
        let cases: Vec<(&str, Vec<f32>)> = vec![
            (
                "nonfinite",
                vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, odd_nan],
            ),
            ("0.bias", vec![-0.0, f32::from_bits(1), f32::MAX]),
            ("", vec![1.5]),
            ("..", vec![2.5]),
            ("a.b", vec![1.0]),
            ("a-b", vec![2.0]),
            ("A_B_2", vec![3.0]),
            ("x\npub fn injected() {}\n//", vec![4.0]),
            ("y\r\u{2028}\u{202e}*/\"\\ `z`", vec![5.0]),
            ("_hidden", vec![6.0]),
        ];
        let mut w = Weights::new();
        for (name, values) in &cases {
            w.entries.push(Entry {
                name: (*name).to_owned(),
                rows: values.len(),
                cols: 1,
                values: values.iter().map(|&v| f64::from(v)).collect(),
            });
        }
        // A value too large for f32 becomes +∞.
        w.entries.push(Entry {
            name: "huge".to_owned(),
            rows: 1,
            cols: 2,
            values: vec![1e300, -1e300],
        });
        (w, cases)
    }

    /// The identifiers `to_rust` gives the entries of `nasty()`, in order.
    const NASTY_IDENTS: [&str; 11] = [
        "NONFINITE",
        "W_0_BIAS",
        "W_",
        "W___",
        "A_B",
        "A_B_2",
        "A_B_2_2",
        "X_PUB_FN_INJECTED________",
        "Y_________Z_",
        "_HIDDEN",
        "HUGE",
    ];

    #[test]
    fn generated_rust_text_is_safe_for_any_name_and_value() {
        let (w, _) = nasty();
        let src = w.to_rust();
        // Every line is a comment or a constant: nothing escaped a doc comment.
        for line in src.lines() {
            assert!(
                line.starts_with("// Generated")
                    || line.starts_with("/// Matrix \"")
                    || line.starts_with("pub const "),
                "unexpected line {line:?} in\n{src}"
            );
            assert!(!line.contains('\r') && !line.contains('\u{202e}'));
        }
        let idents: Vec<&str> = src
            .lines()
            .filter_map(|l| l.strip_prefix("pub const "))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert_eq!(idents, NASTY_IDENTS);
        assert!(
            src.contains(r#"/// Matrix "x\npub fn injected() {}\n//": 1×1."#),
            "{src}"
        );
        assert!(src.contains(r#""y\r\u{2028}\u{202e}*/\"\\ `z`""#), "{src}");
        assert!(src.contains(
            "pub const NONFINITE: [f32; 4] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, \
             f32::from_bits(0xffc00123)];"
        ));
        assert!(src.contains("pub const W_0_BIAS: [f32; 3] = [-0.0, 1e-45, 3.4028235e38];"));
        assert!(src.contains("pub const HUGE: [f32; 2] = [f32::INFINITY, f32::NEG_INFINITY];"));
        assert_eq!(rust_ident("_"), "W__");
        assert_eq!(rust_ident("_0"), "_0");
        assert_eq!(rust_ident("layer1.w"), "LAYER1_W");
    }

    #[test]
    fn generated_rust_compiles_with_the_exact_values() {
        let (w, cases) = nasty();
        let mut src = String::from("#![deny(warnings)]\n");
        src.push_str(&w.to_rust());
        // Compile-time checks that each constant holds the exact bits.
        let mut expected: Vec<Vec<f32>> = cases.into_iter().map(|(_, v)| v).collect();
        expected.push(vec![f32::INFINITY, f32::NEG_INFINITY]);
        for (ident, values) in NASTY_IDENTS.iter().zip(&expected) {
            for (i, v) in values.iter().enumerate() {
                let _ = writeln!(
                    src,
                    "const _: () = assert!({ident}[{i}].to_bits() == {:#010x});",
                    v.to_bits()
                );
            }
        }
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        if std::process::Command::new(&rustc)
            .arg("--version")
            .output()
            .map_or(true, |o| !o.status.success())
        {
            eprintln!("SKIPPED generated_rust_compiles_with_the_exact_values: no rustc found");
            return;
        }
        let dir = std::env::temp_dir().join(format!("stackgrad-to-rust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lib = dir.join("weights.rs");
        std::fs::write(&lib, &src).unwrap();
        let out = std::process::Command::new(&rustc)
            .args([
                "--crate-type",
                "lib",
                "--edition",
                "2021",
                "--crate-name",
                "weights",
            ])
            .arg("--out-dir")
            .arg(&dir)
            .arg(&lib)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.status.success(),
            "generated Rust does not compile:\n{}\n--- source ---\n{src}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn rust_constants_parse_back_to_the_same_f32() {
        let v = Vector3::new(0.1f32, -1.0e-7, 123456.78);
        let mut w = Weights::new();
        w.add("layer.b", &v);
        let src = w.to_rust();
        let line = src
            .lines()
            .find(|l| l.starts_with("pub const LAYER_B: [f32; 3]"))
            .unwrap();
        let inner = &line[line.find("= [").unwrap() + 3..line.rfind(']').unwrap()];
        let parsed: Vec<f32> = inner.split(", ").map(|x| x.parse().unwrap()).collect();
        assert_eq!(parsed, v.as_slice());
    }

    #[test]
    fn two_matrices_of_one_name_are_refused() {
        let mut w = Weights::new();
        w.add("a", &Vector3::new(1.0f32, 2.0, 3.0))
            .add("b", &Vector3::new(4.0f32, 5.0, 6.0));
        // `add` replaces a matrix of the same name: only a file made elsewhere has two.
        w.entries[1].name = "a".to_owned();
        let e = Weights::from_bytes(&w.to_bytes()).unwrap_err();
        assert!(
            matches!(e, WeightError::Duplicate(ref name) if name == "a"),
            "{e:?}"
        );
        assert!(e.to_string().contains("two matrices named \"a\""), "{e}");
    }
}
