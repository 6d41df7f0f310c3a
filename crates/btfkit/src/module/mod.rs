//! Kernel module workflows: everything btfkit does to a module file, as library calls.
//!
//! This layer sits above [`elf`](crate::elf) (sections, the patcher, `.BTF_ids`
//! layout), [`distill`](mod@crate::distill) and [`relocate`](mod@crate::relocate), and
//! never below them. It works on the decompressed bytes of one ELF object (use
//! [`compress`](crate::compress) or [`file`](crate::file) to get them) and returns
//! either a byte-preserving rewrite of it ([`Rewritten`]) or a verdict with the full
//! report ([`check::Verdict`]); it writes no files.
//!
//! - [`open`]: a module's BTF as libbpf's `btf__parse_elf` gives it: its `.BTF` over the
//!   vmlinux it was built against, or over its `.BTF.base` (distilled), relocated onto
//!   a given vmlinux.
//! - [`distill()`]: a module's `.BTF` over a small distilled base, written into the module
//!   (`.BTF` + `.BTF.base`, `.BTF_ids` rewritten), byte-identical to libbpf 1.7 or to
//!   Linux 6.19+'s `resolve_btfids --distill_base` ([`Order`](crate::sort::Order)).
//! - [`retarget()`]: plain split BTF built against one vmlinux, rewritten against another.
//! - [`sort()`]: the module's types sorted by name, as the kernel's build leaves them.
//! - [`strip()`]: `.BTF` and `.BTF.base` removed.
//! - [`gen()`]: BTF generated from the module's DWARF as the kernel's build makes it
//!   (pahole's encoder, deduplication, `resolve_btfids`), written into it;
//!   [`generate`] gives the blobs.
//! - [`check()`]: would a kernel with this vmlinux BTF accept the module's BTF?
//! - [`classify()`]: what a module's BTF is (none, plain split, distilled, invalid), its
//!   `.BTF_ids` and signature, and the verdict of `check` (`btfkit scan`).
//!
//! Every rewrite is read back before it is returned: the new sections read as written,
//! and `.BTF_ids` name the same types as before.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use btfkit::module;
//! let vmlinux = std::fs::read("/sys/kernel/btf/vmlinux")?;
//! let base = btfkit::Btf::parse(&vmlinux)?;
//! let ko = std::fs::read("dummy.ko")?;
//! match module::distill(&ko, &base, &module::DistillOptions::default())? {
//!     module::Outcome::Rewritten(r) => std::fs::write("dummy-distilled.ko", &r.patched.elf)?,
//!     module::Outcome::Unchanged(why) => eprintln!("left as it is: {why}"),
//! }
//! # Ok(()) }
//! ```

pub mod check;
mod distill;
mod gen;
mod ids;
pub mod open;
mod retarget;
pub mod scan;
mod sort;
mod strip;

pub use check::{check, Verdict};
pub use distill::{distill, distill_raw, DistillOptions, DistilledModule, RawDistilled};
pub use gen::{
    gen, generate, generate_from, generate_object, GenOptions, GeneratedBtf, GeneratedModule,
    IdsResolved,
};
pub use ids::{distill_with_btf_ids, IdsCheck};
pub use open::{parse_checked, Invalid};
pub use retarget::{retarget, RetargetOptions, RetargetedFrom, RetargetedModule};
pub use scan::{classify, Class, Classified};
pub use sort::{sort, SortOptions, SortedModule};
pub use strip::{strip, Stripped};

use crate::elf::btf_ids::{BtfIds, BtfIdsError};
use crate::elf::patch::Patched;
use crate::elf::{BtfSections, ElfError, PatchError};

/// Why a module workflow did not produce a result.
///
/// [`ModuleError::is_refusal`] tells a "no" (the module cannot be rewritten as asked:
/// it does not relocate onto the new vmlinux, its `.BTF_ids` are stale, it needs a base
/// type a distilled base cannot hold) from a failure to read it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// The file is not an ELF object.
    #[error("not an ELF file: a kernel module (.ko, possibly compressed) is needed")]
    NotElf,
    /// The ELF sections could not be read.
    #[error("reading the ELF sections: {0}")]
    Elf(#[from] ElfError),
    /// The module has no `.BTF`.
    #[error("has no .BTF section")]
    NoBtf,
    /// Split BTF without a `.BTF.base` was given without the base it was built against.
    #[error(
        "this is split BTF (module BTF): its string section does not start with the empty \
         string; the vmlinux BTF it was built against is needed (--base)"
    )]
    NeedsBase,
    /// `distill` of a module that already has `.BTF.base`.
    #[error(
        "already has a .BTF.base: it is distilled already (distill needs the plain split BTF \
         built against the base; `btfkit relocate` and `btfkit retarget` take distilled modules)"
    )]
    AlreadyDistilled,
    /// A distilled base is needed (to relocate) and there is none.
    #[error("has no .BTF.base (it is not distilled; `btfkit distill` makes one)")]
    NotDistilled,
    /// `retarget` of a plain split module without the vmlinux it was built against.
    #[error("has no .BTF.base: the vmlinux BTF it was built against is needed (give --from)")]
    NeedsOldBase,
    /// A BTF blob of the module is invalid (every problem, in blob order).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Distilling refused the module's BTF.
    #[error(transparent)]
    Distill(#[from] crate::distill::DistillError),
    /// The module's BTF does not relocate onto the new vmlinux.
    #[error("does not relocate onto the new vmlinux: {0}")]
    Relocate(#[from] crate::relocate::RelocateError),
    /// `.BTF_ids` could not be read or rewritten.
    #[error(transparent)]
    BtfIds(#[from] BtfIdsError),
    /// In the kernel's order, a `.BTF_ids` entry names a vmlinux type that no split type
    /// refers to: the kernel's build distills without it (and leaves the entry 0).
    #[error(
        "{why} names {kind} '{name}', a vmlinux type the module's BTF does not refer to: \
         distilled in the kernel's order (as the kernel's build distills) it would be lost; \
         --order libbpf keeps it"
    )]
    LostInDistill {
        /// The entry (or set slot).
        why: String,
        /// The type's kind.
        kind: crate::Kind,
        /// The type's name.
        name: String,
    },
    /// `.BTF_ids` do not name the types their symbols say, before any rewrite.
    #[error(
        "its .BTF_ids do not match its .BTF even before rewriting ({}); `btfkit ids` lists every entry",
        first_problems(.problems, 3)
    )]
    StaleBtfIds {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// BTF could not be generated from the object's DWARF.
    #[error(transparent)]
    Gen(#[from] crate::gen::GenError),
    /// The ELF patcher refused the edit.
    #[error("rewriting the ELF sections: {0}")]
    Patch(#[from] PatchError),
    /// What was written does not read back as written (a bug of btfkit).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ModuleError {
    /// Whether this is a "no" about the module (exit status 1 in the CLI) rather than a
    /// failure to read or write it.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ModuleError::Relocate(_)
                | ModuleError::StaleBtfIds { .. }
                | ModuleError::LostInDistill { .. }
                | ModuleError::Distill(
                    crate::distill::DistillError::UnexpectedBaseReference { .. }
                )
                | ModuleError::Distill(crate::distill::DistillError::UnexpectedRoot { .. })
        )
    }
}

/// The first `n` problems joined, with a count of the rest.
pub(crate) fn first_problems(problems: &[String], n: usize) -> String {
    let mut text = problems
        .iter()
        .take(n)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > n {
        text.push_str(&format!("; and {} more", problems.len() - n));
    }
    text
}

/// What a workflow made of a module.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome<S> {
    /// The module, rewritten.
    Rewritten(Rewritten<S>),
    /// Nothing to do; the module is to be left as it is.
    Unchanged(Unchanged),
}

/// A rewritten module: the new ELF image and what was done.
#[derive(Debug)]
pub struct Rewritten<S> {
    /// The new ELF image, the section changes and what followed the old image (a module
    /// signature, which no longer applies and is dropped).
    pub patched: Patched,
    /// What the workflow did, for the user.
    pub summary: S,
}

/// Why a module needs no rewrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unchanged {
    /// It has no `.BTF` (nothing to distill or retarget).
    NoBtf,
    /// It has `.BTF.base` already (nothing to distill).
    AlreadyDistilled,
    /// It has neither `.BTF` nor `.BTF.base` (nothing to strip).
    NoBtfSections,
    /// Its types are sorted by name already (nothing to sort).
    AlreadySorted,
}

impl std::fmt::Display for Unchanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unchanged::NoBtf => "no .BTF section",
            Unchanged::AlreadyDistilled => "already distilled (has .BTF.base)",
            Unchanged::NoBtfSections => "no .BTF or .BTF.base",
            Unchanged::AlreadySorted => "sorted by name already",
        })
    }
}

/// What a `.BTF_ids` rewrite did, for a workflow's summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdsRewrite {
    /// Entries rewritten.
    pub entries: usize,
    /// Sets re-sorted.
    pub sets: usize,
    /// Entries naming base (vmlinux) types, which were kept.
    pub base_types_kept: usize,
}

impl std::fmt::Display for IdsRewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            ".BTF_ids: {} entries rewritten, {} sets re-sorted",
            self.entries, self.sets
        )?;
        if self.base_types_kept > 0 {
            write!(
                f,
                ", {} of their ids name vmlinux types",
                self.base_types_kept
            )?;
        }
        Ok(())
    }
}

/// The ELF sections of `elf`, with the workflows' view of the errors.
pub(crate) fn sections(elf: &[u8]) -> Result<Option<BtfSections<'_>>, ModuleError> {
    if !crate::elf::is_elf(elf) {
        return Err(ModuleError::NotElf);
    }
    match BtfSections::parse(elf) {
        Ok(s) => Ok(Some(s)),
        Err(ElfError::NoBtf) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Checks that `elf` reads back with exactly these BTF sections.
pub(crate) fn check_readback(
    elf: &[u8],
    btf: &[u8],
    base: Option<&[u8]>,
) -> Result<(), ModuleError> {
    let s = BtfSections::parse(elf).map_err(|e| {
        ModuleError::Internal(format!("the rewritten module does not read back: {e}"))
    })?;
    if s.btf.as_ref() != btf || s.base.as_deref() != base {
        return Err(ModuleError::Internal(
            "the rewritten module does not read back as written".into(),
        ));
    }
    Ok(())
}

/// The `.BTF_ids` of a module, for the workflows.
pub(crate) fn btf_ids(elf: &[u8]) -> Result<Option<BtfIds>, ModuleError> {
    Ok(BtfIds::parse(elf)?)
}
