//! Would a kernel whose vmlinux BTF is `target` accept a module's BTF? Validation as the
//! kernel does it at module load, then relocation of the distilled base (or, for plain
//! split BTF, a check that it belongs to `target`), then the module's `.BTF_ids` judged
//! in the ids the kernel will see.

use super::ids::{judge, IdsCheck};
use super::open::{parse_checked, Blobs, Invalid};
use super::ModuleError;
use crate::error::Section;
use crate::relocate::RelocateError;
use crate::{Btf, Kind, TypeId};

/// The form of a module's BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Split BTF over a distilled base (`.BTF.base`, or a raw `NAME.btf.base`).
    Distilled,
    /// Plain split BTF (built against one exact vmlinux).
    Split,
}

impl Form {
    /// `distilled` or `split`.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Distilled => "distilled",
            Form::Split => "split",
        }
    }
}

/// A distilled STRUCT/UNION that relocation matched to a type of another kind of the
/// same name (the kernel matches by name alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrossKind {
    /// Its id in the distilled base.
    pub dist_id: TypeId,
    /// Its kind.
    pub dist_kind: Kind,
    /// Its name.
    pub name: String,
    /// The id it landed on in the target.
    pub target_id: TypeId,
    /// The kind of that type.
    pub target_kind: Kind,
}

/// What [`check`] found.
#[derive(Clone, Debug)]
pub enum Finding {
    /// The kernel accepts the module's BTF (with hazards: distilled types that landed on a
    /// type of another kind).
    Accepted {
        /// The cross-kind matches.
        hazards: Vec<CrossKind>,
    },
    /// The BTF is invalid as the kernel validates it at load time.
    Invalid {
        /// Plain split BTF that was not built against the target.
        wrong_base: bool,
        /// Every problem.
        invalid: Invalid,
    },
    /// The distilled base does not relocate onto the target.
    DoesNotRelocate(RelocateError),
    /// The module's `.BTF_ids` will not name the right types on the target.
    StaleBtfIds(IdsCheck),
    /// `.BTF` is stored compressed (`SHF_COMPRESSED`): the kernel reads the raw section
    /// bytes and refuses them.
    CompressedSection(&'static str),
}

/// The verdict on one module.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The form of the module's BTF.
    pub form: Form,
    /// What was found.
    pub finding: Finding,
    /// When the target vmlinux is sorted by name (Linux 6.19+, whose kernel then looks
    /// module names up by binary search): whether the module's BTF, as the kernel will
    /// hold it, is sorted too ([`crate::sort::is_sorted`], the kernel's
    /// `btf_check_sorted`). None for an older target, or BTF that was not read.
    pub sorted: Option<bool>,
}

impl Verdict {
    /// Whether the kernel would load the module with its BTF.
    pub fn is_ok(&self) -> bool {
        matches!(self.finding, Finding::Accepted { .. })
    }
}

/// Checks whether a kernel with vmlinux BTF `target` accepts the BTF of `data`: a
/// module (decompressed ELF bytes: `.BTF`, with `.BTF.base` when distilled), or raw
/// split BTF. `dist_base` is the distilled base of raw split BTF (`NAME.btf.base`);
/// without one, raw input is checked as plain split BTF over `target`.
///
/// Errors are failures to read the input; everything the kernel would refuse is a
/// [`Verdict`].
pub fn check(
    data: &[u8],
    dist_base: Option<&[u8]>,
    target: &Btf<'_>,
) -> Result<Verdict, ModuleError> {
    let blobs = match Blobs::of(data) {
        Ok(b) => b,
        Err(ModuleError::Elf(crate::elf::ElfError::Compressed(name))) => {
            return Ok(Verdict {
                form: Form::Split,
                finding: Finding::CompressedSection(name),
                sorted: None,
            })
        }
        Err(e) => return Err(e),
    };
    let dist = blobs.dist_base.as_deref().or(dist_base);
    let Some(dist) = dist else {
        return check_split(data, &blobs.btf, target);
    };
    let form = Form::Distilled;
    let invalid = |invalid: Invalid| Verdict {
        form,
        finding: Finding::Invalid {
            wrong_base: false,
            invalid,
        },
        sorted: None,
    };
    let dist_btf = match parse_checked(dist, None, Section::BtfBase, true) {
        Ok(b) => b,
        Err(e) => return Ok(invalid(e)),
    };
    let split = match parse_checked(&blobs.btf, Some(&dist_btf), Section::Btf, true) {
        Ok(s) => s,
        Err(e) => return Ok(invalid(e)),
    };
    let r = match crate::relocate::relocate(&split, target, Default::default()) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Verdict {
                form,
                finding: Finding::DoesNotRelocate(e),
                sorted: None,
            })
        }
    };
    let hazards = r
        .cross_kind
        .iter()
        .map(|&(d, b)| {
            let dt = dist_btf.type_by_id(d);
            CrossKind {
                dist_id: d,
                dist_kind: dt.as_ref().map_or(Kind::UNKN, |t| t.kind()),
                name: dt.map(|t| dist_btf.name_lossy(&t)).unwrap_or_default(),
                target_id: b,
                target_kind: target.type_by_id(b).map_or(Kind::UNKN, |t| t.kind()),
            }
        })
        .collect();
    // .BTF_ids: what the kernel reads through its relocation (btf_relocate_id).
    let rs =
        Btf::parse_split(&r.split, target).map_err(|e| ModuleError::Internal(e.to_string()))?;
    let ids = judge(data, &rs, |id| r.id_map.get(TypeId(id)).map(|t| t.0))?;
    Ok(Verdict {
        form,
        finding: match ids {
            Some(ids) if !ids.is_ok() => Finding::StaleBtfIds(ids),
            _ => Finding::Accepted { hazards },
        },
        sorted: sorted_on(target, &rs),
    })
}

/// Plain split BTF over the target.
fn check_split(data: &[u8], btf: &[u8], target: &Btf<'_>) -> Result<Verdict, ModuleError> {
    let form = Form::Split;
    let split = match parse_checked(btf, Some(target), Section::Btf, true) {
        Ok(s) => s,
        Err(invalid) => {
            return Ok(Verdict {
                form,
                finding: Finding::Invalid {
                    wrong_base: invalid.wrong_base(),
                    invalid,
                },
                sorted: None,
            })
        }
    };
    let ids = judge(data, &split, Some)?;
    Ok(Verdict {
        form,
        finding: match ids {
            Some(ids) if !ids.is_ok() => Finding::StaleBtfIds(ids),
            _ => Finding::Accepted {
                hazards: Vec::new(),
            },
        },
        sorted: sorted_on(target, &split),
    })
}

/// Whether `module` (over `target`) is sorted, when `target` is.
fn sorted_on(target: &Btf<'_>, module: &Btf<'_>) -> Option<bool> {
    crate::sort::is_sorted(target).then(|| crate::sort::is_sorted(module))
}
