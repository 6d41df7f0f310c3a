//! Stripping a module: `.BTF` and `.BTF.base` removed, every other section untouched
//! (what users do with `objcopy --remove-section` when a module's BTF keeps it from
//! loading).

use super::{ModuleError, Outcome, Rewritten, Unchanged};
use crate::elf::patch::{self, Action};

/// What [`strip`] removed: `(section, bytes)` for each section that was there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stripped {
    /// The removed sections and their sizes.
    pub removed: Vec<(String, u64)>,
}

impl std::fmt::Display for Stripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("removed ")?;
        for (i, (name, size)) in self.removed.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{name} ({size} bytes)")?;
        }
        Ok(())
    }
}

/// Removes `.BTF` and `.BTF.base` from the module `elf`. A removed section's header
/// becomes an inactive `SHT_NULL` entry, so that no section index changes. A module
/// with neither is [`Outcome::Unchanged`].
pub fn strip(elf: &[u8]) -> Result<Outcome<Stripped>, ModuleError> {
    if !crate::elf::is_elf(elf) {
        return Err(ModuleError::NotElf);
    }
    let patched = patch::strip_btf(elf)?;
    let removed: Vec<(String, u64)> = patched
        .changes
        .iter()
        .filter_map(|c| match c.action {
            Action::Removed { old_size } | Action::Dropped { old_size } => {
                Some((c.name.clone(), old_size))
            }
            _ => None,
        })
        .collect();
    if removed.is_empty() {
        return Ok(Outcome::Unchanged(Unchanged::NoBtfSections));
    }
    Ok(Outcome::Rewritten(Rewritten {
        patched,
        summary: Stripped { removed },
    }))
}
