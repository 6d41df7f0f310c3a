//! Linux 7.2's own module pipeline as the reference, on Debian's 7.2 cloud kernel
//! (`scripts/kernel-7.2.sh` fetches it; CI sets `BTFKIT_LINUX72` to the file of
//! assignments the script prints):
//!
//! - every module of the package: `btfkit distill --base vmlinux.btf` (`--in-place` on a
//!   copy of the tree, and `-o` for a sample) writes `.BTF`, `.BTF.base` and `.BTF_ids`
//!   byte-identical to `resolve_btfids --distill_base --btf <its .BTF> --btf_base
//!   vmlinux.btf` on a copy of the module;
//! - with `--dbg`: for a sample of the unstripped modules, pahole run as kbuild runs it
//!   (on the module with its `.BTF` removed) and then `btfkit sort` gives the `.BTF`
//!   Debian shipped.
//!
//! `resolve_btfids` run on a module it has already processed writes each set8 pair's id
//! into the slot of the symbol but leaves the flags where the previous sort put them, so
//! kfunc flags land on other kfuncs (nf_conntrack: `bpf_ct_release`'s KF_RELEASE on another
//! function). The reference copy therefore gets its `.BTF_ids` sets back in source order
//! first (each member's id and flags in its own slot), the state kbuild runs it on.
//!
//! Without `BTFKIT_LINUX72` these tests say so and pass; with it set, missing data fails.

use btfkit::elf::btf_ids::BtfIds;
use btfkit::Btf;
use object::{Object, ObjectSection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The paths `kernel-7.2.sh` prints.
struct Linux72 {
    pahole: PathBuf,
    resolve_btfids: PathBuf,
    vmlinux_btf: PathBuf,
    modules: PathBuf,
    dbg: Option<PathBuf>,
}

fn linux72() -> Option<Linux72> {
    let Some(file) = std::env::var_os("BTFKIT_LINUX72") else {
        eprintln!(
            "BTFKIT_LINUX72 is not set: the Linux 7.2 pipeline tests do not run (CI sets it)"
        );
        return None;
    };
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "BTFKIT_LINUX72={}: {e} (run scripts/kernel-7.2.sh > FILE)",
            Path::new(&file).display()
        )
    });
    let vars: BTreeMap<&str, PathBuf> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), PathBuf::from(v.trim())))
        .collect();
    let get = |k: &str| -> PathBuf {
        let p = vars
            .get(k)
            .unwrap_or_else(|| panic!("BTFKIT_LINUX72: no {k}= line in {}", text.trim()));
        assert!(
            p.exists(),
            "BTFKIT_LINUX72: {k}={} does not exist",
            p.display()
        );
        p.clone()
    };
    Some(Linux72 {
        pahole: get("PAHOLE"),
        resolve_btfids: get("RESOLVE_BTFIDS"),
        vmlinux_btf: get("VMLINUX_BTF"),
        modules: get("MODULES"),
        dbg: vars.contains_key("DBG").then(|| get("DBG")),
    })
}

fn files(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            files(&p, suffix, out);
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
}

fn sorted_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v = Vec::new();
    files(dir, suffix, &mut v);
    v.sort();
    v
}

fn xz_decompress(p: &Path) -> Vec<u8> {
    let data = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    btfkit::compress::decompress(&data, btfkit::compress::Compression::Xz, u64::MAX)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn section(elf: &[u8], name: &str) -> Option<Vec<u8>> {
    let f = object::File::parse(elf).expect("ELF");
    f.section_by_name(name)
        .map(|s| s.data().expect("section data").to_vec())
}

fn stem(p: &Path) -> String {
    let n = p.file_name().expect("file name").to_string_lossy();
    n.trim_end_matches(".xz")
        .trim_end_matches(".ko")
        .to_string()
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn btfkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_btfkit"))
}

/// Runs `f` over `items` on every core, in order of the items' indices in the result.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() {
                            return mine;
                        }
                        mine.push((i, f(&items[i])));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|r| r.0);
    results.into_iter().map(|r| r.1).collect()
}

/// `elf` (a module `resolve_btfids` has processed) with every set of its `.BTF_ids` back
/// in source order: each member's id and flags in the slot of its symbol, as the object
/// is before `resolve_btfids` sorts the sets. `None`: nothing moves.
fn sets_in_source_order(elf: &[u8], btf: &Btf<'_>) -> Option<Vec<u8>> {
    let ids = BtfIds::parse(elf).expect(".BTF_ids")?;
    let report = ids.resolve(btf);
    assert!(
        report.is_ok(),
        "the shipped .BTF_ids match the shipped .BTF"
    );
    let mut data = ids.data.clone();
    for (i, entry) in ids.entries.iter().enumerate() {
        let (Some((si, _)), Some(k)) = (entry.set, report.entries[i].slot) else {
            continue;
        };
        let slot = ids.sets[si].slots[k];
        let at = entry.offset as usize;
        ids.endian.put_u32(&mut data, at, slot.id);
        if let Some(flags) = slot.flags {
            ids.endian.put_u32(&mut data, at + 4, flags);
        }
    }
    if data == ids.data {
        return None;
    }
    let mut p = btfkit::elf::Patch::new();
    p.replace(btfkit::elf::btf_ids::SECTION, &data);
    Some(p.apply(elf).expect("patch .BTF_ids").elf)
}

/// What `resolve_btfids --distill_base` writes for one module: `.BTF`, `.BTF.base`,
/// `.BTF_ids` (None when the module has none).
struct Reference {
    btf: Vec<u8>,
    base: Vec<u8>,
    ids: Option<Vec<u8>>,
}

/// Runs `resolve_btfids --distill_base` on a copy of `ko` (written as `dir/name.ko`) with
/// its own `.BTF`.
fn resolve_btfids(l: &Linux72, ko: &[u8], btf: &[u8], dir: &Path, name: &str) -> Reference {
    let btf_path = dir.join(format!("{name}.BTF.in"));
    let ko_path = dir.join(format!("{name}.ko"));
    std::fs::write(&btf_path, btf).expect("write");
    std::fs::write(&ko_path, ko).expect("write");
    run(Command::new(&l.resolve_btfids)
        .arg("--distill_base")
        .arg("--btf")
        .arg(&btf_path)
        .arg("--btf_base")
        .arg(&l.vmlinux_btf)
        .arg(&ko_path));
    let read = |suffix: &str| std::fs::read(dir.join(format!("{name}.ko{suffix}")));
    Reference {
        btf: read(".BTF").expect("resolve_btfids wrote .BTF"),
        base: read(".BTF.base").expect("resolve_btfids wrote .BTF.base"),
        ids: read(".BTF_ids").ok(),
    }
}

/// Each set member's name and its (id, flags), as `elf`'s `.BTF_ids` (or `ids` in its
/// place) say over `btf`.
fn member_flags(elf: &[u8], ids: Option<&[u8]>, btf: &Btf<'_>) -> Vec<(String, u32, Option<u32>)> {
    let elf = match ids {
        Some(data) => {
            let mut p = btfkit::elf::Patch::new();
            p.replace(btfkit::elf::btf_ids::SECTION, data);
            p.apply(elf).expect("patch .BTF_ids").elf
        }
        None => elf.to_vec(),
    };
    let parsed = BtfIds::parse(&elf)
        .expect(".BTF_ids")
        .expect("has .BTF_ids");
    let report = parsed.resolve(btf);
    let mut out = Vec::new();
    for (i, e) in parsed.entries.iter().enumerate() {
        if let (Some((si, _)), Some(k)) = (e.set, report.entries[i].slot) {
            let slot = parsed.sets[si].slots[k];
            out.push((e.symbol.clone(), slot.id, slot.flags));
        }
    }
    out.sort();
    out
}

#[test]
fn distill_equals_resolve_btfids_distill_base_on_every_module() {
    let Some(l) = linux72() else { return };
    let modules = sorted_files(&l.modules, ".ko.xz");
    assert!(
        modules.len() > 500,
        "only {} modules under {}",
        modules.len(),
        l.modules.display()
    );
    let vm_bytes = std::fs::read(&l.vmlinux_btf).expect("vmlinux.btf");
    let vmlinux = Btf::parse(&vm_bytes).expect("vmlinux parses");
    assert!(
        btfkit::sort::is_sorted(&vmlinux),
        "the 7.2 vmlinux BTF is sorted by name (so --order auto means kernel)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (refdir, tree) = (dir.path().join("ref"), dir.path().join("tree"));
    std::fs::create_dir_all(&refdir).expect("mkdir");
    std::fs::create_dir_all(&tree).expect("mkdir");

    // btfkit: the whole tree in place, in one run (decompressed: xz costs more than BTF).
    let tree_ko = |i: usize, m: &Path| tree.join(format!("{i:04}-{}.ko", stem(m)));
    par_map(
        &modules.iter().enumerate().collect::<Vec<_>>(),
        |&(i, m)| {
            std::fs::write(tree_ko(i, m), xz_decompress(m)).expect("write");
        },
    );
    run(btfkit()
        .arg("distill")
        .arg("--base")
        .arg(&l.vmlinux_btf)
        .arg("--in-place")
        .arg(&tree));

    let results = par_map(
        &modules.iter().enumerate().collect::<Vec<_>>(),
        |&(i, m)| {
            let name = stem(m);
            let ko = xz_decompress(m);
            let shipped = section(&ko, ".BTF").expect(".BTF");
            let out = std::fs::read(tree_ko(i, m)).expect("btfkit's output");
            let split = Btf::parse_split(&shipped, &vmlinux).expect("shipped .BTF parses");
            let restored = sets_in_source_order(&ko, &split);
            let r = resolve_btfids(
                &l,
                restored.as_deref().unwrap_or(&ko),
                &shipped,
                &refdir,
                &name,
            );
            let got = |s: &str| section(&out, s);
            let mut diff = Vec::new();
            if got(".BTF").as_deref() != Some(&r.btf[..]) {
                diff.push(".BTF");
            }
            if got(".BTF.base").as_deref() != Some(&r.base[..]) {
                diff.push(".BTF.base");
            }
            if got(".BTF_ids") != r.ids {
                diff.push(".BTF_ids");
            }
            // On the module as shipped (sets sorted), resolve_btfids moves ids but not flags.
            let mut scrambled = false;
            if restored.is_some() {
                let plain = resolve_btfids(&l, &ko, &shipped, &refdir, &format!("{name}-plain"));
                if plain.ids != r.ids {
                    let db = Btf::parse(&r.base).expect("distilled base");
                    let ds = Btf::parse_split(&r.btf, &db).expect("distilled split");
                    let want = member_flags(&ko, None, &split);
                    let ours = member_flags(&out, None, &ds);
                    let theirs = member_flags(&out, plain.ids.as_deref(), &ds);
                    let names = |v: &[(String, u32, Option<u32>)]| {
                        v.iter().map(|x| (x.0.clone(), x.2)).collect::<Vec<_>>()
                    };
                    assert_eq!(
                        names(&ours),
                        names(&want),
                        "{name}: btfkit keeps each kfunc's flags"
                    );
                    assert_ne!(
                        names(&theirs),
                        names(&want),
                        "{name}: the plain-copy difference is the flags"
                    );
                    scrambled = true;
                }
            }
            (name, diff, r.ids.is_some(), restored.is_some(), scrambled)
        },
    );

    let with_ids = results.iter().filter(|r| r.2).count();
    let restored: Vec<&str> = results
        .iter()
        .filter(|r| r.3)
        .map(|r| r.0.as_str())
        .collect();
    let scrambled: Vec<&str> = results
        .iter()
        .filter(|r| r.4)
        .map(|r| r.0.as_str())
        .collect();
    let bad: Vec<String> = results
        .iter()
        .filter(|r| !r.1.is_empty())
        .map(|r| format!("{}: {}", r.0, r.1.join(", ")))
        .collect();
    eprintln!(
        "Linux 7.2: {} of {} modules byte-identical to resolve_btfids --distill_base (.BTF, .BTF.base, .BTF_ids); \
         {with_ids} with .BTF_ids; their sets put back in source order for the reference: {restored:?}; \
         resolve_btfids on the module as shipped moves kfunc flags onto other kfuncs in: {scrambled:?}",
        results.len() - bad.len(),
        results.len()
    );
    assert!(
        bad.is_empty(),
        "{} modules differ:\n{}",
        bad.len(),
        bad.join("\n")
    );

    // -o on a sample (every 50th module and the ones with .BTF_ids): the same bytes.
    for (i, m) in modules.iter().enumerate() {
        if i % 50 != 0 && !results[i].2 {
            continue;
        }
        let name = stem(m);
        let out = dir.path().join(format!("{name}.out.ko"));
        run(btfkit()
            .arg("distill")
            .arg("--base")
            .arg(&l.vmlinux_btf)
            .arg(m)
            .arg("-o")
            .arg(&out));
        let o = std::fs::read(&out).expect("output");
        let t = std::fs::read(tree_ko(i, m)).expect("btfkit's output");
        for s in [".BTF", ".BTF.base", ".BTF_ids"] {
            assert_eq!(
                section(&o, s),
                section(&t, s),
                "{name}: {s} of -o and --in-place"
            );
        }
    }
}

/// pahole's flags of the Linux 7.2 build (scripts/Makefile.btf with pahole 1.32).
const PAHOLE_FLAGS: &[&str] = &[
    "-j1",
    "--btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs",
    "--btf_features=attributes",
    "--btf_features=layout",
    "--btf_features=+reproducible_build",
    "--lang_exclude=rust",
];

/// The unstripped modules of the -dbg package (`DBG=`), sorted; `None` (said on stderr)
/// when `kernel-7.2.sh` ran without `--dbg`: then `what` does not run.
fn dbg_modules(l: &Linux72, what: &str) -> Option<Vec<PathBuf>> {
    let Some(dbg) = &l.dbg else {
        eprintln!(
            "BTFKIT_LINUX72 has no DBG= line (kernel-7.2.sh without --dbg): {what} does not run"
        );
        return None;
    };
    let all = sorted_files(dbg, ".ko");
    assert!(
        all.len() > 500,
        "only {} modules under {}",
        all.len(),
        dbg.display()
    );
    Some(all)
}

/// Every `step`-th item, `step` from the environment variable `var` (default `default`).
fn every<'a, T>(items: &'a [T], var: &str, default: usize) -> (Vec<&'a T>, usize) {
    let step = std::env::var(var)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(default)
        .max(1);
    (items.iter().step_by(step).collect(), step)
}

/// pahole 1.32 run on `ko` as kbuild runs it, its output written to `btf1`.
fn pahole(l: &Linux72, ko: &Path, btf1: &Path) {
    run(Command::new(&l.pahole)
        .arg("-J")
        .args(PAHOLE_FLAGS)
        .arg("--btf_base")
        .arg(&l.vmlinux_btf)
        .arg(format!("--btf_encode_detached={}", btf1.display()))
        .arg(ko));
}

#[test]
fn sort_of_pahole_output_equals_the_shipped_btf() {
    let Some(l) = linux72() else { return };
    let Some(all) = dbg_modules(&l, "the pahole sample") else {
        return;
    };
    let (sample, step) = every(&all, "BTFKIT_LINUX72_PAHOLE_EVERY", 10);
    let dir = tempfile::tempdir().expect("tempdir");
    let results = par_map(&sample, |m| {
        let name = stem(m);
        let shipped = section(&std::fs::read(m).expect("read"), ".BTF").expect("shipped .BTF");
        let stripped = dir.path().join(format!("{name}.ko"));
        run(btfkit().arg("strip").arg(m).arg("-o").arg(&stripped));
        let btf1 = dir.path().join(format!("{name}.BTF.1"));
        pahole(&l, &stripped, &btf1);
        let sorted = dir.path().join(format!("{name}.BTF"));
        run(btfkit()
            .arg("sort")
            .arg("--base")
            .arg(&l.vmlinux_btf)
            .arg(&btf1)
            .arg("-o")
            .arg(&sorted));
        let ours = std::fs::read(&sorted).expect("sorted");
        let pahole_out = std::fs::read(&btf1).expect("pahole output");
        (name, ours == shipped, pahole_out == shipped)
    });
    let same = results.iter().filter(|r| r.1).count();
    let already = results.iter().filter(|r| r.2).count();
    eprintln!(
        "Linux 7.2: btfkit sort of pahole's output equals the shipped .BTF for {same} of {} sampled modules \
         (every {step}th of {}; pahole's own output already equal for {already})",
        results.len(),
        all.len()
    );
    let bad: Vec<&str> = results
        .iter()
        .filter(|r| !r.1)
        .map(|r| r.0.as_str())
        .collect();
    assert!(bad.is_empty(), "differ: {bad:?}");
}

/// `btfkit gen --out-dir` on every module of the -dbg package (DWARF plus the `.BTF`
/// Debian shipped, which pahole and resolve_btfids made from it): each `NAME.btf` is the
/// shipped `.BTF`, byte for byte.
#[test]
fn gen_gives_the_shipped_btf_for_every_module() {
    let Some(l) = linux72() else { return };
    let Some(all) = dbg_modules(&l, "btfkit gen's check") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(btfkit()
        .arg("gen")
        .arg("--json")
        .arg("--base")
        .arg(&l.vmlinux_btf)
        .arg("--out-dir")
        .arg(dir.path())
        .arg(l.dbg.as_ref().expect("DBG")));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report["summary"]["generated"],
        all.len(),
        "{}",
        report["summary"]
    );
    let results = par_map(&all, |m| {
        let shipped = section(&std::fs::read(m).expect("read"), ".BTF").expect("shipped .BTF");
        let ours = std::fs::read(dir.path().join(format!("{}.btf", stem(m)))).expect("gen output");
        (stem(m), ours == shipped)
    });
    let bad: Vec<&str> = results
        .iter()
        .filter(|r| !r.1)
        .map(|r| r.0.as_str())
        .collect();
    eprintln!(
        "Linux 7.2: btfkit gen gives the shipped .BTF for {} of {} modules",
        results.len() - bad.len(),
        results.len()
    );
    assert!(bad.is_empty(), "differ: {bad:?}");
}

/// An out-of-tree build, the reference run as kbuild runs it on every -dbg module (every
/// BTFKIT_LINUX72_GEN_DISTILL_EVERY-th with that set): pahole on the module with its
/// `.BTF` removed and its `.BTF_ids` sets in source order, then `resolve_btfids
/// --distill_base`. `btfkit gen --in-place --distill` on the module writes the same
/// `.BTF`, `.BTF.base` and `.BTF_ids`.
#[test]
fn gen_distill_equals_pahole_and_resolve_btfids_distill_base() {
    let Some(l) = linux72() else { return };
    let Some(all) = dbg_modules(&l, "btfkit gen --distill's check") else {
        return;
    };
    let (sample, step) = every(&all, "BTFKIT_LINUX72_GEN_DISTILL_EVERY", 1);
    let vm_bytes = std::fs::read(&l.vmlinux_btf).expect("vmlinux.btf");
    let vmlinux = Btf::parse(&vm_bytes).expect("vmlinux parses");
    let dir = tempfile::tempdir().expect("tempdir");
    let (refdir, ours) = (dir.path().join("ref"), dir.path().join("ours"));
    std::fs::create_dir_all(&refdir).expect("mkdir");
    std::fs::create_dir_all(&ours).expect("mkdir");
    for m in &sample {
        std::fs::copy(m, ours.join(format!("{}.ko", stem(m)))).expect("copy");
    }
    run(btfkit()
        .arg("gen")
        .arg("-q")
        .arg("--base")
        .arg(&l.vmlinux_btf)
        .arg("--in-place")
        .arg("--distill")
        .arg(&ours));
    let results = par_map(&sample, |m| {
        let name = stem(m);
        let ko = std::fs::read(m).expect("read");
        let shipped = section(&ko, ".BTF").expect("shipped .BTF");
        let split = Btf::parse_split(&shipped, &vmlinux).expect("shipped .BTF parses");
        let fresh = sets_in_source_order(&ko, &split).unwrap_or(ko);
        let stripped = refdir.join(format!("{name}.in.ko"));
        std::fs::write(&stripped, &fresh).expect("write");
        let stripped_out = refdir.join(format!("{name}.stripped.ko"));
        run(btfkit()
            .arg("strip")
            .arg(&stripped)
            .arg("-o")
            .arg(&stripped_out));
        let btf1 = refdir.join(format!("{name}.BTF.1"));
        pahole(&l, &stripped_out, &btf1);
        let stripped_bytes = std::fs::read(&stripped_out).expect("stripped");
        let btf1 = std::fs::read(&btf1).expect("pahole output");
        let r = resolve_btfids(&l, &stripped_bytes, &btf1, &refdir, &name);
        for ext in [".in.ko", ".stripped.ko", ".ko", ".BTF.1", ".BTF.in"] {
            let _ = std::fs::remove_file(refdir.join(format!("{name}{ext}")));
        }
        let out = std::fs::read(ours.join(format!("{name}.ko"))).expect("btfkit's output");
        let got = |s: &str| section(&out, s);
        let mut diff = Vec::new();
        if got(".BTF").as_deref() != Some(&r.btf[..]) {
            diff.push(".BTF");
        }
        if got(".BTF.base").as_deref() != Some(&r.base[..]) {
            diff.push(".BTF.base");
        }
        if got(".BTF_ids") != r.ids {
            diff.push(".BTF_ids");
        }
        (name, diff)
    });
    let bad: Vec<_> = results.iter().filter(|r| !r.1.is_empty()).collect();
    eprintln!(
        "Linux 7.2: btfkit gen --distill equals pahole + resolve_btfids --distill_base for {} of {} modules (every {step} of {})",
        results.len() - bad.len(),
        results.len(),
        all.len()
    );
    assert!(bad.is_empty(), "differ: {bad:?}");
}
