//! The kernel selftest `tools/testing/selftests/bpf/prog_tests/btf_distill.c` (Linux
//! 6.12+, the 8 subtests of mainline), ported to btfkit: each input is built with
//! `btfkit::write::Builder` (the base, then a split over the parsed base) as the selftest
//! builds it with `btf__add_*`, distilled with `btfkit::distill::distill`, and checked
//! with the selftest's own expectations: type counts, and `VALIDATE_RAW_BTF` strings
//! compared with `btfkit::dump::raw` output (base types, then split types).
//!
//! Adaptations of the expected strings (our dump prints bpftool 7.1's raw format,
//! LIBBPF-NOTES.md), each marked `ADAPTED` where it occurs:
//! - ENUM64 values carry bpftool's `LL` (signed) / `ULL` (unsigned) suffix.
//!
//! What btfkit cannot check yet, libbpf does in `crates/conformance/tests/
//! distill_selftest.rs` for the same inputs: `btf__relocate` of the distilled split
//! (subtests `distilled_base`, `distilled_base_multi` and the four `*_err` subtests,
//! whose expected failure is in relocation), and byte equality of our distill output
//! with `btf__distill_base`.
//!
//! Not ported: `distilled_loc` (bpf-next only): LOC_PARAM / LOC_PROTO / LOCSEC kinds exist
//! neither in libbpf 1.7 nor in btfkit. `distilled_base_vmlinux` uses Debian's 6.1
//! vmlinux (corpus or testdata) instead of the running kernel's.
//!
//! Also tested: the failures of distill (`NotSplit`; `UnexpectedBaseReference` for
//! split BTF reaching a base FUNC, VAR, DATASEC or DECL_TAG).

use btfkit::distill::{distill, DistillError, Distilled};
use btfkit::dump::raw::write_raw;
use btfkit::relocate;
use btfkit::write::Builder;
use btfkit::{Btf, Endian, Kind, TypeId};

const SIGNED: u8 = btfkit::raw::INT_SIGNED;

/// bpftool-style raw text of `btf`'s own types (for split BTF, only the split's).
fn raw(btf: &Btf<'_>) -> String {
    let mut out = Vec::new();
    write_raw(&mut out, btf).expect("write to a Vec");
    String::from_utf8(out).expect("ASCII names")
}

/// `VALIDATE_RAW_BTF(btf, ...)`: every type of `base` then of `split`, one string per
/// type (multi-line for members, values, ...).
#[track_caller]
fn validate_raw(base: &Btf<'_>, split: Option<&Btf<'_>>, expected: &[&str]) {
    let mut got = raw(base);
    if let Some(s) = split {
        got.push_str(&raw(s));
    }
    let want: String = expected.iter().map(|t| format!("{t}\n")).collect();
    assert_eq!(got, want, "\n--- got:\n{got}--- want:\n{want}");
}

/// Serializes a builder (little-endian, like the selftest on x86).
fn bytes(b: &Builder<'_>) -> Vec<u8> {
    b.to_bytes(Endian::Little)
}

/// `btf__distill_base`, and the distilled base and new split parsed.
fn distilled(split: &Btf<'_>) -> Distilled {
    distill(split).expect("distills")
}

/// `btf__type_cnt` of a base: its types plus void.
fn type_cnt(btf: &Btf<'_>) -> u32 {
    btf.next_id().0
}

// ---------------------------------------------------------------------------------------
// distilled_base

/// The base of `distilled_base` (btf1).
fn distilled_base_btf1() -> Builder<'static> {
    let mut b = Builder::new();
    b.add_int("int", 4, SIGNED); // [1] int
    b.add_ptr(TypeId(1)); // [2] ptr to int
    b.add_struct("s1", 8); // [3] struct s1 {
    b.add_member("f1", TypeId(2), 0, 0).unwrap(); //      int *f1; }
    b.add_struct("", 12); // [4] struct {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1;
    b.add_member("f2", TypeId(3), 32, 0).unwrap(); //      struct s1 f2; }
    b.add_int("unsigned int", 4, 0); // [5] unsigned int
    b.add_union("u1", 12); // [6] union u1 {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1;
    b.add_member("f2", TypeId(2), 0, 0).unwrap(); //      int *f2; }
    b.add_union("", 4); // [7] union {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1; }
    b.add_enum("e1", 4, false); // [8] enum e1 {
    b.add_enum_value("v1", 1).unwrap(); //      v1 = 1; }
    b.add_enum("", 4, false); // [9] enum {
    b.add_enum_value("av1", 2).unwrap(); //      av1 = 2; }
    b.add_enum64("e641", 8, true); // [10] enum64 {
    b.add_enum64_value("v1", 1024).unwrap(); //      v1 = 1024; }
    b.add_enum64("", 8, true); // [11] enum64 {
    b.add_enum64_value("v1", 1025).unwrap(); //      v1 = 1025; }
    b.add_struct("unneeded", 4); // [12] struct unneeded {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1; }
    b.add_struct("embedded", 4); // [13] struct embedded {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1; }
    b.add_func_proto(TypeId(1)); // [14] int (*)(int *p1);
    b.add_param("p1", TypeId(1)).unwrap();
    b.add_array(TypeId(1), TypeId(1), 3); // [15] int [3];
    b.add_struct("from_proto", 4); // [16] struct from_proto {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1; }
    b.add_union("u1", 4); // [17] union u1 {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1; }
    b
}

/// The split of `distilled_base` (btf2) over the parsed btf1.
fn distilled_base_btf2<'b>(base: &'b Btf<'b>) -> Builder<'b> {
    let mut b = Builder::new_split(base);
    b.add_ptr(TypeId(3)); // [18] ptr to struct s1
    b.add_ptr(TypeId(4)); // [19] ptr to struct (anon)
    b.add_const(TypeId(6)); // [20] const union u1
    b.add_restrict(TypeId(7)); // [21] restrict union (anon)
    b.add_volatile(TypeId(8)); // [22] volatile enum e1
    b.add_typedef("et", TypeId(9)); // [23] typedef enum (anon)
    b.add_const(TypeId(10)); // [24] const enum64 e641
    b.add_ptr(TypeId(11)); // [25] restrict enum64 (anon)
    b.add_struct("with_embedded", 4); // [26] struct with_embedded {
    b.add_member("f1", TypeId(13), 0, 0).unwrap(); //      struct embedded f1; }
    b.add_func("fn", btfkit::raw::FUNC_STATIC, TypeId(14)); // [27] int fn(int p1);
    b.add_typedef("arraytype", TypeId(15)); // [28] typedef int[3] foo;
    b.add_func_proto(TypeId(1)); // [29] int (*)(struct from proto p1);
    b.add_param("p1", TypeId(16)).unwrap();
    b
}

/// btf1 as the selftest prints it (also the first 17 types of btf2).
const DISTILLED_BASE_BTF1: &[&str] = &[
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
];

/// btf2's own types as the selftest prints them.
const DISTILLED_BASE_BTF2: &[&str] = &[
    "[18] PTR '(anon)' type_id=3",
    "[19] PTR '(anon)' type_id=4",
    "[20] CONST '(anon)' type_id=6",
    "[21] RESTRICT '(anon)' type_id=7",
    "[22] VOLATILE '(anon)' type_id=8",
    "[23] TYPEDEF 'et' type_id=9",
    "[24] CONST '(anon)' type_id=10",
    "[25] PTR '(anon)' type_id=11",
    "[26] STRUCT 'with_embedded' size=4 vlen=1\n\t'f1' type_id=13 bits_offset=0",
    "[27] FUNC 'fn' type_id=14 linkage=static",
    "[28] TYPEDEF 'arraytype' type_id=15",
    "[29] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=16",
];

/// The distilled base and split (btf3 + btf4) as the selftest prints them.
const DISTILLED_BASE_BTF4: &[&str] = &[
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] STRUCT 's1' size=8 vlen=0",
    "[3] UNION 'u1' size=12 vlen=0",
    "[4] ENUM 'e1' encoding=UNSIGNED size=4 vlen=0",
    "[5] ENUM 'e641' encoding=UNSIGNED size=8 vlen=0",
    "[6] STRUCT 'embedded' size=4 vlen=0",
    "[7] STRUCT 'from_proto' size=4 vlen=0",
    // split BTF; these types should match split BTF above from 17-28, with updated type
    // id references
    "[8] PTR '(anon)' type_id=2",
    "[9] PTR '(anon)' type_id=20",
    "[10] CONST '(anon)' type_id=3",
    "[11] RESTRICT '(anon)' type_id=21",
    "[12] VOLATILE '(anon)' type_id=4",
    "[13] TYPEDEF 'et' type_id=22",
    "[14] CONST '(anon)' type_id=5",
    "[15] PTR '(anon)' type_id=23",
    "[16] STRUCT 'with_embedded' size=4 vlen=1\n\t'f1' type_id=6 bits_offset=0",
    "[17] FUNC 'fn' type_id=24 linkage=static",
    "[18] TYPEDEF 'arraytype' type_id=25",
    "[19] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=7",
    // split BTF types added from original base BTF below
    "[20] STRUCT '(anon)' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=2 bits_offset=32",
    "[21] UNION '(anon)' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[22] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=1\n\t'av1' val=2",
    // ADAPTED: the selftest has `val=1025` (no suffix).
    "[23] ENUM64 '(anon)' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1025LL",
    "[24] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=1",
    "[25] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3",
];

#[test]
fn distilled_base() {
    let b1 = bytes(&distilled_base_btf1());
    let btf1 = Btf::parse(&b1).unwrap();
    validate_raw(&btf1, None, DISTILLED_BASE_BTF1);

    let b2 = bytes(&distilled_base_btf2(&btf1));
    let btf2 = Btf::parse_split(&b2, &btf1).unwrap();
    let all: Vec<&str> = DISTILLED_BASE_BTF1
        .iter()
        .chain(DISTILLED_BASE_BTF2)
        .copied()
        .collect();
    validate_raw(&btf1, Some(&btf2), &all);

    let d = distilled(&btf2);
    let btf3 = Btf::parse(&d.base).unwrap();
    let btf4 = Btf::parse_split(&d.split, &btf3).unwrap();
    assert_eq!(type_cnt(&btf3), 8, "distilled_base_type_cnt");
    assert_eq!((d.base_types, d.copied_types), (7, 6));
    validate_raw(&btf3, Some(&btf4), DISTILLED_BASE_BTF4);
    // (relocation of btf4 onto btf1 by libbpf: crates/conformance/tests/distill_selftest.rs)

    // Relocated back onto btf1, the split holds the original split types (same ids,
    // kinds and names; references may now point at the copies) followed by the copies.
    let r = relocate::relocate(&btf4, &btf1, Default::default()).expect("relocates onto btf1");
    let btf5 = Btf::parse_split(&r.split, &btf1).unwrap();
    let heads = |t: String| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with('['))
            .map(|l| {
                l.split(" type_id")
                    .next()
                    .unwrap_or(l)
                    .split(" size")
                    .next()
                    .unwrap_or(l)
                    .to_string()
            })
            .collect()
    };
    let (orig, reloc) = (heads(raw(&btf2)), heads(raw(&btf5)));
    assert_eq!(orig[..], reloc[..orig.len()]);
    assert_eq!(btf5.type_count(), btf2.type_count() + d.copied_types);
}

/// Relocates `split` (over its distilled base) onto `target` and returns the failures.
fn relocation_failures(split: &Btf<'_>, target: &Btf<'_>) -> Vec<relocate::Failure> {
    relocate::relocate(split, target, Default::default())
        .expect_err("relocation must fail")
        .failures()
        .to_vec()
}

// ---------------------------------------------------------------------------------------
// distilled_base_multi, _missing_err, _multi_err, _multi_err2

/// A base of INTs named `int` of the given sizes.
fn ints(sizes: &[u32]) -> Builder<'static> {
    let mut b = Builder::new();
    for &s in sizes {
        b.add_int("int", s, SIGNED);
    }
    b
}

const INT4: &str = "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED";
const INT8_2: &str = "[2] INT 'int' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED";
const INT4_2: &str = "[2] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED";

/// The subtests with two base INTs and `ptr(1)`, `const(2)` in split: checks everything
/// up to the distilled base.
fn two_ints(sizes: [u32; 2], second: &str) -> Distilled {
    let b1 = bytes(&ints(&sizes));
    let btf1 = Btf::parse(&b1).unwrap();
    validate_raw(&btf1, None, &[INT4, second]);
    let mut s = Builder::new_split(&btf1);
    s.add_ptr(TypeId(1));
    s.add_const(TypeId(2));
    let b2 = bytes(&s);
    let btf2 = Btf::parse_split(&b2, &btf1).unwrap();
    validate_raw(
        &btf1,
        Some(&btf2),
        &[
            INT4,
            second,
            "[3] PTR '(anon)' type_id=1",
            "[4] CONST '(anon)' type_id=2",
        ],
    );
    let d = distilled(&btf2);
    let btf3 = Btf::parse(&d.base).unwrap();
    assert_eq!(type_cnt(&btf3), 3, "distilled_base_type_cnt");
    validate_raw(&btf3, None, &[INT4, second]);
    // The split is unchanged but for its base.
    let btf4 = Btf::parse_split(&d.split, &btf3).unwrap();
    validate_raw(
        &btf3,
        Some(&btf4),
        &[
            INT4,
            second,
            "[3] PTR '(anon)' type_id=1",
            "[4] CONST '(anon)' type_id=2",
        ],
    );
    d
}

#[test]
fn distilled_base_multi() {
    let d = two_ints([4, 8], INT8_2);
    // Onto the same base it relocates.
    let b1 = bytes(&ints(&[4, 8]));
    let btf1 = Btf::parse(&b1).unwrap();
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();
    relocate::relocate(&ds, &btf1, Default::default()).expect("relocates");
}

#[test]
fn distilled_base_missing_err() {
    // Distilling succeeds; relocating onto a base without the 8-byte int fails (libbpf).
    let d = two_ints([4, 8], INT8_2);
    let b5 = bytes(&ints(&[4]));
    let btf5 = Btf::parse(&b5).unwrap();
    validate_raw(&btf5, None, &[INT4]);
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();
    let f = relocation_failures(&ds, &btf5);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].dist_id, &f[0].problem),
        (TypeId(2), &relocate::Problem::Unmapped)
    );
    assert_eq!(f[0].candidates[0].mismatch, Some(relocate::Mismatch::Size));
}

#[test]
fn distilled_base_multi_err() {
    // Two identical ints: distilling succeeds; relocation cannot choose.
    let d = two_ints([4, 4], INT4_2);
    let b1 = bytes(&ints(&[4, 4]));
    let btf1 = Btf::parse(&b1).unwrap();
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();
    let f = relocation_failures(&ds, &btf1);
    assert!(f
        .iter()
        .all(|f| f.problem == relocate::Problem::Ambiguous(vec![TypeId(1), TypeId(2)])));
}

#[test]
fn distilled_base_multi_err2() {
    let b1 = bytes(&ints(&[4]));
    let btf1 = Btf::parse(&b1).unwrap();
    validate_raw(&btf1, None, &[INT4]);
    let mut s = Builder::new_split(&btf1);
    s.add_ptr(TypeId(1));
    let b2 = bytes(&s);
    let btf2 = Btf::parse_split(&b2, &btf1).unwrap();
    validate_raw(&btf1, Some(&btf2), &[INT4, "[2] PTR '(anon)' type_id=1"]);
    let d = distilled(&btf2);
    let btf3 = Btf::parse(&d.base).unwrap();
    assert_eq!(type_cnt(&btf3), 2, "distilled_base_type_cnt");
    validate_raw(&btf3, None, &[INT4]);
    // The base relocation fails on: two identical ints.
    let b5 = bytes(&ints(&[4, 4]));
    let btf5 = Btf::parse(&b5).unwrap();
    validate_raw(&btf5, None, &[INT4, INT4_2]);
    let btf4 = Btf::parse_split(&d.split, &btf3).unwrap();
    let f = relocation_failures(&btf4, &btf5);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].problem,
        relocate::Problem::Ambiguous(vec![TypeId(1), TypeId(2)])
    );
}

// ---------------------------------------------------------------------------------------
// distilled_base_embedded_err

#[test]
fn distilled_base_embedded_err() {
    let mut b = Builder::new();
    b.add_int("int", 4, SIGNED); // [1] int
    b.add_struct("s1", 4); // [2] struct s1 {
    b.add_member("f1", TypeId(1), 0, 0).unwrap(); //      int f1; }
    let b1 = bytes(&b);
    let btf1 = Btf::parse(&b1).unwrap();
    let s1 = "[2] STRUCT 's1' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0";
    validate_raw(&btf1, None, &[INT4, s1]);

    let mut s = Builder::new_split(&btf1);
    s.add_struct("with_embedded", 8); // [3] struct with_embedded {
    s.add_member("e1", TypeId(2), 0, 0).unwrap(); //      struct s1 e1; }
    let b2 = bytes(&s);
    let btf2 = Btf::parse_split(&b2, &btf1).unwrap();
    validate_raw(
        &btf1,
        Some(&btf2),
        &[
            INT4,
            s1,
            "[3] STRUCT 'with_embedded' size=8 vlen=1\n\t'e1' type_id=2 bits_offset=0",
        ],
    );

    let d = distilled(&btf2);
    let btf3 = Btf::parse(&d.base).unwrap();
    let btf4 = Btf::parse_split(&d.split, &btf3).unwrap();
    assert_eq!(type_cnt(&btf3), 2, "distilled_base_type_cnt");
    validate_raw(
        &btf3,
        Some(&btf4),
        &[
            "[1] STRUCT 's1' size=4 vlen=0",
            "[2] STRUCT 'with_embedded' size=8 vlen=1\n\t'e1' type_id=1 bits_offset=0",
        ],
    );
    // Relocating onto a base whose `s1` is 8 bytes fails: s1 is embedded by value.
    let mut b = Builder::new();
    b.add_int("int", 4, SIGNED);
    b.add_struct("s1", 8);
    b.add_member("f1", TypeId(1), 0, 0).unwrap();
    b.add_member("f2", TypeId(1), 32, 0).unwrap();
    let b5 = bytes(&b);
    let btf5 = Btf::parse(&b5).unwrap();
    let f = relocation_failures(&btf4, &btf5);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].name, "s1");
    assert_eq!(
        f[0].embedded_in,
        vec![(TypeId(2), "with_embedded".to_string())]
    );
    assert_eq!(f[0].candidates[0].mismatch, Some(relocate::Mismatch::Size));
    // Onto the original base it relocates.
    relocate::relocate(&btf4, &btf1, Default::default()).expect("relocates onto btf1");
}

// ---------------------------------------------------------------------------------------
// distilled_base_vmlinux

#[test]
fn distilled_base_vmlinux() {
    let data = test_support::read(test_support::data().vmlinux61());
    let vmlinux = Btf::parse(&data).unwrap();
    let int_id = vmlinux
        .find_by_name_kind(b"int", Kind::INT)
        .expect("find_int");
    assert!(int_id.0 > 0, "find_int");
    let mut s = Builder::new_split(&vmlinux);
    let myint = s.add_typedef("myint", int_id);
    s.add_ptr(myint);
    let b = bytes(&s);
    let split = Btf::parse_split(&b, &vmlinux).unwrap();

    let d = distilled(&split);
    let base_dist = Btf::parse(&d.base).unwrap();
    let split_dist = Btf::parse_split(&d.split, &base_dist).unwrap();
    validate_raw(
        &base_dist,
        Some(&split_dist),
        &[
            INT4,
            "[2] TYPEDEF 'myint' type_id=1",
            "[3] PTR '(anon)' type_id=2",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// distilled_endianness

#[test]
fn distilled_endianness() {
    // The inverse of the host's order (the selftest's `inverse_endianness`).
    let inverse = if cfg!(target_endian = "little") {
        Endian::Big
    } else {
        Endian::Little
    };
    let mut b = Builder::new();
    b.add_int("int", 4, SIGNED); // [1] int
    let base_bytes = b.to_bytes(inverse);
    let base = Btf::parse(&base_bytes).unwrap();
    assert_eq!(base.endian(), inverse);
    validate_raw(&base, None, &[INT4]);

    let mut s = Builder::new_split(&base);
    s.add_ptr(TypeId(1));
    let split_bytes = s.to_bytes(inverse);
    let split = Btf::parse_split(&split_bytes, &base).unwrap();
    validate_raw(&base, Some(&split), &[INT4, "[2] PTR '(anon)' type_id=1"]);

    let d = distilled(&split);
    // new_base1 = btf__new(raw_data(new_base)), new_split1 = btf__new_split(...).
    let new_base1 = Btf::parse(&d.base).unwrap();
    let new_split1 = Btf::parse_split(&d.split, &new_base1).unwrap();
    assert_eq!(type_cnt(&new_base1), 2, "distilled_base_type_cnt");
    assert_eq!(new_base1.endian(), inverse, "new_base1 endianness");
    assert_eq!(new_split1.endian(), inverse, "new_split1 endianness");
    validate_raw(
        &new_base1,
        Some(&new_split1),
        &[INT4, "[2] PTR '(anon)' type_id=1"],
    );
}

// ---------------------------------------------------------------------------------------
// Failures of distill itself (not in the selftest).

#[test]
fn distilling_base_btf_fails() {
    let b1 = bytes(&distilled_base_btf1());
    let btf1 = Btf::parse(&b1).unwrap();
    assert_eq!(distill(&btf1).unwrap_err(), DistillError::NotSplit);
}

/// A base with a FUNC, a VAR, a DATASEC and a DECL_TAG, and a PTR to the FUNC.
fn base_with_unrepresentable_kinds() -> Builder<'static> {
    let mut b = Builder::new();
    b.add_int("int", 4, SIGNED); // [1]
    b.add_func_proto(TypeId(1)); // [2]
    b.add_func("base_fn", 1, TypeId(2)); // [3] FUNC
    b.add_var("base_var", 1, TypeId(1)); // [4] VAR
    b.add_datasec(".data", 4); // [5] DATASEC
    b.add_secinfo(TypeId(4), 0, 4).unwrap();
    b.add_decl_tag("base_tag", TypeId(3), -1); // [6] DECL_TAG
    b.add_ptr(TypeId(3)); // [7] PTR to FUNC (anonymous: copied, and walked)
    b
}

/// Split types that reach base type `target`, and the type expected to hold the
/// reference (`referrer`), for each unrepresentable kind.
fn unrepresentable_cases() -> Vec<(&'static str, Kind, u32, u32)> {
    // (what, kind of the base type, base id, id of the referring type)
    vec![
        ("decl tag on a base FUNC", Kind::FUNC, 3, 8),
        ("DATASEC entry of a base VAR", Kind::VAR, 4, 8),
        ("PTR to a base DATASEC", Kind::DATASEC, 5, 8),
        ("TYPEDEF of a base DECL_TAG", Kind::DECL_TAG, 6, 8),
        ("PTR to a base PTR to a FUNC", Kind::FUNC, 3, 7),
    ]
}

/// The split of case `i` of [`unrepresentable_cases`] over `base`.
fn unrepresentable_split<'b>(base: &'b Btf<'b>, i: usize) -> Builder<'b> {
    let mut s = Builder::new_split(base);
    match i {
        0 => {
            s.add_decl_tag("split_tag", TypeId(3), -1);
        }
        1 => {
            s.add_datasec(".bss", 4);
            s.add_secinfo(TypeId(4), 0, 4).unwrap();
        }
        2 => {
            s.add_ptr(TypeId(5));
        }
        3 => {
            s.add_typedef("t", TypeId(6));
        }
        _ => {
            s.add_ptr(TypeId(7));
        }
    }
    s
}

#[test]
fn split_reaching_unrepresentable_base_kinds_fails() {
    let b1 = bytes(&base_with_unrepresentable_kinds());
    let base = Btf::parse(&b1).unwrap();
    for (i, (what, kind, base_id, referrer)) in unrepresentable_cases().into_iter().enumerate() {
        let b2 = bytes(&unrepresentable_split(&base, i));
        let split = Btf::parse_split(&b2, &base).unwrap();
        let e = distill(&split).unwrap_err();
        let t = base.type_by_id(TypeId(base_id)).unwrap();
        assert_eq!(
            e,
            DistillError::UnexpectedBaseReference {
                referrer: TypeId(referrer),
                base_id: TypeId(base_id),
                kind,
                name: base.name_lossy(&t),
            },
            "{what}"
        );
        assert!(
            e.to_string().contains(&format!("[{base_id}]")),
            "{what}: {e}"
        );
    }
    // The same base with only representable references distills.
    let mut s = Builder::new_split(&base);
    s.add_ptr(TypeId(1));
    s.add_func_proto(TypeId(2)); // a base FUNC_PROTO is fine (copied)
    let b2 = bytes(&s);
    let split = Btf::parse_split(&b2, &base).unwrap();
    let d = distill(&split).expect("distills");
    assert_eq!((d.base_types, d.copied_types), (1, 1));
}
