//! Fuzz body of `dedup`: type and string deduplication (`btfkit::dedup`) of arbitrary
//! base and split BTF.
//!
//! Input: `parts(data, 2)` = `[base][split]`; the whole input is also tried as one
//! standalone BTF. Every entry point runs: `dedup` of the base and of the split, a
//! prepared `DedupBase`, `dedup_builder`, `merge` of the split twice.
//!
//! Properties: no panic, hang or unbounded allocation on any input; every output parses
//! again (over the same base for split input); the id map sends every input type to an
//! id of the output; a prepared base gives the bytes the plain call gives; merging the
//! split twice gives no more types than the split has.

use crate::common::parts;
use btfkit::dedup::{dedup, dedup_builder, merge, DedupBase, Deduped};
use btfkit::write::Builder;
use btfkit::{Btf, TypeId};

/// Checks one successful result: it parses, and the map lands inside it.
fn output(what: &str, input: &Btf<'_>, out: &Deduped) -> u32 {
    let got = match input.base() {
        Some(b) => Btf::parse_split(&out.bytes, b),
        None => Btf::parse(&out.bytes),
    };
    let got = got.unwrap_or_else(|e| panic!("{what}: the output does not parse: {e}"));
    for (old, new) in out.id_map.iter() {
        assert!(
            new < got.next_id(),
            "{what}: type [{old}] maps to [{new}], past the output's types"
        );
    }
    assert!(
        got.type_count() <= input.type_count(),
        "{what}: types were added"
    );
    got.type_count()
}

fn standalone(btf: &Btf<'_>) {
    if let Ok(out) = dedup(btf) {
        output("dedup", btf, &out);
    }
    if let Ok(out) = merge(None, &[btf]) {
        Btf::parse(&out.bytes).expect("merge: the output parses");
    }
}

/// True when the split parsed over the base (every entry point ran on it).
pub fn run(data: &[u8]) -> bool {
    if let Ok(btf) = Btf::parse(data) {
        standalone(&btf);
    }
    let [b, s] = parts(data, 2)[..] else {
        unreachable!()
    };
    let Ok(base) = Btf::parse(b) else {
        return false;
    };
    standalone(&base);
    let Ok(split) = Btf::parse_split(s, &base) else {
        return false;
    };
    let plain = dedup(&split);
    let kept = plain
        .as_ref()
        .ok()
        .map(|o| output("dedup of split", &split, o));
    if let Ok(prepared) = DedupBase::new(&base) {
        let r = prepared.dedup(&split);
        assert_eq!(
            r.as_ref().map(|o| &o.bytes).ok(),
            plain.as_ref().map(|o| &o.bytes).ok(),
            "a prepared base gives other bytes than the plain call"
        );
        if let Ok(mut b) = Builder::from_btf(&split) {
            let _ = prepared.dedup_builder(&mut b);
        }
    }
    if let Ok(mut b) = Builder::from_btf(&split) {
        if let Ok(map) = dedup_builder(&mut b) {
            let bytes = b.to_bytes(base.endian());
            let got = Btf::parse_split(&bytes, &base).expect("dedup_builder: output parses");
            assert!(map.iter().all(|(_, new)| new < got.next_id()));
        }
    }
    if let Ok(out) = merge(Some(&base), &[&split, &split]) {
        let got = Btf::parse_split(&out.bytes, &base).expect("merge: output parses");
        if let Some(kept) = kept {
            // The second copy adds nothing that is not in the first. (Appending keeps
            // duplicates libbpf cannot merge; never more than one more copy.)
            assert!(got.type_count() <= 2 * kept.max(split.type_count()));
        }
        assert!(out.id_map.get(TypeId(base.next_id().0)).is_some() || split.type_count() == 0);
    }
    true
}
