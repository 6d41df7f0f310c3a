//! `.BTF_ids` in the module workflows: checked before a rewrite, kept alive through
//! distillation, rewritten into the new id space, checked after, and judged for `check`.

use super::{first_problems, ModuleError};
use crate::distill::{distill_with_roots, Distilled, Root};
use crate::elf::btf_ids::BtfIds;
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

/// Distills `split` (a module's split BTF over the vmlinux it was built against)
/// keeping every base type that `ids` (its `.BTF_ids`) names ([`BtfIds::roots`]) by the
/// reference rules, and rewrites `ids` into the new id space: the new `.BTF.base` and
/// `.BTF`, the new `.BTF_ids` section, and how many of its entries name base types. An
/// entry naming a base type a distilled base cannot hold (a vmlinux FUNC) is a refusal
/// ([`DistillError::UnexpectedRoot`](crate::distill::DistillError::UnexpectedRoot))
/// naming the entry.
pub fn distill_with_btf_ids(
    split: &Btf<'_>,
    ids: &BtfIds,
) -> Result<(Distilled, Vec<u8>, usize), ModuleError> {
    let roots: Vec<Root> = ids
        .roots(split)
        .into_iter()
        .map(|r| Root {
            id: r.id,
            why: r.why,
        })
        .collect();
    let d = distill_with_roots(split, &roots)?;
    let section = ids.rewrite(|id| d.id_map.get(TypeId(id)).map(|t| t.0))?;
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
