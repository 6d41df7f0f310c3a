//! What a module's BTF is, for `btfkit scan`: no BTF, plain split BTF, split BTF over a
//! distilled base (`.BTF.base`), or invalid; whether it has `.BTF_ids` and an appended
//! signature; the section sizes; and, given a vmlinux BTF, the verdict of
//! [`check`](super::check()).

use super::check::{check, Finding, Verdict};
use super::open::{looks_split, parse_checked};
use super::ModuleError;
use crate::elf::{BtfSections, ElfError, ModuleSignature};
use crate::error::Section;
use crate::Btf;

/// The form of a module's BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// No `.BTF` section.
    NoBtf,
    /// `.BTF` is plain split BTF: built against one exact vmlinux.
    Split,
    /// `.BTF` is split BTF over the module's own `.BTF.base` (distilled).
    Distilled,
    /// The BTF sections cannot be read as BTF the kernel takes: a header or section
    /// that does not parse, a `.BTF.base` pair that does not validate, a compressed
    /// section, or `.BTF` that is not split BTF. Plain split BTF is validated only with
    /// a vmlinux to validate it over (not counting a vmlinux it was not built against).
    Invalid,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 4] = [Class::NoBtf, Class::Split, Class::Distilled, Class::Invalid];

    /// `no_btf`, `split`, `distilled`, `invalid`.
    pub fn key(self) -> &'static str {
        match self {
            Class::NoBtf => "no_btf",
            Class::Split => "split",
            Class::Distilled => "distilled",
            Class::Invalid => "invalid",
        }
    }

    /// For people: `no BTF`, `plain split BTF`, ...
    pub fn description(self) -> &'static str {
        match self {
            Class::NoBtf => "no BTF",
            Class::Split => "plain split BTF",
            Class::Distilled => "distilled (.BTF.base)",
            Class::Invalid => "invalid BTF",
        }
    }
}

/// What [`classify`] found in one module.
#[derive(Clone, Debug)]
pub struct Classified {
    /// The form of its BTF.
    pub class: Class,
    /// Why it is [`Class::Invalid`].
    pub invalid: Option<String>,
    /// Bytes of `.BTF`.
    pub btf_len: Option<usize>,
    /// Bytes of `.BTF.base`.
    pub base_len: Option<usize>,
    /// Bytes of `.BTF_ids`, when it has one.
    pub btf_ids_len: Option<usize>,
    /// The appended module signature.
    pub signature: Option<ModuleSignature>,
    /// Bytes of the (decompressed) module.
    pub elf_len: usize,
    /// The verdict of [`check`](super::check()) against the vmlinux given.
    pub verdict: Option<Verdict>,
}

impl Classified {
    /// Whether the kernel would refuse the module's BTF: an invalid class, or a verdict
    /// that is not ok. A module without BTF is not refused (it loads without).
    pub fn is_refused(&self) -> bool {
        self.class == Class::Invalid || self.verdict.as_ref().is_some_and(|v| !v.is_ok())
    }
}

/// Classifies the module `elf` (decompressed bytes), with the verdict against `target`
/// when one is given. Errors are files that are not ELF or whose section table does
/// not read; everything about the BTF is a [`Classified`].
pub fn classify(elf: &[u8], target: Option<&Btf<'_>>) -> Result<Classified, ModuleError> {
    if !crate::elf::is_elf(elf) {
        return Err(ModuleError::NotElf);
    }
    let signature = crate::elf::signature::find(elf).ok().flatten();
    let btf_ids_len = section_len(elf, ".BTF_ids");
    let mut c = Classified {
        class: Class::NoBtf,
        invalid: None,
        btf_len: None,
        base_len: None,
        btf_ids_len,
        signature,
        elf_len: elf.len(),
        verdict: None,
    };
    let sections = match BtfSections::parse(elf) {
        Ok(s) => s,
        Err(ElfError::NoBtf) => return Ok(c),
        Err(e @ (ElfError::Compressed(_) | ElfError::NoBits(_) | ElfError::Duplicate(_))) => {
            c.class = Class::Invalid;
            c.invalid = Some(e.to_string());
            c.btf_len = section_len(elf, ".BTF");
            c.base_len = section_len(elf, ".BTF.base");
            return Ok(c);
        }
        Err(e) => return Err(e.into()),
    };
    c.btf_len = Some(sections.btf.len());
    c.base_len = sections.base.as_ref().map(|b| b.len());
    let problem = match &sections.base {
        Some(dist) => {
            c.class = Class::Distilled;
            match parse_checked(dist, None, Section::BtfBase, true) {
                Ok(d) => parse_checked(&sections.btf, Some(&d), Section::Btf, true)
                    .err()
                    .map(|e| e.to_string()),
                Err(e) => Some(e.to_string()),
            }
        }
        None => {
            c.class = Class::Split;
            match crate::read::Header::parse(&sections.btf) {
                Err(e) => Some(format!("invalid BTF: {}", e.in_section(Section::Btf))),
                Ok(_) if !looks_split(&sections.btf) => {
                    Some(".BTF is not split BTF (it has its own base types)".to_string())
                }
                Ok(_) => None,
            }
        }
    };
    if let Some(p) = problem {
        c.class = Class::Invalid;
        c.invalid = Some(p);
    }
    if let Some(t) = target {
        if c.class != Class::Invalid {
            let v = check(elf, None, t)?;
            // Plain split BTF validates only over its vmlinux: invalid on its own when
            // the target shows it (and not merely that it was built against another).
            if let Finding::Invalid {
                wrong_base: false,
                invalid,
            } = &v.finding
            {
                c.class = Class::Invalid;
                c.invalid = Some(invalid.to_string());
            }
            c.verdict = Some(v);
        }
    }
    Ok(c)
}

/// The size of the section named `name`, when there is one (and it has contents).
fn section_len(elf: &[u8], name: &str) -> Option<usize> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(elf).ok()?;
    let s = file.section_by_name(name)?;
    if s.kind() == object::SectionKind::UninitializedData {
        return None;
    }
    s.file_range().map(|(_, len)| len as usize)
}
