//! Rewriting sections of a relocatable ELF object (`.o`, `.ko`) without re-laying it out:
//! replace the contents of `.BTF`, add or replace `.BTF.base`, remove either (or, for the
//! `.BTF_ids` work, overwrite any section's contents in place).
//!
//! I/O-free: [`Patch::apply`] takes the bytes of a file and returns the bytes of the new
//! one. The input is read with `object::read::elf`; the few bytes that change are written
//! here, because re-encoding the whole object (`object::write`, `object::build`) rewrites
//! `.symtab`/`.strtab`, refuses section types it does not know and drops trailing data.
//!
//! # What changes and what does not
//!
//! - Every section that is not edited keeps its header (name offset, type, flags, address,
//!   offset, size, link, info, alignment, entry size), its index and its bytes, at the same
//!   file offset. Unknown section types (`SHT_GROUP`, OS- or processor-specific ones) are
//!   just bytes and headers to this code, and pass through.
//! - A replaced section whose new contents fit in its old place (same size or smaller,
//!   not empty, and not shared with another section's bytes) is rewritten in place (the
//!   rest of the old space is zeroed); otherwise it is moved to the end of the file,
//!   respecting its `sh_addralign` (a power of two up to 64 KiB; anything else is
//!   refused). `SHF_COMPRESSED` is cleared on a replaced section: the new contents are
//!   stored as given.
//! - An added section gets the next free index (after every existing section), a header
//!   from [`NewSection`] (`.BTF`-like by default: `SHT_PROGBITS`, flags 0, alignment 1)
//!   and its bytes at the end of the file. Its name is reused from `.shstrtab` when the
//!   string is already there (also as the tail of a longer name); otherwise a new
//!   `.shstrtab` (the old one plus the new names) is appended and `e_shstrndx`'s header
//!   points there. Indices do not change, so nothing else refers to anything new.
//! - A removed section keeps its index: its header becomes an all-zero `SHT_NULL` entry
//!   ("inactive" in the gABI) and its bytes are zeroed, so that `sh_link`/`sh_info`,
//!   symbols' `st_shndx`, group member lists and `e_shstrndx`, which all hold section
//!   indices, stay valid without touching `.symtab` or any other section. Removed
//!   sections at the very end of the table are dropped from it instead (nothing can refer
//!   to them: a referenced section is never removed, see below), so removing a section
//!   that a previous patch added restores the original table. A section that another
//!   section's `sh_link` / `sh_info` (of `SHT_REL`/`SHT_RELA` or `SHF_INFO_LINK`
//!   sections), a group member list or a symbol refers to is not removed: that is an
//!   error, because removing it would need those references rewritten.
//! - The section header table is written at the end of the file (aligned to 8 bytes for
//!   ELF64, 4 for ELF32) and `e_shoff`, `e_shnum`, `e_shstrndx` are fixed. Space that
//!   only dead data used at the end of the image (the old header table, an old
//!   `.shstrtab`, a moved or removed last section) is reused; dead space in the middle is
//!   zeroed, never reused by moving other sections.
//! - The file header and program headers (rare in `ET_REL`) stay where they are; only
//!   `ET_REL` files are patched (elsewhere segments map sections, and that is refused).
//! - Extended section numbering is handled: a table of `SHN_LORESERVE` (0xff00) or more
//!   entries is written with `e_shnum == 0` and the count in section 0's `sh_size`, and a
//!   `.shstrtab` index of 0xff00 or more as `SHN_XINDEX` with the index in section 0's
//!   `sh_link`, as the gABI says.
//! - Bytes after the ELF image (what no header covers: a kernel module signature, or
//!   anything else) are dropped, and [`Patched::trailer`] says what they were; any change
//!   to the image invalidates a module signature anyway.
//!
//! With no edits at all, a file whose header table is the last part of its image comes
//! out byte-identical (minus any trailer).

use super::signature::{self, ModuleSignature};
use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::read::SymbolIndex;
use object::{Endian, Endianness};

const SHT_NULL: u32 = 0;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_NOBITS: u32 = 8;
const SHT_REL: u32 = 9;
const SHT_DYNSYM: u32 = 11;
const SHT_GROUP: u32 = 17;
const SHF_INFO_LINK: u64 = 0x40;
const SHF_COMPRESSED: u64 = 0x800;
const SHN_LORESERVE: u32 = 0xff00;
const SHN_XINDEX: u16 = 0xffff;
const ET_REL: u16 = 1;
/// The largest alignment of a section this code places (moves or adds).
const MAX_ALIGN: u64 = 0x1_0000;

/// Why a patch could not be applied. The input is never changed.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// `object` could not parse the file as ELF.
    #[error("not a readable ELF file: {0}")]
    Parse(#[from] object::Error),
    /// The file is not ELF (another object format).
    #[error("not an ELF file")]
    NotElf,
    /// Only relocatable objects are patched: in executables and shared objects sections
    /// are mapped by segments, which this code does not re-lay out.
    #[error("not a relocatable object (ELF type {0}); only ET_REL files (.o, .ko) can be patched")]
    NotRelocatable(u16),
    /// The file has no section header table.
    #[error("the ELF file has no section header table")]
    NoSections,
    /// A section's contents lie (partly) outside the file.
    #[error("section {name} [{index}] extends past the end of the file")]
    Truncated {
        /// The section's name.
        name: String,
        /// Its index.
        index: usize,
    },
    /// The file header or the program headers extend past the end of the file.
    #[error("the ELF header or program headers extend past the end of the file")]
    HeadersTruncated,
    /// More than one section has the name to edit.
    #[error("{count} sections are named {name}; refusing to guess which one to edit")]
    Ambiguous {
        /// The name.
        name: String,
        /// How many sections have it.
        count: usize,
    },
    /// [`Patch::replace`] of a section that does not exist.
    #[error("the ELF file has no {0} section")]
    Missing(String),
    /// The same name is edited twice in one patch.
    #[error("section {0} is edited twice in one patch")]
    Duplicate(String),
    /// A name that cannot be a section name (empty, or with a NUL byte).
    #[error("invalid section name {0:?}")]
    BadName(String),
    /// The section cannot be edited this way.
    #[error("section {name} [{index}] cannot be {action}: {reason}")]
    Refused {
        /// The section's name.
        name: String,
        /// Its index.
        index: usize,
        /// `replaced` or `removed`.
        action: &'static str,
        /// Why not.
        reason: &'static str,
    },
    /// The section is referred to by index, so removing it would leave a dangling
    /// reference.
    #[error("section {name} [{index}] cannot be removed: {by} refers to it")]
    Referenced {
        /// The section's name.
        name: String,
        /// Its index.
        index: usize,
        /// What refers to it (`sh_link of .rela.text [4]`, `symbol foo`, ...).
        by: String,
    },
    /// The result does not fit a 32-bit ELF file's offsets.
    #[error("the patched file does not fit 32-bit ELF offsets")]
    TooLarge,
    /// The section name string table cannot hold the names the patch needs.
    #[error("the section name string table [{index}] cannot be used: {reason}")]
    NameTable {
        /// `e_shstrndx`.
        index: usize,
        /// Why not.
        reason: &'static str,
    },
    /// A section that is kept shares bytes with the ELF file header (a crafted file):
    /// the header's `e_shoff`/`e_shnum`/`e_shstrndx` change, so the section could not
    /// keep its bytes.
    #[error("section {name} [{index}] overlaps the ELF file header")]
    HeaderOverlap {
        /// The section's name.
        name: String,
        /// Its index.
        index: usize,
    },
}

/// The header of a section that [`Patch::set`] adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewSection {
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub sh_flags: u64,
    /// `sh_addralign`.
    pub sh_addralign: u64,
    /// `sh_entsize`.
    pub sh_entsize: u64,
}

impl NewSection {
    /// What `.BTF` is in kernel modules, and what `.BTF.base` must be: `SHT_PROGBITS`,
    /// not allocated (flags 0), alignment 1.
    pub const BTF: NewSection = NewSection {
        sh_type: SHT_PROGBITS,
        sh_flags: 0,
        sh_addralign: 1,
        sh_entsize: 0,
    };
}

impl Default for NewSection {
    fn default() -> Self {
        NewSection::BTF
    }
}

/// One edit of a [`Patch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit<'a> {
    /// Replace the contents of the section, or add it with this header if it is missing.
    Set(&'a [u8], NewSection),
    /// Replace the contents of a section that must exist.
    Replace(&'a [u8]),
    /// Remove the section if it exists.
    Remove,
}

/// A set of section edits, applied to a file by [`Patch::apply`].
///
/// ```
/// # fn f(ko: &[u8], split: &[u8], dist_base: &[u8]) -> Result<(), btfkit::elf::PatchError> {
/// let mut patch = btfkit::elf::Patch::new();
/// patch.set(".BTF", split).set(".BTF.base", dist_base);
/// let patched = patch.apply(ko)?;
/// # let _ = patched.elf; Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patch<'a> {
    edits: Vec<(&'a str, Edit<'a>)>,
}

/// What happened to one edited section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The contents were replaced in the section's old place.
    ReplacedInPlace {
        /// Bytes before.
        old_size: u64,
        /// Bytes after.
        new_size: u64,
    },
    /// The contents were replaced and moved to the end of the file (they did not fit).
    ReplacedMoved {
        /// Bytes before.
        old_size: u64,
        /// Bytes after.
        new_size: u64,
    },
    /// The section was added.
    Added {
        /// Its size.
        size: u64,
    },
    /// The section was removed; its index is now an inactive `SHT_NULL` entry.
    Removed {
        /// Its size before.
        old_size: u64,
    },
    /// The section was removed and, being last in the table, dropped from it.
    Dropped {
        /// Its size before.
        old_size: u64,
    },
    /// A section to remove was not there.
    Absent,
}

/// What happened to one edited section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The section name.
    pub name: String,
    /// Its index (None for [`Action::Absent`]).
    pub index: Option<usize>,
    /// What happened.
    pub action: Action,
}

/// The bytes after the ELF image of the input (what no ELF header covers), all of
/// which are dropped from the output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trailer {
    /// An appended kernel module signature, when the input ends with one (its
    /// `offset` is where it starts in the input file).
    pub signature: Option<ModuleSignature>,
    /// Bytes after the image that are not a module signature.
    pub other_bytes: usize,
}

impl Trailer {
    /// Whether any bytes were dropped.
    pub fn is_empty(&self) -> bool {
        self.signature.is_none() && self.other_bytes == 0
    }
}

/// The result of [`Patch::apply`].
#[derive(Clone, Debug)]
pub struct Patched {
    /// The new file.
    pub elf: Vec<u8>,
    /// One entry per edit, in the order of the patch.
    pub changes: Vec<Change>,
    /// What followed the input's ELF image (dropped).
    pub trailer: Trailer,
}

impl<'a> Patch<'a> {
    /// An empty patch (applying it only drops trailing data).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the contents of section `name`, adding it (as [`NewSection::BTF`]) if the
    /// file has none.
    pub fn set(&mut self, name: &'a str, data: &'a [u8]) -> &mut Self {
        self.set_with(name, data, NewSection::BTF)
    }

    /// Like [`Patch::set`], with the header to use if the section is added.
    pub fn set_with(&mut self, name: &'a str, data: &'a [u8], new: NewSection) -> &mut Self {
        self.edits.push((name, Edit::Set(data, new)));
        self
    }

    /// Replaces the contents of section `name`, which must exist. Contents of the same
    /// size or smaller are written in place (e.g. `.BTF_ids` with re-resolved ids).
    pub fn replace(&mut self, name: &'a str, data: &'a [u8]) -> &mut Self {
        self.edits.push((name, Edit::Replace(data)));
        self
    }

    /// Removes section `name` if the file has it.
    pub fn remove(&mut self, name: &'a str) -> &mut Self {
        self.edits.push((name, Edit::Remove));
        self
    }

    /// The edits, in order.
    pub fn edits(&self) -> &[(&'a str, Edit<'a>)] {
        &self.edits
    }

    /// Applies the patch to the ELF file in `file` (which may end with a module
    /// signature or other trailing bytes; they are dropped and reported).
    pub fn apply(&self, file: &[u8]) -> Result<Patched, PatchError> {
        let kind = object::FileKind::parse(file)?;
        match kind {
            object::FileKind::Elf32 => apply_elf::<elf::FileHeader32<Endianness>>(self, file),
            object::FileKind::Elf64 => apply_elf::<elf::FileHeader64<Endianness>>(self, file),
            _ => Err(PatchError::NotElf),
        }
    }
}

/// Sets `.BTF` to `btf` and `.BTF.base` to `base` (adding them when missing), or removes
/// `.BTF.base` when `base` is None: what `btfkit distill` (with a base) and `btfkit
/// retarget` (without) write into a module.
pub fn set_btf(file: &[u8], btf: &[u8], base: Option<&[u8]>) -> Result<Patched, PatchError> {
    let mut p = Patch::new();
    p.set(".BTF", btf);
    match base {
        Some(b) => p.set(".BTF.base", b),
        None => p.remove(".BTF.base"),
    };
    p.apply(file)
}

/// Removes `.BTF` and `.BTF.base`.
pub fn strip_btf(file: &[u8]) -> Result<Patched, PatchError> {
    let mut p = Patch::new();
    p.remove(".BTF").remove(".BTF.base");
    p.apply(file)
}

/// The length of the ELF image at the start of `file`: the end of the furthest of the
/// file header, program headers, section contents and section header table. What
/// follows (a module signature, say) is not part of the ELF file.
pub fn image_len(file: &[u8]) -> Result<usize, PatchError> {
    match object::FileKind::parse(file)? {
        object::FileKind::Elf32 => {
            Layout::<elf::FileHeader32<Endianness>>::read(file).map(|l| l.extent as usize)
        }
        object::FileKind::Elf64 => {
            Layout::<elf::FileHeader64<Endianness>>::read(file).map(|l| l.extent as usize)
        }
        _ => Err(PatchError::NotElf),
    }
}

/// One section header, widened to 64 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sh {
    name: u32,
    ty: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    addralign: u64,
    entsize: u64,
}

impl Sh {
    fn has_bytes(&self) -> bool {
        self.ty != SHT_NULL && self.ty != SHT_NOBITS && self.size > 0
    }
}

/// The parsed input: headers and where everything is.
struct Layout<'data, Elf: FileHeader<Endian = Endianness>> {
    header: &'data Elf,
    endian: Endianness,
    shdrs: Vec<Sh>,
    names: Vec<Vec<u8>>,
    shstrndx: usize,
    /// `[start, end)` of the file header and program headers.
    fixed: Vec<(u64, u64)>,
    /// The old section header table.
    table: (u64, u64),
    /// The end of the ELF image.
    extent: u64,
}

impl<'data, Elf: FileHeader<Endian = Endianness>> Layout<'data, Elf> {
    fn read(data: &'data [u8]) -> Result<Self, PatchError> {
        let header = Elf::parse(data)?;
        let endian = header.endian()?;
        let raw = header.section_headers(endian, data)?;
        if raw.is_empty() {
            return Err(PatchError::NoSections);
        }
        let sections = header.sections(endian, data)?;
        let shstrndx = header.shstrndx(endian, data)? as usize;
        let mut shdrs = Vec::with_capacity(raw.len());
        let mut names = Vec::with_capacity(raw.len());
        for s in raw {
            shdrs.push(Sh {
                name: s.sh_name(endian),
                ty: s.sh_type(endian).0,
                flags: s.sh_flags(endian).0,
                addr: s.sh_addr(endian).into(),
                offset: s.sh_offset(endian).into(),
                size: s.sh_size(endian).into(),
                link: s.sh_link(endian),
                info: s.sh_info(endian),
                addralign: s.sh_addralign(endian).into(),
                entsize: s.sh_entsize(endian).into(),
            });
            names.push(
                sections
                    .section_name(endian, s)
                    .map(|n| n.to_vec())
                    .unwrap_or_default(),
            );
        }
        let ehsize =
            u64::from(header.e_ehsize(endian)).max(if header.is_type_64() { 64 } else { 52 });
        let mut fixed = vec![(0, ehsize)];
        let phoff: u64 = header.e_phoff(endian).into();
        let phnum = header.phnum(endian, data)?;
        if phoff != 0 && phnum > 0 {
            let end = u64::from(phnum)
                .checked_mul(u64::from(header.e_phentsize(endian)))
                .and_then(|len| phoff.checked_add(len))
                .ok_or(PatchError::HeadersTruncated)?;
            fixed.push((phoff, end));
        }
        for &(_, end) in &fixed {
            if end > data.len() as u64 {
                return Err(PatchError::HeadersTruncated);
            }
        }
        let shoff: u64 = header.e_shoff(endian).into();
        let table = (
            shoff,
            shoff + shdrs.len() as u64 * u64::from(header.e_shentsize(endian)),
        );
        let mut extent = fixed.iter().chain([&table]).map(|r| r.1).max().unwrap_or(0);
        for (i, s) in shdrs.iter().enumerate() {
            if s.has_bytes() {
                let end = s.offset.checked_add(s.size);
                match end {
                    Some(e) if e <= data.len() as u64 => extent = extent.max(e),
                    _ => {
                        return Err(PatchError::Truncated {
                            name: String::from_utf8_lossy(&names[i]).into_owned(),
                            index: i,
                        })
                    }
                }
            }
        }
        Ok(Layout {
            header,
            endian,
            shdrs,
            names,
            shstrndx,
            fixed,
            table,
            extent,
        })
    }

    fn name(&self, i: usize) -> String {
        String::from_utf8_lossy(&self.names[i]).into_owned()
    }

    /// What refers to section `target` by index, ignoring sections in `ignore`.
    fn referrer(&self, data: &'data [u8], target: usize, ignore: &[bool]) -> Option<String> {
        let t = target as u32;
        for (j, s) in self.shdrs.iter().enumerate() {
            if j == 0 || ignore[j] || s.ty == SHT_NULL {
                continue;
            }
            if s.link == t {
                return Some(format!("sh_link of {} [{j}]", self.name(j)));
            }
            let info_is_index = s.ty == SHT_REL
                || s.ty == SHT_RELA
                || (s.flags & SHF_INFO_LINK != 0 && s.ty != SHT_SYMTAB && s.ty != SHT_DYNSYM);
            if info_is_index && s.info == t {
                return Some(format!("sh_info of {} [{j}]", self.name(j)));
            }
            if s.ty == SHT_GROUP && s.has_bytes() {
                let bytes = &data[s.offset as usize..(s.offset + s.size) as usize];
                // Word 0 holds the group flags; the rest are member section indices.
                let member = bytes
                    .chunks_exact(4)
                    .skip(1)
                    .any(|w| self.endian.read_u32(w.try_into().expect("4 bytes")) == t);
                if member {
                    return Some(format!("group section {} [{j}]", self.name(j)));
                }
            }
        }
        let sections = self.header.sections(self.endian, data).ok()?;
        for ty in [elf::SHT_SYMTAB, elf::SHT_DYNSYM] {
            let Ok(symbols) = sections.symbols(self.endian, data, ty) else {
                continue;
            };
            if symbols.is_empty() || ignore[symbols.section().0] {
                continue;
            }
            for (i, sym) in symbols.enumerate().skip(1) {
                let shndx = sym.st_shndx(self.endian);
                let index = if shndx == elf::SHN_XINDEX {
                    symbols.shndx(self.endian, SymbolIndex(i.0))
                } else {
                    shndx.index().map(u32::from)
                };
                if index == Some(t) {
                    let name = sym
                        .name(self.endian, symbols.strings())
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                        .unwrap_or_default();
                    return Some(format!("symbol {} '{name}'", i.0));
                }
            }
        }
        None
    }
}

/// Where an edited section's contents go.
#[derive(Clone, Copy, Debug)]
enum Place<'a> {
    /// Unchanged.
    Keep,
    /// New contents at the old offset.
    Overwrite(&'a [u8]),
    /// New contents at the end of the file.
    Append(&'a [u8]),
    /// Removed.
    Gone,
}

fn bad_name(name: &str) -> bool {
    name.is_empty() || name.as_bytes().contains(&0)
}

fn apply_elf<Elf: FileHeader<Endian = Endianness>>(
    patch: &Patch<'_>,
    data: &[u8],
) -> Result<Patched, PatchError> {
    let layout = Layout::<Elf>::read(data)?;
    let endian = layout.endian;
    let is64 = layout.header.is_type_64();
    let e_type = layout.header.e_type(endian).0;
    if e_type != ET_REL {
        return Err(PatchError::NotRelocatable(e_type));
    }
    let n = layout.shdrs.len();
    // Names are read from `.shstrtab` whatever its type (as `object` and readelf do),
    // but a table of no type or of type SHT_NOBITS is not kept as bytes here.
    let names_sec = &layout.shdrs[layout.shstrndx];
    if layout.shstrndx == 0 {
        // SHN_XINDEX with section 0's sh_link 0: the result would say e_shstrndx 0,
        // which readers refuse.
        return Err(PatchError::NameTable {
            index: 0,
            reason: "e_shstrndx points at section 0",
        });
    }
    if names_sec.size > 0 && !names_sec.has_bytes() {
        return Err(PatchError::NameTable {
            index: layout.shstrndx,
            reason: "it is SHT_NULL or SHT_NOBITS",
        });
    }
    let mut shdrs = layout.shdrs.clone();
    let mut place: Vec<Place<'_>> = vec![Place::Keep; n];
    // Sections added: (name, data, header); their indices are assigned later.
    let mut added: Vec<(&str, &[u8], NewSection)> = Vec::new();
    let mut changes = Vec::with_capacity(patch.edits.len());
    let mut seen: Vec<&str> = Vec::new();

    for (name, edit) in &patch.edits {
        if bad_name(name) {
            return Err(PatchError::BadName(name.to_string()));
        }
        if seen.contains(name) {
            return Err(PatchError::Duplicate(name.to_string()));
        }
        seen.push(name);
        let found: Vec<usize> = (1..n)
            .filter(|&i| layout.shdrs[i].ty != SHT_NULL && layout.names[i] == name.as_bytes())
            .collect();
        if found.len() > 1 {
            return Err(PatchError::Ambiguous {
                name: name.to_string(),
                count: found.len(),
            });
        }
        let refuse = |index: usize, action: &'static str, reason: &'static str| {
            Err(PatchError::Refused {
                name: name.to_string(),
                index,
                action,
                reason,
            })
        };
        match (found.first().copied(), edit) {
            (Some(i), Edit::Set(new, _) | Edit::Replace(new)) => {
                if i == layout.shstrndx {
                    return refuse(i, "replaced", "it is the section name string table");
                }
                if layout.shdrs[i].ty == SHT_NOBITS {
                    return refuse(i, "replaced", "it is SHT_NOBITS (it has no contents)");
                }
                let old_size = layout.shdrs[i].size;
                let new_size = new.len() as u64;
                // Empty contents go to the end too, so that the offset stays inside the
                // file even when the old section was its last part.
                let action = if new_size <= old_size && new_size > 0 {
                    place[i] = Place::Overwrite(new);
                    Action::ReplacedInPlace { old_size, new_size }
                } else {
                    place[i] = Place::Append(new);
                    Action::ReplacedMoved { old_size, new_size }
                };
                shdrs[i].size = new_size;
                shdrs[i].flags &= !SHF_COMPRESSED;
                changes.push(Change {
                    name: name.to_string(),
                    index: Some(i),
                    action,
                });
            }
            (None, Edit::Set(new, spec)) => {
                added.push((name, new, *spec));
                changes.push(Change {
                    name: name.to_string(),
                    index: None, // filled in below
                    action: Action::Added {
                        size: new.len() as u64,
                    },
                });
            }
            (None, Edit::Replace(_)) => return Err(PatchError::Missing(name.to_string())),
            (Some(i), Edit::Remove) => {
                if i == layout.shstrndx {
                    return refuse(i, "removed", "it is the section name string table");
                }
                place[i] = Place::Gone;
                changes.push(Change {
                    name: name.to_string(),
                    index: Some(i),
                    action: Action::Removed {
                        old_size: layout.shdrs[i].size,
                    },
                });
            }
            (None, Edit::Remove) => changes.push(Change {
                name: name.to_string(),
                index: None,
                action: Action::Absent,
            }),
        }
    }

    // A section is only overwritten in place if its old bytes are its own: contents that
    // overlap another section or the headers (a crafted file) are moved instead.
    let overlaps = |a: (u64, u64), b: (u64, u64)| a.0 < b.1 && b.0 < a.1;
    for i in 0..n {
        let Place::Overwrite(new) = place[i] else {
            continue;
        };
        let s = &layout.shdrs[i];
        let mine = (s.offset, s.offset + s.size);
        let shared = layout.fixed.iter().any(|&r| overlaps(mine, r))
            || layout.shdrs.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.has_bytes()
                    && !matches!(place[j], Place::Gone)
                    && overlaps(mine, (o.offset, o.offset + o.size))
            });
        if shared {
            place[i] = Place::Append(new);
            for c in changes.iter_mut().filter(|c| c.index == Some(i)) {
                if let Action::ReplacedInPlace { old_size, new_size } = c.action {
                    c.action = Action::ReplacedMoved { old_size, new_size };
                }
            }
        }
    }

    // The file header is rewritten below: a kept section must not share its bytes.
    let ehdr = layout.fixed[0];
    for (i, s) in layout.shdrs.iter().enumerate() {
        if matches!(place[i], Place::Keep)
            && s.has_bytes()
            && overlaps(ehdr, (s.offset, s.offset + s.size))
        {
            return Err(PatchError::HeaderOverlap {
                name: layout.name(i),
                index: i,
            });
        }
    }

    // Removals: refuse dangling references, then blank the headers.
    let gone: Vec<bool> = place.iter().map(|p| matches!(p, Place::Gone)).collect();
    for i in (0..n).filter(|&i| gone[i]) {
        if let Some(by) = layout.referrer(data, i, &gone) {
            return Err(PatchError::Referenced {
                name: layout.name(i),
                index: i,
                by,
            });
        }
        shdrs[i] = Sh::default();
    }
    // Drop removed sections from the end of the table.
    let mut kept = n;
    while kept > 1 && gone[kept - 1] {
        kept -= 1;
    }
    for c in &mut changes {
        if let (Some(i), Action::Removed { old_size }) = (c.index, &c.action) {
            if i >= kept {
                c.action = Action::Dropped {
                    old_size: *old_size,
                };
            }
        }
    }
    shdrs.truncate(kept);
    place.truncate(kept);

    // Names of added sections: reuse a string of .shstrtab, or extend a copy of it.
    let old_strtab: &[u8] = {
        let s = &layout.shdrs[layout.shstrndx];
        if s.has_bytes() {
            &data[s.offset as usize..(s.offset + s.size) as usize]
        } else {
            &[]
        }
    };
    let mut new_strtab: Option<Vec<u8>> = None;
    for (k, (name, bytes, spec)) in added.iter().enumerate() {
        let mut needle = name.as_bytes().to_vec();
        needle.push(0);
        let table = new_strtab.as_deref().unwrap_or(old_strtab);
        let off = match memchr::memmem::find(table, &needle) {
            Some(off) => off,
            None => {
                let t = new_strtab.get_or_insert_with(|| old_strtab.to_vec());
                if t.last().is_some_and(|&b| b != 0) {
                    t.push(0);
                }
                let off = t.len();
                t.extend_from_slice(&needle);
                off
            }
        };
        let index = shdrs.len();
        shdrs.push(Sh {
            name: u32::try_from(off).map_err(|_| PatchError::TooLarge)?,
            ty: spec.sh_type,
            flags: spec.sh_flags,
            addr: 0,
            offset: 0,
            size: bytes.len() as u64,
            link: 0,
            info: 0,
            addralign: spec.sh_addralign,
            entsize: spec.sh_entsize,
        });
        place.push(Place::Append(bytes));
        // The k-th Added change (in patch order) gets this index.
        if let Some(c) = changes
            .iter_mut()
            .filter(|c| matches!(c.action, Action::Added { .. }))
            .nth(k)
        {
            c.index = Some(index);
        }
    }
    if let Some(t) = &new_strtab {
        place[layout.shstrndx] = Place::Append(t);
        shdrs[layout.shstrndx].size = t.len() as u64;
        shdrs[layout.shstrndx].flags &= !SHF_COMPRESSED;
    }

    // Live byte ranges of the old image that stay where they are.
    let mut live: Vec<(u64, u64)> = layout.fixed.clone();
    let mut dead: Vec<(u64, u64)> = vec![layout.table];
    for (i, s) in layout.shdrs.iter().enumerate() {
        if !s.has_bytes() {
            continue;
        }
        let old = (s.offset, s.offset + s.size);
        match place.get(i).copied().unwrap_or(Place::Gone) {
            Place::Keep => live.push(old),
            Place::Overwrite(b) => {
                live.push((s.offset, s.offset + b.len() as u64));
                dead.push((s.offset + b.len() as u64, old.1));
            }
            Place::Append(_) | Place::Gone => dead.push(old),
        }
    }
    live.retain(|r| r.1 > r.0);
    live.sort_unstable();
    let end = live.iter().map(|r| r.1).max().unwrap_or(0);
    let mut out = data[..end as usize].to_vec();
    // Zero what is dead and not covered by anything live.
    for &(ds, de) in &dead {
        let (ds, de) = (ds.min(end), de.min(end));
        let mut at = ds;
        for &(ls, le) in &live {
            if at >= de {
                break;
            }
            if le <= at || ls >= de {
                continue;
            }
            if ls > at {
                out[at as usize..ls as usize].fill(0);
            }
            at = at.max(le);
        }
        if at < de {
            out[at as usize..de as usize].fill(0);
        }
    }
    for (i, p) in place.iter().enumerate() {
        if let Place::Overwrite(b) = p {
            let off = shdrs[i].offset as usize;
            out[off..off + b.len()].copy_from_slice(b);
        }
    }
    // New contents at the end, in index order.
    for (i, p) in place.iter().enumerate() {
        if let Place::Append(b) = p {
            let align = shdrs[i].addralign.max(1);
            if !align.is_power_of_two() || align > MAX_ALIGN {
                return Err(PatchError::Refused {
                    name: if i < kept {
                        layout.name(i)
                    } else {
                        added[i - kept].0.to_string()
                    },
                    index: i,
                    action: "placed",
                    reason: "its sh_addralign is not a power of two of at most 64 KiB",
                });
            }
            // No padding for empty contents: it would be dead space before the header
            // table, and the result would not come back byte-identical from an empty
            // patch.
            if !b.is_empty() {
                pad_to(&mut out, align);
            }
            shdrs[i].offset = out.len() as u64;
            out.extend_from_slice(b);
        }
    }

    // The section header table.
    let count = shdrs.len() as u32;
    let shstrndx = layout.shstrndx as u32;
    let extended_count = count >= SHN_LORESERVE;
    shdrs[0].size = if extended_count { u64::from(count) } else { 0 };
    let extended_strndx = shstrndx >= SHN_LORESERVE;
    shdrs[0].link = if extended_strndx { shstrndx } else { 0 };
    pad_to(&mut out, if is64 { 8 } else { 4 });
    let shoff = out.len() as u64;
    let be = endian == Endianness::Big;
    for s in &shdrs {
        write_shdr(&mut out, s, is64, be)?;
    }
    if !is64 && out.len() as u64 > u64::from(u32::MAX) {
        return Err(PatchError::TooLarge);
    }

    // The file header.
    let (shoff_at, shnum_at, shstrndx_at) = if is64 {
        (0x28, 0x3c, 0x3e)
    } else {
        (0x20, 0x30, 0x32)
    };
    if is64 {
        put(&mut out, shoff_at, &shoff.to_be_bytes(), be);
    } else {
        put(&mut out, shoff_at, &(shoff as u32).to_be_bytes(), be);
    }
    let e_shnum = if extended_count { 0 } else { count as u16 };
    put(&mut out, shnum_at, &e_shnum.to_be_bytes(), be);
    let e_shstrndx = if extended_strndx {
        SHN_XINDEX
    } else {
        shstrndx as u16
    };
    put(&mut out, shstrndx_at, &e_shstrndx.to_be_bytes(), be);

    let trailer = trailer(data, layout.extent as usize);
    Ok(Patched {
        elf: out,
        changes,
        trailer,
    })
}

/// What the bytes of `data` after the ELF image (from `extent`) are.
fn trailer(data: &[u8], extent: usize) -> Trailer {
    let rest = &data[extent..];
    if rest.is_empty() {
        return Trailer::default();
    }
    match signature::find(rest) {
        Ok(Some(mut sig)) => {
            let other_bytes = sig.offset;
            sig.offset += extent;
            Trailer {
                other_bytes,
                signature: Some(sig),
            }
        }
        _ => Trailer {
            signature: None,
            other_bytes: rest.len(),
        },
    }
}

fn pad_to(out: &mut Vec<u8>, align: u64) {
    let rem = out.len() as u64 % align;
    if rem != 0 {
        out.resize(out.len() + (align - rem) as usize, 0);
    }
}

/// Writes `be_bytes` (a big-endian encoding) at `at` in the file's byte order.
fn put(out: &mut [u8], at: usize, be_bytes: &[u8], big_endian: bool) {
    let dst = &mut out[at..at + be_bytes.len()];
    dst.copy_from_slice(be_bytes);
    if !big_endian {
        dst.reverse();
    }
}

fn push(out: &mut Vec<u8>, be_bytes: &[u8], big_endian: bool) {
    let at = out.len();
    out.extend_from_slice(be_bytes);
    if !big_endian {
        out[at..].reverse();
    }
}

fn write_shdr(out: &mut Vec<u8>, s: &Sh, is64: bool, be: bool) -> Result<(), PatchError> {
    push(out, &s.name.to_be_bytes(), be);
    push(out, &s.ty.to_be_bytes(), be);
    if is64 {
        for v in [s.flags, s.addr, s.offset, s.size] {
            push(out, &v.to_be_bytes(), be);
        }
        push(out, &s.link.to_be_bytes(), be);
        push(out, &s.info.to_be_bytes(), be);
        push(out, &s.addralign.to_be_bytes(), be);
        push(out, &s.entsize.to_be_bytes(), be);
    } else {
        let w = |v: u64| u32::try_from(v).map_err(|_| PatchError::TooLarge);
        for v in [s.flags, s.addr, s.offset, s.size] {
            push(out, &w(v)?.to_be_bytes(), be);
        }
        push(out, &s.link.to_be_bytes(), be);
        push(out, &s.info.to_be_bytes(), be);
        push(out, &w(s.addralign)?.to_be_bytes(), be);
        push(out, &w(s.entsize)?.to_be_bytes(), be);
    }
    Ok(())
}
