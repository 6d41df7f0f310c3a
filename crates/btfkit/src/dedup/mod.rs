//! Type and string deduplication: libbpf's `btf__dedup` with default options,
//! byte-identical (libbpf 1.7).
//!
//! Every BTF producer ends with it: pahole deduplicates each module's BTF against the
//! vmlinux BTF (split BTF against an immutable base) and vmlinux's own, and merging
//! several BTFs (bpftool's multi-file dump, `btfkit dedup`) appends them and
//! deduplicates the result. The passes, in libbpf's order:
//!
//! 1. Strings: only for BTF that was parsed (libbpf skips this pass for BTF it built,
//!    whose strings are unique already): the strings the types use, in order of first
//!    use, those the base holds referred to by their base offset.
//! 2. Primitive types: INT, FLOAT, FWD, ENUM/ENUM64 (an enum without values meets the
//!    full enum of its name).
//! 3. STRUCT, UNION and TYPEDEF: each against the canonical types of the same
//!    signature, by a side-by-side walk of both type graphs (cycles and all) with a
//!    hypothetical canonical-to-candidate map; FWDs met on the way resolve to the
//!    STRUCT/UNION of their name.
//! 4. FWDs still unresolved map to the only canonical STRUCT/UNION of their name.
//! 5. Reference types (PTR, modifiers, ARRAY, FUNC_PROTO, FUNC, tags) once what they
//!    refer to is canonical.
//! 6. Compaction (canonical types kept in order) and id remapping.
//!
//! In split BTF, base types are canonical and never change: a split type equal to a base
//! type is dropped in favour of it. VAR and DATASEC are never merged.
//!
//! Two entry points: [`dedup`] for parsed BTF (with the string pass) and
//! [`dedup_builder`] for BTF being built (what pahole does with libbpf), plus [`merge`]
//! for appending several BTFs and deduplicating them.

mod core;
mod table;

use crate::endian::Endian;
use crate::fields::{FieldKind, FieldLayout};
use crate::id::{StrOffset, TypeId};
use crate::kind::Kind;
use crate::read::Btf;
use crate::write::{BaseRef, Builder, StringTable};

/// Why deduplication failed. libbpf fails (`-EINVAL`, `-ELOOP`) on the same inputs
/// where it terminates; the other cases are malformed input libbpf does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DedupError {
    /// A type of a kind dedup does not handle (unknown, or `UNKN`).
    #[error("type [{id}] has kind {kind}, which dedup cannot handle")]
    UnknownKind {
        /// The type.
        id: TypeId,
        /// Its kind.
        kind: Kind,
    },
    /// A record whose length does not match its kind and vlen (a builder filled with
    /// raw words), or that is not made of 32-bit words.
    #[error("type [{id}]: record length does not match its kind and vlen")]
    BadRecord {
        /// The type.
        id: TypeId,
    },
    /// A type-id field names a type that does not exist.
    #[error("type [{id}] refers to type [{target}], which does not exist")]
    TypeIdOutOfRange {
        /// The type holding the reference.
        id: TypeId,
        /// The referenced id.
        target: TypeId,
    },
    /// Reference types form a loop that no STRUCT, UNION or TYPEDEF breaks (libbpf:
    /// `-ELOOP`).
    #[error(
        "type [{id}] is part of a reference loop (pointers, modifiers, arrays or prototypes that refer back to themselves)"
    )]
    ReferenceLoop {
        /// A type on the loop.
        id: TypeId,
    },
    /// The type-graph comparison reached a kind it cannot compare, e.g. a STRUCT member
    /// of kind VAR (libbpf: `-EINVAL`).
    #[error("type [{id}] of kind {kind} is referenced where only types can be compared")]
    Uncomparable {
        /// The type.
        id: TypeId,
        /// Its kind.
        kind: Kind,
    },
    /// The canonical links loop (malformed input on which libbpf would not terminate).
    #[error("canonical type links loop at type [{id}]")]
    MapCycle {
        /// A type on the loop.
        id: TypeId,
    },
    /// A reference that resolves to no kept type (libbpf: `-EINVAL` in remapping).
    #[error("type [{id}] has no deduplicated counterpart")]
    Unmapped {
        /// The type.
        id: TypeId,
    },
    /// [`DedupBase`]: the BTF to deduplicate is not split BTF over that base.
    #[error("the BTF to deduplicate is not split BTF over this base")]
    NotOverThisBase,
    /// [`merge`]: an input is split BTF over another base than the one given.
    #[error("input {index} is split BTF over another base than the one given")]
    InputOverAnotherBase {
        /// Index of the input.
        index: usize,
    },
    /// [`merge`]: an input could not be appended (unknown kind).
    #[error("input {index}: {source}")]
    Append {
        /// Index of the input.
        index: usize,
        /// Why.
        source: crate::Error,
    },
}

/// Old id to new id, for the types deduplication was given: void and base ids stay,
/// each own type goes to the canonical type that represents it. (Not a
/// [`crate::IdMap`], whose one-by-one pairs sit below a range that moves as a block:
/// here the base stays and the own ids map one by one.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DedupMap {
    start: u32,
    new: Vec<u32>,
}

impl DedupMap {
    /// The new id of `old`: void and base ids map to themselves; each own type to the
    /// id of the canonical type that represents it (a base id when a base type does).
    /// `None` for ids past the input's types.
    pub fn get(&self, old: TypeId) -> Option<TypeId> {
        if old.0 < self.start {
            return Some(old);
        }
        self.new
            .get((old.0 - self.start) as usize)
            .map(|&n| TypeId(n))
    }

    /// The first own id of the input (1 for base BTF).
    pub fn start_id(&self) -> TypeId {
        TypeId(self.start)
    }

    /// `(old, new)` for every own input type, in old-id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (TypeId, TypeId)> + '_ {
        let s = self.start;
        self.new
            .iter()
            .enumerate()
            .map(move |(i, &n)| (TypeId(s + i as u32), TypeId(n)))
    }
}

/// The result of [`dedup`] and [`merge`].
#[derive(Debug, Clone)]
pub struct Deduped {
    /// The deduplicated BTF, serialized (for split input: the new split's own types and
    /// strings, over the same base).
    pub bytes: Vec<u8>,
    /// Where each input type went.
    pub id_map: DedupMap,
}

/// Records of void (three zero words) and of every type below the own types, as words.
struct Records {
    w: Vec<u32>,
    offs: Vec<u32>,
}

impl Records {
    fn new(capacity_words: usize) -> Records {
        let mut w = Vec::with_capacity(capacity_words + 3);
        w.extend_from_slice(&[0, 0, 0]);
        Records { w, offs: vec![0] }
    }

    /// Appends the types of `btf`: its base chain's, then its own.
    fn push_btf(&mut self, btf: &Btf<'_>) -> Result<(), DedupError> {
        if let Some(b) = btf.base() {
            self.push_btf(b)?;
        }
        own_records(self, btf)
    }

    /// Appends the types of a builder's base chain and, when `own`, its own types.
    fn push_builder(&mut self, b: &Builder<'_>, own: bool) -> Result<(), DedupError> {
        match b.base_ref() {
            Some(BaseRef::Parsed(p)) => self.push_btf(p)?,
            Some(BaseRef::Built(bb)) => self.push_builder(bb, true)?,
            None => {}
        }
        if own {
            let (words, starts) = b.type_words();
            let at = self.w.len() as u32;
            self.offs.extend(starts.iter().map(|&s| at + s));
            self.w.extend_from_slice(words);
        }
        Ok(())
    }

    fn finish(mut self) -> (Vec<u32>, Vec<u32>) {
        self.offs.push(self.w.len() as u32);
        (self.w, self.offs)
    }
}

/// Deduplicates parsed BTF, as libbpf's `btf__dedup` does on BTF it parsed: strings
/// first, then types. Split BTF is deduplicated against its base, which stays as it is;
/// the output is the new split (own types and strings), over the same base, in the
/// input's byte order (with a layout section when the input has one).
///
/// ```
/// use btfkit::{dedup::dedup, write::Builder, Btf, Endian, TypeId};
///
/// // Two copies of `struct list { struct list *next; }`.
/// let mut b = Builder::new();
/// for _ in 0..2 {
///     let ptr = b.add_ptr(TypeId(b.next_id().0 + 1));
///     b.add_struct("list", 8);
///     b.add_member("next", ptr, 0, 0)?;
/// }
/// let bytes = b.to_bytes(Endian::Little);
/// let btf = Btf::parse(&bytes)?;
/// let out = dedup(&btf)?;
/// let deduped = Btf::parse(&out.bytes)?;
/// assert_eq!(deduped.type_count(), 2);
/// assert_eq!(out.id_map.get(TypeId(4)), Some(TypeId(2)), "the second list is the first");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dedup(btf: &Btf<'_>) -> Result<Deduped, DedupError> {
    let prepared = prepare(btf.base())?;
    dedup_parsed(&prepared, btf)
}

/// The base chain below `base` (and `base` itself), prepared.
fn prepare(base: Option<&Btf<'_>>) -> Result<core::Prepared, DedupError> {
    let mut rec = Records::new(base.map_or(0, |b| b.type_section().len() / 4));
    if let Some(b) = base {
        rec.push_btf(b)?;
    }
    let (w, offs) = rec.finish();
    core::Prepared::new(w, offs)
}

fn dedup_parsed(prepared: &core::Prepared, btf: &Btf<'_>) -> Result<Deduped, DedupError> {
    let mut own = Records {
        w: Vec::with_capacity(btf.type_section().len() / 4),
        offs: Vec::with_capacity(btf.type_count() as usize),
    };
    own_records(&mut own, btf)?;
    let checked = core::check_own(prepared, &own.w, &own.offs)?;
    let strings = dedup_strings(btf, &mut own.w, &own.offs);
    let c = core::Core::new(prepared, own.w, &own.offs, checked).run()?;
    let id_map = DedupMap {
        start: prepared.start(),
        new: c.own_map,
    };
    let out = Builder::from_type_words(
        btf.base(),
        btf.header().has_layout(),
        c.words,
        c.starts,
        strings,
    );
    Ok(Deduped {
        bytes: out.to_bytes(btf.endian()),
        id_map,
    })
}

/// Appends only the own types of `btf` (not its base chain): the whole type section
/// as words at once, and where each record starts.
fn own_records(rec: &mut Records, btf: &Btf<'_>) -> Result<(), DedupError> {
    let at = rec.w.len() as u32;
    let sec = btf.type_section();
    let offsets = btf.type_offsets();
    if sec.len() % 4 != 0 || offsets.iter().any(|&o| o % 4 != 0) {
        // A record of an unknown kind (skipped through the layout section) with a
        // length that is not a multiple of 4.
        let bad = offsets
            .iter()
            .position(|&o| o % 4 != 0)
            .map_or(offsets.len(), |i| i.saturating_sub(1));
        return Err(DedupError::BadRecord {
            id: TypeId(btf.start_id().0 + bad as u32),
        });
    }
    let e = btf.endian();
    match e {
        Endian::Little => rec.w.extend(
            sec.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        Endian::Big => rec.w.extend(
            sec.chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])),
        ),
    }
    rec.offs.extend(offsets.iter().map(|&o| at + o / 4));
    Ok(())
}

/// libbpf's `btf_dedup_strings`: the own strings the own types use, in order of first
/// use, those found in the base referred to by their base offset; offsets below the
/// own strings are left alone. Skipped (strings kept as they are) when the own string
/// section is empty, or holds only the empty string in base BTF: libbpf counts such BTF
/// as built from scratch, its strings deduplicated already.
fn dedup_strings(btf: &Btf<'_>, w: &mut [u32], starts: &[u32]) -> StringTable {
    let own_len = btf.strings().len();
    let split = btf.is_split();
    if (split && own_len == 0) || (!split && own_len == 1) {
        return if split {
            StringTable::new_split()
        } else {
            StringTable::new_base()
        };
    }
    let mut table = if split {
        StringTable::new_split()
    } else {
        StringTable::new_base()
    };
    let start_off = btf.start_str_off().0;
    // old offset -> new offset: the same names recur in many records
    let mut seen: hashbrown::HashMap<u32, u32> = hashbrown::HashMap::new();
    for &o in starts {
        let o = o as usize;
        let info = w[o + 1];
        let kind = Kind(crate::raw::info_kind(info));
        for pos in
            FieldLayout::of(kind, FieldKind::StrOffsets).positions(crate::raw::info_vlen(info))
        {
            let at = o + pos / 4;
            let off = w[at];
            if off == 0 || off < start_off {
                continue;
            }
            if let Some(&n) = seen.get(&off) {
                w[at] = n;
                continue;
            }
            let s = btf.str_at(StrOffset(off)).unwrap_or(b"");
            let new = match btf.base().and_then(|b| b.find_str(s)) {
                Some(b) => b.0,
                None => start_off + table.add(s),
            };
            seen.insert(off, new);
            w[at] = new;
        }
    }
    table
}

/// Deduplicates the types of a builder in place, as libbpf's `btf__dedup` does on BTF
/// it built with `btf__new_empty[_split]` and `btf__add_*` (pahole's encoder): the
/// strings are kept as they are (they are unique already), the types are deduplicated
/// against the base (which stays as it is) and compacted. Returns where each type went;
/// serialize with [`Builder::to_bytes`]. Malformed records are refused before anything
/// changes; when a later pass fails (reference loops, which libbpf refuses too), the
/// builder is left without types, as libbpf leaves its BTF garbled.
///
/// ```
/// use btfkit::{dedup::dedup_builder, write::Builder, Btf, Endian, TypeId};
///
/// // A base with `int`, and a split that adds `int` again and a pointer to it.
/// let mut b = Builder::new();
/// b.add_int("int", 4, btfkit::raw::INT_SIGNED);
/// let base_bytes = b.to_bytes(Endian::Little);
/// let base = Btf::parse(&base_bytes)?;
///
/// let mut split = Builder::new_split(&base);
/// let int = split.add_int("int", 4, btfkit::raw::INT_SIGNED);
/// split.add_ptr(int);
/// let map = dedup_builder(&mut split)?;
/// assert_eq!(map.get(TypeId(2)), Some(TypeId(1)), "the split's int is the base's");
/// assert_eq!(split.type_count(), 1, "only the pointer is left");
/// let bytes = split.to_bytes(Endian::Little);
/// let out = Btf::parse_split(&bytes, &base)?;
/// assert_eq!(out.type_by_id(TypeId(2)).unwrap().type_id(), TypeId(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dedup_builder(b: &mut Builder<'_>) -> Result<DedupMap, DedupError> {
    let mut rec = Records::new(0);
    rec.push_builder(b, false)?;
    let (w, offs) = rec.finish();
    let prepared = core::Prepared::new(w, offs)?;
    dedup_builder_with(&prepared, b)
}

fn dedup_builder_with(
    prepared: &core::Prepared,
    b: &mut Builder<'_>,
) -> Result<DedupMap, DedupError> {
    let (words, starts) = b.type_words();
    let checked = core::check_own(prepared, words, starts)?;
    // Checked: the builder's records move into the run (no copy); it gets the
    // deduplicated ones back, or none on an error from here on.
    let (words, starts) = b.take_type_words();
    let c = core::Core::new(prepared, words, &starts, checked).run()?;
    b.set_type_words(c.words, c.starts);
    Ok(DedupMap {
        start: prepared.start(),
        new: c.own_map,
    })
}

/// A base BTF prepared once for deduplicating many split BTFs against it: what every
/// run over the base would repeat (its records checked and converted, its types hashed
/// as candidates) is done here. Results are the same as [`dedup`] and
/// [`dedup_builder`] give.
///
/// ```
/// use btfkit::{dedup::DedupBase, write::Builder, Btf, Endian};
///
/// let mut b = Builder::new();
/// b.add_int("int", 4, btfkit::raw::INT_SIGNED);
/// let base_bytes = b.to_bytes(Endian::Little);
/// let base = Btf::parse(&base_bytes)?;
/// let prepared = DedupBase::new(&base)?;
/// for _module in 0..3 {
///     let mut split = Builder::new_split(&base);
///     let int = split.add_int("int", 4, btfkit::raw::INT_SIGNED);
///     split.add_ptr(int);
///     prepared.dedup_builder(&mut split)?;
///     assert_eq!(split.type_count(), 1);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DedupBase<'a> {
    base: &'a Btf<'a>,
    prepared: core::Prepared,
}

impl std::fmt::Debug for DedupBase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupBase")
            .field("base", self.base)
            .finish()
    }
}

impl<'a> DedupBase<'a> {
    /// Prepares `base` (which may itself be split BTF).
    pub fn new(base: &'a Btf<'a>) -> Result<DedupBase<'a>, DedupError> {
        Ok(DedupBase {
            base,
            prepared: prepare(Some(base))?,
        })
    }

    /// The base this was prepared from.
    pub fn base(&self) -> &'a Btf<'a> {
        self.base
    }

    /// [`dedup`] of split BTF over this base.
    pub fn dedup(&self, split: &Btf<'_>) -> Result<Deduped, DedupError> {
        match split.base() {
            Some(b) if std::ptr::eq(b.data(), self.base.data()) => {
                dedup_parsed(&self.prepared, split)
            }
            _ => Err(DedupError::NotOverThisBase),
        }
    }

    /// [`dedup_builder`] of a split builder over this base.
    pub fn dedup_builder(&self, b: &mut Builder<'_>) -> Result<DedupMap, DedupError> {
        match b.base_ref() {
            Some(BaseRef::Parsed(p)) if std::ptr::eq(p.data(), self.base.data()) => {
                dedup_builder_with(&self.prepared, b)
            }
            _ => Err(DedupError::NotOverThisBase),
        }
    }
}

/// Appends every input to a new BTF (split over `base` when given) and deduplicates it,
/// as libbpf's `btf__new_empty[_split]`, `btf__add_btf` of each input in order and
/// `btf__dedup` do. Split inputs must be over `base` (the same parsed object). The output
/// is in `base`'s byte order, or the first input's without a base (libbpf would use the
/// host's). [`Merge`] does the same one input at a time.
///
/// ```
/// use btfkit::{dedup::merge, write::Builder, Btf, Endian};
///
/// let mut a = Builder::new();
/// let int = a.add_int("int", 4, btfkit::raw::INT_SIGNED);
/// a.add_ptr(int);
/// let bytes = a.to_bytes(Endian::Little);
/// let one = Btf::parse(&bytes)?;
/// let out = merge(None, &[&one, &one])?;
/// assert_eq!(Btf::parse(&out.bytes)?.type_count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn merge<'a>(base: Option<&'a Btf<'a>>, inputs: &[&Btf<'_>]) -> Result<Deduped, DedupError> {
    let mut m = Merge::new(base);
    for input in inputs {
        m.add(input)?;
    }
    m.finish()
}

/// [`merge`] one input at a time, for inputs that are not all at hand at once (each
/// module file read, parsed, appended and dropped in turn).
///
/// ```
/// use btfkit::{dedup::Merge, write::Builder, Btf, Endian};
///
/// let mut base = Builder::new();
/// base.add_int("int", 4, btfkit::raw::INT_SIGNED);
/// let base_bytes = base.to_bytes(Endian::Little);
/// let base = Btf::parse(&base_bytes)?;
///
/// let mut m = Merge::new(Some(&base));
/// for _module in 0..2 {
///     let mut b = Builder::new_split(&base);
///     let s = b.add_struct("s", 4);
///     b.add_member("x", btfkit::TypeId(1), 0, 0)?;
///     b.add_ptr(s);
///     let bytes = b.to_bytes(Endian::Little);
///     m.add(&Btf::parse_split(&bytes, &base)?)?;
/// }
/// let out = m.finish()?;
/// assert_eq!(Btf::parse_split(&out.bytes, &base)?.type_count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Merge<'a> {
    builder: Builder<'a>,
    base: Option<&'a Btf<'a>>,
    endian: Option<Endian>,
    inputs: usize,
}

impl std::fmt::Debug for Merge<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merge")
            .field("inputs", &self.inputs)
            .field("types", &self.builder.type_count())
            .finish()
    }
}

impl<'a> Merge<'a> {
    /// An empty BTF, split over `base` when given.
    pub fn new(base: Option<&'a Btf<'a>>) -> Merge<'a> {
        Merge {
            builder: match base {
                Some(base) => Builder::new_split(base),
                None => Builder::new(),
            },
            base,
            endian: base.map(|b| b.endian()),
            inputs: 0,
        }
    }

    /// Appends `input` (libbpf's `btf__add_btf`): standalone BTF, or split BTF over this
    /// merge's base.
    pub fn add(&mut self, input: &Btf<'_>) -> Result<(), DedupError> {
        let index = self.inputs;
        if let Some(ib) = input.base() {
            if !self.base.is_some_and(|b| std::ptr::eq(b.data(), ib.data())) {
                return Err(DedupError::InputOverAnotherBase { index });
            }
        }
        self.builder
            .add_btf(input)
            .map_err(|source| DedupError::Append { index, source })?;
        self.endian.get_or_insert(input.endian());
        self.inputs += 1;
        Ok(())
    }

    /// Deduplicates what was appended and serializes it.
    pub fn finish(mut self) -> Result<Deduped, DedupError> {
        let id_map = dedup_builder(&mut self.builder)?;
        Ok(Deduped {
            bytes: self.builder.to_bytes(self.endian.unwrap_or(Endian::Little)),
            id_map,
        })
    }
}
