//! `btfkit dedup` end to end: the command's output is the library's `dedup::merge` of
//! the same inputs (which the conformance tests hold byte-identical to libbpf), for
//! plain and distilled modules, standalone BTFs and standard output; with the corpus,
//! for every module of the 6.1 kernel at once.

use btfkit::dedup::merge;
use btfkit::Btf;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn xz(p: &str) -> Vec<u8> {
    let data = std::fs::read(root().join("testdata").join(p)).expect("fixture");
    btfkit::compress::decompress(&data, btfkit::compress::Compression::Xz, 1 << 30).expect("xz")
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

#[test]
fn every_corpus_module_at_once() {
    let Some(corpus) = std::env::var_os("BTFKIT_CORPUS") else {
        eprintln!("BTFKIT_CORPUS is not set: skipping corpus test (CI sets it)");
        return;
    };
    let k = Path::new(&corpus).join("linux-6.1.0-56-amd64");
    let vmlinux = std::fs::read(k.join("vmlinux.btf")).expect("vmlinux");
    let mut mods: Vec<PathBuf> = std::fs::read_dir(k.join("modules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    mods.sort();
    assert!(mods.len() > 2000);
    let base = Btf::parse(&vmlinux).unwrap();
    let bytes: Vec<Vec<u8>> = mods.iter().map(|p| std::fs::read(p).unwrap()).collect();
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
        k.join("vmlinux.btf").display().to_string(),
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
