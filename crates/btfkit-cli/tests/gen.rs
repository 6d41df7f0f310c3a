//! `btfkit gen` on the committed DWARF fixtures (`testdata/gen`: objects made with gcc
//! for x86-64, arm64, s390x and i686, with what Linux 7.2's pahole and resolve_btfids
//! wrote for each over the 6.1 vmlinux): `--out-dir`, `-o` and `--in-place` give those
//! bytes, errors are one clear line with the right exit status.

use object::{Object, ObjectSection};
use std::path::{Path, PathBuf};
use test_support::cli::Run;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn testdata(p: &str) -> PathBuf {
    root().join("testdata").join(p)
}

fn vmlinux() -> String {
    testdata("linux-6.1/vmlinux.btf.xz").display().to_string()
}

fn btfkit(args: &[&str]) -> Run {
    test_support::cli::run(env!("CARGO_BIN_EXE_btfkit"), args, &root(), None)
}

/// The fixture `name` decompressed into `dir` as `NAME.ko`.
fn object(dir: &Path, name: &str) -> PathBuf {
    let data = test_support::xz(&testdata(&format!("gen/{name}.o.xz")));
    let p = dir.join(format!("{name}.ko"));
    std::fs::write(&p, data).expect("write");
    p
}

fn golden(name: &str, ext: &str) -> Vec<u8> {
    std::fs::read(testdata(&format!("gen/{name}.{ext}"))).expect("golden")
}

fn section(path: &Path, name: &str) -> Option<Vec<u8>> {
    let data = std::fs::read(path).expect("read");
    let f = object::File::parse(&*data).expect("ELF");
    f.section_by_name(name).map(|s| s.data().unwrap().to_vec())
}

const FIXTURES: [&str; 4] = ["x86_64", "aarch64", "s390x", "i686"];

#[test]
fn out_dir_writes_what_resolve_btfids_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = FIXTURES
        .iter()
        .map(|n| object(dir.path(), n).display().to_string())
        .collect();
    let out = dir.path().join("out");
    let vm = vmlinux();
    let mut args = vec!["gen", "--base", &vm, "--order", "kernel", "--out-dir"];
    let out_s = out.display().to_string();
    args.push(&out_s);
    args.extend(inputs.iter().map(String::as_str));
    let r = btfkit(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("generated BTF for 4 of 4 modules"),
        "{}",
        r.stderr
    );
    for n in FIXTURES {
        let btf = std::fs::read(out.join(format!("{n}.btf"))).expect("NAME.btf");
        assert!(
            btf == golden(n, "BTF"),
            "{n}: differs from resolve_btfids' .BTF"
        );
        assert!(
            !out.join(format!("{n}.btf.base")).exists(),
            "{n}: no base without --distill"
        );
    }
    // --distill adds NAME.btf.base; --order auto over the unsorted 6.1 vmlinux is pahole's
    // own order, so the reference for it is libbpf's (checked in the library's tests);
    // here the kernel's.
    let out2 = dir.path().join("out2");
    let out2_s = out2.display().to_string();
    let r = btfkit(&[
        "gen",
        "--base",
        &vmlinux(),
        "--order",
        "kernel",
        "--distill",
        "--json",
        "--out-dir",
        &out2_s,
        &inputs[0],
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["command"], "gen");
    assert_eq!(doc["summary"]["generated"], 1);
    assert_eq!(doc["modules"][0]["order"], "kernel");
    assert!(doc["modules"][0]["unresolved_btf_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "no_such_type"));
    assert!(std::fs::read(out2.join("x86_64.btf")).unwrap() == golden("x86_64", "distilled.BTF"));
    assert!(
        std::fs::read(out2.join("x86_64.btf.base")).unwrap()
            == golden("x86_64", "distilled.BTF.base")
    );
}

#[test]
fn in_place_and_out_write_the_sections_into_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let ko = object(dir.path(), "s390x");
    let ko_s = ko.display().to_string();
    let out = dir.path().join("out.ko.xz");
    let out_s = out.display().to_string();
    let r = btfkit(&[
        "gen",
        "-B",
        &vmlinux(),
        "--order",
        "kernel",
        "--distill",
        &ko_s,
        "-o",
        &out_s,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("generated (kernel order)"),
        "{}",
        r.stderr
    );
    // resolve_btfids' warning, under the module's name.
    assert!(
        r.stderr.lines().any(
            |l| l.contains("s390x.ko: note: .BTF_ids entries no type answers")
                && l.contains("no_such_type")
        ),
        "{}",
        r.stderr
    );
    let plain = dir.path().join("out.ko");
    std::fs::write(&plain, test_support::xz(&out)).unwrap();
    assert!(section(&plain, ".BTF") == Some(golden("s390x", "distilled.BTF")));
    assert!(section(&plain, ".BTF.base") == Some(golden("s390x", "distilled.BTF.base")));
    assert!(section(&plain, ".BTF_ids") == Some(golden("s390x", "distilled.BTF_ids")));

    // In place, without --distill: the .BTF.base goes, the mode stays.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o640)).unwrap();
    let plain_s = plain.display().to_string();
    let r = btfkit(&[
        "gen",
        "-B",
        &vmlinux(),
        "--order",
        "kernel",
        "--in-place",
        &plain_s,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("out.ko: note: .BTF_ids entries"),
        "{}",
        r.stderr
    );
    assert!(section(&plain, ".BTF") == Some(golden("s390x", "BTF")));
    assert!(section(&plain, ".BTF.base").is_none());
    assert!(section(&plain, ".BTF_ids") == Some(golden("s390x", "BTF_ids")));
    let mode = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}

#[test]
fn objects_without_dwarf_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // A module with BTF but no DWARF (the committed 6.1 module).
    let ko = testdata("linux-6.1/ko/dummy.ko.xz");
    let ko_s = ko.display().to_string();
    let out = dir.path().join("x.ko");
    let out_s = out.display().to_string();
    let r = btfkit(&["gen", "-B", &vmlinux(), &ko_s, "-o", &out_s]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no DWARF"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(!out.exists());
    // Batch: the module fails, the run says so and exits 1.
    let od = dir.path().join("od").display().to_string();
    let r = btfkit(&["gen", "-B", &vmlinux(), "--out-dir", &od, &ko_s]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no DWARF"), "{}", r.stderr);
    // No output given.
    let r = btfkit(&["gen", "-B", &vmlinux(), &ko_s]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--out-dir"), "{}", r.stderr);
}
