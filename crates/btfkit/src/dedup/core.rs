//! The type deduplication passes of libbpf's `btf__dedup` (src/btf.c, v1.7), over type
//! records held as native 32-bit words: primitive types, struct/union/typedef graphs with
//! the hypothetical-equivalence map, unambiguous FWD resolution, reference types,
//! compaction and id remapping. Strings are not touched here: names are compared by
//! offset, as libbpf does after its string pass.
//!
//! Each function cites the libbpf function it mirrors; the order of every side effect
//! (map updates, hypothetical-map entries, candidate-table appends) is libbpf's, because
//! the output depends on it. Where libbpf recurses without bound (`btf_dedup_is_equiv`,
//! `btf_dedup_ref_type`), an explicit stack visits the same nodes in the same order.
//! Where libbpf could loop forever on malformed input (a cycle of canonical links, a
//! cycle of modifiers compared by `btf_dedup_identical_types`), this stops and reports
//! an error or a mismatch instead.

use super::table::{CandTable, FrozenTable};
use super::DedupError;
use crate::id::TypeId;
use crate::kind::Kind;
use std::cell::Cell;

/// libbpf's `BTF_UNPROCESSED_ID`.
const UNPROCESSED: u32 = u32::MAX;
/// libbpf's `BTF_IN_PROGRESS_ID`.
const IN_PROGRESS: u32 = u32::MAX - 1;
/// libbpf's `BTF_MAX_NR_TYPES`: map values above it are not type ids.
const MAX_NR_TYPES: u32 = 0x7fff_ffff;
/// Depth limit of `btf_dedup_identical_types`.
const IDENTICAL_DEPTH: u32 = 16;
/// Steps of one `btf_dedup_identical_types` comparison before switching to a memoized
/// evaluation (same answer, polynomial time on adversarial graphs).
const IDENTICAL_BUDGET: u32 = 1 << 16;

/// Candidate-table refinements for ENUM/ENUM64 (see `Core::prim_types`): every enum of
/// a name, the forward declarations (no values) among them; full enums go by a hash of
/// their record (`| 1 << 63`).
const SUB_ENUM_ALL: u64 = 1;
const SUB_ENUM_FWD: u64 = 2;

const INT: u8 = Kind::INT.0;
const PTR: u8 = Kind::PTR.0;
const ARRAY: u8 = Kind::ARRAY.0;
const STRUCT: u8 = Kind::STRUCT.0;
const UNION: u8 = Kind::UNION.0;
const ENUM: u8 = Kind::ENUM.0;
const FWD: u8 = Kind::FWD.0;
const TYPEDEF: u8 = Kind::TYPEDEF.0;
const VOLATILE: u8 = Kind::VOLATILE.0;
const CONST: u8 = Kind::CONST.0;
const RESTRICT: u8 = Kind::RESTRICT.0;
const FUNC: u8 = Kind::FUNC.0;
const FUNC_PROTO: u8 = Kind::FUNC_PROTO.0;
const VAR: u8 = Kind::VAR.0;
const DATASEC: u8 = Kind::DATASEC.0;
const FLOAT: u8 = Kind::FLOAT.0;
const DECL_TAG: u8 = Kind::DECL_TAG.0;
const TYPE_TAG: u8 = Kind::TYPE_TAG.0;
const ENUM64: u8 = Kind::ENUM64.0;

#[inline(always)]
fn kind_of(info: u32) -> u8 {
    ((info >> 24) & 0x7f) as u8
}

#[inline(always)]
fn vlen_of(info: u32) -> usize {
    (info & 0x00ff_ffff) as usize
}

/// `btf_fwd_kind`: the kind a FWD declares.
#[inline(always)]
fn fwd_kind(info: u32) -> u8 {
    if info >> 31 != 0 {
        UNION
    } else {
        STRUCT
    }
}

/// libbpf's `hash_combine`.
#[inline(always)]
fn hc(h: u64, v: u32) -> u64 {
    h.wrapping_mul(31).wrapping_add(v as u64)
}

/// `btf_hash_common`: name, info, size/type.
#[inline(always)]
fn hash_common(r: &[u32]) -> u64 {
    hc(hc(hc(0, r[0]), r[1]), r[2])
}

/// `btf_hash_typedef`: name and info.
#[inline(always)]
fn hash_typedef(r: &[u32]) -> u64 {
    hc(hc(0, r[0]), r[1])
}

/// `btf_hash_int_decl_tag`.
#[inline(always)]
fn hash_int_tag(r: &[u32]) -> u64 {
    hc(hash_common(r), r[3])
}

/// `btf_hash_enum`: the name only (so enum forward declarations meet full enums).
#[inline(always)]
fn hash_enum(r: &[u32]) -> u64 {
    hc(0, r[0])
}

/// `btf_hash_struct`: common part, member names and offsets (not member types).
#[inline]
fn hash_struct(r: &[u32]) -> u64 {
    let mut h = hash_common(r);
    for m in r[3..].chunks_exact(3) {
        h = hc(hc(h, m[0]), m[2]);
    }
    h
}

/// `btf_hash_array`.
#[inline(always)]
fn hash_array(r: &[u32]) -> u64 {
    hc(hc(hc(hash_common(r), r[3]), r[4]), r[5])
}

/// `btf_hash_fnproto`: common part (with the return type), parameter names and types.
#[inline]
fn hash_fnproto(r: &[u32]) -> u64 {
    let mut h = hash_common(r);
    for p in r[3..].chunks_exact(2) {
        h = hc(hc(h, p[0]), p[1]);
    }
    h
}

/// Calls `f` with the word position of every type-id field of a record with `info` and
/// `len` words (libbpf's `BTF_FIELD_ITER_IDS`), in field order. `len` must be the length
/// kind and vlen give.
#[inline(always)]
fn for_each_id_pos(info: u32, len: usize, mut f: impl FnMut(usize)) {
    let step = |f: &mut dyn FnMut(usize), first: usize, by: usize| {
        let mut p = first;
        while p < len {
            f(p);
            p += by;
        }
    };
    match kind_of(info) {
        PTR | TYPEDEF | VOLATILE | CONST | RESTRICT | FUNC | VAR | DECL_TAG | TYPE_TAG => f(2),
        ARRAY => {
            f(3);
            f(4);
        }
        STRUCT | UNION => step(&mut f, 4, 3),
        FUNC_PROTO => {
            f(2);
            step(&mut f, 4, 2);
        }
        DATASEC => step(&mut f, 3, 3),
        _ => {}
    }
}

/// A record comparison.
type RecEq = fn(&[u32], &[u32]) -> bool;

/// `btf_equal_common`.
#[inline(always)]
fn equal_common(a: &[u32], b: &[u32]) -> bool {
    a[..3] == b[..3]
}

/// `btf_equal_int_tag`.
#[inline(always)]
fn equal_int_tag(a: &[u32], b: &[u32]) -> bool {
    a[..4] == b[..4]
}

/// `btf_equal_enum`, `btf_equal_array`, `btf_equal_fnproto`: with equal `info` the
/// records have equal length, and every word counts.
#[inline(always)]
fn equal_whole(a: &[u32], b: &[u32]) -> bool {
    a == b
}

/// `btf_compat_enum`: equal, or a forward declaration (no values) of the same name
/// meeting any ENUM/ENUM64.
#[inline]
fn compat_enum(a: &[u32], b: &[u32]) -> bool {
    let fwd = |r: &[u32]| vlen_of(r[1]) == 0;
    if !fwd(a) && !fwd(b) {
        return equal_common(a, b) && equal_whole(a, b);
    }
    let any_enum = |r: &[u32]| matches!(kind_of(r[1]), ENUM | ENUM64);
    a[0] == b[0] && any_enum(a) && any_enum(b)
}

/// `btf_shallow_equal_struct`: all but the member types.
#[inline]
fn shallow_equal_struct(a: &[u32], b: &[u32]) -> bool {
    equal_common(a, b)
        && a[3..]
            .chunks_exact(3)
            .zip(b[3..].chunks_exact(3))
            .all(|(x, y)| x[0] == y[0] && x[2] == y[2])
}

/// `btf_compat_array`: common part and element count.
#[inline(always)]
fn compat_array(a: &[u32], b: &[u32]) -> bool {
    equal_common(a, b) && a[5] == b[5]
}

/// `btf_compat_fnproto`: name, info and parameter names.
#[inline]
fn compat_fnproto(a: &[u32], b: &[u32]) -> bool {
    a[0] == b[0]
        && a[1] == b[1]
        && a[3..]
            .chunks_exact(2)
            .zip(b[3..].chunks_exact(2))
            .all(|(x, y)| x[0] == y[0])
}

/// `btf_equal_typedef`.
#[inline(always)]
fn equal_typedef(a: &[u32], b: &[u32]) -> bool {
    a[0] == b[0] && a[1] == b[1]
}

/// Checks the records `w`/`offs` (one start per record, then the end): lengths that
/// match kind and vlen, known kinds. The first is type `first`. Appends their kinds to
/// `kinds`.
fn check_records(
    w: &[u32],
    offs: &[u32],
    first: u32,
    kinds: &mut Vec<u8>,
) -> Result<(), DedupError> {
    for i in 0..offs.len().saturating_sub(1) {
        let id = TypeId(first + i as u32);
        let (o, end) = (offs[i] as usize, offs[i + 1] as usize);
        if end < o + 3 || end > w.len() {
            return Err(DedupError::BadRecord { id });
        }
        let info = w[o + 1];
        let kind = Kind(kind_of(info));
        let (Some(isz), Some(esz)) = (kind.info_size(), kind.elem_size()) else {
            return Err(DedupError::UnknownKind { id, kind });
        };
        let vlen = if esz == 0 { 0 } else { vlen_of(info) };
        if end - o != 3 + isz / 4 + vlen * esz / 4 {
            return Err(DedupError::BadRecord { id });
        }
        kinds.push(kind.0);
    }
    Ok(())
}

/// Checks that the type ids of the records `w`/`offs` (checked already; the first is
/// type `first`) are in range (`kinds` has one entry per existing id); returns whether
/// none of the edges the equivalence walk follows reaches a VAR, DATASEC or DECL_TAG
/// (see `Core::sig`).
fn check_edges(w: &[u32], offs: &[u32], first: u32, kinds: &[u8]) -> Result<bool, DedupError> {
    let mut sound = true;
    for i in 0..offs.len().saturating_sub(1) {
        let r = &w[offs[i] as usize..offs[i + 1] as usize];
        let walked = !matches!(kind_of(r[1]), VAR | DATASEC | DECL_TAG);
        let mut bad = None;
        for_each_id_pos(r[1], r.len(), |pos| {
            let target = r[pos];
            match kinds.get(target as usize) {
                None => bad = Some(target),
                Some(&(VAR | DATASEC | DECL_TAG)) if walked => sound = false,
                Some(_) => {}
            }
        });
        if let Some(target) = bad {
            return Err(DedupError::TypeIdOutOfRange {
                id: TypeId(first + i as u32),
                target: TypeId(target),
            });
        }
    }
    Ok(sound)
}

/// What [`check_own`] found: every type's kind (base and own, one byte each, which the
/// passes read instead of the records), and whether signatures are sound for the run.
pub(super) struct Checked {
    kinds: Vec<u8>,
    sound: bool,
}

/// Checks own records over `base` as a run needs them (see [`Core::new`]).
pub(super) fn check_own(base: &Prepared, w: &[u32], starts: &[u32]) -> Result<Checked, DedupError> {
    let mut offs = Vec::with_capacity(starts.len() + 1);
    offs.extend_from_slice(starts);
    offs.push(w.len() as u32);
    let mut kinds = Vec::with_capacity(base.kinds.len() + starts.len());
    kinds.extend_from_slice(&base.kinds);
    check_records(w, &offs, base.start(), &mut kinds)?;
    // Always checked: a base that is not sound must not skip the range check of the own
    // records' references (the fuzzer found that short circuit).
    let own_sound = check_edges(w, &offs, base.start(), &kinds)?;
    Ok(Checked {
        kinds,
        sound: base.sound && own_sound,
    })
}

/// The signature behind `Core::sig`, of record `r`; `name(t)` is type `t`'s name offset.
fn sig_of(r: &[u32], name: impl Fn(u32) -> u64) -> u64 {
    let h = match kind_of(r[1]) {
        STRUCT | UNION => r[3..]
            .chunks_exact(3)
            .fold(0x243f_6a88_85a3_08d3u64, |h, m| {
                (h ^ name(m[1])).wrapping_mul(0x0000_0100_0000_01b3)
            }),
        TYPEDEF => name(r[2]).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        _ => return 0,
    };
    h | 1 << 63
}

/// The refined chain an ENUM/ENUM64 goes on besides `SUB_ENUM_ALL`.
fn enum_class(r: &[u32]) -> u64 {
    if vlen_of(r[1]) == 0 {
        return SUB_ENUM_FWD;
    }
    let h = r.iter().fold(0x243f_6a88_85a3_08d3u64, |h, &w| {
        (h ^ w as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    h | 1 << 63
}

/// The base's part of every run, prepared once: its records (void first), their kinds,
/// and its candidates (libbpf's `btf_dedup_prep`: every base type but VAR and DATASEC is
/// canonical and a candidate), frozen.
pub(super) struct Prepared {
    w: Vec<u32>,
    /// One entry per id below the own types, then the end.
    offs: Vec<u32>,
    kinds: Vec<u8>,
    /// No walked edge of the base reaches a VAR, DATASEC or DECL_TAG.
    sound: bool,
    table: FrozenTable,
}

impl Prepared {
    /// Takes void's and the base types' records (`offs`: one entry per id from 0, then
    /// the end) and prepares them.
    pub(super) fn new(w: Vec<u32>, offs: Vec<u32>) -> Result<Prepared, DedupError> {
        let start = offs.len() as u32 - 1;
        let mut kinds = Vec::with_capacity(start as usize);
        kinds.push(0);
        check_records(&w, &offs[1..], 1, &mut kinds)?;
        let sound = check_edges(&w, &offs[1..], 1, &kinds)?;
        let mut table = CandTable::new(None, start as usize + start as usize / 4);
        for id in 1..start {
            let r = &w[offs[id as usize] as usize..offs[id as usize + 1] as usize];
            let h = match kind_of(r[1]) {
                VAR | DATASEC => continue,
                CONST | VOLATILE | RESTRICT | PTR | FWD | TYPEDEF | FUNC | FLOAT | TYPE_TAG => {
                    hash_common(r)
                }
                INT | DECL_TAG => hash_int_tag(r),
                ENUM | ENUM64 => hash_enum(r),
                STRUCT | UNION => hash_struct(r),
                ARRAY => hash_array(r),
                FUNC_PROTO => hash_fnproto(r),
                k => {
                    return Err(DedupError::UnknownKind {
                        id: TypeId(id),
                        kind: Kind(k),
                    })
                }
            };
            match kind_of(r[1]) {
                ENUM | ENUM64 => {
                    let e = table.add(h, SUB_ENUM_ALL, id);
                    table.add_also(h, enum_class(r), e);
                }
                STRUCT | UNION | TYPEDEF => {
                    // On both chains: runs whose own types are not `sound` look on the
                    // unrefined one.
                    let e = table.add(h, 0, id);
                    if sound {
                        let name = |t: u32| w[offs[t as usize] as usize] as u64;
                        table.add_also(h, sig_of(r, name), e);
                    }
                }
                _ => {
                    table.add(h, 0, id);
                }
            }
        }
        Ok(Prepared {
            w,
            offs,
            kinds,
            sound,
            table: table.freeze(),
        })
    }

    /// The first own id of runs over this base.
    pub(super) fn start(&self) -> u32 {
        self.offs.len() as u32 - 1
    }

    #[inline(always)]
    fn rec(&self, id: u32) -> &[u32] {
        &self.w[self.offs[id as usize] as usize..self.offs[id as usize + 1] as usize]
    }
}

/// The dedup state of one run: the own records (the base's are borrowed) and libbpf's
/// maps and candidate table.
pub(super) struct Core<'p> {
    /// The base's records and candidates.
    base: &'p Prepared,
    /// Own records back to back (rewritten in place by the reference pass).
    w: Vec<u32>,
    /// `offs[id - start]` = first word of own type `id`; then the end.
    offs: Vec<u32>,
    /// First own id.
    start: u32,
    /// One past the last id.
    n: u32,
    /// libbpf's canonical map.
    map: Vec<u32>,
    /// libbpf's hypothetical map (and, after compaction, the old-to-new id map).
    hypot: Vec<u32>,
    hypot_list: Vec<u32>,
    adjust_canon: bool,
    table: CandTable<'p>,
    /// Work stack of `is_equiv`.
    equiv_stack: Vec<(u32, u32)>,
    /// Set when a chain of canonical links loops (libbpf would not terminate).
    map_cycle: Cell<Option<u32>>,
    /// Whether candidates may be told apart by [`Core::sig`]: no type the equivalence
    /// walk can reach is one it cannot compare (VAR, DATASEC, DECL_TAG).
    sig_sound: bool,
    /// Every type's kind.
    kinds: Vec<u8>,
}

impl<'p> Core<'p> {
    /// A run over `base` for the own records `w` (each starting at the word in
    /// `starts`), which [`check_own`] accepted: known kinds, record lengths that match
    /// kind and vlen, type ids in range.
    pub(super) fn new(
        base: &'p Prepared,
        w: Vec<u32>,
        starts: &[u32],
        checked: Checked,
    ) -> Core<'p> {
        let start = base.start();
        let mut offs = Vec::with_capacity(starts.len() + 1);
        offs.extend_from_slice(starts);
        offs.push(w.len() as u32);
        let n = start + starts.len() as u32;
        Core {
            base,
            w,
            offs,
            start,
            n,
            map: Vec::new(),
            hypot: Vec::new(),
            hypot_list: Vec::new(),
            adjust_canon: false,
            table: CandTable::new(Some(&base.table), starts.len() / 2),
            equiv_stack: Vec::new(),
            map_cycle: Cell::new(None),
            sig_sound: checked.sound,
            kinds: checked.kinds,
        }
    }

    /// A refinement of the candidate-table key of a STRUCT, UNION or TYPEDEF: a hash of
    /// the names of the types its members (or the typedef) refer to; 0 for other kinds
    /// or when not sound.
    ///
    /// Why it is exact: every pair of types `btf_dedup_is_equiv` accepts has equal name
    /// offsets (a pair is accepted when both resolve to the same canonical type, and
    /// canonical links only ever join types of equal names; when the hypothetical map
    /// pairs them, which needs equal names; when `btf_dedup_identical_types` finds them
    /// identical, which compares names; or after the explicit name check). Accepting a
    /// STRUCT/UNION pair means accepting each pair of member types, a TYPEDEF pair its
    /// pair of referenced types; so candidates whose signatures differ are rejected by
    /// libbpf too. A rejected candidate leaves no trace (its hypothetical map is
    /// cleared before the next), so skipping it changes nothing, unless its walk would
    /// have failed with an error instead: `sig_sound` rules that out.
    fn sig(&self, id: u32) -> u64 {
        if self.sig_sound {
            sig_of(self.rec(id), |t| self.rec(t)[0] as u64)
        } else {
            0
        }
    }

    /// First word of own type `id` in `w`.
    #[inline(always)]
    fn own_o(&self, id: u32) -> usize {
        self.offs[(id - self.start) as usize] as usize
    }

    #[inline(always)]
    fn rec(&self, id: u32) -> &[u32] {
        if id < self.start {
            self.base.rec(id)
        } else {
            let i = (id - self.start) as usize;
            &self.w[self.offs[i] as usize..self.offs[i + 1] as usize]
        }
    }

    #[inline(always)]
    fn info(&self, id: u32) -> u32 {
        self.rec(id)[1]
    }

    #[inline(always)]
    fn kind(&self, id: u32) -> u8 {
        self.kinds[id as usize]
    }

    #[inline(always)]
    fn mapped(&self, id: u32) -> bool {
        self.map[id as usize] <= MAX_NR_TYPES
    }

    /// `resolve_type_id`: follows canonical links to the end.
    #[inline]
    fn resolve(&self, mut id: u32) -> u32 {
        let mut steps = 0u32;
        loop {
            let m = self.map[id as usize];
            if m > MAX_NR_TYPES || m == id {
                return id;
            }
            id = m;
            steps += 1;
            if steps > self.n {
                self.map_cycle.set(Some(id));
                return id;
            }
        }
    }

    /// `resolve_fwd_id`: a FWD that resolves to a STRUCT/UNION, or the id itself.
    #[inline]
    fn resolve_fwd(&self, id: u32) -> u32 {
        if self.kind(id) != FWD {
            return id;
        }
        let r = self.resolve(id);
        if self.kind(r) != FWD {
            r
        } else {
            id
        }
    }

    fn check_cycle(&self) -> Result<(), DedupError> {
        match self.map_cycle.get() {
            Some(id) => Err(DedupError::MapCycle { id: TypeId(id) }),
            None => Ok(()),
        }
    }

    /// Runs every type pass, then compaction and remapping (libbpf's `btf__dedup`
    /// without the string pass). Returns the compacted own records (`words`, and the
    /// word index where each starts) and, for each own input type, its new id.
    pub(super) fn run(mut self) -> Result<Compacted, DedupError> {
        self.init();
        self.prim_types()?;
        self.struct_types()?;
        self.resolve_fwds();
        self.check_cycle()?;
        self.ref_types()?;
        self.check_cycle()?;
        self.compact_and_remap()
    }

    /// `btf_dedup_new` and the map part of `btf_dedup_prep`: void and base types
    /// canonical, own VAR and DATASEC self-canonical, the rest unknown.
    fn init(&mut self) {
        let n = self.n as usize;
        let mut map = Vec::with_capacity(n);
        map.extend(0..self.start);
        for id in self.start..self.n {
            map.push(if matches!(self.kind(id), VAR | DATASEC) {
                id
            } else {
                UNPROCESSED
            });
        }
        self.map = map;
        self.hypot = vec![UNPROCESSED; n];
    }

    /// `btf_dedup_prim_types`: INT, ENUM/ENUM64 (with enum forward declarations
    /// resolved both ways), FWD and FLOAT.
    fn prim_types(&mut self) -> Result<(), DedupError> {
        for id in self.start..self.n {
            let kind = self.kind(id);
            let mut new_id = id;
            let h;
            match kind {
                CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | ARRAY | STRUCT | UNION | FUNC
                | FUNC_PROTO | VAR | DATASEC | DECL_TAG | TYPE_TAG => continue,
                INT => {
                    h = hash_int_tag(self.rec(id));
                    let mut cur = self.table.cursor(h, 0);
                    while let Some(entry) = self.table.next(&mut cur) {
                        let cand = entry.id;
                        if equal_int_tag(self.rec(id), self.rec(cand)) {
                            new_id = cand;
                            break;
                        }
                    }
                }
                ENUM | ENUM64 => {
                    h = hash_enum(self.rec(id));
                    new_id = self.prim_enum(id, h);
                    self.map[id as usize] = new_id;
                    if new_id == id {
                        let class = enum_class(self.rec(id));
                        let e = self.table.add(h, SUB_ENUM_ALL, id);
                        self.table.add_also(h, class, e);
                    }
                    continue;
                }
                FWD | FLOAT => {
                    h = hash_common(self.rec(id));
                    let mut cur = self.table.cursor(h, 0);
                    while let Some(entry) = self.table.next(&mut cur) {
                        let cand = entry.id;
                        if equal_common(self.rec(id), self.rec(cand)) {
                            new_id = cand;
                            break;
                        }
                    }
                }
                k => {
                    return Err(DedupError::UnknownKind {
                        id: TypeId(id),
                        kind: Kind(k),
                    })
                }
            }
            self.map[id as usize] = new_id;
            if new_id == id {
                self.table.add(h, 0, id);
            }
        }
        Ok(())
    }

    /// The ENUM/ENUM64 case of `btf_dedup_prim_type`. libbpf walks every enum of the
    /// name (the hash is the name) until one is equal; a forward declaration (no values)
    /// takes the first enum of its name, a full enum the first equal one, and points
    /// every forward declaration it passes on the way to itself. Walking all enums of a
    /// name is quadratic when a name (or no name) recurs thousands of times, so the
    /// chains are refined: all enums of the name in order, the forward declarations, and
    /// full enums by record. Which forward declarations come before the first equal
    /// enum in libbpf's chain follows from the order rule of `CandTable::precedes`.
    fn prim_enum(&mut self, id: u32, h: u64) -> u32 {
        let t_fwd = vlen_of(self.info(id)) == 0;
        if t_fwd {
            // resolve fwd to full enum: the first enum of the name (equal or compatible)
            let mut cur = self.table.cursor(h, SUB_ENUM_ALL);
            while let Some(entry) = self.table.next(&mut cur) {
                let cand = entry.id;
                let (t, c) = (self.rec(id), self.rec(cand));
                if (equal_common(t, c) && equal_whole(t, c)) || compat_enum(t, c) {
                    return cand;
                }
            }
            return id;
        }
        let class = enum_class(self.rec(id));
        let mut equal = None;
        let mut cur = self.table.cursor(h, class);
        while let Some(entry) = self.table.next(&mut cur) {
            let cand = entry.id;
            let (t, c) = (self.rec(id), self.rec(cand));
            if equal_common(t, c) && equal_whole(t, c) {
                equal = Some(entry);
                break;
            }
        }
        // resolve canonical enum fwds met before the equal enum to this full enum
        let mut cur = self.table.cursor(h, SUB_ENUM_FWD);
        while let Some(entry) = self.table.next(&mut cur) {
            let cand = entry.id;
            let before = equal.is_none_or(|e| self.table.precedes(entry, e));
            if before && compat_enum(self.rec(id), self.rec(cand)) {
                self.map[cand as usize] = id;
            }
        }
        equal.map_or(id, |e| e.id)
    }

    /// `btf_dedup_struct_types`: STRUCT, UNION and TYPEDEF against every candidate of
    /// the same signature, by type-graph equivalence.
    fn struct_types(&mut self) -> Result<(), DedupError> {
        for id in self.start..self.n {
            if self.mapped(id) {
                continue;
            }
            let kind = self.kind(id);
            if !matches!(kind, STRUCT | UNION | TYPEDEF) {
                continue;
            }
            let h = if kind == TYPEDEF {
                hash_typedef(self.rec(id))
            } else {
                hash_struct(self.rec(id))
            };
            let sub = self.sig(id);
            let mut new_id = id;
            let mut cur = self.table.cursor(h, sub);
            while let Some(entry) = self.table.next(&mut cur) {
                let cand = entry.id;
                // Guard against a FWD (or other kind) candidate of a colliding hash.
                let same = if kind == TYPEDEF {
                    equal_typedef(self.rec(id), self.rec(cand))
                } else {
                    shallow_equal_struct(self.rec(id), self.rec(cand))
                };
                if !same {
                    continue;
                }
                self.clear_hypot();
                if !self.is_equiv(id, cand)? {
                    continue;
                }
                self.merge_hypot();
                if self.adjust_canon {
                    // not really equivalent
                    continue;
                }
                new_id = cand;
                break;
            }
            self.map[id as usize] = new_id;
            if new_id == id {
                self.table.add(h, sub, id);
            }
            self.check_cycle()?;
        }
        Ok(())
    }

    /// `btf_dedup_clear_hypot_map`.
    fn clear_hypot(&mut self) {
        for &id in &self.hypot_list {
            self.hypot[id as usize] = UNPROCESSED;
        }
        self.hypot_list.clear();
        self.adjust_canon = false;
    }

    /// `btf_dedup_is_equiv`: side-by-side walk of the candidate's and the canonical
    /// type's graphs, recording canonical-to-candidate pairs in the hypothetical map.
    /// The walk is libbpf's depth-first recursion on an explicit stack: children are
    /// pushed in reverse, so nodes are entered in the same order, and the first
    /// mismatch ends the walk as it ends libbpf's.
    fn is_equiv(&mut self, cand: u32, canon: u32) -> Result<bool, DedupError> {
        let mut stack = std::mem::take(&mut self.equiv_stack);
        stack.clear();
        stack.push((cand, canon));
        let mut result = Ok(true);
        while let Some((cand, canon)) = stack.pop() {
            match self.equiv_step(cand, canon, &mut stack) {
                Ok(true) => {}
                other => {
                    result = other;
                    break;
                }
            }
        }
        self.equiv_stack = stack;
        result
    }

    /// One entry into `btf_dedup_is_equiv`: `Ok(false)` for "not equivalent", `Ok(true)`
    /// for "equivalent so far" (children to check pushed).
    fn equiv_step(
        &mut self,
        cand: u32,
        canon: u32,
        stack: &mut Vec<(u32, u32)>,
    ) -> Result<bool, DedupError> {
        // if both resolve to the same canonical, they must be equivalent
        if self.resolve(cand) == self.resolve(canon) {
            return Ok(true);
        }
        let canon = self.resolve_fwd(canon);
        let hyp = self.hypot[canon as usize];
        if hyp <= MAX_NR_TYPES {
            if hyp == cand {
                return Ok(true);
            }
            return Ok(self.identical(hyp, cand));
        }
        self.hypot_list.push(canon);
        self.hypot[canon as usize] = cand;

        let (c, k) = (self.rec(cand), self.rec(canon));
        let (ci, ki) = (c[1], k[1]);
        if c[0] != k[0] {
            return Ok(false);
        }
        let (ck, kk) = (kind_of(ci), kind_of(ki));
        // FWD <--> STRUCT/UNION equivalence check
        if (ck == FWD || kk == FWD) && ck != kk {
            let (real, fwd) = if ck == FWD {
                (kk, fwd_kind(ci))
            } else {
                let fwd = fwd_kind(ki);
                // we'd need to resolve base FWD to STRUCT/UNION
                if fwd == ck && canon < self.start {
                    self.adjust_canon = true;
                }
                (ck, fwd)
            };
            return Ok(fwd == real);
        }
        if ck != kk {
            return Ok(false);
        }
        match ck {
            INT => Ok(equal_int_tag(c, k)),
            ENUM | ENUM64 => Ok(compat_enum(c, k)),
            FWD | FLOAT => Ok(equal_common(c, k)),
            CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | FUNC | TYPE_TAG => {
                if ci != ki {
                    return Ok(false);
                }
                stack.push((c[2], k[2]));
                Ok(true)
            }
            ARRAY => {
                if !compat_array(c, k) {
                    return Ok(false);
                }
                // index type first, then element type
                stack.push((c[3], k[3]));
                stack.push((c[4], k[4]));
                Ok(true)
            }
            STRUCT | UNION => {
                if !shallow_equal_struct(c, k) {
                    return Ok(false);
                }
                let vlen = vlen_of(ci);
                for i in (0..vlen).rev() {
                    stack.push((c[3 + 3 * i + 1], k[3 + 3 * i + 1]));
                }
                Ok(true)
            }
            FUNC_PROTO => {
                if !compat_fnproto(c, k) {
                    return Ok(false);
                }
                let vlen = vlen_of(ci);
                for i in (0..vlen).rev() {
                    stack.push((c[3 + 2 * i + 1], k[3 + 2 * i + 1]));
                }
                stack.push((c[2], k[2]));
                Ok(true)
            }
            k => Err(DedupError::Uncomparable {
                id: TypeId(cand),
                kind: Kind(k),
            }),
        }
    }

    /// `btf_dedup_identical_types(d, id1, id2, 16)`: structural identity up to a depth,
    /// used when the hypothetical map already pairs the canonical type with another
    /// candidate type. Note libbpf compares an ARRAY's index and element types with
    /// themselves (it reads both from the first array), so arrays only need compatible
    /// headers.
    fn identical(&self, id1: u32, id2: u32) -> bool {
        let mut budget = IDENTICAL_BUDGET;
        match self.identical_plain(id1, id2, IDENTICAL_DEPTH, &mut budget) {
            Some(r) => r,
            None => {
                let mut memo = hashbrown::HashMap::new();
                self.identical_memo(id1, id2, IDENTICAL_DEPTH, &mut memo)
            }
        }
    }

    /// The shallow part of `btf_dedup_identical_types` for one pair: `Err(result)` when
    /// decided here, `Ok(())` when the children must be compared.
    #[inline]
    fn identical_head(&self, id1: u32, id2: u32) -> Result<(), bool> {
        let (t1, t2) = (self.rec(id1), self.rec(id2));
        let (k1, k2) = (kind_of(t1[1]), kind_of(t2[1]));
        if k1 != k2 {
            return Err(false);
        }
        Err(match k1 {
            0 => true,
            INT => equal_int_tag(t1, t2),
            ENUM | ENUM64 => compat_enum(t1, t2),
            FWD | FLOAT => equal_common(t1, t2),
            CONST | VOLATILE | RESTRICT | PTR | TYPEDEF | FUNC | TYPE_TAG => {
                if t1[1] != t2[1] || t1[0] != t2[0] {
                    false
                } else {
                    return Ok(());
                }
            }
            ARRAY => compat_array(t1, t2),
            STRUCT | UNION => {
                if shallow_equal_struct(t1, t2) {
                    return Ok(());
                }
                false
            }
            FUNC_PROTO => {
                if compat_fnproto(t1, t2) {
                    return Ok(());
                }
                false
            }
            _ => false,
        })
    }

    /// The type-id pairs `btf_dedup_identical_types` compares one level down (for
    /// modifiers: the pair it continues with at the same depth).
    fn identical_children(&self, id1: u32, id2: u32, out: &mut Vec<(u32, u32)>) {
        let (t1, t2) = (self.rec(id1), self.rec(id2));
        match kind_of(t1[1]) {
            STRUCT | UNION => {
                for (m1, m2) in t1[3..].chunks_exact(3).zip(t2[3..].chunks_exact(3)) {
                    out.push((m1[1], m2[1]));
                }
            }
            FUNC_PROTO => {
                out.push((t1[2], t2[2]));
                for (p1, p2) in t1[3..].chunks_exact(2).zip(t2[3..].chunks_exact(2)) {
                    out.push((p1[1], p2[1]));
                }
            }
            _ => out.push((t1[2], t2[2])),
        }
    }

    fn identical_plain(
        &self,
        mut id1: u32,
        mut id2: u32,
        depth: u32,
        budget: &mut u32,
    ) -> Option<bool> {
        loop {
            *budget = budget.checked_sub(1)?;
            if depth == 0 {
                return Some(false);
            }
            if let Err(r) = self.identical_head(id1, id2) {
                return Some(r);
            }
            let (t1, t2) = (self.rec(id1), self.rec(id2));
            match kind_of(t1[1]) {
                STRUCT | UNION => {
                    for (m1, m2) in t1[3..].chunks_exact(3).zip(t2[3..].chunks_exact(3)) {
                        if m1[1] != m2[1]
                            && !self.identical_plain(m1[1], m2[1], depth - 1, budget)?
                        {
                            return Some(false);
                        }
                    }
                    return Some(true);
                }
                FUNC_PROTO => {
                    if t1[2] != t2[2] && !self.identical_plain(t1[2], t2[2], depth - 1, budget)? {
                        return Some(false);
                    }
                    for (p1, p2) in t1[3..].chunks_exact(2).zip(t2[3..].chunks_exact(2)) {
                        if p1[1] != p2[1]
                            && !self.identical_plain(p1[1], p2[1], depth - 1, budget)?
                        {
                            return Some(false);
                        }
                    }
                    return Some(true);
                }
                // modifiers: goto recur, same depth
                _ => {
                    id1 = t1[2];
                    id2 = t2[2];
                }
            }
        }
    }

    fn identical_memo(
        &self,
        id1: u32,
        id2: u32,
        depth: u32,
        memo: &mut hashbrown::HashMap<(u32, u32, u32), bool>,
    ) -> bool {
        if let Some(&r) = memo.get(&(id1, id2, depth)) {
            return r;
        }
        let (mut a, mut b) = (id1, id2);
        let mut steps = 0u32;
        let r = loop {
            if depth == 0 {
                break false;
            }
            if let Err(r) = self.identical_head(a, b) {
                break r;
            }
            let k = self.kind(a);
            if matches!(k, STRUCT | UNION | FUNC_PROTO) {
                let mut pairs = Vec::new();
                self.identical_children(a, b, &mut pairs);
                break pairs
                    .into_iter()
                    .all(|(x, y)| x == y || self.identical_memo(x, y, depth - 1, memo));
            }
            let mut next = Vec::with_capacity(1);
            self.identical_children(a, b, &mut next);
            (a, b) = next[0];
            steps += 1;
            if steps > self.n {
                // A cycle of modifiers: libbpf would never return.
                break false;
            }
        };
        memo.insert((id1, id2, depth), r);
        r
    }

    /// `btf_dedup_merge_hypot_map`: after a successful equivalence check, record FWD
    /// resolutions and struct/union correspondences.
    fn merge_hypot(&mut self) {
        for i in 0..self.hypot_list.len() {
            let canon = self.hypot_list[i];
            let targ = self.hypot[canon as usize];
            let t_id = self.resolve(targ);
            let c_id = self.resolve(canon);
            let tk = self.kind(t_id);
            let ck = self.kind(c_id);
            if tk != FWD && ck == FWD {
                self.map[c_id as usize] = t_id;
            }
            if self.adjust_canon {
                continue;
            }
            if tk == FWD && ck != FWD {
                self.map[t_id as usize] = c_id;
            }
            if matches!(tk, STRUCT | UNION) && ck != FWD && self.mapped(c_id) && !self.mapped(t_id)
            {
                self.map[t_id as usize] = c_id;
            }
        }
    }

    /// `btf_dedup_resolve_fwds`: an own FWD still canonical for itself maps to the one
    /// canonical STRUCT/UNION (base or own) of its name and kind, if there is exactly one.
    fn resolve_fwds(&mut self) {
        // Only the names of the FWDs still canonical for themselves are looked up, so
        // only those are collected: name offset -> canonical STRUCT/UNION id, 0 when the
        // name is not unique.
        let mut names: hashbrown::HashMap<u32, u32> = hashbrown::HashMap::new();
        for id in self.start..self.n {
            if self.kind(id) == FWD && self.map[id as usize] == id {
                names.insert(self.rec(id)[0], u32::MAX);
            }
        }
        if names.is_empty() {
            return;
        }
        for id in 1..self.n {
            if !matches!(self.kind(id), STRUCT | UNION) || self.map[id as usize] != id {
                continue;
            }
            if let Some(v) = names.get_mut(&self.rec(id)[0]) {
                *v = if *v == u32::MAX { id } else { 0 };
            }
        }
        for id in self.start..self.n {
            if self.kind(id) != FWD || self.map[id as usize] != id {
                continue;
            }
            let r = self.rec(id);
            let cand = names.get(&r[0]).copied().unwrap_or(0);
            if cand == u32::MAX || cand == 0 {
                continue;
            }
            let ck = self.kind(cand);
            let fk = fwd_kind(r[1]);
            if (ck == STRUCT && fk != STRUCT) || (ck == UNION && fk != UNION) {
                continue;
            }
            self.map[id as usize] = cand;
        }
    }

    /// Word positions (in the record) of the types a reference type depends on, in
    /// the order `btf_dedup_ref_type` resolves them; `None` for other kinds.
    #[inline]
    fn ref_child_pos(kind: u8, i: usize, vlen: usize) -> Option<Option<usize>> {
        match kind {
            CONST | VOLATILE | RESTRICT | PTR | FUNC | TYPE_TAG | DECL_TAG => {
                Some((i == 0).then_some(2))
            }
            ARRAY => Some((i < 2).then_some(3 + i)),
            FUNC_PROTO => Some(match i {
                0 => Some(2),
                i if i <= vlen => Some(3 + 2 * (i - 1) + 1),
                _ => None,
            }),
            _ => None,
        }
    }

    /// `btf_dedup_ref_types`.
    fn ref_types(&mut self) -> Result<(), DedupError> {
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for id in self.start..self.n {
            self.ref_type(id, &mut stack)?;
        }
        Ok(())
    }

    /// `btf_dedup_ref_type` on an explicit stack of `(type id, next child)`: resolve
    /// the referenced types (depth first, rewriting the fields), then look for an
    /// identical candidate.
    fn ref_type(&mut self, root: u32, stack: &mut Vec<(u32, usize)>) -> Result<u32, DedupError> {
        match self.map[root as usize] {
            IN_PROGRESS => return Err(DedupError::ReferenceLoop { id: TypeId(root) }),
            m if m <= MAX_NR_TYPES => return Ok(self.resolve(root)),
            _ => {}
        }
        self.map[root as usize] = IN_PROGRESS;
        stack.clear();
        stack.push((root, 0));
        loop {
            let (id, ci) = *stack
                .last()
                .expect("the stack holds the root until it returns");
            let o = self.own_o(id);
            let info = self.w[o + 1];
            let kind = kind_of(info);
            let Some(pos) = Self::ref_child_pos(kind, ci, vlen_of(info)) else {
                return Err(DedupError::UnknownKind {
                    id: TypeId(id),
                    kind: Kind(kind),
                });
            };
            if let Some(pos) = pos {
                let child = self.w[o + pos];
                match self.map[child as usize] {
                    IN_PROGRESS => return Err(DedupError::ReferenceLoop { id: TypeId(child) }),
                    m if m <= MAX_NR_TYPES => {
                        self.w[o + pos] = self.resolve(child);
                        if let Some(top) = stack.last_mut() {
                            top.1 += 1;
                        }
                    }
                    _ => {
                        self.map[child as usize] = IN_PROGRESS;
                        stack.push((child, 0));
                    }
                }
                continue;
            }
            let new_id = self.ref_candidate(id, kind);
            stack.pop();
            match stack.last_mut() {
                None => return Ok(new_id),
                Some(parent) => {
                    let (pid, pci) = *parent;
                    parent.1 += 1;
                    let po = self.own_o(pid);
                    let pinfo = self.w[po + 1];
                    if let Some(Some(ppos)) =
                        Self::ref_child_pos(kind_of(pinfo), pci, vlen_of(pinfo))
                    {
                        self.w[po + ppos] = new_id;
                    }
                }
            }
        }
    }

    /// The second half of `btf_dedup_ref_type`: with the referenced ids canonical, find
    /// an identical candidate or become one.
    fn ref_candidate(&mut self, id: u32, kind: u8) -> u32 {
        let r = self.rec(id);
        let (h, eq): (u64, RecEq) = match kind {
            DECL_TAG => (hash_int_tag(r), equal_int_tag),
            ARRAY => (hash_array(r), equal_whole),
            FUNC_PROTO => (hash_fnproto(r), equal_whole),
            _ => (hash_common(r), equal_common),
        };
        let mut new_id = id;
        let mut cur = self.table.cursor(h, 0);
        while let Some(entry) = self.table.next(&mut cur) {
            let cand = entry.id;
            let c = self.rec(cand);
            // btf_equal_array / btf_equal_fnproto compare every word (records of
            // different lengths never compare equal).
            if eq(self.rec(id), c) {
                new_id = cand;
                break;
            }
        }
        self.map[id as usize] = new_id;
        if new_id == id {
            self.table.add(h, 0, id);
        }
        new_id
    }

    /// `btf_dedup_compact_types` and `btf_dedup_remap_types`: canonical own types in
    /// order, every type id rewritten to the canonical type's new id.
    fn compact_and_remap(mut self) -> Result<Compacted, DedupError> {
        // The candidate table is not needed any more.
        self.table = CandTable::new(None, 0);
        let mut new_ids = std::mem::take(&mut self.hypot);
        new_ids[0] = 0;
        for id in 1..self.start {
            new_ids[id as usize] = id;
        }
        let mut next = self.start;
        let mut words = Vec::new();
        let mut starts = Vec::new();
        for id in self.start..self.n {
            if self.map[id as usize] != id {
                new_ids[id as usize] = UNPROCESSED;
                continue;
            }
            new_ids[id as usize] = next;
            next += 1;
            starts.push(words.len() as u32);
            words.extend_from_slice(self.rec(id));
        }
        for i in 0..starts.len() {
            let (s, e) = (
                starts[i] as usize,
                starts.get(i + 1).map_or(words.len(), |&e| e as usize),
            );
            let r = &mut words[s..e];
            let mut bad = None;
            for_each_id_pos(r[1], r.len(), |pos| {
                let old = r[pos];
                let new = new_ids[self.resolve(old) as usize];
                if new > MAX_NR_TYPES {
                    bad = Some(old);
                }
                r[pos] = new;
            });
            if let Some(old) = bad {
                return Err(DedupError::Unmapped { id: TypeId(old) });
            }
        }
        self.check_cycle()?;
        let own_map = (self.start..self.n)
            .map(|id| new_ids[self.resolve(id) as usize])
            .collect();
        Ok(Compacted {
            words,
            starts,
            own_map,
        })
    }
}

/// The output of the type passes.
pub(super) struct Compacted {
    /// The kept own records, back to back, ids remapped.
    pub(super) words: Vec<u32>,
    /// Word index where each kept record starts.
    pub(super) starts: Vec<u32>,
    /// For each own input type (in id order), its new id.
    pub(super) own_map: Vec<u32>,
}
