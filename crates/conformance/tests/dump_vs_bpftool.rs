//! `btfkit::dump` against bpftool over real kernel BTF (the corpus, or the committed
//! testdata):
//!
//! - raw format, byte for byte against `bpftool [-B base] btf dump file X format raw`:
//!   every vmlinux blob, every module of the 6.1 kernel over its vmlinux, and the whole
//!   `.ko` files (bpftool reads them directly; we extract `.BTF` with `object`);
//! - JSON: our document parses with `serde_json` for every blob, lists every own type,
//!   and for the vmlinux blobs and the `.ko` files says what `bpftool -j` says, field
//!   by field (the schemas differ in spelling, not in content).
//!
//! bpftool must be installed (`$BPFTOOL`, `bpftool` on `PATH` or `/usr/sbin/bpftool`;
//! `scripts/install-deps.sh`).

use btfkit::dump::{json, raw};
use btfkit::Btf;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Parallel bpftool processes for the module sweep (the machine has 2 cores).
const WORKERS: usize = 2;

/// `bpftool [-j] [-B base] btf dump file <file> format raw`.
fn run_bpftool(tool: &Path, base: Option<&Path>, file: &Path, json: bool) -> Vec<u8> {
    let mut cmd = Command::new(tool);
    if json {
        cmd.arg("-j");
    }
    if let Some(b) = base {
        cmd.arg("-B").arg(b);
    }
    cmd.args(["btf", "dump", "file"])
        .arg(file)
        .args(["format", "raw"]);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()));
    assert!(
        out.status.success(),
        "bpftool failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn our_raw(btf: &Btf<'_>) -> Vec<u8> {
    let mut v = Vec::with_capacity(btf.type_section().len() * 4);
    raw::write_raw(&mut v, btf).expect("write to Vec");
    v
}

fn our_json(btf: &Btf<'_>) -> Vec<u8> {
    let mut v = Vec::with_capacity(btf.type_section().len() * 6);
    json::write_json(&mut v, btf).expect("write to Vec");
    v
}

/// `None` when equal, else the first differing line of each side.
fn first_diff(ours: &[u8], theirs: &[u8]) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let (mut a, mut b) = (ours.split(|&c| c == b'\n'), theirs.split(|&c| c == b'\n'));
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                let show = |s: Option<&[u8]>| {
                    s.map_or("<end of output>".to_string(), |s| {
                        format!("{:?}", String::from_utf8_lossy(s))
                    })
                };
                return Some(format!(
                    "line {line}:\n      ours:    {}\n      bpftool: {}",
                    show(x),
                    show(y)
                ));
            }
        }
    }
}

/// Our JSON parses, and lists exactly the own types of `btf` in order.
fn check_json_parses(what: &str, btf: &Btf<'_>) -> Value {
    let bytes = our_json(btf);
    let doc: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{what}: our JSON does not parse: {e}"));
    assert_eq!(doc["version"], 1, "{what}");
    assert_eq!(doc["split"], btf.is_split(), "{what}");
    assert_eq!(doc["start_id"], btf.start_id().0, "{what}");
    assert_eq!(doc["endianness"], "little", "{what}");
    let types = doc["types"].as_array().expect("types");
    assert_eq!(types.len(), btf.type_count() as usize, "{what}");
    for (t, id) in types.iter().zip(btf.own_ids()) {
        assert_eq!(t["id"], id.0, "{what}");
    }
    doc
}

/// bpftool's name spelling: `(anon)` for anonymous names.
fn bpftool_name(ours: &Value) -> Value {
    match ours.as_str() {
        Some("") => Value::from("(anon)"),
        Some(s) => Value::from(s),
        None => Value::from("(invalid)"),
    }
}

/// Compares one of our type objects with bpftool's `-j` object for the same type.
/// Returns a description of the first difference.
fn compare_json_type(ours: &Value, theirs: &Value) -> Result<(), String> {
    let kind = ours["kind"].as_str().unwrap_or("?");
    let mut diffs = Vec::new();
    let mut eq = |what: &str, a: Value, b: &Value| {
        if a != *b {
            diffs.push(format!("{what}: ours {a} bpftool {b}"));
        }
    };
    eq("id", ours["id"].clone(), &theirs["id"]);
    eq("kind", ours["kind"].clone(), &theirs["kind"]);
    eq("name", bpftool_name(&ours["name"]), &theirs["name"]);
    let same_keys = |eq: &mut dyn FnMut(&str, Value, &Value), keys: &[&str]| {
        for k in keys {
            eq(k, ours[*k].clone(), &theirs[*k]);
        }
    };
    match kind {
        "INT" => {
            same_keys(&mut eq, &["size", "bits_offset", "nr_bits"]);
            let enc = match ours["encoding"].as_str().unwrap_or("") {
                "none" => "(none)",
                "signed" => "SIGNED",
                "char" => "CHAR",
                "bool" => "BOOL",
                _ => "UNKN",
            };
            eq("encoding", Value::from(enc), &theirs["encoding"]);
        }
        "PTR" | "CONST" | "VOLATILE" | "RESTRICT" | "TYPEDEF" | "TYPE_TAG" => {
            same_keys(&mut eq, &["type_id"]);
        }
        "ARRAY" => same_keys(&mut eq, &["type_id", "index_type_id", "nr_elems"]),
        "STRUCT" | "UNION" => {
            same_keys(&mut eq, &["size", "vlen"]);
            let (om, tm) = (
                ours["members"].as_array().cloned().unwrap_or_default(),
                theirs["members"].as_array().cloned().unwrap_or_default(),
            );
            eq("members.len", Value::from(om.len()), &Value::from(tm.len()));
            for (i, (a, b)) in om.iter().zip(&tm).enumerate() {
                eq(
                    &format!("members[{i}].name"),
                    bpftool_name(&a["name"]),
                    &b["name"],
                );
                for k in ["type_id", "bits_offset"] {
                    eq(&format!("members[{i}].{k}"), a[k].clone(), &b[k]);
                }
                // bpftool omits bitfield_size when it is 0.
                let bs = b.get("bitfield_size").cloned().unwrap_or(Value::from(0));
                eq(
                    &format!("members[{i}].bitfield_size"),
                    a["bitfield_size"].clone(),
                    &bs,
                );
            }
        }
        "ENUM" | "ENUM64" => {
            same_keys(&mut eq, &["size", "vlen"]);
            let signed = ours["signed"].as_bool().unwrap_or(false);
            eq(
                "encoding",
                Value::from(if signed { "SIGNED" } else { "UNSIGNED" }),
                &theirs["encoding"],
            );
            let (ov, tv) = (
                ours["values"].as_array().cloned().unwrap_or_default(),
                theirs["values"].as_array().cloned().unwrap_or_default(),
            );
            eq("values.len", Value::from(ov.len()), &Value::from(tv.len()));
            for (i, (a, b)) in ov.iter().zip(&tv).enumerate() {
                eq(
                    &format!("values[{i}].name"),
                    bpftool_name(&a["name"]),
                    &b["name"],
                );
                // bpftool quirk: an unsigned 32-bit ENUM value is printed from the signed
                // field widened to 64 bits (0xffffffff becomes 18446744073709551615).
                let theirs_val = match (kind, signed, b["val"].as_u64()) {
                    ("ENUM", false, Some(v)) => Value::from(v as u32),
                    _ => b["val"].clone(),
                };
                eq(&format!("values[{i}].val"), a["val"].clone(), &theirs_val);
            }
        }
        "FWD" => same_keys(&mut eq, &["fwd_kind"]),
        "FUNC" | "VAR" => same_keys(&mut eq, &["type_id", "linkage"]),
        "FUNC_PROTO" => {
            same_keys(&mut eq, &["ret_type_id", "vlen"]);
            let (op, tp) = (
                ours["params"].as_array().cloned().unwrap_or_default(),
                theirs["params"].as_array().cloned().unwrap_or_default(),
            );
            eq("params.len", Value::from(op.len()), &Value::from(tp.len()));
            for (i, (a, b)) in op.iter().zip(&tp).enumerate() {
                eq(
                    &format!("params[{i}].name"),
                    bpftool_name(&a["name"]),
                    &b["name"],
                );
                eq(
                    &format!("params[{i}].type_id"),
                    a["type_id"].clone(),
                    &b["type_id"],
                );
            }
        }
        "DATASEC" => {
            same_keys(&mut eq, &["size", "vlen"]);
            eq("entries", ours["entries"].clone(), &theirs["vars"]);
        }
        "FLOAT" => same_keys(&mut eq, &["size"]),
        "DECL_TAG" => same_keys(&mut eq, &["type_id", "component_idx"]),
        other => diffs.push(format!("unexpected kind {other}")),
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "type {}: {}\n      ours:    {ours}\n      bpftool: {theirs}",
            ours["id"],
            diffs.join("; ")
        ))
    }
}

/// Our JSON for `btf` against `bpftool -j` for the same file; panics listing up to 20
/// differing types.
fn check_json_vs_bpftool(what: &str, ours: &Value, theirs_bytes: &[u8]) {
    let theirs: Value = serde_json::from_slice(theirs_bytes)
        .unwrap_or_else(|e| panic!("{what}: bpftool's JSON does not parse: {e}"));
    let (ot, tt) = (
        ours["types"].as_array().expect("our types"),
        theirs["types"].as_array().expect("bpftool types"),
    );
    assert_eq!(ot.len(), tt.len(), "{what}: type count, ours vs bpftool -j");
    let bad: Vec<String> = ot
        .iter()
        .zip(tt)
        .filter_map(|(a, b)| compare_json_type(a, b).err())
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} types differ from bpftool -j, first ones:\n  {}",
        bad.len(),
        bad.iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn vmlinux_raw_and_json_match_bpftool() {
    let data = test_support::data();
    let tool = test_support::bpftool();
    let vmlinuxes = data.vmlinuxes();
    test_support::assert_checked("vmlinux blobs", vmlinuxes.len(), data.min_vmlinuxes());
    for path in vmlinuxes {
        let what = path.display().to_string();
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{what}: {e}"));
        let btf = Btf::parse(&data).unwrap_or_else(|e| panic!("{what}: {e}"));

        let t = Instant::now();
        let ours = our_raw(&btf);
        let ours_time = t.elapsed();
        let t = Instant::now();
        let theirs = run_bpftool(&tool, None, path, false);
        let theirs_time = t.elapsed();
        if let Some(d) = first_diff(&ours, &theirs) {
            panic!("{what}: raw dump differs from bpftool at {d}");
        }
        eprintln!(
            "{what}: raw dump identical to bpftool ({} types, {} bytes; ours {:?}, bpftool {:?})",
            btf.type_count(),
            ours.len(),
            ours_time,
            theirs_time
        );

        let doc = check_json_parses(&what, &btf);
        let theirs = run_bpftool(&tool, None, path, true);
        check_json_vs_bpftool(&what, &doc, &theirs);
        eprintln!("{what}: JSON parses and agrees with bpftool -j");
    }
}

#[test]
fn modules_raw_match_bpftool_and_json_parses() {
    let data = test_support::data();
    let tool = test_support::bpftool();
    let base_path = data.vmlinux61();
    let base_data = std::fs::read(base_path).expect("read vmlinux");
    let base = Btf::parse(&base_data).expect("parse vmlinux");
    let modules = data.modules61();

    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let mismatches: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let identical = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = modules.get(i) else { break };
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let data = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
                let btf = Btf::parse_split(&data, &base).unwrap_or_else(|e| panic!("{name}: {e}"));
                let ours = our_raw(&btf);
                let theirs = run_bpftool(&tool, Some(base_path), path, false);
                match first_diff(&ours, &theirs) {
                    None => {
                        identical.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(d) => mismatches.lock().unwrap().push(format!("{name}: {d}")),
                }
                check_json_parses(&name, &btf);
            });
        }
    });
    let mismatches = mismatches.into_inner().unwrap();
    test_support::assert_checked(
        "modules",
        identical.load(Ordering::Relaxed) + mismatches.len(),
        data.min_modules(),
    );
    eprintln!(
        "{} modules: {} raw dumps identical to bpftool, {} differ ({:?}, {WORKERS} workers)",
        modules.len(),
        identical.load(Ordering::Relaxed),
        mismatches.len(),
        start.elapsed()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} modules dump differently from bpftool:\n  {}",
        mismatches.len(),
        modules.len(),
        mismatches.join("\n  ")
    );
}

#[test]
fn ko_files_match_bpftool() {
    let data = test_support::data();
    let tool = test_support::bpftool();
    let base_path = data.vmlinux61();
    let base_data = std::fs::read(base_path).expect("read vmlinux");
    let base = Btf::parse(&base_data).expect("parse vmlinux");
    let mut failures = Vec::new();
    let kos = data.kos61();
    test_support::assert_checked(".ko files", kos.len(), data.min_kos());
    for path in kos {
        let what = path.display().to_string();
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{what}: {e}"));
        let elf = object::File::parse(&*data).unwrap_or_else(|e| panic!("{what}: {e}"));
        let sec = object::Object::section_by_name(&elf, ".BTF")
            .unwrap_or_else(|| panic!("{what}: no .BTF section"));
        let btf_bytes =
            object::ObjectSection::data(&sec).unwrap_or_else(|e| panic!("{what}: .BTF data: {e}"));
        let btf = Btf::parse_split(btf_bytes, &base).unwrap_or_else(|e| panic!("{what}: {e}"));

        let ours = our_raw(&btf);
        let theirs = run_bpftool(&tool, Some(base_path), path, false);
        if let Some(d) = first_diff(&ours, &theirs) {
            failures.push(format!("{what}: raw: {d}"));
            continue;
        }
        let doc = check_json_parses(&what, &btf);
        let theirs = run_bpftool(&tool, Some(base_path), path, true);
        check_json_vs_bpftool(&what, &doc, &theirs);
        eprintln!("{what}: {} types identical to bpftool", btf.type_count());
    }
    assert!(
        failures.is_empty(),
        "{} of {} .ko files dump differently from bpftool:\n  {}",
        failures.len(),
        kos.len(),
        failures.join("\n  ")
    );
}
