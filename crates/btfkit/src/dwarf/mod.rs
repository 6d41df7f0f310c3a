//! DWARF in ELF objects, read the way elfutils' libdwfl hands it to pahole: the
//! `.debug_*` sections (decompressed when stored compressed), with the relocations of a
//! relocatable object (`ET_REL`: `.o`, `.ko`) applied against libdwfl's arbitrary layout
//! of its allocated sections, the section headers with those laid-out addresses, and the
//! symbol table. [`DwarfObject::dwarf`] gives the sections to the `gimli` crate.
//!
//! Only what BTF generation reads is read: the section headers, the symbol table, the
//! `.BTF_ids` section and the debug sections gimli needs (not the line program); the
//! relocations are streamed in chunks. An object can be read from memory or from any
//! [`Source`] (a file, read piece by piece), so a large module is never held whole.
//!
//! Relocations are applied for x86-64, i386, arm64 (both byte orders), arm, s390x,
//! powerpc (32 and 64-bit, both byte orders), riscv and loongarch; an object of another
//! machine with relocations in its debug sections is refused.

mod elf;
mod reloc;

use std::borrow::Cow;

pub use elf::Source;
pub(crate) use reloc::read_n;

/// Largest decompressed size accepted for one debug section, against decompression
/// bombs in hostile input (a section may also not grow by more than 200:1).
pub const MAX_SECTION_SIZE: u64 = 1 << 32;

/// Why the DWARF of an ELF object could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DwarfError {
    /// The file is not ELF, or its headers are malformed.
    #[error("not a readable ELF file: {0}")]
    Elf(String),
    /// The file is not ELF.
    #[error("not an ELF file")]
    NotElf,
    /// Reading the source failed.
    #[error("reading the object: {0}")]
    Io(#[from] std::io::Error),
    /// The file has no `.debug_info` section.
    #[error("no DWARF: the object has no .debug_info section")]
    NoDebugInfo,
    /// A compressed section announces more than it may hold.
    #[error("section {section}: decompressed size {size} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Section name.
        section: String,
        /// Announced size.
        size: u64,
        /// The limit for this section.
        limit: u64,
    },
    /// A compressed section does not decompress.
    #[error("section {section}: {reason}")]
    Decompress {
        /// Section name.
        section: String,
        /// What is wrong.
        reason: String,
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
pub struct Section {
    /// Name (empty when unreadable).
    pub name: Vec<u8>,
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_addr`, or for an allocated section of a relocatable object the address of
    /// libdwfl's layout (`__libdwfl_elf_address_range`).
    pub addr: u64,
    /// `sh_addr` as stored in the file.
    pub raw_addr: u64,
    /// `sh_offset`.
    pub offset: u64,
    /// `sh_size`.
    pub size: u64,
    /// `sh_addralign`.
    pub align: u64,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// `sh_entsize`.
    pub entsize: u64,
}

/// `SHT_PROGBITS`.
pub const SHT_PROGBITS: u32 = 1;
/// `SHT_SYMTAB`.
pub const SHT_SYMTAB: u32 = 2;
/// `SHT_RELA`.
pub const SHT_RELA: u32 = 4;
/// `SHT_NOBITS`.
pub const SHT_NOBITS: u32 = 8;
/// `SHT_REL`.
pub const SHT_REL: u32 = 9;
/// `SHT_SYMTAB_SHNDX`.
pub const SHT_SYMTAB_SHNDX: u32 = 18;
/// `SHF_ALLOC`.
pub const SHF_ALLOC: u64 = 2;
/// `SHF_COMPRESSED`.
pub const SHF_COMPRESSED: u64 = 0x800;
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
pub struct Symbol<'a> {
    /// Name (empty when unreadable).
    pub name: &'a [u8],
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
    abbrev: Cow<'data, [u8]>,
    str: Cow<'data, [u8]>,
    line_str: Cow<'data, [u8]>,
    str_offsets: Cow<'data, [u8]>,
    addr: Cow<'data, [u8]>,
    loclists: Cow<'data, [u8]>,
    loc: Cow<'data, [u8]>,
    types: Cow<'data, [u8]>,
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
    pub sections: Vec<Section>,
    symtab: elf::SymbolTable<'data>,
    /// The Linux `LTO_INFO` note (`LINUX_ELFNOTE_LTO_INFO`): whether the object was
    /// built with LTO, when it says.
    pub lto_note: Option<bool>,
    /// `.BTF_ids`: its section index and contents, when the object has one.
    pub btf_ids: Option<(u32, Cow<'data, [u8]>)>,
    debug: DebugSections<'data>,
    info: elf::Info<'data>,
    machine_layout: elf::Layout,
    src: elf::Src<'data>,
}

impl std::fmt::Debug for DwarfObject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DwarfObject")
            .field("machine", &self.machine)
            .field("big_endian", &self.big_endian)
            .field("sections", &self.sections.len())
            .field("symbols", &self.symtab.len())
            .finish()
    }
}

impl<'data> DwarfObject<'data> {
    /// Reads the ELF object in `data`: section headers (laid out as libdwfl does for a
    /// relocatable object), symbols, and the debug sections with relocations applied.
    /// Sections that need no change are borrowed from `data`.
    pub fn parse(data: &'data [u8]) -> Result<Self, DwarfError> {
        elf::load(elf::Src::Slice(data))
    }

    /// Reads the ELF object from `source` piece by piece, keeping only what BTF
    /// generation needs: `.debug_info` is read one unit at a time
    /// ([`Self::unit_info`]).
    pub fn read<S: Source>(source: &'data S) -> Result<Self, DwarfError> {
        elf::load(elf::Src::Dyn(source))
    }

    /// Number of units in `.debug_info`.
    pub fn unit_count(&self) -> usize {
        self.info.units.len()
    }

    /// The `.debug_info` offset of unit `i` and the offset of its abbreviation table.
    pub fn unit_offsets(&self, i: usize) -> Option<(u64, u64)> {
        self.info.units.get(i).map(|u| (u.offset, u.abbrev_offset))
    }

    /// The bytes of unit `i` of `.debug_info`, relocated (read from the source when the
    /// object is read piece by piece).
    pub fn unit_info(&self, i: usize) -> Result<Cow<'data, [u8]>, DwarfError> {
        let u = self
            .info
            .units
            .get(i)
            .ok_or_else(|| DwarfError::Elf("no such unit".into()))?;
        let len = usize::try_from(u.len).map_err(|_| DwarfError::Elf("unit too large".into()))?;
        if let Some(whole) = &self.info.whole {
            let at = u.offset as usize;
            let bytes = whole
                .get(at..at.saturating_add(len))
                .ok_or_else(|| DwarfError::Elf("unit out of bounds".into()))?;
            return Ok(Cow::Owned(bytes.to_vec()));
        }
        let sec = &self.sections[self.info.index];
        let mut data = self.src.read_at(sec.offset + u.offset, len)?;
        if !u.relocs.is_empty() {
            let rels: Vec<&Section> = elf::relocs_of(&self.sections, self.info.index).collect();
            let buf = data.to_mut();
            for (k, range) in &u.relocs {
                reloc::apply(
                    self.src,
                    self.machine_layout,
                    rels[*k],
                    range.clone(),
                    &sec.name,
                    buf,
                    u.offset,
                    &self.sections,
                    &self.symtab,
                    self.machine,
                )?;
            }
        }
        Ok(data)
    }

    /// All of `.debug_info`, relocated (for objects whose units refer to each other).
    pub fn whole_info(&self) -> Result<Cow<'_, [u8]>, DwarfError> {
        if let Some(whole) = &self.info.whole {
            return Ok(Cow::Borrowed(whole));
        }
        let sec = &self.sections[self.info.index];
        let mut data = elf::raw_data(self.src, sec)?;
        if self.relocatable {
            let buf = data.to_mut();
            for rs in elf::relocs_of(&self.sections, self.info.index) {
                let n = reloc::count(self.machine_layout, rs);
                reloc::apply(
                    self.src,
                    self.machine_layout,
                    rs,
                    0..n,
                    &sec.name,
                    buf,
                    0,
                    &self.sections,
                    &self.symtab,
                    self.machine,
                )?;
            }
        }
        Ok(data)
    }

    /// The gimli view of the debug sections, with `info` as `.debug_info` (one unit from
    /// [`Self::unit_info`], or [`Self::whole_info`]).
    pub fn dwarf<'x>(&'x self, info: &'x [u8]) -> gimli::Dwarf<Reader<'x>> {
        let endian = if self.big_endian {
            gimli::RunTimeEndian::Big
        } else {
            gimli::RunTimeEndian::Little
        };
        let d = &self.debug;
        fn s<'a>(c: &'a [u8], endian: gimli::RunTimeEndian) -> Reader<'a> {
            gimli::EndianSlice::new(c, endian)
        }
        let empty = gimli::EndianSlice::new(&[], endian);
        gimli::Dwarf {
            debug_abbrev: s(&d.abbrev, endian).into(),
            debug_addr: s(&d.addr, endian).into(),
            debug_aranges: empty.into(),
            debug_info: s(info, endian).into(),
            debug_line: empty.into(),
            debug_line_str: s(&d.line_str, endian).into(),
            debug_macinfo: empty.into(),
            debug_macro: empty.into(),
            debug_str: s(&d.str, endian).into(),
            debug_str_offsets: s(&d.str_offsets, endian).into(),
            debug_types: s(&d.types, endian).into(),
            locations: gimli::LocationLists::new(
                s(&d.loc, endian).into(),
                s(&d.loclists, endian).into(),
            ),
            ranges: gimli::RangeLists::new(empty.into(), empty.into()),
            file_type: gimli::DwarfFileType::Main,
            sup: None,
            abbreviations_cache: gimli::AbbreviationsCache::new(),
        }
    }

    /// The section with index `index`, if any.
    pub fn section(&self, index: u32) -> Option<&Section> {
        self.sections.get(index as usize)
    }

    /// The first section named `name`.
    pub fn section_by_name(&self, name: &[u8]) -> Option<(u32, &Section)> {
        self.sections
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == name)
            .map(|(i, s)| (i as u32, s))
    }

    /// The symbols of `.symtab`, in order (entry 0 included); none when there is no
    /// symbol table.
    pub fn symbols(&self) -> impl ExactSizeIterator<Item = Symbol<'_>> + '_ {
        self.symtab.iter()
    }

    /// `.debug_abbrev` as stored.
    pub fn debug_abbrev(&self) -> &[u8] {
        &self.debug.abbrev
    }

    /// What the Linux `LTO_INFO` note says, if the object has one.
    pub fn linux_lto_note(&self) -> Option<bool> {
        self.lto_note
    }

    /// The contents of the first section named `name` (decompressed when stored
    /// compressed), read from the source; `None` when there is no such section.
    pub fn section_contents(&self, name: &[u8]) -> Result<Option<Cow<'data, [u8]>>, DwarfError> {
        match self.section_by_name(name) {
            Some((_, s)) => elf::section_data(self.src, self.machine_layout, s).map(Some),
            None => Ok(None),
        }
    }

    /// Whether the object has a symbol table.
    pub fn has_symbols(&self) -> bool {
        self.symtab.len() != 0
    }
}

/// A unit of the object for gimli, without its line program (which nothing here reads):
/// `gimli::Unit::new` minus the `DW_AT_stmt_list` parse.
pub fn unit<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    header: gimli::UnitHeader<Reader<'a>>,
) -> gimli::Result<gimli::Unit<Reader<'a>>> {
    use gimli::AttributeValue as V;
    let abbreviations = dwarf.abbreviations(&header)?;
    let mut unit = gimli::Unit {
        abbreviations,
        name: None,
        comp_dir: None,
        low_pc: 0,
        str_offsets_base: gimli::DebugStrOffsetsBase::default_for_encoding_and_file(
            header.encoding(),
            dwarf.file_type,
        ),
        addr_base: gimli::DebugAddrBase(0),
        loclists_base: gimli::DebugLocListsBase::default_for_encoding_and_file(
            header.encoding(),
            dwarf.file_type,
        ),
        rnglists_base: gimli::DebugRngListsBase::default_for_encoding_and_file(
            header.encoding(),
            dwarf.file_type,
        ),
        line_program: None,
        dwo_id: match header.type_() {
            gimli::UnitType::Skeleton(id) | gimli::UnitType::SplitCompilation(id) => Some(id),
            _ => None,
        },
        header,
    };
    let mut low_pc = None;
    {
        let mut cursor = unit.header.entries(&unit.abbreviations);
        cursor.next_dfs()?;
        let root = cursor.current().ok_or(gimli::Error::MissingUnitDie)?;
        let mut attrs = root.attrs();
        while let Some(attr) = attrs.next()? {
            match (attr.name(), attr.value()) {
                (gimli::DW_AT_low_pc, v) => low_pc = Some(v),
                (gimli::DW_AT_str_offsets_base, V::DebugStrOffsetsBase(b)) => {
                    unit.str_offsets_base = b
                }
                (gimli::DW_AT_addr_base | gimli::DW_AT_GNU_addr_base, V::DebugAddrBase(b)) => {
                    unit.addr_base = b
                }
                (gimli::DW_AT_loclists_base, V::DebugLocListsBase(b)) => unit.loclists_base = b,
                (
                    gimli::DW_AT_rnglists_base | gimli::DW_AT_GNU_ranges_base,
                    V::DebugRngListsBase(b),
                ) => unit.rnglists_base = b,
                _ => {}
            }
        }
    }
    if let Some(v) = low_pc {
        if let Ok(Some(a)) = dwarf.attr_address(&unit, v) {
            unit.low_pc = a;
        }
    }
    Ok(unit)
}

/// `REL_MIN_ALIGN` of libdwfl.
const REL_MIN_ALIGN: u64 = 0x100;
/// `OFFLINE_REDZONE` of libdwfl: where `dwfl_report_offline` places the first module.
const OFFLINE_REDZONE: u64 = 0x10000;

/// libdwfl's layout of a relocatable object (`__libdwfl_elf_address_range`, `ET_REL`,
/// with the base `dwfl_report_offline` uses for the first file): allocated sections with
/// `sh_addr` 0 are placed one after another, each aligned, from a base that is raised
/// (and the layout redone) when a section needs more alignment than the base has.
fn layout_rel_sections(sections: &mut [Section]) {
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
fn symbol_value(sym: &Symbol<'_>, sections: &[Section]) -> Option<u64> {
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
