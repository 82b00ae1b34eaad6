//! NumPy's `.npz`: a zip archive with one `.npy` entry per tensor, named `name.npy`,
//! stored (`numpy.savez`) or deflated (`numpy.savez_compressed`).
//!
//! A small archive can declare, or inflate to, any size, so an entry is read only after
//! its declared uncompressed size is checked against the most an `.npy` of its slot can
//! have, and never more than one byte past that declared size is inflated. The entry is
//! read to its end, so zip checks its CRC-32.

use std::collections::HashSet;
use std::io::{self, Cursor, Read, Write};

use zip::result::ZipError;
use zip::write::FileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{check_views, file_shape, load_all, malformed, missing, npy, row_major};
use super::{FormatError, Slot, SlotView};

/// Loads every slot from the `.npz` archive in `bytes` (as `numpy.savez` or
/// `numpy.savez_compressed` write it), by name. All or nothing.
pub fn load_npz(bytes: &[u8], slots: &mut [Slot<'_>]) -> Result<(), FormatError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed("npz", e))?;
    refuse_duplicates(&mut archive)?;
    load_all(slots, |slot| {
        let entry_name = format!("{}.npy", slot.name);
        let mut entry = match archive.by_name(&entry_name) {
            Ok(entry) => entry,
            Err(ZipError::FileNotFound) => return Err(missing(slot.name)),
            Err(e) => return Err(malformed("npz", format!("entry {entry_name:?}: {e}"))),
        };
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
/// as `numpy.savez` does; little-endian `float32`, C order).
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
