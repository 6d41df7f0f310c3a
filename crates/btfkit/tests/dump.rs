//! `dump::raw` and `dump::json` on small built blobs: golden text, and byte equality with
//! `bpftool btf dump file X format raw`.
//!
//! bpftool is looked up as `$BPFTOOL`, then `bpftool` on `PATH`, then `/usr/sbin/bpftool`
//! (`scripts/install-deps.sh` installs it); without it the tests fail.

use btfkit::dump::{json, raw};
use btfkit::write::{Builder, FwdKind};
use btfkit::{raw as r, Btf, Endian, TypeId};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

// ---------------------------------------------------------------------------------------
// helpers

/// A file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, bytes: &[u8]) -> TempFile {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "btfkit-dump-test-{}-{}-{tag}.btf",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        TempFile(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `bpftool [-B base] btf dump file blob format raw`.
fn bpftool_raw(blob: &[u8], base: Option<&[u8]>) -> Vec<u8> {
    let tool = test_support::bpftool();
    let f = TempFile::new("blob", blob);
    let bf = base.map(|b| TempFile::new("base", b));
    let mut cmd = Command::new(tool);
    if let Some(bf) = &bf {
        cmd.arg("-B").arg(bf.path());
    }
    cmd.args(["btf", "dump", "file"])
        .arg(f.path())
        .args(["format", "raw"]);
    let out = cmd.output().expect("run bpftool");
    assert!(
        out.status.success(),
        "bpftool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn our_raw(btf: &Btf<'_>) -> Vec<u8> {
    let mut v = Vec::new();
    raw::write_raw(&mut v, btf).unwrap();
    v
}

fn our_json(btf: &Btf<'_>) -> serde_json::Value {
    let mut v = Vec::new();
    json::write_json(&mut v, btf).unwrap();
    serde_json::from_slice(&v).unwrap_or_else(|e| {
        panic!(
            "our JSON does not parse: {e}\n{}",
            String::from_utf8_lossy(&v)
        )
    })
}

fn assert_text_eq(what: &str, ours: &[u8], expected: &[u8]) {
    if ours != expected {
        let (o, e) = (
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(expected),
        );
        for (i, (a, b)) in o.lines().zip(e.lines()).enumerate() {
            if a != b {
                panic!("{what}: first difference at line {}:\n ours:     {a:?}\n expected: {b:?}\n--- ours ---\n{o}--- expected ---\n{e}", i + 1);
            }
        }
        panic!(
            "{what}: outputs differ in length ({} vs {} lines)\n--- ours ---\n{o}--- expected ---\n{e}",
            o.lines().count(),
            e.lines().count()
        );
    }
}

/// Compares our raw dump with golden text and with bpftool.
fn check_raw(what: &str, blob: &[u8], base: Option<&[u8]>, golden: &[u8]) {
    let base_btf = base.map(|b| Btf::parse(b).expect("parse base"));
    let btf = match &base_btf {
        Some(b) => Btf::parse_split(blob, b).expect("parse split"),
        None => Btf::parse(blob).expect("parse"),
    };
    let ours = our_raw(&btf);
    assert_text_eq(&format!("{what} vs golden"), &ours, golden);
    let theirs = bpftool_raw(blob, base);
    assert_text_eq(&format!("{what} vs bpftool"), &ours, &theirs);
}

// ---------------------------------------------------------------------------------------
// blobs

/// Every kind, bitfields, signed and unsigned enums, ENUM64, varargs, DATASEC.
fn all_kinds() -> Builder<'static> {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, r::INT_SIGNED); // 1
    let uint = b.add_int("unsigned int", 4, 0); // 2
    b.add_int("char", 1, r::INT_CHAR); // 3
    b.add_int("_Bool", 1, r::INT_BOOL); // 4
    let pint = b.add_ptr(int); // 5
    b.add_array(int, uint, 4); // 6
    let s = b.add_struct("s", 16); // 7
    b.add_member("a", int, 0, 0).unwrap();
    b.add_member("b", uint, 32, 3).unwrap();
    b.add_member("c", uint, 35, 5).unwrap();
    b.add_member("", TypeId(8), 64, 0).unwrap();
    b.add_union("", 4); // 8
    b.add_member("x", int, 0, 0).unwrap();
    b.add_member("y", uint, 0, 0).unwrap();
    b.add_enum("e", 4, true); // 9
    b.add_enum_value("NEG", -1).unwrap();
    b.add_enum_value("ZERO", 0).unwrap();
    b.add_enum_value("MAX", i32::MAX as i64).unwrap();
    b.add_enum_value("MIN", i32::MIN as i64).unwrap();
    b.add_enum("ue", 4, false); // 10
    b.add_enum_value("A", 0).unwrap();
    b.add_enum_value("B", 0xffff_ffff).unwrap();
    b.add_fwd("fs", FwdKind::Struct); // 11
    b.add_fwd("fu", FwdKind::Union); // 12
    b.add_typedef("t", int); // 13
    let vol = b.add_volatile(int); // 14
    b.add_const(vol); // 15
    b.add_restrict(pint); // 16
    let proto = b.add_func_proto(int); // 17
    b.add_param("a", int).unwrap();
    b.add_param("p", pint).unwrap();
    b.add_param("", TypeId::VOID).unwrap();
    b.add_func("f", r::FUNC_STATIC, proto); // 18
    b.add_func("g", r::FUNC_GLOBAL, proto); // 19
    b.add_func("h", r::FUNC_EXTERN, proto); // 20
    let vs = b.add_var("vs", r::VAR_STATIC, int); // 21
    let vg = b.add_var("vg", r::VAR_GLOBAL_ALLOCATED, int); // 22
    let ve = b.add_var("ve", r::VAR_GLOBAL_EXTERN, uint); // 23
    b.add_datasec(".data", 12); // 24
    b.add_secinfo(vs, 0, 4).unwrap();
    b.add_secinfo(vg, 4, 4).unwrap();
    b.add_secinfo(ve, 8, 4).unwrap();
    b.add_float("double", 8); // 25
    b.add_decl_tag("tag1", s, -1); // 26
    b.add_decl_tag("tag2", s, 1); // 27
    let tt = b.add_type_tag("user", int); // 28
    b.add_ptr(tt); // 29
    b.add_enum64("e64", 8, false); // 30
    b.add_enum64_value("U", u64::MAX).unwrap();
    b.add_enum64_value("BIG", 1 << 40).unwrap();
    b.add_enum64("s64", 8, true); // 31
    b.add_enum64_value("MIN", i64::MIN as u64).unwrap();
    b.add_enum64_value("M1", -1i64 as u64).unwrap();
    b.add_enum64_value("P", 5).unwrap();
    b.add_func_proto(TypeId::VOID); // 32: void (void)
                                    // 33: names that are not UTF-8 or need JSON escaping.
    let bad = b.add_str_bytes(b"\xff\xfebad").0;
    let quote = b.add_str("q\"\\\t\u{e9}").0;
    b.add_raw(
        bad,
        r::info(4, 2, false),
        8,
        &[quote, int.0, 0, bad, int.0, 32],
    );
    b
}

const ALL_KINDS_RAW: &str = "\
[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] INT 'unsigned int' size=4 bits_offset=0 nr_bits=32 encoding=(none)
[3] INT 'char' size=1 bits_offset=0 nr_bits=8 encoding=CHAR
[4] INT '_Bool' size=1 bits_offset=0 nr_bits=8 encoding=BOOL
[5] PTR '(anon)' type_id=1
[6] ARRAY '(anon)' type_id=1 index_type_id=2 nr_elems=4
[7] STRUCT 's' size=16 vlen=4
\t'a' type_id=1 bits_offset=0
\t'b' type_id=2 bits_offset=32 bitfield_size=3
\t'c' type_id=2 bits_offset=35 bitfield_size=5
\t'(anon)' type_id=8 bits_offset=64
[8] UNION '(anon)' size=4 vlen=2
\t'x' type_id=1 bits_offset=0
\t'y' type_id=2 bits_offset=0
[9] ENUM 'e' encoding=SIGNED size=4 vlen=4
\t'NEG' val=-1
\t'ZERO' val=0
\t'MAX' val=2147483647
\t'MIN' val=-2147483648
[10] ENUM 'ue' encoding=UNSIGNED size=4 vlen=2
\t'A' val=0
\t'B' val=4294967295
[11] FWD 'fs' fwd_kind=struct
[12] FWD 'fu' fwd_kind=union
[13] TYPEDEF 't' type_id=1
[14] VOLATILE '(anon)' type_id=1
[15] CONST '(anon)' type_id=14
[16] RESTRICT '(anon)' type_id=5
[17] FUNC_PROTO '(anon)' ret_type_id=1 vlen=3
\t'a' type_id=1
\t'p' type_id=5
\t'(anon)' type_id=0
[18] FUNC 'f' type_id=17 linkage=static
[19] FUNC 'g' type_id=17 linkage=global
[20] FUNC 'h' type_id=17 linkage=extern
[21] VAR 'vs' type_id=1, linkage=static
[22] VAR 'vg' type_id=1, linkage=global
[23] VAR 've' type_id=2, linkage=extern
[24] DATASEC '.data' size=12 vlen=3
\ttype_id=21 offset=0 size=4 (VAR 'vs')
\ttype_id=22 offset=4 size=4 (VAR 'vg')
\ttype_id=23 offset=8 size=4 (VAR 've')
[25] FLOAT 'double' size=8
[26] DECL_TAG 'tag1' type_id=7 component_idx=-1
[27] DECL_TAG 'tag2' type_id=7 component_idx=1
[28] TYPE_TAG 'user' type_id=1
[29] PTR '(anon)' type_id=28
[30] ENUM64 'e64' encoding=UNSIGNED size=8 vlen=2
\t'U' val=18446744073709551615ULL
\t'BIG' val=1099511627776ULL
[31] ENUM64 's64' encoding=SIGNED size=8 vlen=3
\t'MIN' val=-9223372036854775808LL
\t'M1' val=-1LL
\t'P' val=5LL
[32] FUNC_PROTO '(anon)' ret_type_id=0 vlen=0
";

/// The tail of the all-kinds golden text, as bytes (type 33 has a non-UTF-8 name).
const ALL_KINDS_RAW_33: &[u8] = b"[33] STRUCT '\xff\xfebad' size=8 vlen=2
\t'q\"\\\t\xc3\xa9' type_id=1 bits_offset=0
\t'\xff\xfebad' type_id=1 bits_offset=32
";

fn all_kinds_golden() -> Vec<u8> {
    [ALL_KINDS_RAW.as_bytes(), ALL_KINDS_RAW_33].concat()
}

/// Oddities bpftool still accepts: a name offset past the string section, a DATASEC
/// entry for void and one for an id that does not exist, unknown linkages and INT
/// encodings, a name offset into the middle of a string.
fn oddities() -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, r::INT_SIGNED); // 1
    b.add_raw(0x7fff, r::info(2, 0, false), int.0, &[]); // 2: PTR '(invalid)'
    b.add_raw(2, r::info(2, 0, false), int.0, &[]); // 3: PTR 'nt'
    b.add_raw(0, r::info(1, 0, false), 4, &[(3 << 24) | 32]); // 4: INT encoding=UNKN
    let x = b.add_str("x").0;
    b.add_raw(x, r::info(1, 0, false), 2, &[(8 << 16) | 3]); // 5: INT bits_offset=8 nr_bits=3
    let v = b.add_var("v", 7, int); // 6: VAR linkage=(unknown)
    b.add_func("f", 9, TypeId(9)); // 7: FUNC linkage=(unknown)
    b.add_datasec("sec", 8); // 8
    b.add_secinfo(v, 0, 4).unwrap();
    b.add_secinfo(TypeId::VOID, 4, 4).unwrap();
    b.add_secinfo(TypeId(999), 0, 0).unwrap();
    b.add_secinfo(int, 8, 0).unwrap();
    b.add_func_proto(TypeId::VOID); // 9
    b.add_raw(0, r::info(7, 0, false), 0, &[]); // 10: anonymous FWD
    b.to_bytes(Endian::Little)
}

const ODDITIES_RAW: &str = "\
[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] PTR '(invalid)' type_id=1
[3] PTR 'nt' type_id=1
[4] INT '(anon)' size=4 bits_offset=0 nr_bits=32 encoding=UNKN
[5] INT 'x' size=2 bits_offset=8 nr_bits=3 encoding=(none)
[6] VAR 'v' type_id=1, linkage=(unknown)
[7] FUNC 'f' type_id=9 linkage=(unknown)
[8] DATASEC 'sec' size=8 vlen=4
\ttype_id=6 offset=0 size=4 (VAR 'v')
\ttype_id=0 offset=4 size=4 (UNKNOWN '(anon)')
\ttype_id=999 offset=0 size=0
\ttype_id=1 offset=8 size=0 (INT 'int')
[9] FUNC_PROTO '(anon)' ret_type_id=0 vlen=0
[10] FWD '(anon)' fwd_kind=struct
";

fn split_base() -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, r::INT_SIGNED); // 1
    b.add_var("base_var", r::VAR_GLOBAL_ALLOCATED, int); // 2
    b.add_struct("shared", 4); // 3
    b.add_member("m", int, 0, 0).unwrap();
    b.to_bytes(Endian::Little)
}

fn split_blob(base: &Btf<'_>) -> Vec<u8> {
    let mut b = Builder::new_split(base);
    let int = TypeId(1);
    let p = b.add_ptr(TypeId(3)); // 4
    b.add_struct("shared", 16); // 5: name from the base's strings
    b.add_member("m", int, 0, 0).unwrap();
    b.add_member("p", p, 64, 0).unwrap();
    let v = b.add_var("own_var", r::VAR_STATIC, TypeId(5)); // 6
    b.add_datasec(".bss", 24); // 7: entries in the base and in the split
    b.add_secinfo(TypeId(2), 0, 4).unwrap();
    b.add_secinfo(v, 8, 16).unwrap();
    b.add_enum("own_enum", 4, false); // 8
    b.add_enum_value("OWN", 7).unwrap();
    b.to_bytes(Endian::Little)
}

const SPLIT_RAW: &str = "\
[4] PTR '(anon)' type_id=3
[5] STRUCT 'shared' size=16 vlen=2
\t'm' type_id=1 bits_offset=0
\t'p' type_id=4 bits_offset=64
[6] VAR 'own_var' type_id=5, linkage=static
[7] DATASEC '.bss' size=24 vlen=2
\ttype_id=2 offset=0 size=4 (VAR 'base_var')
\ttype_id=6 offset=8 size=16 (VAR 'own_var')
[8] ENUM 'own_enum' encoding=UNSIGNED size=4 vlen=1
\t'OWN' val=7
";

/// A blob with a layout section describing one kind this crate does not know (20):
/// bpftool cannot read it; we print it as UNKNOWN with the raw words.
fn unknown_kind_blob() -> Vec<u8> {
    let types: Vec<u32> = vec![
        1,
        r::info(1, 0, false),
        4,
        32, // [1] INT 'a'
        3,
        r::info(20, 2, true),
        7,
        0xdead_beef,
        0x1122_3344,
        0x5566_7788, // [2] kind 20 'b', info_sz 4, elem_sz 4, vlen 2
    ];
    let strs = b"\0a\0b\0";
    let nkinds = 21usize;
    let type_len = types.len() * 4;
    let layout_len = nkinds * 4;
    let mut out = Vec::new();
    out.extend_from_slice(&[0x9f, 0xeb, 1, 0]);
    for v in [
        32u32,
        0,
        type_len as u32,
        (type_len + layout_len) as u32,
        strs.len() as u32,
        type_len as u32,
        layout_len as u32,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for w in &types {
        out.extend_from_slice(&w.to_le_bytes());
    }
    for k in 0..nkinds as u8 {
        let k = btfkit::Kind(k);
        let (i, e) = if k.0 == 20 {
            (4, 4)
        } else {
            (k.info_size().unwrap_or(0), k.elem_size().unwrap_or(0))
        };
        out.extend_from_slice(&[i as u8, e as u8, 0, 0]);
    }
    out.extend_from_slice(strs);
    out
}

// ---------------------------------------------------------------------------------------
// raw

#[test]
fn raw_all_kinds() {
    let blob = all_kinds().to_bytes(Endian::Little);
    check_raw("all kinds", &blob, None, &all_kinds_golden());
}

#[test]
fn raw_all_kinds_big_endian() {
    // bpftool (libbpf) reads either byte order; the dump does not depend on it.
    let blob = all_kinds().to_bytes(Endian::Big);
    check_raw("all kinds (big-endian)", &blob, None, &all_kinds_golden());
}

#[test]
fn raw_oddities() {
    check_raw("oddities", &oddities(), None, ODDITIES_RAW.as_bytes());
}

#[test]
fn raw_split_prints_own_types_only() {
    let base_bytes = split_base();
    let base = Btf::parse(&base_bytes).unwrap();
    let split = split_blob(&base);
    check_raw("split", &split, Some(&base_bytes), SPLIT_RAW.as_bytes());
}

#[test]
fn raw_single_type() {
    let blob = all_kinds().to_bytes(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    let golden = all_kinds_golden();
    // Each type alone gives its lines of the whole dump, in order.
    let mut joined = Vec::new();
    for t in btf.types() {
        raw::write_raw_type(&mut joined, &btf, &t).unwrap();
    }
    assert_eq!(joined, golden);
    let t = btf.type_by_id(TypeId(18)).unwrap();
    assert_eq!(
        raw::raw_type_bytes(&btf, &t),
        b"[18] FUNC 'f' type_id=17 linkage=static\n"
    );
    // A base type through the split.
    let base_bytes = split_base();
    let base = Btf::parse(&base_bytes).unwrap();
    let split_bytes = split_blob(&base);
    let split = Btf::parse_split(&split_bytes, &base).unwrap();
    let t = split.type_by_id(TypeId(2)).unwrap();
    assert_eq!(
        raw::raw_type_bytes(&split, &t),
        b"[2] VAR 'base_var' type_id=1, linkage=global\n"
    );
}

#[test]
fn raw_unknown_kind() {
    let blob = unknown_kind_blob();
    let btf = Btf::parse(&blob).unwrap();
    assert_text_eq(
        "unknown kind",
        &our_raw(&btf),
        b"[1] INT 'a' size=4 bits_offset=0 nr_bits=32 encoding=(none)\n\
          [2] UNKNOWN 'b' kind=20 info=0x94000002 size_or_type=7\n",
    );
}

#[test]
fn raw_empty_blob() {
    let blob = Builder::new().to_bytes(Endian::Little);
    check_raw("empty", &blob, None, b"");
}

// ---------------------------------------------------------------------------------------
// json

fn types(doc: &serde_json::Value) -> &Vec<serde_json::Value> {
    doc["types"].as_array().expect("types array")
}

fn by_id(doc: &serde_json::Value, id: u64) -> &serde_json::Value {
    types(doc)
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no type {id}"))
}

#[test]
fn json_all_kinds() {
    for endian in [Endian::Little, Endian::Big] {
        let blob = all_kinds().to_bytes(endian);
        let btf = Btf::parse(&blob).unwrap();
        let doc = our_json(&btf);
        assert_eq!(doc["version"], 1);
        assert_eq!(
            doc["endianness"],
            if endian == Endian::Little {
                "little"
            } else {
                "big"
            }
        );
        assert_eq!(doc["split"], false);
        assert_eq!(doc["start_id"], 1);
        assert_eq!(types(&doc).len(), 33);
        for (i, t) in types(&doc).iter().enumerate() {
            assert_eq!(t["id"], i as u64 + 1);
        }

        let t = by_id(&doc, 1);
        assert_eq!(
            *t,
            serde_json::json!({"id":1,"kind":"INT","name":"int","kflag":false,"vlen":0,
                "size":4,"encoding":"signed","bits_offset":0,"nr_bits":32,"int_data":0x0100_0020})
        );
        assert_eq!(by_id(&doc, 3)["encoding"], "char");
        assert_eq!(by_id(&doc, 4)["encoding"], "bool");
        assert_eq!(
            *by_id(&doc, 6),
            serde_json::json!({"id":6,"kind":"ARRAY","name":"","kflag":false,"vlen":0,
                "type_id":1,"index_type_id":2,"nr_elems":4,"size_or_type":0})
        );
        let s = by_id(&doc, 7);
        assert_eq!(s["kflag"], true);
        assert_eq!(s["vlen"], 4);
        assert_eq!(
            s["members"],
            serde_json::json!([
                {"name":"a","type_id":1,"bits_offset":0,"bitfield_size":0},
                {"name":"b","type_id":2,"bits_offset":32,"bitfield_size":3},
                {"name":"c","type_id":2,"bits_offset":35,"bitfield_size":5},
                {"name":"","type_id":8,"bits_offset":64,"bitfield_size":0},
            ])
        );
        let e = by_id(&doc, 9);
        assert_eq!(e["signed"], true);
        assert_eq!(
            e["values"],
            serde_json::json!([
                {"name":"NEG","val":-1},{"name":"ZERO","val":0},
                {"name":"MAX","val":2147483647},{"name":"MIN","val":-2147483648i64},
            ])
        );
        assert_eq!(by_id(&doc, 10)["signed"], false);
        assert_eq!(by_id(&doc, 10)["values"][1]["val"], 0xffff_ffffu64);
        assert_eq!(by_id(&doc, 11)["fwd_kind"], "struct");
        assert_eq!(by_id(&doc, 12)["fwd_kind"], "union");
        assert_eq!(by_id(&doc, 12)["kflag"], true);
        assert_eq!(by_id(&doc, 15)["type_id"], 14);
        assert_eq!(
            *by_id(&doc, 17),
            serde_json::json!({"id":17,"kind":"FUNC_PROTO","name":"","kflag":false,"vlen":3,
                "ret_type_id":1,"params":[{"name":"a","type_id":1},{"name":"p","type_id":5},
                {"name":"","type_id":0}]})
        );
        for (id, l) in [(18, "static"), (19, "global"), (20, "extern")] {
            assert_eq!(by_id(&doc, id)["linkage"], l);
            assert_eq!(by_id(&doc, id)["type_id"], 17);
        }
        for (id, l) in [(21, "static"), (22, "global"), (23, "extern")] {
            assert_eq!(by_id(&doc, id)["linkage"], l);
        }
        assert_eq!(
            by_id(&doc, 24)["entries"],
            serde_json::json!([
                {"type_id":21,"offset":0,"size":4},
                {"type_id":22,"offset":4,"size":4},
                {"type_id":23,"offset":8,"size":4},
            ])
        );
        assert_eq!(by_id(&doc, 25)["size"], 8);
        assert_eq!(by_id(&doc, 26)["component_idx"], -1);
        assert_eq!(by_id(&doc, 27)["component_idx"], 1);
        assert_eq!(by_id(&doc, 28)["name"], "user");
        assert_eq!(by_id(&doc, 30)["values"][0]["val"], u64::MAX);
        assert_eq!(by_id(&doc, 30)["values"][1]["val"], 1u64 << 40);
        assert_eq!(by_id(&doc, 31)["values"][0]["val"], i64::MIN);
        assert_eq!(by_id(&doc, 31)["values"][1]["val"], -1);
        assert_eq!(by_id(&doc, 32)["params"], serde_json::json!([]));

        // Non-UTF-8 names: U+FFFD per bad byte, exact bytes in name_hex.
        let t = by_id(&doc, 33);
        assert_eq!(t["name"], "\u{fffd}\u{fffd}bad");
        assert_eq!(t["name_hex"], "fffe626164");
        assert_eq!(t["members"][0]["name"], "q\"\\\t\u{e9}");
        assert!(t["members"][0].get("name_hex").is_none());
        assert_eq!(t["members"][1]["name_hex"], "fffe626164");
        // Valid names never carry name_hex.
        for t in types(&doc).iter().filter(|t| t["id"] != 33) {
            assert!(t.get("name_hex").is_none(), "{t}");
        }
    }
}

#[test]
fn json_oddities() {
    let blob = oddities();
    let btf = Btf::parse(&blob).unwrap();
    let doc = our_json(&btf);
    let t = by_id(&doc, 2);
    assert_eq!(t["name"], serde_json::Value::Null);
    assert_eq!(t["name_off"], 0x7fff);
    assert_eq!(by_id(&doc, 3)["name"], "nt");
    assert_eq!(by_id(&doc, 4)["encoding"], "unknown(3)");
    assert_eq!(by_id(&doc, 5)["bits_offset"], 8);
    assert_eq!(by_id(&doc, 5)["nr_bits"], 3);
    assert_eq!(by_id(&doc, 6)["linkage"], "unknown(7)");
    assert_eq!(by_id(&doc, 7)["linkage"], "unknown(9)");
    assert_eq!(by_id(&doc, 7)["vlen"], 9);
    assert_eq!(by_id(&doc, 8)["entries"][2]["type_id"], 999);
}

#[test]
fn json_split() {
    let base_bytes = split_base();
    let base = Btf::parse(&base_bytes).unwrap();
    let split_bytes = split_blob(&base);
    let split = Btf::parse_split(&split_bytes, &base).unwrap();
    let doc = our_json(&split);
    assert_eq!(doc["split"], true);
    assert_eq!(doc["start_id"], 4);
    let ids: Vec<u64> = types(&doc)
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4, 5, 6, 7, 8]);
    assert_eq!(by_id(&doc, 5)["name"], "shared");
    assert_eq!(by_id(&doc, 5)["members"][0]["name"], "m");
}

#[test]
fn json_unknown_kind() {
    let blob = unknown_kind_blob();
    let btf = Btf::parse(&blob).unwrap();
    let doc = our_json(&btf);
    assert_eq!(
        *by_id(&doc, 2),
        serde_json::json!({"id":2,"kind":"UNKNOWN","kind_num":20,"name":"b","kflag":true,
            "vlen":2,"info":0x9400_0002u32,"size_or_type":7,"data_hex":"efbeadde4433221188776655"})
    );
}

#[test]
fn json_empty_and_single_type() {
    let blob = Builder::new().to_bytes(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    let mut v = Vec::new();
    json::write_json(&mut v, &btf).unwrap();
    assert_eq!(
        std::str::from_utf8(&v).unwrap(),
        "{\"version\":1,\"endianness\":\"little\",\"split\":false,\"start_id\":1,\"types\":[\n]}\n"
    );
    let doc: serde_json::Value = serde_json::from_slice(&v).unwrap();
    assert_eq!(types(&doc).len(), 0);

    let blob = all_kinds().to_bytes(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    let mut v = Vec::new();
    json::write_json_type(&mut v, &btf, &btf.type_by_id(TypeId(22)).unwrap()).unwrap();
    assert_eq!(
        std::str::from_utf8(&v).unwrap(),
        r#"{"id":22,"kind":"VAR","name":"vg","kflag":false,"vlen":0,"type_id":1,"linkage":"global"}"#
    );
    // The whole document is the single-type objects joined.
    let mut whole = Vec::new();
    json::write_json(&mut whole, &btf).unwrap();
    let mut joined =
        b"{\"version\":1,\"endianness\":\"little\",\"split\":false,\"start_id\":1,\"types\":["
            .to_vec();
    for (i, t) in btf.types().enumerate() {
        joined.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        json::write_json_type(&mut joined, &btf, &t).unwrap();
    }
    joined.extend_from_slice(b"\n]}\n");
    assert_eq!(whole, joined);
}

#[test]
fn json_control_characters_are_escaped() {
    let mut b = Builder::new();
    let n = b.add_str_bytes(b"a\x01\x1f\n\r\x08\x0c\x7fz").0;
    b.add_raw(n, r::info(16, 0, false), 4, &[]);
    // A truncated UTF-8 sequence at the end and a lone continuation byte.
    let n = b.add_str_bytes(b"\xc3\x80\x80\xe2\x82\x80x\xe2\x82").0;
    b.add_raw(n, r::info(16, 0, false), 4, &[]);
    let blob = b.to_bytes(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    let mut v = Vec::new();
    json::write_json_type(&mut v, &btf, &btf.type_by_id(TypeId(1)).unwrap()).unwrap();
    assert!(
        std::str::from_utf8(&v)
            .unwrap()
            .contains(r#""name":"a\u0001\u001f\n\r\b\f"#),
        "{}",
        String::from_utf8_lossy(&v)
    );
    let doc = our_json(&btf);
    assert_eq!(by_id(&doc, 1)["name"], "a\u{1}\u{1f}\n\r\u{8}\u{c}\u{7f}z");
    assert!(by_id(&doc, 1).get("name_hex").is_none());
    assert_eq!(
        by_id(&doc, 2)["name"],
        "\u{c0}\u{fffd}\u{2080}x\u{fffd}\u{fffd}"
    );
    assert_eq!(by_id(&doc, 2)["name_hex"], "c38080e2828078e282");
}

// ---------------------------------------------------------------------------------------
// buffering and errors

/// Names longer than the internal buffers (256 bytes for one type, 64 KiB for a dump).
#[test]
fn long_names() {
    let long: String = (0..70_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mid = "m".repeat(300);
    let mut b = Builder::new();
    let int = b.add_int(&long, 4, r::INT_SIGNED); // 1
    b.add_struct(&mid, 4); // 2
    b.add_member(&long, int, 0, 0).unwrap();
    b.add_member(&mid, int, 0, 0).unwrap();
    let blob = b.to_bytes(Endian::Little);
    let golden = format!(
        "[1] INT '{long}' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n\
         [2] STRUCT '{mid}' size=4 vlen=2\n\t'{long}' type_id=1 bits_offset=0\n\
         \t'{mid}' type_id=1 bits_offset=0\n"
    );
    check_raw("long names", &blob, None, golden.as_bytes());

    let btf = Btf::parse(&blob).unwrap();
    let t = btf.type_by_id(TypeId(2)).unwrap();
    assert_eq!(
        raw::raw_type_bytes(&btf, &t),
        golden
            .split_once("[2]")
            .map(|(_, t)| format!("[2]{t}"))
            .unwrap()
            .as_bytes()
    );
    let doc = our_json(&btf);
    assert_eq!(by_id(&doc, 1)["name"], long.as_str());
    assert_eq!(by_id(&doc, 2)["members"][0]["name"], long.as_str());
    assert_eq!(by_id(&doc, 2)["members"][1]["name"], mid.as_str());
}

/// A writer that fails once it has accepted `left` bytes.
struct Failing {
    left: usize,
    flushed: bool,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flushed = true;
        Ok(())
    }
}

#[test]
fn io_errors_are_reported_and_output_is_flushed() {
    // Enough types to fill the 64 KiB buffer many times.
    let mut b = Builder::new();
    let int = b.add_int("int", 4, r::INT_SIGNED);
    for i in 0..20_000 {
        b.add_typedef(format!("t{i}").as_str(), int);
    }
    let blob = b.to_bytes(Endian::Little);
    let btf = Btf::parse(&blob).unwrap();
    for left in [0, 10, 100_000] {
        let mut w = Failing {
            left,
            flushed: false,
        };
        let e = raw::write_raw(&mut w, &btf).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        let mut w = Failing {
            left,
            flushed: false,
        };
        let e = json::write_json(&mut w, &btf).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
    }
    let mut w = Failing {
        left: usize::MAX,
        flushed: false,
    };
    raw::write_raw(&mut w, &btf).unwrap();
    assert!(w.flushed, "write_raw flushes its destination");
    // Through a BufWriter, like a caller writing to a file.
    let mut v = std::io::BufWriter::new(Vec::new());
    raw::write_raw(&mut v, &btf).unwrap();
    assert_eq!(v.into_inner().unwrap(), our_raw(&btf));
}
