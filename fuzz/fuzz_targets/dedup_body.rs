//! What one dedup fuzz input exercises. The input is a base BTF and a split BTF over it:
//! `[u32 little-endian length of the base][base][split]` (the whole input is also tried
//! as a standalone BTF). Everything dedup offers runs on it: `dedup` of base and split,
//! a prepared `DedupBase`, `dedup_builder`, and `merge` of the split twice. Any panic,
//! hang or unbounded allocation is a bug, and every output must parse again.

use btfkit::dedup::{dedup, dedup_builder, merge, DedupBase};
use btfkit::write::Builder;
use btfkit::Btf;

fn reparse(what: &str, bytes: &[u8], base: Option<&Btf<'_>>) {
    let ok = match base {
        Some(b) => Btf::parse_split(bytes, b).is_ok(),
        None => Btf::parse(bytes).is_ok(),
    };
    assert!(ok, "{what}: the deduplicated BTF does not parse");
}

fn standalone(btf: &Btf<'_>) {
    if let Ok(out) = dedup(btf) {
        reparse("dedup", &out.bytes, btf.base());
    }
    if let Ok(out) = merge(None, &[btf]) {
        reparse("merge", &out.bytes, None);
    }
}

/// Splits an input into base and split blobs.
pub fn split_input(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let rest = &data[4..];
    (len <= rest.len()).then(|| rest.split_at(len))
}

/// Joins a base and a split blob into one input.
pub fn join_input(base: &[u8], split: &[u8]) -> Vec<u8> {
    let mut v = (base.len() as u32).to_le_bytes().to_vec();
    v.extend_from_slice(base);
    v.extend_from_slice(split);
    v
}

/// Runs every dedup entry point on `data`.
pub fn check(data: &[u8]) {
    if let Ok(btf) = Btf::parse(data) {
        standalone(&btf);
    }
    let Some((b, s)) = split_input(data) else {
        return;
    };
    let Ok(base) = Btf::parse(b) else {
        return;
    };
    standalone(&base);
    let Ok(split) = Btf::parse_split(s, &base) else {
        return;
    };
    let plain = dedup(&split);
    if let Ok(out) = &plain {
        reparse("dedup of split", &out.bytes, Some(&base));
    }
    if let Ok(prepared) = DedupBase::new(&base) {
        let r = prepared.dedup(&split);
        assert_eq!(
            r.as_ref().map(|o| &o.bytes).ok(),
            plain.as_ref().map(|o| &o.bytes).ok(),
            "a prepared base gives other bytes"
        );
        if let Ok(mut b) = Builder::from_btf(&split) {
            let _ = prepared.dedup_builder(&mut b);
        }
    }
    if let Ok(mut b) = Builder::from_btf(&split) {
        if dedup_builder(&mut b).is_ok() {
            reparse("dedup_builder", &b.to_bytes(base.endian()), Some(&base));
        }
    }
    if let Ok(out) = merge(Some(&base), &[&split, &split]) {
        reparse("merge of split", &out.bytes, Some(&base));
    }
}
