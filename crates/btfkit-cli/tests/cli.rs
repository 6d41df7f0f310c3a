//! Golden tests of the `btfkit` binary on the committed fixtures: stdout, stderr and exit
//! code of real invocations. `BLESS=1 cargo test -p btfkit-cli` rewrites the expected
//! files under `testdata/golden/`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use test_support::cli::Run;

use test_support::root;

fn testdata(p: &str) -> String {
    test_support::testdata(p).display().to_string()
}

const VMLINUX: &str = "linux-6.1/vmlinux.btf.xz";

fn btfkit(args: &[&str]) -> Run {
    btfkit_stdin(args, None)
}

fn btfkit_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    test_support::cli::run(env!("CARGO_BIN_EXE_btfkit"), args, &root(), stdin)
}

/// Compares `actual` with `testdata/golden/NAME`, or rewrites it under `BLESS=1`.
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

/// Paths printed by the CLI are the ones given; make them stable for golden files.
fn relative(s: &str) -> String {
    s.replace(&format!("{}/", root().join("testdata").display()), "")
}

#[test]
fn info_of_vmlinux() {
    let r = btfkit(&["info", &testdata(VMLINUX)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("info-vmlinux.txt", &relative(&r.stdout));
}

#[test]
fn info_of_compressed_module() {
    let r = btfkit(&[
        "info",
        "--base",
        &testdata(VMLINUX),
        &testdata("linux-6.1/ko/dummy.ko.xz"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("info-dummy.txt", &relative(&r.stdout));
}

#[test]
fn dump_of_module_matches_golden() {
    let r = btfkit(&[
        "dump",
        "--base",
        &testdata(VMLINUX),
        &testdata("linux-6.1/ko/blake2b_generic.ko.xz"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("dump-blake2b_generic.txt", &r.stdout);
}

#[test]
fn validate_lists_modules_and_exits_zero() {
    let kos: Vec<String> = [
        "nls_ascii",
        "cpufreq_userspace",
        "dummy",
        "blake2b_generic",
        "xor",
        "veth",
    ]
    .iter()
    .map(|k| testdata(&format!("linux-6.1/ko/{k}.ko.xz")))
    .collect();
    let mut args = vec!["validate", "--base"];
    let base = testdata(VMLINUX);
    args.push(&base);
    args.extend(kos.iter().map(|s| s.as_str()));
    let r = btfkit(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.lines().filter(|l| l.ends_with(": ok")).count(), 6);
}

/// A module's BTF inside its `.ko`, uncompressed, for the tests below.
fn dummy_ko() -> Vec<u8> {
    test_support::xz(&test_support::testdata("linux-6.1/ko/dummy.ko.xz"))
}

#[test]
fn gzip_zstd_and_stdin_inputs_read_like_the_plain_file() {
    let ko = dummy_ko();
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("dummy.ko");
    std::fs::write(&plain, &ko).expect("write");
    let gz = dir.path().join("dummy.ko.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&ko).expect("gz");
    std::fs::write(&gz, enc.finish().expect("gz")).expect("write");
    let zst = dir.path().join("dummy.ko.zst");
    let compressed =
        ruzstd::encoding::compress_to_vec(&ko[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(&zst, compressed).expect("write");

    let base = testdata(VMLINUX);
    let expected = btfkit(&["dump", "--base", &base, plain.to_str().expect("utf-8")]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);
    assert!(expected.stdout.contains("FUNC 'dummy_init_module'"));
    for p in [&gz, &zst] {
        let r = btfkit(&["dump", "--base", &base, p.to_str().expect("utf-8")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, expected.stdout, "{}", p.display());
    }
    let r = btfkit_stdin(&["dump", "--base", &base, "-"], Some(&ko));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, expected.stdout);
}

#[test]
fn split_input_without_base_is_refused_with_a_hint() {
    let r = btfkit(&["dump", &testdata("linux-6.1/ko/dummy.ko.xz")]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("split BTF"), "{}", r.stderr);
    assert!(r.stderr.contains("--base"), "{}", r.stderr);
}

/// Builds a blob with one broken struct member and one bad INT.
fn broken_blob() -> Vec<u8> {
    let mut b = btfkit::write::Builder::new();
    let int = b.add_int("int", 4, btfkit::raw::INT_SIGNED);
    b.add_struct("foo", 8);
    b.add_member("a", int, 0, 0).unwrap();
    b.add_member("x", int, 96, 0).unwrap();
    let bad = b.add_str("bad").0;
    b.add_raw(bad, btfkit::raw::info(1, 0, false), 4, &[0x0900_0020]);
    b.to_bytes(btfkit::Endian::Little)
}

#[test]
fn validate_reports_every_problem_and_exits_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("broken.btf");
    std::fs::write(&p, broken_blob()).expect("write");
    let r = btfkit(&["validate", p.to_str().expect("utf-8")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let problems: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("(at .BTF+0x"))
        .collect();
    assert!(problems.len() >= 2, "{}", r.stdout);
    assert!(
        problems.iter().any(|l| l.contains("STRUCT [2] 'foo'")),
        "{}",
        r.stdout
    );
    assert!(
        problems.iter().any(|l| l.contains("INT [3] 'bad'")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("invalid ("), "{}", r.stdout);

    // Other commands refuse it with one line and exit 2, unless told not to validate.
    let r = btfkit(&["dump", p.to_str().expect("utf-8")]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("invalid BTF"), "{}", r.stderr);
    let r = btfkit(&["dump", "--no-validate", p.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("[2] STRUCT 'foo' size=8 vlen=2"),
        "{}",
        r.stdout
    );
}

#[test]
fn missing_file_is_an_error_with_exit_two() {
    let r = btfkit(&["validate", "/nonexistent/file.btf"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("btfkit: error: "), "{}", r.stderr);
    assert!(r.stderr.contains("/nonexistent/file.btf"), "{}", r.stderr);
}

#[test]
fn closed_pipe_exits_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(["dump", &testdata(VMLINUX)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("btfkit runs");
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("finishes");
    assert!(first.starts_with(b"[1] "));
    assert!(out.status.success(), "{:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_dump_is_one_document() {
    let r = btfkit(&[
        "dump",
        "--format",
        "json",
        "--base",
        &testdata(VMLINUX),
        &testdata("linux-6.1/ko/xor.ko.xz"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("valid JSON");
    let types = v["types"].as_array().expect("types array");
    assert_eq!(types.len(), 41);
}

#[test]
fn module_with_btf_base_is_read_over_its_own_base() {
    // A .ko whose .BTF.base holds a base it was built against (here the full vmlinux BTF,
    // which is a valid base as much as a distilled one) reads without --base.
    let dir = tempfile::tempdir().expect("tempdir");
    let ko = dir.path().join("dummy.ko");
    std::fs::write(&ko, dummy_ko()).expect("write");
    let vmlinux = test_support::xz(&test_support::testdata(VMLINUX));
    let base = dir.path().join("vmlinux.btf");
    std::fs::write(&base, &vmlinux).expect("write");
    let with_base = dir.path().join("with-base.ko");
    let status = Command::new("objcopy")
        .arg(format!("--add-section=.BTF.base={}", base.display()))
        .arg(&ko)
        .arg(&with_base)
        .status()
        .expect("objcopy (binutils) is needed for this test");
    assert!(status.success());

    let r = btfkit(&["info", with_base.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("(its .BTF.base, distilled)"),
        "{}",
        r.stdout
    );
    let own = btfkit(&["dump", with_base.to_str().expect("utf-8")]);
    let given = btfkit(&[
        "dump",
        "--base",
        base.to_str().expect("utf-8"),
        ko.to_str().expect("utf-8"),
    ]);
    assert_eq!(own.code, 0, "{}", own.stderr);
    assert_eq!(own.stdout, given.stdout);
    // With --base the module is relocated first; a full vmlinux is no distilled base.
    let r = btfkit(&[
        "dump",
        "--base",
        base.to_str().expect("utf-8"),
        with_base.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot be in a distilled base"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 22, "{}", r.stderr);
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn distill_one_module_and_a_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = testdata(VMLINUX);
    let (ob, os) = (
        dir.path().join("dummy.btf.base"),
        dir.path().join("dummy.btf"),
    );
    let r = btfkit(&[
        "distill",
        "--base",
        &base,
        &testdata("linux-6.1/ko/dummy.ko.xz"),
        "--out-base",
        ob.to_str().expect("utf-8"),
        "--out-split",
        os.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The outputs read back: the split over its distilled base dumps the same functions.
    let d = btfkit(&[
        "dump",
        "--base",
        ob.to_str().expect("utf-8"),
        os.to_str().expect("utf-8"),
    ]);
    assert_eq!(d.code, 0, "{}", d.stderr);
    assert!(
        d.stdout.contains("FUNC 'dummy_init_module'"),
        "{}",
        d.stdout
    );
    let db = btfkit(&["dump", ob.to_str().expect("utf-8")]);
    assert!(
        db.stdout.contains("STRUCT 'net_device' size="),
        "{}",
        db.stdout
    );
    assert!(db.stdout.contains("vlen=0"), "{}", db.stdout);

    // Batch over the fixture directory: every module, same bytes as one at a time.
    let out = dir.path().join("out");
    let r = btfkit(&[
        "distill",
        "--base",
        &base,
        "--out-dir",
        out.to_str().expect("utf-8"),
        &testdata("linux-6.1/ko"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("distilled 6 of 6 modules (0 failed)"),
        "{}",
        r.stderr
    );
    assert_eq!(files_in(&out).len(), 12, "{:?}", files_in(&out));
    assert_eq!(
        std::fs::read(out.join("dummy.btf")).expect("batch output"),
        std::fs::read(&os).expect("single output")
    );
    assert_eq!(
        std::fs::read(out.join("dummy.btf.base")).expect("batch output"),
        std::fs::read(&ob).expect("single output")
    );
}

#[test]
fn distill_batch_names_each_failure_and_exits_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).expect("mkdir");
    std::fs::write(inputs.join("dummy.ko"), dummy_ko()).expect("write");
    let mut broken = broken_blob();
    broken.truncate(broken.len() - 3);
    std::fs::write(inputs.join("broken.btf"), broken).expect("write");
    let out = dir.path().join("out");
    let r = btfkit(&[
        "distill",
        "--base",
        &testdata(VMLINUX),
        "--out-dir",
        out.to_str().expect("utf-8"),
        inputs.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("broken.btf: "), "{}", r.stderr);
    assert!(
        r.stderr.contains("distilled 1 of 2 modules (1 failed)"),
        "{}",
        r.stderr
    );
    // Only the good module's outputs, and no temporary files.
    assert_eq!(files_in(&out), vec!["dummy.btf", "dummy.btf.base"]);
}

#[test]
fn distill_failure_leaves_no_partial_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let os = dir.path().join("dummy.btf");
    let ob = dir.path().join("missing-dir/dummy.btf.base");
    let r = btfkit(&[
        "distill",
        "--base",
        &testdata(VMLINUX),
        &testdata("linux-6.1/ko/dummy.ko.xz"),
        "--out-base",
        ob.to_str().expect("utf-8"),
        "--out-split",
        os.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

/// Distills the dummy fixture into `dir` as dummy.btf + dummy.btf.base.
fn distilled_dummy(dir: &Path) -> (PathBuf, PathBuf) {
    let (ob, os) = (dir.join("dummy.btf.base"), dir.join("dummy.btf"));
    let r = btfkit(&[
        "distill",
        "--base",
        &testdata(VMLINUX),
        &testdata("linux-6.1/ko/dummy.ko.xz"),
        "--out-base",
        ob.to_str().expect("utf-8"),
        "--out-split",
        os.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (ob, os)
}

/// A vmlinux stand-in that has `int` and nothing else the module needs: two `sk_buff`
/// of other sizes (two of a name make the size decide, and neither fits).
fn tiny_target(dir: &Path) -> PathBuf {
    let mut b = btfkit::write::Builder::new();
    b.add_int("int", 4, btfkit::raw::INT_SIGNED);
    b.add_struct("sk_buff", 8);
    b.add_struct("sk_buff", 16);
    let p = dir.join("tiny-vmlinux.btf");
    std::fs::write(&p, b.to_bytes(btfkit::Endian::Little)).expect("write");
    p
}

#[test]
fn relocate_back_onto_the_original_base_with_id_map() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, os) = distilled_dummy(dir.path());
    let out = dir.path().join("relocated.btf");
    let map = dir.path().join("map.json");
    let r = btfkit(&[
        "relocate",
        "--base",
        &testdata(VMLINUX),
        os.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--id-map",
        map.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The relocated BTF is split BTF over the real vmlinux again.
    let d = btfkit(&[
        "dump",
        "--base",
        &testdata(VMLINUX),
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(d.code, 0, "{}", d.stderr);
    assert!(
        d.stdout.contains("FUNC 'dummy_init_module'"),
        "{}",
        d.stdout
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&map).expect("map")).expect("JSON");
    assert_eq!(m["format"], "btfkit-id-map");
    assert_eq!(m["base_types"], 100750);
    let types = m["types"].as_array().expect("types");
    let n = m["dist_base_types"].as_u64().expect("n") + m["split_types"].as_u64().expect("n");
    assert_eq!(types.len() as u64, n);
    // Every distilled base type maps into vmlinux, every split type after it.
    for pair in types {
        let (old, new) = (
            pair[0].as_u64().expect("old"),
            pair[1].as_u64().expect("new"),
        );
        if old <= m["dist_base_types"].as_u64().expect("n") {
            assert!((1..=100750).contains(&new), "{pair}");
        } else {
            assert!(new > 100750, "{pair}");
        }
    }
}

#[test]
fn relocate_failure_lists_every_type_and_exits_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, os) = distilled_dummy(dir.path());
    let target = tiny_target(dir.path());
    let out = dir.path().join("relocated.btf");
    let r = btfkit(&[
        "relocate",
        "--base",
        target.to_str().expect("utf-8"),
        os.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!out.exists());
    // The dummy module's distilled base holds 10 types; `int` maps, the rest do not.
    assert!(
        r.stderr
            .contains("9 distilled base types cannot be relocated"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("STRUCT 'sk_buff' [3] size 232") && r.stderr.contains("size mismatch"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("STRUCT 'net_device'"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("missing: the base has no type of that name"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_says_which_modules_would_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    distilled_dummy(dir.path());
    let r = btfkit(&[
        "check",
        "--base",
        &testdata(VMLINUX),
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("dummy.btf: ok"), "{}", r.stdout);
    assert!(r.stdout.contains("checked 1 modules"), "{}", r.stdout);

    let target = tiny_target(dir.path());
    let r = btfkit(&[
        "check",
        "--base",
        target.to_str().expect("utf-8"),
        "--json",
        dir.path().join("dummy.btf").to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["summary"]["refused"], 1);
    let problems = v["modules"][0]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 9);
    assert!(problems
        .iter()
        .any(|p| p["name"] == "sk_buff" && p["problem"]["cause"] == "size mismatch"));

    // A plain (not distilled) module is checked as split BTF over the target.
    let r = btfkit(&[
        "check",
        "--base",
        &testdata(VMLINUX),
        &testdata("linux-6.1/ko/veth.ko.xz"),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = btfkit(&[
        "check",
        "--base",
        target.to_str().expect("utf-8"),
        &testdata("linux-6.1/ko/veth.ko.xz"),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("would be refused"), "{}", r.stdout);
}
