//! Relocating every distilled corpus module, side by side: btfkit (target parsed and
//! indexed once, as `btfkit check` does) against libbpf (`btf__relocate` per module, as
//! libbpf and the kernel do), onto the 6.1 vmlinux the modules came from (every module
//! relocates) and onto the 6.18 vmlinux (every module fails; btfkit lists every reason,
//! libbpf stops at the first). Plus a single module (nf_tables) including the target's
//! parse, the cost of a one-off `btfkit relocate`.
//!
//! Run by hand: `cargo bench -p conformance --bench relocate`. Ratio ours/libbpf: median
//! of a `btfkit_*` row over the matching `libbpf_*` row.

use btfkit::read::Btf;
use conformance::libbpf::LibbpfBtf;
use divan::{black_box, Bencher};
use std::sync::LazyLock;

fn main() {
    divan::main();
}

static V61: LazyLock<Vec<u8>> =
    LazyLock::new(|| std::fs::read(test_support::bench_corpus().vmlinux61()).expect("vmlinux"));
static V618: LazyLock<Vec<u8>> = LazyLock::new(|| {
    std::fs::read(test_support::bench_corpus().vmlinux618().expect("6.18")).expect("vmlinux")
});

/// A module's name, distilled base and distilled split.
type Distilled = (String, Vec<u8>, Vec<u8>);

/// Every corpus module, distilled.
static DISTILLED: LazyLock<Vec<Distilled>> = LazyLock::new(|| {
    let base = Btf::parse(&V61).expect("vmlinux");
    test_support::bench_corpus()
        .modules61()
        .iter()
        .map(|p| {
            let m = std::fs::read(p).expect("module");
            let split = Btf::parse_split(&m, &base).expect("module");
            let d = btfkit::distill::distill(&split).expect("distills");
            (
                p.file_stem().expect("stem").to_string_lossy().into_owned(),
                d.base,
                d.split,
            )
        })
        .collect()
});

fn btfkit_all(target: &Btf<'_>) -> usize {
    DISTILLED
        .iter()
        .map(|(_, db, ds)| {
            let db = Btf::parse(black_box(db)).expect("base");
            let ds = Btf::parse_split(ds, &db).expect("split");
            match btfkit::relocate::relocate(&ds, target, Default::default()) {
                Ok(r) => r.split.len(),
                Err(e) => e.failures().len(),
            }
        })
        .sum()
}

fn libbpf_all(target: &LibbpfBtf) -> usize {
    DISTILLED
        .iter()
        .map(|(_, db, ds)| {
            let db = LibbpfBtf::parse_raw(black_box(db)).expect("base");
            let ds = LibbpfBtf::parse_split(ds, &db).expect("split");
            match ds.relocate(target) {
                Ok(()) => ds.raw_data().expect("raw").len(),
                Err(_) => 1,
            }
        })
        .sum()
}

#[divan::bench(sample_count = 5)]
fn btfkit_all_onto_6_1(b: Bencher) {
    let target = Btf::parse(&V61).expect("vmlinux");
    let _ = target.find_by_name(b"int");
    LazyLock::force(&DISTILLED);
    b.bench(|| btfkit_all(&target));
}

#[divan::bench(sample_count = 5)]
fn libbpf_all_onto_6_1(b: Bencher) {
    let target = LibbpfBtf::parse_raw(&V61).expect("vmlinux");
    LazyLock::force(&DISTILLED);
    b.bench_local(|| libbpf_all(&target));
}

#[divan::bench(sample_count = 5)]
fn btfkit_all_onto_6_18(b: Bencher) {
    let target = Btf::parse(&V618).expect("vmlinux");
    let _ = target.find_by_name(b"int");
    LazyLock::force(&DISTILLED);
    b.bench(|| btfkit_all(&target));
}

#[divan::bench(sample_count = 5)]
fn libbpf_all_onto_6_18(b: Bencher) {
    let target = LibbpfBtf::parse_raw(&V618).expect("vmlinux");
    LazyLock::force(&DISTILLED);
    b.bench_local(|| libbpf_all(&target));
}

fn nf_tables() -> &'static Distilled {
    DISTILLED
        .iter()
        .find(|(n, _, _)| n == "nf_tables")
        .expect("nf_tables")
}

#[divan::bench(sample_count = 20)]
fn btfkit_one_module_with_target_parse(b: Bencher) {
    let (_, db, ds) = nf_tables();
    b.bench(|| {
        let target = Btf::parse(black_box(&V61)).expect("vmlinux");
        let db = Btf::parse(db).expect("base");
        let ds = Btf::parse_split(ds, &db).expect("split");
        btfkit::relocate::relocate(&ds, &target, Default::default())
            .expect("relocates")
            .split
            .len()
    });
}

#[divan::bench(sample_count = 20)]
fn libbpf_one_module_with_target_parse(b: Bencher) {
    let (_, db, ds) = nf_tables();
    b.bench_local(|| {
        let target = LibbpfBtf::parse_raw(black_box(&V61)).expect("vmlinux");
        let db = LibbpfBtf::parse_raw(db).expect("base");
        let ds = LibbpfBtf::parse_split(ds, &db).expect("split");
        ds.relocate(&target).expect("relocates");
        ds.raw_data().expect("raw").len()
    });
}
