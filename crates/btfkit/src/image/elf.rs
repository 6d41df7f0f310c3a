//! The `.BTF` section of a vmlinux ELF read through [`Ranges`]: the file header, the
//! section header table, the section names, then the section itself, and nothing else
//! (a vmlinux with DWARF is hundreds of MB; its `.BTF` a few).

use super::{ImageError, Ranges, Want};

const SHT_NOBITS: u32 = 8;
const SHF_COMPRESSED: u64 = 0x800;
const SHN_XINDEX: u32 = 0xffff;

/// What the ELF file header says.
#[derive(Clone, Copy, Debug)]
struct Header {
    is_64: bool,
    big: bool,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
    shstrndx: u32,
}

/// One section header.
#[derive(Clone, Copy, Debug)]
struct Section {
    name: u32,
    kind: u32,
    flags: u64,
    offset: u64,
    size: u64,
    link: u32,
}

fn bad(detail: String) -> ImageError {
    ImageError::Malformed {
        what: "ELF headers",
        detail,
    }
}

fn u16_at(b: &[u8], at: usize, big: bool) -> u16 {
    let x = [b[at], b[at + 1]];
    if big {
        u16::from_be_bytes(x)
    } else {
        u16::from_le_bytes(x)
    }
}

fn u32_at(b: &[u8], at: usize, big: bool) -> u32 {
    let x: [u8; 4] = b[at..at + 4].try_into().expect("4 bytes");
    if big {
        u32::from_be_bytes(x)
    } else {
        u32::from_le_bytes(x)
    }
}

fn u64_at(b: &[u8], at: usize, big: bool) -> u64 {
    let x: [u8; 8] = b[at..at + 8].try_into().expect("8 bytes");
    if big {
        u64::from_be_bytes(x)
    } else {
        u64::from_le_bytes(x)
    }
}

fn header(b: &[u8]) -> Result<Header, ImageError> {
    if b.len() < 52 || &b[..4] != b"\x7fELF" {
        return Err(bad("too short for an ELF file header".into()));
    }
    let is_64 = match b[4] {
        1 => false,
        2 => true,
        c => return Err(bad(format!("unknown ELF class {c}"))),
    };
    let big = match b[5] {
        1 => false,
        2 => true,
        d => return Err(bad(format!("unknown ELF data encoding {d}"))),
    };
    if is_64 && b.len() < 64 {
        return Err(bad("too short for an ELF64 file header".into()));
    }
    let (shoff, shentsize, shnum, shstrndx) = if is_64 {
        (
            u64_at(b, 0x28, big),
            u16_at(b, 0x3a, big),
            u16_at(b, 0x3c, big),
            u16_at(b, 0x3e, big),
        )
    } else {
        (
            u32_at(b, 0x20, big) as u64,
            u16_at(b, 0x2e, big),
            u16_at(b, 0x30, big),
            u16_at(b, 0x32, big),
        )
    };
    let min = if is_64 { 64 } else { 40 };
    if shoff == 0 {
        return Err(bad("no section header table (e_shoff 0)".into()));
    }
    if (shentsize as usize) < min {
        return Err(bad(format!("section header size {shentsize} below {min}")));
    }
    Ok(Header {
        is_64,
        big,
        shoff,
        shentsize: shentsize as u64,
        shnum: shnum as u64,
        shstrndx: shstrndx as u32,
    })
}

fn section(h: &Header, b: &[u8]) -> Section {
    let big = h.big;
    if h.is_64 {
        Section {
            name: u32_at(b, 0, big),
            kind: u32_at(b, 4, big),
            flags: u64_at(b, 8, big),
            offset: u64_at(b, 24, big),
            size: u64_at(b, 32, big),
            link: u32_at(b, 40, big),
        }
    } else {
        Section {
            name: u32_at(b, 0, big),
            kind: u32_at(b, 4, big),
            flags: u32_at(b, 8, big) as u64,
            offset: u32_at(b, 16, big) as u64,
            size: u32_at(b, 20, big) as u64,
            link: u32_at(b, 24, big),
        }
    }
}

/// The bytes of `.BTF` and its file offset.
pub(super) fn btf_section(src: &mut dyn Ranges) -> Result<(Vec<u8>, u64), ImageError> {
    let first = src.capture(&[Want::exact(0, 64)])?;
    let h = header(first[0].as_deref().unwrap_or_default())?;
    let mut shnum = h.shnum;
    let mut shstrndx = h.shstrndx;
    if shnum == 0 || shstrndx == SHN_XINDEX {
        // Extended numbering: the real values are in section 0.
        let s0 = src.capture(&[Want::exact(h.shoff, h.shentsize)])?;
        let s0 = s0[0].as_deref().unwrap_or_default();
        if (s0.len() as u64) < h.shentsize {
            return Err(bad(format!(
                "the section header table at {:#x} runs past the end of the file",
                h.shoff
            )));
        }
        let s0 = section(&h, s0);
        if shnum == 0 {
            shnum = s0.size;
        }
        if shstrndx == SHN_XINDEX {
            shstrndx = s0.link;
        }
    }
    if shnum == 0 || shnum > 1 << 20 {
        return Err(bad(format!("{shnum} sections")));
    }
    let table = src.capture(&[Want::exact(h.shoff, shnum * h.shentsize)])?;
    let table = table[0].as_deref().unwrap_or_default();
    if table.len() as u64 != shnum * h.shentsize {
        return Err(bad(format!(
            "the section header table at {:#x} ({shnum} entries) runs past the end of the file",
            h.shoff
        )));
    }
    let sections: Vec<Section> = table
        .chunks_exact(h.shentsize as usize)
        .map(|b| section(&h, b))
        .collect();
    let Some(strtab) = sections.get(shstrndx as usize) else {
        return Err(bad(format!(
            "section name table index {shstrndx} of {shnum} sections"
        )));
    };
    if strtab.kind == SHT_NOBITS {
        return Err(bad("the section name table has no contents".into()));
    }
    // The names, and every section that starts like BTF (the names are not known yet).
    let mut wants = vec![Want::exact(strtab.offset, strtab.size)];
    let mut idx = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if s.kind != SHT_NOBITS && s.size >= 24 {
            wants.push(Want {
                offset: s.offset,
                len: s.size,
                btf_only: s.flags & SHF_COMPRESSED == 0,
            });
            idx.push(i);
        }
    }
    // Compressed sections are captured only by name below.
    let got = src.capture(&wants)?;
    let names = got[0].as_deref().unwrap_or_default();
    let name_of = |s: &Section| -> &[u8] {
        let rest = names.get(s.name as usize..).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        &rest[..end]
    };
    let mut found = None;
    for (k, &i) in idx.iter().enumerate() {
        let s = &sections[i];
        if name_of(s) != b".BTF" {
            continue;
        }
        if s.flags & SHF_COMPRESSED != 0 {
            return Err(ImageError::CompressedSection);
        }
        if found.is_some() {
            return Err(bad("two sections named .BTF".into()));
        }
        found = Some((k + 1, s.offset));
    }
    let Some((k, offset)) = found else {
        // A small .BTF (under 24 bytes) is not BTF either.
        return Err(ImageError::NoBtfSection);
    };
    let size = sections[idx[k - 1]].size;
    match got.into_iter().nth(k).flatten() {
        Some(bytes) if bytes.len() as u64 == size => Ok((bytes, offset)),
        Some(_) => Err(ImageError::Malformed {
            what: ".BTF section",
            detail: format!("at offset {offset:#x} of {size} bytes runs past the end of the file"),
        }),
        None => Err(ImageError::Malformed {
            what: ".BTF section",
            detail: format!("at offset {offset:#x} does not start with the BTF magic"),
        }),
    }
}
