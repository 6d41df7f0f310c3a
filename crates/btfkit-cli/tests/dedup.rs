//! `btfkit dedup` end to end: the command's output is the library's `dedup::merge` of
//! the same inputs (which the conformance tests hold byte-identical to libbpf), for
//! plain and distilled modules, standalone BTFs and standard output, and every module
//! of the 6.1 kernel at once (the corpus's, or testdata's).

use btfkit::dedup::merge;
use btfkit::Btf;
use std::path::Path;
use std::process::Command;

fn xz(rel: &str) -> Vec<u8> {
    test_support::xz(&test_support::testdata(rel))
}

fn btfkit(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("btfkit runs")
}

fn module_btf(ko: &[u8]) -> Vec<u8> {
    btfkit::elf::BtfSections::parse(ko)
        .expect("module ELF")
        .btf
        .to_vec()
}

#[test]
fn modules_merge_like_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vmlinux = xz("linux-6.1/vmlinux.btf.xz");
    let dummy = xz("linux-6.1/ko/dummy.ko.xz");
    let veth = xz("linux-6.1/ko/veth.ko.xz");
    std::fs::write(d.join("vmlinux.btf"), &vmlinux).unwrap();
    std::fs::write(d.join("dummy.ko"), &dummy).unwrap();
    std::fs::write(d.join("veth.ko"), &veth).unwrap();
    let base = Btf::parse(&vmlinux).unwrap();
    let (a, b) = (module_btf(&dummy), module_btf(&veth));
    let (a, b) = (
        Btf::parse_split(&a, &base).unwrap(),
        Btf::parse_split(&b, &base).unwrap(),
    );
    let want = merge(Some(&base), &[&a, &b, &a]).unwrap().bytes;

    let out = btfkit(
        d,
        &[
            "dedup",
            "--base",
            "vmlinux.btf",
            "dummy.ko",
            "veth.ko",
            "dummy.ko",
            "-o",
            "out.btf",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(d.join("out.btf")).unwrap() == want);

    // Standard output gets the same bytes.
    let out = btfkit(
        d,
        &[
            "dedup",
            "--base",
            "vmlinux.btf",
            "dummy.ko",
            "veth.ko",
            "dummy.ko",
            "-o",
            "-",
        ],
    );
    assert!(out.status.success());
    assert!(out.stdout == want);

    // One input: that module deduplicated against vmlinux (appended to an empty split).
    let out = btfkit(
        d,
        &["dedup", "--base", "vmlinux.btf", "veth.ko", "-o", "one.btf"],
    );
    assert!(out.status.success());
    assert!(std::fs::read(d.join("one.btf")).unwrap() == merge(Some(&base), &[&b]).unwrap().bytes);
}

#[test]
fn distilled_module_is_relocated_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vmlinux = xz("linux-6.1/vmlinux.btf.xz");
    let veth = xz("linux-6.1/ko/veth.ko.xz");
    std::fs::write(d.join("vmlinux.btf"), &vmlinux).unwrap();
    let base = Btf::parse(&vmlinux).unwrap();
    let btfkit::module::Outcome::Rewritten(r) =
        btfkit::module::distill(&veth, &base, &Default::default()).unwrap()
    else {
        panic!("veth distills")
    };
    std::fs::write(d.join("dist.ko"), &r.patched.elf).unwrap();
    // What the command must do: relocate onto vmlinux, then dedup.
    let secs = btfkit::elf::BtfSections::parse(&r.patched.elf).unwrap();
    let dist_base = Btf::parse(secs.base.as_deref().expect(".BTF.base")).unwrap();
    let split = Btf::parse_split(&secs.btf, &dist_base).unwrap();
    let relocated = btfkit::relocate::relocate(&split, &base, Default::default()).unwrap();
    let relocated = Btf::parse_split(&relocated.split, &base).unwrap();
    let want = merge(Some(&base), &[&relocated]).unwrap().bytes;

    let out = btfkit(
        d,
        &["dedup", "--base", "vmlinux.btf", "dist.ko", "-o", "out.btf"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read(d.join("out.btf")).unwrap();
    assert!(got == want);
    // The base types distill copied into the split are merged back into vmlinux's.
    let got = Btf::parse_split(&got, &base).unwrap();
    assert!(got.type_count() < relocated.type_count());
}

#[test]
fn standalone_inputs_and_big_endian() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut b = btfkit::write::Builder::new();
    let int = b.add_int("int", 4, btfkit::raw::INT_SIGNED);
    let p = b.add_ptr(int);
    b.add_typedef("intp", p);
    for (name, e) in [
        ("le.btf", btfkit::Endian::Little),
        ("be.btf", btfkit::Endian::Big),
    ] {
        std::fs::write(d.join(name), b.to_bytes(e)).unwrap();
    }
    for (first, endian) in [
        ("le.btf", btfkit::Endian::Little),
        ("be.btf", btfkit::Endian::Big),
    ] {
        let out = btfkit(d, &["dedup", first, "le.btf", "be.btf", "-o", "out.btf"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(d.join("out.btf")).unwrap();
        let got = Btf::parse(&bytes).unwrap();
        assert_eq!(got.type_count(), 3, "three copies are one");
        assert_eq!(got.endian(), endian, "the first input's byte order");
    }
}

/// Every module of the data (the corpus's 2,796, or testdata's six) in one call.
#[test]
fn every_module_at_once() {
    let d = test_support::data();
    let mods = d.modules61();
    test_support::assert_checked("modules", mods.len(), d.min_modules());
    let vmlinux = test_support::read(d.vmlinux61());
    let base = Btf::parse(&vmlinux).unwrap();
    let bytes: Vec<Vec<u8>> = mods.iter().map(|p| test_support::read(p)).collect();
    let splits: Vec<Btf<'_>> = bytes
        .iter()
        .map(|b| Btf::parse_split(b, &base).unwrap())
        .collect();
    let refs: Vec<&Btf<'_>> = splits.iter().collect();
    let want = merge(Some(&base), &refs).unwrap().bytes;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "dedup".to_string(),
        "--base".to_string(),
        d.vmlinux61().display().to_string(),
        "-o".to_string(),
        "all.btf".to_string(),
    ];
    args.extend(mods.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = btfkit(dir.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(dir.path().join("all.btf")).unwrap() == want);
}
