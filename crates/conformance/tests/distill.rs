//! Distill against libbpf 1.7 (`btf__distill_base`) on every 6.1 module (the corpus, or
//! the committed testdata): both output blobs byte-identical, in both byte orders; and the
//! round trip: libbpf relocating our distilled split back onto the original vmlinux gives
//! the original types back.

use btfkit::fields::FieldKind;
use btfkit::{Btf, Endian, TypeId};
use conformance::libbpf::LibbpfBtf;

fn distill_both(
    base: &Btf<'_>,
    lb_base: &LibbpfBtf,
    module: &[u8],
    name: &str,
) -> btfkit::distill::Distilled {
    let split = Btf::parse_split(module, base).unwrap_or_else(|e| panic!("{name}: {e}"));
    let ours = btfkit::distill::distill(&split).unwrap_or_else(|e| panic!("{name}: {e}"));
    let lb_split =
        LibbpfBtf::parse_split(module, lb_base).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (lb_dist_base, lb_dist_split) = lb_split
        .distill_base()
        .unwrap_or_else(|e| panic!("{name}: libbpf: {e}"));
    let lb_base_bytes = lb_dist_base.raw_data().expect("raw data");
    let lb_split_bytes = lb_dist_split.raw_data().expect("raw data");
    assert!(
        ours.base == lb_base_bytes,
        "{name}: distilled base differs from libbpf's ({} vs {} bytes)",
        ours.base.len(),
        lb_base_bytes.len()
    );
    assert!(
        ours.split == lb_split_bytes,
        "{name}: distilled split differs from libbpf's ({} vs {} bytes)",
        ours.split.len(),
        lb_split_bytes.len()
    );
    ours
}

#[test]
fn every_module_distills_like_libbpf() {
    let data = test_support::data();
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("vmlinux parses");
    let lb_base = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf parses vmlinux");
    let mut n = 0;
    let (mut bytes_in, mut base_out, mut split_out) = (0usize, 0usize, 0usize);
    for path in data.modules61() {
        let module = std::fs::read(path).expect("module");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let d = distill_both(&base, &lb_base, &module, &name);
        bytes_in += module.len();
        base_out += d.base.len();
        split_out += d.split.len();
        n += 1;
    }
    eprintln!(
        "{n} modules byte-identical to libbpf; .BTF {bytes_in} B -> split {split_out} B + distilled base {base_out} B"
    );
    test_support::assert_checked("modules", n, data.min_modules());
}

#[test]
fn big_endian_modules_distill_like_libbpf() {
    let data = test_support::data();
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let mut lb = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf parses vmlinux");
    lb.set_endianness(Endian::Big).expect("set endianness");
    let be_vmlinux = lb.raw_data().expect("raw");
    let base = Btf::parse(&be_vmlinux).expect("BE vmlinux parses");
    let lb_base = LibbpfBtf::parse_raw(&be_vmlinux).expect("libbpf parses BE vmlinux");
    let modules = data.modules61();
    let mut n = 0;
    for path in modules.iter().step_by(10) {
        n += 1;
        let module = std::fs::read(path).expect("module");
        let mut lbm =
            LibbpfBtf::parse_split(&module, &LibbpfBtf::parse_raw(&vmlinux).expect("base"))
                .expect("libbpf parses module");
        lbm.set_endianness(Endian::Big).expect("set endianness");
        let be_module = lbm.raw_data().expect("raw");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let d = distill_both(&base, &lb_base, &be_module, &name);
        assert_eq!(Btf::parse(&d.base).expect("parses").endian(), Endian::Big);
    }
    test_support::assert_checked("modules", n, data.min_modules().div_ceil(10));
}

/// The type an id field of the original split should point to after the round trip.
fn expected_after_round_trip(
    v: u32,
    d: &btfkit::distill::Distilled,
    orig_split_start: u32,
    dist_split_start: u32,
    orig_count: u32,
) -> Option<u32> {
    if v >= orig_split_start || v == 0 {
        return Some(v);
    }
    let new = d.id_map.get(TypeId(v)).expect("used base type is mapped").0;
    if new >= dist_split_start {
        // Copied into the split: after relocation, at the same index of the split.
        Some(orig_split_start + (new - dist_split_start))
    } else {
        // In the distilled base: relocation maps it back to a base type of that name.
        let _ = orig_count;
        None
    }
}

#[test]
fn distilled_modules_relocate_back_to_the_original_types() {
    let data = test_support::data();
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("vmlinux parses");
    let lb_base = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf parses vmlinux");
    let (mut checked_fields, mut n) = (0u64, 0);
    for path in data.modules61() {
        n += 1;
        let module = std::fs::read(path).expect("module");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let split = Btf::parse_split(&module, &base).expect("parses");
        let d = btfkit::distill::distill(&split).expect("distills");

        let lb_dist_base = LibbpfBtf::parse_raw(&d.base).expect("libbpf reads our distilled base");
        let lb_dist_split =
            LibbpfBtf::parse_split(&d.split, &lb_dist_base).expect("libbpf reads our split");
        lb_dist_split
            .relocate(&lb_base)
            .unwrap_or_else(|e| panic!("{name}: libbpf cannot relocate our output: {e}"));
        let relocated = lb_dist_split.raw_data().expect("raw");
        assert_eq!(
            relocated.len(),
            d.split.len(),
            "{name}: relocation keeps the size"
        );
        let reloc = Btf::parse_split(&relocated, &base).expect("relocated parses");
        assert_eq!(
            reloc.type_count(),
            split.type_count() + d.copied_types,
            "{name}"
        );

        let dist_split_start = d.base_types + 1;
        for (orig, new) in split.types().zip(reloc.types()) {
            let at = format!("{name}: type [{}]", orig.id());
            assert_eq!(orig.kind(), new.kind(), "{at}");
            assert_eq!(split.name(&orig), reloc.name(&new), "{at}");
            assert_eq!(orig.vlen(), new.vlen(), "{at}");
            assert_eq!(orig.kflag(), new.kflag(), "{at}");
            let ids = orig
                .fields(FieldKind::TypeIds)
                .map(|f| f.pos)
                .collect::<Vec<_>>();
            // Sizes, offsets, values: every non-id, non-string word is unchanged.
            let strs = orig
                .fields(FieldKind::StrOffsets)
                .map(|f| f.pos)
                .collect::<Vec<_>>();
            for pos in (4..orig.record().len()).step_by(4) {
                if !ids.contains(&pos) && !strs.contains(&pos) {
                    assert_eq!(orig.u32_at(pos), new.u32_at(pos), "{at} word at +{pos}");
                }
            }
            for (a, b) in orig
                .fields(FieldKind::StrOffsets)
                .zip(new.fields(FieldKind::StrOffsets))
            {
                assert_eq!(
                    split.str_at(btfkit::StrOffset(a.value)),
                    reloc.str_at(btfkit::StrOffset(b.value)),
                    "{at} string field at +{}",
                    a.pos
                );
            }
            for (a, b) in orig
                .fields(FieldKind::TypeIds)
                .zip(new.fields(FieldKind::TypeIds))
            {
                checked_fields += 1;
                match expected_after_round_trip(
                    a.value,
                    &d,
                    split.start_id().0,
                    dist_split_start,
                    0,
                ) {
                    Some(v) => assert_eq!(b.value, v, "{at} id field at +{}", a.pos),
                    None => {
                        let (ta, tb) = (
                            base.type_by_id(TypeId(a.value)).expect("base type"),
                            base.type_by_id(TypeId(b.value))
                                .expect("relocated to a base type"),
                        );
                        assert_eq!(ta.kind(), tb.kind(), "{at}");
                        assert_eq!(base.name(&ta), base.name(&tb), "{at}");
                        assert_eq!(ta.size(), tb.size(), "{at}");
                    }
                }
            }
        }
    }
    eprintln!("round trip: {n} modules, {checked_fields} type-id fields checked");
    test_support::assert_checked("modules", n, data.min_modules());
    test_support::assert_checked("type-id fields", checked_fields as usize, 100);
}
