//! The kernel selftest `prog_tests/btf_distill.c` against libbpf 1.7, for what
//! `crates/btfkit/tests/distill_selftest.rs` cannot check with btfkit alone:
//!
//! - Each input is built twice, by libbpf's `btf__add_*` calls exactly as the selftest
//!   makes them and by `btfkit::write::Builder`: the bytes must be equal.
//! - Our distill output must be byte-identical to `btf__distill_base`, in both byte
//!   orders.
//! - Relocation (`btf__relocate`), which btfkit does not do yet, is done by libbpf on
//!   *our* distilled split; the result is printed with `btfkit::dump::raw` and compared
//!   with the selftest's `VALIDATE_RAW_BTF` strings (ADAPTED: ENUM64 values with bpftool
//!   7.1's `LL` suffix), and the failing relocations of the `*_err` subtests must fail
//!   with `EINVAL` and libbpf's message.
//! - Inputs distill rejects (split BTF reaching a base FUNC, VAR, DATASEC or DECL_TAG,
//!   and base BTF) make libbpf fail too.

use btfkit::distill::{distill, DistillError, Distilled};
use btfkit::dump::raw::write_raw;
use btfkit::write::Builder;
use btfkit::{Btf, Endian, Kind};
use conformance::libbpf::{LibbpfBtf, LibbpfError};
use conformance::libbpf_build::{apply_all, Op};

const EINVAL: i32 = 22;

/// A base built by both: our bytes (little-endian) and libbpf's object.
fn build_base(ops: &[Op]) -> (Vec<u8>, LibbpfBtf) {
    let mut ours = Builder::new();
    let mut lb = LibbpfBtf::new_empty().expect("btf__new_empty");
    apply_all(&mut ours, &mut lb, ops).unwrap_or_else(|e| panic!("base: {e}"));
    let bytes = ours.to_bytes(Endian::Little);
    assert_eq!(
        bytes,
        lb.raw_data().unwrap(),
        "base: bytes differ from libbpf's"
    );
    (bytes, lb)
}

/// A split over `base` (ours) and `lb_base` (libbpf's object) built by both.
fn build_split(base: &Btf<'_>, lb_base: &LibbpfBtf, ops: &[Op]) -> (Vec<u8>, LibbpfBtf) {
    let mut ours = Builder::new_split(base);
    let mut lb = LibbpfBtf::new_empty_split(lb_base).expect("btf__new_empty_split");
    apply_all(&mut ours, &mut lb, ops).unwrap_or_else(|e| panic!("split: {e}"));
    let bytes = ours.to_bytes(Endian::Little);
    assert_eq!(
        bytes,
        lb.raw_data().unwrap(),
        "split: bytes differ from libbpf's"
    );
    (bytes, lb)
}

/// Our distill of `split_bytes` over `base`, checked byte for byte against libbpf's
/// distill of the split it built (`lb_split`), and against libbpf's distill of our
/// bytes in big-endian.
fn distill_both(base: &Btf<'_>, split_bytes: &[u8], lb_split: &LibbpfBtf) -> Distilled {
    let split = Btf::parse_split(split_bytes, base).unwrap();
    let ours = distill(&split).expect("btfkit distills");
    let (lb_b, lb_s) = lb_split.distill_base().expect("libbpf distills");
    assert_eq!(ours.base, lb_b.raw_data().unwrap(), "distilled base");
    assert_eq!(ours.split, lb_s.raw_data().unwrap(), "distilled split");

    // Big-endian input: both keep the byte order.
    let mut lb_be_base = LibbpfBtf::parse_raw(base.data()).unwrap();
    lb_be_base.set_endianness(Endian::Big).unwrap();
    let be_base = lb_be_base.raw_data().unwrap();
    let mut lb_be_split = LibbpfBtf::parse_split(split_bytes, &lb_be_base).unwrap();
    lb_be_split.set_endianness(Endian::Big).unwrap();
    let be_split = lb_be_split.raw_data().unwrap();
    let be_base_btf = Btf::parse(&be_base).unwrap();
    let be = distill(&Btf::parse_split(&be_split, &be_base_btf).unwrap()).unwrap();
    let lb_be_base2 = LibbpfBtf::parse_raw(&be_base).unwrap();
    let (b, s) = LibbpfBtf::parse_split(&be_split, &lb_be_base2)
        .unwrap()
        .distill_base()
        .unwrap();
    assert_eq!(be.base, b.raw_data().unwrap(), "big-endian distilled base");
    assert_eq!(
        be.split,
        s.raw_data().unwrap(),
        "big-endian distilled split"
    );
    assert_eq!(Btf::parse(&be.base).unwrap().endian(), Endian::Big);
    ours
}

/// libbpf relocates our distilled split onto `target`; `Ok` holds the relocated split's
/// bytes (over `target`).
fn relocate(d: &Distilled, target: &LibbpfBtf) -> Result<Vec<u8>, LibbpfError> {
    let lb_base = LibbpfBtf::parse_raw(&d.base).expect("libbpf reads our distilled base");
    let lb_split = LibbpfBtf::parse_split(&d.split, &lb_base).expect("libbpf reads our split");
    lb_split.relocate(target)?;
    Ok(lb_split.raw_data().unwrap())
}

/// bpftool-style raw text of `base`'s types, then `split`'s.
fn raw(base: &Btf<'_>, split: &Btf<'_>) -> String {
    let mut out = Vec::new();
    write_raw(&mut out, base).unwrap();
    write_raw(&mut out, split).unwrap();
    String::from_utf8(out).unwrap()
}

#[track_caller]
fn validate_raw(base: &Btf<'_>, split: &Btf<'_>, expected: &[&str]) {
    let got = raw(base, split);
    let want: String = expected.iter().map(|t| format!("{t}\n")).collect();
    assert_eq!(got, want, "\n--- got:\n{got}--- want:\n{want}");
}

#[track_caller]
fn assert_einval(r: Result<Vec<u8>, LibbpfError>, message: &str) {
    let e = r.expect_err("relocation must fail");
    assert_eq!(e.errno, EINVAL, "{e}");
    #[cfg(target_arch = "x86_64")]
    assert!(
        e.messages.iter().any(|m| m.contains(message)),
        "expected a message with {message:?}: {e}"
    );
    #[cfg(not(target_arch = "x86_64"))]
    let _ = message;
}

// ---------------------------------------------------------------------------------------
// distilled_base

fn distilled_base_btf1() -> Vec<Op> {
    use Op::*;
    vec![
        Int(b"int", 4, 1),          // [1] int
        Ptr(1),                     // [2] ptr to int
        Struct(b"s1", 8),           // [3] struct s1 {
        Field(b"f1", 2, 0, 0),      //      int *f1; }
        Struct(b"", 12),            // [4] struct {
        Field(b"f1", 1, 0, 0),      //      int f1;
        Field(b"f2", 3, 32, 0),     //      struct s1 f2; }
        Int(b"unsigned int", 4, 0), // [5] unsigned int
        Union(b"u1", 12),           // [6] union u1 {
        Field(b"f1", 1, 0, 0),      //      int f1;
        Field(b"f2", 2, 0, 0),      //      int *f2; }
        Union(b"", 4),              // [7] union {
        Field(b"f1", 1, 0, 0),      //      int f1; }
        Enum(b"e1", 4),             // [8] enum e1 {
        EnumValue(b"v1", 1),        //      v1 = 1; }
        Enum(b"", 4),               // [9] enum {
        EnumValue(b"av1", 2),       //      av1 = 2; }
        Enum64(b"e641", 8, true),   // [10] enum64 {
        Enum64Value(b"v1", 1024),   //      v1 = 1024; }
        Enum64(b"", 8, true),       // [11] enum64 {
        Enum64Value(b"v1", 1025),   //      v1 = 1025; }
        Struct(b"unneeded", 4),     // [12] struct unneeded {
        Field(b"f1", 1, 0, 0),      //      int f1; }
        Struct(b"embedded", 4),     // [13] struct embedded {
        Field(b"f1", 1, 0, 0),      //      int f1; }
        FuncProto(1),               // [14] int (*)(int *p1);
        Param(b"p1", 1),
        Array(1, 1, 3),           // [15] int [3];
        Struct(b"from_proto", 4), // [16] struct from_proto {
        Field(b"f1", 1, 0, 0),    //      int f1; }
        Union(b"u1", 4),          // [17] union u1 {
        Field(b"f1", 1, 0, 0),    //      int f1; }
    ]
}

fn distilled_base_btf2() -> Vec<Op> {
    use Op::*;
    vec![
        Ptr(3),                      // [18] ptr to struct s1
        Ptr(4),                      // [19] ptr to struct (anon)
        Const(6),                    // [20] const union u1
        Restrict(7),                 // [21] restrict union (anon)
        Volatile(8),                 // [22] volatile enum e1
        Typedef(b"et", 9),           // [23] typedef enum (anon)
        Const(10),                   // [24] const enum64 e641
        Ptr(11),                     // [25] restrict enum64 (anon)
        Struct(b"with_embedded", 4), // [26] struct with_embedded {
        Field(b"f1", 13, 0, 0),      //      struct embedded f1; }
        Func(b"fn", 0, 14),          // [27] int fn(int p1);
        Typedef(b"arraytype", 15),   // [28] typedef int[3] foo;
        FuncProto(1),                // [29] int (*)(struct from proto p1);
        Param(b"p1", 16),
    ]
}

/// btf4 after `btf__relocate(btf4, btf1)`, as the selftest prints it.
const DISTILLED_BASE_RELOCATED: &[&str] = &[
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] PTR '(anon)' type_id=1",
    "[3] STRUCT 's1' size=8 vlen=1\n\t'f1' type_id=2 bits_offset=0",
    "[4] STRUCT '(anon)' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=3 bits_offset=32",
    "[5] INT 'unsigned int' size=4 bits_offset=0 nr_bits=32 encoding=(none)",
    "[6] UNION 'u1' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=2 bits_offset=0",
    "[7] UNION '(anon)' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[8] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1\n\t'v1' val=1",
    "[9] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=1\n\t'av1' val=2",
    // ADAPTED: the selftest has `val=1024` (no suffix).
    "[10] ENUM64 'e641' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1024LL",
    // ADAPTED: the selftest has `val=1025` (no suffix).
    "[11] ENUM64 '(anon)' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1025LL",
    "[12] STRUCT 'unneeded' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[13] STRUCT 'embedded' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[14] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=1",
    "[15] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3",
    "[16] STRUCT 'from_proto' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[17] UNION 'u1' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[18] PTR '(anon)' type_id=3",
    "[19] PTR '(anon)' type_id=30",
    "[20] CONST '(anon)' type_id=6",
    "[21] RESTRICT '(anon)' type_id=31",
    "[22] VOLATILE '(anon)' type_id=8",
    "[23] TYPEDEF 'et' type_id=32",
    "[24] CONST '(anon)' type_id=10",
    "[25] PTR '(anon)' type_id=33",
    "[26] STRUCT 'with_embedded' size=4 vlen=1\n\t'f1' type_id=13 bits_offset=0",
    "[27] FUNC 'fn' type_id=34 linkage=static",
    "[28] TYPEDEF 'arraytype' type_id=35",
    "[29] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=16",
    // below here are (duplicate) anon base types added by distill process to split BTF.
    "[30] STRUCT '(anon)' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=3 bits_offset=32",
    "[31] UNION '(anon)' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[32] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=1\n\t'av1' val=2",
    // ADAPTED: the selftest has `val=1025` (no suffix).
    "[33] ENUM64 '(anon)' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1025LL",
    "[34] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=1",
    "[35] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3",
];

#[test]
fn distilled_base() {
    let (b1, lb1) = build_base(&distilled_base_btf1());
    let btf1 = Btf::parse(&b1).unwrap();
    let (b2, lb2) = build_split(&btf1, &lb1, &distilled_base_btf2());
    let d = distill_both(&btf1, &b2, &lb2);
    assert_eq!(d.base_types + 1, 8, "distilled_base_type_cnt");

    let relocated = relocate(&d, &lb1).expect("relocate_split");
    let btf4 = Btf::parse_split(&relocated, &btf1).unwrap();
    validate_raw(&btf1, &btf4, DISTILLED_BASE_RELOCATED);
}

// ---------------------------------------------------------------------------------------
// distilled_base_multi, _missing_err, _multi_err, _multi_err2

fn ints(sizes: &[u32]) -> Vec<Op> {
    sizes.iter().map(|&s| Op::Int(b"int", s, 1)).collect()
}

const INT4: &str = "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED";

/// Builds the base of `sizes` and the split `ptr(1)`, `const(2)`; distills.
fn two_ints(sizes: [u32; 2]) -> (Vec<u8>, LibbpfBtf, Distilled) {
    let (b1, lb1) = build_base(&ints(&sizes));
    let btf1 = Btf::parse(&b1).unwrap();
    let (b2, lb2) = build_split(&btf1, &lb1, &[Op::Ptr(1), Op::Const(2)]);
    let d = distill_both(&btf1, &b2, &lb2);
    assert_eq!(d.base_types + 1, 3, "distilled_base_type_cnt");
    (b1, lb1, d)
}

#[test]
fn distilled_base_multi() {
    let (b1, lb1, d) = two_ints([4, 8]);
    let relocated = relocate(&d, &lb1).expect("relocate_split");
    let btf1 = Btf::parse(&b1).unwrap();
    let btf4 = Btf::parse_split(&relocated, &btf1).unwrap();
    validate_raw(
        &btf1,
        &btf4,
        &[
            INT4,
            "[2] INT 'int' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED",
            "[3] PTR '(anon)' type_id=1",
            "[4] CONST '(anon)' type_id=2",
        ],
    );
}

#[test]
fn distilled_base_missing_err() {
    let (_, _, d) = two_ints([4, 8]);
    let (_, lb5) = build_base(&ints(&[4]));
    assert_einval(relocate(&d, &lb5), "is not mapped to base BTF id");
}

#[test]
fn distilled_base_multi_err() {
    let (_, lb1, d) = two_ints([4, 4]);
    assert_einval(
        relocate(&d, &lb1),
        "has multiple candidates of the same size",
    );
}

#[test]
fn distilled_base_multi_err2() {
    let (b1, lb1) = build_base(&ints(&[4]));
    let btf1 = Btf::parse(&b1).unwrap();
    let (b2, lb2) = build_split(&btf1, &lb1, &[Op::Ptr(1)]);
    let d = distill_both(&btf1, &b2, &lb2);
    assert_eq!(d.base_types + 1, 2, "distilled_base_type_cnt");
    let (_, lb5) = build_base(&ints(&[4, 4]));
    assert_einval(
        relocate(&d, &lb5),
        "has multiple candidates of the same size",
    );
}

// ---------------------------------------------------------------------------------------
// distilled_base_embedded_err

#[test]
fn distilled_base_embedded_err() {
    use Op::*;
    let (b1, lb1) = build_base(&[Int(b"int", 4, 1), Struct(b"s1", 4), Field(b"f1", 1, 0, 0)]);
    let btf1 = Btf::parse(&b1).unwrap();
    let (b2, lb2) = build_split(
        &btf1,
        &lb1,
        &[Struct(b"with_embedded", 8), Field(b"e1", 2, 0, 0)],
    );
    let d = distill_both(&btf1, &b2, &lb2);
    assert_eq!(d.base_types + 1, 2, "distilled_base_type_cnt");
    // A struct with the same name but a different size.
    let (_, lb5) = build_base(&[Int(b"int", 4, 1), Struct(b"s1", 8), Field(b"f1", 1, 0, 0)]);
    assert_einval(relocate(&d, &lb5), "is not mapped to base BTF id");
}

// ---------------------------------------------------------------------------------------
// distilled_base_vmlinux (the 6.1 vmlinux, corpus or testdata, for the running kernel's)

#[test]
fn distilled_base_vmlinux() {
    let data = test_support::data();
    let data = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let vmlinux = Btf::parse(&data).unwrap();
    let lb_vmlinux = LibbpfBtf::parse_raw(&data).unwrap();
    let int_id = lb_vmlinux
        .find_by_name_kind("int", Kind::INT)
        .unwrap()
        .expect("find_int");
    assert_eq!(
        Some(btfkit::TypeId(int_id)),
        vmlinux.find_by_name_kind(b"int", Kind::INT)
    );
    let myint_id = vmlinux.next_id().0;
    let (b2, lb2) = build_split(
        &vmlinux,
        &lb_vmlinux,
        &[Op::Typedef(b"myint", int_id), Op::Ptr(myint_id)],
    );
    let d = distill_both(&vmlinux, &b2, &lb2);
    let base_dist = Btf::parse(&d.base).unwrap();
    let split_dist = Btf::parse_split(&d.split, &base_dist).unwrap();
    validate_raw(
        &base_dist,
        &split_dist,
        &[
            INT4,
            "[2] TYPEDEF 'myint' type_id=1",
            "[3] PTR '(anon)' type_id=2",
        ],
    );
    // And back onto vmlinux: the split as it was.
    let relocated = relocate(&d, &lb_vmlinux).expect("relocates");
    assert_eq!(relocated, b2);
}

// ---------------------------------------------------------------------------------------
// distilled_endianness

#[test]
fn distilled_endianness() {
    // libbpf: btf__new_empty, btf__set_endianness(inverse), add int; split, add ptr.
    let mut lb_base = LibbpfBtf::new_empty().unwrap();
    lb_base.set_endianness(Endian::Big).unwrap();
    let mut b = Builder::new();
    apply_all(&mut b, &mut lb_base, &[Op::Int(b"int", 4, 1)]).unwrap();
    let base_bytes = b.to_bytes(Endian::Big);
    assert_eq!(base_bytes, lb_base.raw_data().unwrap());
    let base = Btf::parse(&base_bytes).unwrap();
    let mut lb_split = LibbpfBtf::new_empty_split(&lb_base).unwrap();
    let mut s = Builder::new_split(&base);
    apply_all(&mut s, &mut lb_split, &[Op::Ptr(1)]).unwrap();
    assert_eq!(lb_split.endianness(), Endian::Big, "the split inherits it");
    let split_bytes = s.to_bytes(Endian::Big);
    assert_eq!(split_bytes, lb_split.raw_data().unwrap());

    let ours = distill(&Btf::parse_split(&split_bytes, &base).unwrap()).unwrap();
    let (nb, ns) = lb_split.distill_base().unwrap();
    assert_eq!(nb.type_cnt(), 2, "distilled_base_type_cnt");
    assert_eq!(ours.base, nb.raw_data().unwrap());
    assert_eq!(ours.split, ns.raw_data().unwrap());
    let new_base1 = LibbpfBtf::parse_raw(&ours.base).unwrap();
    let new_split1 = LibbpfBtf::parse_split(&ours.split, &new_base1).unwrap();
    assert_eq!(new_base1.endianness(), Endian::Big, "new_base1 endianness");
    assert_eq!(
        new_split1.endianness(),
        Endian::Big,
        "new_split1 endianness"
    );
}

// ---------------------------------------------------------------------------------------
// Failures of distill: libbpf fails on the same inputs.

#[test]
fn libbpf_refuses_to_distill_base_btf() {
    let (b1, lb1) = build_base(&distilled_base_btf1());
    assert_eq!(
        distill(&Btf::parse(&b1).unwrap()).unwrap_err(),
        DistillError::NotSplit
    );
    let e = lb1.distill_base().unwrap_err();
    assert_eq!(e.errno, EINVAL, "{e}");
}

#[test]
fn libbpf_refuses_split_reaching_unrepresentable_base_kinds() {
    use Op::*;
    let (b1, lb1) = build_base(&[
        Int(b"int", 4, 1),      // [1]
        FuncProto(1),           // [2]
        Func(b"base_fn", 1, 2), // [3] FUNC
        Var(b"base_var", 1, 1), // [4] VAR
        Datasec(b".data", 4),   // [5] DATASEC
        Secinfo(4, 0, 4),
        DeclTag(b"base_tag", 3, -1), // [6] DECL_TAG
        Ptr(3),                      // [7] PTR to FUNC
    ]);
    let base = Btf::parse(&b1).unwrap();
    // (split calls, kind of the base type reached, its id, the referring type)
    let cases: [(&[Op], Kind, u32, u32); 5] = [
        (&[DeclTag(b"split_tag", 3, -1)], Kind::FUNC, 3, 8),
        (&[Datasec(b".bss", 4), Secinfo(4, 0, 4)], Kind::VAR, 4, 8),
        (&[Ptr(5)], Kind::DATASEC, 5, 8),
        (&[Typedef(b"t", 6)], Kind::DECL_TAG, 6, 8),
        (&[Ptr(7)], Kind::FUNC, 3, 7),
    ];
    for (ops, kind, base_id, referrer) in cases {
        let what = format!("{ops:?}");
        let (b2, lb2) = build_split(&base, &lb1, ops);
        let split = Btf::parse_split(&b2, &base).unwrap();
        match distill(&split).unwrap_err() {
            DistillError::UnexpectedBaseReference {
                referrer: r,
                base_id: b,
                kind: k,
                ..
            } => assert_eq!((r.0, b.0, k), (referrer, base_id, kind), "{what}"),
            e => panic!("{what}: {e}"),
        }
        let e = lb2.distill_base().unwrap_err();
        assert_eq!(e.errno, EINVAL, "{what}: {e}");
        #[cfg(target_arch = "x86_64")]
        assert!(
            e.messages.iter().any(|m| m.contains(&format!(
                "unexpected reference to base type[{base_id}] of kind [{}]",
                kind.0
            ))),
            "{what}: {e}"
        );
    }
}
