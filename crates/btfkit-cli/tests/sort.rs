//! `btfkit sort`, `--order` and the sortedness reports of `info`, `validate` and `check`,
//! on the committed 6.1 fixtures: the 6.1 vmlinux is not sorted by name (so `auto` gives
//! libbpf's bytes over it), and sorting it gives a vmlinux as Linux 6.19+ builds them,
//! onto which modules are retargeted in the kernel's order.

use object::{Object, ObjectSection};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use test_support::cli::Run;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn testdata(p: &str) -> String {
    root().join("testdata").join(p).display().to_string()
}

fn vmlinux() -> String {
    testdata("linux-6.1/vmlinux.btf.xz")
}

fn btfkit(args: &[&str]) -> Run {
    test_support::cli::run(env!("CARGO_BIN_EXE_btfkit"), args, &root(), None)
}

#[track_caller]
fn ok(args: &[&str]) -> Run {
    let r = btfkit(args);
    assert_eq!(r.code, 0, "btfkit {args:?}:\n{}{}", r.stdout, r.stderr);
    r
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn section(path: &Path, name: &str) -> Option<Vec<u8>> {
    let data = std::fs::read(path).expect("read");
    let f = object::File::parse(&*data).expect("ELF");
    f.section_by_name(name)
        .map(|x| x.data().expect("data").to_vec())
}

/// The header length of a raw blob.
fn hdr_len(blob: &[u8]) -> u32 {
    btfkit::read::Header::parse(blob).expect("header").hdr_len
}

#[test]
fn sort_of_the_6_1_vmlinux_is_sorted_and_stable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sorted = dir.path().join("vmlinux-sorted.btf");
    let r = ok(&["sort", &vmlinux(), "-o", s(&sorted)]);
    assert!(
        r.stderr.contains("100750 types sorted by name"),
        "{}",
        r.stderr
    );
    let r = ok(&["validate", s(&sorted)]);
    assert!(
        r.stdout.contains("vmlinux-sorted.btf: sorted by name"),
        "{}",
        r.stdout
    );
    let r = ok(&["validate", &vmlinux()]);
    assert!(r.stdout.contains("not sorted by name: [3]"), "{}", r.stdout);
    let r = ok(&["info", s(&sorted)]);
    assert!(
        r.stdout.contains("  order:        sorted by name"),
        "{}",
        r.stdout
    );
    // The header and the strings are kept; sorting again changes nothing.
    let (a, b) = (
        std::fs::read(&sorted).expect("read"),
        btfkit::compress::decompress(
            &std::fs::read(vmlinux()).expect("read"),
            btfkit::compress::Compression::Xz,
            u64::MAX,
        )
        .expect("xz"),
    );
    assert_eq!(a.len(), b.len());
    assert_eq!(a[..24], b[..24]);
    let again = dir.path().join("again.btf");
    let r = ok(&["sort", s(&sorted), "-o", s(&again)]);
    assert!(r.stderr.contains("0 moved: it was sorted"), "{}", r.stderr);
    assert_eq!(std::fs::read(&again).expect("read"), a);
}

#[test]
fn auto_is_libbpf_over_6_1_and_kernel_order_sorts_with_the_32_byte_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = testdata("linux-6.1/ko/veth.ko.xz");
    let out = |name: &str| dir.path().join(name);
    for (order, name) in [
        ("auto", "auto.ko"),
        ("libbpf", "libbpf.ko"),
        ("kernel", "kernel.ko"),
    ] {
        let r = ok(&[
            "distill",
            "--base",
            &vmlinux(),
            "--order",
            order,
            &m,
            "-o",
            s(&out(name)),
        ]);
        let want = if order == "kernel" {
            "kernel order"
        } else {
            "libbpf order"
        };
        assert!(r.stderr.contains(want), "{order}: {}", r.stderr);
    }
    // auto over an unsorted vmlinux: libbpf's bytes.
    for sec in [".BTF", ".BTF.base"] {
        assert_eq!(
            section(&out("auto.ko"), sec),
            section(&out("libbpf.ko"), sec)
        );
    }
    let lib = section(&out("libbpf.ko"), ".BTF").expect(".BTF");
    let ker = section(&out("kernel.ko"), ".BTF").expect(".BTF");
    assert_eq!((hdr_len(&lib), hdr_len(&ker)), (24, 32));
    let kb = section(&out("kernel.ko"), ".BTF.base").expect(".BTF.base");
    assert_eq!(hdr_len(&kb), 32);
    let r = ok(&["validate", s(&out("kernel.ko"))]);
    assert!(
        r.stdout.contains("kernel.ko: sorted by name"),
        "{}",
        r.stdout
    );
    let r = ok(&["validate", s(&out("libbpf.ko"))]);
    assert!(
        r.stdout.contains("libbpf.ko: not sorted by name"),
        "{}",
        r.stdout
    );
    // sort of the libbpf-order module: the kernel order's types (its header stays).
    let r = ok(&["sort", s(&out("libbpf.ko")), "-o", s(&out("sorted.ko"))]);
    assert!(r.stderr.contains("(over its .BTF.base)"), "{}", r.stderr);
    let sorted = section(&out("sorted.ko"), ".BTF").expect(".BTF");
    assert_eq!(sorted[24..], ker[32..]);
    let r = btfkit(&[
        "distill",
        "--base",
        &vmlinux(),
        "--order",
        "sorted",
        &m,
        "-o",
        s(&out("x.ko")),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn retarget_onto_a_sorted_vmlinux_sorts_and_check_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sorted = dir.path().join("vmlinux-sorted.btf");
    ok(&["sort", &vmlinux(), "-o", s(&sorted)]);
    let m = testdata("linux-6.1/ko/veth.ko.xz");
    let new = dir.path().join("veth.ko");
    let r = ok(&[
        "retarget",
        "--from",
        &vmlinux(),
        "--to",
        s(&sorted),
        &m,
        "-o",
        s(&new),
    ]);
    assert!(r.stderr.contains("kernel order"), "{}", r.stderr);
    let r = ok(&["check", "--base", s(&sorted), s(&new)]);
    assert!(
        r.stdout.contains("[sorted by name, like the target]"),
        "{}",
        r.stdout
    );
    let lib = dir.path().join("veth-libbpf.ko");
    ok(&[
        "retarget",
        "--from",
        &vmlinux(),
        "--to",
        s(&sorted),
        "--order",
        "libbpf",
        &m,
        "-o",
        s(&lib),
    ]);
    let r = ok(&["check", "--base", s(&sorted), "--json", s(&lib)]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(
        doc["modules"][0]["sorted"],
        serde_json::json!(false),
        "{}",
        r.stdout
    );
    let r = ok(&["check", "--base", s(&sorted), s(&lib)]);
    assert!(
        r.stdout
            .contains("not sorted by name although the target is"),
        "{}",
        r.stdout
    );
    // Against the unsorted 6.1 vmlinux, check says nothing about order.
    let r = ok(&["check", "--base", &vmlinux(), &m]);
    assert!(!r.stdout.contains("sorted"), "{}", r.stdout);
}

#[test]
fn an_output_named_without_a_directory_is_replaced_twice() {
    // `-o out.btf` in the working directory, when out.btf exists already: its directory is
    // "." (a bare name's parent is ""), which the durable replace must sync.
    let dir = tempfile::tempdir().expect("tempdir");
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
            .args(["sort", &vmlinux(), "-o", "out.btf"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("btfkit runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("out.btf").exists());
}
