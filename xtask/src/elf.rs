//! Section sizes of an ELF file (32- or 64-bit, little-endian), read from its section
//! headers: all the tables need, without binutils.

use std::path::Path;

fn uint(b: &[u8], at: usize, len: usize) -> Option<u64> {
    let bytes = b.get(at..at + len)?;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// The size in bytes of each named section: `(name, size)`.
pub fn sections(path: &Path) -> crate::Result<Vec<(String, u64)>> {
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = || format!("{}: not a little-endian ELF file", path.display());
    if b.get(..4) != Some(b"\x7fELF") || b.get(5) != Some(&1) {
        return Err(bad());
    }
    let wide = b.get(4) == Some(&2);
    // (e_shoff, e_shentsize, e_shnum, e_shstrndx) and, per header, (sh_offset, sh_size).
    let (shoff, entsize, num, strndx) = if wide {
        (
            uint(&b, 0x28, 8),
            uint(&b, 0x3A, 2),
            uint(&b, 0x3C, 2),
            uint(&b, 0x3E, 2),
        )
    } else {
        (
            uint(&b, 0x20, 4),
            uint(&b, 0x2E, 2),
            uint(&b, 0x30, 2),
            uint(&b, 0x32, 2),
        )
    };
    let (shoff, entsize, num, strndx) = (
        shoff.ok_or_else(bad)? as usize,
        entsize.ok_or_else(bad)? as usize,
        num.ok_or_else(bad)? as usize,
        strndx.ok_or_else(bad)? as usize,
    );
    let header = |i: usize| -> Option<(u64, u64, u64)> {
        let h = shoff + i * entsize;
        let name = uint(&b, h, 4)?;
        if wide {
            Some((name, uint(&b, h + 0x18, 8)?, uint(&b, h + 0x20, 8)?))
        } else {
            Some((name, uint(&b, h + 0x10, 4)?, uint(&b, h + 0x14, 4)?))
        }
    };
    let (_, strtab, _) = header(strndx).ok_or_else(bad)?;
    let mut out = Vec::new();
    for i in 0..num {
        let (name, _, size) = header(i).ok_or_else(bad)?;
        let start = (strtab + name) as usize;
        let end = b
            .get(start..)
            .and_then(|s| s.iter().position(|&c| c == 0))
            .ok_or_else(bad)?;
        let name = String::from_utf8_lossy(&b[start..start + end]).into_owned();
        out.push((name, size));
    }
    Ok(out)
}

/// The size of section `name` (0 if absent).
pub fn size(sections: &[(String, u64)], name: &str) -> u64 {
    sections
        .iter()
        .find(|(n, _)| n == name)
        .map_or(0, |&(_, s)| s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_its_own_sections() {
        let me = std::env::current_exe().unwrap();
        let s = super::sections(&me).unwrap();
        assert!(super::size(&s, ".text") > 1000, "{s:?}");
        assert_eq!(super::size(&s, ".no-such-section"), 0);
    }
}
