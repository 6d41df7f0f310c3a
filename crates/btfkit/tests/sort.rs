//! `btfkit::sort`: the kernel selftest of `btf__permute` (`prog_tests/btf_permute.c` of
//! Linux 7.x, subtests `permute_base` and `permute_split`) ported to the builder and the
//! raw dump, properties of permute and of the by-name order on generated BTF of every
//! kind in both byte orders, the kernel's sortedness check, and distilling in the
//! kernel's order.
//!
//! Adaptation of the selftest (marked `ADAPTED`): btfkit's id list has one entry per own
//! type; void is not in it, so libbpf's "ids[0] must be 0 for base BTF" case cannot be
//! written and is not ported.

use btfkit::distill::{distill_ordered, distill_with_roots};
use btfkit::dump::raw::write_raw;
use btfkit::fields::{FieldKind, FieldLayout};
use btfkit::sort::{self, Order, Permutation, SortError, SortState};
use btfkit::write::{Builder, FwdKind};
use btfkit::{raw, Btf, Endian, Kind, TypeId};
use proptest::prelude::*;

fn dump(btf: &Btf<'_>) -> String {
    let mut out = Vec::new();
    write_raw(&mut out, btf).expect("write to a Vec");
    String::from_utf8(out).expect("ASCII")
}

fn ids(v: &[u32]) -> Vec<TypeId> {
    v.iter().map(|&i| TypeId(i)).collect()
}

#[track_caller]
fn validate_raw(btf: &Btf<'_>, expected: &[&str]) {
    let want: String = expected.iter().map(|t| format!("{t}\n")).collect();
    assert_eq!(dump(btf), want);
}

const PERMUTED_BASE: &[&str] = &[
    "[1] STRUCT 's2' size=4 vlen=1\n\t'm' type_id=4 bits_offset=0",
    "[2] FUNC 'f' type_id=6 linkage=static",
    "[3] PTR '(anon)' type_id=4",
    "[4] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[5] STRUCT 's1' size=4 vlen=1\n\t'm' type_id=4 bits_offset=0",
    "[6] FUNC_PROTO '(anon)' ret_type_id=4 vlen=1\n\t'p' type_id=3",
];

#[test]
fn selftest_permute_base() {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED); // [1]
    let ptr = b.add_ptr(int); // [2]
    b.add_struct("s1", 4); // [3]
    b.add_member("m", int, 0, 0).expect("a valid element");
    b.add_struct("s2", 4); // [4]
    b.add_member("m", int, 0, 0).expect("a valid element");
    let proto = b.add_func_proto(int); // [5]
    b.add_param("p", ptr).expect("a valid element");
    b.add_func("f", 0, proto); // [6]
    let bytes = b.to_bytes(Endian::Little);
    let btf = Btf::parse(&bytes).expect("parses");
    validate_raw(
        &btf,
        &[
            "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
            "[2] PTR '(anon)' type_id=1",
            "[3] STRUCT 's1' size=4 vlen=1\n\t'm' type_id=1 bits_offset=0",
            "[4] STRUCT 's2' size=4 vlen=1\n\t'm' type_id=1 bits_offset=0",
            "[5] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p' type_id=2",
            "[6] FUNC 'f' type_id=5 linkage=static",
        ],
    );

    // ADAPTED: libbpf's list starts with void's entry (0); ours has own types only.
    let perm = Permutation::new(&btf, &ids(&[4, 3, 5, 1, 6, 2])).expect("a permutation");
    let out = sort::permute(&btf, &perm).expect("permutes");
    let permuted = Btf::parse(&out).expect("parses");
    validate_raw(&permuted, PERMUTED_BASE);

    // The list must have one id per type, each once, each a type.
    let bad = |v: &[u32]| Permutation::new(&permuted, &ids(v));
    assert!(matches!(
        bad(&[4, 3, 5, 1, 6]),
        Err(SortError::NotAPermutation { .. })
    ));
    assert!(matches!(
        bad(&[4, 4, 5, 1, 6, 2]),
        Err(SortError::NotAPermutation { .. })
    ));
    assert!(matches!(
        bad(&[4, 3, 5, 1, 7, 2]),
        Err(SortError::NotAPermutation { .. })
    ));
    assert!(matches!(
        bad(&[0, 3, 5, 1, 6, 2]),
        Err(SortError::NotAPermutation { .. })
    ));
    // The input is not touched (it is borrowed): nothing to check beyond the types.
    validate_raw(&permuted, PERMUTED_BASE);
}

const PERMUTED_SPLIT: &[&str] = &[
    "[3] STRUCT 's2' size=4 vlen=1\n\t'm' type_id=1 bits_offset=0",
    "[4] FUNC 'f' type_id=5 linkage=static",
    "[5] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p' type_id=2",
    "[6] STRUCT 's1' size=4 vlen=1\n\t'm' type_id=1 bits_offset=0",
];

#[test]
fn selftest_permute_split() {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED); // [1]
    let ptr = b.add_ptr(int); // [2]
    let base_bytes = b.to_bytes(Endian::Little);
    let base = Btf::parse(&base_bytes).expect("base parses");
    let mut s = Builder::new_split(&base);
    s.add_struct("s1", 4); // [3]
    s.add_member("m", int, 0, 0).expect("a valid element");
    s.add_struct("s2", 4); // [4]
    s.add_member("m", int, 0, 0).expect("a valid element");
    let proto = s.add_func_proto(int); // [5]
    s.add_param("p", ptr).expect("a valid element");
    s.add_func("f", 0, proto); // [6]
    let split_bytes = s.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split_bytes, &base).expect("split parses");

    let perm = Permutation::new(&split, &ids(&[6, 3, 5, 4])).expect("a permutation");
    let out = sort::permute(&split, &perm).expect("permutes");
    let permuted = Btf::parse_split(&out, &base).expect("parses");
    validate_raw(&permuted, PERMUTED_SPLIT);

    let bad = |v: &[u32]| Permutation::new(&permuted, &ids(v));
    // One id per split type.
    assert!(bad(&[4, 3, 5]).is_err());
    // Each id once.
    assert!(bad(&[4, 3, 3, 6]).is_err());
    // Never a base id.
    assert!(bad(&[4, 2, 5, 6]).is_err());
    // Base ids are not moved by the map.
    assert_eq!(perm.get(TypeId(2)), Some(TypeId(2)));
    assert_eq!(perm.get(TypeId(3)), Some(TypeId(6)));
    assert_eq!(perm.get(TypeId(7)), None);
}

/// One generated type: a kind choice, a name choice, and two numbers for targets.
type Op = (u8, u8, u32, u32);

const NAMES: &[&str] = &["", "", "a", "b", "B", "_x", "a_b", "ab", "z\u{e9}", "s"];

/// Adds a type of each op to `b`; references go to any id in `[0, end)`, before or
/// after the type (permute needs ids in range, not a valid graph).
fn build(b: &mut Builder<'_>, ops: &[Op], first: u32) {
    let end = first + ops.len() as u32;
    let target = |v: u32| TypeId(v % end);
    for &(k, n, x, y) in ops {
        let name = NAMES[n as usize % NAMES.len()];
        match k % 19 {
            0 => {
                b.add_int(name, 4, raw::INT_SIGNED);
            }
            1 => {
                b.add_float(name, 8);
            }
            2 => {
                b.add_ptr(target(x));
            }
            3 => {
                b.add_typedef(name, target(x));
            }
            4 => {
                b.add_volatile(target(x));
            }
            5 => {
                b.add_const(target(x));
            }
            6 => {
                b.add_restrict(target(x));
            }
            7 => {
                b.add_type_tag(name, target(x));
            }
            8 => {
                b.add_array(target(x), target(y), y % 7);
            }
            9 | 10 => {
                if k % 19 == 9 {
                    b.add_struct(name, 16);
                } else {
                    b.add_union(name, 16);
                }
                for i in 0..(y % 4) {
                    b.add_member(format!("m{i}"), target(x.wrapping_add(i)), i * 8, 0)
                        .expect("a valid element");
                }
            }
            11 => {
                b.add_enum(name, 4, false);
                b.add_enum_value("E", i64::from(x % 9))
                    .expect("a valid element");
            }
            12 => {
                b.add_enum64(name, 8, false);
                b.add_enum64_value("E64", u64::from(x))
                    .expect("a valid element");
            }
            13 => {
                b.add_fwd(name, FwdKind::Struct);
            }
            14 => {
                b.add_func_proto(target(x));
                for i in 0..(y % 3) {
                    b.add_param("p", target(y.wrapping_add(i)))
                        .expect("a valid element");
                }
            }
            15 => {
                b.add_func(name, 1, target(x));
            }
            16 => {
                b.add_var(name, 1, target(x));
            }
            17 => {
                b.add_datasec(name, 64);
                for i in 0..(y % 3) {
                    b.add_secinfo(target(x.wrapping_add(i)), i * 8, 8)
                        .expect("a valid element");
                }
            }
            _ => {
                b.add_decl_tag(name, target(x), -1);
            }
        }
    }
}

/// Base and split blobs (in `endian`) from generated ops.
fn blobs(base_ops: &[Op], split_ops: &[Op], endian: Endian) -> (Vec<u8>, Vec<u8>) {
    let mut b = Builder::new();
    build(&mut b, base_ops, 1);
    let base_bytes = b.to_bytes(endian);
    let base = Btf::parse(&base_bytes).expect("base parses");
    let mut s = Builder::new_split(&base);
    build(&mut s, split_ops, base.next_id().0);
    let split_bytes = s.to_bytes(endian);
    (base_bytes, split_bytes)
}

/// Every record of `after` is the record `before` had at the old id, with each type-id
/// field mapped by `perm`, and nothing but the type section changed.
fn check_permuted(
    before: &Btf<'_>,
    after: &Btf<'_>,
    perm: &Permutation,
) -> Result<(), TestCaseError> {
    let (a, b) = (before.data(), after.data());
    let h = before.header();
    let types = (h.hdr_len + h.type_off) as usize..(h.hdr_len + h.type_off + h.type_len) as usize;
    prop_assert_eq!(a.len(), b.len());
    prop_assert_eq!(&a[..types.start], &b[..types.start]);
    prop_assert_eq!(&a[types.end..], &b[types.end..]);
    let e = before.endian();
    for t in before.types() {
        let new_id = perm.get(t.id()).expect("own id");
        let n = after.type_by_id(new_id).expect("moved type exists");
        let mut want = t.record().to_vec();
        for pos in FieldLayout::of(t.kind(), FieldKind::TypeIds).positions(t.vlen()) {
            let old = e.u32(&want, pos);
            e.put_u32(&mut want, pos, perm.get(TypeId(old)).expect("in range").0);
        }
        prop_assert_eq!(
            n.record(),
            &want[..],
            "type [{}] moved to [{}]",
            t.id(),
            new_id
        );
    }
    Ok(())
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        (any::<u8>(), any::<u8>(), any::<u32>(), any::<u32>()),
        1..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// permute moves every record and renumbers every type-id field; the inverse
    /// permutation gives the input back, byte for byte; base ids are never moved.
    #[test]
    fn permute_renumbers_every_type_id_field(
        base_ops in ops(),
        split_ops in ops(),
        keys in proptest::collection::vec(any::<u32>(), 40),
        big in any::<bool>(),
    ) {
        let endian = if big { Endian::Big } else { Endian::Little };
        let (base_bytes, split_bytes) = blobs(&base_ops, &split_ops, endian);
        let base = Btf::parse(&base_bytes).expect("base parses");
        let split = Btf::parse_split(&split_bytes, &base).expect("split parses");
        for btf in [&base, &split] {
            // A random permutation: own ids ordered by random keys.
            let start = btf.start_id().0;
            let mut order: Vec<u32> = btf.own_ids().map(|t| t.0).collect();
            order.sort_by_key(|&id| (keys[(id - start) as usize % keys.len()], id));
            let mut new_ids = vec![TypeId(0); order.len()];
            for (k, &old) in order.iter().enumerate() {
                new_ids[(old - start) as usize] = TypeId(start + k as u32);
            }
            let perm = Permutation::new(btf, &new_ids).expect("a permutation");
            let out = sort::permute(btf, &perm).expect("permutes");
            let after = match btf.base() {
                Some(b) => Btf::parse_split(&out, b).expect("parses"),
                None => Btf::parse(&out).expect("parses"),
            };
            check_permuted(btf, &after, &perm)?;
            let inverse = Permutation::new(&after, &perm.order()).expect("inverse");
            prop_assert_eq!(sort::permute(&after, &inverse).expect("permutes back"), btf.data());
            prop_assert_eq!(perm.get(TypeId(0)), Some(TypeId(0)));
            if start > 1 {
                prop_assert_eq!(perm.get(TypeId(start - 1)), Some(TypeId(start - 1)));
            }
        }
    }

    /// sort_by_name orders by name bytes, anonymous first, ties by old id; the result
    /// is sorted as the kernel judges it, and sorting it again changes nothing.
    #[test]
    fn sort_by_name_is_resolve_btfids_order(base_ops in ops(), split_ops in ops(), big in any::<bool>()) {
        let endian = if big { Endian::Big } else { Endian::Little };
        let (base_bytes, split_bytes) = blobs(&base_ops, &split_ops, endian);
        let base = Btf::parse(&base_bytes).expect("base parses");
        let split = Btf::parse_split(&split_bytes, &base).expect("split parses");
        for btf in [&base, &split] {
            let sorted = sort::sort_by_name(btf).expect("sorts");
            let after = match btf.base() {
                Some(b) => Btf::parse_split(&sorted.bytes, b).expect("parses"),
                None => Btf::parse(&sorted.bytes).expect("parses"),
            };
            check_permuted(btf, &after, &sorted.map)?;
            // The model: (name, old id), lexicographic.
            let mut want: Vec<(Vec<u8>, u32)> =
                btf.types().map(|t| (btf.name(&t).to_vec(), t.id().0)).collect();
            want.sort();
            let got: Vec<u32> = sorted.map.order().iter().map(|t| t.0).collect();
            prop_assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());
            prop_assert!(sort::is_sorted(&after));
            let again = sort::sort_by_name(&after).expect("sorts");
            prop_assert!(again.map.is_identity());
            prop_assert_eq!(&again.bytes, &sorted.bytes);
            // The kernel's check agrees with the model on the input too.
            let names: Vec<&[u8]> = btf.types().map(|t| btf.name(&t)).collect();
            let model = names.windows(2).all(|w| w[0] <= w[1]);
            prop_assert_eq!(sort::is_sorted(btf), model);
        }
    }
}

#[test]
fn check_sorted_names_the_first_type_out_of_order() {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED); // [1]
    b.add_ptr(int); // [2] anonymous after a named type
    let bytes = b.to_bytes(Endian::Little);
    let btf = Btf::parse(&bytes).expect("parses");
    assert_eq!(
        sort::check_sorted(&btf),
        SortState::Unsorted { at: TypeId(2) }
    );
    let sorted = sort::sort_by_name(&btf).expect("sorts");
    let s = Btf::parse(&sorted.bytes).expect("parses");
    assert_eq!(
        sort::check_sorted(&s),
        SortState::Sorted {
            named_start: Some(TypeId(2))
        }
    );
    validate_raw(
        &s,
        &[
            "[1] PTR '(anon)' type_id=2",
            "[2] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
        ],
    );
    // strcmp compares unsigned bytes: "Z" < "_" < "a" < "\xc3..."; equal names are fine.
    let mut b = Builder::new();
    for n in ["", "Z", "_", "a", "a", "\u{e9}"] {
        b.add_int(n, 4, 0);
    }
    let bytes = b.to_bytes(Endian::Big);
    assert!(sort::is_sorted(&Btf::parse(&bytes).expect("parses")));
    // No own types, or none named: sorted, no named start.
    let empty = Builder::new().to_bytes(Endian::Little);
    assert_eq!(
        sort::check_sorted(&Btf::parse(&empty).expect("parses")),
        SortState::Sorted { named_start: None }
    );
}

#[test]
fn permute_refuses_references_past_the_last_type() {
    let mut b = Builder::new();
    b.add_ptr(TypeId(5)); // [1] -> nothing
    let bytes = b.to_bytes(Endian::Little);
    let btf = Btf::parse(&bytes).expect("parses");
    let err = sort::sort_by_name(&btf).expect_err("refused");
    assert!(err.to_string().contains("past the last type"), "{err}");
}

/// A vmlinux-like base (sorted or not) and a module over it.
fn module(sorted_base: bool) -> (Vec<u8>, Vec<u8>) {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED); // [1]
    let long = b.add_int("long", 8, raw::INT_SIGNED); // [2]
    let sk = b.add_struct("sock", 16); // [3]
    b.add_member("x", long, 0, 0).expect("a valid element");
    b.add_ptr(sk); // [4]
    b.add_typedef("u32", int); // [5]
    b.add_union("", 8); // [6] anonymous: copied into the split
    b.add_member("y", long, 0, 0).expect("a valid element");
    let base_bytes = {
        let bytes = b.to_bytes(Endian::Little);
        if sorted_base {
            let btf = Btf::parse(&bytes).expect("parses");
            sort::sort_by_name(&btf).expect("sorts").bytes
        } else {
            bytes
        }
    };
    let split_bytes = module_split(&base_bytes);
    (base_bytes, split_bytes)
}

fn module_split(base_bytes: &[u8]) -> Vec<u8> {
    let base = Btf::parse(base_bytes).expect("base parses");
    let id = |name: &str, kind| {
        base.find_by_name_kind(name.as_bytes(), kind)
            .expect("found")
    };
    let (sk, td) = (id("sock", Kind::STRUCT), id("u32", Kind::TYPEDEF));
    let ptr_to_sk = base
        .types()
        .find(|t| t.kind() == Kind::PTR)
        .expect("a PTR")
        .id();
    let anon = base
        .types()
        .find(|t| t.kind() == Kind::UNION)
        .expect("the union")
        .id();
    let mut s = Builder::new_split(&base);
    s.add_struct("zeta", 24);
    s.add_member("sk", ptr_to_sk, 0, 0)
        .expect("a valid element");
    s.add_member("n", td, 64, 0).expect("a valid element");
    s.add_member("u", anon, 128, 0).expect("a valid element");
    let f = s.add_func_proto(TypeId(0));
    s.add_param("s", sk).expect("a valid element");
    s.add_func("alpha", 1, f);
    s.to_bytes(Endian::Little)
}

#[test]
fn kernel_order_distill_sorts_the_split_and_writes_the_32_byte_header() {
    let (base_bytes, split_bytes) = module(true);
    let base = Btf::parse(&base_bytes).expect("base parses");
    assert!(sort::is_sorted(&base));
    assert_eq!(Order::Auto.resolve(&base), Order::Kernel);
    let split = Btf::parse_split(&split_bytes, &base).expect("split parses");
    let lib = distill_with_roots(&split, &[]).expect("distills");
    let ker = distill_ordered(&split, &[], Order::Auto).expect("distills");
    assert_eq!((lib.order, ker.order), (Order::Libbpf, Order::Kernel));
    // The same types; the kernel's bytes have the extended header, zero layout fields.
    for (k, l) in [(&ker.base, &lib.base), (&ker.split, &lib.split)] {
        let hk = btfkit::read::Header::parse(k).expect("header");
        assert_eq!((hk.hdr_len, hk.layout_off, hk.layout_len), (32, 0, 0));
        assert_eq!(k.len(), l.len() + 8);
    }
    assert_eq!(&ker.base[32..], &lib.base[24..]);
    let kb = Btf::parse(&ker.base).expect("parses");
    let ks = Btf::parse_split(&ker.split, &kb).expect("parses");
    let lb = Btf::parse(&lib.base).expect("parses");
    let ls = Btf::parse_split(&lib.split, &lb).expect("parses");
    assert!(sort::is_sorted(&ks));
    assert!(
        !sort::is_sorted(&ls),
        "the fixture's libbpf order is not sorted"
    );
    // The string section is the libbpf one: sorting moves types, not strings.
    assert_eq!(ks.strings().bytes(), ls.strings().bytes());
    // The id maps agree on what each input type became.
    for old in split.own_ids().chain((1..base.next_id().0).map(TypeId)) {
        match (lib.id_map.get(old), ker.id_map.get(old)) {
            (None, None) => {}
            (Some(l), Some(k)) => {
                let (tl, tk) = (ls.type_by_id(l), ks.type_by_id(k));
                assert_eq!(tl.map(|t| ls.name(&t)), tk.map(|t| ks.name(&t)), "[{old}]");
                assert_eq!(tl.map(|t| t.kind()), tk.map(|t| t.kind()), "[{old}]");
            }
            other => panic!("[{old}]: {other:?}"),
        }
    }
}

#[test]
fn auto_is_libbpf_over_an_unsorted_vmlinux() {
    let (base_bytes, split_bytes) = module(false);
    let base = Btf::parse(&base_bytes).expect("base parses");
    assert!(!sort::is_sorted(&base));
    let split = Btf::parse_split(&split_bytes, &base).expect("split parses");
    let lib = distill_with_roots(&split, &[]).expect("distills");
    let auto = distill_ordered(&split, &[], Order::Auto).expect("distills");
    assert_eq!(auto.order, Order::Libbpf);
    assert_eq!((&auto.base, &auto.split), (&lib.base, &lib.split));
    // --order kernel over an unsorted vmlinux still sorts the module.
    let ker = distill_ordered(&split, &[], Order::Kernel).expect("distills");
    let kb = Btf::parse(&ker.base).expect("parses");
    assert!(sort::is_sorted(
        &Btf::parse_split(&ker.split, &kb).expect("parses")
    ));
    assert_eq!("kernel".parse::<Order>(), Ok(Order::Kernel));
    assert!("sorted".parse::<Order>().is_err());
}

#[test]
fn permute_refuses_a_type_section_that_shares_bytes_with_the_strings() {
    // Types and strings overlapping (only in unvalidated input): moving the types would
    // change names, so it is refused. An empty type section anywhere is fine.
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    b.add_ptr(int);
    let mut bytes = b.to_bytes(Endian::Little);
    let h = btfkit::read::Header::parse(&bytes).expect("header");
    // The string section starts inside the type section's last record.
    let e = Endian::Little;
    e.put_u32(&mut bytes, raw::header::STR_OFF, h.type_len - 4);
    e.put_u32(&mut bytes, raw::header::STR_LEN, h.str_len + 4);
    let btf = Btf::parse(&bytes).expect("parses without validation");
    let err = sort::sort_by_name(&btf).expect_err("refused");
    assert!(err.to_string().contains("overlaps the string"), "{err}");
    // No types, the empty type section inside the strings.
    let mut b = Builder::new();
    b.add_int("int", 4, raw::INT_SIGNED);
    let mut bytes = b.to_bytes(Endian::Little);
    let h = btfkit::read::Header::parse(&bytes).expect("header");
    e.put_u32(&mut bytes, raw::header::TYPE_LEN, 0);
    e.put_u32(&mut bytes, raw::header::TYPE_OFF, h.str_off + 2);
    let btf = Btf::parse(&bytes).expect("parses");
    assert_eq!(btf.type_count(), 0);
    assert!(sort::sort_by_name(&btf)
        .expect("nothing to move")
        .map
        .is_empty());
}
