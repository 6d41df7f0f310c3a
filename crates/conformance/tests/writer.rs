//! The writer against libbpf 1.7's builder API: the same BTF built by
//! `btfkit::write::Builder` and by libbpf must serialize to the same bytes, in both byte
//! orders (ours: `to_bytes(endian)`; libbpf: `btf__set_endianness` + `btf__raw_data`).
//!
//! - Real data (the corpus, or the committed testdata): every type of every vmlinux blob
//!   and of every 6.1 module (split over the 6.1 vmlinux) copied one by one (`btf__add_type` vs `Builder::add_type_copy`, through
//!   `Builder::from_btf`), and whole blobs appended (`btf__add_btf` vs
//!   `Builder::add_btf`).
//! - Builder API: a fixed BTF using every `add_*` (every kind, bitfields, negative enum
//!   values, signed ENUM64, varargs, DATASEC, decl tags with a component index, type
//!   tags, attributes), base and split over a parsed or a built base with strings shared
//!   with the base; and random call sequences (a fixed-seed generator), where a call
//!   libbpf rejects is left out of both, except misplaced element calls, which both must
//!   refuse.

use btfkit::write::Builder;
use btfkit::{Btf, Endian, TypeId};
use conformance::libbpf::LibbpfBtf;
use conformance::libbpf_build::{self, Op};
use std::time::Instant;

/// Compares our serialization with libbpf's in both byte orders. Leaves `lb` set to
/// big-endian output.
fn assert_same_bytes(ours: &Builder<'_>, lb: &mut LibbpfBtf, what: &str) {
    for endian in [Endian::Little, Endian::Big] {
        lb.set_endianness(endian).expect("set endianness");
        let theirs = lb.raw_data().expect("libbpf raw data");
        let mine = ours.to_bytes(endian);
        if mine != theirs {
            let at = mine
                .iter()
                .zip(&theirs)
                .position(|(a, b)| a != b)
                .unwrap_or(mine.len().min(theirs.len()));
            panic!(
                "{what} ({endian:?}): btfkit wrote {} bytes, libbpf {}; first difference at byte {at}",
                mine.len(),
                theirs.len()
            );
        }
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

// ---------------------------------------------------------------------------------------
// Corpus: type-by-type copies.

/// Copies every type of a base blob with both, compares. Returns the number of types.
fn copy_base_blob(data: &[u8], what: &str) -> u32 {
    let btf = Btf::parse(data).unwrap_or_else(|e| panic!("{what}: {e}"));
    let ours = Builder::from_btf(&btf).unwrap_or_else(|e| panic!("{what}: {e}"));
    let src = LibbpfBtf::parse_raw(data).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut dst = LibbpfBtf::new_empty().expect("new_empty");
    for id in 1..src.type_cnt() {
        dst.add_type(&src, id)
            .unwrap_or_else(|e| panic!("{what}: type [{id}]: {e}"));
    }
    assert_same_bytes(&ours, &mut dst, what);
    btf.type_count()
}

#[test]
fn vmlinux_copies_like_libbpf() {
    let data = test_support::data();
    let start = Instant::now();
    let mut n = 0;
    let vmlinuxes = data.vmlinuxes();
    test_support::assert_checked("vmlinux blobs", vmlinuxes.len(), data.min_vmlinuxes());
    for path in vmlinuxes {
        let data = std::fs::read(path).expect("vmlinux");
        n += copy_base_blob(&data, &path.display().to_string());
    }
    // A big-endian source: both read it in its order and copy the same types.
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let mut lb = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf parses vmlinux");
    lb.set_endianness(Endian::Big).expect("set endianness");
    let be = lb.raw_data().expect("raw");
    n += copy_base_blob(&be, "6.1 vmlinux, big-endian source");
    eprintln!(
        "{n} vmlinux types copied byte-identically to libbpf in {:.1?}",
        start.elapsed()
    );
}

#[test]
fn modules_copy_like_libbpf() {
    let data = test_support::data();
    let start = Instant::now();
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("vmlinux parses");
    let lb_base = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf parses vmlinux");
    // The pitfall of LIBBPF-NOTES.md: copying into a split over `lb_base` looks strings up
    // in it; it must be modifiable before any source string pointer is taken.
    lb_base.make_modifiable().expect("modifiable base");
    let (mut modules, mut types) = (0, 0u64);
    for path in data.modules61() {
        let data = std::fs::read(path).expect("module");
        let what = file_name(path);
        let split = Btf::parse_split(&data, &base).unwrap_or_else(|e| panic!("{what}: {e}"));
        let ours = Builder::from_btf(&split).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(ours.next_id(), split.next_id(), "{what}");
        let src = LibbpfBtf::parse_split(&data, &lb_base).unwrap_or_else(|e| panic!("{what}: {e}"));
        let mut dst = LibbpfBtf::new_empty_split(&lb_base).expect("new_empty_split");
        for id in src.start_id()..src.type_cnt() {
            dst.add_type(&src, id)
                .unwrap_or_else(|e| panic!("{what}: type [{id}]: {e}"));
        }
        assert_same_bytes(&ours, &mut dst, &what);
        modules += 1;
        types += split.type_count() as u64;
    }
    eprintln!(
        "{modules} modules ({types} types) copied byte-identically to libbpf, both byte orders, in {:.1?}",
        start.elapsed()
    );
    test_support::assert_checked("modules", modules, data.min_modules());
}

#[test]
fn add_btf_like_libbpf() {
    let data = test_support::data();
    let start = Instant::now();
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("vmlinux parses");
    let lb_base = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf parses vmlinux");
    lb_base.make_modifiable().expect("modifiable base");

    // A whole vmlinux appended after two types of our own: its ids shift by two.
    let mut ours = Builder::new();
    let mut lb = LibbpfBtf::new_empty().expect("new_empty");
    ours.add_int("int", 4, 1);
    ours.add_ptr(TypeId(1));
    lb.add_int("int", 4, 1).unwrap();
    lb.add_ptr(1).unwrap();
    assert_eq!(ours.add_btf(&base).expect("add_btf").0, 3);
    assert_eq!(lb.add_btf(&lb_base).expect("libbpf add_btf"), 3);
    assert_same_bytes(&ours, &mut lb, "vmlinux appended to a base with 2 types");

    // Every 10th module appended to a split (over the same base) that already has types;
    // then the same module again (its strings are all there by then).
    let mut n = 0;
    for path in data.modules61().iter().step_by(10) {
        let data = std::fs::read(path).expect("module");
        let what = file_name(path);
        let split = Btf::parse_split(&data, &base).expect("parses");
        let src = LibbpfBtf::parse_split(&data, &lb_base).expect("libbpf parses");
        let mut ours = Builder::new_split(&base);
        let mut lb = LibbpfBtf::new_empty_split(&lb_base).expect("new_empty_split");
        ours.add_struct("btfkit_first", 4);
        ours.add_member("task", TypeId(1), 0, 0).unwrap();
        lb.add_struct("btfkit_first", 4).unwrap();
        lb.add_field("task", 1, 0, 0).unwrap();
        for _ in 0..2 {
            let a = ours
                .add_btf(&split)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let b = lb.add_btf(&src).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(a.0, b, "{what}: first id");
        }
        assert_same_bytes(&ours, &mut lb, &what);
        n += 1;
    }
    eprintln!(
        "add_btf: vmlinux and {n} modules byte-identical to libbpf in {:.1?}",
        start.elapsed()
    );
    test_support::assert_checked("modules", n, data.min_modules().div_ceil(10));
}

#[test]
fn add_btf_rejects_split_over_another_base() {
    let mut b = Builder::new();
    b.add_int("int", 4, 1);
    let base_a = b.to_bytes(Endian::Little);
    let base_b = base_a.clone();
    let (a, bb) = (Btf::parse(&base_a).unwrap(), Btf::parse(&base_b).unwrap());
    let mut s = Builder::new_split(&a);
    s.add_ptr(TypeId(1));
    let split = s.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split, &a).unwrap();
    assert!(Builder::new().add_btf(&split).is_err(), "base builder");
    assert!(
        Builder::new_split(&bb).add_btf(&split).is_err(),
        "other base"
    );
    assert!(Builder::new_split(&a).add_btf(&split).is_ok(), "same base");
    // libbpf: EOPNOTSUPP for a split source over another base.
    let lb_a = LibbpfBtf::parse_raw(&base_a).unwrap();
    let lb_b = LibbpfBtf::parse_raw(&base_b).unwrap();
    let lb_split = LibbpfBtf::parse_split(&s.to_bytes(Endian::Little), &lb_a).unwrap();
    let e = LibbpfBtf::new_empty_split(&lb_b)
        .unwrap()
        .add_btf(&lb_split)
        .unwrap_err();
    assert_eq!(e.errno, 95, "{e}");
}

// ---------------------------------------------------------------------------------------
// The builder API, call by call.

/// Applies every op to both, all of which libbpf must accept; ids must agree.
fn apply_all(ours: &mut Builder<'_>, lb: &mut LibbpfBtf, ops: &[Op], what: &str) {
    libbpf_build::apply_all(ours, lb, ops).unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// A base using every call: ids in the comments.
fn every_call_base() -> Vec<Op> {
    use Op::*;
    vec![
        Int(b"int", 4, 1),           // [1]
        Int(b"unsigned char", 1, 0), // [2]
        Int(b"_Bool", 1, 4),         // [3]
        Int(b"char", 1, 2 | 1),      // [4]
        Int(b"__int128", 16, 1),     // [5]
        Float(b"double", 8),         // [6]
        Ptr(0),                      // [7] void *
        Ptr(1),                      // [8]
        Array(1, 1, 3),              // [9] int[3]
        Array(2, 5, 0),              // [10] flexible array, odd index type
        Struct(b"s", 24),            // [11]
        Field(b"a", 1, 0, 0),
        Field(b"", 9, 32, 0),      // anonymous member
        Field(b"bits", 1, 128, 3), // bitfield: kind flag from here
        Field(b"more", 1, 131, 29),
        Field(b"after", 8, 160, 0), // a plain member under the kind flag
        Union(b"", 8),              // [12] anonymous union
        Field(b"x", 1, 0, 0),
        Field(b"y", 8, 0, 0),
        Struct(b"empty", 0), // [13]
        Enum(b"e", 4),       // [14]
        EnumValue(b"A", 0),
        EnumValue(b"B", 0xffff_ffff),
        EnumValue(b"C", -1), // negative: signed from here
        Enum(b"", 1),        // [15] anonymous
        EnumValue(b"D", 2),
        Enum64(b"e64", 8, true), // [16] signed ENUM64
        Enum64Value(b"E", u64::MAX),
        Enum64Value(b"F", 1 << 40),
        Enum64(b"u64", 8, false), // [17]
        Enum64Value(b"G", 0x8000_0000_0000_0000),
        Fwd(b"fs", 0),           // [18]
        Fwd(b"fu", 1),           // [19]
        Fwd(b"fe", 2),           // [20] an ENUM of 4 bytes
        Typedef(b"myint", 1),    // [21]
        Volatile(1),             // [22]
        Const(22),               // [23]
        Restrict(8),             // [24]
        TypeTag(b"user", 1),     // [25]
        TypeAttr(b"percpu", 25), // [26]
        FuncProto(1),            // [27] int (int a, char *, ...)
        Param(b"a", 1),
        Param(b"", 8),
        Param(b"", 0),         // varargs
        FuncProto(0),          // [28] void (void)
        Func(b"f", 0, 27),     // [29] static
        Func(b"g", 1, 28),     // [30] global
        Func(b"h", 2, 27),     // [31] extern
        Var(b"v", 0, 1),       // [32]
        Var(b"w", 1, 11),      // [33]
        Var(b"x", 2, 6),       // [34]
        Datasec(b".data", 40), // [35]
        Secinfo(32, 0, 4),
        Secinfo(33, 8, 24),
        Secinfo(31, 32, 0),        // a FUNC in a DATASEC (.ksyms)
        Datasec(b".bss", 0),       // [36] empty section
        DeclTag(b"tag", 11, -1),   // [37] on the struct
        DeclTag(b"tag", 11, 2),    // [38] on member 2
        DeclTag(b"arg", 29, 0),    // [39] on parameter 0 of f
        DeclAttr(b"attr", 32, -1), // [40]
        Str(b"only a string"),
        Str(b"int"),     // already there
        Struct(b"s", 4), // [41] a duplicate name
        Field(b"a", 1, 0, 0),
    ]
}

/// A split over the base above: names shared with the base (kept at base offsets), new
/// names, and references into the base.
fn every_call_split() -> Vec<Op> {
    use Op::*;
    vec![
        Ptr(11),                         // [42]
        Struct(b"s", 8),                 // [43] base name
        Field(b"a", 1, 0, 0),            // base name
        Field(b"new_member", 42, 32, 0), // new name
        Typedef(b"myint", 43),           // [44] base name
        Enum(b"e_split", 4),             // [45]
        EnumValue(b"A", -5),             // base name, negative
        FuncProto(1),                    // [46]
        Param(b"a", 43),
        Param(b"", 0),
        Func(b"split_fn", 1, 46),      // [47]
        DeclTag(b"tag", 47, 0),        // [48] base string
        DeclTag(b"split tag", 43, -1), // [49]
        Var(b"sv", 1, 43),             // [50]
        Datasec(b".data", 8),          // [51] base name
        Secinfo(50, 0, 8),
        TypeTag(b"user", 42),     // [52]
        Enum64(b"e64", 8, false), // [53]
        Enum64Value(b"E", 7),
        Str(b"only a string"), // a base string: nothing added
        Str(b"split only"),
    ]
}

#[test]
fn every_builder_call_matches_libbpf() {
    let mut ours = Builder::new();
    let mut lb = LibbpfBtf::new_empty().expect("new_empty");
    apply_all(&mut ours, &mut lb, &every_call_base(), "base");
    assert_same_bytes(&ours, &mut lb, "base");
    let base_bytes = ours.to_bytes(Endian::Little);

    // Split over the parsed base (both sides).
    let base = Btf::parse(&base_bytes).expect("parses");
    let lb_base = LibbpfBtf::parse_raw(&base_bytes).expect("libbpf parses");
    let mut split = Builder::new_split(&base);
    let mut lb_split = LibbpfBtf::new_empty_split(&lb_base).expect("split");
    apply_all(
        &mut split,
        &mut lb_split,
        &every_call_split(),
        "split over parsed base",
    );
    assert_same_bytes(&split, &mut lb_split, "split over parsed base");
    assert!(
        split
            .strings()
            .bytes()
            .windows(11)
            .all(|w| w != b"only a stri"),
        "base strings are not repeated in the split"
    );

    // Split over the built base (libbpf: over the object it built).
    let mut split2 = Builder::new_split_over(&ours);
    let mut lb_split2 = LibbpfBtf::new_empty_split(&lb).expect("split");
    apply_all(
        &mut split2,
        &mut lb_split2,
        &every_call_split(),
        "split over built base",
    );
    assert_same_bytes(&split2, &mut lb_split2, "split over built base");
    assert_eq!(
        split2.to_bytes(Endian::Little),
        split.to_bytes(Endian::Little)
    );
    // A big-endian base: the split inherits libbpf's byte order; ours writes what it is
    // asked to.
    lb.set_endianness(Endian::Big).unwrap();
    let mut lb_split3 = LibbpfBtf::new_empty_split(&lb).expect("split");
    let mut split3 = Builder::new_split_over(&ours);
    apply_all(
        &mut split3,
        &mut lb_split3,
        &every_call_split(),
        "split over BE base",
    );
    assert_eq!(lb_split3.endianness(), Endian::Big);
    assert_eq!(
        lb_split3.raw_data().unwrap(),
        split3.to_bytes(Endian::Big),
        "split over a big-endian base"
    );
}

/// What `add_member` used to do differently: a member at bit offset 2^24 or more
/// followed by a bitfield (libbpf keeps the earlier offset word as it is), and a plain
/// member past 2^24 under the kind flag (libbpf ORs, never masks).
#[test]
fn member_offsets_past_24_bits_match_libbpf() {
    use Op::*;
    let ops = [
        Int(b"int", 4, 1),
        Struct(b"huge", 0x0300_0000),
        Field(b"far", 1, 0x0100_0000, 0),
        Field(b"bf", 1, 8, 3),
        Field(b"farther", 1, 0x0200_0020, 0),
        Union(b"u", 4),
        Field(b"b", 1, 0, 1),
    ];
    let mut ours = Builder::new();
    let mut lb = LibbpfBtf::new_empty().unwrap();
    apply_all(&mut ours, &mut lb, &ops, "offsets");
    assert_same_bytes(&ours, &mut lb, "offsets");
}

// ---------------------------------------------------------------------------------------
// Random call sequences.

/// xorshift64*: a fixed-seed generator (no dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

const NAMES: &[&[u8]] = &[
    b"",
    b"",
    b"a",
    b"b",
    b"int",
    b"s",
    b"task_struct",
    b"x y",
    b"\xff\xfe",
    b"caf\xc3\xa9",
    b"a_rather_long_name_to_make_the_string_section_grow",
    b"split_only_1",
    b"split_only_2",
];

/// A random call; ids are mostly valid (below `next_id + 2`), sometimes anything.
fn random_op(r: &mut Rng, next_id: u32) -> Op {
    let name = r.pick(NAMES);
    let id = if r.below(20) == 0 {
        r.next() as u32
    } else {
        r.below(next_id as u64 + 2) as u32
    };
    let size = r.pick(&[0u32, 1, 2, 3, 4, 8, 12, 16, 24, 100, 0xffff_ffff]);
    match r.below(30) {
        0 => Op::Str(name),
        1 => Op::Int(name, size, r.pick(&[0u8, 1, 2, 4, 3, 8])),
        2 => Op::Float(name, size),
        3 => Op::Ptr(id),
        4 => Op::Typedef(name, id),
        5 => Op::Volatile(id),
        6 => Op::Const(id),
        7 => Op::Restrict(id),
        8 => Op::TypeTag(name, id),
        9 => Op::TypeAttr(name, id),
        10 => Op::Array(id, r.below(next_id as u64) as u32, r.next() as u32),
        11 => Op::Struct(name, size),
        12 => Op::Union(name, size),
        13..=15 => Op::Field(
            name,
            id,
            r.pick(&[0u32, 8, 32, 3, 17, 64, 0x00ff_fff8, 0x0100_0000]),
            r.pick(&[0u8, 0, 1, 3, 31, 255]),
        ),
        16 => Op::Enum(name, size),
        17 | 18 => Op::EnumValue(
            name,
            r.pick(&[
                0i64,
                1,
                -1,
                i32::MIN as i64,
                u32::MAX as i64,
                1 << 33,
                -(1 << 33),
            ]),
        ),
        19 => Op::Enum64(name, size, r.below(2) == 0),
        20 => Op::Enum64Value(name, r.next()),
        21 => Op::Fwd(name, r.below(4) as u32),
        22 => Op::Func(name, r.below(4) as u32, id),
        23 => Op::FuncProto(id),
        24 => Op::Param(name, id),
        25 => Op::Var(name, r.below(4) as u32, id),
        26 => Op::Datasec(name, size),
        27 => Op::Secinfo(id, r.next() as u32, r.next() as u32),
        28 => Op::DeclTag(name, id, r.below(5) as i32 - 2),
        _ => Op::DeclAttr(name, id, r.below(5) as i32 - 2),
    }
}

/// Whether element call `op` is misplaced on `lb`: no own type yet, or a last type of a
/// kind that has no such elements.
fn misplaced(op: &Op, lb: &LibbpfBtf) -> bool {
    op.is_element()
        && (lb.type_cnt() == lb.start_id()
            || lb
                .type_info(lb.type_cnt() - 1)
                .is_some_and(|t| !op.element_of().contains(&t.kind)))
}

/// Runs `n` random calls on both. Calls libbpf accepts, ours must accept with the same
/// id; misplaced element calls (refused by libbpf) ours must refuse, adding nothing;
/// other calls libbpf refuses are left out of ours. Returns (accepted, misplaced).
fn random_calls(
    r: &mut Rng,
    ours: &mut Builder<'_>,
    lb: &mut LibbpfBtf,
    n: usize,
) -> (usize, usize) {
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..n {
        let op = random_op(r, lb.type_cnt());
        let misplaced = misplaced(&op, lb);
        if op.apply_libbpf(lb).is_ok() {
            assert!(!misplaced, "libbpf accepts {op:?}");
            let id = op
                .apply_builder(ours)
                .unwrap_or_else(|e| panic!("libbpf accepts {op:?}, btfkit: {e}"));
            if let Some(id) = id {
                assert_eq!(id.0 + 1, lb.type_cnt(), "{op:?}");
            }
            accepted += 1;
        } else if misplaced {
            op.apply_builder(ours)
                .expect_err("libbpf refuses a misplaced element; so must btfkit");
            refused += 1;
        }
    }
    (accepted, refused)
}

#[test]
fn random_call_sequences_match_libbpf() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut calls, mut accepted, mut refused) = (0, 0, 0);
    let mut run = |r: &mut Rng, ours: &mut Builder<'_>, lb: &mut LibbpfBtf, n: usize| {
        let (a, m) = random_calls(r, ours, lb, n);
        accepted += a;
        refused += m;
    };
    for case in 0..300 {
        let len = 1 + r.below(80) as usize;
        let mut ours = Builder::new();
        let mut lb = LibbpfBtf::new_empty().unwrap();
        run(&mut r, &mut ours, &mut lb, len);
        calls += len;
        assert_same_bytes(&ours, &mut lb, &format!("case {case} base"));

        let base_bytes = ours.to_bytes(Endian::Little);
        let base = Btf::parse(&base_bytes).expect("parses");
        // libbpf would refuse to parse most random bases (it checks them): its split
        // goes over the object it built, ours over the parsed bytes.
        let mut split = Builder::new_split(&base);
        let mut lb_split = LibbpfBtf::new_empty_split(&lb).unwrap();
        let len = r.below(60) as usize;
        run(&mut r, &mut split, &mut lb_split, len);
        calls += len;
        assert_same_bytes(&split, &mut lb_split, &format!("case {case} split"));
    }
    eprintln!(
        "{calls} random calls, {accepted} accepted by libbpf, all byte-identical; \
         {refused} misplaced element calls refused by both"
    );
    assert!(
        accepted > 1000 && refused > 100,
        "{accepted} accepted, {refused} refused"
    );
}

/// Element calls where the last type cannot take them, and values their fields cannot
/// hold: libbpf refuses each (`-EINVAL`, `-E2BIG`), so does the builder, and neither adds
/// anything: the blobs stay byte-identical as building goes on.
#[test]
fn misplaced_element_calls_are_refused_like_libbpf() {
    use btfkit::write::BuildError;
    use Op::*;
    let mut ours = Builder::new();
    let mut lb = LibbpfBtf::new_empty().unwrap();
    let refused = |ours: &mut Builder<'_>, lb: &mut LibbpfBtf, op: Op| -> BuildError {
        let theirs = op.apply_libbpf(lb).expect_err("libbpf refuses it");
        let e = op
            .apply_builder(ours)
            .expect_err(&format!("libbpf refuses {op:?} ({theirs}); so must btfkit"));
        assert_same_bytes(ours, lb, &format!("after {op:?}"));
        e
    };
    // Nothing to add to yet.
    for op in [
        Field(b"x", 0, 0, 0),
        EnumValue(b"A", 1),
        Enum64Value(b"A", 1),
        Param(b"", 0),
        Secinfo(0, 0, 0),
    ] {
        assert!(matches!(
            refused(&mut ours, &mut lb, op),
            BuildError::NoType { .. }
        ));
    }
    // After each kind, every element call of another kind.
    let elements = [
        Field(b"x", 1, 0, 0),
        EnumValue(b"A", 1),
        Enum64Value(b"A", 1),
        Param(b"p", 1),
        Secinfo(1, 0, 4),
    ];
    let types = [
        Int(b"int", 4, 1),
        Ptr(1),
        Array(1, 1, 2),
        Struct(b"s", 4),
        Union(b"u", 4),
        Enum(b"e", 4),
        Enum64(b"e64", 8, false),
        Fwd(b"f", 0),
        Typedef(b"t", 1),
        FuncProto(1),
        Func(b"fn", 1, 10),
        Var(b"v", 1, 1),
        Datasec(b".data", 4),
        Float(b"float", 4),
        DeclTag(b"tag", 1, -1),
        TypeTag(b"tt", 1),
    ];
    let mut wrong_kind = 0;
    for t in types {
        apply_all(&mut ours, &mut lb, std::slice::from_ref(&t), "type");
        let kind = lb.type_info(lb.type_cnt() - 1).unwrap().kind;
        for el in &elements {
            if el.element_of().contains(&kind) {
                // The right place: accepted by both, same bytes.
                apply_all(&mut ours, &mut lb, std::slice::from_ref(el), "element");
            } else {
                assert!(matches!(
                    refused(&mut ours, &mut lb, el.clone()),
                    BuildError::WrongKind { .. }
                ));
                wrong_kind += 1;
            }
        }
    }
    assert_eq!(wrong_kind, 16 * 5 - 6);
    // Values the fields cannot hold.
    apply_all(&mut ours, &mut lb, &[Struct(b"big", 1 << 22)], "struct");
    assert!(matches!(
        refused(&mut ours, &mut lb, Field(b"bf", 1, 1 << 24, 3)),
        BuildError::BitfieldOffset { .. }
    ));
    apply_all(&mut ours, &mut lb, &[Enum(b"e2", 4)], "enum");
    for v in [u32::MAX as i64 + 1, i32::MIN as i64 - 1] {
        assert!(matches!(
            refused(&mut ours, &mut lb, EnumValue(b"V", v)),
            BuildError::EnumValueRange { .. }
        ));
    }
    apply_all(
        &mut ours,
        &mut lb,
        &[
            EnumValue(b"MAX", u32::MAX as i64),
            EnumValue(b"MIN", i32::MIN as i64),
        ],
        "enum values at the limits",
    );
    assert_same_bytes(&ours, &mut lb, "end");
}
