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
