//! A small ELF reader for [`super::DwarfObject`]: headers of either class and byte order
//! (extended section numbering included), the symbol table, compressed sections
//! (`SHF_COMPRESSED` zlib/zstd, GNU `.zdebug`), read through a [`Source`] so that only
//! the sections needed are ever in memory.

use super::{
    layout_rel_sections, reloc, DebugSections, DwarfError, DwarfObject, Section, Symbol,
    MAX_SECTION_SIZE, SHF_COMPRESSED, SHT_NOBITS, SHT_REL, SHT_RELA, SHT_SYMTAB, SHT_SYMTAB_SHNDX,
};
use std::borrow::Cow;
use std::io::Read;

/// Where the bytes of an ELF object come from: memory, or a file read piece by piece.
pub trait Source {
    /// Size of the object in bytes.
    fn size(&self) -> u64;
    /// `len` bytes at `offset` (an error when they are not all there).
    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, DwarfError>;
}

impl Source for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, DwarfError> {
        let start = usize::try_from(offset).map_err(|_| oob())?;
        let end = start.checked_add(len).ok_or_else(oob)?;
        self.get(start..end).map(Cow::Borrowed).ok_or_else(oob)
    }
}

impl Source for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, DwarfError> {
        use std::os::unix::fs::FileExt;
        if offset
            .checked_add(len as u64)
            .is_none_or(|end| end > self.size())
        {
            return Err(oob());
        }
        let mut buf = vec![0u8; len];
        self.read_exact_at(&mut buf, offset)?;
        Ok(Cow::Owned(buf))
    }
}

fn oob() -> DwarfError {
    DwarfError::Elf("a header or section lies outside the file".into())
}

fn bad(what: &str) -> DwarfError {
    DwarfError::Elf(what.into())
}

/// The object's bytes: in memory, or a [`Source`] read on demand.
#[derive(Clone, Copy)]
pub(super) enum Src<'s> {
    Slice(&'s [u8]),
    Dyn(&'s dyn Source),
}

impl<'s> Src<'s> {
    pub fn size(self) -> u64 {
        match self {
            Src::Slice(d) => d.len() as u64,
            Src::Dyn(d) => d.size(),
        }
    }
    pub fn read_at(self, offset: u64, len: usize) -> Result<Cow<'s, [u8]>, DwarfError> {
        match self {
            Src::Slice(d) => d.read_at(offset, len),
            Src::Dyn(d) => d.read_at(offset, len),
        }
    }
}

/// A unit of `.debug_info`: where it is, and the relocations that apply to it (per
/// relocation section of `.debug_info`, an index range).
#[derive(Clone, Debug)]
pub(super) struct UnitSpan {
    pub offset: u64,
    pub len: u64,
    pub abbrev_offset: u64,
    pub relocs: Vec<(usize, std::ops::Range<usize>)>,
}

/// `.debug_info`, read unit by unit (or held whole when it was stored compressed).
pub(super) struct Info<'s> {
    pub index: usize,
    pub whole: Option<Cow<'s, [u8]>>,
    pub units: Vec<UnitSpan>,
}

/// Byte order and class of the object: reads its fixed-size fields.
#[derive(Clone, Copy)]
pub(super) struct Layout {
    pub big: bool,
    pub is_64: bool,
}

impl Layout {
    pub fn u16(self, b: &[u8], at: usize) -> u16 {
        let a = [b[at], b[at + 1]];
        if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    pub fn u32(self, b: &[u8], at: usize) -> u32 {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    pub fn u64(self, b: &[u8], at: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        if self.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }
    /// A word: 8 bytes in ELF64, 4 in ELF32.
    pub fn word(self, b: &[u8], at: usize) -> u64 {
        if self.is_64 {
            self.u64(b, at)
        } else {
            self.u32(b, at) as u64
        }
    }
}

/// The symbol table, decoded on iteration.
pub(crate) struct SymbolTable<'data> {
    layout: Option<Layout>,
    syms: Cow<'data, [u8]>,
    strs: Cow<'data, [u8]>,
    shndx: Cow<'data, [u8]>,
}

impl<'data> SymbolTable<'data> {
    pub fn empty() -> Self {
        SymbolTable {
            layout: None,
            syms: Cow::Borrowed(&[]),
            strs: Cow::Borrowed(&[]),
            shndx: Cow::Borrowed(&[]),
        }
    }

    pub fn len(&self) -> usize {
        match self.layout {
            Some(l) => self.syms.len() / if l.is_64 { 24 } else { 16 },
            None => 0,
        }
    }

    pub fn get(&self, i: usize) -> Option<Symbol<'_>> {
        let l = self.layout?;
        let (size, b) = if l.is_64 {
            (24, &self.syms)
        } else {
            (16, &self.syms)
        };
        let at = i.checked_mul(size)?;
        if at + size > b.len() {
            return None;
        }
        let (name_off, info, shndx, value, sz) = if l.is_64 {
            (
                l.u32(b, at),
                b[at + 4],
                l.u16(b, at + 6),
                l.u64(b, at + 8),
                l.u64(b, at + 16),
            )
        } else {
            (
                l.u32(b, at),
                b[at + 12],
                l.u16(b, at + 14),
                l.u32(b, at + 4) as u64,
                l.u32(b, at + 8) as u64,
            )
        };
        let mut shndx = shndx as u32;
        if shndx == 0xffff {
            shndx = if self.shndx.len() >= (i + 1) * 4 {
                l.u32(&self.shndx, i * 4)
            } else {
                0
            };
        }
        let name = self
            .strs
            .get(name_off as usize..)
            .map(|s| &s[..memchr::memchr(0, s).unwrap_or(s.len())])
            .unwrap_or(&[]);
        Some(Symbol {
            name,
            value,
            size: sz,
            st_type: info & 0xf,
            bind: info >> 4,
            shndx,
        })
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Symbol<'_>> + '_ {
        (0..self.len()).map(move |i| self.get(i).expect("index in range"))
    }
}

/// Reads the section headers; returns the layout, header facts and sections.
fn headers(src: Src<'_>) -> Result<(Layout, u16, u16, Vec<Section>), DwarfError> {
    let ident = src.read_at(0, 16).map_err(|_| DwarfError::NotElf)?;
    if &ident[..4] != b"\x7fELF" {
        return Err(DwarfError::NotElf);
    }
    let is_64 = match ident[4] {
        1 => false,
        2 => true,
        _ => return Err(bad("unknown ELF class")),
    };
    let big = match ident[5] {
        1 => false,
        2 => true,
        _ => return Err(bad("unknown ELF byte order")),
    };
    let l = Layout { big, is_64 };
    let eh = src.read_at(0, if is_64 { 64 } else { 52 })?;
    let e_type = l.u16(&eh, 16);
    let machine = l.u16(&eh, 18);
    let (shoff, shentsize, mut shnum, mut shstrndx) = if is_64 {
        (
            l.u64(&eh, 40),
            l.u16(&eh, 58),
            l.u16(&eh, 60) as u64,
            l.u16(&eh, 62) as u32,
        )
    } else {
        (
            l.u32(&eh, 32) as u64,
            l.u16(&eh, 46),
            l.u16(&eh, 48) as u64,
            l.u16(&eh, 50) as u32,
        )
    };
    let entsize = if is_64 { 64 } else { 40 };
    if shoff == 0 {
        return Ok((l, e_type, machine, Vec::new()));
    }
    if (shentsize as usize) < entsize {
        return Err(bad("section header entries too small"));
    }
    // Extended numbering: the real values live in section 0.
    let first = src.read_at(shoff, entsize)?;
    if shnum == 0 {
        shnum = l.word(&first, if is_64 { 32 } else { 20 });
    }
    if shstrndx == 0xffff {
        shstrndx = l.u32(&first, if is_64 { 40 } else { 24 });
    }
    let total = shnum
        .checked_mul(shentsize as u64)
        .filter(|&t| shoff.checked_add(t).is_some_and(|e| e <= src.size()))
        .ok_or_else(|| bad("section header table out of bounds"))?;
    let table = src.read_at(shoff, total as usize)?;
    let mut sections = Vec::with_capacity(shnum as usize);
    let mut names = Vec::with_capacity(shnum as usize);
    for i in 0..shnum as usize {
        let at = i * shentsize as usize;
        let h = &table[at..at + entsize];
        let s = if is_64 {
            Section {
                name: Vec::new(),
                sh_type: l.u32(h, 4),
                flags: l.u64(h, 8),
                addr: l.u64(h, 16),
                raw_addr: l.u64(h, 16),
                offset: l.u64(h, 24),
                size: l.u64(h, 32),
                link: l.u32(h, 40),
                info: l.u32(h, 44),
                align: l.u64(h, 48),
                entsize: l.u64(h, 56),
            }
        } else {
            Section {
                name: Vec::new(),
                sh_type: l.u32(h, 4),
                flags: l.u32(h, 8) as u64,
                addr: l.u32(h, 12) as u64,
                raw_addr: l.u32(h, 12) as u64,
                offset: l.u32(h, 16) as u64,
                size: l.u32(h, 20) as u64,
                link: l.u32(h, 24),
                info: l.u32(h, 28),
                align: l.u32(h, 32) as u64,
                entsize: l.u32(h, 36) as u64,
            }
        };
        names.push(l.u32(h, 0));
        sections.push(s);
    }
    if let Some(sh) = sections.get(shstrndx as usize).cloned() {
        if let Ok(strs) = raw_data(src, &sh) {
            for (s, &n) in sections.iter_mut().zip(&names) {
                if let Some(rest) = strs.get(n as usize..) {
                    s.name = rest[..memchr::memchr(0, rest).unwrap_or(rest.len())].to_vec();
                }
            }
        }
    }
    Ok((l, e_type, machine, sections))
}

/// The bytes of a section as stored (empty for `SHT_NOBITS`).
pub(super) fn raw_data<'s>(src: Src<'s>, s: &Section) -> Result<Cow<'s, [u8]>, DwarfError> {
    if s.sh_type == SHT_NOBITS || s.size == 0 {
        return Ok(Cow::Borrowed(&[]));
    }
    let len = usize::try_from(s.size).map_err(|_| oob())?;
    src.read_at(s.offset, len)
}

/// The bytes of a section, decompressed when it is stored compressed.
pub(super) fn section_data<'s>(
    src: Src<'s>,
    l: Layout,
    s: &Section,
) -> Result<Cow<'s, [u8]>, DwarfError> {
    let raw = raw_data(src, s)?;
    let name = || String::from_utf8_lossy(&s.name).into_owned();
    let (kind, size, payload): (u32, u64, &[u8]) = if s.flags & SHF_COMPRESSED != 0 {
        let hl = if l.is_64 { 24 } else { 12 };
        if raw.len() < hl {
            return Err(DwarfError::Decompress {
                section: name(),
                reason: "compression header truncated".into(),
            });
        }
        let kind = l.u32(&raw, 0);
        let size = if l.is_64 {
            l.u64(&raw, 8)
        } else {
            l.u32(&raw, 4) as u64
        };
        (kind, size, &raw[hl..])
    } else if s.name.starts_with(b".zdebug") && raw.len() >= 12 && &raw[..4] == b"ZLIB" {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[4..12]);
        (1, u64::from_be_bytes(b), &raw[12..])
    } else {
        return Ok(raw);
    };
    let limit = MAX_SECTION_SIZE.min((payload.len() as u64).saturating_mul(200).max(32 << 20));
    if size > limit {
        return Err(DwarfError::TooLarge {
            section: name(),
            size,
            limit,
        });
    }
    let mut out = Vec::with_capacity(size as usize);
    let res = match kind {
        1 => flate2::read::ZlibDecoder::new(payload)
            .take(size)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string()),
        2 => match ruzstd::decoding::StreamingDecoder::new(payload) {
            Ok(d) => d
                .take(size)
                .read_to_end(&mut out)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        k => Err(format!("unknown compression type {k}")),
    };
    match res {
        Ok(_) if out.len() as u64 == size => Ok(Cow::Owned(out)),
        Ok(_) => Err(DwarfError::Decompress {
            section: name(),
            reason: format!("decompressed {} bytes, header says {size}", out.len()),
        }),
        Err(reason) => Err(DwarfError::Decompress {
            section: name(),
            reason,
        }),
    }
}

/// Reads the object: headers, layout, symbols, `.BTF_ids`, the debug sections with
/// their relocations applied.
pub(super) fn load(src: Src<'_>) -> Result<DwarfObject<'_>, DwarfError> {
    let (l, e_type, machine, mut sections) = headers(src)?;
    let relocatable = e_type == 1;
    if relocatable {
        layout_rel_sections(&mut sections);
    }

    let mut symtab = SymbolTable::empty();
    if let Some((i, st)) = sections
        .iter()
        .enumerate()
        .find(|(_, s)| s.sh_type == SHT_SYMTAB)
    {
        let strs = match sections.get(st.link as usize) {
            Some(s) => raw_data(src, s)?,
            None => Cow::Borrowed(&[][..]),
        };
        let shndx = match sections
            .iter()
            .find(|s| s.sh_type == SHT_SYMTAB_SHNDX && s.link as usize == i)
        {
            Some(s) => raw_data(src, s)?,
            None => Cow::Borrowed(&[][..]),
        };
        symtab = SymbolTable {
            layout: Some(l),
            syms: raw_data(src, st)?,
            strs,
            shndx,
        };
    }

    let mut lto_note = None;
    'notes: for s in sections.iter().filter(|s| s.sh_type == 7 /* SHT_NOTE */) {
        let Ok(data) = raw_data(src, s) else { continue };
        let align = if s.align == 8 { 8 } else { 4 };
        let pad = |n: usize| n.div_ceil(align) * align;
        let mut at = 0usize;
        while at + 12 <= data.len() {
            let namesz = l.u32(&data, at) as usize;
            let descsz = l.u32(&data, at + 4) as usize;
            let n_type = l.u32(&data, at + 8);
            let name_at = at + 12;
            let Some(desc_at) = name_at.checked_add(pad(namesz)) else {
                break;
            };
            let Some(next) = desc_at.checked_add(pad(descsz)) else {
                break;
            };
            if desc_at + descsz > data.len() {
                break;
            }
            let name = &data[name_at..name_at + namesz.min(data.len() - name_at)];
            // LINUX_ELFNOTE_LTO_INFO, owner "Linux": the first one decides.
            if n_type == 0x101 && name.split(|&b| b == 0).next() == Some(b"Linux") {
                let desc = &data[desc_at..desc_at + descsz.min(4)];
                lto_note = Some(desc.iter().any(|&b| b != 0));
                break 'notes;
            }
            at = next;
        }
    }

    let btf_ids = match sections.iter().position(|s| s.name == b".BTF_ids") {
        Some(i) => Some((i as u32, raw_data(src, &sections[i])?)),
        None => None,
    };

    let mut debug = DebugSections::default();
    let mut info_index = None;
    for (index, sec) in sections.iter().enumerate() {
        let base = if let Some(rest) = sec.name.strip_prefix(b".zdebug_") {
            rest
        } else if let Some(rest) = sec.name.strip_prefix(b".debug_") {
            rest
        } else {
            continue;
        };
        // Of location lists only the expressions are read, which relocations do not
        // touch: they are used as stored. `.debug_info` is read unit by unit later.
        let (slot, relocate) = match base {
            b"info" => {
                if info_index.is_none() {
                    info_index = Some(index);
                }
                continue;
            }
            b"abbrev" => (&mut debug.abbrev, true),
            b"str" => (&mut debug.str, true),
            b"line_str" => (&mut debug.line_str, true),
            b"str_offsets" => (&mut debug.str_offsets, true),
            b"addr" => (&mut debug.addr, true),
            b"loclists" => (&mut debug.loclists, false),
            b"loc" => (&mut debug.loc, false),
            b"types" => (&mut debug.types, true),
            _ => continue,
        };
        if !slot.is_empty() {
            continue; // the first one of a name wins, as in libdw
        }
        let mut bytes = section_data(src, l, sec)?;
        if relocatable && relocate {
            for rs in relocs_of(&sections, index) {
                let n = reloc::count(l, rs);
                let buf = bytes.to_mut();
                reloc::apply(
                    src,
                    l,
                    rs,
                    0..n,
                    &sec.name,
                    buf,
                    0,
                    &sections,
                    &symtab,
                    machine,
                )?;
            }
        }
        *slot = bytes;
    }
    let Some(info_index) = info_index else {
        return Err(DwarfError::NoDebugInfo);
    };
    let info = info_units(src, l, &sections, info_index, relocatable, &symtab, machine)?;
    Ok(DwarfObject {
        src,
        big_endian: l.big,
        is_64: l.is_64,
        machine,
        relocatable,
        sections,
        symtab,
        lto_note,
        btf_ids,
        debug,
        info,
        machine_layout: l,
    })
}

/// The relocation sections that apply to section `index`.
pub(super) fn relocs_of(sections: &[Section], index: usize) -> impl Iterator<Item = &Section> {
    sections.iter().filter(move |r| {
        (r.sh_type == SHT_RELA || r.sh_type == SHT_REL) && r.info as usize == index
    })
}

/// Where each unit of `.debug_info` is and which relocations apply to it, so that the
/// units can be read (and relocated) one at a time. A compressed section, or relocations
/// out of offset order, make the section be read whole instead.
#[allow(clippy::too_many_arguments)]
fn info_units<'s>(
    src: Src<'s>,
    l: Layout,
    sections: &[Section],
    index: usize,
    relocatable: bool,
    symtab: &SymbolTable<'_>,
    machine: u16,
) -> Result<Info<'s>, DwarfError> {
    let sec = &sections[index];
    let compressed = sec.flags & SHF_COMPRESSED != 0 || sec.name.starts_with(b".zdebug");
    // The whole section at once, relocated.
    let whole = |mut data: Cow<'s, [u8]>| -> Result<Info<'s>, DwarfError> {
        if relocatable {
            for rs in relocs_of(sections, index) {
                let n = reloc::count(l, rs);
                let buf = data.to_mut();
                reloc::apply(
                    src,
                    l,
                    rs,
                    0..n,
                    &sec.name,
                    buf,
                    0,
                    sections,
                    symtab,
                    machine,
                )?;
            }
        }
        let units = spans_of(l, &data);
        Ok(Info {
            index,
            whole: Some(data),
            units,
        })
    };
    if compressed {
        return whole(section_data(src, l, sec)?);
    }
    // Unit headers only.
    let mut units = Vec::new();
    let mut off = 0u64;
    while off + 4 <= sec.size {
        let head = src.read_at(sec.offset + off, (sec.size - off).min(24) as usize)?;
        let Some(u) = span_at(l, &head, off) else {
            break;
        };
        let next = off + u.len;
        units.push(u);
        if next <= off || next > sec.size {
            break;
        }
        off = next;
    }
    if relocatable {
        for (k, rs) in relocs_of(sections, index).enumerate() {
            let mut last = 0u64;
            let mut sorted = true;
            let mut u = 0usize;
            let mut ranges: Vec<(usize, usize)> = vec![(0, 0); units.len()];
            reloc::offsets(src, l, rs, |i, o| {
                if o < last {
                    sorted = false;
                    return false;
                }
                last = o;
                while u < units.len() && o >= units[u].offset + units[u].len {
                    u += 1;
                }
                if u < units.len() && o >= units[u].offset {
                    let r = &mut ranges[u];
                    if r.1 == r.0 {
                        *r = (i, i + 1);
                    } else {
                        r.1 = i + 1;
                    }
                }
                true
            })?;
            if !sorted {
                // Relocations out of offset order: relocate the whole section at once.
                return whole(raw_data(src, sec)?);
            }
            for (unit, r) in units.iter_mut().zip(ranges) {
                if r.1 > r.0 {
                    unit.relocs.push((k, r.0..r.1));
                }
            }
        }
    }
    Ok(Info {
        index,
        whole: None,
        units,
    })
}

/// The unit header at `off` (`head` holds its first bytes): its length, version and
/// abbreviation offset.
fn span_at(l: Layout, head: &[u8], off: u64) -> Option<UnitSpan> {
    if head.len() < 4 {
        return None;
    }
    let len32 = l.u32(head, 0);
    let (len, at, dwarf64) = if len32 == 0xffff_ffff {
        if head.len() < 12 {
            return None;
        }
        (l.u64(head, 4).checked_add(12)?, 12usize, true)
    } else if len32 >= 0xffff_fff0 {
        return None;
    } else {
        (len32 as u64 + 4, 4usize, false)
    };
    let osize = if dwarf64 { 8 } else { 4 };
    let version = if head.len() >= at + 2 {
        l.u16(head, at)
    } else {
        0
    };
    // v5: unit_type, address_size, then the abbreviation offset; before: offset first.
    let abbrev_at = if version >= 5 { at + 4 } else { at + 2 };
    let abbrev = if head.len() >= abbrev_at + osize {
        if dwarf64 {
            l.u64(head, abbrev_at)
        } else {
            l.u32(head, abbrev_at) as u64
        }
    } else {
        u64::MAX
    };
    Some(UnitSpan {
        offset: off,
        len,
        abbrev_offset: abbrev,
        relocs: Vec::new(),
    })
}

/// The units of a whole `.debug_info`.
fn spans_of(l: Layout, data: &[u8]) -> Vec<UnitSpan> {
    let mut units = Vec::new();
    let mut off = 0u64;
    while (off as usize) + 4 <= data.len() {
        let Some(u) = span_at(l, &data[off as usize..], off) else {
            break;
        };
        let next = off + u.len;
        units.push(u);
        if next <= off || next > data.len() as u64 {
            break;
        }
        off = next;
    }
    units
}
