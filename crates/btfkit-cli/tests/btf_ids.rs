//! `btfkit ids` (and, with the ELF patch, `distill -o`/`--in-place`, `retarget` and
//! `check` on modules with `.BTF_ids`) on relocatable objects built here: a small vmlinux
//! and module BTF, and a `.BTF_ids` section with every entry form (`BTF_ID_LIST` with
//! single ids, an unused and an unresolved entry, a `BTF_SET`, a `BTF_KFUNCS` set8 with
//! flags), as resolve_btfids leaves it.

#![allow(dead_code)]

use btfkit::distill::distill;
use btfkit::elf::btf_ids::BtfIds;
use btfkit::elf::Patch;
use btfkit::write::Builder;
use btfkit::{raw, Btf, Endian};
use std::path::{Path, PathBuf};
use test_support::cli::Run;

// ---------------------------------------------------------------------------------------
// The same tiny ELF writer and fixture as crates/btfkit/tests/btf_ids.rs.

use test_support::btf_ids::*;

/// The module object: ELF with `.BTF_ids` as resolve_btfids left it and the split `.BTF`.
fn module(class: Class) -> (Vec<u8>, Vec<u8>) {
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let (data, syms) = assemble(&source(), Some(&split), class.endian);
    let elf = Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    let mut p = Patch::new();
    p.set(".BTF", &f.split);
    (p.apply(&elf).expect("adds .BTF").elf, f.base)
}

fn btfkit(args: &[&str]) -> Run {
    test_support::cli::run(env!("CARGO_BIN_EXE_btfkit"), args, Path::new("."), None)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

struct Files {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    module: PathBuf,
    base: PathBuf,
}

fn files(class: Class) -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    let (module, base) = module(class);
    let p = dir.path().to_path_buf();
    std::fs::write(p.join("mod.ko"), module).unwrap();
    std::fs::write(p.join("vmlinux.btf"), base).unwrap();
    Files {
        dir: p.clone(),
        module: p.join("mod.ko"),
        base: p.join("vmlinux.btf"),
        _dir: dir,
    }
}

#[test]
fn ids_lists_every_entry_and_what_its_id_is() {
    for class in CLASSES {
        let f = files(class);
        let r = btfkit(&["ids", "--base", s(&f.base), s(&f.module)]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let o = &r.stdout;
        for want in [
            "12 entries: 6 in 2 sets, 6 outside sets",
            "list mod_btf_ids at +0x0",
            "is STRUCT 'tcp_sock'",
            "is TYPEDEF 'u64_t'",
            "is UNION 'thread_union'",
            "is STRUCT 'nf_conn___init'",
            "set mod_set at +0x1c: cnt 3, sorted",
            "set8 mod_kfunc_ids at +0x2c: cnt 3, flags 0x1 (kfuncs), sorted",
            "flags 0x0002 ok  __BTF_ID__func__bbr_init__",
            "flags 0x0005 ok  __BTF_ID__func__bbr_undo__",
            "every entry names the type its symbol says (unresolved ones as resolve_btfids left them)",
        ] {
            assert!(o.contains(want), "missing {want:?} in\n{o}");
        }
        let missing = o
            .lines()
            .find(|l| l.contains("missing_type"))
            .expect("line");
        assert!(
            missing.contains("id 0 (unresolved)") && missing.contains(" unresolved "),
            "{missing}"
        );
        assert!(!o.contains("MISMATCH"), "{o}");
        assert!(o.contains(&format!("({})", class.endian)), "{o}");

        // Without a base: the stored ids alone.
        let r = btfkit(&["ids", s(&f.module)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("stored ids only"), "{}", r.stdout);
        assert!(r.stdout.contains("  +0x0034  [0] id 12 "), "{}", r.stdout);
    }
}

#[test]
fn ids_flags_a_distilled_module_whose_btf_ids_were_not_rewritten() {
    let class = CLASSES[0];
    let f = files(class);
    let ko = std::fs::read(&f.module).unwrap();
    let base_bytes = std::fs::read(&f.base).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();
    let secs = btfkit::elf::BtfSections::parse(&ko).unwrap();
    let split = Btf::parse_split(&secs.btf, &base).unwrap();

    // .BTF + .BTF.base rewritten, .BTF_ids not: what objcopy with libbpf's output gives.
    let d = distill(&split).unwrap();
    let stale = f.dir.join("stale.ko");
    std::fs::write(
        &stale,
        btfkit::elf::patch::set_btf(&ko, &d.split, Some(&d.base))
            .unwrap()
            .elf,
    )
    .unwrap();
    let r = btfkit(&["ids", s(&stale)]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("over its .BTF.base (distilled)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("MISMATCH"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("MISMATCH(ES): the kernel would get wrong type ids"),
        "{}",
        r.stdout
    );

    // Rewritten: every entry names its type, over the distilled base and relocated.
    let ids = BtfIds::parse(&ko).unwrap().unwrap();
    let (d, section, _) =
        btfkit::module::distill_with_btf_ids(&split, &ids, btfkit::sort::Order::Libbpf).unwrap();
    let mut p = Patch::new();
    p.set(".BTF", &d.split)
        .set(".BTF.base", &d.base)
        .replace(".BTF_ids", &section);
    let good = f.dir.join("good.ko");
    std::fs::write(&good, p.apply(&ko).unwrap().elf).unwrap();
    let r = btfkit(&["ids", s(&good)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = btfkit(&["ids", "--base", s(&f.base), s(&good)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("relocated onto"), "{}", r.stdout);
    assert!(
        r.stdout.contains("(-> "),
        "ids shown with their relocated ids: {}",
        r.stdout
    );
}

#[test]
fn ids_without_btf_ids_or_elf_and_with_bad_symbols() {
    let class = CLASSES[0];
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.o");
    std::fs::write(
        &plain,
        Elf {
            class,
            btf_ids: None,
            syms: vec![],
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap();
    let r = btfkit(&["ids", s(&plain)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no .BTF_ids section"), "{}", r.stdout);

    let raw = dir.path().join("raw.btf");
    std::fs::write(&raw, fixture(class.endian).base).unwrap();
    let r = btfkit(&["ids", s(&raw)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not an ELF object"), "{}", r.stderr);

    let bad = dir.path().join("bad.o");
    std::fs::write(
        &bad,
        Elf {
            class,
            btf_ids: Some(vec![0; 8]),
            syms: vec![Sym {
                name: "__BTF_ID__enum__e__1".into(),
                value: 0,
                size: 4,
                ty: STT_OBJECT,
            }],
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap();
    let r = btfkit(&["ids", s(&bad)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("__BTF_ID__enum__e__1: unsupported prefix"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------
// distill -o / --in-place / raw outputs, retarget and check on modules with .BTF_ids.

/// (kind, name) of what every entry names, by symbol, with the verdict.
fn meaning(ids: &BtfIds, btf: &Btf<'_>) -> Vec<(String, String)> {
    let r = ids.resolve(btf);
    assert!(r.is_ok(), "{:?}", r.problems(ids));
    r.entries
        .iter()
        .map(|x| {
            (
                ids.entries[x.entry].symbol.clone(),
                format!("{:?} {:?}", x.status, x.is),
            )
        })
        .collect()
}

/// The module's BTF as the ids see it: split over `base` (plain) or over `.BTF.base`.
fn with_module_btf<R>(elf: &[u8], base: Option<&[u8]>, f: impl FnOnce(&Btf<'_>) -> R) -> R {
    let secs = btfkit::elf::BtfSections::parse(elf).unwrap();
    match (&secs.base, base) {
        (Some(db), _) => {
            let db = Btf::parse(db).unwrap();
            let s = Btf::parse_split(&secs.btf, &db).unwrap();
            f(&s)
        }
        (None, Some(b)) => {
            let b = Btf::parse(b).unwrap();
            let s = Btf::parse_split(&secs.btf, &b).unwrap();
            f(&s)
        }
        (None, None) => panic!("no base"),
    }
}

#[test]
fn distill_rewrites_btf_ids_in_the_same_patch() {
    for class in [CLASSES[0], CLASSES[3]] {
        let f = files(class);
        let orig = std::fs::read(&f.module).unwrap();
        let base = std::fs::read(&f.base).unwrap();
        let ids = BtfIds::parse(&orig).unwrap().unwrap();
        let before = with_module_btf(&orig, Some(&base), |b| meaning(&ids, b));

        let out = f.dir.join("out.ko");
        let r = btfkit(&["distill", "--base", s(&f.base), s(&f.module), "-o", s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains(
                ".BTF_ids: 12 entries rewritten, 2 sets re-sorted, 4 of their ids name vmlinux types"
            ),
            "{}",
            r.stderr
        );
        let new = std::fs::read(&out).unwrap();
        let new_ids = BtfIds::parse(&new).unwrap().unwrap();
        assert_eq!(
            with_module_btf(&new, None, |b| meaning(&new_ids, b)),
            before
        );
        assert!(new_ids.sets.iter().all(|s| s.is_sorted()));
        let r = btfkit(&["ids", s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stdout);
        let r = btfkit(&["check", "--base", s(&f.base), s(&out)]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

        // --in-place gives the same file.
        let r = btfkit(&["distill", "--base", s(&f.base), "--in-place", s(&f.module)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(std::fs::read(&f.module).unwrap(), new);

        // Raw outputs keep the named vmlinux types too, and say what they cannot do.
        std::fs::write(&f.module, &orig).unwrap();
        let (ob, os) = (f.dir.join("m.btf.base"), f.dir.join("m.btf"));
        let r = btfkit(&[
            "distill",
            "--base",
            s(&f.base),
            s(&f.module),
            "--out-base",
            s(&ob),
            "--out-split",
            s(&os),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains("only -o/--in-place rewrites the ids"),
            "{}",
            r.stderr
        );
        let secs = btfkit::elf::BtfSections::parse(&new).unwrap();
        assert_eq!(std::fs::read(&os).unwrap(), secs.btf.as_ref());
        assert_eq!(std::fs::read(&ob).unwrap(), secs.base.as_deref().unwrap());
    }
}

#[test]
fn distill_refuses_what_it_cannot_express_and_leaves_the_module() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vmlinux = dir.path().join("vmlinux.btf");
    std::fs::write(&vmlinux, &f.base).unwrap();

    // An entry naming a vmlinux FUNC: a distilled base cannot hold it.
    let mut src = source();
    src.push(Src::List("fn_list"));
    src.push(Src::Id("func", "vmlinux_fn", 0));
    let (data, syms) = assemble(&src, Some(&split), class.endian);
    let elf = Elf {
        class,
        btf_ids: Some(data.clone()),
        syms: syms.clone(),
        symtab: true,
        addr: 0,
    }
    .bytes();
    let mut p = Patch::new();
    p.set(".BTF", &f.split);
    let ko = p.apply(&elf).unwrap().elf;
    let path = dir.path().join("fn.ko");
    std::fs::write(&path, &ko).unwrap();
    let r = btfkit(&["distill", "--base", s(&vmlinux), "--in-place", s(&path)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("FUNC 'vmlinux_fn' is needed (.BTF_ids entry __BTF_ID__func__vmlinux_fn__"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("left as it is"), "{}", r.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), ko);

    // .BTF_ids that do not match the module's BTF to begin with.
    let mut bad = data;
    class.endian.put_u32(&mut bad, 0, SOCK);
    let elf = Elf {
        class,
        btf_ids: Some(bad),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    let mut p = Patch::new();
    p.set(".BTF", &f.split);
    let ko = p.apply(&elf).unwrap().elf;
    std::fs::write(&path, &ko).unwrap();
    let r = btfkit(&["distill", "--base", s(&vmlinux), "--in-place", s(&path)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("its .BTF_ids do not match its .BTF even before rewriting"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&path).unwrap(), ko);
}

/// Another vmlinux: every id moved, `sock` grew (the module only points to it).
fn new_vmlinux(endian: Endian) -> Vec<u8> {
    let mut b = Builder::new();
    for i in 0..5 {
        b.add_int(format!("pad{i}"), 4, 0);
    }
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    b.add_union("thread_union", 8);
    b.add_member("x", long, 0, 0).unwrap();
    b.add_typedef("u64_t", long);
    let sock = b.add_struct("sock", 24);
    b.add_member("refcnt", int, 0, 0).unwrap();
    b.add_struct("tcp_sock", 96);
    b.add_member("sk", sock, 0, 0).unwrap();
    b.to_bytes(endian)
}

#[test]
fn retarget_rewrites_btf_ids_into_the_new_vmlinux_id_space() {
    for class in [CLASSES[0], CLASSES[1]] {
        let f = files(class);
        let orig = std::fs::read(&f.module).unwrap();
        let base = std::fs::read(&f.base).unwrap();
        let ids = BtfIds::parse(&orig).unwrap().unwrap();
        let before = with_module_btf(&orig, Some(&base), |b| meaning(&ids, b));
        let new_base = f.dir.join("new.btf");
        let nb = new_vmlinux(class.endian);
        std::fs::write(&new_base, &nb).unwrap();

        let out = f.dir.join("re.ko");
        let r = btfkit(&[
            "retarget",
            "--from",
            s(&f.base),
            "--to",
            s(&new_base),
            s(&f.module),
            "-o",
            s(&out),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains(".BTF_ids: 12 entries rewritten"),
            "{}",
            r.stderr
        );
        let new = std::fs::read(&out).unwrap();
        let new_ids = BtfIds::parse(&new).unwrap().unwrap();
        assert_ne!(new_ids.data, ids.data, "the ids moved");
        assert_eq!(
            with_module_btf(&new, Some(&nb), |b| meaning(&new_ids, b)),
            before
        );
        let r = btfkit(&["ids", "--base", s(&new_base), s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stdout);
        let r = btfkit(&["check", "--base", s(&new_base), s(&out)]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        // The unretargeted module is not fit for the new vmlinux.
        let r = btfkit(&["check", "--base", s(&new_base), s(&f.module)]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);

        // A distilled module retargets from its .BTF.base, to the same result.
        let dist = f.dir.join("dist.ko");
        let r = btfkit(&[
            "distill",
            "--base",
            s(&f.base),
            s(&f.module),
            "-o",
            s(&dist),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let out2 = f.dir.join("re2.ko");
        let r = btfkit(&["retarget", "--to", s(&new_base), s(&dist), "-o", s(&out2)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let again = std::fs::read(&out2).unwrap();
        assert_eq!(BtfIds::parse(&again).unwrap().unwrap().data, new_ids.data);

        // And back onto the vmlinux it was built against: the same types again (the
        // typedef now names the module's own copy, as distilling copies typedefs).
        let back = f.dir.join("back.ko");
        let r = btfkit(&["retarget", "--to", s(&f.base), s(&dist), "-o", s(&back)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let back = std::fs::read(&back).unwrap();
        let back_ids = BtfIds::parse(&back).unwrap().unwrap();
        assert_eq!(
            with_module_btf(&back, Some(&base), |b| meaning(&back_ids, b)),
            before
        );
        let changed: Vec<&str> = ids
            .entries
            .iter()
            .zip(&back_ids.entries)
            .filter(|(a, b)| a.stored != b.stored)
            .map(|(a, _)| a.name.as_str())
            .collect();
        assert_eq!(changed, ["u64_t"]);
    }
}

#[test]
fn check_reports_stale_btf_ids_as_a_module_that_will_not_load() {
    let class = CLASSES[0];
    let f = files(class);
    let ko = std::fs::read(&f.module).unwrap();
    let base_bytes = std::fs::read(&f.base).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();
    let secs = btfkit::elf::BtfSections::parse(&ko).unwrap();
    let split = Btf::parse_split(&secs.btf, &base).unwrap();
    let d = distill(&split).unwrap();
    let stale = f.dir.join("stale.ko");
    std::fs::write(
        &stale,
        btfkit::elf::patch::set_btf(&ko, &d.split, Some(&d.base))
            .unwrap()
            .elf,
    )
    .unwrap();
    let good = f.dir.join("good.ko");
    let r = btfkit(&[
        "distill",
        "--base",
        s(&f.base),
        s(&f.module),
        "-o",
        s(&good),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = btfkit(&["check", "--base", s(&f.base), s(&stale), s(&good)]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let stale_line = r.stdout.lines().find(|l| l.contains("stale.ko")).unwrap();
    assert!(
        stale_line.contains("would fail to load: its .BTF_ids do not name their types on the target (the kernel refuses its kfunc set"),
        "{stale_line}"
    );
    assert!(r.stdout.contains("good.ko: ok"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("1 of them because their .BTF_ids name the wrong types"),
        "{}",
        r.stdout
    );
    let r = btfkit(&["check", "--json", "--base", s(&f.base), s(&stale)]);
    assert_eq!(r.code, 1);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let m = &j["modules"][0];
    assert_eq!(m["ok"], false);
    assert_eq!(m["btf_ids"]["entries"], 12);
    assert_eq!(m["btf_ids"]["kfunc_set_refused"], true);
    assert!(!m["btf_ids"]["problems"].as_array().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Real modules: the Debian 6.12 cloud kernel package of the e2e download cache.

#[test]
fn package_modules_distill_in_place_with_their_btf_ids() {
    // Without the package (and without BTFKIT_CORPUS, which makes it download or fail),
    // the synthetic module of the other tests stands in.
    let Some(pkg) = test_support::debian612::package() else {
        return;
    };
    let base = test_support::debian612::vmlinux_btf(&pkg);
    let dir = tempfile::tempdir().unwrap();
    let vmlinux = dir.path().join("vmlinux.btf");
    std::fs::write(&vmlinux, &base).unwrap();
    let mut copies = Vec::new();
    let kernel = test_support::debian612::modules(&pkg);
    for m in [
        "net/ipv4/tcp_bbr",
        "net/ipv4/tcp_dctcp",
        "net/ipv4/fou",
        "net/netfilter/nf_conntrack",
        "net/netfilter/nf_nat",
        "net/netfilter/nf_flow_table",
        "net/xfrm/xfrm_interface",
    ] {
        let src = kernel.join(format!("{m}.ko.xz"));
        let dst = dir.path().join(src.file_name().unwrap());
        std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        copies.push(dst);
    }
    let unpack = |p: &Path| test_support::xz(p);
    let before: Vec<_> = copies
        .iter()
        .map(|p| {
            let ko = unpack(p);
            let ids = BtfIds::parse(&ko).unwrap().expect(".BTF_ids");
            with_module_btf(&ko, Some(&base), |b| meaning(&ids, b))
        })
        .collect();
    let mut args = vec!["distill", "--base", s(&vmlinux), "--in-place"];
    args.push(s(dir.path()));
    let r = btfkit(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("distilled 7 of 7 modules in place"),
        "{}",
        r.stderr
    );
    for (p, before) in copies.iter().zip(&before) {
        let ko = unpack(p);
        let ids = BtfIds::parse(&ko).unwrap().unwrap();
        assert_eq!(
            &with_module_btf(&ko, None, |b| meaning(&ids, b)),
            before,
            "{}: every entry names the same type",
            p.display()
        );
        let r = btfkit(&["ids", "--base", s(&vmlinux), s(p)]);
        assert_eq!(r.code, 0, "{}: {}", p.display(), r.stdout);
    }
    let mut args = vec!["check", "--base", s(&vmlinux)];
    args.extend(copies.iter().map(|p| s(p)));
    let r = btfkit(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// `ids --json` on the fixture: every entry, set and slot with what its id is
/// (golden: `BLESS=1` rewrites testdata/golden/json/ids-fixture.json); `-q` prints nothing
/// and keeps the exit status.
#[test]
fn ids_json_report() {
    let f = files(CLASSES[0]);
    let r = btfkit(&["ids", "--json", "--base", s(&f.base), s(&f.module)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["btfkit_report"], 1);
    assert_eq!(v["ok"], true);
    assert!(v["btf_ids"]["entries"]
        .as_array()
        .is_some_and(|e| e.len() > 3));
    let text = r.stdout.replace(&f.dir.display().to_string(), "TMP");
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/golden/json/ids-fixture.json");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &text).unwrap();
    } else {
        assert_eq!(
            text,
            std::fs::read_to_string(&golden).expect("golden (BLESS=1 makes it)")
        );
    }
    let r = btfkit(&["ids", "-q", "--base", s(&f.base), s(&f.module)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
}
