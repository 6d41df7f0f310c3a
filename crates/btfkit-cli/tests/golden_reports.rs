//! Golden tests of what scripts and packagers consume: the completion scripts (bash, zsh,
//! fish), the man pages, and the JSON report of every command that reports
//! (docs/json-reports.md), on the committed fixtures. `BLESS=1 cargo test -p btfkit-cli
//! --test golden_reports` rewrites the files under `testdata/golden/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::images;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn testdata(p: &str) -> String {
    root().join("testdata").join(p).display().to_string()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("btfkit runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Paths in outputs made stable: the testdata directory and temporary directories.
fn stable(s: &str, tmp: Option<&Path>) -> String {
    let mut s = s.replace(&format!("{}/", root().join("testdata").display()), "");
    if let Some(t) = tmp {
        s = s.replace(&t.display().to_string(), "TMP");
    }
    s
}

fn golden(name: &str, actual: &str) {
    let path = root().join("testdata/golden").join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, actual).expect("bless");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create)", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

/// A JSON report: it parses, carries the schema version and the command, and matches
/// its golden file.
fn golden_json(name: &str, command: &str, stdout: &str, tmp: Option<&Path>) {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{stdout}"));
    assert_eq!(v["btfkit_report"], 1, "{name}");
    assert_eq!(v["command"], command, "{name}");
    golden(name, &stable(stdout, tmp));
}

const VMLINUX: &str = "linux-6.1/vmlinux.btf.xz";

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("extract") && out.contains("scan"), "{shell}");
        golden(&format!("completions.{shell}"), &out);
    }
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value"), "{err}");
}

#[test]
fn man_pages() {
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(".ie"), "roff");
    golden("man/btfkit.1", &out);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for sub in ["extract", "scan", "check", "distill"] {
        let name = format!("btfkit-{sub}.1");
        assert!(names.contains(&name), "{names:?}");
        golden(
            &format!("man/{name}"),
            &std::fs::read_to_string(dir.path().join(&name)).unwrap(),
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("btfkit.1")).unwrap(),
        out
    );
}

#[test]
fn json_reports() {
    let v = testdata(VMLINUX);
    let dummy = testdata("linux-6.1/ko/dummy.ko.xz");
    let veth = testdata("linux-6.1/ko/veth.ko.xz");
    let (c, out, e) = run(&["info", "--json", &v]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/info-vmlinux.json", "info", &out, None);
    let (c, out, e) = run(&["info", "-j", "--base", &v, &dummy]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/info-dummy.json", "info", &out, None);

    let (c, out, e) = run(&["validate", "--json", "--base", &v, &dummy, &veth]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/validate.json", "validate", &out, None);

    let (c, out, e) = run(&["check", "--json", "--base", &v, &dummy, &veth]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/check.json", "check", &out, None);

    let (c, out, e) = run(&["ids", "--json", "--base", &v, &veth]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/ids-veth.json", "ids", &out, None);

    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (c, out, e) = run(&["scan", "--json", "--against", &v, &testdata("linux-6.1/ko")]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/scan.json", "scan", &out, None);

    let out_dir = t.join("dist");
    let (c, out, e) = run(&[
        "distill",
        "--json",
        "--base",
        &v,
        "--out-dir",
        out_dir.to_str().unwrap(),
        &dummy,
        &veth,
    ]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/distill-out-dir.json", "distill", &out, Some(t));

    let tree = t.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    for m in ["dummy.ko.xz", "veth.ko.xz"] {
        std::fs::copy(testdata(&format!("linux-6.1/ko/{m}")), tree.join(m)).unwrap();
    }
    let (c, out, e) = run(&["strip", "--json", "--in-place", tree.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    golden_json("json/strip-tree.json", "strip", &out, Some(t));
    let (c, out, e) = run(&["strip", "-q", "--in-place", tree.to_str().unwrap()]);
    assert_eq!(
        (c, out.as_str(), e.as_str()),
        (0, "", ""),
        "quiet prints nothing"
    );

    let img = t.join("vmlinuz");
    let btf = images::vmlinux_btf(btfkit::Endian::Little, 10);
    let elf = images::vmlinux(true, btfkit::Endian::Little, &btf);
    std::fs::write(
        &img,
        images::bzimage(&images::kbuild_compress(
            &elf,
            btfkit::compress::Compression::Zstd,
        )),
    )
    .unwrap();
    let out_btf = t.join("out.btf");
    let (c, out, e) = run(&[
        "extract",
        "--json",
        img.to_str().unwrap(),
        "-o",
        out_btf.to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{e}");
    assert_eq!(std::fs::read(&out_btf).unwrap(), btf);
    golden_json("json/extract-bzimage.json", "extract", &out, Some(t));
}

#[test]
fn extract_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let btf = images::vmlinux_btf(btfkit::Endian::Big, 12);
    let img = t.join("Image.gz");
    std::fs::write(
        &img,
        images::kbuild_compress(
            &images::arm64_image(&btf, btfkit::Endian::Big),
            btfkit::compress::Compression::Gzip,
        ),
    )
    .unwrap();
    // To standard output, and the summary on standard error.
    let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(["extract", img.to_str().unwrap(), "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, btf);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("compressed file, gzip: BTF blob at"), "{err}");
    // The image itself cannot be the output.
    let (c, _, e) = run(&[
        "extract",
        img.to_str().unwrap(),
        "-o",
        img.to_str().unwrap(),
    ]);
    assert_eq!(c, 2);
    assert!(e.contains("same file as the image"), "{e}");
    // No BTF: exit 2 with the reason.
    let junk = t.join("junk");
    std::fs::write(&junk, vec![7u8; 5000]).unwrap();
    let (c, _, e) = run(&[
        "extract",
        junk.to_str().unwrap(),
        "-o",
        t.join("x").to_str().unwrap(),
    ]);
    assert_eq!(c, 2);
    assert!(
        e.contains("no valid vmlinux BTF in the image of unknown format"),
        "{e}"
    );
    assert!(!t.join("x").exists());
}
