//! Locating the BTF sections of an ELF file with `object`, without copying them.
//!
//! The kernel reads `.BTF` and `.BTF.base` as raw section bytes: a section stored
//! compressed (`SHF_COMPRESSED`) or given twice is refused here as the kernel would
//! refuse or misread it, rather than decompressed or picked silently.

use object::{Object, ObjectSection};
use std::borrow::Cow;

/// Why the BTF sections of an ELF file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// `object` could not parse the file as ELF.
    #[error("not a readable ELF file: {0}")]
    Parse(#[from] object::Error),
    /// The file has no `.BTF` section.
    #[error("ELF file has no .BTF section")]
    NoBtf,
    /// A BTF section is `SHT_NOBITS` (stripped into a debug file, for instance).
    #[error("ELF section {0} has no contents (SHT_NOBITS)")]
    NoBits(&'static str),
    /// A BTF section is stored compressed (`SHF_COMPRESSED`); the kernel reads section
    /// bytes as they are and would refuse it.
    #[error("ELF section {0} is compressed (SHF_COMPRESSED): the kernel reads it as it is stored and would refuse it")]
    Compressed(&'static str),
    /// Two sections have the same BTF section name.
    #[error("ELF file has more than one {0} section")]
    Duplicate(&'static str),
}

/// The BTF sections of one ELF file.
#[derive(Debug)]
pub struct BtfSections<'data> {
    /// `.BTF`: base BTF for vmlinux, split BTF for a module.
    pub btf: Cow<'data, [u8]>,
    /// `.BTF.base`: the distilled base a module's `.BTF` refers to, when present.
    pub base: Option<Cow<'data, [u8]>>,
    /// `.BTF.ext`: line and function info of BPF objects, when present.
    pub ext: Option<Cow<'data, [u8]>>,
    /// Whether the ELF file is big-endian.
    pub big_endian: bool,
    /// Whether the ELF file is 64-bit.
    pub is_64: bool,
    /// Whether the ELF file is relocatable (`ET_REL`: `.o`, `.ko`).
    pub relocatable: bool,
}

/// Whether `data` starts with the ELF magic.
pub fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

fn section_bytes<'data>(
    file: &object::File<'data>,
    name: &'static str,
) -> Result<Option<Cow<'data, [u8]>>, ElfError> {
    let mut found = file
        .sections()
        .filter(|s| s.name_bytes().ok() == Some(name.as_bytes()));
    let Some(sec) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(ElfError::Duplicate(name));
    }
    if sec.kind() == object::SectionKind::UninitializedData {
        return Err(ElfError::NoBits(name));
    }
    if sec.compressed_file_range()?.format != object::CompressionFormat::None {
        return Err(ElfError::Compressed(name));
    }
    Ok(Some(Cow::Borrowed(sec.data()?)))
}

impl<'data> BtfSections<'data> {
    /// Reads the BTF sections of the ELF file in `data`.
    pub fn parse(data: &'data [u8]) -> Result<Self, ElfError> {
        let file = object::File::parse(data)?;
        let btf = section_bytes(&file, ".BTF")?.ok_or(ElfError::NoBtf)?;
        Ok(BtfSections {
            btf,
            base: section_bytes(&file, ".BTF.base")?,
            ext: section_bytes(&file, ".BTF.ext")?,
            big_endian: !file.is_little_endian(),
            is_64: file.is_64(),
            relocatable: file.kind() == object::ObjectKind::Relocatable,
        })
    }
}
