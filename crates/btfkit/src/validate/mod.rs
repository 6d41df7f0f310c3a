//! Kernel-grade validation of a parsed blob: the checks of the kernel's
//! `kernel/bpf/btf.c` that apply to BTF at rest, with every problem reported (not only
//! the first), in blob order.
//!
//! What is checked, after the kernel (`btf_parse_hdr`, `btf_check_sec_info`,
//! `btf_parse_str_sec`, `btf_parse_layout_sec`, `btf_parse_type_sec`,
//! `btf_check_all_metas`, `btf_check_all_types`, `btf_check_type_tags`):
//!
//! - the header: version, flags, zero bytes past the known (32-byte) header, the
//!   section table (sorted by offset: no gap, no overlap, nothing after the last
//!   section), the alignment of the type section, at least one type in base BTF;
//! - the string section: last in a classic-header blob, NUL-terminated, starting with
//!   the empty string (base BTF), at most `BTF_MAX_NAME_OFFSET` long;
//! - the layout section: 4-byte aligned, whole entries, entries of known kinds agreeing
//!   with [`Kind::info_size`] / [`Kind::elem_size`];
//! - every record on its own (the kernel's `check_meta`): known kind, name offsets,
//!   names (C identifiers, DATASEC section names, non-empty tag values), `vlen`, kind
//!   flag, size, type-id ranges and the kind-specific data;
//! - every reference (the kernel's resolve pass, emulated step by step with its
//!   resolve modes and its depth limit of 32): what a modifier, pointer, array, member,
//!   variable, section entry, function or tag may refer to, loops, member placement
//!   against the size of the STRUCT/UNION, array size overflow, function prototypes;
//! - modifier chains (`btf_check_type_tags`): TYPE_TAGs before other modifiers, at most
//!   32 links.
//!
//! Split BTF: the base is assumed valid; only the split's own header, strings and types
//! are checked, their references may point into the base. A string offset that lands in
//! the middle of a base string is reported as [`Rule::NameInsideBaseString`]: the split
//! was built against another base.
//!
//! The work is linear in the size of the input: one pass over the records, then one
//! resolve pass whose results are memoized per type (the kernel's own algorithm, whose
//! explicit stack is at most 32 deep), no recursion.
//!
//! The kernel's order-dependent behaviour is kept: types are resolved in id order, so a
//! PTR to a FUNC defined after it is rejected and one defined before it is accepted, as
//! by Linux 6.18. Names follow the kernel's Latin-1 `ctype` table (bytes 0xc0-0xff other
//! than 0xd7 and 0xf7 are letters, 0xa0-0xff are printable) and may be 512 bytes long.
//!
//! The checks are `impl Validator` blocks by concern, each citing the kernel functions it
//! mirrors: `header.rs` (header and sections), `names.rs` (name offsets and the
//! characters of names), `meta.rs` (every record on its own, `check_meta`), `resolve.rs`
//! (references: the resolve pass, function prototypes, modifier chains). This file holds
//! the validator's state, its accessors and error constructors.
//!
//! Where this differs from a given kernel, on purpose:
//!
//! - `vlen` may use all 24 bits and kinds all 7 bits (the uapi with the layout section);
//!   kernels up to 6.18 reject `vlen` above 0xffff ("Invalid btf_info").
//! - A TYPE_TAG after another modifier is an error ([`Rule::TypeTagAfterModifier`]), as
//!   up to 6.18; bpf-next (mid 2026) allows it and keeps only the 32-link chain limit.
//! - A DATASEC entry whose VAR is resolved on the way is still checked against the
//!   entry's size; the kernel skips that entry's size check in that case.
//! - Header bytes 24..`hdr_len` must be zero when `hdr_len` is below 32.
//! - The layout section's entries for known kinds must match their real sizes.
//! - The kernel's whole-blob limit (`BTF_MAX_SIZE`, 16 MiB for `BPF_BTF_LOAD`) and its
//!   load-time checks of special fields (`bpf_spin_lock`, kptrs, ...) are not checked.
//! - Every blob gets the checks `BPF_BTF_LOAD` applies to program BTF, split BTF with
//!   its references resolved into the base; for vmlinux and module BTF the kernel runs
//!   only the record checks and the chain check.

use crate::endian::{BigEndian, ByteOrder, Endian, LittleEndian};
use crate::error::{Error, Result, Rule};
use crate::id::{StrOffset, TypeId};
use crate::kind::{Kind, NameRule, SizeType, Vlen};
use crate::raw;
use crate::read::{Btf, Type};

mod header;
mod meta;
mod names;
mod resolve;

use names::{show, StrView};

/// `KSYM_NAME_LEN`: the kernel's name checks stop after this many bytes, so a name may
/// be at most this long.
const KSYM_NAME_LEN: usize = 512;
/// `MAX_RESOLVE_DEPTH` of the kernel's resolver; also its modifier chain limit.
const MAX_RESOLVE_DEPTH: usize = 32;
/// The size of `void *` when the blob has no `long` INT to infer it from.
const DEFAULT_PTR_SIZE: u32 = 8;

/// Runs every check and returns every problem found, in blob order.
pub fn validate(btf: &Btf<'_>) -> Vec<Error> {
    let mut errs = match btf.endian() {
        Endian::Little => Validator::<LittleEndian>::new(btf).run(),
        Endian::Big => Validator::<BigEndian>::new(btf).run(),
    };
    errs.sort_by_key(Error::offset);
    errs
}

/// Runs every check; the first problem (in blob order), if any.
pub fn validate_first(btf: &Btf<'_>) -> Result<()> {
    match validate(btf).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

// --- kind classes of the kernel's resolver (btf_type_is_*() helpers) -----------------

/// `btf_type_nosize`: void, FWD, FUNC, FUNC_PROTO, DECL_TAG.
#[inline]
fn nosize(k: Kind) -> bool {
    matches!(
        k,
        Kind::UNKN | Kind::FWD | Kind::FUNC | Kind::FUNC_PROTO | Kind::DECL_TAG
    )
}
/// `btf_type_is_resolve_source_only`: VAR, DATASEC, DECL_TAG.
#[inline]
fn source_only(k: Kind) -> bool {
    matches!(k, Kind::VAR | Kind::DATASEC | Kind::DECL_TAG)
}
/// `btf_type_needs_resolve`: PTR, ARRAY, STRUCT, UNION, the modifiers, FUNC, VAR,
/// DATASEC, DECL_TAG.
#[inline]
fn needs_resolve(k: Kind) -> bool {
    k.is_modifier()
        || matches!(
            k,
            Kind::PTR
                | Kind::ARRAY
                | Kind::STRUCT
                | Kind::UNION
                | Kind::FUNC
                | Kind::VAR
                | Kind::DATASEC
                | Kind::DECL_TAG
        )
}
#[inline]
fn roundup_bytes(bits: u32) -> u32 {
    (bits >> 3) + u32::from(bits & 7 != 0)
}

/// A memo table over a large index space (base type ids, base string offsets) of which
/// a split blob touches little: a directory of chunks allocated on first write, so the
/// cost is proportional to what is touched, not to the size of the base. Unset entries
/// read as 0.
struct Sparse {
    /// Per chunk of `1 << SPARSE_SHIFT` indexes: 1 + its chunk number in `pool`, or 0.
    dir: Vec<u32>,
    pool: Vec<u64>,
}

const SPARSE_SHIFT: u32 = 5;
const SPARSE_MASK: usize = (1 << SPARSE_SHIFT) - 1;

impl Sparse {
    fn new() -> Self {
        Sparse {
            dir: Vec::new(),
            pool: Vec::new(),
        }
    }

    #[inline(always)]
    fn get(&self, i: usize) -> u64 {
        match self.dir.get(i >> SPARSE_SHIFT) {
            Some(&c) if c != 0 => self.pool[((c - 1) as usize) << SPARSE_SHIFT | (i & SPARSE_MASK)],
            _ => 0,
        }
    }

    /// The entry at `i`, created (0) if needed; `len` bounds the index space.
    #[inline]
    fn entry(&mut self, i: usize, len: usize) -> &mut u64 {
        if self.dir.is_empty() {
            self.dir = vec![0; (len >> SPARSE_SHIFT) + 1];
        }
        let d = &mut self.dir[i >> SPARSE_SHIFT];
        if *d == 0 {
            self.pool.resize(self.pool.len() + (1 << SPARSE_SHIFT), 0);
            *d = (self.pool.len() >> SPARSE_SHIFT) as u32;
        }
        let c = (*d - 1) as usize;
        &mut self.pool[c << SPARSE_SHIFT | (i & SPARSE_MASK)]
    }
}

/// The names libbpf's `determine_ptr_size` takes for `long`.
const LONG_NAMES: [&[u8]; 11] = [
    b"long",
    b"long int",
    b"int long",
    b"unsigned long",
    b"long unsigned",
    b"unsigned long int",
    b"unsigned int long",
    b"long unsigned int",
    b"long int unsigned",
    b"int unsigned long",
    b"int long unsigned",
];

/// The pointer size an INT named like `long` implies, if `t` is one.
fn long_size(btf: &Btf<'_>, t: &Type<'_>) -> Option<u32> {
    let size = t.size();
    if t.kind() != Kind::INT || (size != 4 && size != 8) {
        return None;
    }
    let name = btf.name(t);
    LONG_NAMES.contains(&name).then_some(size)
}

// --- the validator --------------------------------------------------------------------

/// Resolve states (low two bits of a state byte).
const NOT_VISITED: u8 = 0;
const VISITED: u8 = 1;
const RESOLVED: u8 = 2;
const FAILED: u8 = 3;
const STATE_MASK: u8 = 3;
/// State flag of a FUNC_PROTO: a parameter other than `...` has no name.
const UNNAMED_PARAM: u8 = 0x80;
/// State flag of a FUNC resolved during the record pass, ahead of the kernel's order:
/// until the resolve pass reaches it (or a walk would push it), it counts as not yet
/// resolved, as in the kernel.
const EARLY: u8 = 0x40;

/// The kernel's `enum resolve_mode`: which kinds end a resolve walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Tbd,
    Ptr,
    StructOrArray,
}

/// One entry of the resolve stack (`struct resolve_vertex`).
#[derive(Clone, Copy)]
struct Vertex {
    id: u32,
    next_member: u32,
    /// Problems were already reported for some members or entries.
    bad: bool,
}

/// What a resolve step did.
enum Step {
    /// Pushed a dependency or popped the vertex.
    Ok,
    /// The walk failed: with an error to report, or silently (a dependency already
    /// failed and was reported).
    Fail(Option<Error>),
}

/// Which name field of a record is checked.
#[derive(Clone, Copy)]
enum Field {
    Type,
    Member(usize),
    Value(usize),
    Param(usize),
}

const MEMO_DONE: u64 = 1 << 63;
const MEMO_SOME: u64 = 1 << 62;

/// A memoized `btf_type_id_size` result of a base type.
#[inline(always)]
fn memo_decode(m: u64) -> Option<(u32, u32)> {
    (m & MEMO_SOME != 0).then_some((((m >> 32) & 0x3fff_ffff) as u32, m as u32))
}

/// The memo entry of a `btf_type_id_size` result of a base type.
fn memo_encode(r: Option<(u32, u32)>) -> u64 {
    MEMO_DONE
        | r.map_or(0, |(id, size)| {
            MEMO_SOME | (u64::from(id & 0x3fff_ffff) << 32) | u64::from(size)
        })
}

/// What the validator keeps per own type, together for locality.
#[derive(Clone, Copy, Default)]
struct Ent {
    /// Record offset in the type section.
    off: u32,
    /// The kernel's resolved id (for an ARRAY: its resolved size).
    res: u32,
    /// Kind (low byte), resolve state and flags (high byte).
    ks: u16,
}

/// The validator of one blob; `O` is its byte order, fixed at compile time so that the
/// hot loops do not branch on it.
struct Validator<'a, 'd, O> {
    btf: &'a Btf<'d>,
    errs: Vec<Error>,
    start_id: u32,
    next_id: u32,
    strs: StrView<'d>,
    /// The type section.
    types: &'d [u8],
    /// Per own type: record offset, kind, resolve state and flags, resolved id.
    ent: Vec<Ent>,
    /// Bit `o - own_start`: a valid identifier starts at own string offset `o`.
    own_ok: Vec<u64>,
    /// Bit `o`: a valid identifier starts at base string offset `o` (memo).
    base_ok: Sparse,
    /// Memoized `btf_type_id_size` of base types (bit 63: computed, bit 62: has a
    /// size, bits 32-61: resolved id, bits 0-31: size).
    base_memo: Sparse,
    /// Memoized kind, `size` word and INT encoding of base types (0: not yet read).
    base_info: Sparse,
    path: Vec<u32>,
    /// Indexes of the own modifiers, in order.
    modifiers: Vec<u32>,
    stack: [Vertex; MAX_RESOLVE_DEPTH],
    depth: usize,
    mode: Mode,
    root: u32,
    ptr_size: u32,
    own_ptr_size: Option<u32>,
    too_many_reported: bool,
    order: O,
}

impl<'a, 'd, O: ByteOrder + Default> Validator<'a, 'd, O> {
    fn new(btf: &'a Btf<'d>) -> Self {
        Validator {
            btf,
            errs: Vec::new(),
            start_id: btf.start_id().0,
            next_id: btf.next_id().0,
            strs: StrView::new(btf),
            types: btf.type_section(),
            ent: Vec::new(),
            own_ok: Vec::new(),
            base_ok: Sparse::new(),
            base_memo: Sparse::new(),
            base_info: Sparse::new(),
            path: Vec::new(),
            modifiers: Vec::new(),
            stack: [Vertex {
                id: 0,
                next_member: 0,
                bad: false,
            }; MAX_RESOLVE_DEPTH],
            depth: 0,
            mode: Mode::Tbd,
            root: 0,
            ptr_size: DEFAULT_PTR_SIZE,
            own_ptr_size: None,
            too_many_reported: false,
            order: O::default(),
        }
    }

    fn run(mut self) -> Vec<Error> {
        self.check_header();
        self.check_strings();
        self.check_layout();
        self.check_type_section();
        self.check_metas();
        self.check_all_types();
        self.check_type_tags();
        self.errs
    }

    #[inline(always)]
    fn rd(&self, pos: usize) -> u32 {
        self.order.u32(self.types, pos)
    }

    #[inline(always)]
    fn idx(&self, id: u32) -> usize {
        (id - self.start_id) as usize
    }

    /// Reads the `u32` at `at` bytes into own type `id`'s record.
    #[inline(always)]
    fn field(&self, id: u32, at: usize) -> u32 {
        self.rd(self.ent[self.idx(id)].off as usize + at)
    }

    /// The `size`/`type` word of own type `idx`.
    #[inline(always)]
    fn st_at(&self, idx: usize) -> u32 {
        self.rd(self.ent[idx].off as usize + 8)
    }

    #[inline(always)]
    fn kind_at(&self, idx: usize) -> Kind {
        Kind(self.ent[idx].ks as u8)
    }

    #[inline(always)]
    fn flags_at(&self, idx: usize) -> u8 {
        (self.ent[idx].ks >> 8) as u8
    }

    #[inline(always)]
    fn state_of(&self, idx: usize) -> u8 {
        self.flags_at(idx) & STATE_MASK
    }

    #[inline(always)]
    fn set_state(&mut self, idx: usize, s: u8) {
        self.ent[idx].ks = (self.ent[idx].ks & !(u16::from(STATE_MASK) << 8)) | (u16::from(s) << 8);
    }

    // --- errors ---

    #[cold]
    fn blob_err(&mut self, rule: Rule, offset: usize, detail: String) {
        self.errs.push(Error::blob(rule, offset, detail));
    }

    /// An error on type `id` (own or base), `at` bytes into its record.
    #[cold]
    fn make_err(&self, rule: Rule, id: u32, at: usize, detail: String) -> Error {
        match self.btf.type_by_id(TypeId(id)) {
            Some(t) => {
                // A name offset inside a base string names nothing meaningful.
                let off = t.name_off().0;
                let name = if off < self.strs.own_start
                    && off < self.strs.total
                    && !self.strs.is_base_start(off)
                {
                    String::new()
                } else {
                    self.btf.name_lossy(&t)
                };
                Error::at_type(rule, t.id(), t.kind(), name, t.blob_offset() + at, detail)
            }
            None => Error::blob(rule, 0, detail),
        }
    }

    #[cold]
    fn type_err(&mut self, rule: Rule, id: u32, at: usize, detail: String) {
        let e = self.make_err(rule, id, at, detail);
        self.errs.push(e);
    }

    /// A step failure with an error on type `id`.
    #[cold]
    fn fail(&self, rule: Rule, id: u32, at: usize, detail: String) -> Step {
        Step::Fail(Some(self.make_err(rule, id, at, detail)))
    }

    /// `"member 3 'x': "` and the like, for messages.
    #[cold]
    fn label(&self, id: u32, field: Field) -> String {
        let Some(t) = self.btf.type_by_id(TypeId(id)) else {
            return String::new();
        };
        let (what, i, pos) = match field {
            Field::Type => return String::new(),
            Field::Member(i) => ("member", i, raw::TYPE_LEN + raw::MEMBER_LEN * i),
            Field::Value(i) => (
                "value",
                i,
                raw::TYPE_LEN + i * t.kind().elem_size().unwrap_or(0),
            ),
            Field::Param(i) => ("param", i, raw::TYPE_LEN + raw::PARAM_LEN * i),
        };
        let off = t.u32_at(pos);
        let name = if off == 0 {
            "(anon)".to_string()
        } else {
            self.btf
                .str_at(StrOffset(off))
                .map_or_else(|| "(invalid name offset)".to_string(), show)
        };
        format!("{what} {i} '{name}': ")
    }

    /// `[12] STRUCT 'foo'`, for messages.
    #[cold]
    fn describe(&self, id: u32) -> String {
        if id == 0 {
            return "[0] void".to_string();
        }
        match self.btf.type_by_id(TypeId(id)) {
            Some(t) => {
                let name = self.btf.name(&t);
                if name.is_empty() {
                    format!("[{id}] {}", t.kind())
                } else {
                    format!("[{id}] {} '{}'", t.kind(), show(name))
                }
            }
            None => format!("[{id}] (no such type)"),
        }
    }
}
