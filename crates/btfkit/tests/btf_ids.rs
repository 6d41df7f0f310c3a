//! `.BTF_ids`: reading it as resolve_btfids does, judging it against a BTF, rewriting it
//! into a distilled or retargeted id space. On relocatable objects built here (ELF32 and
//! ELF64, both byte orders) with each entry form: `BTF_ID_LIST` with single ids, an
//! unused slot and an unresolved entry, a `BTF_SET`, a `BTF_KFUNCS` set8 with flags.

use btfkit::distill::{distill, DistillError};
use btfkit::elf::btf_ids::{BtfIds, BtfIdsError, EntryKind, SetKind, Status};
use btfkit::write::Builder;
use btfkit::{raw, Btf, Kind, TypeId};

// ---------------------------------------------------------------------------------------
// A tiny ELF writer: ET_REL with .text, .BTF_ids, .symtab, .strtab, .shstrtab.

use test_support::btf_ids::*;

fn module_elf(class: Class, src: &[Src], btf: Option<&Btf<'_>>) -> Vec<u8> {
    let (data, syms) = assemble(src, btf, class.endian);
    Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes()
}

/// By symbol: the verdict and (kind, name) of what its id is.
type Meaning = Vec<(String, Status, Option<(Kind, String)>)>;

/// (kind, name) of what each entry's id is, by symbol: the meaning of the section.
fn meaning(ids: &BtfIds, btf: &Btf<'_>) -> Meaning {
    let report = ids.resolve(btf);
    assert_eq!(report.entries.len(), ids.entries.len());
    report
        .entries
        .iter()
        .map(|r| {
            (
                ids.entries[r.entry].symbol.clone(),
                r.status,
                r.is.as_ref().map(|n| (n.kind, n.name.clone())),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------

#[test]
fn parses_every_entry_form_in_every_class_and_byte_order() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let elf = module_elf(class, &source(), Some(&split));
        let ids = BtfIds::parse(&elf).unwrap().expect("has .BTF_ids");
        assert_eq!((ids.endian, ids.is_64), (class.endian, class.is_64));
        assert_eq!(ids.section_index, 2);

        let got: Vec<(EntryKind, &str, u32, u32)> = ids
            .entries
            .iter()
            .map(|e| (e.kind, e.name.as_str(), e.offset, e.stored))
            .collect();
        use EntryKind::*;
        assert_eq!(
            got,
            vec![
                (Struct, "tcp_sock", 0, TCP_SOCK),
                (Struct, "mod_state", 4, 10),
                // 8: BTF_ID_UNUSED
                (Typedef, "u64_t", 12, U64_T),
                (Union, "thread_union", 16, THREAD_UNION),
                (Struct, "missing_type", 20, 0),
                (Struct, "nf_conn___init", 24, 15),
                // mod_set at 28: cnt, then 3 slots, sorted: sock, bbr_init, bbr_main
                (Func, "bbr_main", 32, SOCK),
                (Func, "bbr_init", 36, 12),
                (Struct, "sock", 40, 13),
                // mod_kfunc_ids at 44: cnt, flags, 3 pairs sorted by id
                (Func, "bbr_undo", 52, 12),
                (Func, "bbr_init", 60, 13),
                (Func, "bbr_main", 68, 14),
            ]
        );
        assert!(ids.entries[0]
            .symbol
            .starts_with("__BTF_ID__struct__tcp_sock__"));

        assert_eq!(ids.sets.len(), 2);
        let set = &ids.sets[0];
        assert_eq!(
            (set.kind, set.name.as_str(), set.offset, set.cnt, set.flags),
            (SetKind::Set, "mod_set", 28, 3, None)
        );
        assert_eq!(set.symbol, "__BTF_ID__set__mod_set");
        assert_eq!((set.symbol_size, set.declared_cnt()), (16, Some(3)));
        assert_eq!(
            set.slots.iter().map(|s| s.id).collect::<Vec<_>>(),
            [SOCK, 12, 13]
        );
        assert_eq!(set.members, [6, 7, 8]);
        assert!(set.is_sorted() && !set.is_kfuncs());

        let set8 = &ids.sets[1];
        assert_eq!(
            (
                set8.kind,
                set8.name.as_str(),
                set8.offset,
                set8.cnt,
                set8.flags
            ),
            (SetKind::Set8, "mod_kfunc_ids", 44, 3, Some(1))
        );
        assert!(set8.is_kfuncs() && set8.is_sorted());
        assert_eq!(
            set8.slots
                .iter()
                .map(|s| (s.id, s.flags))
                .collect::<Vec<_>>(),
            [(12, Some(0x2)), (13, Some(0x10)), (14, Some(0x5))],
            "pairs sorted by id keep their flags"
        );
        assert_eq!(set8.members, [9, 10, 11]);
        assert_eq!(ids.entries[9].set, Some((1, 0)));

        // Lists: only BTF_ID_LIST's symbol, not the ones sets define.
        assert_eq!(ids.lists.len(), 1);
        assert_eq!(
            (ids.lists[0].symbol.as_str(), ids.lists[0].offset),
            ("mod_btf_ids", 0)
        );

        // Judged against the module's BTF: all as resolve_btfids left them.
        let report = ids.resolve(&split);
        assert!(report.is_ok(), "{:?}", report.problems(&ids));
        for (sym, status, is) in meaning(&ids, &split) {
            if sym.contains("missing_type") {
                assert_eq!((status, is), (Status::Unresolved, None));
            } else {
                assert_eq!(status, Status::Ok, "{sym}");
                assert!(is.is_some());
            }
        }
        // Set members are matched to the slots holding their ids.
        let r = &report.entries[6]; // bbr_main in mod_set, stored in slot 2
        assert_eq!((r.slot, r.id), (Some(2), 13));
    }
}

#[test]
fn rewrite_maps_every_id_and_sorts_sets_like_resolve_btfids() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let ids = BtfIds::parse(&module_elf(class, &source(), Some(&split)))
            .unwrap()
            .unwrap();
        // Reverse the id order: every set must be re-sorted.
        let map = |id: u32| Some(1000 - id);
        let out = ids.rewrite(map).unwrap();
        assert_eq!(out.len(), ids.data.len());
        let e = class.endian;
        let word = |off: u32| e.u32(&out, off as usize);
        // Entries outside sets: mapped; zero stays zero.
        for (off, old) in [
            (0, TCP_SOCK),
            (4, 10),
            (12, U64_T),
            (16, THREAD_UNION),
            (24, 15),
        ] {
            assert_eq!(word(off), 1000 - old);
        }
        assert_eq!((word(8), word(20)), (0, 0), "unused and unresolved stay 0");
        // Set headers untouched.
        assert_eq!((word(28), word(44), word(48)), (3, 3, 1));
        // mod_set: {2, 12, 13} -> {998, 988, 987}, sorted.
        assert_eq!([word(32), word(36), word(40)], [987, 988, 998]);
        // set8 pairs: (12,0x2) (13,0x10) (14,0x5) -> sorted by new id with their flags.
        assert_eq!(
            [word(52), word(56), word(60), word(64), word(68), word(72)],
            [986, 0x5, 987, 0x10, 988, 0x2]
        );
        // Identity: the bytes come back unchanged.
        assert_eq!(ids.rewrite(Some).unwrap(), ids.data);
        // An id the map does not know names its place.
        let err = ids.rewrite(|id| (id != 13).then_some(id)).unwrap_err();
        assert!(
            matches!(&err, BtfIdsError::Unmapped { what, id: 13 } if what == "set mod_set slot 2"),
            "{err}"
        );
    }
}

#[test]
fn set8_sort_is_stable_for_equal_ids() {
    let class = CLASSES[0];
    let e = class.endian;
    // cnt 3, flags 1, pairs (7,a) (5,b) (7,c) -> (5,b) (7,a) (7,c)
    let mut data = Vec::new();
    for w in [3u32, 1, 7, 0xa, 5, 0xb, 7, 0xc] {
        data.extend_from_slice(&e.u32_bytes(w));
    }
    let syms = vec![
        Sym {
            name: "__BTF_ID__set8__s".into(),
            value: 0,
            size: 32,
            ty: STT_NOTYPE,
        },
        Sym {
            name: "__BTF_ID__func__a__1".into(),
            value: 8,
            size: 4,
            ty: STT_OBJECT,
        },
    ];
    let elf = Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    let ids = BtfIds::parse(&elf).unwrap().unwrap();
    assert!(!ids.sets[0].is_sorted());
    let out = ids.rewrite(Some).unwrap();
    let words: Vec<u32> = (0..8).map(|i| e.u32(&out, i * 4)).collect();
    assert_eq!(words, [3, 1, 5, 0xb, 7, 0xa, 7, 0xc]);
}

#[test]
fn distill_keeps_named_base_types_and_rewrites_ids() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let ids = BtfIds::parse(&module_elf(class, &source(), Some(&split)))
            .unwrap()
            .unwrap();
        let before = meaning(&ids, &split);

        // Roots: base ids named by entries that the split does not need by itself.
        let roots = ids.roots(&split);
        let root_ids: Vec<u32> = roots.iter().map(|r| r.id.0).collect();
        assert_eq!(root_ids, [TCP_SOCK, U64_T, THREAD_UNION, SOCK]);
        assert!(roots[0].why.contains("__BTF_ID__struct__tcp_sock__"));
        assert!(
            roots[3].why.contains("__BTF_ID__struct__sock__"),
            "a set slot is named by its member: {}",
            roots[3].why
        );

        let (d, section, _) =
            btfkit::module::distill_with_btf_ids(&split, &ids, btfkit::sort::Order::Libbpf)
                .unwrap();
        let db = Btf::parse(&d.base).unwrap();
        let ds = Btf::parse_split(&d.split, &db).unwrap();
        let new = BtfIds::parse(
            &Elf {
                class,
                btf_ids: Some(section),
                syms: assemble(&source(), None, class.endian).1,
                symtab: true,
                addr: 0,
            }
            .bytes(),
        )
        .unwrap()
        .unwrap();
        assert!(new.sets.iter().all(|s| s.is_sorted()));
        let report = new.resolve(&ds);
        assert!(report.is_ok(), "{:?}", report.problems(&new));
        assert_eq!(
            meaning(&new, &ds),
            before,
            "every entry names the same type"
        );

        // tcp_sock went to the distilled base (member-less), u64_t was copied into the
        // split, thread_union is in the base.
        let new_of = |old: u32| d.id_map.get(TypeId(old)).unwrap().0;
        assert!(new_of(TCP_SOCK) < ds.start_id().0);
        assert!(new_of(THREAD_UNION) < ds.start_id().0);
        assert!(new_of(U64_T) >= ds.start_id().0);

        // Without .BTF_ids roots (what libbpf's distill alone gives) the old section is
        // wrong in the new id space, and the report says so.
        let plain = distill(&split).unwrap();
        let pb = Btf::parse(&plain.base).unwrap();
        let ps = Btf::parse_split(&plain.split, &pb).unwrap();
        let stale = ids.resolve(&ps);
        assert!(!stale.is_ok());
        let problems = stale.problems(&ids);
        assert!(
            problems.iter().any(|p| p.contains("tcp_sock")),
            "{problems:?}"
        );
    }
}

#[test]
fn a_vmlinux_func_entry_cannot_be_distilled_and_is_named() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let mut src = source();
    src.push(Src::List("fn_list"));
    src.push(Src::Id("func", "vmlinux_fn", 0));
    let ids = BtfIds::parse(&module_elf(class, &src, Some(&split)))
        .unwrap()
        .unwrap();
    assert_eq!(ids.entries.last().unwrap().stored, VMLINUX_FN);
    let err = btfkit::module::distill_with_btf_ids(&split, &ids, btfkit::sort::Order::Libbpf)
        .unwrap_err();
    match &err {
        btfkit::module::ModuleError::Distill(DistillError::UnexpectedRoot {
            base_id, why, ..
        }) => {
            assert_eq!(base_id.0, VMLINUX_FN);
            assert!(why.contains("__BTF_ID__func__vmlinux_fn__"), "{why}");
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(err.to_string().contains("vmlinux_fn"), "{err}");
}

#[test]
fn retarget_composes_distill_and_relocation_maps() {
    // Distill over the old base, relocate onto a new base whose ids all moved; the
    // section rewritten through both maps names the same types in the new space.
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let (data, syms) = assemble(&source(), Some(&split), class.endian);
    let elf = Elf {
        class,
        btf_ids: Some(data),
        syms: syms.clone(),
        symtab: true,
        addr: 0,
    }
    .bytes();
    let ids = BtfIds::parse(&elf).unwrap().unwrap();
    let before = meaning(&ids, &split);

    // The new vmlinux: padding types first, then the same types (sock grew).
    let mut b = Builder::new();
    for i in 0..5 {
        b.add_int(format!("pad{i}"), 4, 0);
    }
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    b.add_union("thread_union", 8);
    b.add_member("x", long, 0, 0).unwrap();
    b.add_typedef("u64_t", long);
    let sock = b.add_struct("sock", 24);
    b.add_member("refcnt", int, 0, 0).unwrap();
    b.add_struct("tcp_sock", 96);
    b.add_member("sk", sock, 0, 0).unwrap();
    let new_base_bytes = b.to_bytes(class.endian);
    let new_base = Btf::parse(&new_base_bytes).unwrap();

    let (d, _, _) =
        btfkit::module::distill_with_btf_ids(&split, &ids, btfkit::sort::Order::Libbpf).unwrap();
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();
    let r = btfkit::relocate::relocate(&ds, &new_base, Default::default()).unwrap();
    let section = ids
        .rewrite(|old| {
            let dist = d.id_map.get(TypeId(old))?;
            r.id_map.get(dist).map(|t| t.0)
        })
        .unwrap();
    let rs = Btf::parse_split(&r.split, &new_base).unwrap();
    let new = BtfIds::parse(
        &Elf {
            class,
            btf_ids: Some(section),
            syms,
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap()
    .unwrap();
    assert!(new.resolve(&rs).is_ok());
    assert_eq!(meaning(&new, &rs), before);
    // And judged through the relocation map without rewriting: the distilled section
    // maps to the same meaning (what `check` does).
    let (dsec, dsyms) = {
        let sec = ids
            .rewrite(|old| d.id_map.get(TypeId(old)).map(|t| t.0))
            .unwrap();
        (sec, assemble(&source(), None, class.endian).1)
    };
    let dist_ids = BtfIds::parse(
        &Elf {
            class,
            btf_ids: Some(dsec),
            syms: dsyms,
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap()
    .unwrap();
    let via = dist_ids.resolve_mapped(&rs, |id| r.id_map.get(TypeId(id)).map(|t| t.0));
    assert!(via.is_ok(), "{:?}", via.problems(&dist_ids));
}

#[test]
fn mismatches_are_reported_by_entry_and_set() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let ids = BtfIds::parse(&module_elf(class, &source(), Some(&split)))
        .unwrap()
        .unwrap();
    // Swap two ids: tcp_sock's entry now holds sock's id, and a set8 slot a non-member.
    let e = class.endian;
    let mut bad = ids.clone();
    e.put_u32(&mut bad.data, 0, SOCK);
    e.put_u32(&mut bad.data, 68, 10); // set8 slot 2: mod_state, not a kfunc
    let syms = assemble(&source(), None, e).1;
    let bad = BtfIds::parse(
        &Elf {
            class,
            btf_ids: Some(bad.data),
            syms,
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap()
    .unwrap();
    let report = bad.resolve(&split);
    assert!(!report.is_ok());
    assert_eq!(report.entries[0].status, Status::Mismatch);
    let p = report.problems(&bad);
    assert!(
        p.iter()
            .any(|l| l.contains("tcp_sock") && l.contains("STRUCT 'sock'")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.contains("mod_kfunc_ids slot 2") && l.contains("mod_state")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.contains("bbr_undo") && l.contains("no id of set8 mod_kfunc_ids")),
        "{p:?}"
    );
}

#[test]
fn linked_images_use_addresses_and_odd_cases_are_refused() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let (data, syms) = assemble(&source(), Some(&split), class.endian);

    // Symbol values are addresses when the section has one.
    let at_addr = Elf {
        class,
        btf_ids: Some(data.clone()),
        syms: syms.clone(),
        symtab: true,
        addr: 0xffff_ffff_8200_0000,
    }
    .bytes();
    let ids = BtfIds::parse(&at_addr).unwrap().unwrap();
    assert_eq!(ids.entries[1].offset, 4);
    assert!(ids.resolve(&split).is_ok());

    // No .BTF_ids: nothing to do.
    let none = Elf {
        class,
        btf_ids: None,
        syms: vec![],
        symtab: true,
        addr: 0,
    }
    .bytes();
    assert!(BtfIds::parse(&none).unwrap().is_none());

    // .BTF_ids but no .symtab: which words are ids cannot be told.
    let stripped = Elf {
        class,
        btf_ids: Some(data.clone()),
        syms: vec![],
        symtab: false,
        addr: 0,
    }
    .bytes();
    assert!(matches!(
        BtfIds::parse(&stripped),
        Err(BtfIdsError::NoSymtab)
    ));

    let with = |name: &str, value: u64, size: u64| {
        let mut s = syms.clone();
        s.push(Sym {
            name: name.to_string(),
            value,
            size,
            ty: STT_OBJECT,
        });
        Elf {
            class,
            btf_ids: Some(data.clone()),
            syms: s,
            symtab: true,
            addr: 0,
        }
        .bytes()
    };
    for (name, value, size, why) in [
        ("__BTF_ID__enum__e__1", 0, 4, "unsupported prefix"),
        ("__BTF_ID__func__f", 0, 4, "cannot parse"),
        ("__BTF_ID__func__f__my_list", 0, 4, "cannot parse"),
        ("__BTF_ID__set__mod_set", 0, 4, "second set"),
        ("__BTF_ID__func__f__1", 2, 4, "aligned"),
        ("__BTF_ID__func__f__1", 4096, 4, "aligned"),
    ] {
        match BtfIds::parse(&with(name, value, size)) {
            Err(BtfIdsError::BadSymbol { symbol, reason }) => {
                assert_eq!(symbol, name);
                assert!(reason.contains(why), "{name}: {reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A set whose cnt runs past the section.
    let mut big = data.clone();
    class.endian.put_u32(&mut big, 28, 1000);
    let e = Elf {
        class,
        btf_ids: Some(big),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    assert!(
        matches!(BtfIds::parse(&e), Err(BtfIdsError::BadSymbol { reason, .. }) if reason.contains("cnt 1000"))
    );
}

#[test]
fn unprocessed_objects_parse_with_zero_ids() {
    // Before resolve_btfids: all ids and set counts are 0; members are found by the
    // symbol sizes; rewriting changes nothing.
    for class in CLASSES {
        let elf = module_elf(class, &source(), None);
        let ids = BtfIds::parse(&elf).unwrap().unwrap();
        assert!(ids.entries.iter().all(|e| e.stored == 0));
        assert_eq!(ids.sets[0].cnt, 0);
        assert_eq!(ids.sets[0].declared_cnt(), Some(3));
        assert_eq!(ids.sets[0].members.len(), 3);
        assert_eq!(ids.rewrite(|_| None).unwrap(), ids.data);
    }
}

/// A compressed `.BTF_ids` (SHF_COMPRESSED) is refused, not decompressed: its header may
/// claim any size (the `elf_sections` fuzz target found a 1 KB file whose compressed
/// `.BTF` asked for terabytes; `.BTF_ids` was read the same way).
#[test]
fn compressed_section_is_refused() {
    for class in CLASSES {
        let e = class.endian;
        // Elf*_Chdr: ELFCOMPRESS_ZLIB, a huge claimed size, then a zlib stream.
        let mut chdr = W {
            out: Vec::new(),
            e,
            is_64: class.is_64,
        };
        chdr.u32(1);
        if class.is_64 {
            chdr.u32(0);
        }
        chdr.word(if class.is_64 { 1 << 40 } else { 0xffff_0000 });
        chdr.word(4);
        chdr.out
            .extend_from_slice(&[0x78, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        let elf = Elf {
            class,
            btf_ids: Some(chdr.out),
            syms: Vec::new(),
            symtab: true,
            addr: 0,
        }
        .bytes();
        // Set SHF_COMPRESSED on .BTF_ids (section 2).
        let mut elf = elf;
        let (shoff_at, shentsize, wide) = if class.is_64 {
            (0x28, 64, 8)
        } else {
            (0x20, 40, 4)
        };
        let word = |b: &[u8]| match (e, wide) {
            (btfkit::Endian::Little, 8) => u64::from_le_bytes(b[..8].try_into().unwrap()),
            (btfkit::Endian::Big, 8) => u64::from_be_bytes(b[..8].try_into().unwrap()),
            _ => u64::from(e.u32(b, 0)),
        };
        let shoff = word(&elf[shoff_at..]) as usize;
        let flags_at = shoff + 2 * shentsize + 8;
        let flags = e.u32(
            &elf,
            flags_at
                + if e == btfkit::Endian::Big && wide == 8 {
                    4
                } else {
                    0
                },
        );
        assert_eq!(flags, 0x2, "the fixture's .BTF_ids flags");
        let at = flags_at
            + if e == btfkit::Endian::Big && wide == 8 {
                4
            } else {
                0
            };
        e.put_u32(&mut elf, at, 0x802);
        assert!(
            matches!(BtfIds::parse(&elf), Err(BtfIdsError::Compressed)),
            "{:?}",
            BtfIds::parse(&elf).map(|_| ())
        );
    }
}

/// A symbol below the section's address (its offset wraps around to the top of the
/// 64-bit range) is a bad symbol, not an overflow or an out-of-range read (found by the
/// `btf_ids` fuzz target).
#[test]
fn symbol_offset_at_the_top_of_the_range() {
    for class in CLASSES {
        // The fixture writes `value + addr` as the symbol's value: for ELF32 it is cut to
        // 32 bits, 0, below sh_addr 4.
        let (value, addr) = if class.is_64 {
            (u64::MAX - 3, 0)
        } else {
            (0xffff_fffc, 4)
        };
        let bytes = Elf {
            class,
            btf_ids: Some(vec![0; 8]),
            syms: vec![Sym {
                name: "__BTF_ID__struct__sock__1".into(),
                value,
                size: 4,
                ty: STT_OBJECT,
            }],
            symtab: true,
            addr,
        }
        .bytes();
        let err = BtfIds::parse(&bytes).map(|_| ()).unwrap_err();
        assert!(matches!(err, BtfIdsError::BadSymbol { .. }), "{err}");
    }
}

/// Section 0 named `.BTF_ids` is not the section (the patcher and the kernel skip index
/// 0), and a second `.BTF_ids` is refused rather than one picked silently (found by the
/// `btf_ids` fuzz target: the parser read section 0 while the patcher rewrote section 2).
#[test]
fn section_zero_and_duplicates() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let elf = module_elf(class, &source(), Some(&split));
        let want = BtfIds::parse(&elf).unwrap().unwrap().data;
        let e = class.endian;
        let (shoff_at, ent) = if class.is_64 { (0x28, 64) } else { (0x20, 40) };
        let shoff = if class.is_64 {
            let b: [u8; 8] = elf[shoff_at..shoff_at + 8].try_into().unwrap();
            let v = match e {
                btfkit::Endian::Little => u64::from_le_bytes(b),
                btfkit::Endian::Big => u64::from_be_bytes(b),
            };
            v as usize
        } else {
            e.u32(&elf, shoff_at) as usize
        };
        // Section 0 takes .BTF_ids' name (index 2's sh_name).
        let name = e.u32(&elf, shoff + 2 * ent);
        let mut zero = elf.clone();
        e.put_u32(&mut zero, shoff, name);
        let ids = BtfIds::parse(&zero).unwrap().unwrap();
        assert_eq!(ids.section_index, 2);
        assert_eq!(ids.data, want);
        // .text (index 1) takes it too: two sections of that name.
        let mut two = elf.clone();
        e.put_u32(&mut two, shoff + ent, name);
        assert!(matches!(BtfIds::parse(&two), Err(BtfIdsError::Duplicate)));
    }
}
