//! `btfkit::gen` on every module of Debian's Linux 7.2.13 cloud kernel (the -dbg package:
//! DWARF plus the `.BTF` Debian shipped, which pahole 1.32 and resolve_btfids made from
//! that DWARF): encoded by btfkit, deduplicated by libbpf (as pahole does), then put in
//! the kernel's order by the kernel's own `resolve_btfids`, the result must be the
//! shipped `.BTF` byte for byte.
//!
//! `BTFKIT_LINUX72` names the file `scripts/kernel-7.2.sh --dbg` printed (PAHOLE=...,
//! RESOLVE_BTFIDS=..., VMLINUX_BTF=..., DBG=...); CI sets it. Without it the test says
//! so and passes; with it set, missing data fails. `BTFKIT_LINUX72_GEN_EVERY=N` checks
//! every Nth module only.

use btfkit::Btf;
use conformance::libbpf::LibbpfBtf;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn config() -> Option<BTreeMap<String, String>> {
    let Some(file) = std::env::var_os("BTFKIT_LINUX72") else {
        eprintln!("BTFKIT_LINUX72 is not set: the Linux 7.2 gen test does not run (CI sets it)");
        return None;
    };
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("BTFKIT_LINUX72={}: {e}", PathBuf::from(&file).display()));
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
    )
}

fn modules(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            modules(&p, out);
        } else if p.extension().is_some_and(|e| e == "ko") {
            out.push(p);
        }
    }
}

/// The first difference between two BTF blobs over `base`, as bpftool-style dump lines.
fn first_difference(ours: &[u8], theirs: &[u8], base: &Btf<'_>) -> String {
    let dump = |b: &[u8]| -> Vec<String> {
        match Btf::parse_split(b, base) {
            Ok(btf) => {
                let mut out = Vec::new();
                let _ = btfkit::dump::raw::write_raw(&mut out, &btf);
                String::from_utf8_lossy(&out)
                    .lines()
                    .map(str::to_string)
                    .collect()
            }
            Err(e) => vec![format!("<unparsable: {e}>")],
        }
    };
    let (a, b) = (dump(ours), dump(theirs));
    match a.iter().zip(&b).position(|(x, y)| x != y) {
        Some(i) => format!("ours: {} | shipped: {}", a[i], b[i]),
        None if a.len() != b.len() => format!("{} vs {} dump lines", a.len(), b.len()),
        None => {
            let at = ours.iter().zip(theirs).position(|(x, y)| x != y);
            format!("same dump, bytes differ at {at:?} (strings)")
        }
    }
}

#[test]
fn every_module_gives_the_shipped_btf() {
    let Some(cfg) = config() else { return };
    let get = |k: &str| -> PathBuf {
        let v = cfg
            .get(k)
            .unwrap_or_else(|| panic!("BTFKIT_LINUX72: no {k}= line"));
        let p = PathBuf::from(v);
        assert!(
            p.exists(),
            "BTFKIT_LINUX72: {k}={} does not exist",
            p.display()
        );
        p
    };
    let Some(_) = cfg.get("DBG") else {
        eprintln!("BTFKIT_LINUX72 has no DBG= line (kernel-7.2.sh without --dbg): skipped");
        return;
    };
    let (dbg, resolve_btfids, vmlinux_path) =
        (get("DBG"), get("RESOLVE_BTFIDS"), get("VMLINUX_BTF"));
    let every: usize = std::env::var("BTFKIT_LINUX72_GEN_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let vmlinux = std::fs::read(&vmlinux_path).expect("vmlinux BTF");
    let base = Btf::parse(&vmlinux).expect("vmlinux parses");
    let lbase = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf vmlinux");
    let mut all = Vec::new();
    modules(&dbg, &mut all);
    assert!(
        all.len() > 500,
        "{}: only {} modules",
        dbg.display(),
        all.len()
    );
    let tmp = std::env::temp_dir().join(format!("btfkit-gen-linux72-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let (mut identical, mut checked) = (0usize, 0usize);
    let mut kinds: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for m in all.iter().step_by(every) {
        checked += 1;
        let name = m.file_name().unwrap().to_string_lossy().to_string();
        let data = std::fs::read(m).expect("module");
        let shipped = btfkit::elf::BtfSections::parse(&data)
            .map(|s| s.btf.into_owned())
            .unwrap_or_default();
        let mut fail = |kind: &str, detail: String| {
            let e = kinds.entry(kind.to_string()).or_insert((0, String::new()));
            e.0 += 1;
            if e.1.is_empty() {
                e.1 = format!("{name}: {detail}");
            }
        };
        let enc = match btfkit::gen::encode(&data, &base) {
            Ok(e) => e,
            Err(e) => {
                fail("encode error", e.to_string());
                continue;
            }
        };
        let btf1 = match conformance::gen_oracle::dedup_split_built(&enc.btf, &lbase, &base) {
            Ok(b) => b,
            Err(e) => {
                fail("dedup error", e.to_string());
                continue;
            }
        };
        // resolve_btfids reads the .BTF.1 and the module (its .BTF_ids symbols) and
        // writes NAME.BTF next to the module, as in scripts/gen-btf.sh.
        let ko = tmp.join(&name);
        std::fs::write(&ko, &data).expect("copy");
        let btf1_path = tmp.join(format!("{name}.BTF.1"));
        std::fs::write(&btf1_path, &btf1).expect("write .BTF.1");
        let st = Command::new(&resolve_btfids)
            .arg("--btf_base")
            .arg(&vmlinux_path)
            .arg("--btf")
            .arg(&btf1_path)
            .arg(&ko)
            .output()
            .expect("run resolve_btfids");
        let out = tmp.join(format!("{name}.BTF"));
        if !st.status.success() {
            fail(
                "resolve_btfids failed",
                String::from_utf8_lossy(&st.stderr).into_owned(),
            );
            continue;
        }
        let ours = std::fs::read(&out).expect("resolve_btfids output");
        for ext in ["", ".BTF", ".BTF.1", ".BTF_ids", ".BTF.base"] {
            let _ = std::fs::remove_file(tmp.join(format!("{name}{ext}")));
        }
        if ours == shipped {
            identical += 1;
        } else {
            fail("different", first_difference(&ours, &shipped, &base));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("btfkit gen (+ libbpf dedup, resolve_btfids): {identical}/{checked} modules identical to the shipped .BTF");
    for (kind, (n, first)) in &kinds {
        eprintln!("  {kind}: {n}, first: {first}");
    }
    assert_eq!(identical, checked, "{} modules differ", checked - identical);
}
