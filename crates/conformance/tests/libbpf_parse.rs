//! Differential parse against libbpf (`btf__new` / `btf__new_split`): every vmlinux blob
//! and every module of the 6.1 kernel over its base (the corpus, or the committed
//! testdata) must parse in both, with the same type count and, for every type id, the same
//! kind, vlen, kind flag, size/type and name.
//!
//! Also the 6.1 modules over a wrong base (the corpus's 6.18, or testdata's 6.1 types in
//! reverse order): libbpf may or may not notice; what each says is printed, and btfkit
//! must not panic.

use btfkit::read::Btf;
use conformance::libbpf::LibbpfBtf;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Compares every type of `ours` (own types) with libbpf's view; returns the count.
fn compare(ours: &Btf<'_>, lib: &LibbpfBtf, what: &str) -> u32 {
    assert_eq!(
        lib.own_type_count(),
        ours.type_count(),
        "{what}: own type count (libbpf type_cnt {})",
        lib.type_cnt()
    );
    assert_eq!(lib.type_cnt(), ours.next_id().0, "{what}: type_cnt");
    assert_eq!(lib.start_id(), ours.start_id().0, "{what}: start id");
    for t in ours.types() {
        let id = t.id().0;
        let l = lib
            .type_info(id)
            .unwrap_or_else(|| panic!("{what}: libbpf has no type [{id}]"));
        assert_eq!(
            (l.kind, l.vlen, l.kflag, l.name_off, l.size_or_type),
            (
                t.kind(),
                t.vlen(),
                t.kflag(),
                t.name_off().0,
                t.size_or_type()
            ),
            "{what}: type [{id}] (kind, vlen, kflag, name_off, size/type)"
        );
        let lname = lib
            .name_of(id)
            .unwrap_or_else(|| panic!("{what}: libbpf cannot resolve the name of [{id}]"));
        assert!(
            lname == ours.name(&t),
            "{what}: type [{id}] name: libbpf {:?}, btfkit {:?}",
            String::from_utf8_lossy(&lname),
            ours.name_lossy(&t)
        );
    }
    // Out of range on both sides.
    assert!(lib.type_info(ours.next_id().0).is_none(), "{what}");
    assert!(ours.type_by_id(ours.next_id()).is_none(), "{what}");
    ours.type_count()
}

fn check_vmlinux(path: &Path) -> Vec<u8> {
    let what = path.display().to_string();
    let data = read(path);
    let lib = LibbpfBtf::parse_raw(&data).unwrap_or_else(|e| panic!("{what}: {e}"));
    let ours = Btf::parse(&data).unwrap_or_else(|e| panic!("{what}: {e}"));
    let n = compare(&ours, &lib, &what);
    eprintln!("{what}: libbpf and btfkit agree on all {n} types");
    data
}

#[test]
fn every_vmlinux() {
    let data = test_support::data();
    let mut n = 0;
    for path in data.vmlinuxes() {
        let t = Instant::now();
        check_vmlinux(path);
        eprintln!("{}: {:.2?}", path.display(), t.elapsed());
        n += 1;
    }
    test_support::assert_checked("vmlinux blobs", n, data.min_vmlinuxes());
}

#[test]
fn modules_61() {
    let data = test_support::data();
    let t = Instant::now();
    let base = read(data.vmlinux61());
    let lib_base = LibbpfBtf::parse_raw(&base).unwrap();
    let our_base = Btf::parse(&base).unwrap();
    let modules = data.modules61();
    let mut types = 0u64;
    for path in modules {
        let what = path.display().to_string();
        let data = read(path);
        let lib =
            LibbpfBtf::parse_split(&data, &lib_base).unwrap_or_else(|e| panic!("{what}: {e}"));
        let ours = Btf::parse_split(&data, &our_base).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(ours.start_id(), our_base.next_id(), "{what}");
        types += compare(&ours, &lib, &what) as u64;
    }
    test_support::assert_checked("modules", modules.len(), data.min_modules());
    eprintln!(
        "{} modules over the 6.1 vmlinux: libbpf and btfkit agree on all {types} types ({:.2?})",
        modules.len(),
        t.elapsed()
    );
}

#[test]
fn modules_61_over_a_wrong_base() {
    let data = test_support::data();
    let t = Instant::now();
    let base = data.wrong_base();
    let lib_base = LibbpfBtf::parse_raw(&base).unwrap();
    let our_base = Btf::parse(&base).unwrap();
    let modules = data.modules61();
    let (mut lib_ok, mut ours_ok, mut both_ok) = (0usize, 0usize, 0usize);
    let mut inside_names = 0;
    let mut lib_accepted = Vec::new();
    // libbpf's rejection reasons (first message, numbers removed) -> (count, example).
    let mut lib_reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut our_reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for path in modules {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let data = read(path);
        let lib = LibbpfBtf::parse_split(&data, &lib_base);
        let ours = Btf::parse_split(&data, &our_base);
        match &lib {
            Ok(l) => {
                lib_ok += 1;
                lib_accepted.push(name.clone());
                // What libbpf accepted is still read with the wrong base's numbering.
                assert_eq!(l.start_id(), our_base.next_id().0, "{name}");
            }
            Err(e) => {
                let first = e.messages.first().cloned().unwrap_or_else(|| e.to_string());
                let key: String = first.chars().filter(|c| !c.is_ascii_digit()).collect();
                let r = lib_reasons
                    .entry(key)
                    .or_insert((0, format!("{name}: {e}")));
                r.0 += 1;
            }
        }
        match &ours {
            Ok(b) => {
                ours_ok += 1;
                assert_eq!(b.start_id(), our_base.next_id(), "{name}");
                // Validation usually tells: the names land inside the base's strings
                // (a small module's few names may land on string starts by chance).
                let problems = btfkit::validate::validate(b);
                if problems
                    .iter()
                    .any(|p| p.rule() == btfkit::Rule::NameInsideBaseString)
                {
                    inside_names += 1;
                }
            }
            Err(e) => {
                let r = our_reasons
                    .entry(format!("{:?}", e.rule()))
                    .or_insert((0, format!("{name}: {e}")));
                r.0 += 1;
            }
        }
        if lib.is_ok() && ours.is_ok() {
            both_ok += 1;
        }
    }
    test_support::assert_checked("modules", modules.len(), data.min_modules());
    eprintln!(
        "{} 6.1 modules over a wrong base ({:.2?}): libbpf accepts {lib_ok}, btfkit parses \
         {ours_ok} and finds names inside base strings in {inside_names}, both {both_ok}",
        modules.len(),
        t.elapsed()
    );
    eprintln!("  libbpf accepts: {}", lib_accepted.join(" "));
    for (k, (n, ex)) in &lib_reasons {
        eprintln!("  libbpf rejects {n}: {k}\n    e.g. {ex}");
    }
    for (k, (n, ex)) in &our_reasons {
        eprintln!("  btfkit rejects {n}: {k}\n    e.g. {ex}");
    }
}
