//! The kernel selftests' `dedup_tests` (prog_tests/btf.c), run through btfkit: each
//! input is parsed and deduplicated (`btfkit::dedup::dedup`, as the selftest's
//! `btf__new` + `btf__dedup`) and must match the expected BTF. Appended to an empty BTF
//! and deduplicated (`dedup::merge`), the types must match too (the strings are kept
//! there, unused ones included, as libbpf keeps them). The same table runs against
//! libbpf in `crates/conformance/tests/dedup_selftest.rs`.

use btfkit::dedup::{dedup, merge};
use btfkit::Btf;
use test_support::dedup_selftests::{compare_with_expected, dedup_tests, raw_btf};

#[test]
fn selftest_table_through_btfkit() {
    let tests = dedup_tests();
    assert_eq!(tests.len(), 30, "the whole table is ported");
    let mut failures = Vec::new();
    for t in &tests {
        let input = raw_btf(&t.input);
        let expect = raw_btf(&t.expect);
        let btf = Btf::parse(&input).unwrap_or_else(|e| panic!("{}: input: {e}", t.descr));
        match dedup(&btf) {
            Ok(out) => {
                if let Err(e) = compare_with_expected(&out.bytes, &expect) {
                    failures.push(format!("{}: {e}", t.descr));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", t.descr)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn selftest_table_appended_keeps_strings_and_dedups_types() {
    for t in dedup_tests() {
        let input = raw_btf(&t.input);
        let expect = raw_btf(&t.expect);
        let btf = Btf::parse(&input).unwrap();
        let out = merge(None, &[&btf]).unwrap_or_else(|e| panic!("{}: {e}", t.descr));
        let got = Btf::parse(&out.bytes).unwrap();
        let want = Btf::parse(&expect).unwrap();
        assert_eq!(got.type_count(), want.type_count(), "{}", t.descr);
        for (a, b) in got.types().zip(want.types()) {
            assert_eq!(a.record().len(), b.record().len(), "{}", t.descr);
            assert_eq!(a.info(), b.info(), "{}", t.descr);
            assert_eq!(a.size_or_type(), b.size_or_type(), "{}", t.descr);
        }
        // Appended BTF keeps every string the input's types used.
        assert!(got.header().str_len >= want.header().str_len, "{}", t.descr);
    }
}

/// A split type referring past the last type is refused (`TypeIdOutOfRange`), also when
/// the base has an edge to a VAR (a base the passes cannot sign soundly): the fuzzer found
/// that such a base skipped the range check of the split's references, and the run then
/// indexed past its tables (fuzz/regressions/dedup/).
#[test]
fn out_of_range_split_reference_over_an_unsound_base_is_an_error() {
    use btfkit::write::Builder;
    use btfkit::{Endian, TypeId};
    let mut b = Builder::new();
    let int = b.add_int("int", 4, btfkit::raw::INT_SIGNED);
    let var = b.add_var("v", 0, int);
    b.add_ptr(var);
    let base_bytes = b.to_bytes(Endian::Little);
    let base = Btf::parse(&base_bytes).expect("base");
    for target in [TypeId(1000), TypeId(327_940)] {
        let mut s = Builder::new_split(&base);
        let ptr = s.add_ptr(target);
        s.add_ptr(ptr);
        let split_bytes = s.to_bytes(Endian::Little);
        let split = Btf::parse_split(&split_bytes, &base).expect("split parses unvalidated");
        match dedup(&split) {
            Err(btfkit::dedup::DedupError::TypeIdOutOfRange { target: t, .. }) => {
                assert_eq!(t, target)
            }
            other => panic!(
                "expected TypeIdOutOfRange, got {:?}",
                other.map(|d| d.bytes.len())
            ),
        }
    }
}
