//! Golden tests of every subcommand, its successes and its error cases: exit status,
//! stdout and stderr of real invocations on the committed fixtures, compared with
//! `testdata/golden/cli/NAME.txt`. `BLESS=1 cargo test -p btfkit-cli --test golden`
//! rewrites them; review the diff before committing.
//!
//! Each case runs in a fresh directory holding copies of the fixtures (`vmlinux.btf`,
//! `dummy.ko`, `veth.ko.xz`, a distilled `dist.ko`, raw `dummy.btf` + `dummy.btf.base`,
//! a tiny unrelated `tiny.btf`), so that paths in the output are stable.

use std::process::{Command, Stdio};

use test_support::root;

fn xz(p: &str) -> Vec<u8> {
    test_support::xz(&test_support::testdata(p))
}

/// The working directory of one case.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let vmlinux = xz("linux-6.1/vmlinux.btf.xz");
    std::fs::write(d.join("vmlinux.btf"), &vmlinux).unwrap();
    let dummy = xz("linux-6.1/ko/dummy.ko.xz");
    std::fs::write(d.join("dummy.ko"), &dummy).unwrap();
    std::fs::copy(
        root().join("testdata/linux-6.1/ko/veth.ko.xz"),
        d.join("veth.ko.xz"),
    )
    .unwrap();
    let base = btfkit::Btf::parse(&vmlinux).unwrap();
    let btfkit::module::Outcome::Rewritten(r) =
        btfkit::module::distill(&dummy, &base, &Default::default()).unwrap()
    else {
        panic!("dummy.ko distills")
    };
    std::fs::write(d.join("dist.ko"), &r.patched.elf).unwrap();
    let raw = btfkit::module::distill_raw(&dummy, &base, &Default::default()).unwrap();
    std::fs::write(d.join("dummy.btf"), &raw.distilled.split).unwrap();
    std::fs::write(d.join("dummy.btf.base"), &raw.distilled.base).unwrap();
    let mut b = btfkit::write::Builder::new();
    b.add_int("int", 4, btfkit::raw::INT_SIGNED);
    std::fs::write(d.join("tiny.btf"), b.to_bytes(btfkit::Endian::Little)).unwrap();
    std::fs::create_dir(d.join("tree")).unwrap();
    std::fs::write(d.join("tree/dummy.ko"), &dummy).unwrap();
    std::fs::write(d.join("tree/dist.ko"), &r.patched.elf).unwrap();
    std::fs::write(d.join("tree/not-a-module.ko"), b"hello").unwrap();
    dir
}

/// Runs `btfkit ARGS` in a fresh work directory and renders what it did.
fn run(args: &[&str], stdin: Option<&str>) -> String {
    let dir = workdir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btfkit"));
    cmd.args(args)
        .current_dir(dir.path())
        .env("COLUMNS", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match stdin {
        Some(f) => cmd.stdin(std::fs::File::open(dir.path().join(f)).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("btfkit runs");
    let tmp = dir.path().display().to_string();
    let text = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(&tmp, "$TMP")
            .replace(env!("CARGO_BIN_EXE_btfkit"), "btfkit")
    };
    let mut stdout = text(&out.stdout);
    if stdout.len() > 6000 {
        let cut = (0..=6000)
            .rev()
            .find(|&i| stdout.is_char_boundary(i))
            .unwrap();
        stdout = format!(
            "{}\n... ({} bytes in all)\n",
            &stdout[..cut],
            out.stdout.len()
        );
    }
    format!(
        "$ btfkit {}{}\nexit: {}\n--- stdout\n{stdout}--- stderr\n{}",
        args.join(" "),
        stdin.map(|f| format!(" < {f}")).unwrap_or_default(),
        out.status.code().expect("exit code"),
        text(&out.stderr)
    )
}

/// Compares with `testdata/golden/cli/NAME.txt`, or rewrites it under `BLESS=1`.
fn golden(name: &str, args: &[&str], stdin: Option<&str>) {
    let actual = run(args, stdin);
    let path = root()
        .join("testdata/golden/cli")
        .join(format!("{name}.txt"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create)", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

macro_rules! cases {
    ($($name:ident: [$($arg:expr),* $(,)?] $(< $stdin:expr)?;)*) => {
        $(
            #[test]
            fn $name() {
                #[allow(unused_mut, unused_assignments)]
                let mut stdin: Option<&str> = None;
                $(stdin = Some($stdin);)?
                golden(stringify!($name), &[$($arg),*], stdin);
            }
        )*
    };
}

cases! {
    // info
    info_module: ["info", "--base", "vmlinux.btf", "veth.ko.xz"];
    info_distilled: ["info", "dist.ko"];
    info_split_without_base: ["info", "dummy.ko"];
    info_missing_file: ["info", "nope.ko"];
    info_not_btf: ["info", "tree/not-a-module.ko"];
    info_stdin: ["info", "-"] < "vmlinux.btf";
    // validate
    validate_ok: ["validate", "--base", "vmlinux.btf", "dummy.ko", "dist.ko"];
    validate_wrong_base: ["validate", "--max-errors", "3", "--base", "tiny.btf", "dummy.ko"];
    validate_stdin_twice: ["validate", "-", "-"] < "dummy.ko";
    // dump
    dump_raw: ["dump", "--base", "vmlinux.btf", "dummy.ko"];
    dump_json: ["dump", "--format", "json", "dist.ko"];
    dump_bad_format: ["dump", "--format", "c", "dummy.ko"];
    // distill
    distill_raw: ["distill", "--base", "vmlinux.btf", "dummy.ko", "--out-base", "b", "--out-split", "s"];
    distill_o: ["distill", "--base", "vmlinux.btf", "veth.ko.xz", "-o", "out.ko"];
    distill_in_place_tree: ["distill", "--base", "vmlinux.btf", "--in-place", "tree"];
    distill_out_dir: ["distill", "--base", "vmlinux.btf", "--out-dir", "out", "tree"];
    distill_already_distilled: ["distill", "--base", "vmlinux.btf", "dist.ko", "-o", "out.ko"];
    distill_output_is_input: ["distill", "--base", "vmlinux.btf", "dummy.ko", "--out-base", "dummy.ko", "--out-split", "s"];
    distill_no_output: ["distill", "--base", "vmlinux.btf", "dummy.ko"];
    // relocate
    relocate_module: ["relocate", "--base", "vmlinux.btf", "dist.ko", "-o", "out.btf"];
    relocate_raw_with_id_map: ["relocate", "--base", "vmlinux.btf", "dummy.btf", "-o", "out.btf", "--id-map", "map.json"];
    relocate_onto_wrong_base: ["relocate", "--base", "tiny.btf", "dist.ko", "-o", "out.btf"];
    relocate_not_distilled: ["relocate", "--base", "vmlinux.btf", "dummy.ko", "-o", "out.btf"];
    // retarget
    retarget_o: ["retarget", "--from", "vmlinux.btf", "--to", "vmlinux.btf", "dummy.ko", "-o", "out.ko"];
    retarget_onto_wrong_base: ["retarget", "--from", "vmlinux.btf", "--to", "tiny.btf", "dummy.ko", "-o", "out.ko"];
    retarget_without_from: ["retarget", "--to", "vmlinux.btf", "dummy.ko", "-o", "out.ko"];
    // strip
    strip_o: ["strip", "dist.ko", "-o", "out.ko"];
    strip_in_place_tree: ["strip", "--in-place", "tree"];
    strip_no_target: ["strip", "dummy.ko"];
    // check
    check_ok: ["check", "--base", "vmlinux.btf", "dist.ko", "dummy.ko", "dummy.btf"];
    check_refused: ["check", "--base", "tiny.btf", "dist.ko", "dummy.ko"];
    check_json: ["check", "--json", "--base", "tiny.btf", "dist.ko"];
    check_unreadable: ["check", "--base", "vmlinux.btf", "tree"];
    // dedup
    dedup_modules: ["dedup", "--base", "vmlinux.btf", "dummy.ko", "veth.ko.xz", "dist.ko", "-o", "out.btf"];
    dedup_split_without_base: ["dedup", "dummy.ko", "-o", "out.btf"];
    dedup_wrong_base: ["dedup", "--base", "tiny.btf", "dummy.ko", "-o", "out.btf"];
    dedup_output_is_input: ["dedup", "--base", "vmlinux.btf", "dummy.ko", "-o", "dummy.ko"];
    dedup_no_input: ["dedup", "-o", "out.btf"];
    // ids
    ids_no_section: ["ids", "--base", "vmlinux.btf", "dummy.ko"];
    ids_not_elf: ["ids", "dummy.btf"];
    // usage
    usage_unknown_command: ["frobnicate"];
    usage_missing_argument: ["check"];
}
