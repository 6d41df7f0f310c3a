//! DWARF in ELF objects, read the way elfutils' libdwfl hands it to pahole: the
//! `.debug_*` sections (decompressed when stored compressed), with the relocations of a
//! relocatable object (`ET_REL`: `.o`, `.ko`) applied against libdwfl's arbitrary layout
//! of its allocated sections, the section headers with those laid-out addresses, and the
//! symbol table. [`DwarfObject::dwarf`] gives the sections to the `gimli` crate.
//!
//! Relocations are applied for x86-64, i386, arm64 (both byte orders), arm, s390x,
//! powerpc (32 and 64-bit, both byte orders), riscv and loongarch; an object of another
//! machine with relocations in its debug sections is refused.

mod reloc;

use object::read::elf::{ElfFile, FileHeader, SectionHeader, Sym};
use object::{Endianness, Object, ObjectSection};
use std::borrow::Cow;

/// Largest decompressed size accepted for one debug section, against decompression
/// bombs in hostile input.
pub const MAX_SECTION_SIZE: u64 = 1 << 32;

/// Why the DWARF of an ELF object could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DwarfError {
    /// `object` could not parse the file as ELF.
    #[error("not a readable ELF file: {0}")]
    Elf(#[from] object::Error),
    /// The file is not ELF.
    #[error("not an ELF file")]
    NotElf,
    /// The file has no `.debug_info` section.
    #[error("no DWARF: the object has no .debug_info section")]
    NoDebugInfo,
    /// A compressed section announces more than [`MAX_SECTION_SIZE`] bytes.
    #[error(
        "section {section}: decompressed size {size} exceeds the limit of {MAX_SECTION_SIZE} bytes"
    )]
    TooLarge {
        /// Section name.
        section: String,
        /// Announced size.
        size: u64,
    },
    /// A relocation of a debug section cannot be applied.
    #[error("section {section}: relocation {index} (type {r_type}): {reason}")]
    Relocation {
        /// Name of the relocated section.
        section: String,
        /// Index of the relocation in its relocation section.
        index: usize,
        /// The raw `r_type`.
        r_type: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// The object's machine has relocations this crate does not know how to apply.
    #[error("relocations of ELF machine {0} are not supported")]
    UnsupportedMachine(u16),
}

/// A section header, with the address libdwfl gives it.
#[derive(Clone, Debug)]
pub struct Section<'data> {
    /// Name (empty when unreadable).
    pub name: &'data [u8],
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_addr`, or for an allocated section of a relocatable object the address of
    /// libdwfl's layout (`__libdwfl_elf_address_range`).
    pub addr: u64,
    /// `sh_size`.
    pub size: u64,
    /// `sh_addralign`.
    pub align: u64,
    /// The section's bytes as stored in the file (empty for `SHT_NOBITS` or when out of
    /// bounds).
    pub data: &'data [u8],
}

/// `SHT_PROGBITS`.
pub const SHT_PROGBITS: u32 = 1;
/// `SHT_SYMTAB`.
pub const SHT_SYMTAB: u32 = 2;
/// `SHT_NOBITS`.
pub const SHT_NOBITS: u32 = 8;
/// `SHF_ALLOC`.
pub const SHF_ALLOC: u64 = 2;
/// `STT_OBJECT`.
pub const STT_OBJECT: u8 = 1;
/// `STT_FUNC`.
pub const STT_FUNC: u8 = 2;
/// `SHN_ABS`.
const SHN_ABS: u32 = 0xfff1;
/// `SHN_COMMON`.
const SHN_COMMON: u32 = 0xfff2;

/// A symbol of `.symtab`.
#[derive(Clone, Copy, Debug)]
pub struct Symbol<'data> {
    /// Name (empty when unreadable).
    pub name: &'data [u8],
    /// `st_value` as stored (section-relative in a relocatable object).
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// `ELF_ST_TYPE(st_info)`.
    pub st_type: u8,
    /// `ELF_ST_BIND(st_info)`.
    pub bind: u8,
    /// Section index, extended indices resolved (`SHN_*` values kept as they are).
    pub shndx: u32,
}

/// The debug sections gimli reads.
#[derive(Default)]
struct DebugSections<'data> {
    info: Cow<'data, [u8]>,
    abbrev: Cow<'data, [u8]>,
    str: Cow<'data, [u8]>,
    line_str: Cow<'data, [u8]>,
    str_offsets: Cow<'data, [u8]>,
    addr: Cow<'data, [u8]>,
    loclists: Cow<'data, [u8]>,
    loc: Cow<'data, [u8]>,
    rnglists: Cow<'data, [u8]>,
    ranges: Cow<'data, [u8]>,
    types: Cow<'data, [u8]>,
    line: Cow<'data, [u8]>,
}

/// The reader type gimli is used with.
pub type Reader<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;

/// An ELF object's DWARF and the ELF facts that BTF generation needs.
pub struct DwarfObject<'data> {
    /// Whether the object is big-endian.
    pub big_endian: bool,
    /// Whether the object is 64-bit.
    pub is_64: bool,
    /// `e_machine`.
    pub machine: u16,
    /// Whether the object is relocatable (`ET_REL`).
    pub relocatable: bool,
    /// Every section header, indexed by section number.
    pub sections: Vec<Section<'data>>,
    /// `.symtab`, in order (entry 0 included); empty when there is none.
    pub symbols: Vec<Symbol<'data>>,
    debug: DebugSections<'data>,
}

impl std::fmt::Debug for DwarfObject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DwarfObject")
            .field("machine", &self.machine)
            .field("big_endian", &self.big_endian)
            .field("sections", &self.sections.len())
            .field("symbols", &self.symbols.len())
            .finish()
    }
}

impl<'data> DwarfObject<'data> {
    /// Reads the ELF object in `data`: section headers (laid out as libdwfl does for a
    /// relocatable object), symbols, and the debug sections with relocations applied.
    pub fn parse(data: &'data [u8]) -> Result<Self, DwarfError> {
        match object::FileKind::parse(data)? {
            object::FileKind::Elf32 => parse_elf::<object::elf::FileHeader32<Endianness>>(data),
            object::FileKind::Elf64 => parse_elf::<object::elf::FileHeader64<Endianness>>(data),
            _ => Err(DwarfError::NotElf),
        }
    }

    /// The gimli view of the debug sections.
    pub fn dwarf(&self) -> gimli::Dwarf<Reader<'_>> {
        let endian = if self.big_endian {
            gimli::RunTimeEndian::Big
        } else {
            gimli::RunTimeEndian::Little
        };
        let d = &self.debug;
        fn s<'a>(c: &'a [u8], endian: gimli::RunTimeEndian) -> Reader<'a> {
            gimli::EndianSlice::new(c, endian)
        }
        let mut dwarf = gimli::Dwarf {
            debug_abbrev: s(&d.abbrev, endian).into(),
            debug_addr: s(&d.addr, endian).into(),
            debug_aranges: gimli::EndianSlice::new(&[], endian).into(),
            debug_info: s(&d.info, endian).into(),
            debug_line: s(&d.line, endian).into(),
            debug_line_str: s(&d.line_str, endian).into(),
            debug_macinfo: gimli::EndianSlice::new(&[], endian).into(),
            debug_macro: gimli::EndianSlice::new(&[], endian).into(),
            debug_str: s(&d.str, endian).into(),
            debug_str_offsets: s(&d.str_offsets, endian).into(),
            debug_types: s(&d.types, endian).into(),
            locations: gimli::LocationLists::new(
                s(&d.loc, endian).into(),
                s(&d.loclists, endian).into(),
            ),
            ranges: gimli::RangeLists::new(
                s(&d.ranges, endian).into(),
                s(&d.rnglists, endian).into(),
            ),
            file_type: gimli::DwarfFileType::Main,
            sup: None,
            abbreviations_cache: gimli::AbbreviationsCache::new(),
        };
        dwarf.populate_abbreviations_cache(gimli::AbbreviationsCacheStrategy::Duplicates);
        dwarf
    }

    /// The section with index `index`, if any.
    pub fn section(&self, index: u32) -> Option<&Section<'data>> {
        self.sections.get(index as usize)
    }

    /// The first section named `name`.
    pub fn section_by_name(&self, name: &[u8]) -> Option<(u32, &Section<'data>)> {
        self.sections
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == name)
            .map(|(i, s)| (i as u32, s))
    }
}

fn parse_elf<'data, Elf>(data: &'data [u8]) -> Result<DwarfObject<'data>, DwarfError>
where
    Elf: FileHeader<Endian = Endianness>,
{
    let file = ElfFile::<'data, Elf>::parse(data)?;
    let endian = file.endian();
    let header = file.elf_header();
    let table = file.elf_section_table();
    let relocatable = header.e_type(endian) == object::elf::ET_REL;
    let machine = header.e_machine(endian).0;

    // Section headers, with libdwfl's layout of a relocatable object's allocated sections.
    let mut sections: Vec<Section<'data>> = table
        .iter()
        .map(|sh| Section {
            name: table.section_name(endian, sh).unwrap_or(&[]),
            sh_type: sh.sh_type(endian).0,
            flags: sh.sh_flags(endian).0,
            addr: sh.sh_addr(endian).into(),
            size: sh.sh_size(endian).into(),
            align: sh.sh_addralign(endian).into(),
            data: if sh.sh_type(endian).0 == SHT_NOBITS {
                &[]
            } else {
                sh.data(endian, data).unwrap_or(&[])
            },
        })
        .collect();
    if relocatable {
        layout_rel_sections(&mut sections);
    }

    // Symbols.
    let mut symbols = Vec::new();
    if let Ok(symtab) = table.symbols(endian, data, object::elf::SHT_SYMTAB) {
        let strings = symtab.strings();
        symbols.reserve(symtab.len());
        for (i, sym) in symtab.iter().enumerate() {
            let raw = sym.st_shndx(endian).0 as u32;
            let shndx = if raw == object::elf::SHN_XINDEX.0 as u32 {
                symtab.shndx(endian, object::SymbolIndex(i)).unwrap_or(0)
            } else {
                raw
            };
            symbols.push(Symbol {
                name: sym.name(endian, strings).unwrap_or(&[]),
                value: sym.st_value(endian).into(),
                size: sym.st_size(endian).into(),
                st_type: sym.st_type().0,
                bind: sym.st_bind().0,
                shndx,
            });
        }
    }

    let mut debug = DebugSections::default();
    let mut found_info = false;
    for sec in file.sections() {
        let index = sec.index().0;
        let Ok(name) = sec.name_bytes() else { continue };
        let base = if let Some(rest) = name.strip_prefix(b".zdebug_") {
            rest
        } else if let Some(rest) = name.strip_prefix(b".debug_") {
            rest
        } else {
            continue;
        };
        let slot = match base {
            b"info" => &mut debug.info,
            b"abbrev" => &mut debug.abbrev,
            b"str" => &mut debug.str,
            b"line_str" => &mut debug.line_str,
            b"str_offsets" => &mut debug.str_offsets,
            b"addr" => &mut debug.addr,
            b"loclists" => &mut debug.loclists,
            b"loc" => &mut debug.loc,
            b"rnglists" => &mut debug.rnglists,
            b"ranges" => &mut debug.ranges,
            b"types" => &mut debug.types,
            b"line" => &mut debug.line,
            _ => continue,
        };
        if !slot.is_empty() {
            continue; // the first one of a name wins, as in libdw
        }
        if base == b"info" {
            found_info = true;
        }
        let compressed = sec.compressed_data()?;
        // Real debug sections compress by less than 200:1; more is a bomb.
        let limit = MAX_SECTION_SIZE.min(
            (compressed.data.len() as u64)
                .saturating_mul(200)
                .max(32 << 20),
        );
        if compressed.uncompressed_size > limit {
            return Err(DwarfError::TooLarge {
                section: String::from_utf8_lossy(name).into_owned(),
                size: compressed.uncompressed_size,
            });
        }
        let mut bytes = compressed.decompress()?;
        // Only what BTF generation reads is relocated: the line program is parsed for
        // its header only (gimli reads it with the unit), and of location and range
        // lists only the expressions are used, which relocations do not touch.
        let unrelocated: &[&[u8]] = &[b"line", b"loclists", b"loc", b"rnglists", b"ranges"];
        if relocatable && !unrelocated.contains(&base) {
            reloc::apply_to_section(&file, index, name, &mut bytes, &sections, &symbols, machine)?;
        }
        *slot = bytes;
    }
    if !found_info {
        return Err(DwarfError::NoDebugInfo);
    }
    Ok(DwarfObject {
        big_endian: !file.is_little_endian(),
        is_64: file.is_64(),
        machine,
        relocatable,
        sections,
        symbols,
        debug,
    })
}

/// `REL_MIN_ALIGN` of libdwfl.
const REL_MIN_ALIGN: u64 = 0x100;
/// `OFFLINE_REDZONE` of libdwfl: where `dwfl_report_offline` places the first module.
const OFFLINE_REDZONE: u64 = 0x10000;

/// libdwfl's layout of a relocatable object (`__libdwfl_elf_address_range`, `ET_REL`,
/// with the base `dwfl_report_offline` uses for the first file): allocated sections with
/// `sh_addr` 0 are placed one after another, each aligned, from a base that is raised
/// (and the layout redone) when a section needs more alignment than the base has.
fn layout_rel_sections(sections: &mut [Section<'_>]) {
    // The arithmetic is libdwfl's, wrapping and all: `(v + align - 1) & -align`.
    let align_up = |v: u64, a: u64| v.wrapping_add(a.wrapping_sub(1)) & a.wrapping_neg();
    let mut base = align_up(OFFLINE_REDZONE, REL_MIN_ALIGN);
    let mut start = base;
    let mut end = base;
    let mut bias: u64 = 0;
    let mut first = true;
    for i in 1..sections.len() {
        if sections[i].flags & SHF_ALLOC == 0 {
            continue;
        }
        let align = sections[i].align.max(1);
        let next = align_up(end, align);
        if sections[i].addr == 0 || (bias == 0 && end > start && end != next) {
            sections[i].addr = next;
            if end == base {
                // The first section given a place: its address is the module's base.
                start = next;
                base = next;
            } else if base & align.wrapping_sub(1) != 0 {
                // The base has less alignment than this section: redo the layout from
                // a better base, this section included.
                base = align_up(base, align);
                start = base;
                end = base;
                for prev in sections.iter_mut().take(i + 1).skip(1) {
                    if prev.flags & SHF_ALLOC != 0 {
                        prev.addr = align_up(end, prev.align.max(1));
                        end = prev.addr.wrapping_add(prev.size);
                    }
                }
                continue;
            }
            end = next.wrapping_add(sections[i].size);
        } else {
            let (addr, size) = (sections[i].addr, sections[i].size);
            if first || end < addr.wrapping_add(size) {
                end = addr.wrapping_add(size);
            }
            if first || bias > addr {
                bias = addr;
            }
            if addr.wrapping_sub(bias).wrapping_add(base) & align.wrapping_sub(1) != 0 {
                base = align_up(base, align).wrapping_add(bias & align.wrapping_sub(1));
            }
        }
        first = false;
    }
}

/// Value of a symbol for relocation, as libdwfl computes it (`relocate_getsym`):
/// `st_value` plus the laid-out address of its section when that is allocated; `None`
/// for an undefined symbol (the relocation is then left unapplied).
fn symbol_value(sym: &Symbol<'_>, sections: &[Section<'_>]) -> Option<u64> {
    match sym.shndx {
        0 => None,
        SHN_ABS => Some(sym.value),
        SHN_COMMON => Some(0),
        n => {
            let sec = sections.get(n as usize)?;
            if sec.flags & SHF_ALLOC != 0 {
                Some(sym.value.wrapping_add(sec.addr))
            } else {
                Some(sym.value)
            }
        }
    }
}
