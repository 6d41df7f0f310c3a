//! The whole pipeline of `btfkit::module::generate` (pahole's encoder, deduplication
//! against the vmlinux, `resolve_btfids`) on the DWARF fixtures of `testdata/gen` (x86-64,
//! arm64, s390x big-endian, i686 ELF32; DWARF 4 and 5, type units, zlib and zstd debug
//! sections, LTO), against what Linux 7.2's tools wrote for each over the 6.1 vmlinux
//! (`testdata/gen/make.sh`): pahole 1.32's `.BTF.1` (libbpf's order, nothing sorted),
//! `resolve_btfids`' `.BTF` and `.BTF_ids` (the kernel's order) and `resolve_btfids
//! --distill_base`'s `.BTF`, `.BTF.base` and `.BTF_ids`, byte for byte. Then `gen`
//! writes them into the object, and the object so written gives the same BTF again.

use btfkit::dedup::DedupBase;
use btfkit::elf::btf_ids::SECTION;
use btfkit::module::{self, GenOptions, GeneratedBtf};
use btfkit::sort::Order;
use btfkit::Btf;
use test_support::{read, testdata, xz};

fn golden(name: &str, ext: &str) -> Vec<u8> {
    read(&testdata("gen").join(format!("{name}.{ext}")))
}

fn generate(object: &[u8], vmlinux: &DedupBase<'_>, distill: bool, order: Order) -> GeneratedBtf {
    module::generate(object, vmlinux, &GenOptions { distill, order })
        .unwrap_or_else(|e| panic!("generate (distill {distill}, {order}): {e}"))
}

fn section(elf: &[u8], name: &str) -> Option<Vec<u8>> {
    use object::{Object, ObjectSection};
    let f = object::File::parse(elf).expect("ELF");
    let s = f.section_by_name(name)?;
    Some(s.data().expect("section data").to_vec())
}

#[test]
fn generate_gives_what_pahole_and_resolve_btfids_wrote() {
    let vmlinux = xz(&testdata("linux-6.1/vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).expect("vmlinux");
    let prepared = DedupBase::new(&base).expect("prepared base");
    let mut checked = 0;
    for name in test_support::gen_fixtures() {
        let object = xz(&testdata("gen").join(format!("{name}.o.xz")));

        // pahole's output: deduplicated, in encoding order.
        let g = generate(&object, &prepared, false, Order::Libbpf);
        assert!(
            g.btf == golden(&name, "BTF.1"),
            "{name}: .BTF differs from pahole's .BTF.1"
        );
        assert!(g.base.is_none(), "{name}");

        // resolve_btfids: sorted by name, .BTF_ids resolved.
        let g = generate(&object, &prepared, false, Order::Kernel);
        assert!(
            g.btf == golden(&name, "BTF"),
            "{name}: .BTF differs from resolve_btfids'"
        );
        assert!(
            g.btf_ids.as_deref() == Some(&golden(&name, "BTF_ids")[..]),
            "{name}: .BTF_ids differ from resolve_btfids'"
        );
        let ids = g.summary.ids.as_ref().expect("the fixtures have .BTF_ids");
        assert!(
            ids.unresolved.contains(&"no_such_type".to_string()),
            "{name}"
        );
        assert_eq!(g.summary.order, Order::Kernel);

        // resolve_btfids --distill_base.
        let d = generate(&object, &prepared, true, Order::Kernel);
        assert!(
            d.btf == golden(&name, "distilled.BTF"),
            "{name}: distilled .BTF differs"
        );
        assert!(
            d.base.as_deref() == Some(&golden(&name, "distilled.BTF.base")[..]),
            "{name}: .BTF.base differs"
        );
        assert!(
            d.btf_ids.as_deref() == Some(&golden(&name, "distilled.BTF_ids")[..]),
            "{name}: distilled .BTF_ids differ"
        );
        let dbase = Btf::parse(d.base.as_deref().unwrap()).expect("distilled base parses");
        assert_eq!(d.summary.base_types, Some(dbase.type_count()), "{name}");
        let dsplit = Btf::parse_split(&d.btf, &dbase).expect("distilled split parses");
        assert_eq!(d.summary.types, dsplit.type_count(), "{name}");
        let plain = Btf::parse_split(&g.btf, &base).expect("generated BTF parses");
        assert_eq!(g.summary.types, plain.type_count(), "{name}");

        // Written into the object, which then gives the same BTF again (its .BTF_ids
        // resolved now, and put back as the compiler left them).
        let written = module::gen(
            &object,
            &prepared,
            &GenOptions {
                distill: true,
                order: Order::Kernel,
            },
        )
        .expect("gen");
        let elf = &written.patched.elf;
        assert!(
            section(elf, ".BTF").as_deref() == Some(&d.btf[..]),
            "{name}"
        );
        assert!(section(elf, ".BTF.base") == d.base, "{name}");
        assert!(section(elf, SECTION) == d.btf_ids, "{name}");
        let again = generate(elf, &prepared, true, Order::Kernel);
        assert!(
            again.btf == d.btf && again.base == d.base && again.btf_ids == d.btf_ids,
            "{name}: regenerating a generated object differs"
        );
        // Without --distill an old .BTF.base goes.
        let plain = module::gen(
            elf,
            &prepared,
            &GenOptions {
                distill: false,
                order: Order::Kernel,
            },
        )
        .expect("gen");
        assert!(section(&plain.patched.elf, ".BTF.base").is_none(), "{name}");
        assert!(
            section(&plain.patched.elf, ".BTF").as_deref() == Some(&golden(&name, "BTF")[..]),
            "{name}"
        );
        checked += 1;
    }
    test_support::assert_checked("fixtures generated", checked, 9);
}

/// libbpf's order with distillation: libbpf 1.7's `btf__distill_base` of pahole's output,
/// with the vmlinux types `.BTF_ids` name kept and the ids mapped through.
#[test]
fn libbpf_order_distills_pahole_output_keeping_btf_ids_types() {
    let vmlinux = xz(&testdata("linux-6.1/vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).expect("vmlinux");
    let prepared = DedupBase::new(&base).expect("prepared base");
    let name = "x86_64";
    let object = xz(&testdata("gen").join(format!("{name}.o.xz")));
    let d = generate(&object, &prepared, true, Order::Libbpf);
    let pahole = golden(name, "BTF.1");
    let split = Btf::parse_split(&pahole, &base).expect(".BTF.1");
    let want = btfkit::distill::distill(&split).expect("plain distill");
    assert!(
        d.base.as_deref() != Some(&want.base[..]),
        "the .BTF_ids' vmlinux types are kept too"
    );
    // task_struct, a vmlinux type the fixture's list names and its code does not use, is
    // in the distilled base, and the written entry names it there.
    let db = Btf::parse(d.base.as_deref().unwrap()).unwrap();
    let ds = Btf::parse_split(&d.btf, &db).unwrap();
    let kept = db
        .find_by_name_kind(b"task_struct", btfkit::Kind::STRUCT)
        .expect("task_struct kept");
    let written = module::gen(
        &object,
        &prepared,
        &GenOptions {
            distill: true,
            order: Order::Libbpf,
        },
    )
    .expect("gen");
    let ids = btfkit::elf::btf_ids::BtfIds::parse(&written.patched.elf)
        .unwrap()
        .unwrap();
    let e = ids
        .entries
        .iter()
        .find(|e| e.name == "task_struct")
        .expect("entry");
    assert_eq!(e.stored, kept.0);
    assert!(ds.type_by_id(kept).is_some());
    assert!(section(&written.patched.elf, ".BTF").as_deref() == Some(&d.btf[..]));
}
