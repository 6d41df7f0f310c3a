//! Relocate against libbpf 1.7 (`btf__relocate`): same outcome on every input, and where
//! libbpf succeeds, byte-identical output. Inputs: every 6.1 module (corpus or testdata)
//! distilled over the 6.1 vmlinux, relocated back onto it (all succeed) and onto another
//! kernel's vmlinux (the corpus's 6.18, or testdata's 6.1 with an unsigned `char` and no
//! `struct modversion_info`: all fail, for reasons the report must name), in both byte
//! orders for a sample.

use btfkit::relocate::{self, Options, Problem};
use btfkit::{Btf, Endian};
use conformance::libbpf::LibbpfBtf;

/// Relocates our distilled output with both libraries; checks they agree. Returns our
/// result.
fn both(
    name: &str,
    dist_base: &[u8],
    dist_split: &[u8],
    target: &Btf<'_>,
    lb_target: &LibbpfBtf,
) -> Result<Vec<u8>, relocate::RelocateError> {
    let db = Btf::parse(dist_base).expect("distilled base parses");
    let ds = Btf::parse_split(dist_split, &db).expect("distilled split parses");
    let ours = relocate::relocate(&ds, target, Options::default());

    let lb_db = LibbpfBtf::parse_raw(dist_base).expect("libbpf reads distilled base");
    let lb_ds = LibbpfBtf::parse_split(dist_split, &lb_db).expect("libbpf reads split");
    let theirs = lb_ds.relocate(lb_target).and_then(|()| lb_ds.raw_data());
    match (&ours, &theirs) {
        (Ok(o), Ok(t)) => assert!(
            o.split == *t,
            "{name}: relocated bytes differ from libbpf's"
        ),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("{name}: libbpf fails ({e}) but btfkit succeeds"),
        (Err(e), Ok(_)) => panic!("{name}: btfkit fails ({e}) but libbpf succeeds"),
    }
    ours.map(|r| r.split)
}

#[test]
fn distilled_modules_relocate_like_libbpf() {
    let data = test_support::data();
    let v61 = std::fs::read(data.vmlinux61()).expect("vmlinux 6.1");
    let v618 = data.other_vmlinux();
    let base61 = Btf::parse(&v61).expect("parses");
    let base618 = Btf::parse(&v618).expect("parses");
    let lb61 = LibbpfBtf::parse_raw(&v61).expect("libbpf parses");
    let lb618 = LibbpfBtf::parse_raw(&v618).expect("libbpf parses");

    let (mut back_ok, mut onto_618_failed, mut unmapped, mut ambiguous) = (0, 0, 0, 0);
    for path in data.modules61() {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let module = std::fs::read(path).expect("module");
        let split = Btf::parse_split(&module, &base61).expect("parses");
        let d = btfkit::distill::distill(&split).expect("distills");

        // Back onto the base it came from: always succeeds, same bytes as libbpf.
        let back = both(&name, &d.base, &d.split, &base61, &lb61)
            .unwrap_or_else(|e| panic!("{name}: relocating back onto 6.1 fails: {e}"));
        assert_eq!(back.len(), d.split.len(), "{name}");
        back_ok += 1;

        // Onto the other kernel: libbpf fails on every module; so must we, with every
        // reason listed.
        match both(&name, &d.base, &d.split, &base618, &lb618) {
            Ok(_) => panic!("{name}: relocates onto the other kernel"),
            Err(e) => {
                onto_618_failed += 1;
                assert!(!e.failures().is_empty(), "{name}");
                for f in e.failures() {
                    match f.problem {
                        Problem::Unmapped => unmapped += 1,
                        Problem::Ambiguous(_) => ambiguous += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    eprintln!(
        "{back_ok} modules relocate back onto 6.1 byte-identically; onto the other kernel \
         {onto_618_failed} fail ({unmapped} unmapped and {ambiguous} ambiguous distilled types \
         reported)"
    );
    test_support::assert_checked("modules", back_ok, data.min_modules());
    test_support::assert_checked("failed relocations", onto_618_failed, data.min_modules());
}

#[test]
fn char_signedness_is_reported_with_its_candidate() {
    let data = test_support::data();
    let v61 = std::fs::read(data.vmlinux61()).expect("vmlinux 6.1");
    let v618 = data.other_vmlinux();
    let base61 = Btf::parse(&v61).expect("parses");
    let base618 = Btf::parse(&v618).expect("parses");
    let name = match data.source {
        test_support::Source::Corpus => "nf_tables",
        test_support::Source::Testdata => "veth",
    };
    let module = test_support::read(data.module61(name).expect("the module"));
    let split = Btf::parse_split(&module, &base61).expect("parses");
    let d = btfkit::distill::distill(&split).expect("distills");
    let db = Btf::parse(&d.base).expect("parses");
    let ds = Btf::parse_split(&d.split, &db).expect("parses");
    let err = relocate::relocate(&ds, &base618, Options::default()).expect_err("6.1 -> 6.18 fails");
    let char_failure = err
        .failures()
        .iter()
        .find(|f| f.name == "char")
        .expect("char is reported");
    assert_eq!(char_failure.problem, Problem::Unmapped);
    assert!(
        char_failure
            .candidates
            .iter()
            .any(|c| c.mismatch == Some(relocate::Mismatch::Encoding)),
        "{char_failure:?}"
    );
    assert!(
        err.failures().iter().any(|f| f.name == "modversion_info"),
        "{:?}",
        err.failures().iter().map(|f| &f.name).collect::<Vec<_>>()
    );
}

#[test]
fn big_endian_relocation_matches_libbpf() {
    let data = test_support::data();
    let v61 = std::fs::read(data.vmlinux61()).expect("vmlinux 6.1");
    let mut lb = LibbpfBtf::parse_raw(&v61).expect("libbpf parses");
    lb.set_endianness(Endian::Big).expect("set endianness");
    let be61 = lb.raw_data().expect("raw");
    let base_be = Btf::parse(&be61).expect("parses");
    let lb_be = LibbpfBtf::parse_raw(&be61).expect("libbpf parses BE");
    let base_le = Btf::parse(&v61).expect("parses");
    let mut n = 0;
    for path in data.modules61().iter().step_by(25) {
        n += 1;
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let module = std::fs::read(path).expect("module");
        let mut lbm = LibbpfBtf::parse_split(&module, &LibbpfBtf::parse_raw(&v61).expect("base"))
            .expect("libbpf parses module");
        lbm.set_endianness(Endian::Big).expect("set endianness");
        let be_module = lbm.raw_data().expect("raw");
        let split = Btf::parse_split(&be_module, &base_be).expect("BE module parses");
        let d = btfkit::distill::distill(&split).expect("distills");
        let out = both(&name, &d.base, &d.split, &base_be, &lb_be).expect("relocates back");
        assert_eq!(
            Btf::parse_split(&out, &base_be).expect("parses").endian(),
            Endian::Big
        );
        let _ = &base_le;
    }
    test_support::assert_checked("modules", n, data.min_modules().div_ceil(25));
}

/// The 6.18 vmlinux has both `enum format_state` and `struct format_state`, both 4 bytes:
/// a module pointing to the struct, distilled over that very vmlinux, does not relocate
/// back onto it with libbpf's rules (the enum matches too); `--strict-kinds` does.
/// Without the corpus, the 6.1 vmlinux with such a pair added stands for it.
#[test]
fn format_state_cross_kind_flaw() {
    let data = test_support::data();
    let v618 = match data.vmlinux618() {
        Some(p) => test_support::read(p),
        None => {
            let v61 = test_support::read(data.vmlinux61());
            let base = Btf::parse(&v61).expect("parses");
            let int = base
                .find_by_name_kind(b"int", btfkit::Kind::INT)
                .expect("int");
            let mut b = btfkit::write::Builder::from_btf(&base).expect("copies");
            b.add_struct("format_state", 4);
            b.add_member("state", int, 0, 0).unwrap();
            b.add_enum("format_state", 4, false);
            b.add_enum_value("FORMAT_STATE_NONE", 0).unwrap();
            b.to_bytes(base.endian())
        }
    };
    let base = Btf::parse(&v618).expect("parses");
    let lb = LibbpfBtf::parse_raw(&v618).expect("libbpf parses");
    let st = base
        .find_by_name_kind(b"format_state", btfkit::Kind::STRUCT)
        .expect("struct format_state");
    assert!(base
        .find_by_name_kind(b"format_state", btfkit::Kind::ENUM)
        .is_some());
    let mut b = btfkit::write::Builder::new_split(&base);
    let p = b.add_ptr(st);
    b.add_struct("uses_format_state", 8);
    b.add_member("fs", p, 0, 0).unwrap();
    let split_bytes = b.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split_bytes, &base).expect("parses");
    let d = btfkit::distill::distill(&split).expect("distills");

    let err = both("format_state", &d.base, &d.split, &base, &lb).expect_err("libbpf's rules fail");
    assert_eq!(err.failures().len(), 1, "{err:?}");
    let f = &err.failures()[0];
    assert_eq!(f.name, "format_state");
    let Problem::Ambiguous(ids) = &f.problem else {
        panic!("{f:?}")
    };
    assert_eq!(ids.len(), 2);

    let db = Btf::parse(&d.base).expect("parses");
    let ds = Btf::parse_split(&d.split, &db).expect("parses");
    let r = relocate::relocate(&ds, &base, Options { strict_kinds: true })
        .expect("strict kinds relocate");
    assert!(r.cross_kind.is_empty());
    assert_eq!(r.id_map.get(btfkit::TypeId(1)), Some(st));
}

/// libbpf checks the size of a distilled STRUCT embedded by value only until it has a
/// match (the embedded mark in its id map is overwritten by the first match): a base
/// STRUCT of the right size followed by a FWD of the same name is ambiguous, the other
/// order relocates. Both libraries must agree on each.
#[test]
fn embedded_size_is_checked_until_the_first_match() {
    let mut db = btfkit::write::Builder::new();
    let foo = db.add_struct("foo", 8);
    let dist_bytes = db.to_bytes(Endian::Little);
    let dist = Btf::parse(&dist_bytes).expect("parses");
    let mut s = btfkit::write::Builder::new_split(&dist);
    s.add_struct("holder", 8);
    s.add_member("f", foo, 0, 0).unwrap();
    let split_bytes = s.to_bytes(Endian::Little);

    for (struct_first, relocates) in [(true, false), (false, true)] {
        let mut bb = btfkit::write::Builder::new();
        bb.add_int("int", 4, btfkit::raw::INT_SIGNED);
        if struct_first {
            bb.add_struct("foo", 8);
            bb.add_fwd("foo", btfkit::write::FwdKind::Struct);
        } else {
            bb.add_fwd("foo", btfkit::write::FwdKind::Struct);
            bb.add_struct("foo", 8);
        }
        let base_bytes = bb.to_bytes(Endian::Little);
        let base = Btf::parse(&base_bytes).expect("parses");
        let lb = LibbpfBtf::parse_raw(&base_bytes).expect("libbpf parses");
        let r = both("embedded", &dist_bytes, &split_bytes, &base, &lb);
        assert_eq!(r.is_ok(), relocates, "struct first: {struct_first}: {r:?}");
        if let Err(e) = r {
            assert!(
                matches!(&e.failures()[0].problem, Problem::Ambiguous(ids) if ids.len() == 2),
                "{e:?}"
            );
        }
    }
}
