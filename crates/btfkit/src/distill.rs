//! Distilling a split BTF's base (libbpf's `btf__distill_base`): from split BTF over a
//! full vmlinux base, produce a small *distilled base* holding only what relocation needs
//! to find each referenced base type again, and a new split BTF that refers to it.
//!
//! The rules, as libbpf 1.7 applies them (output is byte-identical):
//! 1. Every base type that split types reference is collected, following references out
//!    of collected base types except through *named* STRUCT/UNION (which become
//!    member-less). A reference to a base FUNC, VAR, DATASEC or DECL_TAG is an error.
//! 2. The distilled base gets, in ascending base id order: INT, FLOAT and FWD as they
//!    are; named STRUCT/UNION with no members and the same size; named ENUM/ENUM64 as an
//!    ENUM with no values and the same size.
//! 3. The new split gets the original split types in order, then the other collected
//!    base types (anonymous STRUCT/UNION/ENUM/ENUM64, ARRAY, TYPEDEF, PTR, CONST,
//!    RESTRICT, VOLATILE, FUNC_PROTO, TYPE_TAG) in ascending base id order, copied whole.
//! 4. Type ids are rewritten: collected base ids to their new ids, split ids shifted
//!    down by the difference in base size. Strings are re-interned: a string the
//!    distilled base holds is referred to by its base offset.

use crate::fields::FieldKind;
use crate::fields::Fields;
use crate::id::{IdMap, TypeId};
use crate::kind::Kind;
use crate::read::{Btf, Type};
use crate::sort::{self, Order};
use crate::write::Builder;
use crate::Endian;

/// Why distillation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistillError {
    /// The input is not split BTF.
    #[error(
        "input is not split BTF: distilling needs module BTF over the base it was built against"
    )]
    NotSplit,
    /// A split type (or a base type it reaches) refers to a base type of a kind the
    /// distilled base cannot represent.
    #[error(
        "type [{referrer}] refers to base type [{base_id}] {kind} '{}', which a distilled base cannot hold \
         (only INT, FLOAT, FWD, STRUCT, UNION, ENUM, ENUM64 and the types built on them can be referenced)",
        crate::escape::escape(.name)
    )]
    UnexpectedBaseReference {
        /// The type holding the reference.
        referrer: TypeId,
        /// The referenced base type.
        base_id: TypeId,
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
    },
    /// A type named from outside the BTF (a `.BTF_ids` entry) is a base type of a kind
    /// the distilled base cannot represent.
    #[error(
        "base type [{base_id}] {kind} '{}' is needed ({}) but a distilled base cannot hold it",
        crate::escape::escape(.name),
        crate::escape::escape(.why)
    )]
    UnexpectedRoot {
        /// The base type.
        base_id: TypeId,
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
        /// Who needs it.
        why: String,
    },
    /// A type could not be copied (unknown kind).
    #[error(transparent)]
    Copy(#[from] crate::Error),
    /// The new split could not be sorted.
    #[error(transparent)]
    Sort(#[from] sort::SortError),
}

/// The result of [`distill`].
#[derive(Debug, Clone)]
pub struct Distilled {
    /// The distilled base, serialized (`.BTF.base`).
    pub base: Vec<u8>,
    /// The new split BTF over the distilled base, serialized (`.BTF`).
    pub split: Vec<u8>,
    /// Where each type of the input went: the base types the split uses to their
    /// distilled-base entry or their copy in the new split, split types down to right
    /// after the distilled base. Base types that were dropped map to nothing.
    pub id_map: IdMap,
    /// Number of types in the distilled base.
    pub base_types: u32,
    /// Number of base types copied into the new split.
    pub copied_types: u32,
    /// Which bytes these are: [`Order::Kernel`] or [`Order::Libbpf`].
    pub order: Order,
}

/// Where a collected base type goes.
fn goes_to_base(kind: Kind, named: bool) -> Option<bool> {
    match kind {
        Kind::INT | Kind::FLOAT | Kind::FWD => Some(true),
        Kind::STRUCT | Kind::UNION | Kind::ENUM | Kind::ENUM64 => Some(named),
        Kind::ARRAY
        | Kind::TYPEDEF
        | Kind::PTR
        | Kind::CONST
        | Kind::RESTRICT
        | Kind::VOLATILE
        | Kind::FUNC_PROTO
        | Kind::TYPE_TAG => Some(false),
        _ => None,
    }
}

/// Distills the base of `split` (which must be split BTF over the base it was built
/// against). The output has the byte order of the input.
pub fn distill(split: &Btf<'_>) -> Result<Distilled, DistillError> {
    distill_with_roots(split, &[])
}

/// A base type that must be kept although no split type refers to it, and why (for the
/// error message): a `.BTF_ids` entry of the module, for instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// The base type id.
    pub id: TypeId,
    /// Who needs it, e.g. `.BTF_ids entry __BTF_ID__struct__tcp_sock__1`.
    pub why: String,
}

/// [`distill`], keeping also the base types `roots` (by the same rules as a reference
/// from a split type: named composites and enums go to the distilled base, other types
/// are copied into the split). With no roots the output is [`distill`]'s.
pub fn distill_with_roots(split: &Btf<'_>, roots: &[Root]) -> Result<Distilled, DistillError> {
    distill_ordered(split, roots, Order::Libbpf)
}

/// [`distill_with_roots`] in the bytes `order` asks for ([`Order::Auto`] decided by the
/// split's base). [`Order::Libbpf`]: libbpf 1.7's `btf__distill_base`. [`Order::Kernel`]:
/// what `resolve_btfids --distill_base` of Linux 6.19+ writes: the same types, both blobs
/// with the 32-byte header of libbpf 1.8, then the new split sorted by name
/// ([`sort::sort_by_name`]; its string section stays in distillation order).
pub fn distill_ordered(
    split: &Btf<'_>,
    roots: &[Root],
    order: Order,
) -> Result<Distilled, DistillError> {
    let base = split.base().ok_or(DistillError::NotSplit)?;
    let order = order.resolve(base);
    let mut d = distill_unsorted(split, roots, order == Order::Kernel)?;
    d.order = order;
    if order == Order::Kernel {
        let new_base = Btf::parse(&d.base)?;
        let new_split = Btf::parse_split(&d.split, &new_base)?;
        let sorted = sort::sort_by_name(&new_split)?;
        d.split = sorted.bytes;
        d.id_map = d.id_map.then(&sorted.map.to_id_map());
    }
    Ok(d)
}

fn distill_unsorted(
    split: &Btf<'_>,
    roots: &[Root],
    extended_header: bool,
) -> Result<Distilled, DistillError> {
    let base = split.base().ok_or(DistillError::NotSplit)?;
    let split_start = split.start_id().0;
    // Used base ids, ascending: both blobs list their base types in base id order.
    let mut used = collect_used_base_types(split, roots)?;
    used.sort_unstable();
    // New id of each used base type, parallel to `used` (0 until placed).
    let mut new_ids = vec![0u32; used.len()];

    // The distilled base: INT/FLOAT/FWD, and member-less named composites/enums.
    let mut new_base = Builder::new().with_extended_header(extended_header);
    for (k, &i) in used.iter().enumerate() {
        let t = base.type_by_id(TypeId(i)).expect("collected ids exist");
        let (name, named) = (split.name(&t), t.name_off().0 != 0);
        let new_id = match t.kind() {
            Kind::INT | Kind::FLOAT | Kind::FWD => new_base.add_type_copy(split, &t)?,
            Kind::STRUCT if named => new_base.add_struct(name, t.size()),
            Kind::UNION if named => new_base.add_union(name, t.size()),
            Kind::ENUM | Kind::ENUM64 if named => new_base.add_enum(name, t.size(), false),
            _ => continue,
        };
        new_ids[k] = new_id.0;
    }

    // The new split: original split types, then the copied base types.
    let mut new_split = Builder::new_split_over(&new_base).with_extended_header(extended_header);
    for t in split.types() {
        new_split.add_type_copy(split, &t)?;
    }
    let mut copied = 0;
    for (k, &i) in used.iter().enumerate() {
        let t = base.type_by_id(TypeId(i)).expect("collected ids exist");
        if goes_to_base(t.kind(), t.name_off().0 != 0) == Some(false) {
            new_ids[k] = new_split.add_type_copy(split, &t)?.0;
            copied += 1;
        }
    }

    let id_map = IdMap::new(
        used.into_iter()
            .zip(new_ids)
            .map(|(o, n)| (TypeId(o), TypeId(n)))
            .collect(),
        TypeId(split_start)..split.next_id(),
        new_base.next_id(),
    );
    // Ids that are out of range (only in unvalidated input) are left as they are.
    new_split.map_type_ids(|id| id_map.get(id).unwrap_or(id));

    let endian: Endian = split.endian();
    Ok(Distilled {
        base: new_base.to_bytes(endian),
        split: new_split.to_bytes(endian),
        base_types: new_base.type_count(),
        copied_types: copied,
        id_map,
        order: Order::Libbpf,
    })
}

/// The base types found so far, in the order found, and the walk still to do.
struct Collector<'a, 'data> {
    split: &'a Btf<'data>,
    split_start: u32,
    /// A bitset over base ids: 12 KiB for a 100k-type vmlinux, where a per-id table
    /// cleared and scanned for every module would dominate the run time.
    seen: Vec<u64>,
    used: Vec<u32>,
    /// Types whose fields are being walked (who refers, remaining fields).
    stack: Vec<(TypeId, Fields<'data>)>,
}

impl<'data> Collector<'_, 'data> {
    /// Marks base type `id` as used and queues its references, unless it was seen, is
    /// not a base type, or is a named STRUCT/UNION (whose members a distilled base drops).
    /// Returns the type when its kind cannot be represented.
    fn visit(&mut self, id: u32) -> Option<Type<'data>> {
        if id == 0 || id >= self.split_start {
            return None;
        }
        let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        if self.seen[word] & bit != 0 {
            return None;
        }
        let base_t = self.split.type_by_id(TypeId(id))?;
        let named = base_t.name_off().0 != 0;
        if goes_to_base(base_t.kind(), named).is_none() {
            return Some(base_t);
        }
        self.seen[word] |= bit;
        self.used.push(id);
        if !(base_t.kind().is_composite() && named) {
            self.stack
                .push((TypeId(id), base_t.fields(FieldKind::TypeIds)));
        }
        None
    }

    /// Walks everything queued, depth first, in field order (libbpf's recursion order).
    fn drain(&mut self) -> Result<(), DistillError> {
        while let Some((referrer, fields)) = self.stack.last_mut() {
            let referrer = *referrer;
            let Some(field) = fields.next() else {
                self.stack.pop();
                continue;
            };
            if let Some(bad) = self.visit(field.value) {
                return Err(DistillError::UnexpectedBaseReference {
                    referrer,
                    base_id: bad.id(),
                    kind: bad.kind(),
                    name: self.split.name_lossy(&bad),
                });
            }
        }
        Ok(())
    }
}

/// Collects every base type reachable from split types (then from `roots`), in the order
/// and with the checks of libbpf's `btf_add_distilled_type_ids`, without recursion.
/// Returns the ids in the order found.
fn collect_used_base_types(split: &Btf<'_>, roots: &[Root]) -> Result<Vec<u32>, DistillError> {
    let split_start = split.start_id().0;
    let mut c = Collector {
        split,
        split_start,
        seen: vec![0u64; (split_start as usize).div_ceil(64)],
        used: Vec::new(),
        stack: Vec::new(),
    };
    for t in split.types() {
        c.stack.push((t.id(), t.fields(FieldKind::TypeIds)));
        c.drain()?;
    }
    for root in roots {
        if let Some(bad) = c.visit(root.id.0) {
            return Err(DistillError::UnexpectedRoot {
                base_id: bad.id(),
                kind: bad.kind(),
                name: split.name_lossy(&bad),
                why: root.why.clone(),
            });
        }
        c.drain()?;
    }
    Ok(c.used)
}
