//! `.BTF_ids`: the BTF type ids that the kernel's `resolve_btfids` writes into an object
//! at build time (kfunc sets, struct_ops, `BTF_ID_LIST`s), read the way `resolve_btfids`
//! reads them, checked against a BTF, and rewritten into another id space (after
//! distilling or retargeting the object's BTF).
//!
//! # The format (`include/linux/btf_ids.h`, `tools/bpf/resolve_btfids/main.c`)
//!
//! `.BTF_ids` is an array of 32-bit words in the object's byte order. Which word means
//! what is told only by the symbols of `.symtab` defined in the section:
//!
//! - `__BTF_ID__<kind>__<name>__<n>` (`BTF_ID(kind, name)`, kinds `struct`, `union`,
//!   `typedef`, `func`): the word at the symbol holds the id of the first type of that
//!   kind and name (`resolve_btfids` scans the module's BTF, base first, and keeps the
//!   first match; 0 when there is none). `<n>` is a uniquifier; the name is what lies
//!   between the kind and the *last* `__` (names may contain `__`: `nf_conn___init`).
//! - `__BTF_ID__set__<name>` (`BTF_SET_START`): `struct btf_id_set { u32 cnt; u32
//!   ids[]; }`, its `BTF_ID` entries following; the symbol's size covers the set, and
//!   `resolve_btfids` stores `cnt = size / 4 - 1` and sorts `ids` ascending (`qsort` of
//!   `u32`).
//! - `__BTF_ID__set8__<name>` (`BTF_SET8_START`, `BTF_KFUNCS_START`): `struct
//!   btf_id_set8 { u32 cnt; u32 flags; struct { u32 id; u32 flags; } pairs[]; }`
//!   (set flag `BTF_SET8_KFUNCS` = 1 for kfunc sets); `cnt = size / 8 - 1`, and the
//!   pairs are sorted by id, each keeping its flags.
//! - `BTF_ID_LIST(name)`: a plain symbol `name` (no prefix) at the first of consecutive
//!   `BTF_ID` entries (or `BTF_ID_UNUSED` zero words); nothing else marks where it ends.
//!
//! Because sets are sorted after the ids are written, inside a set the symbol at a slot
//! does not (in general) name the id stored in that slot: a set is checked as a whole
//! (its ids against its members' kinds and names).
//!
//! The ids are in the object's id space: for a module with plain split BTF, vmlinux ids
//! below the split's first id and module ids above; for a module with `.BTF.base`, the
//! distilled base + split, which the kernel maps through its relocation
//! (`btf_relocate_id`) when it registers kfunc sets.
//!
//! # Rewriting
//!
//! [`BtfIds::rewrite`] maps every id word (each entry outside a set, and every slot of
//! every set) through a function and then sorts each set by id exactly as
//! `resolve_btfids` does (stable, so pairs with equal ids keep their order and flags).
//! Zero words (unresolved entries, `BTF_ID_UNUSED`) stay zero; set headers (`cnt`,
//! `flags`) and pair flags are not touched; the section keeps its size.
//! [`BtfIds::roots`] names the base types the entries need, for a distillation that
//! keeps them ([`crate::module`] does that).

use crate::{Btf, Endian, Kind, TypeId};
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind, SymbolSection};

/// The section name.
pub const SECTION: &str = ".BTF_ids";
/// The prefix of every entry and set symbol.
pub const PREFIX: &str = "__BTF_ID__";
/// `BTF_SET8_KFUNCS`: the set8 holds kfuncs.
pub const BTF_SET8_KFUNCS: u32 = 1;
/// `KSYM_NAME_LEN`: `resolve_btfids` refuses entry names this long or longer.
const KSYM_NAME_LEN: usize = 512;

/// Why `.BTF_ids` could not be read or rewritten.
#[derive(Debug, thiserror::Error)]
pub enum BtfIdsError {
    /// `object` could not parse the file as ELF.
    #[error("not a readable ELF file: {0}")]
    Elf(#[from] object::Error),
    /// `.BTF_ids` is `SHT_NOBITS`.
    #[error(".BTF_ids has no contents (SHT_NOBITS)")]
    NoBits,
    /// The object has more than one `.BTF_ids` section.
    #[error("the ELF file has more than one .BTF_ids section")]
    Duplicate,
    /// `.BTF_ids` is stored compressed (`SHF_COMPRESSED`): the kernel and
    /// `resolve_btfids` use the section's bytes as they are, and decompressing would
    /// let a small file claim an arbitrarily large section.
    #[error(".BTF_ids is compressed (SHF_COMPRESSED): its ids are read as the section is stored")]
    Compressed,
    /// The object has `.BTF_ids` but no `.symtab`: which words are ids cannot be told.
    #[error(".BTF_ids is present but the object has no .symtab (stripped?): its entries cannot be found")]
    NoSymtab,
    /// A symbol that `resolve_btfids` would refuse (and so fail the build).
    #[error(".BTF_ids symbol {symbol}: {reason}")]
    BadSymbol {
        /// The symbol.
        symbol: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The map of [`BtfIds::rewrite`] has no image for a stored id.
    #[error(".BTF_ids {what}: id {id} has no counterpart in the new BTF")]
    Unmapped {
        /// The entry or set slot.
        what: String,
        /// The stored id.
        id: u32,
    },
}

/// The kind of type a `__BTF_ID__<kind>__...` entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// `struct`: a STRUCT.
    Struct,
    /// `union`: a UNION.
    Union,
    /// `typedef`: a TYPEDEF.
    Typedef,
    /// `func`: a FUNC.
    Func,
}

impl EntryKind {
    /// The BTF kind `resolve_btfids` looks for.
    pub fn btf_kind(self) -> Kind {
        match self {
            EntryKind::Struct => Kind::STRUCT,
            EntryKind::Union => Kind::UNION,
            EntryKind::Typedef => Kind::TYPEDEF,
            EntryKind::Func => Kind::FUNC,
        }
    }

    /// As spelled in the symbol (`struct`, `union`, `typedef`, `func`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Struct => "struct",
            EntryKind::Union => "union",
            EntryKind::Typedef => "typedef",
            EntryKind::Func => "func",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `__BTF_ID__<kind>__<name>__<n>` symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The symbol name.
    pub symbol: String,
    /// The kind it names.
    pub kind: EntryKind,
    /// The type name it names.
    pub name: String,
    /// Its offset in the section.
    pub offset: u32,
    /// The word stored at that offset. For a member of a set this is whatever id sorting
    /// put in its slot, not necessarily its own.
    pub stored: u32,
    /// The set it is a member of (index into [`BtfIds::sets`]) and the slot its symbol
    /// points at (where the macros put it; after sorting, that slot holds whichever id
    /// sorted there).
    pub set: Option<(usize, usize)>,
}

/// `set` (`u32 cnt; u32 ids[]`) or `set8` (`u32 cnt; u32 flags; {u32 id; u32 flags}[]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// `struct btf_id_set`.
    Set,
    /// `struct btf_id_set8`.
    Set8,
}

impl SetKind {
    /// Bytes before the first slot.
    pub fn header_len(self) -> u32 {
        match self {
            SetKind::Set => 4,
            SetKind::Set8 => 8,
        }
    }

    /// Bytes per slot.
    pub fn stride(self) -> u32 {
        match self {
            SetKind::Set => 4,
            SetKind::Set8 => 8,
        }
    }

    /// As spelled in the symbol (`set`, `set8`).
    pub fn as_str(self) -> &'static str {
        match self {
            SetKind::Set => "set",
            SetKind::Set8 => "set8",
        }
    }
}

impl std::fmt::Display for SetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One slot of a set, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Offset of the id word in the section.
    pub offset: u32,
    /// The id.
    pub id: u32,
    /// The pair's flags (set8 only).
    pub flags: Option<u32>,
}

/// A `__BTF_ID__set__<name>` or `__BTF_ID__set8__<name>` symbol and the set it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    /// The symbol name.
    pub symbol: String,
    /// The set name (what follows `set__` / `set8__`).
    pub name: String,
    /// `set` or `set8`.
    pub kind: SetKind,
    /// Offset of the set (its `cnt`) in the section.
    pub offset: u32,
    /// The symbol's size (header and slots).
    pub symbol_size: u64,
    /// The stored `cnt` (what the kernel uses).
    pub cnt: u32,
    /// The stored set flags (set8 only).
    pub flags: Option<u32>,
    /// The `cnt` slots, in stored order.
    pub slots: Vec<Slot>,
    /// Member entries (indices into [`BtfIds::entries`]), in offset order.
    pub members: Vec<usize>,
}

impl Set {
    /// The count `resolve_btfids` derives from the symbol size (and stores as `cnt`).
    pub fn declared_cnt(&self) -> Option<u32> {
        let n = self.symbol_size / u64::from(self.kind.stride());
        n.checked_sub(1).and_then(|n| u32::try_from(n).ok())
    }

    /// Whether the slots are sorted by id.
    pub fn is_sorted(&self) -> bool {
        self.slots.windows(2).all(|w| w[0].id <= w[1].id)
    }

    /// Whether this is a set8 of kfuncs (`BTF_KFUNCS_START`).
    pub fn is_kfuncs(&self) -> bool {
        self.flags.is_some_and(|f| f & BTF_SET8_KFUNCS != 0)
    }
}

/// A plain symbol in `.BTF_ids` (`BTF_ID_LIST(name)`, or the list symbol a set also
/// defines, which [`BtfIds::lists`] leaves out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List {
    /// The symbol name.
    pub symbol: String,
    /// Its offset in the section.
    pub offset: u32,
}

/// The `.BTF_ids` section of an object, with its symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfIds {
    /// The object's byte order (the section's words are in it).
    pub endian: Endian,
    /// Whether the object is ELF64.
    pub is_64: bool,
    /// The section's index.
    pub section_index: usize,
    /// The section contents.
    pub data: Vec<u8>,
    /// Every entry symbol, in offset order (symbol table order for equal offsets).
    pub entries: Vec<Entry>,
    /// Every set, in offset order.
    pub sets: Vec<Set>,
    /// `BTF_ID_LIST` symbols (not the ones that sets define), in offset order.
    pub lists: Vec<List>,
}

/// What a symbol of `.BTF_ids` is, parsed as `resolve_btfids` does.
enum Parsed {
    Entry(EntryKind, String),
    Set(SetKind, String),
}

/// `get_id()` of `resolve_btfids`: `rest` follows the kind (`__vfs_truncate__0`); skip
/// two characters, then cut at the last `_`, which must follow another `_`.
fn entry_name(rest: &[u8]) -> Option<&[u8]> {
    if rest.len() <= 2 || rest.len() - 2 >= KSYM_NAME_LEN {
        return None;
    }
    let buf = &rest[2..];
    let last = buf.iter().rposition(|&b| b == b'_')?;
    if last == 0 || buf[last - 1] != b'_' {
        return None;
    }
    Some(&buf[..last - 1])
}

/// Parses the part of a symbol name after `__BTF_ID__`, as `symbols_collect()` does:
/// prefixes are tried in the order struct, union, typedef, func, set8, set (by prefix
/// only, like its `strncmp`s).
fn parse_symbol(rest: &[u8]) -> Result<Parsed, String> {
    let entry = |kind: EntryKind| {
        let k = kind.as_str().len();
        entry_name(&rest[k..])
            .map(|n| Parsed::Entry(kind, String::from_utf8_lossy(n).into_owned()))
            .ok_or_else(|| "cannot parse the entry name (resolve_btfids would fail)".to_string())
    };
    for kind in [
        EntryKind::Struct,
        EntryKind::Union,
        EntryKind::Typedef,
        EntryKind::Func,
    ] {
        if rest.starts_with(kind.as_str().as_bytes()) {
            return entry(kind);
        }
    }
    for (kind, prefix) in [(SetKind::Set8, "set8__"), (SetKind::Set, "set__")] {
        if rest.starts_with(&prefix.as_bytes()[..prefix.len() - 2]) {
            return match rest.get(prefix.len()..) {
                Some(name) if !name.is_empty() => Ok(Parsed::Set(
                    kind,
                    String::from_utf8_lossy(name).into_owned(),
                )),
                _ => Err("cannot parse the set name (resolve_btfids would fail)".to_string()),
            };
        }
    }
    Err("unsupported prefix (resolve_btfids would fail)".to_string())
}

/// A symbol defined in `.BTF_ids`, for [`BtfIds::from_symbols`].
#[derive(Clone, Debug)]
pub struct Sym {
    /// The symbol's name.
    pub name: Vec<u8>,
    /// Its offset in the section (`st_value` minus the section's address).
    pub offset: u64,
    /// `st_size`.
    pub size: u64,
    /// Whether it is the section symbol (`STT_SECTION`).
    pub is_section: bool,
}

impl BtfIds {
    /// Reads the `.BTF_ids` section of the ELF file in `elf` and the `.symtab` symbols
    /// defined in it. `None` when the file has no `.BTF_ids`.
    pub fn parse(elf: &[u8]) -> Result<Option<BtfIds>, BtfIdsError> {
        let file = object::File::parse(elf)?;
        // Section 0 is never a section (the patcher and the kernel skip it); a second
        // `.BTF_ids` is refused like a second `.BTF`, rather than one picked silently.
        let mut found = file
            .sections()
            .filter(|s| s.index().0 != 0 && s.name_bytes().ok() == Some(SECTION.as_bytes()));
        let Some(sec) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(BtfIdsError::Duplicate);
        }
        if sec.kind() == object::SectionKind::UninitializedData {
            return Err(BtfIdsError::NoBits);
        }
        if sec.compressed_file_range()?.format != object::CompressionFormat::None {
            return Err(BtfIdsError::Compressed);
        }
        let data = sec.data()?.to_vec();
        let index = sec.index();
        let addr = sec.address();
        if file.symbol_table().is_none() {
            return Err(BtfIdsError::NoSymtab);
        }
        let endian = if file.is_little_endian() {
            Endian::Little
        } else {
            Endian::Big
        };
        let mut syms = Vec::new();
        for sym in file.symbols() {
            if sym.section() != SymbolSection::Section(index) {
                continue;
            }
            syms.push(Sym {
                name: sym.name_bytes()?.to_vec(),
                // resolve_btfids: `addr - idlist_addr` (st_value is the section offset
                // in ET_REL objects, an address in linked images).
                offset: sym.address().wrapping_sub(addr),
                size: sym.size(),
                is_section: sym.kind() == SymbolKind::Section,
            });
        }
        Self::from_symbols(endian, file.is_64(), index.0, data, syms).map(Some)
    }

    /// The section from its contents and the symbols defined in it, read by another ELF
    /// reader (`btfkit::dwarf`'s, for an object read piece by piece), as
    /// [`BtfIds::parse`] reads them.
    pub fn from_symbols(
        endian: Endian,
        is_64: bool,
        section_index: usize,
        data: Vec<u8>,
        syms: Vec<Sym>,
    ) -> Result<BtfIds, BtfIdsError> {
        let word_at = |symbol: &str, offset: u64, what: &str| -> Result<u32, BtfIdsError> {
            if offset % 4 != 0
                || offset
                    .checked_add(4)
                    .is_none_or(|end| end > data.len() as u64)
            {
                return Err(BtfIdsError::BadSymbol {
                    symbol: symbol.to_string(),
                    reason: format!(
                        "{what} at offset {offset:#x} is not an aligned word inside the {}-byte section",
                        data.len()
                    ),
                });
            }
            Ok(endian.u32(&data, offset as usize))
        };
        let mut entries = Vec::new();
        let mut sets: Vec<Set> = Vec::new();
        let mut plain = Vec::new();
        for s in syms {
            let symbol = String::from_utf8_lossy(&s.name).into_owned();
            let Some(rest) = s.name.strip_prefix(PREFIX.as_bytes()) else {
                if !s.is_section && !s.name.is_empty() {
                    plain.push((symbol, s.offset));
                }
                continue;
            };
            let parsed = parse_symbol(rest).map_err(|reason| BtfIdsError::BadSymbol {
                symbol: symbol.clone(),
                reason,
            })?;
            match parsed {
                Parsed::Entry(kind, name) => {
                    let stored = word_at(&symbol, s.offset, "the entry")?;
                    entries.push(Entry {
                        symbol,
                        kind,
                        name,
                        offset: s.offset as u32,
                        stored,
                        set: None,
                    });
                }
                Parsed::Set(kind, name) => {
                    if sets.iter().any(|x| x.name == name) {
                        return Err(BtfIdsError::BadSymbol {
                            symbol,
                            reason: format!(
                                "a second set named {name} (resolve_btfids would fail)"
                            ),
                        });
                    }
                    let cnt = word_at(&symbol, s.offset, "the set")?;
                    let flags = match kind {
                        SetKind::Set => None,
                        SetKind::Set8 => Some(word_at(&symbol, s.offset + 4, "the set flags")?),
                    };
                    let first = s.offset + u64::from(kind.header_len());
                    let end = first + u64::from(cnt) * u64::from(kind.stride());
                    if end > data.len() as u64 {
                        return Err(BtfIdsError::BadSymbol {
                            symbol,
                            reason: format!(
                                "cnt {cnt} at offset {:#x} runs past the end of the {}-byte section",
                                s.offset,
                                data.len()
                            ),
                        });
                    }
                    let slots = (0..cnt)
                        .map(|i| {
                            let at = (first + u64::from(i) * u64::from(kind.stride())) as usize;
                            Slot {
                                offset: at as u32,
                                id: endian.u32(&data, at),
                                flags: (kind == SetKind::Set8).then(|| endian.u32(&data, at + 4)),
                            }
                        })
                        .collect();
                    sets.push(Set {
                        symbol,
                        name,
                        kind,
                        offset: s.offset as u32,
                        symbol_size: s.size,
                        cnt,
                        flags,
                        slots,
                        members: Vec::new(),
                    });
                }
            }
        }
        entries.sort_by_key(|e| e.offset);
        sets.sort_by_key(|s| s.offset);
        // Membership: an entry at a slot position of a set (by the stored cnt, or by the
        // symbol size for objects resolve_btfids has not processed yet).
        for (ei, e) in entries.iter_mut().enumerate() {
            for (si, set) in sets.iter_mut().enumerate() {
                let first = set.offset + set.kind.header_len();
                let n = set.cnt.max(set.declared_cnt().unwrap_or(0));
                if e.offset < first || (e.offset - first) % set.kind.stride() != 0 {
                    continue;
                }
                let slot = ((e.offset - first) / set.kind.stride()) as usize;
                if slot < n as usize {
                    e.set = Some((si, slot));
                    set.members.push(ei);
                    break;
                }
            }
        }
        let lists = plain
            .into_iter()
            .filter(|(sym, off)| {
                !sets
                    .iter()
                    .any(|s| u64::from(s.offset) == *off && s.name == *sym)
            })
            .map(|(symbol, offset)| List {
                symbol,
                offset: offset as u32,
            })
            .collect::<Vec<_>>();
        let mut lists = lists;
        lists.sort_by_key(|l| l.offset);
        Ok(BtfIds {
            endian,
            is_64,
            section_index,
            data,
            entries,
            sets,
            lists,
        })
    }

    /// Every nonzero id word of the section with what it belongs to: `(offset, id,
    /// description)` for each slot of each set, then each entry outside a set.
    fn id_words(&self) -> Vec<(u32, u32, String)> {
        let mut out = Vec::new();
        for set in &self.sets {
            for (k, slot) in set.slots.iter().enumerate() {
                out.push((
                    slot.offset,
                    slot.id,
                    format!("{} {} slot {k}", set.kind, set.name),
                ));
            }
        }
        for e in &self.entries {
            if e.set.is_none() {
                out.push((e.offset, e.stored, format!("entry {}", e.symbol)));
            }
        }
        out
    }

    /// The section contents with every id word mapped by `map` (zero words stay zero)
    /// and every set sorted by id afterwards, as `resolve_btfids` leaves it: set ids as
    /// `u32`s, set8 pairs by their id with their flags. Stable: equal ids keep their
    /// order. Errors name the first entry or slot whose id `map` does not map.
    pub fn rewrite(&self, map: impl Fn(u32) -> Option<u32>) -> Result<Vec<u8>, BtfIdsError> {
        let mut out = self.data.clone();
        let e = self.endian;
        let mut done = vec![false; out.len() / 4 + 1];
        for set in &self.sets {
            // Header words are never ids.
            for w in 0..set.kind.header_len() / 4 {
                done[(set.offset / 4 + w) as usize] = true;
            }
        }
        for (offset, id, what) in self.id_words() {
            let w = (offset / 4) as usize;
            if done[w] {
                continue;
            }
            done[w] = true;
            if id == 0 {
                continue;
            }
            let new = map(id).ok_or(BtfIdsError::Unmapped { what, id })?;
            e.put_u32(&mut out, offset as usize, new);
        }
        for set in &self.sets {
            sort_set(e, &mut out, set, set.cnt);
        }
        Ok(out)
    }

    /// What every entry's id is in `btf` (the BTF the ids are in: the module's split BTF
    /// over its base or its `.BTF.base`), and whether it is what the symbol names.
    pub fn resolve(&self, btf: &Btf<'_>) -> Report {
        self.resolve_mapped(btf, Some)
    }

    /// [`BtfIds::resolve`] with each stored id first mapped by `map` into `btf`'s id
    /// space (e.g. through a relocation's id map, to judge what the kernel will see).
    pub fn resolve_mapped(&self, btf: &Btf<'_>, map: impl Fn(u32) -> Option<u32>) -> Report {
        let look = |id: u32| -> (Option<u32>, Option<Named>) {
            if id == 0 {
                return (Some(0), None);
            }
            let target = map(id);
            let named = target
                .and_then(|t| btf.type_by_id(TypeId(t)))
                .map(|t| Named {
                    kind: t.kind(),
                    name: btf.name_lossy(&t),
                });
            (target, named)
        };
        let exists = |e: &Entry| {
            btf.find_by_name_kind(e.name.as_bytes(), e.kind.btf_kind())
                .is_some()
        };
        let names = |e: &Entry, n: &Option<Named>| {
            n.as_ref()
                .is_some_and(|n| n.kind == e.kind.btf_kind() && n.name == e.name)
        };

        let mut entries: Vec<Resolution> = Vec::with_capacity(self.entries.len());
        for (i, e) in self.entries.iter().enumerate() {
            let (target, is) = look(e.stored);
            let status = if names(e, &is) {
                Status::Ok
            } else if e.stored == 0 && !exists(e) {
                Status::Unresolved
            } else {
                Status::Mismatch
            };
            entries.push(Resolution {
                entry: i,
                id: e.stored,
                slot: None,
                target,
                is,
                status,
            });
        }

        let mut sets = Vec::with_capacity(self.sets.len());
        for set in &self.sets {
            let mut slots: Vec<SlotResolution> = set
                .slots
                .iter()
                .map(|s| {
                    let (target, is) = look(s.id);
                    SlotResolution {
                        id: s.id,
                        flags: s.flags,
                        target,
                        is,
                        member: None,
                    }
                })
                .collect();
            // Match members to slots by kind and name: first exact matches, then
            // unresolved members to zero slots.
            let mut unmatched = Vec::new();
            for &ei in &set.members {
                let e = &self.entries[ei];
                match slots
                    .iter()
                    .position(|s| s.member.is_none() && names(e, &s.is))
                {
                    Some(k) => {
                        slots[k].member = Some(ei);
                        let r = &mut entries[ei];
                        (r.id, r.target, r.is) =
                            (slots[k].id, slots[k].target, slots[k].is.clone());
                        (r.slot, r.status) = (Some(k), Status::Ok);
                    }
                    None => unmatched.push(ei),
                }
            }
            for ei in unmatched {
                let e = &self.entries[ei];
                let zero = (!exists(e))
                    .then(|| slots.iter().position(|s| s.member.is_none() && s.id == 0))
                    .flatten();
                let r = &mut entries[ei];
                match zero {
                    Some(k) => {
                        slots[k].member = Some(ei);
                        (r.id, r.target, r.is) = (0, Some(0), None);
                        (r.slot, r.status) = (Some(k), Status::Unresolved);
                    }
                    None => {
                        (r.id, r.target, r.is) = (0, None, None);
                        (r.slot, r.status) = (None, Status::Mismatch);
                    }
                }
            }
            sets.push(SetReport {
                slots,
                sorted: set.is_sorted(),
            });
        }
        Report { entries, sets }
    }

    /// The base types (ids below `split`'s first id) that entries and set slots name,
    /// with the entry that names each: what distilling must keep although split types
    /// may not refer to them. `why` names the entry (for a set slot: the member whose kind and
    /// name the id has, or the set and slot).
    pub fn roots(&self, split: &Btf<'_>) -> Vec<BaseRoot> {
        let start = split.start_id().0;
        let report = self.resolve(split);
        let mut roots = Vec::new();
        let mut words: Vec<(u32, u32, String)> = Vec::new();
        for (si, set) in self.sets.iter().enumerate() {
            for (k, slot) in set.slots.iter().enumerate() {
                let why = match report.sets[si].slots[k].member {
                    Some(ei) => format!(".BTF_ids entry {}", self.entries[ei].symbol),
                    None => format!(".BTF_ids {} {} slot {k}", set.kind, set.name),
                };
                words.push((slot.offset, slot.id, why));
            }
        }
        for e in &self.entries {
            if e.set.is_none() {
                words.push((e.offset, e.stored, format!(".BTF_ids entry {}", e.symbol)));
            }
        }
        words.sort_by_key(|w| w.0);
        for (_, id, why) in words {
            if id != 0 && id < start {
                roots.push(BaseRoot {
                    id: TypeId(id),
                    why,
                });
            }
        }
        roots
    }
}

/// Sorts the first `n` slots of `set` in `out` by id as `resolve_btfids` does (a set's
/// ids as `u32`s, a set8's pairs by their id with their flags); stable. The slots must
/// lie inside `out`.
fn sort_set(e: Endian, out: &mut [u8], set: &Set, n: u32) {
    let first = (set.offset + set.kind.header_len()) as usize;
    let stride = set.kind.stride() as usize;
    let mut items: Vec<[u8; 8]> = (0..n as usize)
        .map(|i| {
            let at = first + i * stride;
            let mut item = [0u8; 8];
            item[..stride].copy_from_slice(&out[at..at + stride]);
            item
        })
        .collect();
    items.sort_by_key(|item| e.u32(item, 0));
    for (i, item) in items.iter().enumerate() {
        let at = first + i * stride;
        out[at..at + stride].copy_from_slice(&item[..stride]);
    }
}

/// A base type named by a `.BTF_ids` entry ([`BtfIds::roots`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseRoot {
    /// The base type id.
    pub id: TypeId,
    /// The entry (or set slot) naming it, e.g. `.BTF_ids entry __BTF_ID__struct__tcp_sock__1`.
    pub why: String,
}

/// A type's kind and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// Its kind.
    pub kind: Kind,
    /// Its name.
    pub name: String,
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} '{}'", self.kind, crate::escape::Escaped(&self.name))
    }
}

/// How an entry's id compares with what its symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The id is a type of the symbol's kind and name.
    Ok,
    /// The id is 0 and the BTF has no type of that kind and name: what `resolve_btfids`
    /// leaves (with a warning) for a type it cannot find.
    Unresolved,
    /// Anything else: the id is another type, not a type, or 0 although the type exists.
    Mismatch,
}

/// What one entry's id is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// Index into [`BtfIds::entries`].
    pub entry: usize,
    /// The stored id judged: the entry's word, or for a set member the slot matched to
    /// it (0 when none).
    pub id: u32,
    /// For a set member, the slot matched to it.
    pub slot: Option<usize>,
    /// The id after the map of [`BtfIds::resolve_mapped`] (None: no image).
    pub target: Option<u32>,
    /// What the target id is (None for 0, no image, or an id beyond the BTF).
    pub is: Option<Named>,
    /// The verdict.
    pub status: Status,
}

/// What one set slot's id is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotResolution {
    /// The stored id.
    pub id: u32,
    /// The pair's flags (set8).
    pub flags: Option<u32>,
    /// The id after the map (None: no image).
    pub target: Option<u32>,
    /// What the target id is.
    pub is: Option<Named>,
    /// The member entry whose kind and name it has (index into [`BtfIds::entries`]).
    pub member: Option<usize>,
}

/// What the slots of one set are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetReport {
    /// One per slot, in stored order.
    pub slots: Vec<SlotResolution>,
    /// Whether the stored ids are sorted (the kernel binary-searches sets).
    pub sorted: bool,
}

/// The result of [`BtfIds::resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// One per entry, parallel to [`BtfIds::entries`].
    pub entries: Vec<Resolution>,
    /// One per set, parallel to [`BtfIds::sets`].
    pub sets: Vec<SetReport>,
}

impl Report {
    /// Whether every entry names what its symbol says (or is legitimately unresolved),
    /// no set slot holds an id no member names, and every set is sorted.
    pub fn is_ok(&self) -> bool {
        self.entries.iter().all(|r| r.status != Status::Mismatch)
            && self
                .sets
                .iter()
                .all(|s| s.sorted && s.slots.iter().all(|x| x.member.is_some() || x.id == 0))
    }

    /// One line per problem, naming the entry or set.
    pub fn problems(&self, ids: &BtfIds) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.entries {
            if r.status != Status::Mismatch {
                continue;
            }
            let e = &ids.entries[r.entry];
            let what = format!("{} ({} {})", esc(&e.symbol), e.kind, esc(&e.name));
            out.push(match (&e.set, r.slot) {
                (Some((si, _)), None) => format!(
                    "{what}: no id of {} {} names it",
                    ids.sets[*si].kind,
                    esc(&ids.sets[*si].name)
                ),
                _ => format!("{what}: {}", describe_id(r.id, r.target, &r.is)),
            });
        }
        for (si, s) in self.sets.iter().enumerate() {
            let set = &ids.sets[si];
            for (k, x) in s.slots.iter().enumerate() {
                if x.member.is_none() && x.id != 0 {
                    out.push(format!(
                        "{} {} slot {k}: {}, which no member names",
                        set.kind,
                        esc(&set.name),
                        describe_id(x.id, x.target, &x.is)
                    ));
                }
            }
            if !s.sorted {
                out.push(format!("{} {}: not sorted by id", set.kind, esc(&set.name)));
            }
        }
        out
    }
}

use crate::escape::escape as esc;

/// `id 5 is STRUCT 'foo'`, `id 5 (now 7) is ...`, `id 0`, `id 9 is not a type`.
pub fn describe_id(id: u32, target: Option<u32>, is: &Option<Named>) -> String {
    let mut s = format!("id {id}");
    match target {
        Some(t) if t != id => s.push_str(&format!(" (-> {t})")),
        Some(_) => {}
        None if id != 0 => s.push_str(" (maps to nothing)"),
        None => {}
    }
    match is {
        Some(n) => s.push_str(&format!(" is {n}")),
        None if id == 0 => s.push_str(" (unresolved)"),
        None if target.is_some() => s.push_str(" is not a type"),
        None => {}
    }
    s
}

/// The id `resolve_btfids` gives in `new` to what type `id` of `old` is: the first type
/// (base first, then by id) of the same kind and name, for the kinds `.BTF_ids` entries
/// name (FUNC, STRUCT, UNION, TYPEDEF). `None` for other kinds, for ids that are not
/// types of `old`, and when `new` has no such type.
pub fn by_name(old: &Btf<'_>, new: &Btf<'_>, id: u32) -> Option<u32> {
    let t = old.type_by_id(TypeId(id))?;
    if !matches!(
        t.kind(),
        Kind::FUNC | Kind::STRUCT | Kind::UNION | Kind::TYPEDEF
    ) {
        return None;
    }
    new.find_by_name_kind(old.name(&t), t.kind()).map(|t| t.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_as_resolve_btfids_cuts_them() {
        assert_eq!(entry_name(b"__vfs_truncate__0"), Some(&b"vfs_truncate"[..]));
        assert_eq!(
            entry_name(b"__nf_conn___init__1021233"),
            Some(&b"nf_conn___init"[..])
        );
        assert_eq!(entry_name(b"__foo___12"), Some(&b"foo_"[..]));
        assert_eq!(entry_name(b"__a__b__c__7"), Some(&b"a__b__c"[..]));
        assert_eq!(entry_name(b"____7"), Some(&b""[..]));
        // The last '_' must follow another '_'.
        assert_eq!(entry_name(b"__foo__my_list"), None);
        assert_eq!(entry_name(b"__foo"), None);
        assert_eq!(entry_name(b"__"), None);
        assert_eq!(entry_name(b"___x"), None);
    }

    #[test]
    fn prefixes_in_resolve_btfids_order() {
        let kind = |s: &str| match parse_symbol(s.as_bytes()) {
            Ok(Parsed::Entry(k, n)) => format!("{k} {n}"),
            Ok(Parsed::Set(k, n)) => format!("{k} {n}"),
            Err(_) => "error".into(),
        };
        assert_eq!(kind("struct__sk_buff__1"), "struct sk_buff");
        assert_eq!(kind("typedef__pid_t__1"), "typedef pid_t");
        assert_eq!(
            kind("set8__bbr_check_kfunc_ids"),
            "set8 bbr_check_kfunc_ids"
        );
        assert_eq!(kind("set__list"), "set list");
        assert_eq!(kind("set__"), "error");
        assert_eq!(kind("enum__x__1"), "error");
    }
}
