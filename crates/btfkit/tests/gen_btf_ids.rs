//! `.BTF_ids` resolved from their symbols' names (`BtfIds::resolve_by_name`, what `btfkit
//! gen` writes into a module) against Linux 7.2's `resolve_btfids`: for each DWARF fixture
//! of `testdata/gen` (x86-64, arm64, s390x big-endian, i686 ELF32; a kfunc set8 listed
//! out of id order, a plain set, a list naming module, shared, vmlinux-only and missing
//! types), the section `resolve_btfids` wrote for the object against its final BTF, plain
//! (sorted by name, over the 6.1 vmlinux) and distilled (`--distill_base`), byte for byte.

use btfkit::elf::btf_ids::BtfIds;
use btfkit::Btf;
use test_support::{read, testdata, xz};

/// The symbols of `idx` entries of `ids`, sorted.
fn symbols(ids: &BtfIds, idx: &[usize]) -> Vec<String> {
    let mut v: Vec<String> = idx.iter().map(|&i| ids.entries[i].name.clone()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn resolved_as_resolve_btfids_does() {
    let vmlinux = xz(&testdata("linux-6.1/vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).expect("vmlinux");
    let mut checked = 0;
    for name in test_support::gen_fixtures() {
        let dir = testdata("gen");
        let object = xz(&dir.join(format!("{name}.o.xz")));
        let ids = BtfIds::parse(&object)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: no .BTF_ids"));
        assert!(
            ids.data.chunks(4).step_by(2).all(|w| w == [0; 4]),
            "{name}: the object's ids are not fresh"
        );

        let btf = read(&dir.join(format!("{name}.BTF")));
        let split = Btf::parse_split(&btf, &base).expect("final BTF");
        let r = ids
            .resolve_by_name(&split)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            r.data == read(&dir.join(format!("{name}.BTF_ids"))),
            "{name}: .BTF_ids differ from resolve_btfids'"
        );
        let unresolved = symbols(&ids, &r.unresolved);
        assert!(unresolved.contains(&"no_such_type".to_string()), "{name}");
        assert!(!unresolved.contains(&"my_kfunc".to_string()), "{name}");
        // Each entry said ambiguous has several types of its kind and name (vmlinux has
        // a `struct node` too: the first, the base's, is taken); each unresolved none.
        let of_kind = |i: usize| {
            let e = &ids.entries[i];
            split
                .find_by_name(e.name.as_bytes())
                .into_iter()
                .filter(|&t| split.type_by_id(t).unwrap().kind() == e.kind.btf_kind())
                .count()
        };
        assert!(r.ambiguous.iter().all(|&i| of_kind(i) > 1), "{name}");
        assert!(r.unresolved.iter().all(|&i| of_kind(i) == 0), "{name}");
        assert!(
            (0..ids.entries.len())
                .filter(|i| !r.ambiguous.contains(i) && !r.unresolved.contains(i))
                .all(|i| of_kind(i) == 1),
            "{name}"
        );
        // The kfunc set8 was listed use_inline (flags 0x5), my_kfunc (0x1000); sorted by
        // id the pairs swap with their flags.
        let set8 = ids
            .sets
            .iter()
            .find(|s| s.name == "fixture_kfuncs")
            .unwrap();
        let at = set8.offset as usize + 8;
        let word = |i: usize| ids.endian.u32(&r.data, at + 4 * i);
        let my_kfunc = split
            .find_by_name_kind(b"my_kfunc", btfkit::Kind::FUNC)
            .expect("my_kfunc");
        assert_eq!((word(0), word(1)), (my_kfunc.0, 0x1000), "{name}");
        assert_eq!(word(3), 0x5, "{name}");

        let dbase = read(&dir.join(format!("{name}.distilled.BTF.base")));
        let dsplit = read(&dir.join(format!("{name}.distilled.BTF")));
        let dbase = Btf::parse(&dbase).expect("distilled base");
        let dsplit = Btf::parse_split(&dsplit, &dbase).expect("distilled split");
        let r = ids
            .resolve_by_name(&dsplit)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            r.data == read(&dir.join(format!("{name}.distilled.BTF_ids"))),
            "{name}: distilled .BTF_ids differ from resolve_btfids --distill_base'"
        );
        assert!(
            symbols(&ids, &r.unresolved).contains(&"task_struct".to_string()),
            "{name}: task_struct is no type of the distilled base"
        );
        checked += 1;
    }
    test_support::assert_checked("fixtures", checked, 9);
}

#[test]
fn sets_past_the_section_are_errors() {
    let object = xz(&testdata("gen/x86_64.o.xz"));
    let mut ids = BtfIds::parse(&object).unwrap().unwrap();
    let vmlinux = xz(&testdata("linux-6.1/vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).expect("vmlinux");
    ids.sets[0].symbol_size = 8 * 1000;
    let e = ids.resolve_by_name(&base).unwrap_err();
    assert!(e.to_string().contains("past the end"), "{e}");
    ids.sets[0].symbol_size = 4;
    let e = ids.resolve_by_name(&base).unwrap_err();
    assert!(e.to_string().contains("too small"), "{e}");
}
