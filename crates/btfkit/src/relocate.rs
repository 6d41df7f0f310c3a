//! Relocating split BTF from its distilled base onto a full base (libbpf's and the
//! kernel's `btf_relocate`, shared verbatim between the two): map every distilled base
//! type onto a type of the full base, then rewrite the split's type ids and string
//! offsets. The result is byte-identical to libbpf's `btf__relocate` + `btf__raw_data`.
//!
//! The matching rules, as libbpf applies them:
//! - the distilled base may hold only named INT, FLOAT, ENUM, FWD, STRUCT, UNION;
//! - base types are visited in id order; each named INT/FLOAT/ENUM/ENUM64/FWD/STRUCT/UNION
//!   is looked up among the distilled types of the same name — and the same size for
//!   INT/FLOAT/ENUM/ENUM64, and for STRUCT/UNION when the base has several composites
//!   of that name;
//! - INT matches INT of the same encoding; FLOAT matches FLOAT; ENUM matches ENUM or
//!   ENUM64; FWD matches FWD of the same flavour, a STRUCT without kind flag or a UNION
//!   with it; STRUCT/UNION match a base type of *any* of those kinds (a known flaw,
//!   avoided with [`Options::strict_kinds`]), of the same size when the distilled type
//!   is embedded by value in a split STRUCT/UNION;
//! - a second match for a distilled type is an ambiguity; a distilled type left without
//!   a match is an error.
//!
//! Where libbpf stops at the first failure, this module reports every failure, with the
//! candidates it considered (see [`Failure`]).

use crate::fields::FieldKind;
use crate::id::{IdMap, StrOffset, TypeId};
use crate::kind::Kind;
use crate::read::{Btf, Type};

/// Options of [`relocate`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Match a distilled STRUCT/UNION only against a base STRUCT or UNION (libbpf, and so
    /// the kernel, accept any kind of the same name).
    pub strict_kinds: bool,
}

/// Why one distilled base type could not be relocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The distilled base holds a type relocation cannot match (anonymous, or of a kind
    /// other than INT, FLOAT, ENUM, FWD, STRUCT, UNION).
    InvalidDistilledType,
    /// No base type matched.
    Unmapped,
    /// Several base types matched (ids in the order found).
    Ambiguous(Vec<TypeId>),
    /// A split string offset below the distilled base's string length is not the name of
    /// a mapped distilled type.
    UnmappedString {
        /// The split type holding the offset.
        in_type: TypeId,
        /// The offset.
        offset: StrOffset,
    },
}

/// A base type that has the name of a distilled type but did not match it, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its id in the full base.
    pub id: TypeId,
    /// Its kind.
    pub kind: Kind,
    /// Its size (0 for FWD).
    pub size: u32,
    /// Why it was not taken (`None` when it matched).
    pub mismatch: Option<Mismatch>,
}

/// Why a same-named base type did not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Another kind (an INT for a STRUCT, say).
    Kind,
    /// Another size.
    Size,
    /// An INT of another encoding (signed vs unsigned `char`, for instance).
    Encoding,
    /// A FWD or composite of the other flavour (struct vs union).
    Flavour,
}

/// One relocation failure: the distilled type, what went wrong, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The distilled base type (id in the distilled base).
    pub dist_id: TypeId,
    /// Its kind.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Its size (0 for FWD).
    pub size: u32,
    /// What went wrong.
    pub problem: Problem,
    /// Split STRUCT/UNION types (id, name) that embed it by value (so its size must
    /// match).
    pub embedded_in: Vec<(TypeId, String)>,
    /// Base types of the same name, with why each did not match.
    pub candidates: Vec<Candidate>,
    /// A base INT or FLOAT of the same size and encoding under another spelling
    /// (`unsigned long long` for `long long unsigned int`).
    pub spelled_differently: Vec<(TypeId, String)>,
}

/// Why [`relocate`] failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RelocateError {
    /// The input is not split BTF (it has no base to relocate from).
    #[error("input is not split BTF over a distilled base")]
    NotSplit,
    /// Distilled base types (or split string offsets) could not be mapped: every failure,
    /// in distilled id order (string problems last). Never empty.
    #[error("{}", summary(.0))]
    Failed(Vec<Failure>),
}

impl RelocateError {
    /// The failures (empty for [`RelocateError::NotSplit`]).
    pub fn failures(&self) -> &[Failure] {
        match self {
            RelocateError::NotSplit => &[],
            RelocateError::Failed(f) => f,
        }
    }
}

fn summary(failures: &[Failure]) -> String {
    let Some(first) = failures.first() else {
        return "no failures".to_string();
    };
    let more = match failures.len() {
        1 => String::new(),
        n => format!(" (and {} more problems)", n - 1),
    };
    format!("{}{more}", describe(first))
}

/// A one-line description of a failure.
pub fn describe(f: &Failure) -> String {
    let what = format!(
        "distilled base type {} '{}' [{}]",
        f.kind,
        crate::escape::Escaped(&f.name),
        f.dist_id
    );
    match &f.problem {
        Problem::InvalidDistilledType => format!("{what} cannot be in a distilled base"),
        Problem::Unmapped => format!("{what}, size {}, is not mapped to a base type", f.size),
        Problem::Ambiguous(ids) => format!(
            "{what}, size {}, has multiple candidates of the same size in the base: ids {:?}",
            f.size,
            ids.iter().map(|i| i.0).collect::<Vec<_>>()
        ),
        Problem::UnmappedString { in_type, offset } => format!(
            "split type [{in_type}] uses string offset {offset} of the distilled base, which names no mapped type"
        ),
    }
}

/// The result of a successful [`relocate`].
#[derive(Clone, Debug)]
pub struct Relocated {
    /// The relocated split BTF, serialized (same size and layout as the input).
    pub split: Vec<u8>,
    /// Old id (distilled base + split) → new id (full base + split): every distilled
    /// base type to the base type it matched, split types up by the difference in base
    /// size.
    pub id_map: IdMap,
    /// Distilled base string offset → full base string offset, for every name of a mapped
    /// distilled type.
    pub str_map: Vec<(StrOffset, StrOffset)>,
    /// Distilled STRUCT/UNION types that landed on a base type of another kind (only
    /// possible without [`Options::strict_kinds`]): `(distilled id, base id)`.
    pub cross_kind: Vec<(TypeId, TypeId)>,
}

/// Split composites embedding each distilled composite by value (through modifiers and
/// arrays, not pointers), as libbpf's `btf_mark_embedded_composite_type_ids` finds them.
fn embedding(split: &Btf<'_>, nr_dist: u32) -> Vec<Vec<TypeId>> {
    let mut by = vec![Vec::new(); nr_dist as usize];
    for t in split.types() {
        if !t.kind().is_composite() {
            continue;
        }
        for m in t.members() {
            let mut next = m.type_id.0;
            // Bounded: each step follows a reference; cap against loops in bad input.
            for _ in 0..64 {
                if next == 0 {
                    break;
                }
                let Some(n) = split.type_by_id(TypeId(next)) else {
                    break;
                };
                match n.kind() {
                    Kind::CONST
                    | Kind::RESTRICT
                    | Kind::VOLATILE
                    | Kind::TYPEDEF
                    | Kind::TYPE_TAG => next = n.type_id().0,
                    Kind::ARRAY => next = n.array_info().map_or(0, |a| a.elem_type.0),
                    Kind::STRUCT | Kind::UNION => {
                        if next < nr_dist && by[next as usize].last() != Some(&t.id()) {
                            by[next as usize].push(t.id());
                        }
                        break;
                    }
                    _ => break,
                }
            }
        }
    }
    by
}

/// The one matching rule of relocation (libbpf's `btf_relocate_map_distilled_base`):
/// why base type `base_t` does not match distilled type `dist_t`, or `None` when it
/// matches. [`relocate`] decides with it and the explanation of a failure reports it, so
/// the two cannot disagree.
///
/// `base_named_alike` is every base type with `base_t`'s name (the base's composites of
/// the same name offset decide whether a STRUCT/UNION size counts); `embedded` says
/// whether a split STRUCT/UNION embeds `dist_t` by value.
fn mismatch(
    dist_t: &Type<'_>,
    base_t: &Type<'_>,
    base: &Btf<'_>,
    base_named_alike: &[TypeId],
    embedded: bool,
    strict: bool,
) -> Option<Mismatch> {
    let (dk, bk) = (dist_t.kind(), base_t.kind());
    // Whether the name lookup also compares sizes: always for INT/FLOAT/ENUM/ENUM64,
    // never for FWD, for STRUCT/UNION when the base has several composites of that name.
    // Base types of other kinds are never looked up.
    let needs_size = match bk {
        Kind::INT | Kind::FLOAT | Kind::ENUM | Kind::ENUM64 => true,
        Kind::FWD => false,
        Kind::STRUCT | Kind::UNION => {
            base_named_alike
                .iter()
                .filter_map(|&o| base.type_by_id(o))
                .filter(|o| o.kind().is_composite() && o.name_off() == base_t.name_off())
                .count()
                > 1
        }
        _ => return Some(Mismatch::Kind),
    };
    let kind = match dk {
        Kind::FWD => match bk {
            Kind::FWD => (dist_t.kflag() != base_t.kflag()).then_some(Mismatch::Flavour),
            Kind::STRUCT => base_t.kflag().then_some(Mismatch::Flavour),
            Kind::UNION => (!base_t.kflag()).then_some(Mismatch::Flavour),
            _ => Some(Mismatch::Kind),
        },
        Kind::INT => {
            if bk != Kind::INT {
                Some(Mismatch::Kind)
            } else if base_t.int_info().map(|i| i.encoding) != dist_t.int_info().map(|i| i.encoding)
            {
                Some(Mismatch::Encoding)
            } else {
                None
            }
        }
        Kind::FLOAT => (bk != Kind::FLOAT).then_some(Mismatch::Kind),
        Kind::ENUM => (bk != Kind::ENUM && bk != Kind::ENUM64).then_some(Mismatch::Kind),
        Kind::STRUCT | Kind::UNION => (strict && !bk.is_composite()).then_some(Mismatch::Kind),
        _ => Some(Mismatch::Kind),
    };
    if kind.is_some() {
        return kind;
    }
    // libbpf keeps sizes in a 31-bit field for the name lookup.
    if needs_size && base_t.size() & 0x7fff_ffff != dist_t.size() & 0x7fff_ffff {
        return Some(Mismatch::Size);
    }
    // A composite embedded by value must keep its size.
    if dk.is_composite() && embedded && base_t.size() != dist_t.size() {
        return Some(Mismatch::Size);
    }
    None
}

/// Relocates `split` (split BTF over a distilled base) onto `base`.
pub fn relocate(
    split: &Btf<'_>,
    base: &Btf<'_>,
    opts: Options,
) -> Result<Relocated, RelocateError> {
    let Some(dist) = split.base() else {
        return Err(RelocateError::NotSplit);
    };
    let nr_dist = dist.next_id().0; // btf__type_cnt: types + void
    let nr_base = base.next_id().0;
    let nr_types = split.next_id().0;
    let dist_str_len = dist.strings().len() as u32;
    let base_str_len = base.strings().len() as u32;
    let embedded_in = embedding(split, nr_dist);

    let failure = |id: u32, problem: Problem, candidates: Vec<Candidate>| {
        let t = dist.type_by_id(TypeId(id));
        Failure {
            dist_id: TypeId(id),
            kind: t.map_or(Kind::UNKN, |t| t.kind()),
            name: t.map_or_else(String::new, |t| dist.name_lossy(&t)),
            size: t.map_or(0, |t| if t.kind() == Kind::FWD { 0 } else { t.size() }),
            problem,
            embedded_in: embedded_in
                .get(id as usize)
                .map(|v| {
                    v.iter()
                        .map(|&s| {
                            (
                                s,
                                split
                                    .type_by_id(s)
                                    .map(|t| split.name_lossy(&t))
                                    .unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            candidates,
            spelled_differently: t.map_or_else(Vec::new, |t| spelled_differently(dist, &t, base)),
        }
    };

    // The distilled base may hold only named INT, FLOAT, ENUM, STRUCT, UNION, FWD.
    let invalid: Vec<Failure> = dist
        .types()
        .filter(|t| {
            !matches!(
                t.kind(),
                Kind::INT | Kind::FLOAT | Kind::ENUM | Kind::STRUCT | Kind::UNION | Kind::FWD
            ) || t.name_off().0 == 0
        })
        .map(|t| failure(t.id().0, Problem::InvalidDistilledType, Vec::new()))
        .collect();
    if !invalid.is_empty() {
        return Err(RelocateError::Failed(invalid));
    }

    // Old id -> new id, index = old id.
    let mut id_map = vec![0u32; nr_types as usize];
    for id in nr_dist..nr_types {
        id_map[id as usize] = id + nr_base - nr_dist;
    }

    // libbpf walks the base in id order and, for each named type, the distilled types
    // of that name; a distilled type takes the first base type that passes the rules and
    // any later one is an ambiguity. Per distilled type that is: its same-named base
    // types, in id order, judged by the same rules ([`candidates`]). The base's name
    // index makes this independent of the base's size, so one base serves thousands of
    // modules.
    let mut str_map: Vec<(StrOffset, StrOffset)> = Vec::new();
    let (mut ambiguous, mut unmapped) = (Vec::new(), Vec::new());
    let mut cross_kind = Vec::new();
    for dist_t in dist.types() {
        let d = dist_t.id().0;
        let embedded = embedded_in.get(d as usize).is_some_and(|v| !v.is_empty());
        let cands = candidates(dist, &dist_t, base, embedded, opts.strict_kinds);
        let mut matches = cands.iter().filter(|c| c.mismatch.is_none()).map(|c| c.id);
        let Some(first) = matches.next() else {
            unmapped.push(failure(d, Problem::Unmapped, cands));
            continue;
        };
        if matches.next().is_some() {
            let ids = cands
                .iter()
                .filter(|c| c.mismatch.is_none())
                .map(|c| c.id)
                .collect();
            ambiguous.push(failure(d, Problem::Ambiguous(ids), cands));
            continue;
        }
        id_map[d as usize] = first.0;
        let base_t = base.type_by_id(first).expect("matched ids exist");
        if dist_t.kind().is_composite() && !base_t.kind().is_composite() {
            cross_kind.push((TypeId(d), first));
        }
        match str_map.binary_search_by_key(&dist_t.name_off(), |&(k, _)| k) {
            Ok(i) => str_map[i].1 = base_t.name_off(),
            Err(i) => str_map.insert(i, (dist_t.name_off(), base_t.name_off())),
        }
    }
    let mut failures = ambiguous;
    failures.append(&mut unmapped);
    if !failures.is_empty() {
        return Err(RelocateError::Failed(failures));
    }

    // Rewrite: a copy of the split blob with ids and strings patched in place.
    let mut out = split.data().to_vec();
    let e = split.endian();
    for t in split.types() {
        for f in t.fields(FieldKind::TypeIds) {
            let new = id_map.get(f.value as usize).copied().unwrap_or(0);
            e.put_u32(&mut out, t.blob_offset() + f.pos, new);
        }
        for f in t.fields(FieldKind::StrOffsets) {
            if f.value == 0 {
                continue;
            }
            let new = if f.value >= dist_str_len {
                f.value
                    .wrapping_add(base_str_len)
                    .wrapping_sub(dist_str_len)
            } else {
                match str_map.binary_search_by_key(&StrOffset(f.value), |&(k, _)| k) {
                    Ok(i) => str_map[i].1 .0,
                    Err(_) => {
                        failures.push(Failure {
                            dist_id: TypeId(0),
                            kind: t.kind(),
                            name: split.name_lossy(&t),
                            size: 0,
                            problem: Problem::UnmappedString {
                                in_type: t.id(),
                                offset: StrOffset(f.value),
                            },
                            embedded_in: Vec::new(),
                            candidates: Vec::new(),
                            spelled_differently: Vec::new(),
                        });
                        0
                    }
                }
            };
            e.put_u32(&mut out, t.blob_offset() + f.pos, new);
        }
    }
    if !failures.is_empty() {
        return Err(RelocateError::Failed(failures));
    }
    let id_map = IdMap::new(
        (1..nr_dist)
            .map(|d| (TypeId(d), TypeId(id_map[d as usize])))
            .collect(),
        TypeId(nr_dist)..TypeId(nr_types),
        TypeId(nr_base),
    );
    Ok(Relocated {
        split: out,
        id_map,
        str_map,
        cross_kind,
    })
}

/// Every base type named like distilled type `dist_t`, in id order, judged by the one
/// matching rule ([`mismatch`]): the candidates without a mismatch are its matches.
/// `embedded`: a split STRUCT/UNION embeds `dist_t` by value.
fn candidates(
    dist: &Btf<'_>,
    dist_t: &Type<'_>,
    base: &Btf<'_>,
    embedded: bool,
    strict: bool,
) -> Vec<Candidate> {
    let same_name = base.find_by_name(dist.name(dist_t));
    let mut matched = false;
    let mut out = Vec::with_capacity(same_name.len());
    for &id in &same_name {
        let Some(b) = base.type_by_id(id) else {
            continue;
        };
        // libbpf checks an embedded composite's size only until it has a match: the
        // mark it checks is overwritten by the first match's id.
        let m = mismatch(dist_t, &b, base, &same_name, embedded && !matched, strict);
        matched |= m.is_none();
        let sized = matches!(
            b.kind(),
            Kind::INT | Kind::FLOAT | Kind::ENUM | Kind::ENUM64 | Kind::STRUCT | Kind::UNION
        );
        out.push(Candidate {
            id,
            kind: b.kind(),
            size: if sized { b.size() } else { 0 },
            mismatch: m,
        });
    }
    out
}

/// Base INTs or FLOATs of the same size and encoding as `dist_t` under another spelling
/// of its name (empty for other kinds).
fn spelled_differently(dist: &Btf<'_>, dist_t: &Type<'_>, base: &Btf<'_>) -> Vec<(TypeId, String)> {
    let mut out = Vec::new();
    if !matches!(dist_t.kind(), Kind::INT | Kind::FLOAT) {
        return out;
    }
    for spelling in other_spellings(dist.name(dist_t)) {
        for id in base.find_by_name(&spelling) {
            let Some(b) = base.type_by_id(id) else {
                continue;
            };
            if b.kind() == dist_t.kind()
                && b.size() == dist_t.size()
                && b.int_info().map(|i| i.encoding) == dist_t.int_info().map(|i| i.encoding)
            {
                out.push((id, String::from_utf8_lossy(&spelling).into_owned()));
            }
        }
    }
    out
}

/// Other spellings of a C integer type name: every order of its words, with and
/// without `int` (`long long unsigned int` → `unsigned long long`, ...). At most a few
/// dozen for real names; names of more than five words get none.
fn other_spellings(name: &[u8]) -> Vec<Vec<u8>> {
    let words = canonical_int_name(name);
    if words.is_empty() || words.len() > 5 {
        return Vec::new();
    }
    let mut perms: Vec<Vec<&[u8]>> = Vec::new();
    permute(&mut words.clone(), 0, &mut perms);
    let mut out: Vec<Vec<u8>> = Vec::new();
    for p in perms {
        let joined = p.join(&b' ');
        for cand in [
            joined.clone(),
            [&joined[..], b" int"].concat(),
            [b"int ", &joined[..]].concat(),
        ] {
            if cand != name && !out.contains(&cand) {
                out.push(cand);
            }
        }
    }
    out
}

fn permute<'a>(w: &mut Vec<&'a [u8]>, k: usize, out: &mut Vec<Vec<&'a [u8]>>) {
    if k == w.len() {
        if !out.contains(w) {
            out.push(w.clone());
        }
        return;
    }
    for i in k..w.len() {
        w.swap(k, i);
        permute(w, k + 1, out);
        w.swap(k, i);
    }
}

/// The words of a C integer type name in a canonical order, so that
/// `long long unsigned int` and `unsigned long long` compare equal.
fn canonical_int_name(name: &[u8]) -> Vec<&[u8]> {
    let mut words: Vec<&[u8]> = name
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty() && *w != b"int" && *w != b"signed")
        .collect();
    words.sort_unstable();
    words
}
