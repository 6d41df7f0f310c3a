//! What makes btfkit safe to run as root on `/lib/modules` (issue "Trust"): one test per
//! defect found by trying it as a new user would. Each asserts the documented
//! behaviour and that no input changed.
//!
//! Device nodes (`mknod`) and ownership (`chown nobody`) need root, as CI runs; as
//! another user those two tests check what they can and say so.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use test_support::testdata;

/// The vmlinux BTF of the fixture modules, decompressed into `dir`.
fn vmlinux(dir: &Path) -> PathBuf {
    let p = dir.join("vmlinux.btf");
    if !p.exists() {
        std::fs::write(&p, test_support::xz(&testdata("linux-6.1/vmlinux.btf.xz"))).expect("write");
    }
    p
}

/// A fixture module (decompressed `.ko`) copied into `dir` as `name`.
fn module(dir: &Path, name: &str) -> PathBuf {
    let raw = test_support::xz(&testdata("linux-6.1/ko/dummy.ko.xz"));
    let p = dir.join(name);
    std::fs::write(&p, raw).expect("write");
    p
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn btfkit_in(dir: &Path, args: &[&str], stdin: Option<&Path>) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(args)
        .current_dir(dir)
        .stdin(match stdin {
            Some(p) => Stdio::from(std::fs::File::open(p).expect("stdin file")),
            None => Stdio::null(),
        })
        .output()
        .expect("btfkit runs");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A file that must not change: (path, bytes, mode, uid, gid, inode).
type Snapshot = (PathBuf, Vec<u8>, u32, u32, u32, u64);

/// Snapshots of files that must not change.
fn snapshot(paths: &[&Path]) -> Vec<Snapshot> {
    paths
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).expect("stat");
            (
                p.to_path_buf(),
                std::fs::read(p).expect("read"),
                m.mode(),
                m.uid(),
                m.gid(),
                m.ino(),
            )
        })
        .collect()
}

fn assert_unchanged(before: &[Snapshot]) {
    assert_eq!(
        before,
        snapshot(&before.iter().map(|b| b.0.as_path()).collect::<Vec<_>>()),
        "an input changed"
    );
}

/// What `distill -o` writes for the fixture module (through a regular file).
fn distilled_bytes(dir: &Path, v: &Path, m: &Path) -> Vec<u8> {
    let out = dir.join("reference-out.ko");
    let r = btfkit_in(dir, &["distill", "--base", s(v), s(m), "-o", s(&out)], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bytes = std::fs::read(&out).expect("out");
    std::fs::remove_file(&out).expect("rm");
    bytes
}

#[test]
fn devices_are_written_through_never_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let before = snapshot(&[&v, &m]);
    // /dev/full: written through, so the write fails; the node stays a device.
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), s(&m), "-o", "/dev/full"],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("/dev/full: writing: No space left on device"),
        "{}",
        r.stderr
    );
    assert!(std::fs::metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());
    // A private null device (mknod needs root), as --out-base.
    if is_root() {
        let null = dir.path().join("null");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &null,
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o666),
            rustix::fs::makedev(1, 3),
        )
        .expect("mknod");
        let split = dir.path().join("split.btf");
        let r = btfkit_in(
            dir.path(),
            &[
                "distill",
                "--base",
                s(&v),
                s(&m),
                "--out-base",
                s(&null),
                "--out-split",
                s(&split),
            ],
            None,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let meta = std::fs::symlink_metadata(&null).unwrap();
        assert!(
            meta.file_type().is_char_device(),
            "the device node was replaced"
        );
        assert_eq!(meta.rdev(), rustix::fs::makedev(1, 3));
        assert!(split.is_file());
    } else {
        eprintln!("not root: the private mknod device case was not run");
    }
    assert_unchanged(&before);
}

#[test]
fn a_fifo_is_written_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let expected = distilled_bytes(dir.path(), &v, &m);
    let fifo = dir.path().join("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            std::fs::File::open(&fifo)
                .expect("open fifo")
                .read_to_end(&mut got)
                .expect("read fifo");
            got
        })
    };
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), s(&m), "-o", s(&fifo)],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(reader.join().expect("reader"), expected);
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn a_symlink_is_followed_and_its_target_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let expected = distilled_bytes(dir.path(), &v, &m);
    let target = dir.path().join("target.ko");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.path().join("link.ko");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), s(&m), "-o", s(&link)],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), expected);
    // A directory is an error; nothing is written.
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), s(&m), "-o", s(dir.path())],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
}

#[test]
fn an_output_that_is_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let link = dir.path().join("link-to-base");
    std::os::unix::fs::symlink(&v, &link).unwrap();
    let before = snapshot(&[&v, &m]);
    let x = dir.path().join("x");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "distill",
                "--base",
                s(&v),
                s(&m),
                "--out-base",
                s(&m),
                "--out-split",
                s(&x),
            ],
            "is the same file as the input",
        ),
        (
            vec![
                "distill",
                "--base",
                s(&v),
                s(&m),
                "--out-base",
                s(&x),
                "--out-split",
                s(&v),
            ],
            "is the same file as the base",
        ),
        (
            vec![
                "distill",
                "--base",
                s(&v),
                s(&m),
                "--out-base",
                s(&x),
                "--out-split",
                s(&link),
            ],
            "is the same file as the base",
        ),
        (
            vec![
                "distill",
                "--base",
                s(&v),
                s(&m),
                "--out-base",
                "F",
                "--out-split",
                "F",
            ],
            "is the same file as another output",
        ),
        (
            vec!["distill", "--base", s(&v), s(&m), "-o", s(&m)],
            "is the same file as the input",
        ),
        (
            vec![
                "retarget",
                "--from",
                s(&v),
                "--to",
                s(&v),
                s(&m),
                "-o",
                s(&link),
            ],
            "is the same file as the",
        ),
    ];
    for (args, msg) in cases {
        let r = btfkit_in(dir.path(), &args, None);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
        assert!(
            !x.exists() && !dir.path().join("F").exists(),
            "{args:?} wrote"
        );
        assert_unchanged(&before);
    }
}

#[test]
fn dash_writes_standard_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let expected = distilled_bytes(dir.path(), &v, &m);
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), s(&m), "-o", "-"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, expected);
    assert!(!dir.path().join("-").exists(), "a file named - was written");
    let split = dir.path().join("split");
    let r = btfkit_in(
        dir.path(),
        &[
            "distill",
            "--base",
            s(&v),
            s(&m),
            "--out-base",
            "-",
            "--out-split",
            s(&split),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(&[0x9f, 0xeb]), "raw BTF on stdout");
}

#[test]
fn reads_are_bounded_and_checked_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = vmlinux(dir.path());
    // /dev/zero: refused at its first bytes.
    let r = btfkit_in(dir.path(), &["info", "/dev/zero"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not BTF, an ELF object"), "{}", r.stderr);
    // A zstd bomb: 64 MiB of zeros in a few KB; refused at the decompressed magic.
    let bomb = dir.path().join("bomb.ko.zst");
    std::fs::write(
        &bomb,
        btfkit::compress::compress(&vec![0u8; 64 << 20], btfkit::compress::Compression::Zstd)
            .unwrap(),
    )
    .unwrap();
    let r = btfkit_in(dir.path(), &["info", s(&bomb)], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("its zstd data starts with 00"),
        "{}",
        r.stderr
    );
    // An ELF bomb: the cap stops decompression.
    let mut elf = b"\x7fELF".to_vec();
    elf.resize(8 << 20, 0);
    let big = dir.path().join("big.ko.gz");
    std::fs::write(
        &big,
        btfkit::compress::compress(&elf, btfkit::compress::Compression::Gzip).unwrap(),
    )
    .unwrap();
    let r = btfkit_in(
        dir.path(),
        &["--max-input-size", "1000000", "info", s(&big)],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("gzip data decompresses to more than 1000000 bytes"),
        "{}",
        r.stderr
    );
    // Every kernel compression is read; a damaged stream is named with its compression.
    let bz = dir.path().join("m.ko.bz2");
    std::fs::write(&bz, b"BZh91AY&SY....").unwrap();
    let r = btfkit_in(dir.path(), &["info", s(&bz)], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bzip2 data is corrupt"), "{}", r.stderr);
    let _ = v;
}

/// The fixture module with its `.BTF` replaced by an `SHF_COMPRESSED` section holding
/// the same BTF (an `Elf64_Chdr` and zlib data), as `objcopy --compress-sections` makes.
fn compressed_btf_module(m: &[u8]) -> Vec<u8> {
    use btfkit::elf::patch::{NewSection, Patch};
    use std::io::Write;
    let btf = btfkit::elf::BtfSections::parse(m).unwrap().btf.into_owned();
    let mut data = Vec::new();
    data.extend_from_slice(&1u32.to_le_bytes()); // ELFCOMPRESS_ZLIB
    data.extend_from_slice(&0u32.to_le_bytes());
    data.extend_from_slice(&(btf.len() as u64).to_le_bytes());
    data.extend_from_slice(&1u64.to_le_bytes());
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&btf).unwrap();
    data.extend_from_slice(&z.finish().unwrap());
    let stripped = Patch::new().remove(".BTF").apply(m).unwrap().elf;
    let new = NewSection {
        sh_flags: 0x800, // SHF_COMPRESSED
        ..NewSection::BTF
    };
    Patch::new()
        .set_with(".BTF", &data, new)
        .apply(&stripped)
        .unwrap()
        .elf
}

#[test]
fn a_compressed_btf_section_is_refused_as_the_kernel_refuses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let c = dir.path().join("c.ko");
    std::fs::write(&c, compressed_btf_module(&std::fs::read(&m).unwrap())).unwrap();
    let r = btfkit_in(dir.path(), &["info", "--base", s(&v), s(&c)], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("is compressed (SHF_COMPRESSED)"),
        "{}",
        r.stderr
    );
    let r = btfkit_in(dir.path(), &["check", "--base", s(&v), s(&c)], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(
        out.contains("would be refused: .BTF is stored compressed"),
        "{out}"
    );
}

#[test]
fn a_duplicate_btf_section_is_an_error() {
    use btfkit::elf::patch::Patch;
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let elf = std::fs::read(&m).unwrap();
    let btf = btfkit::elf::BtfSections::parse(&elf)
        .unwrap()
        .btf
        .into_owned();
    let mut two = Patch::new().set(".BTF_", &btf).apply(&elf).unwrap().elf;
    // Rename .BTF_ to .BTF in the section name table.
    let at = two.windows(6).rposition(|w| w == b".BTF_\0").expect("name");
    two[at + 4] = 0;
    let d = dir.path().join("d.ko");
    std::fs::write(&d, two).unwrap();
    let r = btfkit_in(dir.path(), &["info", "--base", s(&v), s(&d)], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("more than one .BTF section"),
        "{}",
        r.stderr
    );
}

#[test]
fn standard_input_is_read_once_and_works_like_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let r = btfkit_in(dir.path(), &["check", "--base", s(&v), "-"], Some(&m));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(String::from_utf8_lossy(&r.stdout).contains("<stdin>: ok"));
    for args in [
        vec!["validate", "-", "-"],
        vec!["validate", "--base", "-", "-"],
        vec!["check", "--base", "-", "-"],
        vec!["dump", "--base", "-", "-"],
    ] {
        let r = btfkit_in(dir.path(), &args, Some(&m));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("can be read only once"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_closed_pipe_keeps_the_answer_and_a_full_disk_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = module(dir.path(), "m.ko");
    // The module over a base it was not built against is invalid: many lines, exit 1.
    let tiny = dir.path().join("tiny.btf");
    {
        let mut b = btfkit::write::Builder::new();
        b.add_int("int", 4, btfkit::raw::INT_SIGNED);
        std::fs::write(&tiny, b.to_bytes(btfkit::Endian::Little)).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(["validate", "--max-errors", "0", "--base", s(&tiny), s(&m)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The read end is closed here (dropped), as `| head -n1` does.
    let status = child.wait().unwrap();
    assert!(!first.is_empty());
    assert_eq!(
        status.code(),
        Some(1),
        "a closed pipe turned 'invalid' into success"
    );

    let v = vmlinux(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(["ids", "--base", s(&v), s(&m)])
        .stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("writing to standard output: No space left on device"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn in_place_keeps_owner_mode_and_extended_attributes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o640)).unwrap();
    let owned = is_root();
    if owned {
        // nobody:nogroup
        std::os::unix::fs::chown(&m, Some(65534), Some(65534)).unwrap();
    } else {
        eprintln!("not root: ownership is not changed for this test");
    }
    let xattr = rustix::fs::setxattr(
        &m,
        "user.btfkit-test",
        b"kept",
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok();
    let before = std::fs::metadata(&m).unwrap();
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), "--in-place", s(&m)],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = std::fs::metadata(&m).unwrap();
    assert_ne!(
        before.ino(),
        after.ino(),
        "replaced, not rewritten in place"
    );
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    if owned {
        assert_eq!(after.uid(), 65534);
    }
    if xattr {
        let mut buf = [0u8; 16];
        let n = rustix::fs::getxattr(&m, "user.btfkit-test", &mut buf[..]).expect("xattr kept");
        assert_eq!(&buf[..n], b"kept");
    }
    assert!(btfkit::elf::BtfSections::parse(&std::fs::read(&m).unwrap())
        .unwrap()
        .base
        .is_some());
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_hard_linked_module_is_refused_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let other = dir.path().join("other-name.ko");
    std::fs::hard_link(&m, &other).unwrap();
    let before = snapshot(&[&m, &other]);
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), "--in-place", s(&m)],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("has 2 hard links"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(&m).unwrap(),
        before[0].1,
        "the linked module changed"
    );
    // In a tree, it is one failed module among others (exit 1); its two names are one
    // file, taken once.
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::rename(&other, tree.join("other-name.ko")).unwrap();
    module(&tree, "single.ko");
    let r = btfkit_in(
        dir.path(),
        &["distill", "--base", s(&v), "--in-place", s(&tree), s(&m)],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("distilled 1 of 2 modules in place (1 failed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("has 2 hard links"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(&m).unwrap(),
        before[0].1,
        "the linked module changed"
    );
}

#[test]
fn names_in_diagnostics_are_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = btfkit::write::Builder::new();
    let int = b.add_int("int", 4, btfkit::raw::INT_SIGNED);
    b.add_struct("ev\x1b[31mil\x07", 4);
    b.add_member("x", int, 0, 0).unwrap();
    let evil = dir.path().join("evil\x1b[2J.btf");
    std::fs::write(&evil, b.to_bytes(btfkit::Endian::Little)).unwrap();
    let r = btfkit_in(dir.path(), &["validate", s(&evil)], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("'ev\\x1b[31mil\\x07'"), "{out}");
    assert!(out.contains("evil\\x1b[2J.btf"), "{out}");
}

#[test]
fn a_second_out_dir_run_skips_its_own_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = vmlinux(dir.path());
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    module(&tree, "a.ko");
    module(&tree, "b.ko");
    let out = tree.join("out");
    for _ in 0..2 {
        let r = btfkit_in(
            dir.path(),
            &["distill", "--base", s(&v), "--out-dir", s(&out), s(&tree)],
            None,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains("distilled 2 of 2 modules"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn errors_name_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, m) = (vmlinux(dir.path()), module(dir.path(), "m.ko"));
    let r = btfkit_in(
        dir.path(),
        &[
            "distill",
            "--base",
            s(&v),
            s(&m),
            "--out-base",
            "/nonexistent/a",
            "--out-split",
            "b",
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("/nonexistent"), "{}", r.stderr);
    assert!(!r.stderr.contains(".tmp"), "{}", r.stderr);
    assert!(!dir.path().join("b").exists());
}

#[test]
fn ctrl_c_commits_what_is_done_and_summarizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = vmlinux(dir.path());
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let original = std::fs::read(module(&tree, "m0.ko")).unwrap();
    for i in 1..400 {
        std::fs::write(tree.join(format!("m{i}.ko")), &original).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(["distill", "--base", s(&v), "--in-place", s(&tree)])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("modules in place"), "no summary: {stderr}");
    // Whether or not the signal came in time: every file is the original or the result.
    let mut distilled = 0;
    for e in std::fs::read_dir(&tree).unwrap() {
        let p = e.unwrap().path();
        assert!(
            p.extension().is_some_and(|x| x == "ko"),
            "left behind: {}",
            p.display()
        );
        let bytes = std::fs::read(&p).unwrap();
        if bytes != original {
            let s = btfkit::elf::BtfSections::parse(&bytes).expect("a whole module");
            assert!(s.base.is_some());
            distilled += 1;
        }
    }
    match out.status.code() {
        Some(0) => assert_eq!(distilled, 400),
        Some(2) => assert!(stderr.contains("interrupted"), "{stderr}"),
        other => panic!("exit {other:?}: {stderr}"),
    }
}
