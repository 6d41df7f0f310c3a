//! Oracles for BTF generation: libbpf's `btf__dedup` run as pahole runs it, on the split BTF
//! its encoder builds, so `btfkit::gen::encode` output deduplicated here must equal
//! pahole's detached `.BTF.1`.

// FFI to the oracle; every call is wrapped in a safe function.
#![allow(unsafe_code)]

use crate::libbpf::{LibbpfBtf, LibbpfError, Result};
use libbpf_sys as sys;

/// Parses `split` over `base`, runs `btf__dedup` on it (default options, as pahole does)
/// and returns the deduplicated split BTF as libbpf writes it.
pub fn dedup_split(split: &[u8], base: &LibbpfBtf) -> Result<Vec<u8>> {
    let btf = LibbpfBtf::parse_split(split, base)?;
    // libbpf mutates the object; the wrapper's pointer is the object it owns.
    let ptr = btf.as_ptr() as *mut sys::btf;
    // SAFETY: `ptr` is a valid split object owned by `btf`, which outlives the call; NULL
    // options mean libbpf's defaults.
    let rc = unsafe { sys::btf__dedup(ptr, std::ptr::null()) };
    if rc < 0 {
        return Err(LibbpfError {
            op: "btf__dedup",
            errno: -rc,
            messages: crate::libbpf::take_log(),
        });
    }
    btf.raw_data()
}

/// What `btf__dedup` gives for BTF that was built from scratch with libbpf's `btf__add_*`
/// calls, as pahole builds it: libbpf then marks the strings as already deduplicated
/// (`btf_ensure_modifiable`: `strs_deduped`) and keeps the string section as it is,
/// unreferenced strings included. `split` is that BTF written out; parsing it back
/// loses the mark, so the types are deduplicated by libbpf and their string offsets
/// mapped back onto `split`'s own string section.
pub fn dedup_split_built(
    split: &[u8],
    base: &LibbpfBtf,
    base_btf: &btfkit::Btf<'_>,
) -> Result<Vec<u8>> {
    let out = dedup_split(split, base)?;
    let fail = |what: &'static str| LibbpfError {
        op: what,
        errno: 22,
        messages: Vec::new(),
    };
    let orig = btfkit::Btf::parse_split(split, base_btf).map_err(|_| fail("parse input"))?;
    let deduped = btfkit::Btf::parse_split(&out, base_btf).map_err(|_| fail("parse output"))?;
    let start = base_btf.next_str_off().0;
    let orig_strs = orig.strings();
    let _ = orig_strs;
    // Index of the input's own strings.
    let hdr = deduped.header();
    let s_off = orig.header().hdr_len as usize + orig.header().str_off as usize;
    let s_len = orig.header().str_len as usize;
    let strs = &split[s_off..s_off + s_len];
    let mut index = std::collections::HashMap::new();
    let mut pos = 0usize;
    for s in strs.split(|&b| b == 0) {
        index.entry(s.to_vec()).or_insert(pos as u32);
        pos += s.len() + 1;
    }
    let t_off = hdr.hdr_len as usize + hdr.type_off as usize;
    let mut types = out[t_off..t_off + hdr.type_len as usize].to_vec();
    let big = deduped.endian() == btfkit::Endian::Big;
    for t in deduped.types() {
        let at = t.blob_offset() - t_off;
        let layout =
            btfkit::fields::FieldLayout::of(t.kind(), btfkit::fields::FieldKind::StrOffsets);
        for p in layout.positions(t.vlen()) {
            let off = t.u32_at(p);
            if off < start {
                continue;
            }
            let s = deduped
                .str_at(btfkit::StrOffset(off))
                .ok_or_else(|| fail("string offset"))?;
            let new = start + *index.get(s).ok_or_else(|| fail("string not in input"))?;
            let b = if big {
                new.to_be_bytes()
            } else {
                new.to_le_bytes()
            };
            types[at + p..at + p + 4].copy_from_slice(&b);
        }
    }
    let mut res = out[..hdr.hdr_len as usize].to_vec();
    let put = |res: &mut Vec<u8>, at: usize, v: u32| {
        let b = if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        res[at..at + 4].copy_from_slice(&b);
    };
    // btf_header: magic(2) version(1) flags(1) hdr_len(4) type_off type_len str_off str_len
    put(&mut res, 8, 0);
    put(&mut res, 12, types.len() as u32);
    put(&mut res, 16, types.len() as u32);
    put(&mut res, 20, strs.len() as u32);
    res.extend_from_slice(&types);
    res.extend_from_slice(strs);
    Ok(res)
}
