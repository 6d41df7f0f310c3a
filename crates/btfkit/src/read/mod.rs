//! Zero-copy reading of BTF: [`Btf`] over a byte slice, base or split, in either byte
//! order. Parsing checks only what it must to index the types safely (header and
//! section bounds, every record inside the type section); [`crate::validate`] checks
//! the rest.

mod strings;
mod types;

pub use strings::Strings;
pub use types::{ArrayInfo, EnumValue, IntInfo, Member, Param, Type, VarSecinfo};

use crate::endian::Endian;
use crate::error::{Error, Result, Rule};
use crate::id::{StrOffset, TypeId};
use crate::kind::Kind;
use crate::raw;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// The decoded `struct btf_header`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Byte order the blob is written in (from the magic).
    pub endian: Endian,
    /// `version`.
    pub version: u8,
    /// `flags`.
    pub flags: u8,
    /// `hdr_len`.
    pub hdr_len: u32,
    /// `type_off`, relative to the end of the header.
    pub type_off: u32,
    /// `type_len`.
    pub type_len: u32,
    /// `str_off`, relative to the end of the header.
    pub str_off: u32,
    /// `str_len`.
    pub str_len: u32,
    /// `layout_off` (0 when `hdr_len` < 32).
    pub layout_off: u32,
    /// `layout_len` (0 when `hdr_len` < 32).
    pub layout_len: u32,
}

impl Header {
    /// Reads the header of `data`: magic (either byte order), `hdr_len` and the section
    /// table. Checks only that the announced header fits in `data`.
    pub fn parse(data: &[u8]) -> Result<Header> {
        if data.len() < raw::HEADER_LEN {
            return Err(Error::blob(
                Rule::HeaderTruncated,
                0,
                format!(
                    "blob is {} bytes, shorter than the {}-byte BTF header",
                    data.len(),
                    raw::HEADER_LEN
                ),
            ));
        }
        let endian = match [data[0], data[1]] {
            [0x9f, 0xeb] => Endian::Little,
            [0xeb, 0x9f] => Endian::Big,
            [a, b] => {
                return Err(Error::blob(
                    Rule::BadMagic,
                    0,
                    format!(
                        "bad magic {a:02x} {b:02x}: not BTF (expected 0xeB9F in either byte order)"
                    ),
                ))
            }
        };
        let e = endian;
        let hdr_len = e.u32(data, raw::header::HDR_LEN);
        if (hdr_len as usize) < raw::HEADER_LEN || hdr_len as usize > data.len() {
            return Err(Error::blob(
                Rule::BadHeaderLen,
                raw::header::HDR_LEN,
                format!(
                    "hdr_len {hdr_len} is outside [{}, {}] (blob length)",
                    raw::HEADER_LEN,
                    data.len()
                ),
            ));
        }
        let (layout_off, layout_len) = if hdr_len as usize >= raw::HEADER_LAYOUT_LEN {
            (
                e.u32(data, raw::header::LAYOUT_OFF),
                e.u32(data, raw::header::LAYOUT_LEN),
            )
        } else {
            (0, 0)
        };
        Ok(Header {
            endian,
            version: data[raw::header::VERSION],
            flags: data[raw::header::FLAGS],
            hdr_len,
            type_off: e.u32(data, raw::header::TYPE_OFF),
            type_len: e.u32(data, raw::header::TYPE_LEN),
            str_off: e.u32(data, raw::header::STR_OFF),
            str_len: e.u32(data, raw::header::STR_LEN),
            layout_off,
            layout_len,
        })
    }

    /// Whether the extended header with a layout section is used.
    pub fn has_layout(&self) -> bool {
        self.hdr_len as usize >= raw::HEADER_LAYOUT_LEN && self.layout_len > 0
    }
}

/// One entry of the layout section: how to skip a record of some kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutEntry {
    /// Bytes after the 12-byte record, before the `vlen` elements.
    pub info_sz: u8,
    /// Bytes per `vlen` element.
    pub elem_sz: u8,
    /// Flags (currently unused).
    pub flags: u16,
}

/// Parsed BTF: a base or a split blob, borrowed.
pub struct Btf<'data> {
    data: &'data [u8],
    header: Header,
    types: &'data [u8],
    strings: Strings<'data>,
    layout: &'data [u8],
    /// Offset of each own type's record inside `types`; index = id - `start_id`.
    offsets: Vec<u32>,
    base: Option<&'data Btf<'data>>,
    start_id: u32,
    start_str_off: u32,
    names: OnceLock<NameIndex>,
    strs: OnceLock<StrIndex>,
    /// Whether the own types are sorted by name (`crate::sort::is_sorted`), once asked.
    sorted: OnceLock<bool>,
}

/// Index of this blob's own strings by content: offsets keyed by the hash of the string.
/// The first occurrence of a string wins, as in libbpf's strset.
#[derive(Default)]
struct StrIndex {
    /// Offset and length of each distinct string (compared without looking for NULs).
    table: hashbrown::HashTable<(u32, u32)>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// By-name index of own types: a hash table of type ids keyed by the hash of their name.
/// It holds no borrow, so `Btf` stays covariant in `'data`.
#[derive(Default)]
struct NameIndex {
    table: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// Returns `data[off .. off + len]` relative to `base`, or an error naming `what`.
fn section<'d>(data: &'d [u8], base: usize, off: u32, len: u32, what: &str) -> Result<&'d [u8]> {
    let start = base as u64 + off as u64;
    let end = start + len as u64;
    if end > data.len() as u64 {
        return Err(Error::blob(
            Rule::SectionOutOfBounds,
            base,
            format!(
                "{what} section [{start:#x}, {end:#x}) extends past the end of the {}-byte blob",
                data.len()
            ),
        ));
    }
    Ok(&data[start as usize..end as usize])
}

impl<'data> Btf<'data> {
    /// Parses a base (standalone) BTF blob.
    pub fn parse(data: &'data [u8]) -> Result<Btf<'data>> {
        Self::parse_inner(data, None)
    }

    /// Parses split BTF whose type ids and string offsets continue those of `base`.
    pub fn parse_split(data: &'data [u8], base: &'data Btf<'data>) -> Result<Btf<'data>> {
        Self::parse_inner(data, Some(base))
    }

    fn parse_inner(data: &'data [u8], base: Option<&'data Btf<'data>>) -> Result<Btf<'data>> {
        let header = Header::parse(data)?;
        let h = header.hdr_len as usize;
        let types = section(data, h, header.type_off, header.type_len, "type")?;
        let strings = section(data, h, header.str_off, header.str_len, "string")?;
        let layout = if header.hdr_len as usize >= raw::HEADER_LAYOUT_LEN {
            section(data, h, header.layout_off, header.layout_len, "layout")?
        } else {
            &[]
        };
        let (start_id, start_str_off) = match base {
            Some(b) => (b.next_id().0, b.next_str_off().0),
            None => (1, 0),
        };
        let mut btf = Btf {
            data,
            header,
            types,
            strings: Strings::new(strings),
            layout,
            offsets: Vec::new(),
            base,
            start_id,
            start_str_off,
            names: OnceLock::new(),
            strs: OnceLock::new(),
            sorted: OnceLock::new(),
        };
        btf.index_types()?;
        Ok(btf)
    }

    /// Walks the type section once, recording where each record starts.
    fn index_types(&mut self) -> Result<()> {
        let e = self.header.endian;
        let types = self.types;
        let sec_start = self.header.hdr_len as usize + self.header.type_off as usize;
        // Every record is at least 12 bytes: this bounds the allocation by the input.
        let mut offsets = Vec::with_capacity(types.len() / 16 + 1);
        let mut pos = 0usize;
        while pos < types.len() {
            let id = TypeId(self.start_id.saturating_add(offsets.len() as u32));
            if types.len() - pos < raw::TYPE_LEN {
                return Err(Error::blob(
                    Rule::TypeTruncated,
                    sec_start + pos,
                    format!(
                        "type [{id}]: {} bytes left in the type section, a type record needs {}",
                        types.len() - pos,
                        raw::TYPE_LEN
                    ),
                ));
            }
            let info = e.u32(types, pos + 4);
            let kind = Kind(raw::info_kind(info));
            let vlen = raw::info_vlen(info) as u64;
            let (info_sz, elem_sz) = match (kind.info_size(), kind.elem_size()) {
                (Some(i), Some(el)) => (i as u64, el as u64),
                _ => match self.layout_entry(kind) {
                    Some(l) => (l.info_sz as u64, l.elem_sz as u64),
                    None => {
                        return Err(Error::at_type(
                            Rule::UnknownKind,
                            id,
                            kind,
                            "",
                            sec_start + pos,
                            format!(
                                "kind {} is unknown and no layout section describes it",
                                kind.0
                            ),
                        ))
                    }
                },
            };
            let len = raw::TYPE_LEN as u64 + info_sz + vlen * elem_sz;
            if len > (types.len() - pos) as u64 {
                return Err(Error::at_type(
                    Rule::TypeTruncated,
                    id,
                    kind,
                    "",
                    sec_start + pos,
                    format!(
                        "record needs {len} bytes (vlen {vlen}) but only {} are left in the type section",
                        types.len() - pos
                    ),
                ));
            }
            offsets.push(pos as u32);
            pos += len as usize;
        }
        self.offsets = offsets;
        Ok(())
    }

    /// Byte offset of each own type's record inside the type section, in id order.
    pub(crate) fn type_offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The layout entry for `kind`, when the blob has a layout section covering it.
    pub fn layout_entry(&self, kind: Kind) -> Option<LayoutEntry> {
        let at = kind.0 as usize * raw::LAYOUT_ENTRY_LEN;
        if at + raw::LAYOUT_ENTRY_LEN > self.layout.len() {
            return None;
        }
        Some(LayoutEntry {
            info_sz: self.layout[at],
            elem_sz: self.layout[at + 1],
            flags: self.header.endian.u16(self.layout, at + 2),
        })
    }

    /// The raw layout section (empty when absent).
    pub fn layout_section(&self) -> &'data [u8] {
        self.layout
    }

    /// The whole blob.
    pub fn data(&self) -> &'data [u8] {
        self.data
    }
    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }
    /// Byte order.
    pub fn endian(&self) -> Endian {
        self.header.endian
    }
    /// The raw type section.
    pub fn type_section(&self) -> &'data [u8] {
        self.types
    }
    /// This blob's own string section.
    pub fn strings(&self) -> Strings<'data> {
        self.strings
    }
    /// The base this split BTF continues, if any.
    pub fn base(&self) -> Option<&'data Btf<'data>> {
        self.base
    }
    /// Whether this is split BTF.
    pub fn is_split(&self) -> bool {
        self.base.is_some()
    }
    /// The first id of this blob's own types (1 for base BTF).
    pub fn start_id(&self) -> TypeId {
        TypeId(self.start_id)
    }
    /// The string offset where this blob's own strings start (0 for base BTF).
    pub fn start_str_off(&self) -> StrOffset {
        StrOffset(self.start_str_off)
    }
    /// Number of this blob's own types (void not counted).
    pub fn type_count(&self) -> u32 {
        self.offsets.len() as u32
    }
    /// The id the next added type would get: base and own types, plus void.
    pub fn next_id(&self) -> TypeId {
        TypeId(self.start_id + self.offsets.len() as u32)
    }
    /// One past the highest string offset of base and own strings.
    pub fn next_str_off(&self) -> StrOffset {
        StrOffset(self.start_str_off + self.strings.len() as u32)
    }

    /// Ids of this blob's own types, in order.
    pub fn own_ids(&self) -> impl ExactSizeIterator<Item = TypeId> {
        let s = self.start_id;
        (0..self.offsets.len() as u32).map(move |i| TypeId(s + i))
    }

    /// This blob's own types, in id order.
    pub fn types(&self) -> impl ExactSizeIterator<Item = Type<'data>> + '_ {
        (0..self.offsets.len()).map(move |i| self.own_type(i))
    }

    #[inline]
    fn own_type(&self, i: usize) -> Type<'data> {
        let start = self.offsets[i] as usize;
        let end = self
            .offsets
            .get(i + 1)
            .map_or(self.types.len(), |&o| o as usize);
        let rec = &self.types[start..end];
        let e = self.header.endian;
        Type {
            id: TypeId(self.start_id + i as u32),
            record: rec,
            endian: e,
            blob_offset: (self.header.hdr_len + self.header.type_off) + start as u32,
            name_off: e.u32(rec, 0),
            info: e.u32(rec, 4),
            size_type: e.u32(rec, 8),
        }
    }

    /// The type with id `id`, in this blob or its base. `None` for void (id 0) and for
    /// ids out of range.
    #[inline]
    pub fn type_by_id(&self, id: TypeId) -> Option<Type<'data>> {
        if id.0 >= self.start_id {
            let i = (id.0 - self.start_id) as usize;
            (i < self.offsets.len()).then(|| self.own_type(i))
        } else {
            match self.base {
                Some(b) => b.type_by_id(id),
                None => None,
            }
        }
    }

    /// Whether `id` names void or an existing type (base or own).
    #[inline]
    pub fn is_valid_id(&self, id: TypeId) -> bool {
        id.0 < self.next_id().0
    }

    /// The string at `off`, resolving offsets below [`Self::start_str_off`] in the base.
    /// `None` when the offset is out of range.
    #[inline]
    pub fn str_at(&self, off: StrOffset) -> Option<&'data [u8]> {
        if off.0 < self.start_str_off {
            self.base?.str_at(off)
        } else {
            self.strings.get((off.0 - self.start_str_off) as usize)
        }
    }

    /// Whether `off` points at the start of a string (not into the middle of one).
    pub fn is_str_start(&self, off: StrOffset) -> bool {
        if off.0 < self.start_str_off {
            self.base.is_some_and(|b| b.is_str_start(off))
        } else {
            self.strings
                .is_string_start((off.0 - self.start_str_off) as usize)
        }
    }

    /// The name of a type as bytes (empty for anonymous types and bad offsets).
    #[inline]
    pub fn name(&self, t: &Type<'_>) -> &'data [u8] {
        self.str_at(t.name_off()).unwrap_or(b"")
    }

    /// The name of a type as text, with invalid UTF-8 replaced.
    pub fn name_lossy(&self, t: &Type<'_>) -> String {
        String::from_utf8_lossy(self.name(t)).into_owned()
    }

    fn name_index(&self) -> &NameIndex {
        self.names.get_or_init(|| {
            let mut idx = NameIndex::default();
            idx.table.reserve(self.offsets.len(), |_| 0);
            for t in self.types() {
                let name = self.name(&t);
                if !name.is_empty() {
                    let h = idx.hasher.hash_one(name);
                    // Capacity was reserved above, so the rehash closure is never called.
                    idx.table.insert_unique(h, t.id().0, |_| 0);
                }
            }
            idx
        })
    }

    /// Ids of all types named `name`, base types first, in id order. The index is built
    /// on first use and kept.
    pub fn find_by_name(&self, name: &[u8]) -> Vec<TypeId> {
        let mut out = self.base.map_or_else(Vec::new, |b| b.find_by_name(name));
        if name.is_empty() {
            return out;
        }
        let idx = self.name_index();
        let first_own = out.len();
        out.extend(
            idx.table
                .iter_hash(idx.hasher.hash_one(name))
                .map(|&id| TypeId(id))
                .filter(|&id| self.type_by_id(id).is_some_and(|t| self.name(&t) == name)),
        );
        out[first_own..].sort_unstable();
        out
    }

    /// `f()`, computed once per parsed blob: whether its own types are sorted by name
    /// (the kernel's order), which workflows ask of one vmlinux for every module.
    pub(crate) fn sorted_by_name(&self, f: impl FnOnce() -> bool) -> bool {
        *self.sorted.get_or_init(f)
    }

    fn str_index(&self) -> &StrIndex {
        self.strs.get_or_init(|| {
            let mut idx = StrIndex::default();
            let bytes = self.strings.bytes();
            // Room for every string at once (counting them is cheap next to hashing them;
            // a guess from the size would over-allocate by several MB on a vmlinux).
            idx.table
                .reserve(memchr::memchr_iter(0, bytes).count() + 1, |_| 0);
            let at = |(o, l): (u32, u32)| &bytes[o as usize..(o + l) as usize];
            let mut off = 0usize;
            while off < bytes.len() {
                let len = memchr::memchr(0, &bytes[off..]).unwrap_or(bytes.len() - off);
                let s = &bytes[off..off + len];
                let h = idx.hasher.hash_one(s);
                let hasher = &idx.hasher;
                // The first occurrence of a string wins, as in libbpf's strset.
                if let hashbrown::hash_table::Entry::Vacant(v) = idx.table.entry(
                    h,
                    |&e| e.1 as usize == len && at(e) == s,
                    |&e| hasher.hash_one(at(e)),
                ) {
                    v.insert((off as u32, len as u32));
                }
                off += len + 1;
            }
            idx
        })
    }

    /// The offset of string `s` in this blob or its base (base first), like libbpf's
    /// `btf__find_str`. The index is built on first use.
    pub fn find_str(&self, s: &[u8]) -> Option<StrOffset> {
        if let Some(off) = self.base.and_then(|b| b.find_str(s)) {
            return Some(off);
        }
        let idx = self.str_index();
        let h = idx.hasher.hash_one(s);
        let bytes = self.strings.bytes();
        idx.table
            .find(h, |&(o, l)| {
                l as usize == s.len() && &bytes[o as usize..(o + l) as usize] == s
            })
            .map(|&(o, _)| StrOffset(self.start_str_off + o))
    }

    /// The first type named `name` of kind `kind`, base first.
    pub fn find_by_name_kind(&self, name: &[u8], kind: Kind) -> Option<TypeId> {
        self.find_by_name(name)
            .into_iter()
            .find(|&id| self.type_by_id(id).is_some_and(|t| t.kind() == kind))
    }
}

impl std::fmt::Debug for Btf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btf")
            .field("endian", &self.header.endian)
            .field("start_id", &self.start_id)
            .field("types", &self.offsets.len())
            .field("str_len", &self.strings.len())
            .field("split", &self.base.is_some())
            .finish()
    }
}
