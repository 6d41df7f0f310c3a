//! Side-by-side parse benchmarks, btfkit against libbpf, on the same in-memory bytes.
//!
//! Run by hand: `cargo bench -p conformance --bench parse`. The corpus comes from
//! `BTFKIT_CORPUS`, or `/work/shared/corpus` when that is unset.
//!
//! For each corpus vmlinux (6.1 and 6.18), one group with:
//! - `btfkit_parse`: `btfkit::read::Btf::parse` (header, sections, index of every record);
//! - `btfkit_parse_validate`: the same plus `btfkit::validate::validate`;
//! - `libbpf_new`: libbpf's `btf__new` (copies the bytes, parses, sanity-checks);
//! - `libbpf_new_find`: `btf__new` plus one `btf__find_by_name_kind` lookup.
//!
//! And the largest module, amdgpu, as split BTF over the 6.1 vmlinux parsed beforehand
//! (`btfkit::read::Btf::parse_split` against `btf__new_split`).
//!
//! Ratios ours/libbpf: divide the `median` of a btfkit row by that of the libbpf row of
//! the same group (the run prints both next to each other).

use btfkit::read::Btf;
use btfkit::Kind;
use conformance::libbpf::LibbpfBtf;
use divan::{black_box, Bencher};
use std::sync::LazyLock;

fn main() {
    divan::main();
}

static VMLINUX_61: LazyLock<Vec<u8>> =
    LazyLock::new(|| test_support::read(test_support::bench_corpus().vmlinux61()));
static VMLINUX_618: LazyLock<Vec<u8>> =
    LazyLock::new(|| test_support::read(test_support::bench_corpus().vmlinux618().expect("6.18")));
static AMDGPU: LazyLock<Vec<u8>> = LazyLock::new(|| {
    test_support::read(
        test_support::bench_corpus()
            .module61("amdgpu")
            .expect("amdgpu"),
    )
});

/// One group of the four base-BTF benchmarks over the bytes in `$bytes`.
macro_rules! vmlinux_group {
    ($group:ident, $bytes:ident) => {
        mod $group {
            use super::*;

            #[divan::bench]
            fn btfkit_parse(b: Bencher) {
                let data: &[u8] = &$bytes;
                b.bench(|| Btf::parse(black_box(data)).expect("btfkit parse"));
            }

            #[divan::bench]
            fn btfkit_parse_validate(b: Bencher) {
                let data: &[u8] = &$bytes;
                b.bench(|| {
                    let btf = Btf::parse(black_box(data)).expect("btfkit parse");
                    let errs = btfkit::validate::validate(&btf);
                    (btf, errs)
                });
            }

            #[divan::bench]
            fn libbpf_new(b: Bencher) {
                let data: &[u8] = &$bytes;
                b.bench_local(|| LibbpfBtf::parse_raw(black_box(data)).expect("btf__new"));
            }

            #[divan::bench]
            fn libbpf_new_find(b: Bencher) {
                let data: &[u8] = &$bytes;
                b.bench_local(|| {
                    let btf = LibbpfBtf::parse_raw(black_box(data)).expect("btf__new");
                    let id = btf.find_by_name_kind("task_struct", Kind::STRUCT);
                    assert!(matches!(id, Ok(Some(_))));
                    btf
                });
            }
        }
    };
}

vmlinux_group!(vmlinux_6_1, VMLINUX_61);
vmlinux_group!(vmlinux_6_18, VMLINUX_618);

/// amdgpu (2,095,369 bytes, 26,731 types) as split BTF over the pre-parsed 6.1 vmlinux.
mod module_amdgpu {
    use super::*;

    static BASE: LazyLock<Btf<'static>> =
        LazyLock::new(|| Btf::parse(&VMLINUX_61).expect("btfkit parse base"));

    #[divan::bench]
    fn btfkit_parse_split(b: Bencher) {
        let base: &'static Btf<'static> = &BASE;
        let data: &'static [u8] = &AMDGPU;
        b.bench(|| Btf::parse_split(black_box(data), base).expect("btfkit parse_split"));
    }

    #[divan::bench]
    fn btfkit_parse_split_validate(b: Bencher) {
        let base: &'static Btf<'static> = &BASE;
        let data: &'static [u8] = &AMDGPU;
        b.bench(|| {
            let btf = Btf::parse_split(black_box(data), base).expect("btfkit parse_split");
            let errs = btfkit::validate::validate(&btf);
            (btf, errs)
        });
    }

    #[divan::bench]
    fn libbpf_new_split(b: Bencher) {
        let base = LibbpfBtf::parse_raw(&VMLINUX_61).expect("btf__new base");
        let data: &[u8] = &AMDGPU;
        b.bench_local(|| LibbpfBtf::parse_split(black_box(data), &base).expect("btf__new_split"));
    }
}
