//! `.BTF_ids` in the module workflows: checked before a rewrite, kept alive through
//! distillation, rewritten into the new id space, checked after, and judged for `check`.

use super::{first_problems, ModuleError};
use crate::distill::{distill_ordered, Distilled, Root};
use crate::elf::btf_ids::{self, BtfIds};
use crate::sort::Order;
use crate::{Btf, Kind, TypeId};

/// The `.BTF_ids` of a module about to be rewritten (None when it has none), checked
/// against `btf`, the module's BTF in the id space its ids are in. A module whose
/// `.BTF_ids` already do not name the types their symbols say is refused: rewriting
/// would carry the wrong ids over.
pub(crate) fn read_for_rewrite(elf: &[u8], btf: &Btf<'_>) -> Result<Option<BtfIds>, ModuleError> {
    let Some(ids) = super::btf_ids(elf)? else {
        return Ok(None);
    };
    let report = ids.resolve(btf);
    if !report.is_ok() {
        return Err(ModuleError::StaleBtfIds {
            problems: report.problems(&ids),
        });
    }
    Ok(Some(ids))
}

/// Distills `split` (a module's split BTF over the vmlinux it was built against) in the
/// bytes `order` asks for ([`Order::Auto`] decided by `split`'s base), and rewrites
/// `ids` (its `.BTF_ids`) into the new id space: the new `.BTF.base` and `.BTF`, the new
/// `.BTF_ids` section, and how many of its entries name base types.
///
/// - [`Order::Libbpf`]: every base type that `ids` name ([`BtfIds::roots`]) is kept by
///   the reference rules, and each id is mapped through the distillation. An entry
///   naming a base type a distilled base cannot hold (a vmlinux FUNC) is a refusal
///   ([`DistillError::UnexpectedRoot`](crate::distill::DistillError::UnexpectedRoot))
///   naming the entry.
/// - [`Order::Kernel`]: as `resolve_btfids --distill_base` of Linux 6.19+: distilled
///   without roots (the kernel's build keeps only the vmlinux types split types refer
///   to), the split sorted by name, and each id the first type of its kind and name in
///   the result ([`btf_ids::by_name`], how `resolve_btfids` resolves entries), sets
///   re-sorted with their flags. An entry naming a vmlinux type that no split type
///   refers to is a refusal ([`ModuleError::LostInDistill`]).
pub fn distill_with_btf_ids(
    split: &Btf<'_>,
    ids: &BtfIds,
    order: Order,
) -> Result<(Distilled, Vec<u8>, usize), ModuleError> {
    let roots: Vec<Root> = ids
        .roots(split)
        .into_iter()
        .map(|r| Root {
            id: r.id,
            why: r.why,
        })
        .collect();
    let base = split.base().ok_or(crate::distill::DistillError::NotSplit)?;
    if order.resolve(base) == Order::Libbpf {
        let d = distill_ordered(split, &roots, Order::Libbpf)?;
        let section = ids.rewrite(|id| d.id_map.get(TypeId(id)).map(|t| t.0))?;
        return Ok((d, section, roots.len()));
    }
    let d = distill_ordered(split, &[], Order::Kernel)?;
    if let Some(lost) = roots.iter().find(|r| d.id_map.get(r.id).is_none()) {
        let t = split.type_by_id(lost.id).expect("roots are types");
        return Err(ModuleError::LostInDistill {
            why: lost.why.clone(),
            kind: t.kind(),
            name: split.name_lossy(&t),
        });
    }
    let internal = |e: crate::Error| ModuleError::Internal(e.to_string());
    let new_base = Btf::parse(&d.base).map_err(internal)?;
    let new_split = Btf::parse_split(&d.split, &new_base).map_err(internal)?;
    let section = ids.rewrite(|id| btf_ids::by_name(split, &new_split, id))?;
    Ok((d, section, roots.len()))
}

/// Checks a rewritten module: its `.BTF_ids` read back as `section`, and every entry
/// names (through `map`, into `btf`) what its symbol says, every set sorted.
pub(crate) fn check_rewritten(
    elf: &[u8],
    section: &[u8],
    btf: &Btf<'_>,
    map: impl Fn(u32) -> Option<u32>,
) -> Result<(), ModuleError> {
    let ids = BtfIds::parse(elf)
        .map_err(|e| {
            ModuleError::Internal(format!("the rewritten .BTF_ids do not read back: {e}"))
        })?
        .ok_or_else(|| ModuleError::Internal("the rewritten module lost its .BTF_ids".into()))?;
    if ids.data != section {
        return Err(ModuleError::Internal(
            "the rewritten .BTF_ids do not read back as written".into(),
        ));
    }
    let report = ids.resolve_mapped(btf, map);
    if !report.is_ok() {
        return Err(ModuleError::Internal(format!(
            "the rewritten .BTF_ids do not name their types: {}",
            first_problems(&report.problems(&ids), 5)
        )));
    }
    Ok(())
}

/// What [`check`](super::check()) found in a module's `.BTF_ids`, judged in the BTF the
/// target kernel will see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdsCheck {
    /// Number of entries.
    pub entries: usize,
    /// One line per problem (empty: every entry names its type).
    pub problems: Vec<String>,
    /// A kfunc set holds an id that is not one of its functions: the kernel refuses the
    /// set (`register_btf_kfunc_id_set` fails), so the module's init fails.
    pub kfunc_set_refused: bool,
}

impl IdsCheck {
    /// Whether every entry names its type.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Judges the `.BTF_ids` of `elf` (None when it has none, or is not ELF) in `btf`
/// through `map`.
pub(crate) fn judge(
    elf: &[u8],
    btf: &Btf<'_>,
    map: impl Fn(u32) -> Option<u32>,
) -> Result<Option<IdsCheck>, ModuleError> {
    if !crate::elf::is_elf(elf) {
        return Ok(None);
    }
    let Some(ids) = super::btf_ids(elf)? else {
        return Ok(None);
    };
    let report = ids.resolve_mapped(btf, map);
    let kfunc_set_refused = ids.sets.iter().zip(&report.sets).any(|(set, r)| {
        set.is_kfuncs()
            && r.slots.iter().any(|s| {
                s.id != 0
                    && (s.member.is_none() || s.is.as_ref().map(|n| n.kind) != Some(Kind::FUNC))
            })
    });
    Ok(Some(IdsCheck {
        entries: ids.entries.len(),
        problems: report.problems(&ids),
        kfunc_set_refused,
    }))
}
