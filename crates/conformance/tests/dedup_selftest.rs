//! The kernel selftests' `dedup_tests` (prog_tests/btf.c) against libbpf 1.7: libbpf's
//! `btf__dedup` (with the test's options) must give the expected BTF, compared as the
//! selftest compares, and btfkit's `dedup` must give libbpf's bytes exactly, with and
//! without forced hash collisions (which change libbpf's buckets, not its results).
//! Appended to an empty BTF and deduplicated, btfkit's `merge` must give libbpf's bytes
//! too. The table is `test_support::dedup_selftests`, shared with
//! `crates/btfkit/tests/dedup_selftest.rs`.

use btfkit::dedup::{dedup, merge};
use btfkit::Btf;
use conformance::libbpf::LibbpfBtf;
use test_support::dedup_selftests::{compare_with_expected, dedup_tests, raw_btf};

#[test]
fn selftest_table_libbpf_and_btfkit() {
    let tests = dedup_tests();
    let mut failures = Vec::new();
    for t in &tests {
        let input = raw_btf(&t.input);
        let expect = raw_btf(&t.expect);
        let ours = dedup(&Btf::parse(&input).expect("input parses"))
            .unwrap_or_else(|e| panic!("{}: btfkit: {e}", t.descr))
            .bytes;
        for force in [t.force_collisions, !t.force_collisions] {
            let mut lb = LibbpfBtf::parse_raw(&input).expect("libbpf parses the input");
            lb.dedup_with(force)
                .unwrap_or_else(|e| panic!("{}: libbpf: {e}", t.descr));
            let theirs = lb.raw_data().expect("raw data");
            if force == t.force_collisions {
                if let Err(e) = compare_with_expected(&theirs, &expect) {
                    failures.push(format!("{}: libbpf: {e}", t.descr));
                }
            }
            if ours != theirs {
                failures.push(format!(
                    "{} (force_collisions {force}): btfkit's bytes differ from libbpf's",
                    t.descr
                ));
            }
        }
        // Appended to an empty BTF: strings are not deduplicated then.
        let ours = merge(None, &[&Btf::parse(&input).unwrap()])
            .unwrap_or_else(|e| panic!("{}: btfkit merge: {e}", t.descr))
            .bytes;
        let lb_in = LibbpfBtf::parse_raw(&input).unwrap();
        let lb = LibbpfBtf::merge(None, &[&lb_in])
            .unwrap_or_else(|e| panic!("{}: libbpf merge: {e}", t.descr));
        if ours != lb.raw_data().unwrap() {
            failures.push(format!("{}: merge: bytes differ from libbpf's", t.descr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{} selftest cases: libbpf gives the expected BTF, btfkit gives libbpf's bytes",
        tests.len()
    );
}
