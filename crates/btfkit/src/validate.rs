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

// --- the kernel's lib/ctype.c, for name checks ----------------------------------------

const C_FIRST: u8 = 1;
const C_REST: u8 = 2;
const C_PRINT: u8 = 4;

/// Character classes as the kernel's `isalpha` / `isalnum` / `isprint` see them (its
/// ctype table is Latin-1: bytes 0xc0-0xff other than 0xd7 and 0xf7 are letters, bytes
/// 0xa0-0xff are printable), plus `_` and `.` as identifier characters.
static CTYPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let alpha = b.is_ascii_alphabetic() || (b >= 0xc0 && b != 0xd7 && b != 0xf7);
        let digit = b.is_ascii_digit();
        let print = (b >= 0x20 && b <= 0x7e) || b >= 0xa0;
        let mut v = 0;
        if alpha || b == b'_' || b == b'.' {
            v |= C_FIRST | C_REST;
        }
        if digit {
            v |= C_REST;
        }
        if print {
            v |= C_PRINT;
        }
        t[c] = v;
        c += 1;
    }
    t
};

/// Why a name is not acceptable.
enum BadName {
    /// The byte at this position is not allowed there.
    Char(usize, u8),
    /// The name is this long (at least `KSYM_NAME_LEN`).
    TooLong,
}

/// `btf_name_valid_identifier` on the bytes from the name's offset to the end of its
/// string section; the first byte is known to be non-NUL. A missing terminator (already
/// reported for the section) ends the name.
#[inline]
fn check_ident(s: &[u8]) -> Result<(), BadName> {
    if CTYPE[s[0] as usize] & C_FIRST == 0 {
        return Err(BadName::Char(0, s[0]));
    }
    // The kernel looks at KSYM_NAME_LEN bytes, then wants the terminator.
    let lim = s.len().min(KSYM_NAME_LEN + 1);
    let mut i = 1;
    while i < lim {
        let c = s[i];
        if c == 0 {
            return Ok(());
        }
        if i == KSYM_NAME_LEN {
            return Err(BadName::TooLong);
        }
        if CTYPE[c as usize] & C_REST == 0 {
            return Err(BadName::Char(i, c));
        }
        i += 1;
    }
    Ok(())
}

/// One pass over a string section: bit `o` is set when a string starts at `o` and is a
/// valid identifier (`btf_name_valid_identifier`). Bytes are classified 64 at a time in
/// a form the compiler vectorizes, then strings are delimited with bit masks. Names with
/// bytes above 0x7f are left unset, for the exact check on use.
fn prescan_idents(s: &[u8]) -> Vec<u64> {
    /// Masks of the bytes that may not appear in an ASCII identifier (NUL excepted),
    /// and of the NUL bytes.
    #[inline(always)]
    fn masks(chunk: &[u8; 64]) -> (u64, u64) {
        let mut bad = [0u8; 64];
        let mut nul = [0u8; 64];
        for i in 0..64 {
            let c = chunk[i];
            let alpha = (c | 0x20).wrapping_sub(b'a') < 26;
            let digit = c.wrapping_sub(b'0') < 10;
            let ok = alpha | digit | (c == b'_') | (c == b'.') | (c == 0);
            bad[i] = u8::from(!ok);
            nul[i] = u8::from(c == 0);
        }
        (pack(&bad), pack(&nul))
    }
    /// Bit `i` of the result is byte `i` of `f` (each 0 or 1).
    #[inline(always)]
    fn pack(f: &[u8; 64]) -> u64 {
        let mut m = 0u64;
        for j in 0..8 {
            let w = u64::from_le_bytes(f[j * 8..j * 8 + 8].try_into().expect("8 bytes"));
            m |= (w.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (j * 8);
        }
        m
    }
    let n = s.len();
    let mut bits = vec![0u64; n / 64 + 1];
    let mut start = 0usize;
    let mut bad_acc = false;
    let mut chunks = s.chunks_exact(64);
    // The partial last chunk, padded with a byte that is not NUL (an unterminated
    // last string is left to the exact check).
    let mut tail = [0x80u8; 64];
    let mut base = 0usize;
    while base < n {
        let chunk: &[u8; 64] = match chunks.next() {
            Some(c) => c.try_into().expect("64 bytes"),
            None => {
                let r = chunks.remainder();
                tail[..r.len()].copy_from_slice(r);
                &tail
            }
        };
        let (bm, mut nm) = masks(chunk);
        let mut lo = start.saturating_sub(base);
        while nm != 0 {
            let e = nm.trailing_zeros() as usize;
            let end = base + e;
            let len = end - start;
            let seg = ((1u64 << e) - 1) >> lo << lo;
            if !bad_acc
                && bm & seg == 0
                && len != 0
                && len <= KSYM_NAME_LEN
                && !s[start].is_ascii_digit()
            {
                bits[start >> 6] |= 1 << (start & 63);
            }
            start = end + 1;
            bad_acc = false;
            lo = e + 1;
            nm &= nm - 1;
        }
        if lo < 64 {
            bad_acc |= bm >> lo != 0;
        }
        base += 64;
    }
    bits
}

#[inline]
fn bit(bits: &[u64], i: usize) -> bool {
    bits.get(i >> 6).is_some_and(|w| w >> (i & 63) & 1 != 0)
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

/// `btf_name_valid_section`: printable characters only (first byte non-NUL).
fn check_section_name(s: &[u8]) -> Result<(), BadName> {
    let lim = s.len().min(KSYM_NAME_LEN + 1);
    for (i, &c) in s.iter().enumerate().take(lim) {
        if c == 0 {
            return Ok(());
        }
        if i == KSYM_NAME_LEN {
            return Err(BadName::TooLong);
        }
        if CTYPE[c as usize] & C_PRINT == 0 {
            return Err(BadName::Char(i, c));
        }
    }
    Ok(())
}

/// The string at the start of `s`, for messages (escaped, shortened).
fn show(s: &[u8]) -> String {
    let end = memchr::memchr(0, s).unwrap_or(s.len());
    let s = &s[..end];
    if s.len() > 64 {
        format!("{}...", s[..64].escape_ascii())
    } else {
        s.escape_ascii().to_string()
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

// --- string sections -----------------------------------------------------------------

/// The string sections a blob's offsets resolve into: its base's (root first), then
/// its own.
struct StrView<'d> {
    /// `(first offset, bytes)` of each base string section, root first.
    bases: Vec<(u32, &'d [u8])>,
    own_start: u32,
    own: &'d [u8],
    /// One past the highest valid offset.
    total: u32,
}

impl<'d> StrView<'d> {
    fn new(btf: &Btf<'d>) -> Self {
        let mut bases = Vec::new();
        let mut b = btf.base();
        while let Some(x) = b {
            bases.push((x.start_str_off().0, x.strings().bytes()));
            b = x.base();
        }
        bases.reverse();
        StrView {
            bases,
            own_start: btf.start_str_off().0,
            own: btf.strings().bytes(),
            total: btf.next_str_off().0,
        }
    }

    /// The section holding `off` (< `total`) and `off` relative to it.
    #[inline]
    fn locate(&self, off: u32) -> (&'d [u8], usize) {
        if off >= self.own_start {
            return (self.own, (off - self.own_start) as usize);
        }
        for &(start, bytes) in self.bases.iter().rev() {
            if off >= start {
                return (bytes, (off - start) as usize);
            }
        }
        (&[], 0)
    }

    /// The bytes from `off` (< `total`) to the end of its section.
    #[inline]
    fn tail(&self, off: u32) -> &'d [u8] {
        let (bytes, rel) = self.locate(off);
        bytes.get(rel..).unwrap_or(&[])
    }

    /// Whether `off` (< `own_start`, < `total`) starts a base string.
    #[inline]
    fn is_base_start(&self, off: u32) -> bool {
        let (bytes, rel) = self.locate(off);
        rel == 0 || bytes.get(rel - 1) == Some(&0)
    }

    /// The base string that `off` points into the middle of, for messages.
    fn enclosing(&self, off: u32) -> String {
        let (bytes, rel) = self.locate(off);
        let lo = rel.saturating_sub(64);
        let start = bytes[lo..rel]
            .iter()
            .rposition(|&b| b == 0)
            .map_or(lo, |p| lo + p + 1);
        let prefix = if start == lo && lo > 0 { "..." } else { "" };
        format!("{prefix}{}", show(&bytes[start..]))
    }
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

    // --- header and sections ---

    fn check_header(&mut self) {
        let h = *self.btf.header();
        let data = self.btf.data();
        if h.version != raw::VERSION {
            self.blob_err(
                Rule::BadVersion,
                raw::header::VERSION,
                format!(
                    "version is {}, only {} is supported",
                    h.version,
                    raw::VERSION
                ),
            );
        }
        if h.flags != 0 {
            self.blob_err(
                Rule::BadFlags,
                raw::header::FLAGS,
                format!("flags is {:#x}, must be 0", h.flags),
            );
        }
        let hdr_len = h.hdr_len as usize;
        let known = if hdr_len >= raw::HEADER_LAYOUT_LEN {
            raw::HEADER_LAYOUT_LEN
        } else {
            raw::HEADER_LEN
        };
        if hdr_len > known {
            if let Some(p) = data[known..hdr_len].iter().position(|&b| b != 0) {
                self.blob_err(
                    Rule::HeaderTailNotZero,
                    known + p,
                    format!(
                        "header byte {} is {:#04x}: hdr_len is {hdr_len} and the bytes past the {known} this crate knows must be zero",
                        known + p,
                        data[known + p]
                    ),
                );
            }
        }

        // btf_check_sec_info: sorted by offset, no gap, no overlap, nothing after.
        let mut secs: Vec<(u32, u32, &str, usize)> = vec![
            (h.type_off, h.type_len, "type", raw::header::TYPE_OFF),
            (h.str_off, h.str_len, "string", raw::header::STR_OFF),
        ];
        if hdr_len >= raw::HEADER_LAYOUT_LEN && h.layout_len != 0 {
            secs.push((
                h.layout_off,
                h.layout_len,
                "layout",
                raw::header::LAYOUT_OFF,
            ));
        }
        secs.sort_by_key(|s| (s.0, s.1));
        let expected = (data.len() - hdr_len) as u64;
        let mut total = 0u64;
        for &(off, len, what, field) in &secs {
            let (off, len) = (u64::from(off), u64::from(len));
            if off > expected || expected - off < len {
                self.blob_err(
                    Rule::SectionOutOfBounds,
                    field,
                    format!(
                        "{what} section [{off:#x}, {:#x}) after the header extends past the {expected} bytes that follow it",
                        off + len
                    ),
                );
            } else if total < off {
                self.blob_err(
                    Rule::SectionGap,
                    hdr_len + total as usize,
                    format!(
                        "bytes [{:#x}, {:#x}) of the blob, before the {what} section, belong to no section",
                        hdr_len as u64 + total,
                        hdr_len as u64 + off
                    ),
                );
            } else if total > off {
                self.blob_err(
                    Rule::SectionOverlap,
                    field,
                    format!(
                        "{what} section [{off:#x}, {:#x}) overlaps the section before it, which ends at {total:#x} (offsets after the header)",
                        off + len
                    ),
                );
            }
            total = total.max(off + len);
        }
        if total < expected {
            self.blob_err(
                Rule::SectionGap,
                hdr_len + total as usize,
                format!(
                    "the last {} bytes of the blob, from {:#x}, belong to no section",
                    expected - total,
                    hdr_len as u64 + total
                ),
            );
        }
    }

    fn check_strings(&mut self) {
        let h = *self.btf.header();
        let data_len = self.btf.data().len();
        let start = h.hdr_len as usize + h.str_off as usize;
        let end = start + h.str_len as usize;
        if (h.hdr_len as usize) < raw::HEADER_LAYOUT_LEN && end != data_len {
            self.blob_err(
                Rule::StringSectionNotLast,
                raw::header::STR_OFF,
                format!(
                    "the string section ends at {end:#x} but the blob at {data_len:#x}: with a {}-byte header the string section must come last",
                    h.hdr_len
                ),
            );
        }
        let s = self.btf.strings().bytes();
        self.own_ok = prescan_idents(s);
        if self.btf.is_split() && s.is_empty() {
            return;
        }
        if s.is_empty() {
            self.blob_err(
                Rule::StringSectionNoLeadingNul,
                raw::header::STR_LEN,
                "the string section is empty: base BTF needs at least the empty string".into(),
            );
            return;
        }
        if h.str_len - 1 > raw::MAX_NAME_OFFSET {
            self.blob_err(
                Rule::StringSectionTooLarge,
                raw::header::STR_LEN,
                format!(
                    "the string section is {} bytes, more than BTF_MAX_NAME_OFFSET + 1 ({})",
                    h.str_len,
                    raw::MAX_NAME_OFFSET as u64 + 1
                ),
            );
        }
        if s[s.len() - 1] != 0 {
            self.blob_err(
                Rule::StringSectionNotTerminated,
                end - 1,
                format!(
                    "the string section does not end with a NUL byte (last byte {:#04x})",
                    s[s.len() - 1]
                ),
            );
        }
        if !self.btf.is_split() && s[0] != 0 {
            self.blob_err(
                Rule::StringSectionNoLeadingNul,
                start,
                format!(
                    "the string section starts with '{}', not with the empty string",
                    show(s)
                ),
            );
        }
    }

    fn check_layout(&mut self) {
        let h = *self.btf.header();
        if (h.hdr_len as usize) < raw::HEADER_LAYOUT_LEN || h.layout_len == 0 {
            return;
        }
        if h.layout_off % 4 != 0 {
            self.blob_err(
                Rule::BadLayoutSection,
                raw::header::LAYOUT_OFF,
                format!("layout_off {:#x} is not 4-byte aligned", h.layout_off),
            );
        }
        if h.layout_len as usize % raw::LAYOUT_ENTRY_LEN != 0 {
            self.blob_err(
                Rule::BadLayoutSection,
                raw::header::LAYOUT_LEN,
                format!(
                    "layout_len {} is not a multiple of the {}-byte entry",
                    h.layout_len,
                    raw::LAYOUT_ENTRY_LEN
                ),
            );
        }
        let base = h.hdr_len as usize + h.layout_off as usize;
        for kind in Kind::all_known() {
            let k = kind.0;
            let Some(l) = self.btf.layout_entry(kind) else {
                break;
            };
            let (info, elem) = (kind.info_size().unwrap_or(0), kind.elem_size().unwrap_or(0));
            if l.info_sz as usize != info || l.elem_sz as usize != elem {
                self.blob_err(
                    Rule::BadLayoutSection,
                    base + k as usize * raw::LAYOUT_ENTRY_LEN,
                    format!(
                        "layout entry for {kind} (kind {k}) says info_sz {} elem_sz {}, but {kind} has info_sz {info} elem_sz {elem}",
                        l.info_sz, l.elem_sz
                    ),
                );
            }
        }
    }

    fn check_type_section(&mut self) {
        let h = *self.btf.header();
        if h.type_off % 4 != 0 {
            self.blob_err(
                Rule::TypeSectionMisaligned,
                raw::header::TYPE_OFF,
                format!("type_off {:#x} is not 4-byte aligned", h.type_off),
            );
        }
        if !self.btf.is_split() && h.type_len == 0 {
            self.blob_err(
                Rule::NoTypes,
                raw::header::TYPE_LEN,
                "base BTF without any type".into(),
            );
        }
    }

    // --- per-record checks (check_meta) ---

    /// One pass over the type section: the kernel's `check_meta` of every record.
    fn check_metas(&mut self) {
        let types = self.types;
        let n = self.btf.type_count() as usize;
        self.ent = vec![Ent::default(); n];
        let mut pos = 0usize;
        for idx in 0..n {
            if pos + raw::TYPE_LEN > types.len() {
                break;
            }
            let h = &types[pos..pos + raw::TYPE_LEN];
            let name_off = self.order.u32(h, 0);
            let info = self.order.u32(h, 4);
            let st = self.order.u32(h, 8);
            let k = Kind(raw::info_kind(info));
            let vlen = raw::info_vlen(info) as usize;
            let (info_sz, elem_sz) = match (k.info_size(), k.elem_size()) {
                (Some(i), Some(e)) => (i, e),
                _ => self
                    .btf
                    .layout_entry(k)
                    .map_or((0, 0), |l| (l.info_sz as usize, l.elem_sz as usize)),
            };
            self.ent[idx].off = pos as u32;
            self.ent[idx].ks = u16::from(k.0);
            let id = self.start_id + idx as u32;
            if !self.meta(id, pos, name_off, info, st) {
                self.set_state(idx, FAILED);
            }
            pos += raw::TYPE_LEN + info_sz + vlen * elem_sz;
        }
    }

    /// Checks a string offset field at `at` bytes into own type `id`'s record. False
    /// when it failed (and was reported).
    #[inline(always)]
    fn name(&mut self, id: u32, at: usize, off: u32, field: Field, req: NameRule) -> bool {
        if off == 0 {
            if self.strs.total != 0
                && matches!(
                    req,
                    NameRule::OptionalIdent | NameRule::Any | NameRule::Forbidden
                )
            {
                return true;
            }
        } else if matches!(req, NameRule::OptionalIdent | NameRule::Ident) {
            if off >= self.strs.own_start {
                if bit(&self.own_ok, (off - self.strs.own_start) as usize) {
                    return true;
                }
            } else if self.base_ok.get(off as usize >> 6) >> (off & 63) & 1 != 0 {
                return true;
            }
        }
        self.name_slow(id, at, off, field, req)
    }

    fn name_slow(&mut self, id: u32, at: usize, off: u32, field: Field, req: NameRule) -> bool {
        if req == NameRule::Forbidden {
            if off != 0 {
                self.name_err(Rule::UnexpectedName, id, at, off, field);
                return false;
            }
            return true;
        }
        if off > raw::MAX_NAME_OFFSET || off >= self.strs.total {
            self.name_err(Rule::NameOffsetOutOfRange, id, at, off, field);
            return false;
        }
        let in_base = off < self.strs.own_start;
        if in_base && !self.strs.is_base_start(off) {
            self.name_err(Rule::NameInsideBaseString, id, at, off, field);
            return false;
        }
        if off == 0 {
            if matches!(
                req,
                NameRule::NonEmpty | NameRule::Ident | NameRule::Section
            ) {
                self.name_err(Rule::MissingName, id, at, off, field);
                return false;
            }
            return true;
        }
        if req == NameRule::Any {
            return true;
        }
        let s = self.strs.tail(off);
        if matches!(s.first(), None | Some(0)) {
            let rule = if req == NameRule::OptionalIdent {
                Rule::InvalidName
            } else {
                Rule::MissingName
            };
            self.name_err(rule, id, at, off, field);
            return false;
        }
        let r = match req {
            NameRule::OptionalIdent | NameRule::Ident => check_ident(s),
            NameRule::Section => check_section_name(s),
            _ => Ok(()),
        };
        match r {
            Ok(()) => {
                if in_base && matches!(req, NameRule::OptionalIdent | NameRule::Ident) {
                    let len = self.strs.own_start as usize / 64 + 1;
                    *self.base_ok.entry(off as usize >> 6, len) |= 1 << (off & 63);
                }
                true
            }
            Err(bad) => {
                self.bad_name(id, at, off, field, req, s, bad);
                false
            }
        }
    }

    #[cold]
    fn name_err(&mut self, rule: Rule, id: u32, at: usize, off: u32, field: Field) {
        let kind = self.kind_at(self.idx(id));
        let what = match field {
            Field::Type if matches!(kind, Kind::DECL_TAG | Kind::TYPE_TAG) => "tag value",
            _ => "name",
        };
        let label = self.label(id, field);
        let detail = match rule {
            Rule::UnexpectedName => format!(
                "{label}{} must have no name, but name_off is {off}",
                if matches!(field, Field::Type) {
                    kind.to_string()
                } else {
                    "this field".into()
                }
            ),
            Rule::NameOffsetOutOfRange => format!(
                "{label}{what} offset {off} is past the end of the strings ({} bytes{})",
                self.strs.total,
                if off > raw::MAX_NAME_OFFSET {
                    ", and above BTF_MAX_NAME_OFFSET"
                } else {
                    ""
                }
            ),
            Rule::NameInsideBaseString => format!(
                "{label}{what} offset {off} points into the middle of base string '{}': this split BTF was not built against this base",
                self.strs.enclosing(off)
            ),
            Rule::MissingName => format!("{label}{what} is required but empty (offset {off})"),
            _ => format!(
                "{label}{what} offset {off} points at an empty string; an anonymous {kind} must use offset 0"
            ),
        };
        self.type_err(rule, id, at, detail);
    }

    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn bad_name(
        &mut self,
        id: u32,
        at: usize,
        off: u32,
        field: Field,
        req: NameRule,
        s: &[u8],
        bad: BadName,
    ) {
        let label = self.label(id, field);
        let what = if req == NameRule::Section {
            "a section name (printable characters only)"
        } else {
            "a valid identifier ([A-Za-z_.][A-Za-z0-9_.]*)"
        };
        let detail = match bad {
            BadName::Char(i, c) => format!(
                "{label}name '{}' (offset {off}) is not {what}: byte {c:#04x} at position {i}",
                show(s)
            ),
            BadName::TooLong => format!(
                "{label}name at offset {off} is longer than the {KSYM_NAME_LEN} bytes the kernel allows"
            ),
        };
        self.type_err(Rule::InvalidName, id, at, detail);
    }

    /// Whether `id` may be stored in a type-id field.
    #[inline(always)]
    fn id_ok(&self, id: u32) -> bool {
        id < self.next_id && id <= raw::MAX_TYPE
    }

    /// Checks a type-id field `at` bytes into own type `id`'s record.
    #[inline(always)]
    fn type_ref(&mut self, id: u32, at: usize, target: u32, field: Field) -> bool {
        if self.id_ok(target) {
            return true;
        }
        self.ref_err(id, at, target, field);
        false
    }

    #[cold]
    fn ref_err(&mut self, id: u32, at: usize, target: u32, field: Field) {
        let label = self.label(id, field);
        let what = match (field, at) {
            (Field::Type, 12) => "element type",
            (Field::Type, 16) => "index type",
            (Field::Type, _) if self.kind_at(self.idx(id)) == Kind::FUNC_PROTO => "return type",
            (Field::Type, _) if self.kind_at(self.idx(id)) == Kind::DECL_TAG => "target type",
            _ => "type",
        };
        let detail = format!(
            "{label}{what} [{target}] does not exist: the highest type id is {}",
            self.next_id - 1
        );
        self.type_err(Rule::TypeIdOutOfRange, id, at, detail);
    }

    #[cold]
    fn vlen_err(&mut self, id: u32, info: u32) {
        let d = format!(
            "{} must have vlen 0, has {}",
            Kind(raw::info_kind(info)),
            raw::info_vlen(info)
        );
        self.type_err(Rule::BadVlen, id, 4, d);
    }

    #[cold]
    fn kflag_err(&mut self, id: u32, info: u32) {
        let d = format!(
            "{} must not have the kind flag set",
            Kind(raw::info_kind(info))
        );
        self.type_err(Rule::BadKindFlag, id, 4, d);
    }

    #[cold]
    fn simple_err(&mut self, rule: Rule, id: u32, at: usize, detail: &str) {
        self.type_err(rule, id, at, detail.to_string());
    }

    /// What the kind table says of every record of kind `k` (`f`): its name, `vlen`, kind
    /// flag, an unused `size`/`type` word, a type id there. False when a problem was
    /// found. Inlined into each arm of [`Self::meta`] with a constant kind, so the facts
    /// fold into the code.
    #[inline(always)]
    fn meta_common(&mut self, k: Kind, id: u32, name_off: u32, info: u32, st: u32) -> bool {
        let Some(f) = k.facts() else {
            return false;
        };
        let vlen = raw::info_vlen(info);
        let kflag = raw::info_kflag(info);
        let mut ok = self.name(id, 0, name_off, Field::Type, f.name_rule);
        match f.vlen {
            Vlen::Zero if vlen != 0 => {
                self.vlen_err(id, info);
                ok = false;
            }
            Vlen::Linkage if vlen > raw::FUNC_GLOBAL => {
                self.linkage_err(id, vlen);
                ok = false;
            }
            _ => {}
        }
        if kflag && !f.kflag {
            self.kflag_err(id, info);
            ok = false;
        }
        match f.size_type {
            SizeType::ZeroSize if st != 0 => {
                let d = format!("{k} size field must be 0, is {st}");
                self.type_err(Rule::BadSize, id, 8, d);
                ok = false;
            }
            SizeType::ZeroType if st != 0 => {
                let d = format!("{k} type field must be 0, is {st}");
                self.type_err(Rule::UnexpectedTypeField, id, 8, d);
                ok = false;
            }
            SizeType::Type if k == Kind::VAR && st == 0 => {
                self.simple_err(Rule::BadReferencedKind, id, 8, "VAR has type void");
                ok = false;
            }
            SizeType::Type => ok &= self.type_ref(id, 8, st, Field::Type),
            _ => {}
        }
        ok
    }

    /// The kernel's `check_meta` for the record of `id` at `p`: what the kind table says
    /// of every kind ([`Self::meta_common`]), then the kind's own `*_check_meta`. False
    /// when a problem was found.
    fn meta(&mut self, id: u32, p: usize, name_off: u32, info: u32, st: u32) -> bool {
        if id >= raw::MAX_TYPE && !self.too_many_reported {
            self.too_many_reported = true;
            let d = format!(
                "type id {id} is past the last id the kernel accepts ({}): too many types",
                raw::MAX_TYPE - 1
            );
            self.type_err(Rule::TooManyTypes, id, 0, d);
        }
        let k = Kind(raw::info_kind(info));
        let vlen = raw::info_vlen(info);
        // Each arm passes its kind as a constant (see meta_common).
        macro_rules! common {
            ($k:expr) => {
                self.meta_common($k, id, name_off, info, st)
            };
        }
        match k {
            Kind::INT => {
                let ok = common!(Kind::INT);
                self.meta_int(id, p, st) & ok
            }
            Kind::PTR => common!(Kind::PTR),
            Kind::TYPEDEF => {
                self.modifiers.push(id - self.start_id);
                common!(Kind::TYPEDEF)
            }
            Kind::VOLATILE | Kind::CONST | Kind::RESTRICT => {
                self.modifiers.push(id - self.start_id);
                common!(k)
            }
            Kind::TYPE_TAG => {
                self.modifiers.push(id - self.start_id);
                common!(Kind::TYPE_TAG)
            }
            Kind::ARRAY => {
                let mut ok = common!(Kind::ARRAY);
                let elem = self.rd(p + 12);
                let index = self.rd(p + 16);
                if elem == 0 {
                    self.simple_err(Rule::ArrayBadElemType, id, 12, "element type is void");
                    ok = false;
                } else {
                    ok &= self.type_ref(id, 12, elem, Field::Type);
                }
                if index == 0 {
                    self.simple_err(Rule::ArrayBadIndexType, id, 16, "index type is void");
                    ok = false;
                } else {
                    ok &= self.type_ref(id, 16, index, Field::Type);
                }
                ok
            }
            Kind::STRUCT | Kind::UNION => {
                let ok = common!(k);
                let req = k.facts().and_then(|f| f.elem_name);
                self.meta_struct(id, p, info, st, req.unwrap_or(NameRule::Any)) & ok
            }
            Kind::ENUM | Kind::ENUM64 => {
                let mut ok = common!(k);
                if st > 8 || !st.is_power_of_two() {
                    let d = format!("size {st} is not 1, 2, 4 or 8");
                    self.type_err(Rule::EnumBadSize, id, 8, d);
                    ok = false;
                }
                let Some(f) = k.facts() else { return false };
                let esz = f.elem_size as usize;
                let req = f.elem_name.unwrap_or(NameRule::Any);
                let types = self.types;
                let values = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + esz * vlen as usize];
                for (i, v) in values.chunks_exact(esz).enumerate() {
                    let n = self.order.u32(v, 0);
                    ok &= self.name(id, raw::TYPE_LEN + i * esz, n, Field::Value(i), req);
                }
                ok
            }
            Kind::FWD => common!(Kind::FWD),
            Kind::FUNC => {
                let ok = common!(Kind::FUNC);
                if ok && st < id {
                    self.resolve_func_early(id, st)
                } else {
                    ok
                }
            }
            Kind::FUNC_PROTO => {
                let ok = common!(Kind::FUNC_PROTO);
                let req = Kind::FUNC_PROTO.facts().and_then(|f| f.elem_name);
                self.meta_func_proto(id, p, info, req.unwrap_or(NameRule::Any)) & ok
            }
            Kind::VAR => {
                let ok = common!(Kind::VAR);
                let linkage = self.rd(p + raw::TYPE_LEN);
                if linkage != raw::VAR_STATIC && linkage != raw::VAR_GLOBAL_ALLOCATED {
                    let d = format!(
                        "linkage {linkage} is not static (0) or global allocated (1){}",
                        if linkage == raw::VAR_GLOBAL_EXTERN {
                            "; the kernel rejects extern VARs"
                        } else {
                            ""
                        }
                    );
                    self.type_err(Rule::VarBadLinkage, id, raw::TYPE_LEN, d);
                    return false;
                }
                ok
            }
            Kind::DATASEC => {
                let ok = common!(Kind::DATASEC);
                self.meta_datasec(id, p, info, st) & ok
            }
            Kind::FLOAT => {
                let ok = common!(Kind::FLOAT);
                if !matches!(st, 2 | 4 | 8 | 12 | 16) {
                    let d = format!("FLOAT size {st} is not 2, 4, 8, 12 or 16");
                    self.type_err(Rule::BadSize, id, 8, d);
                    return false;
                }
                ok
            }
            Kind::DECL_TAG => {
                let ok = common!(Kind::DECL_TAG);
                let comp = self.rd(p + raw::TYPE_LEN) as i32;
                if comp < -1 {
                    let d = format!("component_idx {comp} is below -1");
                    self.type_err(Rule::DeclTagBadComponent, id, raw::TYPE_LEN, d);
                    return false;
                }
                ok
            }
            _ => {
                let d = format!(
                    "kind {} is not a kind the kernel knows (1..={})",
                    k.0,
                    Kind::MAX_KNOWN
                );
                self.type_err(Rule::UnknownKind, id, 4, d);
                false
            }
        }
    }

    #[cold]
    fn linkage_err(&mut self, id: u32, vlen: u32) {
        let d = format!(
            "linkage {vlen} is not static (0) or global (1){}",
            if vlen == raw::FUNC_EXTERN {
                "; the kernel rejects extern FUNCs"
            } else {
                ""
            }
        );
        self.type_err(Rule::FuncBadLinkage, id, 4, d);
    }

    fn meta_int(&mut self, id: u32, p: usize, st: u32) -> bool {
        let mut ok = true;
        let data = self.rd(p + raw::TYPE_LEN);
        if data & !raw::INT_MASK != 0 {
            let d = format!(
                "INT data {data:#010x} has bits set outside {:#010x}",
                raw::INT_MASK
            );
            self.type_err(Rule::IntBadData, id, raw::TYPE_LEN, d);
            ok = false;
        }
        let bits = raw::int_bits(data) as u32;
        let boff = raw::int_offset(data) as u32;
        let nr_bits = bits + boff;
        if nr_bits > 128 {
            let d = format!("bits {bits} + bit offset {boff} = {nr_bits} exceeds 128");
            self.type_err(Rule::IntBadBits, id, raw::TYPE_LEN, d);
            ok = false;
        } else if roundup_bytes(nr_bits) > st {
            let d = format!(
                "bits {bits} + bit offset {boff} = {nr_bits} bits do not fit in size {st} bytes"
            );
            self.type_err(Rule::IntBadBits, id, raw::TYPE_LEN, d);
            ok = false;
        }
        let enc = raw::int_encoding(data);
        if !matches!(enc, 0 | raw::INT_SIGNED | raw::INT_CHAR | raw::INT_BOOL) {
            let d = format!("encoding {enc:#x} is not one of none, SIGNED (1), CHAR (2), BOOL (4)");
            self.type_err(Rule::IntBadEncoding, id, raw::TYPE_LEN, d);
            ok = false;
        }
        if self.own_ptr_size.is_none() {
            if let Some(t) = self.btf.type_by_id(TypeId(id)) {
                self.own_ptr_size = long_size(self.btf, &t);
            }
        }
        ok
    }

    /// `btf_struct_check_meta`: member names (`req`), types and offsets.
    fn meta_struct(&mut self, id: u32, p: usize, info: u32, size: u32, req: NameRule) -> bool {
        let mut ok = true;
        let is_union = Kind(raw::info_kind(info)) == Kind::UNION;
        let kflag = raw::info_kflag(info);
        let mut last = 0u32;
        let types = self.types;
        let n = raw::info_vlen(info) as usize;
        let members = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::MEMBER_LEN * n];
        for (i, m) in members.chunks_exact(raw::MEMBER_LEN).enumerate() {
            let at = raw::TYPE_LEN + raw::MEMBER_LEN * i;
            let name_off = self.order.u32(m, 0);
            let mtype = self.order.u32(m, 4);
            let raw_off = self.order.u32(m, 8);
            ok &= self.name(id, at, name_off, Field::Member(i), req);
            if mtype == 0 {
                self.member_void(id, i);
                ok = false;
            } else if !self.id_ok(mtype) {
                self.ref_err(id, at + 4, mtype, Field::Member(i));
                ok = false;
            }
            let off = if kflag {
                raw::member_bit_offset(raw_off)
            } else {
                raw_off
            };
            if (is_union && off != 0) || last > off || roundup_bytes(off) > size {
                self.member_offset_err(id, i, off, last, is_union, size);
                ok = false;
            } else {
                last = off;
            }
        }
        ok
    }

    #[cold]
    fn member_void(&mut self, id: u32, i: usize) {
        let d = format!("{}member type is void", self.label(id, Field::Member(i)));
        self.type_err(
            Rule::BadReferencedKind,
            id,
            raw::TYPE_LEN + raw::MEMBER_LEN * i + 4,
            d,
        );
    }

    #[cold]
    fn member_offset_err(
        &mut self,
        id: u32,
        i: usize,
        off: u32,
        last: u32,
        is_union: bool,
        size: u32,
    ) {
        let label = self.label(id, Field::Member(i));
        let d = if is_union && off != 0 {
            format!("{label}bit offset {off}: UNION members must be at offset 0")
        } else if last > off {
            format!("{label}bit offset {off} is below the previous member's {last}: offsets must not decrease")
        } else {
            format!(
                "{label}bit offset {off} is past the end of the {size}-byte {}",
                if is_union { "union" } else { "struct" }
            )
        };
        self.type_err(
            Rule::MemberBadOffset,
            id,
            raw::TYPE_LEN + raw::MEMBER_LEN * i + 8,
            d,
        );
    }

    /// `btf_func_proto_check_meta`: parameter names (`req`) and types; `...` last.
    fn meta_func_proto(&mut self, id: u32, p: usize, info: u32, req: NameRule) -> bool {
        let mut ok = true;
        let n = raw::info_vlen(info) as usize;
        let mut unnamed = false;
        let types = self.types;
        let params = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::PARAM_LEN * n];
        for (i, q) in params.chunks_exact(raw::PARAM_LEN).enumerate() {
            let at = raw::TYPE_LEN + raw::PARAM_LEN * i;
            let name_off = self.order.u32(q, 0);
            let ty = self.order.u32(q, 4);
            if ty == 0 {
                if i + 1 < n {
                    self.vararg_err(id, i, at + 4, false);
                    ok = false;
                } else if name_off != 0 {
                    self.vararg_err(id, i, at, true);
                    ok = false;
                }
                continue;
            }
            unnamed |= name_off == 0;
            ok &= self.name(id, at, name_off, Field::Param(i), req);
            if !self.id_ok(ty) {
                self.ref_err(id, at + 4, ty, Field::Param(i));
                ok = false;
            }
        }
        if unnamed {
            let idx = self.idx(id);
            self.ent[idx].ks |= u16::from(UNNAMED_PARAM) << 8;
        }
        ok
    }

    #[cold]
    fn vararg_err(&mut self, id: u32, i: usize, at: usize, named: bool) {
        let label = self.label(id, Field::Param(i));
        let d = if named {
            format!("{label}the '...' parameter (type void) must have no name")
        } else {
            format!(
                "{label}type is void, which means '...' and is only allowed for the last parameter"
            )
        };
        self.type_err(Rule::FuncProtoBadParam, id, at, d);
    }

    /// `btf_datasec_check_meta`: a size, entries in order inside it.
    fn meta_datasec(&mut self, id: u32, p: usize, info: u32, size: u32) -> bool {
        let mut ok = true;
        if size == 0 {
            self.simple_err(Rule::BadSize, id, 8, "DATASEC size is 0");
            ok = false;
        }
        let mut last_end = 0u64;
        let mut sum = 0u64;
        for i in 0..raw::info_vlen(info) as usize {
            let at = raw::TYPE_LEN + raw::VAR_SECINFO_LEN * i;
            let ty = self.rd(p + at);
            let off = self.rd(p + at + 4);
            let sz = self.rd(p + at + 8);
            let bad = if ty == 0 {
                Some((at, "type is void".to_string()))
            } else if !self.id_ok(ty) {
                self.ref_err(id, at, ty, Field::Type);
                ok = false;
                None
            } else if u64::from(off) < last_end || off >= size {
                Some((
                    at + 4,
                    if u64::from(off) < last_end {
                        format!("offset {off} is below the end of the previous entry ({last_end})")
                    } else {
                        format!("offset {off} is past the end of the {size}-byte section")
                    },
                ))
            } else if sz == 0 || sz > size {
                Some((
                    at + 8,
                    format!("size {sz} is 0 or larger than the {size}-byte section"),
                ))
            } else if u64::from(off) + u64::from(sz) > u64::from(size) {
                Some((
                    at + 8,
                    format!("offset {off} + size {sz} exceeds the {size}-byte section"),
                ))
            } else {
                last_end = u64::from(off) + u64::from(sz);
                sum += u64::from(sz);
                None
            };
            if let Some((pos, what)) = bad {
                let d = format!("entry {i} (type [{ty}]): {what}");
                self.type_err(Rule::DatasecBadEntry, id, pos, d);
                ok = false;
            }
        }
        if sum > u64::from(size) {
            let d = format!("entry sizes add up to {sum}, more than the section size {size}");
            self.type_err(Rule::DatasecBadEntry, id, 8, d);
            ok = false;
        }
        ok
    }

    // --- resolve pass (btf_check_all_types) ---

    fn check_all_types(&mut self) {
        let n = self.ent.len();
        self.ptr_size = self.detect_ptr_size();
        for idx in 0..n {
            let st = self.state_of(idx);
            if st == FAILED {
                continue;
            }
            let k = self.kind_at(idx);
            let id = self.start_id + idx as u32;
            if k == Kind::FUNC {
                // An early FUNC: this is where the kernel resolves it.
                self.ent[idx].ks &= !(u16::from(EARLY) << 8);
            }
            if needs_resolve(k) && st != RESOLVED {
                self.resolve(id);
            }
            if k == Kind::FUNC_PROTO {
                self.func_proto_check(id);
            }
        }
    }

    /// libbpf's `determine_ptr_size`: the size of the first INT named like `long`, base
    /// types first.
    fn detect_ptr_size(&self) -> u32 {
        let mut chain = Vec::new();
        let mut b = self.btf.base();
        while let Some(x) = b {
            chain.push(x);
            b = x.base();
        }
        for base in chain.iter().rev() {
            for t in base.types() {
                if let Some(sz) = long_size(base, &t) {
                    return sz;
                }
            }
        }
        self.own_ptr_size.unwrap_or(DEFAULT_PTR_SIZE)
    }

    /// The kind of any id: void is 0.
    #[inline(always)]
    fn kind_of(&self, id: u32) -> Kind {
        if id >= self.start_id {
            self.kind_at(self.idx(id))
        } else if id == 0 {
            Kind::UNKN
        } else {
            match self.base_info.get(id as usize) {
                m if m != 0 => Kind((m >> 56) as u8 & 0x7f),
                _ => self
                    .btf
                    .type_by_id(TypeId(id))
                    .map_or(Kind::UNKN, |t| t.kind()),
            }
        }
    }

    /// Kind, `size` word and INT data word of base type `id`, memoized.
    #[inline(always)]
    fn base_info(&mut self, id: u32) -> (Kind, u32, u32) {
        fn decode(m: u64) -> (Kind, u32, u32) {
            let int = m as u32 & 0xf_ffff;
            (
                Kind((m >> 56) as u8 & 0x7f),
                (m >> 24) as u32,
                (int & 0xff) | (int >> 8 & 0xff) << 16 | (int >> 16) << 24,
            )
        }
        let m = self.base_info.get(id as usize);
        if m != 0 {
            return decode(m);
        }
        decode(self.base_info_miss(id))
    }

    /// Reads and memoizes what [`Self::base_info`] returns, encoded.
    #[inline(never)]
    fn base_info_miss(&mut self, id: u32) -> u64 {
        let (k, st, data) = match self.btf.type_by_id(TypeId(id)) {
            Some(t) => (t.kind().0, t.size(), t.int_info().map_or(0, |i| i.raw)),
            None => (0, 0, 0),
        };
        let int = (data & 0xff) | (data >> 16 & 0xff) << 8 | (data >> 24 & 0xf) << 16;
        let m = 1 << 63 | u64::from(k) << 56 | u64::from(st) << 24 | u64::from(int);
        *self.base_info.entry(id as usize, self.start_id as usize) = m;
        m
    }

    /// Kind, `size` word and INT data word of any type (void: zeros).
    #[inline(always)]
    fn info_of(&mut self, id: u32) -> (Kind, u32, u32) {
        if id >= self.start_id {
            let idx = self.idx(id);
            let k = self.kind_at(idx);
            let data = if k == Kind::INT {
                self.field(id, raw::TYPE_LEN)
            } else {
                0
            };
            (k, self.st_at(idx), data)
        } else if id == 0 {
            (Kind::UNKN, 0, 0)
        } else {
            self.base_info(id)
        }
    }

    /// The `size` word of any type.
    #[inline(always)]
    fn size_of(&self, id: u32) -> u32 {
        if id >= self.start_id {
            self.st_at(self.idx(id))
        } else {
            self.btf.type_by_id(TypeId(id)).map_or(0, |t| t.size())
        }
    }

    /// The `u32` `at` bytes into the record of any type.
    #[inline]
    fn any_field(&self, id: u32, at: usize) -> u32 {
        if id >= self.start_id {
            self.field(id, at)
        } else {
            self.btf
                .type_by_id(TypeId(id))
                .filter(|t| t.record().len() >= at + 4)
                .map_or(0, |t| t.u32_at(at))
        }
    }

    /// Whether `id` is an own type that already failed (its problem is reported).
    #[inline(always)]
    fn dep_failed(&self, id: u32) -> bool {
        id >= self.start_id && self.state_of(self.idx(id)) == FAILED
    }

    /// `env_type_is_resolved`: base types count as resolved, void never is.
    #[inline(always)]
    fn is_resolved(&self, id: u32) -> bool {
        if id >= self.start_id {
            self.flags_at(self.idx(id)) & (STATE_MASK | EARLY) == RESOLVED
        } else {
            id != 0
        }
    }

    /// `env_type_is_resolve_sink`.
    #[inline(always)]
    fn is_sink(&self, k: Kind) -> bool {
        match self.mode {
            Mode::Tbd => !needs_resolve(k),
            Mode::Ptr => !k.is_modifier() && k != Kind::PTR,
            Mode::StructOrArray => !k.is_modifier() && k != Kind::ARRAY && !k.is_composite(),
        }
    }

    /// The resolved id of an own type (0 while unresolved); a base id stands for itself.
    #[inline(always)]
    fn rid(&self, id: u32) -> u32 {
        if id >= self.start_id {
            self.ent[self.idx(id)].res
        } else {
            id
        }
    }

    /// The resolved size of an ARRAY.
    #[inline]
    fn array_size(&mut self, id: u32) -> u32 {
        if id >= self.start_id {
            self.ent[self.idx(id)].res
        } else {
            self.base_id_size(id).map_or(0, |x| x.1)
        }
    }

    /// `btf_type_id_size`: the sized type `id` stands for and its size, or `None` for
    /// void, FWD, FUNC, FUNC_PROTO, DECL_TAG and modifiers of those.
    #[inline(always)]
    fn id_size(&mut self, id: u32) -> Option<(u32, u32)> {
        if id >= self.start_id {
            let idx = self.idx(id);
            let k = self.kind_at(idx);
            if k.has_size() {
                return Some((id, self.st_at(idx)));
            } else if k == Kind::PTR {
                return Some((id, self.ptr_size));
            }
        }
        self.id_size_slow(id)
    }

    fn id_size_slow(&mut self, id: u32) -> Option<(u32, u32)> {
        if id == 0 {
            return None;
        }
        if id < self.start_id {
            return self.base_id_size(id);
        }
        let idx = self.idx(id);
        let k = self.kind_at(idx);
        if k.has_size() {
            Some((id, self.st_at(idx)))
        } else if k == Kind::ARRAY {
            Some((id, self.ent[idx].res))
        } else if k == Kind::PTR {
            Some((id, self.ptr_size))
        } else if k.is_modifier() || k == Kind::VAR {
            let r = self.ent[idx].res;
            if r == 0 {
                return None;
            }
            let rk = self.kind_of(r);
            if rk.has_size() {
                Some((r, self.size_of(r)))
            } else if rk == Kind::ARRAY {
                Some((r, self.array_size(r)))
            } else if rk == Kind::PTR {
                Some((r, self.ptr_size))
            } else {
                None
            }
        } else {
            None
        }
    }

    /// `btf_type_id_size` of a base type, computed as the kernel would have resolved the
    /// base, memoized, iteratively (chains of modifiers, VARs and ARRAYs).
    #[inline(always)]
    fn base_id_size(&mut self, id: u32) -> Option<(u32, u32)> {
        let m = self.base_memo.get(id as usize);
        if m & MEMO_DONE != 0 {
            return memo_decode(m);
        }
        self.base_id_size_slow(id)
    }

    /// [`Self::base_id_size`] when `id` is not memoized yet.
    #[inline(never)]
    fn base_id_size_slow(&mut self, id: u32) -> Option<(u32, u32)> {
        let btf = self.btf;
        self.path.clear();
        let mut cur = id;
        let mut res = loop {
            if cur == 0 || cur >= self.start_id || self.path.len() > self.start_id as usize {
                break None;
            }
            let m = self.base_memo.get(cur as usize);
            if m & MEMO_DONE != 0 {
                break memo_decode(m);
            }
            let Some(t) = btf.type_by_id(TypeId(cur)) else {
                break None;
            };
            let k = t.kind();
            if k.has_size() {
                break Some((cur, t.size()));
            } else if k == Kind::PTR {
                break Some((cur, self.ptr_size));
            } else if k.is_modifier() || k == Kind::VAR {
                self.path.push(cur);
                cur = t.size_or_type();
            } else if let Some(a) = t.array_info() {
                self.path.push(cur);
                cur = a.elem_type.0;
            } else {
                break None;
            }
        };
        if cur != 0 && cur < self.start_id {
            *self.base_memo.entry(cur as usize, self.start_id as usize) = memo_encode(res);
        }
        while let Some(p) = self.path.pop() {
            if let Some(t) = btf.type_by_id(TypeId(p)) {
                if let Some(a) = t.array_info() {
                    res = Some((p, res.map_or(0, |r| r.1).wrapping_mul(a.nelems)));
                }
            }
            *self.base_memo.entry(p as usize, self.start_id as usize) = memo_encode(res);
        }
        res
    }

    /// `btf_type_int_is_regular`: not a bitfield, 1, 2, 4, 8 or 16 bytes.
    fn int_is_regular(&self, id: u32) -> bool {
        let data = self.any_field(id, raw::TYPE_LEN);
        let bits = raw::int_bits(data) as u32;
        let bytes = roundup_bytes(bits);
        bits % 8 == 0 && raw::int_offset(data) == 0 && bytes <= 16 && bytes.is_power_of_two()
    }

    /// `btf_resolve`: the kernel's explicit-stack walk from `id`. False when it failed
    /// (then every type on the stack is marked failed).
    fn resolve(&mut self, id: u32) -> bool {
        self.mode = Mode::Tbd;
        self.root = id;
        self.depth = 0;
        if let Step::Fail(e) = self.push(id) {
            self.fail_stack(e);
            return false;
        }
        while self.depth > 0 {
            let v = self.stack[self.depth - 1];
            let step = match self.kind_at(self.idx(v.id)) {
                Kind::PTR
                | Kind::TYPEDEF
                | Kind::VOLATILE
                | Kind::CONST
                | Kind::RESTRICT
                | Kind::VAR
                | Kind::TYPE_TAG => self.op_ref(v),
                Kind::ARRAY => self.op_array(v),
                Kind::STRUCT | Kind::UNION => self.op_struct(v),
                Kind::FUNC => self.op_func(v),
                Kind::DATASEC => self.op_datasec(v),
                Kind::DECL_TAG => self.op_decl_tag(v),
                _ => Step::Fail(None),
            };
            if let Step::Fail(e) = step {
                self.fail_stack(e);
                return false;
            }
        }
        true
    }

    fn fail_stack(&mut self, e: Option<Error>) {
        while self.depth > 0 {
            self.depth -= 1;
            let idx = self.idx(self.stack[self.depth].id);
            self.set_state(idx, FAILED);
        }
        if let Some(e) = e {
            self.errs.push(e);
        }
    }

    /// `env_stack_push`.
    fn push(&mut self, id: u32) -> Step {
        if self.depth == MAX_RESOLVE_DEPTH {
            return Step::Fail(Some(self.depth_err(id)));
        }
        let idx = self.idx(id);
        if self.flags_at(idx) & EARLY != 0 {
            // The kernel would resolve this FUNC now: do it again, in its order.
            self.ent[idx].ks &= !((u16::from(EARLY) | u16::from(STATE_MASK)) << 8);
        }
        match self.state_of(idx) {
            NOT_VISITED => {}
            FAILED => return Step::Fail(None),
            _ => return Step::Fail(Some(self.loop_err(id))),
        }
        self.set_state(idx, VISITED);
        self.stack[self.depth] = Vertex {
            id,
            next_member: 0,
            bad: false,
        };
        self.depth += 1;
        if self.mode == Mode::Tbd {
            match self.kind_at(idx) {
                Kind::PTR => self.mode = Mode::Ptr,
                Kind::ARRAY | Kind::STRUCT | Kind::UNION => self.mode = Mode::StructOrArray,
                _ => {}
            }
        }
        Step::Ok
    }

    /// `env_stack_pop_resolved`.
    #[inline]
    fn pop(&mut self, res: u32) -> Step {
        self.depth -= 1;
        let idx = self.idx(self.stack[self.depth].id);
        self.set_state(idx, RESOLVED);
        self.ent[idx].res = res;
        Step::Ok
    }

    #[cold]
    fn path_text(&self, from: usize, to: u32) -> String {
        let mut s = String::new();
        for v in &self.stack[from..self.depth] {
            s.push_str(&self.describe(v.id));
            s.push_str(" -> ");
        }
        s.push_str(&self.describe(to));
        s
    }

    #[cold]
    fn loop_err(&self, id: u32) -> Error {
        let from = self.stack[..self.depth]
            .iter()
            .position(|v| v.id == id)
            .unwrap_or(0);
        let d = format!("reference loop: {}", self.path_text(from, id));
        self.make_err(Rule::ReferenceLoop, self.root, 8, d)
    }

    #[cold]
    fn depth_err(&self, next: u32) -> Error {
        let mut path = String::new();
        for (i, v) in self.stack[..self.depth].iter().enumerate() {
            if i < 3 || i + 2 >= self.depth {
                path.push_str(&self.describe(v.id));
                path.push_str(" -> ");
            } else if i == 3 {
                path.push_str("... -> ");
            }
        }
        path.push_str(&self.describe(next));
        let d = format!(
            "resolving this type follows more than the kernel's {MAX_RESOLVE_DEPTH} levels of not yet resolved references: {path}"
        );
        self.make_err(Rule::ReferenceLoop, self.root, 8, d)
    }

    /// PTR, modifiers and VAR: `btf_ptr_resolve`, `btf_modifier_resolve`,
    /// `btf_var_resolve`.
    fn op_ref(&mut self, v: Vertex) -> Step {
        let idx = self.idx(v.id);
        let k = self.kind_at(idx);
        let next = self.st_at(idx);
        if self.dep_failed(next) {
            return Step::Fail(None);
        }
        let nk = self.kf_kind(next);
        if source_only(nk) {
            let d = format!(
                "refers to {}: a {} cannot refer to a VAR, DATASEC or DECL_TAG",
                self.describe(next),
                k
            );
            return self.fail(Rule::BadReferencedKind, v.id, 8, d);
        }
        if !self.is_sink(nk) && !self.is_resolved(next) {
            return self.push(next);
        }
        if !k.is_modifier() && nk.is_modifier() {
            // A modifier resolved while resolving a struct may stop at a pointer that is
            // not resolved yet: continue from there to catch pointer loops.
            let r = self.rid(next);
            if r >= self.start_id && self.kind_at(self.idx(r)) == Kind::PTR {
                if self.dep_failed(r) {
                    return Step::Fail(None);
                }
                if !self.is_sink(Kind::PTR) && !self.is_resolved(r) {
                    return self.push(r);
                }
            }
        }
        match self.id_size(next) {
            Some((r, _)) => self.pop(r),
            None => {
                if k == Kind::VAR {
                    let d = format!("VAR of type {}, which has no size", self.describe(next));
                    return self.fail(Rule::BadReferencedKind, v.id, 8, d);
                }
                let mut r = next;
                let ok = if next != 0 && next < self.start_id {
                    // A base type: assumed valid, so a modifier chain (or FUNC) ending
                    // in void, FWD or FUNC_PROTO.
                    true
                } else {
                    if self.is_resolved(next) {
                        r = self.rid(next);
                    }
                    let rk = self.kf_kind(r);
                    r == 0 || rk == Kind::FWD || rk == Kind::FUNC_PROTO
                };
                if !ok {
                    let d = format!(
                        "refers to {}, which has no size and is not void, FWD or FUNC_PROTO",
                        self.describe(next)
                    );
                    return self.fail(Rule::BadReferencedKind, v.id, 8, d);
                }
                self.pop(r)
            }
        }
    }

    /// `btf_array_resolve`.
    fn op_array(&mut self, v: Vertex) -> Step {
        let elem = self.field(v.id, 12);
        let index = self.field(v.id, 16);
        let nelems = self.field(v.id, 20);
        if self.dep_failed(index) {
            return Step::Fail(None);
        }
        let ik = self.kf_kind(index);
        if nosize(ik) || source_only(ik) {
            let d = format!("index type {} is not an integer", self.describe(index));
            return self.fail(Rule::ArrayBadIndexType, v.id, 16, d);
        }
        if !self.is_sink(ik) && !self.is_resolved(index) {
            return self.push(index);
        }
        match self.id_size(index) {
            Some((r, _)) if self.kf_kind(r) == Kind::INT && self.int_is_regular(r) => {}
            _ => {
                let d = format!(
                    "index type {} is not a regular INT (1, 2, 4, 8 or 16 bytes, not a bitfield)",
                    self.describe(index)
                );
                return self.fail(Rule::ArrayBadIndexType, v.id, 16, d);
            }
        }
        if self.dep_failed(elem) {
            return Step::Fail(None);
        }
        let ek = self.kf_kind(elem);
        if nosize(ek) || source_only(ek) {
            let d = format!(
                "element type {} is not a sized data type",
                self.describe(elem)
            );
            return self.fail(Rule::ArrayBadElemType, v.id, 12, d);
        }
        if !self.is_sink(ek) && !self.is_resolved(elem) {
            return self.push(elem);
        }
        let Some((r, esize)) = self.id_size(elem) else {
            let d = format!("element type {} has no size", self.describe(elem));
            return self.fail(Rule::ArrayBadElemType, v.id, 12, d);
        };
        if self.kf_kind(r) == Kind::INT && !self.int_is_regular(r) {
            let d = format!(
                "element type {} is a bitfield INT, not a regular one",
                self.describe(r)
            );
            return self.fail(Rule::ArrayBadElemType, v.id, 12, d);
        }
        if nelems != 0 && esize > u32::MAX / nelems {
            let d = format!(
                "{nelems} elements of {esize} bytes = {} bytes overflows 32 bits",
                u64::from(nelems) * u64::from(esize)
            );
            return self.fail(Rule::ArraySizeOverflow, v.id, 20, d);
        }
        self.pop(esize * nelems)
    }

    /// Kind and state flags of any id in one load: void is `(0, 0)`, a base type counts
    /// as resolved.
    #[inline(always)]
    fn kf(&mut self, id: u32) -> (Kind, u8) {
        if id >= self.start_id {
            let v = self.ent[self.idx(id)].ks;
            (Kind(v as u8), (v >> 8) as u8)
        } else if id == 0 {
            (Kind::UNKN, 0)
        } else {
            (self.base_info(id).0, RESOLVED)
        }
    }

    /// The kind of any id, memoizing base types.
    #[inline(always)]
    fn kf_kind(&mut self, id: u32) -> Kind {
        self.kf(id).0
    }

    /// `btf_struct_resolve`, reporting every bad member.
    fn op_struct(&mut self, v: Vertex) -> Step {
        let idx = self.idx(v.id);
        let p = self.ent[idx].off as usize;
        let info = self.rd(p + 4);
        let ssize = self.st_at(idx);
        let kflag = raw::info_kflag(info);
        let vlen = raw::info_vlen(info);
        let mut bad = v.bad;
        if v.next_member > 0 {
            let i = v.next_member as usize - 1;
            let m = p + raw::TYPE_LEN + raw::MEMBER_LEN * i;
            let mt = self.rd(m + 4);
            let mk = self.kind_of(mt);
            let raw_off = self.rd(m + 8);
            if let Err(e) = self.check_member(v.id, i, kflag, mt, mk, raw_off, ssize) {
                self.errs.push(e);
                bad = true;
            }
        }
        let types = self.types;
        let members =
            &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::MEMBER_LEN * vlen as usize];
        for (i, m) in members
            .chunks_exact(raw::MEMBER_LEN)
            .enumerate()
            .skip(v.next_member as usize)
        {
            let mt = self.order.u32(m, 4);
            let (mk, mf) = self.kf(mt);
            if mf & STATE_MASK == FAILED {
                return Step::Fail(None);
            }
            if nosize(mk) || source_only(mk) {
                self.member_kind_err(v.id, i, mt);
                bad = true;
                continue;
            }
            if !self.is_sink(mk) && mf & (STATE_MASK | EARLY) != RESOLVED {
                let top = &mut self.stack[self.depth - 1];
                top.next_member = i as u32 + 1;
                top.bad = bad;
                return self.push(mt);
            }
            let raw_off = self.order.u32(m, 8);
            if self.member_fits(mt, mk, raw_off, kflag, ssize) {
                continue;
            }
            if let Err(e) = self.check_member(v.id, i, kflag, mt, mk, raw_off, ssize) {
                self.errs.push(e);
                bad = true;
            }
        }
        if bad {
            return Step::Fail(None);
        }
        self.pop(0)
    }

    /// The common cases of the kernel's member checks, decided quickly: true when the
    /// member of type `mt` (kind `mk`) with offset word `raw_off` certainly passes them.
    /// False sends it to [`Self::check_member`], which decides exactly.
    #[inline(always)]
    fn member_fits(&mut self, mt: u32, mk: Kind, raw_off: u32, kflag: bool, ssize: u32) -> bool {
        // A modifier stands for the type it resolves to.
        let t = if mk.is_modifier() {
            if mt >= self.start_id {
                self.ent[self.idx(mt)].res
            } else {
                match self.base_id_size(mt) {
                    Some((r, _)) => r,
                    None => return false,
                }
            }
        } else {
            mt
        };
        let (k, size, data) = self.info_of(t);
        let (off, bf) = if kflag {
            (
                raw::member_bit_offset(raw_off),
                raw::member_bitfield_size(raw_off),
            )
        } else {
            (raw_off, 0)
        };
        let fits = |bytes: u32| u64::from(off / 8) + u64::from(bytes) <= u64::from(ssize);
        match k {
            Kind::PTR => off % 8 == 0 && bf == 0 && fits(self.ptr_size),
            Kind::STRUCT | Kind::UNION => off % 8 == 0 && bf == 0 && fits(size),
            Kind::ARRAY => off % 8 == 0 && bf == 0 && fits(self.array_size(t)),
            Kind::ENUM if !kflag => off % 8 == 0 && fits(size),
            Kind::INT => {
                let bits = u32::from(raw::int_bits(data));
                if kflag {
                    let regular = bits % 8 == 0
                        && raw::int_offset(data) == 0
                        && roundup_bytes(bits) <= 16
                        && roundup_bytes(bits).is_power_of_two();
                    let nr = if bf == 0 { bits } else { bf };
                    regular
                        && (bf != 0 || off % 8 == 0)
                        && nr <= bits
                        && nr + off % 8 <= 128
                        && fits(roundup_bytes(nr + off % 8))
                } else {
                    let int_off = u32::from(raw::int_offset(data));
                    match raw_off.checked_add(int_off) {
                        Some(off) => {
                            bits + off % 8 <= 128
                                && u64::from(off / 8) + u64::from(roundup_bytes(bits + off % 8))
                                    <= u64::from(ssize)
                        }
                        None => false,
                    }
                }
            }
            _ => false,
        }
    }

    /// "struct" or "union", for messages.
    #[cold]
    fn sname(&self, sid: u32) -> &'static str {
        if self.kind_of(sid) == Kind::UNION {
            "union"
        } else {
            "struct"
        }
    }

    #[cold]
    fn member_kind_err(&mut self, id: u32, i: usize, mt: u32) {
        let d = format!(
            "{}type {} is not a sized data type",
            self.label(id, Field::Member(i)),
            self.describe(mt)
        );
        self.type_err(
            Rule::BadReferencedKind,
            id,
            raw::TYPE_LEN + raw::MEMBER_LEN * i + 4,
            d,
        );
    }

    /// A member error of STRUCT/UNION `sid`.
    #[cold]
    fn member_err(&self, rule: Rule, sid: u32, i: usize, at: usize, what: String) -> Error {
        let d = format!("{}{what}", self.label(sid, Field::Member(i)));
        self.make_err(rule, sid, at, d)
    }

    /// The kernel's `check_member` / `check_kflag_member` for member `i` of `sid` (of
    /// size `ssize`), whose type is `mt` of kind `k` and whose offset word is `raw_off`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn check_member(
        &mut self,
        sid: u32,
        i: usize,
        kflag: bool,
        mut mt: u32,
        mut k: Kind,
        raw_off: u32,
        ssize: u32,
    ) -> Result<(), Error> {
        let at = raw::TYPE_LEN + raw::MEMBER_LEN * i;
        if k.is_modifier() {
            match self.id_size(mt) {
                Some((r, _)) => {
                    mt = r;
                    k = self.kf_kind(r);
                }
                None => {
                    let what = format!(
                        "type {} does not resolve to a sized data type",
                        self.describe(mt)
                    );
                    return Err(self.member_err(Rule::BadReferencedKind, sid, i, at + 4, what));
                }
            }
        }
        match k {
            Kind::INT => {
                let data = self.any_field(mt, raw::TYPE_LEN);
                let int_bits = raw::int_bits(data) as u32;
                let int_off = raw::int_offset(data) as u32;
                let (off, nr_bits) = if kflag {
                    if !self.int_is_regular(mt) {
                        let what = format!(
                            "type {} is not a regular INT, which a member of a STRUCT/UNION with the kind flag must be",
                            self.describe(mt)
                        );
                        return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 4, what));
                    }
                    let off = raw::member_bit_offset(raw_off);
                    let bf = raw::member_bitfield_size(raw_off);
                    if bf == 0 {
                        if off % 8 != 0 {
                            let what = format!(
                                "bit offset {off} of a non-bitfield member is not a multiple of 8"
                            );
                            return Err(self.member_err(
                                Rule::MemberBadOffset,
                                sid,
                                i,
                                at + 8,
                                what,
                            ));
                        }
                        (off, int_bits)
                    } else if bf > int_bits {
                        let what = format!(
                            "bitfield size {bf} exceeds the {int_bits} bits of its type {}",
                            self.describe(mt)
                        );
                        return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                    } else {
                        (off, bf)
                    }
                } else {
                    if u32::MAX - raw_off < int_off {
                        let what = format!(
                            "bit offset {raw_off} + INT bit offset {int_off} overflows 32 bits"
                        );
                        return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                    }
                    (raw_off + int_off, int_bits)
                };
                let bytes_off = off / 8;
                let copy_bits = nr_bits + off % 8;
                if copy_bits > 128 {
                    let what = format!(
                        "{nr_bits} bits at bit offset {off} span {copy_bits} bits, more than 128"
                    );
                    return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                }
                if ssize < bytes_off || ssize - bytes_off < roundup_bytes(copy_bits) {
                    let what = format!(
                        "bit offset {off} + size {nr_bits} bits exceeds {} size {ssize} bytes",
                        self.sname(sid)
                    );
                    return Err(self.member_err(Rule::MemberExceedsSize, sid, i, at + 8, what));
                }
                Ok(())
            }
            Kind::ENUM | Kind::ENUM64 if kflag => {
                let off = raw::member_bit_offset(raw_off);
                let mut nr_bits = raw::member_bitfield_size(raw_off);
                if nr_bits == 0 {
                    if off % 8 != 0 {
                        let what = format!(
                            "bit offset {off} of a non-bitfield member is not a multiple of 8"
                        );
                        return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                    }
                    nr_bits = 32;
                } else if nr_bits > 32 {
                    let what = format!(
                        "bitfield size {nr_bits} of an enum member exceeds 32 bits (the kernel's limit)"
                    );
                    return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                }
                if ssize < roundup_bytes(off + nr_bits) {
                    let what = format!(
                        "bit offset {off} + size {nr_bits} bits exceeds {} size {ssize} bytes",
                        self.sname(sid)
                    );
                    return Err(self.member_err(Rule::MemberExceedsSize, sid, i, at + 8, what));
                }
                Ok(())
            }
            Kind::PTR
            | Kind::ARRAY
            | Kind::STRUCT
            | Kind::UNION
            | Kind::ENUM
            | Kind::ENUM64
            | Kind::FLOAT => {
                if kflag && raw::member_bitfield_size(raw_off) != 0 {
                    let what = format!(
                        "bitfield size {} on a member of type {}, which cannot be a bitfield",
                        raw::member_bitfield_size(raw_off),
                        self.describe(mt)
                    );
                    return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                }
                let off = raw_off;
                let msize = match k {
                    Kind::PTR => self.ptr_size,
                    Kind::ARRAY => self.array_size(mt),
                    _ => self.size_of(mt),
                };
                if k == Kind::FLOAT {
                    let align = u64::from(self.ptr_size.min(msize)) * 8;
                    if align != 0 && u64::from(off) % align != 0 {
                        let what = format!(
                            "bit offset {off} of a {msize}-byte FLOAT is not a multiple of {align}"
                        );
                        return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                    }
                } else if off % 8 != 0 {
                    let what = format!(
                        "bit offset {off} is not a multiple of 8: a {} member must be byte-aligned",
                        k
                    );
                    return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                }
                if u64::from(off / 8) + u64::from(msize) > u64::from(ssize) {
                    let what = format!(
                        "bit offset {off} + size {} bits ({}) exceeds {} size {ssize} bytes",
                        self.sname(sid),
                        u64::from(msize) * 8,
                        self.describe(mt)
                    );
                    return Err(self.member_err(Rule::MemberExceedsSize, sid, i, at + 8, what));
                }
                Ok(())
            }
            _ => {
                let what = format!("type {} is not a sized data type", self.describe(mt));
                Err(self.member_err(Rule::BadReferencedKind, sid, i, at + 4, what))
            }
        }
    }

    /// `btf_func_check`: the type of FUNC `id` is a FUNC_PROTO with named parameters.
    /// `Step::Ok` when it is.
    fn func_check(&self, id: u32, proto: u32) -> Step {
        if self.dep_failed(proto) {
            return Step::Fail(None);
        }
        if self.kind_of(proto) != Kind::FUNC_PROTO {
            let d = format!("type {} is not a FUNC_PROTO", self.describe(proto));
            return self.fail(Rule::BadReferencedKind, id, 8, d);
        }
        let unnamed = if proto >= self.start_id {
            self.flags_at(self.idx(proto)) & UNNAMED_PARAM != 0
        } else {
            self.btf
                .type_by_id(TypeId(proto))
                .is_some_and(|p| p.params().any(|q| q.name_off.0 == 0 && q.type_id.0 != 0))
        };
        if unnamed {
            return Step::Fail(Some(self.unnamed_err(id, proto)));
        }
        Step::Ok
    }

    /// `btf_func_resolve`.
    fn op_func(&mut self, v: Vertex) -> Step {
        let proto = self.st_at(self.idx(v.id));
        match self.func_check(v.id, proto) {
            Step::Ok => self.pop(proto),
            fail => fail,
        }
    }

    /// Resolves FUNC `id` during the record pass when its FUNC_PROTO comes earlier (the
    /// usual order): the outcome does not depend on anything the resolve pass does.
    /// False when it failed.
    fn resolve_func_early(&mut self, id: u32, proto: u32) -> bool {
        match self.func_check(id, proto) {
            Step::Ok => {
                let idx = self.idx(id);
                self.set_state(idx, RESOLVED);
                self.ent[idx].ks |= u16::from(EARLY) << 8;
                self.ent[idx].res = proto;
                true
            }
            Step::Fail(e) => {
                if let Some(e) = e {
                    self.errs.push(e);
                }
                false
            }
        }
    }

    #[cold]
    fn unnamed_err(&self, id: u32, proto: u32) -> Error {
        let i = self.btf.type_by_id(TypeId(proto)).map_or(0, |p| {
            p.params()
                .position(|q| q.name_off.0 == 0 && q.type_id.0 != 0)
                .unwrap_or(0)
        });
        let d = format!(
            "parameter {i} of its FUNC_PROTO [{proto}] has no name; a FUNC's parameters must be named"
        );
        self.make_err(Rule::MissingName, id, 8, d)
    }

    /// `btf_datasec_resolve`. Unlike the kernel, an entry whose VAR had to be resolved
    /// first is still checked afterwards.
    fn op_datasec(&mut self, v: Vertex) -> Step {
        self.mode = Mode::Tbd;
        let info = self.field(v.id, 4);
        let mut bad = v.bad;
        for i in v.next_member..raw::info_vlen(info) {
            let at = raw::TYPE_LEN + raw::VAR_SECINFO_LEN * i as usize;
            let vt = self.field(v.id, at);
            let vsize = self.field(v.id, at + 8);
            if self.dep_failed(vt) {
                return Step::Fail(None);
            }
            if self.kf_kind(vt) != Kind::VAR {
                let d = format!("entry {i}: {} is not a VAR", self.describe(vt));
                self.type_err(Rule::DatasecBadEntry, v.id, at, d);
                bad = true;
                continue;
            }
            if !self.is_resolved(vt) {
                let top = &mut self.stack[self.depth - 1];
                top.next_member = i;
                top.bad = bad;
                return self.push(vt);
            }
            let var_type = self.size_of(vt);
            match self.id_size(var_type) {
                None => {
                    let d = format!(
                        "entry {i}: the type {} of VAR {} has no size",
                        self.describe(var_type),
                        self.describe(vt)
                    );
                    self.type_err(Rule::DatasecBadEntry, v.id, at, d);
                    bad = true;
                }
                Some((_, size)) if vsize < size => {
                    let d = format!(
                        "entry {i}: size {vsize} is smaller than the {size} bytes of VAR {}",
                        self.describe(vt)
                    );
                    self.type_err(Rule::DatasecBadEntry, v.id, at + 8, d);
                    bad = true;
                }
                Some(_) => {}
            }
        }
        if bad {
            return Step::Fail(None);
        }
        self.pop(0)
    }

    /// `btf_decl_tag_resolve`.
    fn op_decl_tag(&mut self, v: Vertex) -> Step {
        let next = self.st_at(self.idx(v.id));
        if self.dep_failed(next) {
            return Step::Fail(None);
        }
        let nk = self.kf_kind(next);
        if !matches!(
            nk,
            Kind::FUNC | Kind::STRUCT | Kind::UNION | Kind::VAR | Kind::TYPEDEF
        ) {
            let d = format!(
                "target {} is not a STRUCT, UNION, FUNC, VAR or TYPEDEF",
                self.describe(next)
            );
            return self.fail(Rule::BadReferencedKind, v.id, 8, d);
        }
        if !self.is_sink(nk) && !self.is_resolved(next) {
            return self.push(next);
        }
        let comp = self.field(v.id, raw::TYPE_LEN) as i32;
        if comp != -1 {
            if nk == Kind::VAR || nk == Kind::TYPEDEF {
                let d = format!(
                    "component_idx {comp} on {}, which has no components (use -1)",
                    self.describe(next)
                );
                return self.fail(Rule::DeclTagBadComponent, v.id, raw::TYPE_LEN, d);
            }
            let (vlen, what) = if nk.is_composite() {
                (raw::info_vlen(self.any_field(next, 4)), "members")
            } else {
                let proto = self.size_of(next);
                (raw::info_vlen(self.any_field(proto, 4)), "parameters")
            };
            if comp as u32 >= vlen {
                let d = format!(
                    "component_idx {comp} is out of range: {} has {vlen} {what}",
                    self.describe(next)
                );
                return self.fail(Rule::DeclTagBadComponent, v.id, raw::TYPE_LEN, d);
            }
        }
        self.pop(next)
    }

    /// `btf_func_proto_check`: return and parameter types must be sized.
    fn func_proto_check(&mut self, id: u32) {
        let idx = self.idx(id);
        let ret = self.st_at(idx);
        if ret != 0 {
            if self.dep_failed(ret) {
                return;
            }
            let rk = self.kind_of(ret);
            if source_only(rk) {
                let d = format!("return type {} is not a data type", self.describe(ret));
                self.type_err(Rule::FuncProtoBadParam, id, 8, d);
            } else {
                if needs_resolve(rk) && !self.is_resolved(ret) && !self.resolve(ret) {
                    return;
                }
                if self.id_size(ret).is_none() {
                    let d = format!("return type {} has no size", self.describe(ret));
                    self.type_err(Rule::FuncProtoBadParam, id, 8, d);
                }
            }
        }
        let p = self.ent[idx].off as usize;
        let n = raw::info_vlen(self.rd(p + 4)) as usize;
        let types = self.types;
        let mut params = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::PARAM_LEN * n];
        if n > 0 && self.order.u32(params, raw::PARAM_LEN * (n - 1) + 4) == 0 {
            params = &params[..raw::PARAM_LEN * (n - 1)];
        }
        for (i, q) in params.chunks_exact(raw::PARAM_LEN).enumerate() {
            let ty = self.order.u32(q, 4);
            let (k, f) = self.kf(ty);
            // Fast path: a sized type or pointer needing no resolution.
            if (k.has_size() || k == Kind::PTR)
                && (f & (STATE_MASK | EARLY) == RESOLVED || !needs_resolve(k))
            {
                continue;
            }
            if f & STATE_MASK == FAILED {
                return;
            }
            if source_only(k) {
                self.param_err(id, i, ty, "is not a data type");
                continue;
            }
            if needs_resolve(k) && !self.is_resolved(ty) && !self.resolve(ty) {
                return;
            }
            if self.id_size(ty).is_none() {
                self.param_err(id, i, ty, "has no size");
            }
        }
    }

    #[cold]
    fn param_err(&mut self, id: u32, i: usize, ty: u32, what: &str) {
        let d = format!(
            "{}type {} {what}",
            self.label(id, Field::Param(i)),
            self.describe(ty)
        );
        self.type_err(
            Rule::FuncProtoBadParam,
            id,
            raw::TYPE_LEN + raw::PARAM_LEN * i + 4,
            d,
        );
    }

    // --- btf_check_type_tags ---

    /// TYPE_TAGs must precede the other modifiers of a chain, and a chain of modifiers
    /// has at most 32 links. Linear: a walk stops at the first id already checked.
    fn check_type_tags(&mut self) {
        let mut good = self.start_id - 1;
        let modifiers = std::mem::take(&mut self.modifiers);
        for &idx in &modifiers {
            let idx = idx as usize;
            let v = self.ent[idx].ks;
            let k = Kind(v as u8);
            if (v >> 8) as u8 & STATE_MASK == FAILED {
                continue;
            }
            let id = self.start_id + idx as u32;
            let mut in_tags = k == Kind::TYPE_TAG;
            let mut limit = MAX_RESOLVE_DEPTH;
            let mut prev = id;
            let mut cur = id;
            let mut ck = k;
            while ck.is_modifier() {
                if limit == 0 {
                    let d = format!(
                        "the chain of modifiers starting here is longer than {MAX_RESOLVE_DEPTH} or loops"
                    );
                    self.type_err(Rule::ReferenceLoop, id, 8, d);
                    self.set_state(idx, FAILED);
                    break;
                }
                limit -= 1;
                if ck == Kind::TYPE_TAG {
                    if !in_tags {
                        let d = format!(
                            "refers to TYPE_TAG {}: type tags must come before the other modifiers of a chain",
                            self.describe(cur)
                        );
                        self.type_err(Rule::TypeTagAfterModifier, prev, 8, d);
                        if prev >= self.start_id {
                            let pidx = self.idx(prev);
                            self.set_state(pidx, FAILED);
                        }
                        break;
                    }
                } else {
                    in_tags = false;
                }
                if cur <= good {
                    break;
                }
                let next = self.size_of(cur);
                if self.dep_failed(next) {
                    break;
                }
                prev = cur;
                cur = next;
                ck = self.kind_of(cur);
            }
            good = id;
        }
    }
}
