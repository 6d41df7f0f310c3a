//! Type order: renumbering a BTF's own types (libbpf's `btf__permute`), the by-name order
//! that Linux 6.19+ builds use (`resolve_btfids` sorts vmlinux and every module with
//! it, so that the kernel can look names up by binary search), the kernel's judgement of
//! whether a BTF is sorted (`btf_check_sorted`), and the policy that picks which order a
//! writer produces ([`Order`]).
//!
//! # The rules
//!
//! - **Order** (`resolve_btfids`' `cmp_type_names`): own types ascending by name, bytes
//!   compared as `strcmp` does (unsigned), ties (anonymous types, equal names) kept in
//!   their original id order. Anonymous types sort first. For base BTF, void stays id 0.
//! - **Permutation** (`btf__permute`): the type records are rearranged, every type-id field
//!   of every own type follows ([`crate::fields`]); ids of base types and void are kept.
//!   The string section, the layout section and the header are kept byte for byte: a
//!   permuted blob differs from its input only in the type section.
//! - **Sorted** (`kernel/bpf/btf.c` `btf_check_sorted`, applied to module BTF after
//!   relocation): every own type's name is `>=` the previous own type's (`strcmp`). The
//!   kernel trusts vmlinux to be sorted and only checks modules; an unsorted module still
//!   loads, its names are then looked up linearly.
//!
//! `.BTF_ids` follow a permutation through [`crate::elf::btf_ids::BtfIds::rewrite`] with
//! [`Permutation::get`], or, as `resolve_btfids` resolves them, by kind and name in the
//! result ([`crate::elf::btf_ids::by_name`]).

use crate::error::{Error, Rule};
use crate::fields::{FieldKind, FieldLayout};
use crate::id::{IdMap, TypeId};
use crate::read::Btf;

/// Why a permutation could not be made or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortError {
    /// The id list is not a permutation of the own types' ids.
    #[error("not a permutation of the types [{start}, {end}): {reason}")]
    NotAPermutation {
        /// First own id.
        start: u32,
        /// One past the last own id.
        end: u32,
        /// What is wrong (which index, which id).
        reason: String,
    },
    /// A type refers to an id past the last type (only in unvalidated input), or is of a
    /// kind whose type-id fields are unknown: its references could not be renumbered.
    #[error(transparent)]
    Type(#[from] Error),
}

/// New ids for the own types of one BTF: libbpf's `btf__permute` id map. Ids below the
/// first own id (void, the base's types) are not moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permutation {
    /// First own id.
    start: u32,
    /// `new[i]`: the new id of own type `start + i`.
    new: Vec<u32>,
}

impl Permutation {
    /// The permutation that gives own type `start + i` the id `new_ids[i]`, checked as
    /// `btf__permute` checks it: one new id per own type, each an own id, none twice.
    pub fn new(btf: &Btf<'_>, new_ids: &[TypeId]) -> Result<Permutation, SortError> {
        let (start, end) = (btf.start_id().0, btf.next_id().0);
        let bad = |reason: String| SortError::NotAPermutation { start, end, reason };
        if new_ids.len() != (end - start) as usize {
            return Err(bad(format!(
                "{} new ids given for {} types",
                new_ids.len(),
                end - start
            )));
        }
        let mut taken = vec![false; new_ids.len()];
        for (i, id) in new_ids.iter().enumerate() {
            if id.0 < start || id.0 >= end {
                return Err(bad(format!(
                    "type [{}] would get id {id}, outside the range",
                    start + i as u32
                )));
            }
            let k = (id.0 - start) as usize;
            if std::mem::replace(&mut taken[k], true) {
                return Err(bad(format!(
                    "id {id} is given twice (the second time to type [{}])",
                    start + i as u32
                )));
            }
        }
        Ok(Permutation {
            start,
            new: new_ids.iter().map(|t| t.0).collect(),
        })
    }

    /// The order `resolve_btfids` sorts in: own types by name (`strcmp`), ties in id
    /// order, so anonymous types come first.
    pub fn by_name(btf: &Btf<'_>) -> Permutation {
        let start = btf.start_id().0;
        let mut order: Vec<(&[u8], u32)> = btf.types().map(|t| (btf.name(&t), t.id().0)).collect();
        // (name, id) pairs are distinct, so an unstable sort gives the one total order.
        order.sort_unstable();
        let mut new = vec![0u32; order.len()];
        for (k, &(_, old)) in order.iter().enumerate() {
            new[(old - start) as usize] = start + k as u32;
        }
        Permutation { start, new }
    }

    /// The new id of `old`: ids below the first own id are kept, own ids are moved,
    /// `None` past the last own id.
    #[inline]
    pub fn get(&self, old: TypeId) -> Option<TypeId> {
        if old.0 < self.start {
            return Some(old);
        }
        self.new
            .get((old.0 - self.start) as usize)
            .map(|&n| TypeId(n))
    }

    /// As an [`IdMap`]: own ids moved, every id below them (void, the base's types) kept.
    /// It lists each id below the own types, so it is as large as the base.
    pub fn to_id_map(&self) -> IdMap {
        let end = self.start + self.new.len() as u32;
        let pairs = (1..self.start)
            .map(|id| (TypeId(id), TypeId(id)))
            .chain(
                self.new
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (TypeId(self.start + i as u32), TypeId(n))),
            )
            .collect();
        IdMap::new(pairs, TypeId(end)..TypeId(end), TypeId(end))
    }

    /// Whether no type moves.
    pub fn is_identity(&self) -> bool {
        self.new
            .iter()
            .enumerate()
            .all(|(i, &n)| n == self.start + i as u32)
    }

    /// The old ids in their new order (the inverse permutation).
    pub fn order(&self) -> Vec<TypeId> {
        let mut order = vec![TypeId(0); self.new.len()];
        for (i, &n) in self.new.iter().enumerate() {
            order[(n - self.start) as usize] = TypeId(self.start + i as u32);
        }
        order
    }

    /// First own id.
    pub fn start(&self) -> TypeId {
        TypeId(self.start)
    }

    /// Number of own types.
    pub fn len(&self) -> usize {
        self.new.len()
    }

    /// Whether there are no own types.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty()
    }
}

/// libbpf's `btf__permute`: `btf` with its own types rearranged by `perm` and every
/// type-id field renumbered; header, layout and string sections byte for byte as they
/// are. Fails for a kind whose type-id fields are unknown, for a reference past the last
/// type, and for a type section that overlaps the string or layout section (none of
/// which passes validation).
pub fn permute(btf: &Btf<'_>, perm: &Permutation) -> Result<Vec<u8>, SortError> {
    let data = btf.data();
    let h = btf.header();
    if perm.start != btf.start_id().0 || perm.new.len() != btf.type_count() as usize {
        return Err(SortError::NotAPermutation {
            start: btf.start_id().0,
            end: btf.next_id().0,
            reason: format!(
                "the permutation is for types [{}, {})",
                perm.start,
                perm.start as usize + perm.new.len()
            ),
        });
    }
    let sec_start = h.hdr_len as usize + h.type_off as usize;
    let sec_end = sec_start + h.type_len as usize;
    // Rewriting types that share bytes with the strings (or the layout) would change
    // names: refused, as libbpf refuses to parse such a blob.
    let strs = h.hdr_len as usize + h.str_off as usize
        ..h.hdr_len as usize + (h.str_off + h.str_len) as usize;
    let layout = btf.layout_section();
    let layout_at = h.hdr_len as usize + h.layout_off as usize;
    let overlaps = |r: std::ops::Range<usize>| {
        sec_start < sec_end && r.start < sec_end && sec_start < r.end && !r.is_empty()
    };
    if overlaps(strs) || overlaps(layout_at..layout_at + layout.len()) {
        return Err(Error::blob(
            Rule::SectionOverlap,
            sec_start,
            "the type section overlaps the string or layout section: its types cannot be moved",
        )
        .into());
    }
    let end = btf.next_id().0;
    let e = btf.endian();
    let mut types = Vec::with_capacity(h.type_len as usize);
    for old in perm.order() {
        let t = btf.type_by_id(old).expect("own ids exist");
        if !t.kind().is_known() {
            return Err(Error::at_type(
                Rule::UnknownKind,
                t.id(),
                t.kind(),
                btf.name_lossy(&t),
                t.blob_offset(),
                "the type-id fields of this kind are unknown: its references cannot be renumbered",
            )
            .into());
        }
        let at = types.len();
        types.extend_from_slice(t.record());
        for pos in FieldLayout::of(t.kind(), FieldKind::TypeIds).positions(t.vlen()) {
            let id = e.u32(&types, at + pos);
            if id >= end {
                return Err(Error::at_type(
                    Rule::TypeIdOutOfRange,
                    t.id(),
                    t.kind(),
                    btf.name_lossy(&t),
                    t.blob_offset() + pos,
                    format!("refers to type id {id}, past the last type {}", end - 1),
                )
                .into());
            }
            let new = perm.get(TypeId(id)).expect("checked in range").0;
            e.put_u32(&mut types, at + pos, new);
        }
    }
    let mut out = data.to_vec();
    out[sec_start..sec_end].copy_from_slice(&types);
    Ok(out)
}

/// The result of [`sort_by_name`].
#[derive(Clone, Debug)]
pub struct Sorted {
    /// The sorted blob.
    pub bytes: Vec<u8>,
    /// Where each own type went.
    pub map: Permutation,
}

/// What `resolve_btfids` does to a BTF's types (`sort_btf_by_name`): [`Permutation::by_name`]
/// applied with [`permute`]. Sorting sorted BTF gives the same bytes.
pub fn sort_by_name(btf: &Btf<'_>) -> Result<Sorted, SortError> {
    let map = Permutation::by_name(btf);
    let bytes = permute(btf, &map)?;
    Ok(Sorted { bytes, map })
}

/// How the kernel's `btf_check_sorted` judges a BTF's own types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortState {
    /// Every name is `>=` the one before: the kernel looks names up by binary search.
    /// `named_start`: the first named own type (None: none is named).
    Sorted {
        /// The first own type with a name.
        named_start: Option<TypeId>,
    },
    /// Type `at` has a name that sorts before the name of type `at - 1`.
    Unsorted {
        /// The first type out of order.
        at: TypeId,
    },
}

impl SortState {
    /// Whether the types are sorted.
    pub fn is_sorted(self) -> bool {
        matches!(self, SortState::Sorted { .. })
    }
}

/// Whether `btf`'s own types are sorted by name as the kernel's `btf_check_sorted`
/// judges a module's BTF (names compared with `strcmp`; equal neighbours are fine).
pub fn check_sorted(btf: &Btf<'_>) -> SortState {
    let mut prev: Option<&[u8]> = None;
    let mut named_start = None;
    for t in btf.types() {
        let name = btf.name(&t);
        if prev.is_some_and(|p| p > name) {
            return SortState::Unsorted { at: t.id() };
        }
        if named_start.is_none() && !name.is_empty() {
            named_start = Some(t.id());
        }
        prev = Some(name);
    }
    SortState::Sorted { named_start }
}

/// Whether `btf`'s own types are sorted by name ([`check_sorted`]). The answer is kept
/// with the parsed `btf`: asking again (of one vmlinux, for every module) costs nothing.
pub fn is_sorted(btf: &Btf<'_>) -> bool {
    btf.sorted_by_name(|| check_sorted(btf).is_sorted())
}

/// Which bytes a writer of module BTF produces (distill, retarget, sort).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// [`Order::Kernel`] when the vmlinux BTF the module is built against is sorted by
    /// name (every kernel built with Linux 6.19+'s `resolve_btfids`), [`Order::Libbpf`]
    /// otherwise.
    #[default]
    Auto,
    /// What the kernel's own build writes (`resolve_btfids`, with the libbpf of the
    /// kernel tree, 1.8): types sorted by name, BTF created from scratch with the
    /// 32-byte header, `.BTF_ids` resolved by name in the result.
    Kernel,
    /// What libbpf 1.7's `btf__distill_base` writes: types in distillation order, the
    /// 24-byte header; `.BTF_ids` mapped through the renumbering.
    Libbpf,
}

impl Order {
    /// [`Order::Kernel`] or [`Order::Libbpf`]: `Auto` decided by whether `vmlinux` is
    /// sorted by name.
    pub fn resolve(self, vmlinux: &Btf<'_>) -> Order {
        match self {
            Order::Auto if is_sorted(vmlinux) => Order::Kernel,
            Order::Auto => Order::Libbpf,
            o => o,
        }
    }

    /// As spelled on the command line (`auto`, `kernel`, `libbpf`).
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Auto => "auto",
            Order::Kernel => "kernel",
            Order::Libbpf => "libbpf",
        }
    }
}

impl std::fmt::Display for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Order {
    type Err = String;

    fn from_str(s: &str) -> Result<Order, String> {
        match s {
            "auto" => Ok(Order::Auto),
            "kernel" => Ok(Order::Kernel),
            "libbpf" => Ok(Order::Libbpf),
            _ => Err(format!(
                "unknown order '{s}' (expected auto, kernel or libbpf)"
            )),
        }
    }
}
