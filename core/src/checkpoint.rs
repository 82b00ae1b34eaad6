//! On-device checkpoints: parameters (and optimizer state) saved to a caller's byte
//! buffer, such as a flash page, and restored from it, with no heap and no panic.
//!
//! A checkpoint is a list of *parts*, each a slice of scalars: the parameters of each
//! layer, then any optimizer state the caller can reach as slices (moments, a step count
//! stored as a scalar, ...). [`save`] writes them into an *image*; [`restore`] reads an
//! image back into slices of the same lengths, listed in the same order.
//!
//! # Image layout
//!
//! Little-endian throughout; `n` is the number of parts, `len[i]` the length of part `i`
//! in scalars and `S` the scalar's size in bytes (4 for `f32`, 8 for `f64`):
//!
//! ```text
//! offset        size       field
//! 0             4          magic b"SGCK"
//! 4             2          format version (u16, currently 1)
//! 6             1          scalar size S in bytes (u8)
//! 7             1          reserved, 0
//! 8             4          part count n (u32)
//! 12            4·n        len[0], len[1], … (u32 each)
//! 12 + 4n       S·Σlen     the parts' scalars, in order, each little-endian
//! end − 4       4          CRC-32/ISO-HDLC (the zlib/Ethernet CRC) of every byte before it
//! ```
//!
//! [`image_len`] gives the size of an image before writing one. The image may sit at the
//! start of a larger buffer (a flash page): [`restore`] reads the header to learn where the
//! image ends and ignores whatever follows.
//!
//! # All or nothing
//!
//! [`restore`] validates the whole image first (magic, version, length, CRC, scalar size,
//! part count, every part's length) and only then copies into the slices, so a corrupt,
//! truncated or mismatched image is refused with a [`CheckpointError`] and leaves every
//! slice untouched. The CRC-32 detects every single-byte corruption and every burst of up
//! to 32 bits; it is a guard against worn flash and torn writes, not against tampering.
//!
//! # Scalar types
//!
//! Images hold `f32` or `f64` (the types implementing [`CheckpointScalar`]). The scalar
//! size is part of the image, so an `f32` image restored into `f64` slices is refused
//! rather than converted.

use core::fmt;

use crc::{Crc, CRC_32_ISO_HDLC};

use crate::nn::Module;
use crate::optim::Optimizer;
use crate::Real;

/// The first four bytes of every image.
pub const MAGIC: [u8; 4] = *b"SGCK";
/// The image format version written by [`save`] and accepted by [`restore`].
pub const VERSION: u16 = 1;

/// Bytes before the part lengths: magic, version, scalar size, reserved, part count.
const FIXED_HEADER: usize = 12;
/// Bytes of the trailing CRC.
const CRC_LEN: usize = 4;

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// What can go wrong saving or restoring a checkpoint. Whatever the error, [`restore`] has
/// changed no slice and [`save`] may have written part of the output buffer only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointError {
    /// [`save`]: the output buffer is smaller than the image.
    BufferTooSmall {
        /// Bytes the image needs (see [`image_len`]).
        needed: usize,
        /// Bytes the buffer has.
        capacity: usize,
    },
    /// [`save`]: more parts, or a longer part, than the format's 32-bit fields can count
    /// (or an image size that overflows `usize`).
    TooLarge,
    /// [`restore`]: the image does not start with [`MAGIC`] (erased or foreign flash).
    BadMagic,
    /// [`restore`]: the image has a format version this build does not read (or, with a
    /// valid CRC, a non-zero reserved header byte, which only a later format would write).
    UnsupportedVersion {
        /// The version in the image.
        found: u16,
    },
    /// [`restore`]: the image claims more bytes than the buffer holds.
    Truncated {
        /// Bytes the header says the image has (or at least needs, if the header itself
        /// is cut short).
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// [`restore`]: the CRC stored in the image does not match its contents.
    Corrupt {
        /// The CRC stored in the image.
        stored: u32,
        /// The CRC computed over the image.
        computed: u32,
    },
    /// [`restore`]: the image holds scalars of another size (`f32` vs `f64`).
    ScalarSize {
        /// Bytes per scalar of the slices given.
        expected: usize,
        /// Bytes per scalar in the image.
        found: usize,
    },
    /// [`restore`]: the image has another number of parts than the slices given.
    PartCount {
        /// Number of slices given.
        expected: usize,
        /// Number of parts in the image.
        found: usize,
    },
    /// [`restore`]: a part of the image has another length than its slice.
    PartLength {
        /// Index of the part.
        part: usize,
        /// Length of the slice given.
        expected: usize,
        /// Length of the part in the image.
        found: usize,
    },
}

/// The scalar type of `size` bytes, for messages.
struct ScalarName(usize);

impl fmt::Display for ScalarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            4 => f.write_str("f32"),
            8 => f.write_str("f64"),
            n => write!(f, "{n}-byte"),
        }
    }
}

/// Each message says what happened and the way out.
impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEPT: &str = "nothing was restored";
        const SAME: &str = "restore it into the model (and optimizer) it was saved from";
        match *self {
            CheckpointError::BufferTooSmall { needed, capacity } => write!(
                f,
                "checkpoint image needs {needed} bytes, the buffer has {capacity}; nothing \
                 was written: give save a buffer of at least {needed} bytes (image_len \
                 computes it)"
            ),
            CheckpointError::TooLarge => f.write_str(
                "checkpoint too large: a part count, a part's length or the image's size \
                 does not fit the format's 32-bit fields; nothing was written: save the \
                 parts in several checkpoints",
            ),
            CheckpointError::BadMagic => write!(
                f,
                "no stackgrad checkpoint here: the bytes do not start with \"SGCK\" (erased \
                 or foreign flash); {KEPT}: read from where the checkpoint was saved, or \
                 start from fresh parameters"
            ),
            CheckpointError::UnsupportedVersion { found } if found == VERSION => write!(
                f,
                "checkpoint of format version {found} with a header byte set that only a \
                 later format writes (byte 7); {KEPT}: restore it with the stackgrad \
                 version that saved it"
            ),
            CheckpointError::UnsupportedVersion { found } => write!(
                f,
                "checkpoint of format version {found}, this build reads version {VERSION}; \
                 {KEPT}: restore it with the stackgrad version that saved it, or save it \
                 again with this one"
            ),
            CheckpointError::Truncated {
                needed: usize::MAX,
                available,
            } => write!(
                f,
                "checkpoint header claims more bytes than memory holds ({available} bytes \
                 given): corrupt, or not a checkpoint; {KEPT}: fall back to an older \
                 checkpoint or to fresh parameters"
            ),
            CheckpointError::Truncated { needed, available } => write!(
                f,
                "checkpoint truncated: the image needs {needed} bytes, {available} were \
                 given; {KEPT}: pass the whole image (a whole flash page will do)"
            ),
            CheckpointError::Corrupt { stored, computed } => write!(
                f,
                "checkpoint corrupt: stored CRC {stored:#010x}, computed {computed:#010x} \
                 (worn flash or a torn write); {KEPT}: fall back to an older checkpoint or \
                 to fresh parameters"
            ),
            CheckpointError::ScalarSize { expected, found } => write!(
                f,
                "checkpoint holds {} scalars, the model uses {}; {KEPT}: restore it into a \
                 model of {}, as it was saved",
                ScalarName(found),
                ScalarName(expected),
                ScalarName(found)
            ),
            CheckpointError::PartCount { expected, found } => write!(
                f,
                "checkpoint has {found} parts, {expected} were given: it was saved from \
                 another model or optimizer; {KEPT}: {SAME}"
            ),
            CheckpointError::PartLength {
                part,
                expected,
                found,
            } => write!(
                f,
                "checkpoint part {part} has {found} scalars, the part given has {expected}: \
                 it was saved from a model (or optimizer) of another shape; {KEPT}: {SAME}"
            ),
        }
    }
}

mod sealed {
    /// Little-endian bytes of a plain float. Sealed: only `f32` and `f64`.
    pub trait Bytes: Copy {
        /// Bytes per value.
        const SIZE: usize;
        /// Writes the value into `out` (`out.len() == SIZE`; shorter writes a prefix).
        fn write_le(self, out: &mut [u8]);
        /// Reads a value from `bytes` (`bytes.len() == SIZE`; missing bytes read as 0).
        fn read_le(bytes: &[u8]) -> Self;
    }

    macro_rules! bytes {
        ($t:ty, $n:literal) => {
            impl Bytes for $t {
                const SIZE: usize = $n;
                fn write_le(self, out: &mut [u8]) {
                    for (o, b) in out.iter_mut().zip(self.to_le_bytes()) {
                        *o = b;
                    }
                }
                fn read_le(bytes: &[u8]) -> Self {
                    let mut a = [0u8; $n];
                    for (d, s) in a.iter_mut().zip(bytes) {
                        *d = *s;
                    }
                    <$t>::from_le_bytes(a)
                }
            }
        };
    }
    bytes!(f32, 4);
    bytes!(f64, 8);
}

/// A scalar type a checkpoint can store: `f32` and `f64` (bit-exact, NaN payloads
/// included). Sealed: the byte conversion lives in a private supertrait, so no other type
/// can implement it.
pub trait CheckpointScalar: Real + sealed::Bytes {}
impl CheckpointScalar for f32 {}
impl CheckpointScalar for f64 {}

/// The size in bytes of the image of parts with these lengths, scalars of `T`; `None` if
/// it overflows `usize`.
pub fn image_len<T: CheckpointScalar>(lengths: impl IntoIterator<Item = usize>) -> Option<usize> {
    let mut parts = 0usize;
    let mut scalars = 0usize;
    for len in lengths {
        parts = parts.checked_add(1)?;
        scalars = scalars.checked_add(len)?;
    }
    FIXED_HEADER
        .checked_add(parts.checked_mul(4)?)?
        .checked_add(scalars.checked_mul(T::SIZE)?)?
        .checked_add(CRC_LEN)
}

/// A sequence of parts a checkpoint saves or restores, walked in a fixed order: slices
/// ([`save`], [`restore`]) or a model with its optimizer ([`Training`]).
pub trait Parts<T> {
    /// Calls `f` on every part, in order. [`save_parts`] only reads them.
    fn for_each_part(&mut self, f: &mut dyn FnMut(&mut [T]));
}

/// Slices as parts.
struct Slices<'s, 'p, T>(&'s mut [&'p mut [T]]);

impl<T> Parts<T> for Slices<'_, '_, T> {
    fn for_each_part(&mut self, f: &mut dyn FnMut(&mut [T])) {
        for p in self.0.iter_mut() {
            f(p);
        }
    }
}

/// A model's parameters followed by its optimizer's state (moments, step count) as
/// checkpoint parts: [`save_parts`]`(&mut Training { model, optimizer }, page)` saves
/// both, [`restore_parts`] brings both back or neither.
///
/// ```
/// use stackgrad::checkpoint::{restore_parts, save_parts, Training};
/// use stackgrad::nn::{mlp, Mlp, Module, Rng};
/// use stackgrad::optim::{Adam, Optimizer};
///
/// type Net = Mlp<f32, 3, 4, 2>;
/// let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
/// let mut adam: Adam<f32, { <Net as Module<f32>>::PARAMS }> = Adam::new(1e-2);
/// let mut page = [0u8; 1024];
/// let n = save_parts(&mut Training { model: &mut net, optimizer: &mut adam }, &mut page)?;
///
/// let mut other: Net = mlp(&mut Rng::seed_from_u64(2));
/// let mut adam2 = adam.clone();
/// restore_parts(&page[..n], &mut Training { model: &mut other, optimizer: &mut adam2 })?;
/// assert_eq!(other, net);
/// # Ok::<(), stackgrad::checkpoint::CheckpointError>(())
/// ```
#[derive(Debug)]
pub struct Training<'a, M, O> {
    /// The model, whose parameters come first, in [`Module::visit`] order.
    pub model: &'a mut M,
    /// The optimizer, whose state follows ([`Optimizer::visit_state`]).
    pub optimizer: &'a mut O,
}

impl<T: Real, M: Module<T>, O: Optimizer<T>> Parts<T> for Training<'_, M, O> {
    fn for_each_part(&mut self, f: &mut dyn FnMut(&mut [T])) {
        crate::nn::for_each_param(self.model, |p| f(p));
        self.optimizer.visit_state(f);
    }
}

/// Writes `parts` as an image at the start of `out` and returns the image's length in
/// bytes. Bytes of `out` after the image are left as they were.
///
/// Fails with [`CheckpointError::BufferTooSmall`] (having written nothing) if `out` is
/// shorter than [`image_len`], and with [`CheckpointError::TooLarge`] if a count does not
/// fit the format's 32-bit fields.
pub fn save<T: CheckpointScalar>(parts: &[&[T]], out: &mut [u8]) -> Result<usize, CheckpointError> {
    save_slices(parts, out)
}

/// [`save`] for any [`Parts`] (a model and its optimizer: [`Training`]).
///
/// # Errors
///
/// As [`save`].
pub fn save_parts<T: CheckpointScalar, P: Parts<T>>(
    parts: &mut P,
    out: &mut [u8],
) -> Result<usize, CheckpointError> {
    // Pass 1: how many parts, how long.
    let (mut count, mut scalars, mut too_long) = (0usize, 0usize, false);
    parts.for_each_part(&mut |p| {
        count = count.saturating_add(1);
        scalars = scalars.saturating_add(p.len());
        too_long |= u32::try_from(p.len()).is_err();
    });
    let needed = FIXED_HEADER
        .checked_add(count.checked_mul(4).ok_or(CheckpointError::TooLarge)?)
        .and_then(|n| n.checked_add(scalars.checked_mul(T::SIZE)?))
        .and_then(|n| n.checked_add(CRC_LEN))
        .ok_or(CheckpointError::TooLarge)?;
    let count32 = u32::try_from(count).map_err(|_| CheckpointError::TooLarge)?;
    let size = u8::try_from(T::SIZE).map_err(|_| CheckpointError::TooLarge)?;
    if too_long {
        return Err(CheckpointError::TooLarge);
    }
    let capacity = out.len();
    let image = out
        .get_mut(..needed)
        .ok_or(CheckpointError::BufferTooSmall { needed, capacity })?;

    // Pass 2: the header, each length in its slot and each part's data after the header.
    let header = FIXED_HEADER + 4 * count;
    let mut w = Writer { buf: image, pos: 0 };
    w.put(&MAGIC);
    w.put(&VERSION.to_le_bytes());
    w.put(&[size, 0]);
    w.put(&count32.to_le_bytes());
    let (mut slot, mut data) = (FIXED_HEADER, header);
    parts.for_each_part(&mut |p| {
        let len = u32::try_from(p.len()).unwrap_or(u32::MAX);
        w.put_at(slot, &len.to_le_bytes());
        slot += 4;
        for &x in p.iter() {
            if let Some(dst) = w.buf.get_mut(data..data + T::SIZE) {
                x.write_le(dst);
            }
            data += T::SIZE;
        }
    });
    let body = needed - CRC_LEN;
    let crc = CRC32.checksum(w.buf.get(..body).unwrap_or(&[]));
    w.put_at(body, &crc.to_le_bytes());
    Ok(needed)
}

fn save_slices<T: CheckpointScalar>(
    parts: &[&[T]],
    out: &mut [u8],
) -> Result<usize, CheckpointError> {
    let needed = image_len::<T>(parts.iter().map(|p| p.len())).ok_or(CheckpointError::TooLarge)?;
    let count = u32::try_from(parts.len()).map_err(|_| CheckpointError::TooLarge)?;
    let size = u8::try_from(T::SIZE).map_err(|_| CheckpointError::TooLarge)?;
    if parts.iter().any(|p| u32::try_from(p.len()).is_err()) {
        return Err(CheckpointError::TooLarge);
    }
    let capacity = out.len();
    let image = out
        .get_mut(..needed)
        .ok_or(CheckpointError::BufferTooSmall { needed, capacity })?;

    let mut w = Writer { buf: image, pos: 0 };
    w.put(&MAGIC);
    w.put(&VERSION.to_le_bytes());
    w.put(&[size, 0]);
    w.put(&count.to_le_bytes());
    for p in parts {
        // Checked above: every length fits a u32.
        w.put(&u32::try_from(p.len()).unwrap_or(u32::MAX).to_le_bytes());
    }
    for p in parts {
        for &x in p.iter() {
            if let Some(dst) = w.take(T::SIZE) {
                x.write_le(dst);
            }
        }
    }
    let body = needed - CRC_LEN;
    let crc = CRC32.checksum(w.buf.get(..body).unwrap_or(&[]));
    w.put(&crc.to_le_bytes());
    Ok(needed)
}

/// Restores `parts` from an image written by [`save`] with slices of the same lengths, in
/// the same order, of the same scalar type. `image` may be longer than the image (a whole
/// flash page); bytes after it are ignored.
///
/// The image is validated completely before any slice is written: on any error every
/// slice keeps its old contents.
///
/// # Errors
///
/// A [`CheckpointError`] saying what does not match; nothing is changed.
pub fn restore<T: CheckpointScalar>(
    image: &[u8],
    parts: &mut [&mut [T]],
) -> Result<(), CheckpointError> {
    restore_parts(image, &mut Slices(parts))
}

/// [`restore`] for any [`Parts`] (a model and its optimizer: [`Training`]): all of them
/// or none.
///
/// # Errors
///
/// As [`restore`]; nothing is changed.
pub fn restore_parts<T: CheckpointScalar, P: Parts<T>>(
    image: &[u8],
    parts: &mut P,
) -> Result<(), CheckpointError> {
    let available = image.len();
    let truncated = |needed: usize| CheckpointError::Truncated { needed, available };

    // 1. Locate the image: fixed header, then the lengths, then its total size.
    let fixed = image.get(..FIXED_HEADER).ok_or(truncated(FIXED_HEADER))?;
    if fixed.get(..4) != Some(&MAGIC[..]) {
        return Err(CheckpointError::BadMagic);
    }
    let version = u16::from_le_bytes([byte(fixed, 4), byte(fixed, 5)]);
    if version != VERSION {
        return Err(CheckpointError::UnsupportedVersion { found: version });
    }
    let scalar_size = usize::from(byte(fixed, 6));
    let reserved = byte(fixed, 7);
    let count = u32_at(fixed, 8);
    // A count too large for usize cannot be located in memory: report it as truncated.
    let count = usize::try_from(count).map_err(|_| truncated(usize::MAX))?;
    let header = count
        .checked_mul(4)
        .and_then(|n| n.checked_add(FIXED_HEADER))
        .ok_or(truncated(usize::MAX))?;
    let head = image.get(..header).ok_or(truncated(header))?;
    let lengths = head.get(FIXED_HEADER..).unwrap_or(&[]);
    let mut scalars = 0usize;
    for chunk in lengths.chunks_exact(4) {
        let len = usize::try_from(u32_at(chunk, 0)).map_err(|_| truncated(usize::MAX))?;
        scalars = scalars.checked_add(len).ok_or(truncated(usize::MAX))?;
    }
    let total = scalars
        .checked_mul(scalar_size)
        .and_then(|n| n.checked_add(header))
        .and_then(|n| n.checked_add(CRC_LEN))
        .ok_or(truncated(usize::MAX))?;
    let whole = image.get(..total).ok_or(truncated(total))?;

    // 2. Its CRC, before trusting anything else in it.
    let body_len = total - CRC_LEN;
    let body = whole.get(..body_len).unwrap_or(&[]);
    let stored = u32_at(whole, body_len);
    let computed = CRC32.checksum(body);
    if stored != computed {
        return Err(CheckpointError::Corrupt { stored, computed });
    }
    if reserved != 0 {
        // A later format may use this byte; this one writes 0 and reads nothing else.
        return Err(CheckpointError::UnsupportedVersion { found: version });
    }

    // 3. Does it match the slices?
    if scalar_size != T::SIZE {
        return Err(CheckpointError::ScalarSize {
            expected: T::SIZE,
            found: scalar_size,
        });
    }
    let mut expected = 0usize;
    let mut mismatch = None;
    let mut stored = lengths.chunks_exact(4);
    parts.for_each_part(&mut |slice| {
        let found = stored.next().map_or(usize::MAX, |c| {
            usize::try_from(u32_at(c, 0)).unwrap_or(usize::MAX)
        });
        if mismatch.is_none() && expected < count && found != slice.len() {
            mismatch = Some(CheckpointError::PartLength {
                part: expected,
                expected: slice.len(),
                found,
            });
        }
        expected += 1;
    });
    if expected != count {
        return Err(CheckpointError::PartCount {
            expected,
            found: count,
        });
    }
    if let Some(e) = mismatch {
        return Err(e);
    }

    // 4. Everything checked: copy.
    let payload = body.get(header..).unwrap_or(&[]);
    let mut values = payload.chunks_exact(T::SIZE);
    parts.for_each_part(&mut |slice| {
        for (dst, src) in slice.iter_mut().zip(&mut values) {
            *dst = T::read_le(src);
        }
    });
    Ok(())
}

/// Byte `i` of `b`, or 0 past its end (callers index within checked bounds).
fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// The little-endian `u32` at `b[i..i + 4]` (missing bytes read as 0).
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([byte(b, i), byte(b, i + 1), byte(b, i + 2), byte(b, i + 3)])
}

/// Sequential writes into a buffer already checked to be exactly the image's size.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn take(&mut self, n: usize) -> Option<&mut [u8]> {
        let end = self.pos.checked_add(n)?;
        let dst = self.buf.get_mut(self.pos..end)?;
        self.pos = end;
        Some(dst)
    }

    fn put_at(&mut self, at: usize, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.take(bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: [f32; 6] = [0.5, -1.25, 3.0, f32::MIN_POSITIVE, -0.0, 1.0e-3];
    const B: [f32; 2] = [7.0, -7.5];
    const M: [f32; 3] = [0.1, 0.2, 0.3];

    /// The three parts, restored.
    type Parts = ([f32; 6], [f32; 2], [f32; 3]);

    fn image(buf: &mut [u8]) -> usize {
        save::<f32>(&[&W, &B, &M], buf).unwrap()
    }

    /// Restores into fresh slices filled with a sentinel and checks they stay untouched
    /// when the restore fails.
    fn restore_into_sentinel(img: &[u8]) -> Result<Parts, CheckpointError> {
        let (mut w, mut b, mut m) = ([9.0f32; 6], [9.0f32; 2], [9.0f32; 3]);
        let r = restore::<f32>(img, &mut [&mut w, &mut b, &mut m]);
        if r.is_err() {
            assert!(
                w.iter().chain(&b).chain(&m).all(|&x| x == 9.0),
                "slices changed"
            );
        }
        r.map(|()| (w, b, m))
    }

    #[test]
    fn round_trip_f32_and_f64() {
        let mut buf = [0xFFu8; 256];
        let n = image(&mut buf);
        assert_eq!(Some(n), image_len::<f32>([6, 2, 3]));
        assert_eq!(n, 12 + 3 * 4 + 11 * 4 + 4);
        assert_eq!(&buf[..4], b"SGCK");
        assert!(buf[n..].iter().all(|&b| b == 0xFF), "wrote past the image");
        let (w, b, m) = restore_into_sentinel(&buf).unwrap();
        assert_eq!(w.map(f32::to_bits), W.map(f32::to_bits));
        assert_eq!((b, m), (B, M));

        let p = [core::f64::consts::PI, f64::NAN, -2.5e300];
        let mut buf = [0u8; 64];
        let n = save::<f64>(&[&p, &[]], &mut buf).unwrap();
        let (mut q, mut e) = ([0.0f64; 3], [0.0f64; 0]);
        restore::<f64>(&buf[..n], &mut [&mut q, &mut e]).unwrap();
        assert_eq!(q.map(f64::to_bits), p.map(f64::to_bits));
    }

    #[test]
    fn save_refuses_small_buffer() {
        let mut buf = [0u8; 71];
        assert_eq!(
            save::<f32>(&[&W, &B, &M], &mut buf),
            Err(CheckpointError::BufferTooSmall {
                needed: 72,
                capacity: 71
            })
        );
        assert!(buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let mut buf = [0u8; 128];
        let n = image(&mut buf);
        for i in 0..n {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut bad = buf;
                bad[i] ^= flip;
                let r = restore_into_sentinel(&bad[..n]);
                assert!(r.is_err(), "flip {flip:#x} at byte {i} accepted");
                // Also inside a larger page, where a bigger claimed length can still fit.
                let r = restore_into_sentinel(&bad);
                assert!(r.is_err(), "flip {flip:#x} at byte {i} accepted in a page");
            }
        }
    }

    #[test]
    fn payload_corruption_is_a_crc_error() {
        let mut buf = [0u8; 128];
        let n = image(&mut buf);
        buf[30] ^= 0x10;
        assert!(matches!(
            restore_into_sentinel(&buf[..n]),
            Err(CheckpointError::Corrupt { .. })
        ));
        buf[30] ^= 0x10;
        buf[0] = b'X';
        assert_eq!(restore_into_sentinel(&buf), Err(CheckpointError::BadMagic));
    }

    #[test]
    fn every_truncation_is_refused() {
        let mut buf = [0u8; 128];
        let n = image(&mut buf);
        for len in 0..n {
            let r = restore_into_sentinel(&buf[..len]);
            assert!(
                matches!(r, Err(CheckpointError::Truncated { available, .. }) if available == len),
                "truncation to {len} bytes: {r:?}"
            );
        }
        assert!(restore_into_sentinel(&buf[..n]).is_ok());
    }

    #[test]
    fn mismatches_are_refused() {
        let mut buf = [0u8; 128];
        let n = image(&mut buf);
        let img = &buf[..n];
        let (mut w, mut b, mut m, mut x) = ([9.0f32; 6], [9.0f32; 2], [9.0f32; 3], [9.0f32; 1]);
        let untouched =
            |w: &[f32], b: &[f32], m: &[f32]| w.iter().chain(b).chain(m).all(|&v| v == 9.0);

        let r = restore::<f32>(img, &mut [&mut w, &mut b]);
        assert_eq!(
            r,
            Err(CheckpointError::PartCount {
                expected: 2,
                found: 3
            })
        );
        let r = restore::<f32>(img, &mut [&mut w, &mut b, &mut m, &mut x]);
        assert_eq!(
            r,
            Err(CheckpointError::PartCount {
                expected: 4,
                found: 3
            })
        );
        let r = restore::<f32>(img, &mut [&mut w, &mut m, &mut b]);
        assert_eq!(
            r,
            Err(CheckpointError::PartLength {
                part: 1,
                expected: 3,
                found: 2
            })
        );
        let r = restore::<f32>(img, &mut [&mut w, &mut b, &mut x]);
        assert_eq!(
            r,
            Err(CheckpointError::PartLength {
                part: 2,
                expected: 1,
                found: 3
            })
        );
        assert!(untouched(&w, &b, &m) && x == [9.0]);

        let (mut w64, mut b64, mut m64) = ([9.0f64; 6], [9.0f64; 2], [9.0f64; 3]);
        let r = restore::<f64>(img, &mut [&mut w64, &mut b64, &mut m64]);
        assert_eq!(
            r,
            Err(CheckpointError::ScalarSize {
                expected: 8,
                found: 4
            })
        );
        assert!(w64.iter().chain(&b64).chain(&m64).all(|&v| v == 9.0));
    }

    #[test]
    fn other_versions_are_refused_even_with_a_valid_crc() {
        let mut buf = [0u8; 128];
        let n = image(&mut buf);
        buf[4] = 2;
        let crc = CRC32.checksum(&buf[..n - 4]);
        buf[n - 4..n].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            restore_into_sentinel(&buf[..n]),
            Err(CheckpointError::UnsupportedVersion { found: 2 })
        );
    }

    /// Formats into a fixed buffer (core has neither `std` nor `alloc`, tests included).
    struct Buf([u8; 512], usize);
    impl fmt::Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.1 + s.len();
            self.0
                .get_mut(self.1..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    fn shown(e: CheckpointError) -> Buf {
        let mut b = Buf([0; 512], 0);
        fmt::Write::write_fmt(&mut b, format_args!("{e}")).unwrap();
        b
    }
    impl Buf {
        fn as_str(&self) -> &str {
            core::str::from_utf8(&self.0[..self.1]).unwrap()
        }
    }

    #[test]
    fn errors_display() {
        let e = CheckpointError::PartLength {
            part: 1,
            expected: 3,
            found: 2,
        };
        assert_eq!(
            shown(e).as_str(),
            "checkpoint part 1 has 2 scalars, the part given has 3: it was saved from a \
             model (or optimizer) of another shape; nothing was restored: restore it into \
             the model (and optimizer) it was saved from"
        );
        assert!(shown(CheckpointError::Corrupt {
            stored: 1,
            computed: 2
        })
        .as_str()
        .contains("0x00000001"));
    }

    /// Every message says what happened and the way out (after the colon that follows
    /// "nothing was restored" or "nothing was written").
    #[test]
    fn every_message_says_the_way_out() {
        let cases: [(CheckpointError, &str, &str); 11] = [
            (
                CheckpointError::BufferTooSmall {
                    needed: 72,
                    capacity: 71,
                },
                "needs 72 bytes, the buffer has 71",
                "at least 72 bytes",
            ),
            (CheckpointError::TooLarge, "32-bit", "several checkpoints"),
            (
                CheckpointError::BadMagic,
                "\"SGCK\"",
                "where the checkpoint was saved",
            ),
            (
                CheckpointError::UnsupportedVersion { found: 2 },
                "version 2, this build reads version 1",
                "save it again with this one",
            ),
            (
                CheckpointError::UnsupportedVersion { found: VERSION },
                "only a later format writes",
                "the stackgrad version that saved it",
            ),
            (
                CheckpointError::Truncated {
                    needed: 72,
                    available: 40,
                },
                "needs 72 bytes, 40 were given",
                "the whole image",
            ),
            (
                CheckpointError::Truncated {
                    needed: usize::MAX,
                    available: 40,
                },
                "more bytes than memory holds",
                "an older checkpoint",
            ),
            (
                CheckpointError::Corrupt {
                    stored: 1,
                    computed: 2,
                },
                "torn write",
                "an older checkpoint",
            ),
            (
                CheckpointError::ScalarSize {
                    expected: 8,
                    found: 4,
                },
                "holds f32 scalars, the model uses f64",
                "a model of f32",
            ),
            (
                CheckpointError::PartCount {
                    expected: 2,
                    found: 3,
                },
                "3 parts, 2 were given",
                "the model (and optimizer) it was saved from",
            ),
            (
                CheckpointError::PartLength {
                    part: 0,
                    expected: 2400,
                    found: 2410,
                },
                "part 0 has 2410 scalars, the part given has 2400",
                "the model (and optimizer) it was saved from",
            ),
        ];
        for (e, what, way_out) in cases {
            let b = shown(e);
            let text = b.as_str();
            let (happened, out) = text
                .split_once("nothing was ")
                .unwrap_or_else(|| panic!("{text}"));
            assert!(happened.contains(what), "{text}");
            assert!(out.contains(way_out), "{text}");
        }
    }

    #[test]
    fn a_model_and_its_optimizer_resume_bit_for_bit() {
        use crate::nn::{mlp, Mlp, Module, Rng};
        use crate::optim::Adam;
        use crate::train::train_classifier;
        use crate::Tape;
        use nalgebra::SMatrix;

        type Net = Mlp<f32, 3, 4, 2>;
        const P: usize = <Net as Module<f32>>::PARAMS;
        let x = SMatrix::<f32, 3, 2>::from_column_slice(&[0.5, -1.0, 2.0, 1.0, 0.0, -0.5]);
        let y = SMatrix::<f32, 2, 2>::from_column_slice(&[1.0, 0.0, 0.0, 1.0]);
        let mut tape: Tape<f32, 512, 32> = Tape::new();
        let mut net: Net = mlp(&mut Rng::seed_from_u64(4));
        let mut adam: Adam<f32, P> = Adam::new(0.05);
        for _ in 0..5 {
            train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-3).unwrap();
        }
        let mut page = [0xFFu8; 2048];
        let n = save_parts(
            &mut Training {
                model: &mut net,
                optimizer: &mut adam,
            },
            &mut page,
        )
        .unwrap();

        // Every corruption of the image is refused, and the target stays as it was.
        let mut other: Net = mlp(&mut Rng::seed_from_u64(9));
        let mut adam2: Adam<f32, P> = Adam::new(0.05);
        let (other0, adam20) = (other, adam2.clone());
        for i in 0..n {
            let mut bad = page;
            bad[i] ^= 0x5A;
            let r = restore_parts(
                &bad[..n],
                &mut Training {
                    model: &mut other,
                    optimizer: &mut adam2,
                },
            );
            assert!(r.is_err(), "byte {i}");
            assert_eq!((other, &adam2), (other0, &adam20), "byte {i}");
        }
        // A model of another shape is refused.
        let mut wrong: Mlp<f32, 3, 5, 2> = mlp(&mut Rng::seed_from_u64(1));
        let mut adam3: Adam<f32, P> = Adam::new(0.05);
        assert!(restore_parts(
            &page[..n],
            &mut Training {
                model: &mut wrong,
                optimizer: &mut adam3,
            }
        )
        .is_err());

        restore_parts(
            &page[..n],
            &mut Training {
                model: &mut other,
                optimizer: &mut adam2,
            },
        )
        .unwrap();
        assert_eq!((other, &adam2), (net, &adam));
        // Both continue on the same trajectory, bit for bit (moments and step count
        // came back too).
        for _ in 0..5 {
            let a = train_classifier(&mut net, &mut tape, &mut adam, &x, &y, 1e-3).unwrap();
            let b = train_classifier(&mut other, &mut tape, &mut adam2, &x, &y, 1e-3).unwrap();
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(other, net);
    }
}
