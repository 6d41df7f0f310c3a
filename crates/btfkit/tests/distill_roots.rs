//! Distilling with extra roots: base types a module needs although its BTF never refers
//! to them (`.BTF_ids` entries), kept by the same rules as references.

use btfkit::distill::{distill, distill_with_roots, DistillError, Root};
use btfkit::write::Builder;
use btfkit::{raw, Btf, Endian, Kind, TypeId};

fn root(id: TypeId) -> Root {
    Root {
        id,
        why: format!("test root {id}"),
    }
}

#[test]
fn roots_are_kept_by_the_reference_rules() {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let s = b.add_struct("tcp_sock", 8);
    b.add_member("x", int, 0, 0).unwrap();
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    let td = b.add_typedef("u64_t", long);
    let proto = b.add_func_proto(int);
    let func = b.add_func("tcp_fn", 1, proto);
    let base_bytes = b.to_bytes(Endian::Little);
    let base = Btf::parse(&base_bytes).unwrap();

    let mut sb = Builder::new_split(&base);
    sb.add_ptr(int);
    let split_bytes = sb.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split_bytes, &base).unwrap();

    // No roots: exactly distill.
    let plain = distill(&split).unwrap();
    let none = distill_with_roots(&split, &[]).unwrap();
    assert_eq!(
        (plain.base.clone(), plain.split.clone()),
        (none.base, none.split)
    );
    assert!(plain.id_map.get(s).is_none());

    // A named struct root goes to the distilled base; a typedef root is copied into the
    // split, and what it refers to follows.
    let d = distill_with_roots(&split, &[root(s), root(td)]).unwrap();
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();
    let new_s = d.id_map.get(s).expect("struct kept");
    let t = ds.type_by_id(new_s).unwrap();
    assert_eq!(
        (t.kind(), ds.name(&t), t.vlen(), t.size()),
        (Kind::STRUCT, &b"tcp_sock"[..], 0, 8)
    );
    assert!(new_s < db.next_id());
    let new_td = d.id_map.get(td).expect("typedef kept");
    assert!(
        new_td >= ds.start_id(),
        "a typedef is copied into the split"
    );
    let t = ds.type_by_id(new_td).unwrap();
    assert_eq!(t.kind(), Kind::TYPEDEF);
    let target = ds.type_by_id(t.type_id()).unwrap();
    assert_eq!(ds.name(&target), b"long");
    assert!(btfkit::validate::validate(&ds).is_empty());

    // A function cannot be in a distilled base: the error names the root.
    let err = distill_with_roots(&split, &[root(func)]).unwrap_err();
    match err {
        DistillError::UnexpectedRoot {
            base_id,
            kind,
            name,
            why,
        } => {
            assert_eq!((base_id, kind, name.as_str()), (func, Kind::FUNC, "tcp_fn"));
            assert!(why.contains("test root"));
        }
        other => panic!("{other:?}"),
    }
}
