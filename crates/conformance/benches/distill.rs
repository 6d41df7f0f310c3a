//! Distilling every corpus module against the 6.1 vmlinux, side by side: btfkit and
//! libbpf single-threaded (module parse + distill + serialization of both blobs, the base
//! parsed once), and btfkit over all cores as the CLI's batch mode does it.
//!
//! Run by hand: `cargo bench -p conformance --bench distill` (corpus from `BTFKIT_CORPUS`,
//! default `/work/shared/corpus`). Ratio ours/libbpf: median of `btfkit_serial` over
//! median of `libbpf_serial`.

use btfkit::read::Btf;
use conformance::libbpf::LibbpfBtf;
use divan::{black_box, Bencher};
use rayon::prelude::*;
use std::sync::LazyLock;

fn main() {
    divan::main();
}

static VMLINUX: LazyLock<Vec<u8>> = LazyLock::new(|| {
    std::fs::read(test_support::bench_corpus().vmlinux61()).expect("corpus vmlinux")
});

static MODULES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    test_support::bench_corpus()
        .modules61()
        .iter()
        .map(|p| std::fs::read(p).expect("module"))
        .collect()
});

fn btfkit_one(base: &Btf<'_>, m: &[u8]) -> usize {
    let split = Btf::parse_split(m, base).expect("module parses");
    let d = btfkit::distill::distill(&split).expect("distills");
    d.base.len() + d.split.len()
}

#[divan::bench(sample_count = 10)]
fn btfkit_serial(b: Bencher) {
    let base = Btf::parse(&VMLINUX).expect("vmlinux");
    let modules = &*MODULES;
    b.bench(|| {
        modules
            .iter()
            .map(|m| btfkit_one(&base, black_box(m)))
            .sum::<usize>()
    });
}

#[divan::bench(sample_count = 10)]
fn btfkit_parallel(b: Bencher) {
    let base = Btf::parse(&VMLINUX).expect("vmlinux");
    let modules = &*MODULES;
    b.bench(|| {
        modules
            .par_iter()
            .map(|m| btfkit_one(&base, black_box(m)))
            .sum::<usize>()
    });
}

#[divan::bench(sample_count = 10)]
fn libbpf_serial(b: Bencher) {
    let base = LibbpfBtf::parse_raw(&VMLINUX).expect("vmlinux");
    let modules = &*MODULES;
    b.bench_local(|| {
        modules
            .iter()
            .map(|m| {
                let split = LibbpfBtf::parse_split(black_box(m), &base).expect("module parses");
                let (db, ds) = split.distill_base().expect("distills");
                db.raw_data().expect("raw").len() + ds.raw_data().expect("raw").len()
            })
            .sum::<usize>()
    });
}
