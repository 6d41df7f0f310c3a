//! Dedup side by side with libbpf on the same bytes, one core:
//!
//! - `merge_all`: the whole-kernel merge, what `btfkit dedup --base vmlinux.btf
//!   modules/*.btf` does: parse vmlinux and all 2,796 corpus modules, append every module
//!   to an empty split BTF over vmlinux (libbpf: `btf__new_empty_split`, `btf__add_btf`),
//!   deduplicate (`btf__dedup`) and serialize (`btf__raw_data`).
//! - `dedup_only`: the deduplication step of the same merge alone (the appended BTF is
//!   prepared outside the timing).
//! - `module`: one large module (amdgpu) parsed and deduplicated against vmlinux, as a
//!   producer deduplicates one module's BTF (and against a base prepared once).
//!
//! Run by hand: `cargo bench -p conformance --bench dedup`. Ratio: median of a `libbpf`
//! row over the matching `btfkit` row. Peak memory of the merge, each implementation in
//! its own process: `cargo run --release -p conformance --example dedup_merge`.

use btfkit::read::Btf;
use btfkit::write::Builder;
use conformance::libbpf::LibbpfBtf;
use divan::{black_box, Bencher};
use std::sync::LazyLock;

fn main() {
    divan::main();
}

static V61: LazyLock<Vec<u8>> =
    LazyLock::new(|| std::fs::read(test_support::bench_corpus().vmlinux61()).expect("vmlinux"));

static MODULES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    test_support::bench_corpus()
        .modules61()
        .iter()
        .map(|p| std::fs::read(p).expect("module"))
        .collect()
});

static AMDGPU: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let p = test_support::bench_corpus()
        .module61("amdgpu")
        .expect("amdgpu in the corpus");
    std::fs::read(p).expect("amdgpu")
});

mod merge_all {
    use super::*;

    #[divan::bench(sample_count = 10)]
    fn btfkit() -> usize {
        let base = Btf::parse(black_box(&V61)).expect("vmlinux");
        let splits: Vec<Btf<'_>> = MODULES
            .iter()
            .map(|m| Btf::parse_split(m, &base).expect("module"))
            .collect();
        let refs: Vec<&Btf<'_>> = splits.iter().collect();
        btfkit::dedup::merge(Some(&base), &refs)
            .expect("dedup")
            .bytes
            .len()
    }

    #[divan::bench(sample_count = 10)]
    fn libbpf() -> usize {
        let base = LibbpfBtf::parse_raw(black_box(&V61)).expect("vmlinux");
        let mut out = LibbpfBtf::new_empty_split(&base).expect("new");
        for m in MODULES.iter() {
            let split = LibbpfBtf::parse_split(m, &base).expect("module");
            out.add_btf(&split).expect("add");
        }
        out.dedup().expect("dedup");
        out.raw_data().expect("raw").len()
    }
}

mod dedup_only {
    use super::*;

    static BASE: LazyLock<Btf<'static>> = LazyLock::new(|| Btf::parse(&V61).expect("vmlinux"));

    fn appended() -> Builder<'static> {
        let mut b = Builder::new_split(&BASE);
        for m in MODULES.iter() {
            let split = Btf::parse_split(m, &BASE).expect("module");
            b.add_btf(&split).expect("add");
        }
        b
    }

    #[divan::bench(sample_count = 10)]
    fn btfkit(bencher: Bencher) {
        bencher
            .with_inputs(appended)
            .bench_local_refs(|b| btfkit::dedup::dedup_builder(b).expect("dedup"));
    }

    #[divan::bench(sample_count = 10)]
    fn libbpf(bencher: Bencher) {
        let base = LibbpfBtf::parse_raw(&V61).expect("vmlinux");
        bencher
            .with_inputs(|| {
                let mut out = LibbpfBtf::new_empty_split(&base).expect("new");
                for m in MODULES.iter() {
                    let split = LibbpfBtf::parse_split(m, &base).expect("module");
                    out.add_btf(&split).expect("add");
                }
                out.make_modifiable().expect("modifiable");
                out
            })
            .bench_local_refs(|lb| lb.dedup().expect("dedup"));
    }
}

mod module {
    use super::*;

    #[divan::bench(sample_count = 20)]
    fn btfkit(bencher: Bencher) {
        let base = Btf::parse(&V61).expect("vmlinux");
        bencher.bench_local(|| {
            let split = Btf::parse_split(black_box(&AMDGPU), &base).expect("module");
            btfkit::dedup::dedup(&split).expect("dedup").bytes.len()
        });
    }

    /// With the base prepared once (`DedupBase`), as a tool deduplicating many modules
    /// against one vmlinux does; libbpf has no such thing and repeats it for each.
    #[divan::bench(sample_count = 20)]
    fn btfkit_prepared_base(bencher: Bencher) {
        let base = Btf::parse(&V61).expect("vmlinux");
        let prepared = btfkit::dedup::DedupBase::new(&base).expect("prepares");
        bencher.bench_local(|| {
            let split = Btf::parse_split(black_box(&AMDGPU), &base).expect("module");
            prepared.dedup(&split).expect("dedup").bytes.len()
        });
    }

    #[divan::bench(sample_count = 20)]
    fn libbpf(bencher: Bencher) {
        let base = LibbpfBtf::parse_raw(&V61).expect("vmlinux");
        bencher.bench_local(|| {
            let mut split = LibbpfBtf::parse_split(black_box(&AMDGPU), &base).expect("module");
            split.dedup().expect("dedup");
            split.raw_data().expect("raw").len()
        });
    }
}
