//! NumPy's `.npz`: a zip archive with one `.npy` entry per tensor, named `name.npy`,
//! stored (`numpy.savez`) or deflated (`numpy.savez_compressed`).

use std::io::{Cursor, Write};

use zip::result::ZipError;
use zip::write::FileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{check_views, file_shape, load_all, malformed, missing, npy, row_major};
use super::{FormatError, Slot, SlotView};

/// Loads every slot from the `.npz` archive in `bytes` (as `numpy.savez` or
/// `numpy.savez_compressed` write it), by name. All or nothing.
pub fn load_npz(bytes: &[u8], slots: &mut [Slot<'_>]) -> Result<(), FormatError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed("npz", e))?;
    load_all(slots, |slot| {
        let entry_name = format!("{}.npy", slot.name);
        let mut entry = match archive.by_name(&entry_name) {
            Ok(entry) => entry,
            Err(ZipError::FileNotFound) => return Err(missing(slot.name)),
            Err(e) => return Err(malformed("npz", format!("entry {entry_name:?}: {e}"))),
        };
        npy::read(&mut entry, slot, "npz", &format!("entry {entry_name:?}: "))
    })
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
