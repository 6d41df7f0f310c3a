//! Distilling a module: its `.BTF` (split BTF over the vmlinux it was built against)
//! becomes split BTF over a small distilled base, written into the module as `.BTF` and
//! `.BTF.base`, with `.BTF_ids` rewritten in the same patch.

use super::ids::{check_rewritten, distill_with_btf_ids, read_for_rewrite};
use super::open::{parse_checked, Blobs};
use super::{check_readback, sections, IdsRewrite, ModuleError, Outcome, Rewritten, Unchanged};
use crate::distill::Distilled;
use crate::elf::{btf_ids, patch};
use crate::error::Section;
use crate::sort::Order;
use crate::Btf;

/// Options of [`distill`] and [`distill_raw`].
#[derive(Clone, Copy, Debug)]
pub struct DistillOptions {
    /// Validate the module's BTF before distilling (on by default; off for forensics).
    pub validate: bool,
    /// Which bytes to write ([`Order::Auto`] by default: the kernel build's when the base
    /// vmlinux is sorted by name, libbpf 1.7's otherwise).
    pub order: Order,
}

impl Default for DistillOptions {
    fn default() -> Self {
        DistillOptions {
            validate: true,
            order: Order::Auto,
        }
    }
}

/// What [`distill`] did to a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistilledModule {
    /// Types in the new `.BTF.base`.
    pub base_types: u32,
    /// Base types copied into the new `.BTF`.
    pub copied_types: u32,
    /// Bytes of the new `.BTF.base`.
    pub base_len: usize,
    /// Bytes of the new `.BTF`.
    pub split_len: usize,
    /// Bytes of the old `.BTF`.
    pub old_len: usize,
    /// The `.BTF_ids` rewrite, when the module has `.BTF_ids`.
    pub ids: Option<IdsRewrite>,
    /// Which bytes were written: [`Order::Kernel`] or [`Order::Libbpf`].
    pub order: Order,
}

impl std::fmt::Display for DistilledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "distilled ({} order): {} types in .BTF.base ({} bytes), {} base types copied into .BTF ({} bytes, was {})",
            self.order, self.base_types, self.base_len, self.copied_types, self.split_len, self.old_len
        )?;
        if let Some(ids) = &self.ids {
            write!(f, "; {ids}")?;
        }
        Ok(())
    }
}

/// Distills the `.BTF` of the module `elf` (decompressed ELF bytes) over `base`, the
/// vmlinux BTF it was built against, and writes the result into the module: `.BTF`
/// becomes the new split BTF, `.BTF.base` is added, `.BTF_ids` (when present) are
/// rewritten into the new id space with their sets re-sorted ([`distill_with_btf_ids`]:
/// in libbpf's order the vmlinux types they name are kept like referenced ones, in the
/// kernel's they must be referenced). Every other section keeps its bytes and
/// index. [`DistillOptions::order`] picks libbpf 1.7's bytes or those of the kernel's
/// own build (`resolve_btfids --distill_base`, types sorted by name).
///
/// A module without `.BTF`, or with `.BTF.base` already, is [`Outcome::Unchanged`].
/// Refusals ([`ModuleError::is_refusal`]): `.BTF_ids` that do not name their types to
/// begin with, or that name a vmlinux function (a distilled base cannot hold one).
pub fn distill(
    elf: &[u8],
    base: &Btf<'_>,
    opts: &DistillOptions,
) -> Result<Outcome<DistilledModule>, ModuleError> {
    let Some(secs) = sections(elf)? else {
        return Ok(Outcome::Unchanged(Unchanged::NoBtf));
    };
    if secs.base.is_some() {
        return Ok(Outcome::Unchanged(Unchanged::AlreadyDistilled));
    }
    let split = parse_checked(&secs.btf, Some(base), Section::Btf, opts.validate)?;
    let Some(ids) = read_for_rewrite(elf, &split)? else {
        let d = crate::distill::distill_ordered(&split, &[], opts.order)?;
        let patched = patch::set_btf(elf, &d.split, Some(&d.base))?;
        check_readback(&patched.elf, &d.split, Some(&d.base))?;
        let summary = summary(&d, secs.btf.len(), None);
        return Ok(Outcome::Rewritten(Rewritten { patched, summary }));
    };
    let (d, section, kept) = distill_with_btf_ids(&split, &ids, opts.order)?;
    let mut edits = patch::Patch::new();
    edits
        .set(".BTF", &d.split)
        .set(".BTF.base", &d.base)
        .replace(btf_ids::SECTION, &section);
    let patched = edits.apply(elf)?;
    check_readback(&patched.elf, &d.split, Some(&d.base))?;
    let db = Btf::parse(&d.base).map_err(|e| ModuleError::Internal(e.to_string()))?;
    let ds = Btf::parse_split(&d.split, &db).map_err(|e| ModuleError::Internal(e.to_string()))?;
    check_rewritten(&patched.elf, &section, &ds, Some)?;
    let rewrite = IdsRewrite {
        entries: ids.entries.len(),
        sets: ids.sets.len(),
        base_types_kept: kept,
    };
    let summary = summary(&d, secs.btf.len(), Some(rewrite));
    Ok(Outcome::Rewritten(Rewritten { patched, summary }))
}

fn summary(d: &Distilled, old_len: usize, ids: Option<IdsRewrite>) -> DistilledModule {
    DistilledModule {
        base_types: d.base_types,
        copied_types: d.copied_types,
        base_len: d.base.len(),
        split_len: d.split.len(),
        old_len,
        ids,
        order: d.order,
    }
}

/// The result of [`distill_raw`].
#[derive(Clone, Debug)]
pub struct RawDistilled {
    /// The distilled base and split.
    pub distilled: Distilled,
    /// Bytes of the input's `.BTF`.
    pub old_len: usize,
    /// The input is a module with `.BTF_ids`: the vmlinux types its entries name were
    /// kept (as [`distill`] keeps them), but the ids themselves were not rewritten, so
    /// the module given these blobs with its old `.BTF_ids` would fail to load.
    pub btf_ids_kept: bool,
}

/// Distills the BTF of `data` (raw split BTF, or a module's `.BTF`) over `base` into raw
/// blobs (`.BTF.base` and `.BTF` contents), without writing them into a module.
pub fn distill_raw(
    data: &[u8],
    base: &Btf<'_>,
    opts: &DistillOptions,
) -> Result<RawDistilled, ModuleError> {
    let blobs = Blobs::of(data)?;
    if blobs.dist_base.is_some() {
        return Err(ModuleError::AlreadyDistilled);
    }
    let split = parse_checked(&blobs.btf, Some(base), Section::Btf, opts.validate)?;
    let ids = if crate::elf::is_elf(data) {
        read_for_rewrite(data, &split)?
    } else {
        None
    };
    let distilled = match &ids {
        Some(ids) => distill_with_btf_ids(&split, ids, opts.order)?.0,
        None => crate::distill::distill_ordered(&split, &[], opts.order)?,
    };
    Ok(RawDistilled {
        distilled,
        old_len: blobs.btf.len(),
        btf_ids_kept: ids.is_some(),
    })
}
