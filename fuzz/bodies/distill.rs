//! Fuzz body of `distill`: distillation (`btfkit::distill`) of valid split BTF, then the
//! round trip back onto the original base.
//!
//! Input: `parts(data, 2)` = `[base][split]`, two BTF blobs (seeds: distilled pairs of
//! real modules and generated ones; mutations that do not validate are rejected, so the
//! fuzzer keeps only valid pairs).
//!
//! Properties, for a base and split that pass the kernel's checks: distilling fails
//! only on a reference to a base type a distilled base cannot hold; otherwise both
//! outputs parse and pass the kernel's checks, every split type keeps its kind and name
//! at its mapped id, and relocating the distilled split back onto the original base
//! succeeds and gives every original type back (`relocate(distill(S, B), B) ≅ S`),
//! unless the base has several candidates for a distilled type (then it is refused as
//! ambiguous, never mapped wrongly) or the split uses an anonymous INT, FLOAT or FWD of
//! the base (libbpf puts it in the distilled base, where nothing can match it). The same holds when every named composite of the
//! base is also kept as a root (`distill_with_roots`).

use crate::common::{parts, same, valid};
use btfkit::distill::{self, DistillError, Distilled, Root};
use btfkit::relocate::{self, Problem};
use btfkit::{Btf, Kind, Rule};

/// True when the input was a valid pair (and was distilled).
pub fn run(data: &[u8]) -> bool {
    let [base, split] = parts(data, 2)[..] else {
        unreachable!()
    };
    let (base, split) = (base.to_vec(), split.to_vec());
    let Ok(base) = Btf::parse(&base) else {
        return false;
    };
    if !valid(&base) {
        return false;
    }
    let Ok(split) = Btf::parse_split(&split, &base) else {
        return false;
    };
    if !valid(&split) {
        return false;
    }
    let Some(d) = distilled(&split, distill::distill(&split)) else {
        return true;
    };
    round_trip(&base, &split, &d);
    let roots: Vec<Root> = base
        .types()
        .filter(|t| t.kind().is_composite() && t.name_off().0 != 0)
        .map(|t| Root {
            id: t.id(),
            why: "fuzz".to_string(),
        })
        .collect();
    if let Some(d) = distilled(&split, distill::distill_with_roots(&split, &roots)) {
        for r in &roots {
            assert!(d.id_map.get(r.id).is_some(), "root [{}] was dropped", r.id);
        }
        round_trip(&base, &split, &d);
    }
    true
}

/// Checks a distillation result; None when it failed as allowed.
fn distilled(split: &Btf<'_>, r: Result<Distilled, DistillError>) -> Option<Distilled> {
    let d = match r {
        Ok(d) => d,
        Err(DistillError::UnexpectedBaseReference { .. } | DistillError::UnexpectedRoot { .. }) => {
            return None
        }
        Err(e) => panic!("valid split BTF fails to distill: {e}"),
    };
    let db = Btf::parse(&d.base).expect("distilled base parses");
    // A split that uses no base type gets an empty distilled base, as from libbpf's
    // btf__distill_base (which the validator's "base BTF without any type" rule refuses).
    assert!(
        valid(&db) || db.type_count() == 0,
        "{:?}",
        btfkit::validate::validate(&db)
    );
    assert_eq!(db.type_count(), d.base_types);
    let ds = Btf::parse_split(&d.split, &db).expect("distilled split parses");
    assert!(valid(&ds), "{:?}", btfkit::validate::validate(&ds));
    assert_eq!(ds.type_count(), split.type_count() + d.copied_types);
    for t in split.types() {
        let new = d.id_map.get(t.id()).expect("split types are mapped");
        let n = ds.type_by_id(new).expect("mapped id exists");
        assert_eq!((n.kind(), ds.name(&n)), (t.kind(), split.name(&t)));
    }
    Some(d)
}

fn round_trip(base: &Btf<'_>, split: &Btf<'_>, d: &Distilled) {
    let db = Btf::parse(&d.base).expect("distilled base parses");
    let ds = Btf::parse_split(&d.split, &db).expect("distilled split parses");
    let r = match relocate::relocate(&ds, base, Default::default()) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.failures().is_empty(), "{e}");
            for f in e.failures() {
                // libbpf's rules: an anonymous INT, FLOAT or FWD of the base goes to the
                // distilled base, where relocation cannot match it.
                let anonymous = f.problem == Problem::InvalidDistilledType && f.name.is_empty();
                assert!(
                    matches!(f.problem, Problem::Ambiguous(_)) || anonymous,
                    "relocating onto its own base fails: {}",
                    relocate::describe(f)
                );
            }
            return;
        }
    };
    let back = Btf::parse_split(&r.split, base).expect("relocated parses");
    // A name the base stores inside a longer string (the kernel allows it; real bases
    // never do it) is where relocation points too, as libbpf does: the split check
    // that flags such offsets does not apply.
    let errors: Vec<_> = btfkit::validate::validate(&back)
        .into_iter()
        .filter(|e| e.rule() != Rule::NameInsideBaseString)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(back.type_count(), split.type_count() + d.copied_types);
    for (orig, new) in split.types().zip(back.types()) {
        assert_eq!(orig.id(), new.id());
        assert!(
            same(split, orig.id(), &back, new.id(), 4),
            "type [{}] differs after relocate(distill(S), B)",
            orig.id()
        );
    }
    // Kind-preserving: nothing landed on another kind on its own base.
    for &(dist, onto) in &r.cross_kind {
        let (a, b) = (db.type_by_id(dist), base.type_by_id(onto));
        let (Some(a), Some(b)) = (a, b) else {
            panic!("cross-kind ids out of range")
        };
        assert!(a.kind() == Kind::STRUCT || a.kind() == Kind::UNION);
        assert_ne!(a.kind(), b.kind());
    }
}
