//! Fuzz body of `relocate`: relocation (`btfkit::relocate`) of distilled pairs onto
//! bases that differ from the one they were distilled from, structure-aware: the input
//! drives a generator that builds only valid BTF.
//!
//! Input: `parts(data, 3)` = `[base ops][split ops][changes]`, three bytes per op
//! (`common::build`). The generator builds base `B` and split `S` over it; `S` is
//! distilled; the target base `T` is `B` rebuilt with extra types in front (so every id
//! moves) and some ops changed by the third part (sizes, kinds, targets).
//!
//! Properties: `relocate(distill(S), B) ≅ S`; relocating onto `T` either fails with at
//! least one failure named, or gives split BTF that parses over `T`, passes the kernel's
//! checks and keeps every type's kind, name and id; with `strict_kinds` it succeeds only
//! where the default succeeds, with the same bytes and no cross-kind match.

use crate::common::{build, ops, parts, same, valid, Known, Op};
use btfkit::relocate::{self, Options};
use btfkit::write::Builder;
use btfkit::{distill, Btf, Endian};

/// True when the generated pair was distilled and relocated.
pub fn run(data: &[u8]) -> bool {
    let [base_ops, split_ops, changes] = parts(data, 3)[..] else {
        unreachable!()
    };
    let (base_ops, split_ops, changes) = (ops(base_ops), ops(split_ops), ops(changes));
    if base_ops.is_empty() || split_ops.is_empty() {
        return false;
    }
    let endian = if changes.len() % 2 == 1 {
        Endian::Big
    } else {
        Endian::Little
    };
    let mut b = Builder::new();
    let mut known = Known::default();
    build(&mut b, &base_ops, &mut known, "b");
    let base_bytes = b.to_bytes(endian);
    let base = Btf::parse(&base_bytes).expect("generated base parses");
    assert!(valid(&base), "{:?}", btfkit::validate::validate(&base));
    let mut s = Builder::new_split(&base);
    build(&mut s, &split_ops, &mut known, "s");
    let split_bytes = s.to_bytes(endian);
    let split = Btf::parse_split(&split_bytes, &base).expect("generated split parses");
    assert!(valid(&split), "{:?}", btfkit::validate::validate(&split));

    let d = distill::distill(&split).expect("generated split distills");
    let db = Btf::parse(&d.base).expect("distilled base parses");
    let ds = Btf::parse_split(&d.split, &db).expect("distilled split parses");

    // Back onto its own base: the original types.
    let r = relocate::relocate(&ds, &base, Options::default()).expect("relocates onto B");
    let back = Btf::parse_split(&r.split, &base).expect("relocated parses");
    assert_eq!(back.type_count(), split.type_count() + d.copied_types);
    for (orig, new) in split.types().zip(back.types()) {
        assert!(
            same(&split, orig.id(), &back, new.id(), 4),
            "type [{}] differs after relocate(distill(S), B)",
            orig.id()
        );
    }
    assert!(r.cross_kind.is_empty());

    // Onto a changed base.
    let extra: Vec<Op> = changes.iter().take(4).copied().collect();
    let changed: Vec<Op> = base_ops
        .iter()
        .enumerate()
        .map(
            |(i, &(c, x, y))| match changes.get(i).map_or(0, |ch| ch.0 % 6) {
                1 => (c, x ^ changes[i].1, y),
                2 => (c ^ 1, x, y),
                3 => (c, x, y ^ changes[i].2),
                _ => (c, x, y),
            },
        )
        .collect();
    let mut t = Builder::new();
    let mut tk = Known::default();
    build(&mut t, &extra, &mut tk, "x");
    build(&mut t, &changed, &mut tk, "b");
    let target_bytes = t.to_bytes(endian);
    let target = Btf::parse(&target_bytes).expect("changed base parses");
    assert!(valid(&target), "{:?}", btfkit::validate::validate(&target));

    let loose = relocate::relocate(&ds, &target, Options::default());
    let strict = relocate::relocate(&ds, &target, Options { strict_kinds: true });
    match &loose {
        Ok(r) => {
            let moved = Btf::parse_split(&r.split, &target).expect("relocated parses");
            assert!(valid(&moved), "{:?}", btfkit::validate::validate(&moved));
            assert_eq!(moved.type_count(), ds.type_count());
            for (a, b) in ds.types().zip(moved.types()) {
                assert_eq!(a.id().0 - ds.start_id().0, b.id().0 - moved.start_id().0);
                assert_eq!((a.kind(), ds.name(&a)), (b.kind(), moved.name(&b)));
            }
        }
        Err(e) => {
            assert!(!e.failures().is_empty(), "{e}");
            let _ = e.to_string();
        }
    }
    match (&loose, &strict) {
        (_, Ok(s)) => {
            let l = loose
                .as_ref()
                .expect("strict succeeds only where loose does");
            assert!(l.split == s.split && s.cross_kind.is_empty());
        }
        (Ok(l), Err(_)) => assert!(!l.cross_kind.is_empty(), "strict failed without cross-kind"),
        (Err(_), Err(_)) => {}
    }
    true
}
