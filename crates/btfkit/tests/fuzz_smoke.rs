//! Runs the fuzz target's body (fuzz/fuzz_targets/body.rs) on a few thousand inputs
//! derived from valid blobs by deterministic mutations, under plain `cargo test`.

#[path = "../../../fuzz/fuzz_targets/body.rs"]
mod body;
#[path = "support/mutate.rs"]
mod mutate;

use mutate::{mutate, Rng};

use btfkit::write::{Builder, FwdKind};
use btfkit::{raw, Endian};

/// A blob that uses every kind, in the given byte order.
fn every_kind(endian: Endian) -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let ch = b.add_int("char", 1, raw::INT_CHAR);
    let ptr = b.add_ptr(int);
    let arr = b.add_array(ch, int, 16);
    b.add_struct("s", 32);
    b.add_member("a", int, 0, 0).unwrap();
    b.add_member("bits", int, 32, 3).unwrap();
    b.add_member("p", ptr, 64, 0).unwrap();
    b.add_member("arr", arr, 128, 0).unwrap();
    let u = b.add_union("u", 4);
    b.add_member("x", int, 0, 0).unwrap();
    b.add_enum("e", 4, true);
    b.add_enum_value("A", -1).unwrap();
    b.add_enum_value("B", 7).unwrap();
    b.add_fwd("f", FwdKind::Union);
    let td = b.add_typedef("td", int);
    let v = b.add_volatile(td);
    let c = b.add_const(v);
    b.add_restrict(ptr);
    let proto = b.add_func_proto(int);
    b.add_param("x", c).unwrap();
    b.add_param("", btfkit::TypeId(0)).unwrap();
    let func = b.add_func("fn", 1, proto);
    let var = b.add_var("v", 1, u);
    b.add_datasec(".data", 8);
    b.add_secinfo(var, 0, 4).unwrap();
    b.add_float("double", 8);
    b.add_decl_tag("tag", func, 0);
    b.add_type_tag("user", int);
    b.add_enum64("e64", 8, false);
    b.add_enum64_value("BIG", 1 << 40).unwrap();
    b.to_bytes(endian)
}

#[test]
fn seeds_are_valid() {
    for endian in [Endian::Little, Endian::Big] {
        let blob = every_kind(endian);
        let btf = btfkit::Btf::parse(&blob).expect("seed parses");
        let errors = btfkit::validate::validate(&btf);
        assert!(errors.is_empty(), "seed is invalid: {errors:?}");
    }
}

#[test]
fn mutated_blobs_never_panic() {
    let seeds = [every_kind(Endian::Little), every_kind(Endian::Big)];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for i in 0..4000 {
        let input = mutate(&mut rng, &seeds[i % 2]);
        parsed += btfkit::Btf::parse(&input).is_ok() as u32;
        body::check(&input);
    }
    // The mutations must leave many inputs parseable, or validation is not exercised.
    assert!(parsed > 1000, "only {parsed} of 4000 mutated inputs parsed");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..1000 {
        let n = rng.below(256);
        let mut v: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        if v.len() >= 2 && rng.below(2) == 0 {
            v[0] = 0x9f;
            v[1] = 0xeb;
        }
        body::check(&v);
    }
}
