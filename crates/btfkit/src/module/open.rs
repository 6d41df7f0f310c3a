//! A module's BTF as libbpf's `btf__parse_elf` gives it: its `.BTF` over the vmlinux it
//! was built against; or over its `.BTF.base` (distilled), relocated onto a vmlinux when
//! one is given, as the kernel does at load time.

use super::ModuleError;
use crate::error::Section;
use crate::read::Btf;
use crate::relocate::Relocated;
use crate::Error;
use std::borrow::Cow;

/// A blob that failed to parse or validate, with every problem found (in blob order).
#[derive(Debug, Clone, thiserror::Error)]
pub struct Invalid {
    /// The blob (`.BTF` or `.BTF.base`).
    pub section: Section,
    /// Every problem; never empty.
    pub errors: Vec<Error>,
}

impl Invalid {
    /// Whether the blob is split BTF read over a base it was not built against (its name
    /// offsets land inside base strings).
    pub fn wrong_base(&self) -> bool {
        self.errors
            .iter()
            .any(|e| e.rule() == crate::Rule::NameInsideBaseString)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid BTF: {}", self.errors[0])?;
        if self.errors.len() > 1 {
            write!(
                f,
                " (and {} more problems; `btfkit validate` lists them)",
                self.errors.len() - 1
            )?;
        }
        Ok(())
    }
}

/// Parses `blob` (split over `base` when given) and, when `validate` is set, runs every
/// check of [`validate`](crate::validate::validate); errors are attributed to `section`.
pub fn parse_checked<'a>(
    blob: &'a [u8],
    base: Option<&'a Btf<'a>>,
    section: Section,
    validate: bool,
) -> Result<Btf<'a>, Invalid> {
    let parsed = match base {
        Some(b) => Btf::parse_split(blob, b),
        None => Btf::parse(blob),
    };
    let btf = parsed.map_err(|e| Invalid {
        section,
        errors: vec![e.in_section(section)],
    })?;
    if validate {
        let errors: Vec<Error> = crate::validate::validate(&btf)
            .into_iter()
            .map(|e| e.in_section(section))
            .collect();
        if !errors.is_empty() {
            return Err(Invalid { section, errors });
        }
    }
    Ok(btf)
}

/// The BTF blobs of a file: the sections of an ELF object, or a raw blob.
#[derive(Debug)]
pub struct Blobs<'a> {
    /// `.BTF`, or the whole raw file.
    pub btf: Cow<'a, [u8]>,
    /// `.BTF.base` of an ELF object.
    pub dist_base: Option<Cow<'a, [u8]>>,
}

impl<'a> Blobs<'a> {
    /// The blobs of `data`: an ELF object's `.BTF` and `.BTF.base`, or `data` itself.
    pub fn of(data: &'a [u8]) -> Result<Blobs<'a>, ModuleError> {
        if !crate::elf::is_elf(data) {
            return Ok(Blobs {
                btf: Cow::Borrowed(data),
                dist_base: None,
            });
        }
        let s = crate::elf::BtfSections::parse(data).map_err(|e| match e {
            crate::elf::ElfError::NoBtf => ModuleError::NoBtf,
            e => e.into(),
        })?;
        Ok(Blobs {
            btf: s.btf,
            dist_base: s.base,
        })
    }

    /// Whether `.BTF` looks like split BTF: its string section does not start with the
    /// empty string (base BTF always does), or is empty.
    pub fn looks_split(&self) -> bool {
        looks_split(&self.btf)
    }
}

/// Whether a raw blob looks like split BTF: its string section does not start with the
/// empty string (base BTF always does), or is empty.
pub fn looks_split(blob: &[u8]) -> bool {
    match crate::read::Header::parse(blob) {
        Ok(h) => {
            let at = h.hdr_len as usize + h.str_off as usize;
            h.str_len == 0 || blob.get(at).is_some_and(|&b| b != 0)
        }
        Err(_) => false,
    }
}

/// What a module's BTF was opened over.
#[derive(Debug)]
pub enum Opened<'r> {
    /// Standalone (base) BTF: a vmlinux.
    Standalone,
    /// Plain split BTF over the given base.
    OverBase,
    /// Split BTF over its own `.BTF.base` (no base was given).
    OverDistilledBase,
    /// Split BTF relocated from its `.BTF.base` onto the given base.
    Relocated(&'r Relocated),
}

/// Opens the BTF of `blobs` as libbpf's `btf__parse_elf` does and calls `f` with it:
///
/// - with `.BTF.base`: the split over it, relocated onto `base` when one is given (an
///   error carrying the full relocation report when it does not relocate);
/// - otherwise: split over `base`, or standalone when no base is given (an error when
///   the blob looks split).
///
/// With `validate`, every blob read (and the relocated result) is validated first.
pub fn with_btf<R>(
    blobs: &Blobs<'_>,
    base: Option<&Btf<'_>>,
    validate: bool,
    f: impl FnOnce(&Btf<'_>, Opened<'_>) -> R,
) -> Result<R, ModuleError> {
    if let Some(dist) = &blobs.dist_base {
        let dist_base = parse_checked(dist, None, Section::BtfBase, validate)?;
        let split = parse_checked(&blobs.btf, Some(&dist_base), Section::Btf, validate)?;
        let Some(base) = base else {
            return Ok(f(&split, Opened::OverDistilledBase));
        };
        let relocated = crate::relocate::relocate(&split, base, Default::default())?;
        // Re-borrow the base with the relocated bytes' lifetime.
        return with_split_over(&relocated.split, base, validate, |btf| {
            f(btf, Opened::Relocated(&relocated))
        });
    }
    match base {
        Some(base) => with_split_over(&blobs.btf, base, validate, |btf| f(btf, Opened::OverBase)),
        None => {
            if blobs.looks_split() {
                return Err(ModuleError::NeedsBase);
            }
            let btf = parse_checked(&blobs.btf, None, Section::Btf, validate)?;
            Ok(f(&btf, Opened::Standalone))
        }
    }
}

/// Parses `split` over `base` (whose lifetime may be longer than the split's bytes) and
/// calls `f`.
fn with_split_over<R>(
    split: &[u8],
    base: &Btf<'_>,
    validate: bool,
    f: impl FnOnce(&Btf<'_>) -> R,
) -> Result<R, ModuleError> {
    let btf = parse_checked(split, Some(base), Section::Btf, validate)?;
    Ok(f(&btf))
}

/// Calls `f` with the split BTF of `blobs` over its distilled base: the module's own
/// `.BTF.base`, or `dist_base` (a raw distilled base, for raw split BTF).
/// [`ModuleError::NotDistilled`] when there is neither.
pub fn with_distilled<R>(
    blobs: &Blobs<'_>,
    dist_base: Option<&[u8]>,
    validate: bool,
    f: impl FnOnce(&Btf<'_>) -> R,
) -> Result<R, ModuleError> {
    let dist = blobs
        .dist_base
        .as_deref()
        .or(dist_base)
        .ok_or(ModuleError::NotDistilled)?;
    let dist_base = parse_checked(dist, None, Section::BtfBase, validate)?;
    let split = parse_checked(&blobs.btf, Some(&dist_base), Section::Btf, validate)?;
    Ok(f(&split))
}
