//! `btfkit scan` against what `readelf -S` and `btfkit check` say about each module:
//!
//! - on a tree made from the committed 6.1 modules: as packaged (plain split BTF,
//!   signed), distilled (`distill -o`), stripped (`strip -o`), and with a damaged
//!   `.BTF` header; the JSON report is golden (`BLESS=1` rewrites it);
//! - with `BTFKIT_LINUX72` (the file of assignments `kernel-7.2.sh` prints): every
//!   module of Debian's 7.2 package against its vmlinuz, plus a sample distilled and a
//!   sample stripped.
//!
//! For every module the class must match the sections readelf lists (`.BTF`,
//! `.BTF.base`, `.BTF_ids`) and their sizes, and the verdict must be `check`'s.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn btfkit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(args)
        .output()
        .expect("btfkit runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn decompress(path: &Path) -> Vec<u8> {
    btfkit::file::read(path, 1 << 30)
        .expect("module reads")
        .bytes
}

/// `readelf -S -W` of a module: section name -> size (None when readelf is missing).
fn readelf_sections(ko: &Path, tmp: &Path) -> Option<BTreeMap<String, u64>> {
    let elf = tmp.join("m.ko");
    std::fs::write(&elf, decompress(ko)).unwrap();
    let out = Command::new("readelf")
        .args(["-S", "-W"])
        .arg(&elf)
        .output()
        .ok()?;
    assert!(out.status.success(), "readelf {}", ko.display());
    let text = String::from_utf8_lossy(&out.stdout).replace("[ ", "[");
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // [Nr] Name Type Address Off Size ...
        if f.len() > 5 && f[0].starts_with('[') && f[0].ends_with(']') && f[0] != "[Nr]" {
            map.insert(f[1].to_string(), u64::from_str_radix(f[5], 16).unwrap());
        }
    }
    Some(map)
}

/// Checks every module of a scan report against readelf and `btfkit check`.
fn verify(report: &Value, against: Option<&str>) -> BTreeMap<String, usize> {
    let tmp = tempfile::tempdir().unwrap();
    let mut classes = BTreeMap::new();
    let mut readelf_seen = 0;
    let modules = report["modules"].as_array().expect("modules");
    for m in modules {
        let path = Path::new(m["module"].as_str().unwrap());
        let class = m["class"].as_str().unwrap().to_string();
        *classes.entry(class.clone()).or_default() += 1;
        if let Some(secs) = readelf_sections(path, tmp.path()) {
            readelf_seen += 1;
            let size = |n: &str| secs.get(n).copied();
            let expect = match (size(".BTF"), size(".BTF.base")) {
                (None, _) => "no_btf",
                (Some(_), None) => "split",
                (Some(_), Some(_)) => "distilled",
            };
            if class != "invalid" {
                assert_eq!(class, expect, "{}", path.display());
            }
            assert_eq!(m["btf_bytes"].as_u64(), size(".BTF"), "{}", path.display());
            assert_eq!(
                m["btf_base_bytes"].as_u64(),
                size(".BTF.base"),
                "{}",
                path.display()
            );
            assert_eq!(
                m["btf_ids_bytes"].as_u64(),
                size(".BTF_ids"),
                "{}",
                path.display()
            );
        }
        let Some(base) = against else { continue };
        if class == "no_btf" || (class == "invalid" && m["verdict"].is_null()) {
            assert!(m["verdict"].is_null());
            continue;
        }
        let (code, _, stderr) = btfkit(&["check", "--base", base, path.to_str().unwrap()]);
        let ok = m["verdict"]["ok"].as_bool().expect("verdict");
        assert!(class != "invalid" || !ok);
        assert_eq!(code, if ok { 0 } else { 1 }, "{}: {stderr}", path.display());
    }
    if readelf_seen == 0 {
        eprintln!("readelf is not installed: sections not compared");
    }
    classes
}

fn scan_json(args: &[&str]) -> (i32, Value) {
    let (code, stdout, stderr) = btfkit(&[&["scan", "--json"], args].concat());
    assert!(code < 2, "{stderr}");
    (code, serde_json::from_str(&stdout).expect("JSON"))
}

#[test]
fn tree_of_every_class() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    let ko = root().join("testdata/linux-6.1/ko");
    let vmlinux = root().join("testdata/linux-6.1/vmlinux.btf.xz");
    let v = vmlinux.to_str().unwrap();
    for e in std::fs::read_dir(&ko).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, tree.join(p.file_name().unwrap())).unwrap();
    }
    let t = |n: &str| tree.join(n).display().to_string();
    let src = |n: &str| ko.join(n).display().to_string();
    let (c, _, e) = btfkit(&[
        "distill",
        "--base",
        v,
        &src("veth.ko.xz"),
        "-o",
        &t("sub/veth-distilled.ko"),
    ]);
    assert_eq!(c, 0, "{e}");
    let (c, _, e) = btfkit(&[
        "strip",
        &src("dummy.ko.xz"),
        "-o",
        &t("sub/dummy-stripped.ko.zst"),
    ]);
    assert_eq!(c, 0, "{e}");
    // A .BTF whose header says version 2.
    let mut bad = decompress(&ko.join("xor.ko.xz"));
    let at = bad
        .windows(4)
        .position(|w| w == [0x9f, 0xeb, 1, 0])
        .unwrap();
    bad[at + 2] = 2;
    std::fs::write(tree.join("sub/xor-damaged.ko"), &bad).unwrap();

    let (code, report) = scan_json(&["--against", v, tree.to_str().unwrap()]);
    assert_eq!(code, 1, "the damaged module is refused");
    let classes = verify(&report, Some(v));
    let want: BTreeMap<String, usize> = [
        ("distilled", 1),
        ("invalid", 1),
        ("no_btf", 1),
        ("split", 6),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(classes, want);
    assert_eq!(
        report["summary"]["signed"], 7,
        "the 6 as packaged and the damaged copy"
    );
    assert_eq!(report["summary"]["refused"], 1);
    assert_eq!(report["summary"]["ok"], 7);

    // Without --against: classification only (plain split BTF is validated only over a
    // vmlinux, so the damaged version byte goes unseen).
    let (code, report) = scan_json(&[tree.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(report["summary"]["ok"].is_null());
    let classes = verify(&report, None);
    assert_eq!(classes.get("split"), Some(&7));

    // The text report, and --quiet.
    let (code, stdout, _) = btfkit(&["scan", "--against", v, tree.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("plain split BTF                6"),
        "{stdout}"
    );
    assert!(stdout.contains("xor-damaged.ko: invalid:"), "{stdout}");
    let (code, stdout, stderr) = btfkit(&["scan", "-q", "--against", v, tree.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (1, "", ""));
}

#[test]
fn linux72_package() {
    let Some(file) = std::env::var_os("BTFKIT_LINUX72") else {
        eprintln!(
            "BTFKIT_LINUX72 is not set: scan is not run on the Linux 7.2 package (CI sets it)"
        );
        return;
    };
    let text = std::fs::read_to_string(&file).expect("BTFKIT_LINUX72 file");
    let var = |k: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("BTFKIT_LINUX72: no {k}="))
            .trim()
            .to_string()
    };
    let (modules, vmlinuz, vmlinux_btf) = (var("MODULES"), var("VMLINUZ"), var("VMLINUX_BTF"));
    // The package as shipped, against its vmlinuz (extracted by scan itself).
    let (code, report) = scan_json(&["--against", &vmlinuz, &modules]);
    assert_eq!(code, 0);
    let n = report["modules"].as_array().unwrap().len();
    assert!(n > 1000, "{n} modules");
    let classes = verify(&report, Some(&vmlinux_btf));
    assert_eq!(classes.get("split"), Some(&n), "{classes:?}");
    assert_eq!(report["summary"]["signed"].as_u64(), Some(n as u64));
    eprintln!(
        "7.2 package: {n} modules, {classes:?}, {} with .BTF_ids",
        report["summary"]["btf_ids"]
    );

    // A sample distilled in place and a sample stripped: their classes change.
    let dir = tempfile::tempdir().unwrap();
    let mut sample: Vec<PathBuf> = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        let mut e: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        e.sort();
        for p in e {
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    walk(Path::new(&modules), &mut sample);
    let (mut d, mut s) = (dir.path().join("distilled"), dir.path().join("stripped"));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::create_dir_all(&s).unwrap();
    for (i, p) in sample.iter().step_by(25).enumerate() {
        let to = if i % 2 == 0 { &mut d } else { &mut s };
        std::fs::copy(p, to.join(p.file_name().unwrap())).unwrap();
    }
    let (c, _, e) = btfkit(&[
        "distill",
        "--base",
        &vmlinux_btf,
        "--in-place",
        d.to_str().unwrap(),
    ]);
    assert!(c <= 1, "{e}");
    let (c, _, e) = btfkit(&["strip", "--in-place", s.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    let (_, report) = scan_json(&["--against", &vmlinux_btf, dir.path().to_str().unwrap()]);
    let classes = verify(&report, Some(&vmlinux_btf));
    eprintln!("7.2 sample: {classes:?}");
    assert!(
        classes.get("distilled").is_some_and(|&n| n > 10),
        "{classes:?}"
    );
    assert!(
        classes.get("no_btf").is_some_and(|&n| n > 10),
        "{classes:?}"
    );
}
