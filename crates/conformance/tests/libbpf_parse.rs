//! Differential parse against libbpf (`btf__new` / `btf__new_split`): both vmlinux blobs
//! and every module of the 6.1 kernel over its base must parse in both, with the same
//! type count and, for every type id, the same kind, vlen, kind flag, size/type and name.
//!
//! Also the 6.1 modules over the wrong (6.18) base: libbpf may or may not notice; what
//! each says is printed, and btfkit must not panic.
//!
//! Skipped (with a note) when `BTFKIT_CORPUS` is unset.

use btfkit::read::Btf;
use btfkit::TypeId;
use conformance::corpus;
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
fn vmlinux_618() {
    let Some(c) = corpus::dir() else { return };
    let t = Instant::now();
    check_vmlinux(&corpus::vmlinux618(&c));
    eprintln!("6.18 vmlinux: {:.2?}", t.elapsed());
}

#[test]
fn vmlinux_61_and_modules() {
    let Some(c) = corpus::dir() else { return };
    let t = Instant::now();
    let base = check_vmlinux(&corpus::vmlinux61(&c));
    let lib_base = LibbpfBtf::parse_raw(&base).unwrap();
    let our_base = Btf::parse(&base).unwrap();
    let modules = corpus::modules61(&c);
    let mut types = 0u64;
    for path in &modules {
        let what = path.display().to_string();
        let data = read(path);
        let lib =
            LibbpfBtf::parse_split(&data, &lib_base).unwrap_or_else(|e| panic!("{what}: {e}"));
        let ours = Btf::parse_split(&data, &our_base).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(ours.start_id(), TypeId(100_751), "{what}");
        types += compare(&ours, &lib, &what) as u64;
    }
    eprintln!(
        "{} modules over the 6.1 vmlinux: libbpf and btfkit agree on all {types} types ({:.2?})",
        modules.len(),
        t.elapsed()
    );
}

#[test]
fn modules_61_over_wrong_base_618() {
    let Some(c) = corpus::dir() else { return };
    let t = Instant::now();
    let base = read(&corpus::vmlinux618(&c));
    let lib_base = LibbpfBtf::parse_raw(&base).unwrap();
    let our_base = Btf::parse(&base).unwrap();
    let modules = corpus::modules61(&c);
    let (mut lib_ok, mut ours_ok, mut both_ok) = (0usize, 0usize, 0usize);
    let mut lib_accepted = Vec::new();
    // libbpf's rejection reasons (first message, numbers removed) -> (count, example).
    let mut lib_reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut our_reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for path in &modules {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let data = read(path);
        let lib = LibbpfBtf::parse_split(&data, &lib_base);
        let ours = Btf::parse_split(&data, &our_base);
        match &lib {
            Ok(l) => {
                lib_ok += 1;
                lib_accepted.push(name.clone());
                // What libbpf accepted is still read with the wrong base's numbering.
                assert_eq!(l.start_id(), 126_611, "{name}");
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
                assert_eq!(b.start_id(), TypeId(126_611), "{name}");
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
    eprintln!(
        "{} 6.1 modules over the 6.18 base ({:.2?}): libbpf accepts {lib_ok}, btfkit parses \
         {ours_ok}, both {both_ok}",
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
