//! Retargeting a module: plain split BTF built against one vmlinux rewritten as plain
//! split BTF against another (distill over the old vmlinux, relocate onto the new one),
//! for kernels that do not read `.BTF.base`.

use super::ids::{check_rewritten, read_for_rewrite};
use super::open::parse_checked;
use super::{check_readback, sections, IdsRewrite, ModuleError, Outcome, Rewritten, Unchanged};
use crate::distill::Root;
use crate::elf::{btf_ids, patch};
use crate::error::Section;
use crate::sort::Order;
use crate::{Btf, TypeId};

/// Options of [`retarget`].
#[derive(Clone, Copy, Debug)]
pub struct RetargetOptions {
    /// Validate the module's BTF before, and the result after (on by default).
    pub validate: bool,
    /// Relocation options (`strict_kinds`).
    pub relocate: crate::relocate::Options,
    /// Which bytes to write ([`Order::Auto`] by default: decided by the new vmlinux).
    /// [`Order::Kernel`]: the result is sorted by name, as the kernel's build leaves
    /// module BTF, and a distillation on the way has the 32-byte header of the kernel's
    /// libbpf, which relocation keeps. [`Order::Libbpf`]: libbpf 1.7's distillation,
    /// relocated.
    pub order: Order,
}

impl Default for RetargetOptions {
    fn default() -> Self {
        RetargetOptions {
            validate: true,
            relocate: Default::default(),
            order: Order::Auto,
        }
    }
}

/// How the module's BTF was brought over a distilled base before relocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetargetedFrom {
    /// From its own `.BTF.base`.
    OwnDistilledBase,
    /// Distilled over the old vmlinux first.
    OldBase,
}

/// What [`retarget`] did to a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetargetedModule {
    /// Where the relocation started from.
    pub from: RetargetedFrom,
    /// Bytes of the new `.BTF`.
    pub split_len: usize,
    /// Bytes of the old `.BTF`.
    pub old_len: usize,
    /// The `.BTF_ids` rewrite, when the module has `.BTF_ids`.
    pub ids: Option<IdsRewrite>,
    /// Distilled types that landed on a type of another kind (`(distilled id, new id)`;
    /// the kernel matches by name alone, [`relocate::Options::strict_kinds`](crate::relocate::Options) refuses it).
    pub cross_kind: Vec<(TypeId, TypeId)>,
    /// Which bytes were written: [`Order::Kernel`] (sorted by name) or [`Order::Libbpf`].
    pub order: Order,
}

impl std::fmt::Display for RetargetedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self.from {
            RetargetedFrom::OwnDistilledBase => "relocated from its .BTF.base",
            RetargetedFrom::OldBase => "distilled over the old vmlinux and relocated",
        };
        write!(
            f,
            "retargeted ({how}; {} order): .BTF {} bytes, was {}",
            self.order, self.split_len, self.old_len
        )?;
        if let Some(ids) = &self.ids {
            write!(f, "; {ids}")?;
        }
        if !self.cross_kind.is_empty() {
            write!(
                f,
                "; {} distilled types matched a type of another kind (--strict-kinds refuses that)",
                self.cross_kind.len()
            )?;
        }
        Ok(())
    }
}

/// Rewrites the BTF of the module `elf` (decompressed ELF bytes) as plain split BTF over
/// `new`: relocated from its `.BTF.base` when it has one, else distilled over `old`
/// (the vmlinux it was built against; [`ModuleError::NeedsOldBase`] without it) and
/// relocated. `.BTF.base` is removed, `.BTF_ids` are rewritten into `new`'s id space.
///
/// A module without `.BTF` is [`Outcome::Unchanged`]. A module that does not relocate
/// onto `new` is a refusal ([`ModuleError::Relocate`], with every failure).
pub fn retarget(
    elf: &[u8],
    old: Option<&Btf<'_>>,
    new: &Btf<'_>,
    opts: &RetargetOptions,
) -> Result<Outcome<RetargetedModule>, ModuleError> {
    let validate = opts.validate;
    let order = opts.order.resolve(new);
    let Some(secs) = sections(elf)? else {
        return Ok(Outcome::Unchanged(Unchanged::NoBtf));
    };
    // The module's BTF over a distilled base: its own, or distilled over `old` (keeping
    // the vmlinux types its .BTF_ids name). `ids`: its .BTF_ids, checked in the id space
    // they are in; `dist_map`: from that space to the distilled one (None: the same).
    let (dist_base, split, from, ids, dist_map) = match &secs.base {
        Some(b) => (
            b.to_vec(),
            secs.btf.to_vec(),
            RetargetedFrom::OwnDistilledBase,
            None,
            None,
        ),
        None => {
            let old = old.ok_or(ModuleError::NeedsOldBase)?;
            let split = parse_checked(&secs.btf, Some(old), Section::Btf, validate)?;
            // The vmlinux types .BTF_ids name are kept (the distillation is not written,
            // so nothing asks for the kernel build's exact bytes of it).
            let ids = read_for_rewrite(elf, &split)?;
            let roots: Vec<Root> = ids
                .iter()
                .flat_map(|ids| ids.roots(&split))
                .map(|r| Root {
                    id: r.id,
                    why: r.why,
                })
                .collect();
            let d = crate::distill::distill_ordered(&split, &roots, order)?;
            let ids = ids.map(|ids| (ids, roots.len()));
            (
                d.base,
                d.split,
                RetargetedFrom::OldBase,
                ids,
                Some(d.id_map),
            )
        }
    };
    let dist = parse_checked(&dist_base, None, Section::BtfBase, validate)?;
    let split = parse_checked(&split, Some(&dist), Section::Btf, validate)?;
    let ids = match ids {
        Some(x) => Some(x),
        None if secs.base.is_some() => read_for_rewrite(elf, &split)?.map(|ids| (ids, 0)),
        None => None,
    };
    let r = crate::relocate::relocate(&split, new, opts.relocate)?;
    // What we write must be valid split BTF over the new base.
    let relocated = parse_checked(&r.split, Some(new), Section::Btf, true).map_err(|e| {
        ModuleError::Internal(format!(
            "the relocated BTF is not valid over the new base: {e}"
        ))
    })?;
    // In the kernel's order the result is sorted by name (a distillation in that order
    // is already; a module's own .BTF.base may not be).
    let sorted = match order {
        Order::Kernel if !crate::sort::is_sorted(&relocated) => Some(
            crate::sort::sort_by_name(&relocated)
                .map_err(|e| ModuleError::Internal(e.to_string()))?,
        ),
        _ => None,
    };
    let (out_split, perm) = match &sorted {
        Some(s) => (&s.bytes, Some(&s.map)),
        None => (&r.split, None),
    };
    let (patched, ids) = match &ids {
        None => (patch::set_btf(elf, out_split, None)?, None),
        Some((ids, kept)) => {
            // Old id -> distilled id -> id over the new vmlinux -> sorted.
            let map = |old: u32| {
                let dist = match &dist_map {
                    Some(m) => m.get(TypeId(old))?.0,
                    None => old,
                };
                let id = r.id_map.get(TypeId(dist))?;
                Some(perm.map_or(Some(id), |p| p.get(id))?.0)
            };
            let section = ids.rewrite(map)?;
            let mut edits = patch::Patch::new();
            edits
                .set(".BTF", out_split)
                .remove(".BTF.base")
                .replace(btf_ids::SECTION, &section);
            let patched = edits.apply(elf)?;
            let rs = Btf::parse_split(out_split, new)
                .map_err(|e| ModuleError::Internal(e.to_string()))?;
            check_rewritten(&patched.elf, &section, &rs, Some)?;
            let rewrite = IdsRewrite {
                entries: ids.entries.len(),
                sets: ids.sets.len(),
                base_types_kept: *kept,
            };
            (patched, Some(rewrite))
        }
    };
    check_readback(&patched.elf, out_split, None)?;
    let summary = RetargetedModule {
        from,
        split_len: out_split.len(),
        old_len: secs.btf.len(),
        ids,
        cross_kind: r.cross_kind.clone(),
        order,
    };
    Ok(Outcome::Rewritten(Rewritten { patched, summary }))
}
