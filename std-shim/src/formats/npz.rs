//! NumPy's `.npz`: a zip archive with one `.npy` entry per tensor, named `name.npy`,
//! stored (`numpy.savez`) or deflated (`numpy.savez_compressed`).
//!
//! A small archive can declare, or inflate to, any size, so an entry is read only after
//! its declared uncompressed size is checked against the most an `.npy` of its slot can
//! have, and never more than one byte past that declared size is inflated. The entry is
//! read to its end, so zip checks its CRC-32.

use std::collections::HashSet;
use std::io::{self, Cursor, Read, Write};

use zip::result::{InvalidPassword, ZipError};
use zip::write::FileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{check_views, file_shape, load_all, malformed, missing, npy, row_major};
use super::{FormatError, Slot, SlotView};

/// Loads every slot from the `.npz` archive in `bytes` (as `numpy.savez` or
/// `numpy.savez_compressed` write it), by name. All or nothing. Needs the `npz` feature.
pub fn load_npz(bytes: &[u8], slots: &mut [Slot<'_>]) -> Result<(), FormatError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed("npz", e))?;
    refuse_duplicates(&mut archive)?;
    load_all(slots, |slot| {
        let entry_name = format!("{}.npy", slot.name);
        let opened = |e: ZipError| match e {
            ZipError::FileNotFound => missing(slot.name),
            e => malformed("npz", format!("entry {entry_name:?}: {e}")),
        };
        // zip 0.6's `by_name` panics (unwrapping `InvalidPassword`) on an entry not marked
        // encrypted that carries an AES extra field. `by_name_decrypt` returns that case
        // as a value; an entry it opens, `by_name` opens the same way (a password is
        // ignored for an entry not marked encrypted), or refuses as encrypted.
        if let Err(InvalidPassword) = archive.by_name_decrypt(&entry_name, b"").map_err(opened)? {
            return Err(malformed(
                "npz",
                format!(
                    "entry {entry_name:?} is encrypted, or claims to be: NumPy never \
                     encrypts, and stackgrad-std reads no encrypted entry"
                ),
            ));
        }
        let mut entry = archive.by_name(&entry_name).map_err(opened)?;
        let declared = entry.size();
        let limit = npy::max_file_len(slot.rows * slot.cols); // checked by `load_all`
        if declared > limit {
            return Err(FormatError::EntryTooLarge {
                name: slot.name.to_owned(),
                expected: (slot.rows, slot.cols),
                declared,
                limit,
            });
        }
        let context = format!("entry {entry_name:?}: ");
        let mut capped = (&mut entry).take(declared.saturating_add(1));
        let found = npy::read(&mut capped, slot, "npz", &context)?;
        // The rest of the entry (nothing, as NumPy writes it): reaching its end makes zip
        // compare the CRC-32.
        io::copy(&mut capped, &mut io::sink()).map_err(|e| {
            malformed(
                "npz",
                format!("{context}reading to the end of the entry: {e}"),
            )
        })?;
        let inflated = declared.saturating_add(1) - capped.limit();
        if inflated > declared {
            return Err(malformed(
                "npz",
                format!(
                    "entry {entry_name:?} inflates to more than the {declared} bytes it \
                     declares (a corrupt or hostile archive)"
                ),
            ));
        }
        if inflated < declared {
            return Err(malformed(
                "npz",
                format!(
                    "entry {entry_name:?} inflates to {inflated} bytes but declares {declared}"
                ),
            ));
        }
        Ok(found)
    })
}

/// Refuses an archive with two entries of the same name: zip's index keeps the last one
/// silently.
fn refuse_duplicates(archive: &mut ZipArchive<Cursor<&[u8]>>) -> Result<(), FormatError> {
    if archive.file_names().count() == archive.len() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| malformed("npz", e))?;
        let name = entry.name();
        if !seen.insert(name.to_owned()) {
            return Err(FormatError::DuplicateInFile {
                format: "npz",
                name: name.strip_suffix(".npy").unwrap_or(name).to_owned(),
            });
        }
    }
    Ok(())
}

/// Writes the slots as an `.npz` archive (one `name.npy` entry each, stored uncompressed
/// as `numpy.savez` does; little-endian `float32`, C order). Needs the `npz` feature.
pub fn save_npz(slots: &[SlotView<'_>]) -> Result<Vec<u8>, FormatError> {
    check_views(slots)?;
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = FileOptions::default().compression_method(CompressionMethod::Stored);
    let mut buf = Vec::new();
    for s in slots {
        buf.clear();
        npy::write(&mut buf, &file_shape(s), row_major(s));
        zip.start_file(format!("{}.npy", s.name), options)
            .map_err(|e| malformed("npz", e))?;
        zip.write_all(&buf).map_err(|e| malformed("npz", e))?;
    }
    let cursor = zip.finish().map_err(|e| malformed("npz", e))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{
        load_err, load_fixture, npy_file, w_slot, Model, NPY_W, SENTINEL, W_COL_MAJOR,
    };
    use super::*;
    use crate::formats::save_npy;
    use stackgrad::nalgebra::Matrix2x3;

    const NPZ: &[u8] = include_bytes!("../../fixtures/fixture.npz");

    /// A zip archive of these entries, written by the `zip` crate.
    fn zip_of(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            let options = zip::write::FileOptions::default().compression_method(method);
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn archives_round_trip_and_hold_numpy_s_own_npy_files() {
        let m = Model::example();
        let mut n = Model::sentinel();
        load_npz(&save_npz(&m.views()).unwrap(), &mut n.slots()).unwrap();
        assert_eq!((n.w, n.b, n.s), (m.w, m.b, m.s));
        let bytes = save_npz(&m.views()).unwrap();
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let mut entry = archive.by_name("w.npy").unwrap();
        assert_eq!(entry.compression(), CompressionMethod::Stored);
        let mut inner = Vec::new();
        entry.read_to_end(&mut inner).unwrap();
        // NPY_W is numpy.save's file of the same matrix.
        assert_eq!(inner, NPY_W);
    }

    #[test]
    fn numpy_s_archives_load() {
        load_fixture(load_npz, NPZ);
        // A Fortran-order array from NumPy: already column-major.
        let mut wf = [0f32; 6];
        let mut slot = [Slot {
            name: "wf",
            rows: 2,
            cols: 3,
            data: &mut wf,
        }];
        load_npz(NPZ, &mut slot).unwrap();
        assert_eq!(wf, W_COL_MAJOR);
        // numpy.savez_compressed deflates each entry.
        let bytes = zip_of(&[("w.npy", NPY_W)], CompressionMethod::Deflated);
        let mut w = [SENTINEL; 6];
        load_npz(&bytes, &mut [w_slot(&mut w)]).unwrap();
        assert_eq!(w, W_COL_MAJOR);
    }

    #[test]
    fn entries_are_checked_as_npy_files_are() {
        // `half` is float16 in the Python fixtures.
        let e = load_err(load_npz, NPZ, "half", (2, 1), false);
        assert_eq!(
            e,
            FormatError::Dtype {
                name: "half".into(),
                found: "<f2".into()
            }
        );
        assert!(e.to_string().contains("\"half\""), "{e}");
        // A shape whose product overflows (npyz panicked on it).
        let huge = 1u64 << 32;
        let npy = npy_file(
            &format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': ({huge}, {huge}, {huge}), }}"
            ),
            &[],
        );
        let bytes = zip_of(&[("w.npy", &npy)], CompressionMethod::Stored);
        let e = load_err(load_npz, &bytes, "w", (2, 3), false);
        assert!(matches!(e, FormatError::Shape { .. }), "{e}");
    }

    #[test]
    fn two_entries_of_one_name_are_refused() {
        // An archive with w.npy twice, the second another matrix.
        let other = save_npy(&SlotView::matrix("w", &Matrix2x3::repeat(9.0))).unwrap();
        for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
            let bytes = zip_of(
                &[("w.npy", NPY_W), ("b.npy", NPY_W), ("w.npy", &other)],
                method,
            );
            let e = load_err(load_npz, &bytes, "w", (2, 3), false);
            assert_eq!(
                e,
                FormatError::DuplicateInFile {
                    format: "npz",
                    name: "w".into()
                }
            );
        }
    }

    /// Bits written least significant first, as deflate packs them.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }

    impl Bits {
        fn push(&mut self, value: u32, len: u32) {
            self.acc |= value << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: its bits go most significant first.
        fn code(&mut self, code: u32, len: u32) {
            self.push(code.reverse_bits() >> (32 - len), len);
        }
        fn literal(&mut self, b: u8) {
            match b {
                0..=143 => self.code(0x30 + u32::from(b), 8),
                _ => self.code(0x190 + u32::from(b - 144), 9),
            }
        }
    }

    /// A raw deflate stream (one block of fixed Huffman codes) of `prefix` then `zeros`
    /// zero bytes: 13 bits per 258 zeros, so 256 MiB of zeros take 1.7 MB.
    fn deflate_with_zeros(prefix: &[u8], zeros: usize) -> Vec<u8> {
        let mut bits = Bits::default();
        bits.push(1, 1); // the last block
        bits.push(1, 2); // fixed codes
        for &b in prefix {
            bits.literal(b);
        }
        let mut left = zeros;
        if left > 0 {
            bits.literal(0);
            left -= 1;
        }
        while left >= 258 {
            bits.code(0xc5, 8); // length 258 (symbol 285)
            bits.code(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.literal(0);
        }
        bits.code(0, 7); // end of block
        bits.push(0, 7); // flush
        bits.out
    }

    /// A zip archive of one deflated entry, with the sizes and CRC-32 it declares given
    /// rather than computed.
    fn zip_declaring(name: &str, data: &[u8], crc: u32, declared: u32) -> Vec<u8> {
        zip_raw(name, data, 8, crc, declared, &[])
    }

    /// A zip archive of one entry, every field given: the compression `method` (0 stored,
    /// 8 deflated), the CRC-32, the uncompressed size, and the central directory's extra
    /// field.
    fn zip_raw(name: &str, data: &[u8], method: u16, crc: u32, size: u32, extra: &[u8]) -> Vec<u8> {
        let n = u16::try_from(name.len()).unwrap();
        let csize = u32::try_from(data.len()).unwrap();
        let fields = |z: &mut Vec<u8>| {
            // No flags, the method, 00:00 on 1980-01-01, CRC-32, sizes, name length.
            z.extend_from_slice(&[0, 0]);
            z.extend_from_slice(&method.to_le_bytes());
            z.extend_from_slice(&[0, 0, 0x21, 0]);
            for v in [crc, csize, size] {
                z.extend_from_slice(&v.to_le_bytes());
            }
            z.extend_from_slice(&n.to_le_bytes());
        };
        let mut z = b"PK\x03\x04\x14\x00".to_vec(); // local header, version 2.0
        fields(&mut z);
        z.extend_from_slice(&[0, 0]); // no extra field here
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(data);
        let directory = z.len();
        z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
        fields(&mut z);
        z.extend_from_slice(&u16::try_from(extra.len()).unwrap().to_le_bytes());
        z.extend_from_slice(&[0; 14]); // comment, disk, attributes, local header at 0
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(extra);
        let size = z.len() - directory;
        z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        z.extend_from_slice(&u32::try_from(size).unwrap().to_le_bytes());
        z.extend_from_slice(&u32::try_from(directory).unwrap().to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }

    #[test]
    fn an_unencrypted_entry_with_aes_fields_is_refused_without_a_panic() {
        // zip 0.6's by_name unwraps an InvalidPassword for an entry not marked encrypted
        // but carrying an AES extra field (AE-2, vendor "AE", 256 bits, stored): found
        // while reading zip's code for the fuzzing of formats_load, kept in
        // fuzz/known/formats_load-aes-extra.
        let aes = [0x01, 0x99, 7, 0, 2, 0, b'A', b'E', 3, 0, 0];
        let size = u32::try_from(NPY_W.len()).unwrap();
        let bytes = zip_raw("w.npy", NPY_W, 0, 0, size, &aes);
        let e = load_err(load_npz, &bytes, "w", (2, 3), false);
        assert!(
            matches!(e, FormatError::Malformed { format: "npz", .. })
                && e.to_string().contains("encrypt"),
            "{e}"
        );
        // The same entry without the AES field loads (with its right CRC-32).
        let crc = crc32(NPY_W);
        let bytes = zip_raw("w.npy", NPY_W, 0, crc, size, &[]);
        let mut w = [SENTINEL; 6];
        load_npz(&bytes, &mut [w_slot(&mut w)]).unwrap();
        assert_eq!(w, W_COL_MAJOR);
        // Marked encrypted (flag bit 0 in both headers): refused as well.
        let mut bytes = bytes;
        let directory = bytes.len() - 22 - (46 + "w.npy".len());
        bytes[6] |= 1;
        bytes[directory + 8] |= 1;
        let e = load_err(load_npz, &bytes, "w", (2, 3), false);
        assert!(
            matches!(e, FormatError::Malformed { format: "npz", .. })
                && e.to_string().contains("encrypt"),
            "{e}"
        );
    }

    /// The CRC-32 zip uses (IEEE, reflected), bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn an_entry_declaring_more_than_its_slot_holds_is_refused_before_inflating() {
        // 256 MiB of zeros declared as shape (65536, 1024), deflated to 1.7 MB: once
        // inflated whole before the shape was checked (17.8 s, 266 MB).
        let header = npy_file(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 1024), }",
            &[],
        );
        let zeros = 65536 * 1024 * 4;
        let declared = u32::try_from(header.len() + zeros).unwrap();
        let deflated = deflate_with_zeros(&header, zeros);
        let limit = 10_012 + 6 * 8;
        let expected = FormatError::EntryTooLarge {
            name: "w".into(),
            expected: (2, 3),
            declared: u64::from(declared),
            limit,
        };
        let bytes = zip_declaring("w.npy", &deflated, 0, declared);
        let e = load_err(load_npz, &bytes, "w", (2, 3), false);
        assert_eq!(e, expected);
        assert_eq!(
            e.to_string(),
            "tensor \"w\" is an archive entry of 268435584 bytes, more than the 10060 \
             that an .npy of its [2, 3] slot (6 values) can have; refused before inflating it"
        );
        // Nothing is inflated: garbage where the deflated data should be gives the same.
        let bytes = zip_declaring("w.npy", &[0xff; 64], 0, declared);
        assert_eq!(load_err(load_npz, &bytes, "w", (2, 3), false), expected);
    }

    #[test]
    fn an_entry_inflating_past_its_declared_size_is_cut_off() {
        // w's own .npy, 152 bytes as declared, but the stream goes on with 256 MiB of
        // zeros: inflating stops one byte past the declared size.
        let deflated = deflate_with_zeros(NPY_W, 256 << 20);
        let declared = u32::try_from(NPY_W.len()).unwrap();
        let bytes = zip_declaring("w.npy", &deflated, 0, declared);
        let e = load_err(load_npz, &bytes, "w", (2, 3), false);
        assert!(
            e.to_string()
                .contains("entry \"w.npy\" inflates to more than the 152 bytes it declares"),
            "{e}"
        );
    }

    #[test]
    fn a_corrupt_archive_entry_fails_its_checksum() {
        let at = NPZ
            .windows(NPY_W.len())
            .position(|w| w == NPY_W)
            .expect("fixture.npz stores w.npy as numpy.save writes it");
        let mut bytes = NPZ.to_vec();
        bytes[at + NPY_W.len() - 1] ^= 1; // the last value of w
        let e = load_err(load_npz, &bytes, "w", (2, 3), false);
        assert!(
            matches!(e, FormatError::Malformed { format: "npz", .. })
                && e.to_string().contains("checksum"),
            "{e}"
        );
    }
}
