//! Property: relocating a distilled split BTF back onto the base it was distilled from
//! gives the original types back: relocate(distill(S, B), B) ≅ S, for generated B and S.
//! "≅": every original split type keeps its id, kind, name, vlen, kind flag and every
//! non-reference word; every reference resolves to a type structurally equal to the one
//! it resolved to before (the same base type, or a copy of it appended to the split).

use btfkit::fields::FieldKind;
use btfkit::write::{Builder, FwdKind};
use btfkit::{distill, raw, relocate, Btf, Endian, Kind, TypeId};
use proptest::prelude::*;

/// One generated type: a kind choice and two numbers that pick names, sizes, targets.
type Op = (u8, u32, u32);

/// Types generated so far: all of them, and those with a size (what arrays, members
/// and parameters may use).
#[derive(Clone, Default)]
struct Known {
    all: Vec<TypeId>,
    sized: Vec<TypeId>,
}

/// Adds generated types to `b`. References go to earlier types only, so the result is
/// acyclic, and to sized types where the kernel requires a size, so it is valid. Every
/// named type gets a unique name.
fn build(b: &mut Builder<'_>, ops: &[Op], k: &mut Known, prefix: &str) {
    for (n, &(choice, x, y)) in ops.iter().enumerate() {
        let name = format!("{prefix}{n}");
        let named = |anon: bool| if anon { String::new() } else { name.clone() };
        let (id, has_size) = match choice % 12 {
            0 => {
                let size = [1, 2, 4, 8][x as usize % 4];
                let enc = [0, raw::INT_SIGNED, raw::INT_CHAR, raw::INT_BOOL][y as usize % 4];
                (
                    b.add_int(
                        &name,
                        size,
                        if size == 1 {
                            enc
                        } else {
                            enc & raw::INT_SIGNED
                        },
                    ),
                    true,
                )
            }
            1 => (b.add_float(&name, [4, 8, 16][x as usize % 3]), true),
            2 if !k.all.is_empty() => (b.add_ptr(pick(&k.all, x)), true),
            3 if !k.sized.is_empty() => (b.add_typedef(&name, pick(&k.sized, x)), true),
            4 if !k.sized.is_empty() => (b.add_const(pick(&k.sized, x)), true),
            5 if !k.sized.is_empty() => {
                let elem = pick(&k.sized, x);
                let int = b.add_int(format!("{name}_idx"), 4, 0);
                k.all.push(int);
                k.sized.push(int);
                (b.add_array(elem, int, y % 8), true)
            }
            6 | 7 => {
                let size = 16 + (x % 64) * 8;
                let is_struct = choice % 2 == 0;
                // Members are pointers (they always fit) to earlier types, made first.
                let targets: Vec<TypeId> = if k.all.is_empty() {
                    Vec::new()
                } else {
                    (0..(x % 3))
                        .map(|i| pick(&k.all, y.wrapping_add(i)))
                        .collect()
                };
                let ptrs: Vec<TypeId> = targets.into_iter().map(|t| b.add_ptr(t)).collect();
                k.all.extend(&ptrs);
                k.sized.extend(&ptrs);
                let n = named(y % 3 == 0);
                let s = if is_struct {
                    b.add_struct(&n, size)
                } else {
                    b.add_union(&n, size)
                };
                for (i, p) in ptrs.iter().enumerate() {
                    let off = if is_struct { i as u32 * 64 } else { 0 };
                    b.add_member(format!("m{i}"), *p, off, 0).unwrap();
                }
                (s, true)
            }
            8 => {
                let n = named(y % 3 == 0);
                let e = if y % 2 == 0 {
                    let e = b.add_enum(&n, [1, 2, 4, 8][x as usize % 4], false);
                    b.add_enum_value(format!("{name}_A"), (x % 100) as i64)
                        .unwrap();
                    e
                } else {
                    let e = b.add_enum64(&n, 8, y % 4 == 1);
                    b.add_enum64_value(format!("{name}_A"), x as u64).unwrap();
                    e
                };
                (e, true)
            }
            9 => {
                let flavour = if x % 2 == 0 {
                    FwdKind::Struct
                } else {
                    FwdKind::Union
                };
                (b.add_fwd(&name, flavour), false)
            }
            10 if !k.sized.is_empty() => {
                let proto = b.add_func_proto(pick(&k.sized, x));
                b.add_param("a", pick(&k.sized, y)).unwrap();
                (proto, false)
            }
            _ if !k.sized.is_empty() => (b.add_volatile(pick(&k.sized, y)), true),
            _ => (b.add_int(&name, 4, raw::INT_SIGNED), true),
        };
        k.all.push(id);
        if has_size {
            k.sized.push(id);
        }
    }
}

fn pick(known: &[TypeId], v: u32) -> TypeId {
    known[v as usize % known.len()]
}

/// Whether `a` in `ba` and `b` in `bb` are the same type, structurally (to `depth`).
fn same(ba: &Btf<'_>, a: TypeId, bb: &Btf<'_>, b: TypeId, depth: u32) -> bool {
    if a.0 == 0 || b.0 == 0 {
        return a.0 == b.0;
    }
    let (Some(ta), Some(tb)) = (ba.type_by_id(a), bb.type_by_id(b)) else {
        return false;
    };
    if ta.kind() != tb.kind()
        || ba.name(&ta) != bb.name(&tb)
        || ta.vlen() != tb.vlen()
        || ta.record().len() != tb.record().len()
    {
        return false;
    }
    // Named composites are opaque in a distilled base: name, kind and size decide.
    if ta.kind().is_composite() && ta.name_off().0 != 0 {
        return ta.size() == tb.size();
    }
    // Out of depth: kind, name and record length matched; the `size`/`type` word is a
    // size only for sized kinds (for a PTR it is an id, which may now be a copy's).
    if depth == 0 {
        let sized = matches!(
            ta.kind(),
            Kind::INT | Kind::FLOAT | Kind::STRUCT | Kind::UNION | Kind::ENUM | Kind::ENUM64
        );
        return !sized || ta.size() == tb.size();
    }
    let ids: Vec<usize> = ta.fields(FieldKind::TypeIds).map(|f| f.pos).collect();
    let strs: Vec<usize> = ta.fields(FieldKind::StrOffsets).map(|f| f.pos).collect();
    for pos in (4..ta.record().len()).step_by(4) {
        if !ids.contains(&pos) && !strs.contains(&pos) && ta.u32_at(pos) != tb.u32_at(pos) {
            return false;
        }
    }
    for (fa, fb) in ta.str_offset_fields().zip(tb.str_offset_fields()) {
        if ba.str_at(btfkit::StrOffset(fa.value)) != bb.str_at(btfkit::StrOffset(fb.value)) {
            return false;
        }
    }
    ta.type_id_fields()
        .zip(tb.type_id_fields())
        .all(|(fa, fb)| same(ba, TypeId(fa.value), bb, TypeId(fb.value), depth - 1))
}

fn round_trip(base_ops: &[Op], split_ops: &[Op], endian: Endian) -> Result<(), TestCaseError> {
    let mut b = Builder::new();
    let mut known = Known::default();
    build(&mut b, base_ops, &mut known, "b");
    let base_bytes = b.to_bytes(endian);
    let base = Btf::parse(&base_bytes).expect("generated base parses");
    prop_assert!(
        btfkit::validate::validate(&base).is_empty(),
        "{:?}",
        btfkit::validate::validate(&base)
    );

    let mut s = Builder::new_split(&base);
    build(&mut s, split_ops, &mut known, "s");
    let split_bytes = s.to_bytes(endian);
    let split = Btf::parse_split(&split_bytes, &base).expect("generated split parses");
    prop_assert!(
        btfkit::validate::validate(&split).is_empty(),
        "{:?}",
        btfkit::validate::validate(&split)
    );

    let d = distill::distill(&split).expect("distills");
    let db = Btf::parse(&d.base).expect("distilled base parses");
    let ds = Btf::parse_split(&d.split, &db).expect("distilled split parses");
    let r =
        relocate::relocate(&ds, &base, Default::default()).expect("relocates onto its own base");
    let back = Btf::parse_split(&r.split, &base).expect("relocated parses");
    prop_assert_eq!(back.type_count(), split.type_count() + d.copied_types);
    for (orig, new) in split.types().zip(back.types()) {
        prop_assert_eq!(orig.id(), new.id());
        prop_assert!(
            same(&split, orig.id(), &back, new.id(), 8),
            "type [{}] differs",
            orig.id()
        );
    }
    prop_assert!(r.cross_kind.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn relocate_of_distill_gives_the_split_back(
        base_ops in proptest::collection::vec((0u8..12, any::<u32>(), any::<u32>()), 1..40),
        split_ops in proptest::collection::vec((0u8..12, any::<u32>(), any::<u32>()), 1..30),
        big in any::<bool>(),
    ) {
        round_trip(&base_ops, &split_ops, if big { Endian::Big } else { Endian::Little })?;
    }
}

/// libbpf's flaw, kept for byte-identical results: a distilled STRUCT lands on a base
/// ENUM of the same name and size. It is reported as a cross-kind match, and refused
/// with `strict_kinds`.
#[test]
fn struct_lands_on_enum_unless_strict() {
    let mut b = Builder::new();
    b.add_int("int", 4, raw::INT_SIGNED);
    let st = b.add_struct("thing", 4);
    b.add_member("x", TypeId(1), 0, 0).unwrap();
    let orig_bytes = b.to_bytes(Endian::Little);
    let orig = Btf::parse(&orig_bytes).unwrap();
    let mut s = Builder::new_split(&orig);
    let p = s.add_ptr(st);
    s.add_typedef("thing_ptr", p);
    let split_bytes = s.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split_bytes, &orig).unwrap();
    let d = distill::distill(&split).unwrap();
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();

    // Another kernel where `thing` is an enum of 4 bytes.
    let mut other = Builder::new();
    other.add_int("int", 4, raw::INT_SIGNED);
    let e = other.add_enum("thing", 4, false);
    other.add_enum_value("THING_A", 1).unwrap();
    let other_bytes = other.to_bytes(Endian::Little);
    let other = Btf::parse(&other_bytes).unwrap();

    let r = relocate::relocate(&ds, &other, Default::default()).expect("libbpf's rules accept it");
    let dist_struct = r.id_map.iter().find(|&(_, new)| new == e).unwrap().0;
    assert_eq!(r.cross_kind, vec![(dist_struct, e)]);
    let err = relocate::relocate(&ds, &other, relocate::Options { strict_kinds: true })
        .expect_err("strict kinds refuse it");
    assert_eq!(err.failures().len(), 1);
    assert_eq!(err.failures()[0].name, "thing");
    assert_eq!(
        err.failures()[0].candidates[0].mismatch,
        Some(relocate::Mismatch::Kind)
    );
}
