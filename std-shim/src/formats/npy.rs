//! NumPy's `.npy` format, read and written here (alone, or as an entry of an `.npz`).
//!
//! A file is the magic `\x93NUMPY`, a version (major, minor), the header's length (`u16`
//! little-endian in version 1, `u32` in versions 2 and 3), the header, then the data. The
//! header is a Python dict literal of exactly three keys, padded with spaces and a newline:
//!
//! ```text
//! {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//! ```
//!
//! The header comes from the file, so it is parsed here by a small recursive-descent
//! parser in one pass (linear time), after two bounds: at most [`MAX_HEADER_LEN`] bytes
//! (NumPy's own limit) and at most [`MAX_DEPTH`] nested brackets. The declared shape is
//! checked against the slot before a byte of data is read or allocated, so no product
//! of the file's dimensions is ever computed unchecked.

use std::io::Read;

use super::{check_shape, decode, FormatError, Found, Slot, Values};

/// The longest header read, in bytes: NumPy's own limit (`max_header_size` of
/// `np.load`, 10,000). NumPy writes headers of about 120 bytes for these arrays.
pub(super) const MAX_HEADER_LEN: usize = 10_000;

/// How deeply dicts, lists and tuples may nest in a header. NumPy's headers for plain
/// arrays nest two levels (the dict, the shape tuple); structured dtypes a few more.
const MAX_DEPTH: usize = 16;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

#[cfg(feature = "npz")]
/// The most bytes an `.npy` of `n` values that loads into a slot has: the longest
/// preamble (12 bytes) and header, and 8 bytes per value.
pub(super) fn max_file_len(n: usize) -> u64 {
    (n as u64)
        .saturating_mul(8)
        .saturating_add(12 + MAX_HEADER_LEN as u64)
}

/// The data types a slot loads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Float {
    F32,
    F64,
}

/// An `.npy` header, as far as loading needs it.
#[derive(Debug, PartialEq)]
struct Header {
    /// The float type and whether it is big-endian, or the `descr` text if it is anything
    /// else (another type, a structured dtype).
    dtype: Result<(Float, bool), String>,
    fortran_order: bool,
    shape: Vec<u64>,
}

/// Reads an `.npy` from `r` for `slot`: the header, checked against the slot, then exactly
/// the data it declares. Errors about the bytes are `Malformed { format, .. }` with
/// `context` (e.g. the archive entry) before their detail.
pub(super) fn read(
    r: &mut impl Read,
    slot: &Slot<'_>,
    format: &'static str,
    context: &str,
) -> Result<Found, FormatError> {
    let bad = |detail: String| FormatError::Malformed {
        format,
        detail: format!("{context}{detail}"),
    };
    let header = read_header(r).map_err(bad)?;
    let (float, big_endian) = header.dtype.map_err(|found| FormatError::Dtype {
        name: slot.name.to_owned(),
        found,
    })?;
    let shape: Vec<usize> = header
        .shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
        .collect();
    // Before any data is read: the shape must be the slot's, so its product is the
    // slot's length, which fits.
    check_shape(slot, &shape)?;
    let n = slot.rows * slot.cols; // checked by the caller (`slot_len`)
    let size = match float {
        Float::F32 => 4,
        Float::F64 => 8,
    };
    let want = n
        .checked_mul(size)
        .ok_or_else(|| bad(format!("{n} values of {size} bytes overflow")))?;
    let mut data = Vec::with_capacity(want);
    r.take(want as u64)
        .read_to_end(&mut data)
        .map_err(|e| bad(format!("reading the data: {e}")))?;
    if data.len() < want {
        return Err(bad(format!(
            "the data ends after {} of the {want} bytes its shape {shape:?} needs",
            data.len()
        )));
    }
    let values = match (float, big_endian) {
        (Float::F32, false) => Values::F32(decode(&data, f32::from_le_bytes)),
        (Float::F32, true) => Values::F32(decode(&data, f32::from_be_bytes)),
        (Float::F64, false) => Values::F64(decode(&data, f64::from_le_bytes)),
        (Float::F64, true) => Values::F64(decode(&data, f64::from_be_bytes)),
    };
    Ok(Found {
        shape,
        column_major: header.fortran_order,
        values,
    })
}

/// Reads the preamble and the header (at most 12 + `MAX_HEADER_LEN` bytes), and parses
/// the header.
fn read_header(r: &mut impl Read) -> Result<Header, String> {
    let mut pre = [0u8; 8];
    let got = read_up_to(r, &mut pre)?;
    if pre[..got.min(6)] != MAGIC[..got.min(6)] {
        return Err("not an .npy file: it does not start with \\x93NUMPY".to_owned());
    }
    if got < pre.len() {
        return Err(format!("{got} bytes are too few for an .npy preamble"));
    }
    let (major, minor) = (pre[6], pre[7]);
    let len = match major {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b)
                .map_err(|e| format!("reading the header's length: {e}"))?;
            u64::from(u16::from_le_bytes(b))
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b)
                .map_err(|e| format!("reading the header's length: {e}"))?;
            u64::from(u32::from_le_bytes(b))
        }
        _ => {
            return Err(format!(
                "version {major}.{minor} is not one NumPy writes (1, 2 or 3)"
            ))
        }
    };
    if len > MAX_HEADER_LEN as u64 {
        return Err(format!(
            "the header claims {len} bytes, more than the {MAX_HEADER_LEN} that NumPy itself \
             reads (np.load's max_header_size)"
        ));
    }
    let mut raw = Vec::with_capacity(len as usize);
    r.take(len)
        .read_to_end(&mut raw)
        .map_err(|e| format!("reading the header: {e}"))?;
    if (raw.len() as u64) < len {
        return Err(format!(
            "the file ends after {} of the header's {len} bytes",
            raw.len()
        ));
    }
    // Versions 1 and 2 are Latin-1, version 3 UTF-8.
    let text: String = if major == 3 {
        String::from_utf8(raw).map_err(|_| "the version 3 header is not UTF-8")?
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    };
    parse_header(&text)
}

/// Fills as much of `buf` as `r` has; the count read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, String> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading the preamble: {e}")),
        }
    }
    Ok(got)
}

/// Parses a header and checks its keys and their values.
fn parse_header(text: &str) -> Result<Header, String> {
    let mut p = Parser { text, pos: 0 };
    let (dict, _) = p.value(0)?;
    p.skip_space();
    if p.pos < text.len() {
        return Err(p.error("nothing but spaces after the dict"));
    }
    let Lit::Dict(entries) = dict else {
        return Err("the header is not a dict".to_owned());
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value, value_text) in entries {
        let slot = match &key {
            Lit::Str(k) if k == "descr" => &mut descr,
            Lit::Str(k) if k == "fortran_order" => &mut fortran,
            Lit::Str(k) if k == "shape" => &mut shape,
            _ => {
                return Err(format!(
                    "unexpected key {} in the header (NumPy's have exactly 'descr', \
                     'fortran_order' and 'shape')",
                    key.describe()
                ))
            }
        };
        if slot.replace((value, value_text)).is_some() {
            return Err(format!("the header has the key {} twice", key.describe()));
        }
    }
    let missing = |k: &str| format!("the header has no '{k}'");
    let (descr, descr_text) = descr.ok_or_else(|| missing("descr"))?;
    let dtype = match descr {
        Lit::Str(s) => match s.as_str() {
            "<f4" => Ok((Float::F32, false)),
            ">f4" => Ok((Float::F32, true)),
            "<f8" => Ok((Float::F64, false)),
            ">f8" => Ok((Float::F64, true)),
            _ => Err(s),
        },
        _ => Err(descr_text.to_owned()),
    };
    let fortran_order = match fortran.ok_or_else(|| missing("fortran_order"))?.0 {
        Lit::Bool(b) => b,
        other => {
            return Err(format!(
                "'fortran_order' is {}, not True or False",
                other.describe()
            ))
        }
    };
    let shape = match shape.ok_or_else(|| missing("shape"))?.0 {
        Lit::Tuple(dims) => dims
            .into_iter()
            .map(|d| match d {
                Lit::Int(n) => Ok(n),
                other => Err(format!(
                    "'shape' holds {}, not a non-negative integer",
                    other.describe()
                )),
            })
            .collect::<Result<Vec<u64>, String>>()?,
        other => return Err(format!("'shape' is {}, not a tuple", other.describe())),
    };
    Ok(Header {
        dtype,
        fortran_order,
        shape,
    })
}

/// The Python literals a header may hold.
#[derive(Debug, PartialEq)]
enum Lit<'t> {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Tuple(Vec<Lit<'t>>),
    List(Vec<Lit<'t>>),
    /// Keys, values, and each value's source text.
    Dict(Vec<(Lit<'t>, Lit<'t>, &'t str)>),
}

impl Lit<'_> {
    /// A short description for an error message.
    fn describe(&self) -> String {
        match self {
            Lit::Str(s) => format!("{s:?}"),
            Lit::Int(n) => n.to_string(),
            Lit::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            Lit::None => "None".to_owned(),
            Lit::Tuple(_) => "a tuple".to_owned(),
            Lit::List(_) => "a list".to_owned(),
            Lit::Dict(_) => "a dict".to_owned(),
        }
    }
}

/// A one-pass parser of Python literals (strings, non-negative integers, `True`, `False`,
/// `None`, tuples, lists, dicts): each byte is looked at a bounded number of times, and
/// nesting deeper than `MAX_DEPTH` is refused, so recursion is bounded too.
struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')) {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &str) -> String {
        let found = match self.text[self.pos..].chars().next() {
            Some(c) => format!("{c:?}"),
            None => "the end".to_owned(),
        };
        format!(
            "header byte {}: expected {expected}, found {found}",
            self.pos
        )
    }

    /// A value and its source text, starting after any spaces.
    fn value(&mut self, depth: usize) -> Result<(Lit<'t>, &'t str), String> {
        self.skip_space();
        let start = self.pos;
        let lit = match self.peek() {
            Some(open @ (b'{' | b'(' | b'[')) => {
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "header byte {start}: brackets nest deeper than {MAX_DEPTH} levels"
                    ));
                }
                self.pos += 1;
                match open {
                    b'{' => self.dict(depth + 1)?,
                    b'(' => self.tuple(depth + 1)?,
                    _ => Lit::List(self.items(b']', depth + 1)?.0),
                }
            }
            Some(q @ (b'\'' | b'"')) => self.string(q)?,
            Some(b'0'..=b'9') => self.int()?,
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'_') => self.word()?,
            _ => return Err(self.error("a value")),
        };
        Ok((lit, &self.text[start..self.pos]))
    }

    /// Comma-separated values up to `close` (a trailing comma allowed), after the opening
    /// bracket; whether any comma was seen.
    fn items(&mut self, close: u8, depth: usize) -> Result<(Vec<Lit<'t>>, bool), String> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, comma));
            }
            items.push(self.value(depth)?.0);
            self.skip_space();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    comma = true;
                }
                Some(c) if c == close => {}
                _ => return Err(self.error(&format!("',' or '{}'", char::from(close)))),
            }
        }
    }

    /// `(…)`: a tuple if empty or if it has a comma, else the parenthesised value itself.
    fn tuple(&mut self, depth: usize) -> Result<Lit<'t>, String> {
        let (mut items, comma) = self.items(b')', depth)?;
        Ok(match (items.len(), comma) {
            (1, false) => items.remove(0),
            _ => Lit::Tuple(items),
        })
    }

    fn dict(&mut self, depth: usize) -> Result<Lit<'t>, String> {
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Lit::Dict(entries));
            }
            let (key, _) = self.value(depth)?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.error("':' after a dict key"));
            }
            self.pos += 1;
            let (value, text) = self.value(depth)?;
            entries.push((key, value, text));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error("',' or '}'")),
            }
        }
    }

    /// A quoted string; a backslash keeps the character after it.
    fn string(&mut self, quote: u8) -> Result<Lit<'t>, String> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                _ if c == char::from(quote) => {
                    self.pos += i + 1;
                    return Ok(Lit::Str(s));
                }
                '\\' => match chars.next() {
                    Some((_, e)) => s.push(e),
                    None => break,
                },
                '\n' => break,
                _ => s.push(c),
            }
        }
        Err(format!("header byte {start}: a string that does not end"))
    }

    /// Decimal digits, with Python 2's `L` suffix allowed (NumPy under Python 2 wrote
    /// shapes such as `(3L, 4L)`).
    fn int(&mut self) -> Result<Lit<'t>, String> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| format!("header byte {start}: an integer larger than 2^64 - 1"))?;
            self.pos += 1;
        }
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        Ok(Lit::Int(n))
    }

    fn word(&mut self) -> Result<Lit<'t>, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        match &self.text[start..self.pos] {
            "True" => Ok(Lit::Bool(true)),
            "False" => Ok(Lit::Bool(false)),
            "None" => Ok(Lit::None),
            w => Err(format!(
                "header byte {start}: {w:?} is not a value (True, False, None, a number, a \
                 string or a bracket)"
            )),
        }
    }
}

/// Appends an `.npy` of little-endian `f32` values in C order with this `shape`, exactly
/// as `numpy.save` writes it: version 1.0, the header padded with spaces so the data
/// starts at a multiple of 64 bytes.
pub(super) fn write(out: &mut Vec<u8>, shape: &[usize], values: impl Iterator<Item = f32>) {
    let dims = match shape {
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}");
    // NumPy: padlen = 64 - (magic, version, length and header with its newline) % 64.
    let pad = 64 - (MAGIC.len() + 2 + 2 + header.len() + 1) % 64;
    header.extend(std::iter::repeat_n(' ', pad));
    header.push('\n');
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    // A 2-D shape's header is about 120 bytes, far below u16::MAX.
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(values.flat_map(f32::to_le_bytes));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Result<Header, String> {
        parse_header(text)
    }

    #[test]
    fn numpy_headers_parse() {
        let h = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n")
            .unwrap();
        assert_eq!(
            h,
            Header {
                dtype: Ok((Float::F32, false)),
                fortran_order: false,
                shape: vec![2, 3]
            }
        );
        let h = header("{\"shape\": (3L,), \"fortran_order\": True, \"descr\": \">f8\"}").unwrap();
        assert_eq!(
            (h.dtype, h.fortran_order, h.shape),
            (Ok((Float::F64, true)), true, vec![3])
        );
        assert_eq!(
            header("{'descr': '<f4', 'fortran_order': False, 'shape': ()}")
                .unwrap()
                .shape,
            Vec::<u64>::new()
        );
        // A structured dtype is refused by its text, as NumPy writes it.
        let h = header(
            "{'descr': [('a', '<f4'), ('b', '<i8', (2,))], 'fortran_order': False, 'shape': (2,), }",
        )
        .unwrap();
        assert_eq!(
            h.dtype,
            Err("[('a', '<f4'), ('b', '<i8', (2,))]".to_owned())
        );
        assert_eq!(
            header("{'descr': '<f2', 'fortran_order': False, 'shape': (2,)}")
                .unwrap()
                .dtype,
            Err("<f2".to_owned())
        );
    }

    #[test]
    fn malformed_headers_are_refused_with_the_reason() {
        let cases = [
            ("", "expected a value, found the end"),
            ("{'descr': '<f4', 'fortran_order': False}", "no 'shape'"),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
                "unexpected key \"x\"",
            ),
            (
                "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
                "key \"descr\" twice",
            ),
            (
                "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
                "not True or False",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}",
                "not a tuple",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
                "expected a value, found '-'",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
                "larger than 2^64",
            ),
            ("{'descr': '<f4} ", "does not end"),
            ("{'descr' '<f4'}", "expected ':'"),
            ("{'descr': '<f4'} x", "nothing but spaces"),
            ("[1, 2]", "not a dict"),
            ("{'descr': nan}", "\"nan\" is not a value"),
        ];
        for (text, reason) in cases {
            let e = header(text).unwrap_err();
            assert!(e.contains(reason), "{text:?}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_at_once() {
        // Each unclosed bracket tripled the time of the general parser used before.
        for open in ["{", "[", "(", "{'a': ["] {
            let text = format!("{{'descr': {}", open.repeat(5000));
            let e = header(&text).unwrap_err();
            assert!(e.contains("nest deeper than 16"), "{e}");
        }
        let ok = format!("{{'descr': {}1{}", "[".repeat(15), "]".repeat(15));
        assert!(header(&format!("{ok}, 'fortran_order': False, 'shape': ()}}")).is_ok());
    }
}
