//! Header and sections: the kernel's `btf_parse_hdr`, `btf_check_sec_info`,
//! `btf_parse_str_sec`, `btf_parse_layout_sec` and the type section's own checks.

use super::names::prescan_idents;
use super::*;

impl<'a, 'd, O: ByteOrder + Default> Validator<'a, 'd, O> {
    pub(super) fn check_header(&mut self) {
        let h = *self.btf.header();
        let data = self.btf.data();
        if h.version != raw::VERSION {
            self.blob_err(
                Rule::BadVersion,
                raw::header::VERSION,
                format!(
                    "version is {}, only {} is supported",
                    h.version,
                    raw::VERSION
                ),
            );
        }
        if h.flags != 0 {
            self.blob_err(
                Rule::BadFlags,
                raw::header::FLAGS,
                format!("flags is {:#x}, must be 0", h.flags),
            );
        }
        let hdr_len = h.hdr_len as usize;
        let known = if hdr_len >= raw::HEADER_LAYOUT_LEN {
            raw::HEADER_LAYOUT_LEN
        } else {
            raw::HEADER_LEN
        };
        if hdr_len > known {
            if let Some(p) = data[known..hdr_len].iter().position(|&b| b != 0) {
                self.blob_err(
                    Rule::HeaderTailNotZero,
                    known + p,
                    format!(
                        "header byte {} is {:#04x}: hdr_len is {hdr_len} and the bytes past the {known} this crate knows must be zero",
                        known + p,
                        data[known + p]
                    ),
                );
            }
        }

        // btf_check_sec_info: sorted by offset, no gap, no overlap, nothing after.
        let mut secs: Vec<(u32, u32, &str, usize)> = vec![
            (h.type_off, h.type_len, "type", raw::header::TYPE_OFF),
            (h.str_off, h.str_len, "string", raw::header::STR_OFF),
        ];
        if hdr_len >= raw::HEADER_LAYOUT_LEN && h.layout_len != 0 {
            secs.push((
                h.layout_off,
                h.layout_len,
                "layout",
                raw::header::LAYOUT_OFF,
            ));
        }
        secs.sort_by_key(|s| (s.0, s.1));
        let expected = (data.len() - hdr_len) as u64;
        let mut total = 0u64;
        for &(off, len, what, field) in &secs {
            let (off, len) = (u64::from(off), u64::from(len));
            if off > expected || expected - off < len {
                self.blob_err(
                    Rule::SectionOutOfBounds,
                    field,
                    format!(
                        "{what} section [{off:#x}, {:#x}) after the header extends past the {expected} bytes that follow it",
                        off + len
                    ),
                );
            } else if total < off {
                self.blob_err(
                    Rule::SectionGap,
                    hdr_len + total as usize,
                    format!(
                        "bytes [{:#x}, {:#x}) of the blob, before the {what} section, belong to no section",
                        hdr_len as u64 + total,
                        hdr_len as u64 + off
                    ),
                );
            } else if total > off {
                self.blob_err(
                    Rule::SectionOverlap,
                    field,
                    format!(
                        "{what} section [{off:#x}, {:#x}) overlaps the section before it, which ends at {total:#x} (offsets after the header)",
                        off + len
                    ),
                );
            }
            total = total.max(off + len);
        }
        if total < expected {
            self.blob_err(
                Rule::SectionGap,
                hdr_len + total as usize,
                format!(
                    "the last {} bytes of the blob, from {:#x}, belong to no section",
                    expected - total,
                    hdr_len as u64 + total
                ),
            );
        }
    }

    pub(super) fn check_strings(&mut self) {
        let h = *self.btf.header();
        let data_len = self.btf.data().len();
        let start = h.hdr_len as usize + h.str_off as usize;
        let end = start + h.str_len as usize;
        if (h.hdr_len as usize) < raw::HEADER_LAYOUT_LEN && end != data_len {
            self.blob_err(
                Rule::StringSectionNotLast,
                raw::header::STR_OFF,
                format!(
                    "the string section ends at {end:#x} but the blob at {data_len:#x}: with a {}-byte header the string section must come last",
                    h.hdr_len
                ),
            );
        }
        let s = self.btf.strings().bytes();
        self.own_ok = prescan_idents(s);
        if self.btf.is_split() && s.is_empty() {
            return;
        }
        if s.is_empty() {
            self.blob_err(
                Rule::StringSectionNoLeadingNul,
                raw::header::STR_LEN,
                "the string section is empty: base BTF needs at least the empty string".into(),
            );
            return;
        }
        if h.str_len - 1 > raw::MAX_NAME_OFFSET {
            self.blob_err(
                Rule::StringSectionTooLarge,
                raw::header::STR_LEN,
                format!(
                    "the string section is {} bytes, more than BTF_MAX_NAME_OFFSET + 1 ({})",
                    h.str_len,
                    raw::MAX_NAME_OFFSET as u64 + 1
                ),
            );
        }
        if s[s.len() - 1] != 0 {
            self.blob_err(
                Rule::StringSectionNotTerminated,
                end - 1,
                format!(
                    "the string section does not end with a NUL byte (last byte {:#04x})",
                    s[s.len() - 1]
                ),
            );
        }
        if !self.btf.is_split() && s[0] != 0 {
            self.blob_err(
                Rule::StringSectionNoLeadingNul,
                start,
                format!(
                    "the string section starts with '{}', not with the empty string",
                    show(s)
                ),
            );
        }
    }

    pub(super) fn check_layout(&mut self) {
        let h = *self.btf.header();
        if (h.hdr_len as usize) < raw::HEADER_LAYOUT_LEN || h.layout_len == 0 {
            return;
        }
        if h.layout_off % 4 != 0 {
            self.blob_err(
                Rule::BadLayoutSection,
                raw::header::LAYOUT_OFF,
                format!("layout_off {:#x} is not 4-byte aligned", h.layout_off),
            );
        }
        if h.layout_len as usize % raw::LAYOUT_ENTRY_LEN != 0 {
            self.blob_err(
                Rule::BadLayoutSection,
                raw::header::LAYOUT_LEN,
                format!(
                    "layout_len {} is not a multiple of the {}-byte entry",
                    h.layout_len,
                    raw::LAYOUT_ENTRY_LEN
                ),
            );
        }
        let base = h.hdr_len as usize + h.layout_off as usize;
        for kind in Kind::all_known() {
            let k = kind.0;
            let Some(l) = self.btf.layout_entry(kind) else {
                break;
            };
            let (info, elem) = (kind.info_size().unwrap_or(0), kind.elem_size().unwrap_or(0));
            if l.info_sz as usize != info || l.elem_sz as usize != elem {
                self.blob_err(
                    Rule::BadLayoutSection,
                    base + k as usize * raw::LAYOUT_ENTRY_LEN,
                    format!(
                        "layout entry for {kind} (kind {k}) says info_sz {} elem_sz {}, but {kind} has info_sz {info} elem_sz {elem}",
                        l.info_sz, l.elem_sz
                    ),
                );
            }
        }
    }

    pub(super) fn check_type_section(&mut self) {
        let h = *self.btf.header();
        if h.type_off % 4 != 0 {
            self.blob_err(
                Rule::TypeSectionMisaligned,
                raw::header::TYPE_OFF,
                format!("type_off {:#x} is not 4-byte aligned", h.type_off),
            );
        }
        if !self.btf.is_split() && h.type_len == 0 {
            self.blob_err(
                Rule::NoTypes,
                raw::header::TYPE_LEN,
                "base BTF without any type".into(),
            );
        }
    }
}
