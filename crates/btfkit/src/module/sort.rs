//! Sorting a module's BTF by name in the module file, as the kernel's build
//! (`resolve_btfids`) leaves it: `.BTF` rewritten ([`crate::sort::sort_by_name`]),
//! `.BTF.base` kept, `.BTF_ids` following the renumbering with their sets re-sorted.

use super::ids::{check_rewritten, read_for_rewrite};
use super::open::parse_checked;
use super::{check_readback, sections, IdsRewrite, ModuleError, Outcome, Rewritten, Unchanged};
use crate::elf::{btf_ids, patch};
use crate::error::Section;
use crate::Btf;

/// Options of [`sort`].
#[derive(Clone, Copy, Debug)]
pub struct SortOptions {
    /// Validate the module's BTF first (on by default; off for forensics).
    pub validate: bool,
}

impl Default for SortOptions {
    fn default() -> Self {
        SortOptions { validate: true }
    }
}

/// What [`sort`] did to a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedModule {
    /// Types of the module's `.BTF`.
    pub types: u32,
    /// How many of them got another id.
    pub moved: usize,
    /// Whether the module's BTF is over its own `.BTF.base`.
    pub distilled: bool,
    /// The `.BTF_ids` rewrite, when the module has `.BTF_ids`.
    pub ids: Option<IdsRewrite>,
}

impl std::fmt::Display for SortedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sorted by name: {} of {} types moved{}",
            self.moved,
            self.types,
            if self.distilled {
                " (over its .BTF.base)"
            } else {
                ""
            }
        )?;
        if let Some(ids) = &self.ids {
            write!(f, "; {ids}")?;
        }
        Ok(())
    }
}

/// Sorts the types of the module `elf` (decompressed ELF bytes) by name: its `.BTF` over
/// its `.BTF.base` when it has one, else over `base` (the vmlinux it was built against;
/// [`ModuleError::NeedsBase`] without it). `.BTF_ids` ids follow their types, sets are
/// re-sorted; every other section keeps its bytes and index.
///
/// A module without `.BTF`, or sorted already, is [`Outcome::Unchanged`].
pub fn sort(
    elf: &[u8],
    base: Option<&Btf<'_>>,
    opts: &SortOptions,
) -> Result<Outcome<SortedModule>, ModuleError> {
    let Some(secs) = sections(elf)? else {
        return Ok(Outcome::Unchanged(Unchanged::NoBtf));
    };
    let dist = match &secs.base {
        Some(b) => Some(parse_checked(b, None, Section::BtfBase, opts.validate)?),
        None => None,
    };
    let over = match (&dist, base) {
        (Some(d), _) => d,
        (None, Some(b)) => b,
        (None, None) => return Err(ModuleError::NeedsBase),
    };
    let split = parse_checked(&secs.btf, Some(over), Section::Btf, opts.validate)?;
    let sorted =
        crate::sort::sort_by_name(&split).map_err(|e| ModuleError::Internal(e.to_string()))?;
    if sorted.map.is_identity() {
        return Ok(Outcome::Unchanged(Unchanged::AlreadySorted));
    }
    let moved = split
        .own_ids()
        .filter(|&id| sorted.map.get(id) != Some(id))
        .count();
    let ids = read_for_rewrite(elf, &split)?;
    let (patched, ids) = match &ids {
        None => (
            patch::set_btf(elf, &sorted.bytes, secs.base.as_deref())?,
            None,
        ),
        Some(ids) => {
            let section = ids.rewrite(|id| sorted.map.get(crate::TypeId(id)).map(|t| t.0))?;
            let mut edits = patch::Patch::new();
            edits
                .set(".BTF", &sorted.bytes)
                .replace(btf_ids::SECTION, &section);
            let patched = edits.apply(elf)?;
            let ss = Btf::parse_split(&sorted.bytes, over)
                .map_err(|e| ModuleError::Internal(e.to_string()))?;
            check_rewritten(&patched.elf, &section, &ss, Some)?;
            let rewrite = IdsRewrite {
                entries: ids.entries.len(),
                sets: ids.sets.len(),
                base_types_kept: 0,
            };
            (patched, Some(rewrite))
        }
    };
    check_readback(&patched.elf, &sorted.bytes, secs.base.as_deref())?;
    let summary = SortedModule {
        types: split.type_count(),
        moved,
        distilled: dist.is_some(),
        ids,
    };
    Ok(Outcome::Rewritten(Rewritten { patched, summary }))
}
