//! Fuzz body of `elf_sections`: finding `.BTF`, `.BTF.base` and `.BTF.ext` in an
//! arbitrary file (`btfkit::elf::BtfSections`), then reading the module BTF the way the
//! CLI does: split `.BTF` over its `.BTF.base` when there is one, validated and dumped.
//!
//! Properties: what `BtfSections` says about the file's class and byte order is what
//! its identification bytes say; a section that is not stored compressed is a borrowed
//! slice of the input; `image_len` never exceeds the input.

use btfkit::elf::{BtfSections, ElfError};
use btfkit::Btf;
use std::borrow::Cow;

fn exercise(btf: &Btf<'_>) {
    let _ = btfkit::validate::validate(btf);
    let mut sink = Vec::new();
    let _ = btfkit::dump::raw::write_raw(&mut sink, btf);
}

fn inside(data: &[u8], part: &[u8]) -> bool {
    let (start, end) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
    let p = part.as_ptr() as usize;
    part.is_empty() || (p >= start && p + part.len() <= end)
}

/// True when `data` is an ELF file that `object` reads.
pub fn run(data: &[u8]) -> bool {
    if let Ok(len) = btfkit::elf::patch::image_len(data) {
        assert!(len <= data.len(), "image_len {len} > file {}", data.len());
    }
    let s = match BtfSections::parse(data) {
        Ok(s) => s,
        Err(ElfError::Parse(_)) => return false,
        // Read, and refused for what its BTF sections are.
        Err(_) => return true,
    };
    assert!(btfkit::elf::is_elf(data));
    assert_eq!(s.is_64, data[4] == 2, "class");
    assert_eq!(s.big_endian, data[5] == 2, "byte order");
    for part in [Some(&s.btf), s.base.as_ref(), s.ext.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Cow::Borrowed(b) = part {
            assert!(inside(data, b), "a borrowed section lies outside the input");
        }
    }
    match &s.base {
        Some(base) => {
            if let Ok(base) = Btf::parse(base) {
                exercise(&base);
                if let Ok(split) = Btf::parse_split(&s.btf, &base) {
                    exercise(&split);
                }
            }
        }
        None => {
            if let Ok(btf) = Btf::parse(&s.btf) {
                exercise(&btf);
            }
        }
    }
    true
}
