//! Big-endian BTF: libbpf converts the corpus (little-endian) to big-endian
//! (`btf__set_endianness(BTF_BIG_ENDIAN)` + `btf__raw_data`), btfkit parses the result,
//! and everything it reads must equal what it reads from the little-endian original.
//! libbpf must also read the big-endian blobs back.
//!
//! Runs over every vmlinux blob and every module of the 6.1 kernel (over its base), from
//! the corpus or the committed testdata.

use btfkit::read::{ArrayInfo, Btf, EnumValue, IntInfo, Member, Param, Type, VarSecinfo};
use btfkit::{Endian, Kind};
use conformance::libbpf::LibbpfBtf;
use std::path::Path;
use std::time::Instant;

/// Everything btfkit's accessors say about one type.
#[derive(Debug, PartialEq, Eq)]
struct TypeView<'a> {
    id: u32,
    kind: Kind,
    vlen: u32,
    kflag: bool,
    name_off: u32,
    name: &'a [u8],
    size_or_type: u32,
    record_len: usize,
    members: Vec<Member>,
    enum_values: Vec<EnumValue>,
    params: Vec<Param>,
    secinfos: Vec<VarSecinfo>,
    int_info: Option<IntInfo>,
    array_info: Option<ArrayInfo>,
    var_linkage: Option<u32>,
    decl_tag_component: Option<i32>,
}

fn view<'a>(btf: &Btf<'a>, t: &Type<'a>) -> TypeView<'a> {
    TypeView {
        id: t.id().0,
        kind: t.kind(),
        vlen: t.vlen(),
        kflag: t.kflag(),
        name_off: t.name_off().0,
        name: btf.name(t),
        size_or_type: t.size_or_type(),
        record_len: t.record().len(),
        members: t.members().collect(),
        enum_values: t.enum_values().collect(),
        params: t.params().collect(),
        secinfos: t.secinfos().collect(),
        int_info: t.int_info(),
        array_info: t.array_info(),
        var_linkage: t.var_linkage(),
        decl_tag_component: t.decl_tag_component(),
    }
}

/// Asserts that `be` (big-endian) reads exactly like `le` (little-endian).
fn assert_same_content(le: &Btf<'_>, be: &Btf<'_>, what: &str) {
    assert_eq!(le.endian(), Endian::Little, "{what}");
    assert_eq!(
        be.endian(),
        Endian::Big,
        "{what}: libbpf output is not big-endian"
    );
    let (hl, hb) = (le.header(), be.header());
    assert_eq!(
        (
            hl.version,
            hl.flags,
            hl.hdr_len,
            hl.type_off,
            hl.type_len,
            hl.str_off,
            hl.str_len
        ),
        (
            hb.version,
            hb.flags,
            hb.hdr_len,
            hb.type_off,
            hb.type_len,
            hb.str_off,
            hb.str_len
        ),
        "{what}: headers differ"
    );
    assert_eq!(le.type_count(), be.type_count(), "{what}: type count");
    assert_eq!(le.start_id(), be.start_id(), "{what}: start id");
    assert_eq!(
        le.start_str_off(),
        be.start_str_off(),
        "{what}: start string offset"
    );
    assert!(
        le.strings().bytes() == be.strings().bytes(),
        "{what}: string sections differ"
    );
    for (tl, tb) in le.types().zip(be.types()) {
        let (vl, vb) = (view(le, &tl), view(be, &tb));
        if vl != vb {
            panic!(
                "{what}: type [{}] differs:\n  LE {vl:?}\n  BE {vb:?}",
                vl.id
            );
        }
    }
    compare_dumps(le, be, what);
}

/// Compares btfkit's raw (bpftool `format raw`) dumps of both byte orders.
fn compare_dumps(le: &Btf<'_>, be: &Btf<'_>, what: &str) {
    let (mut dl, mut db) = (Vec::new(), Vec::new());
    btfkit::dump::raw::write_raw(&mut dl, le).expect("dump LE");
    btfkit::dump::raw::write_raw(&mut db, be).expect("dump BE");
    assert!(!dl.is_empty(), "{what}: empty dump");
    if dl != db {
        let line = dl
            .split(|&b| b == b'\n')
            .zip(db.split(|&b| b == b'\n'))
            .find(|(a, b)| a != b);
        panic!(
            "{what}: raw dumps differ; first differing lines: {:?}",
            line.map(|(a, b)| (
                String::from_utf8_lossy(a).into_owned(),
                String::from_utf8_lossy(b).into_owned()
            ))
        );
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// libbpf's big-endian rendering of `btf`.
fn to_big_endian(mut btf: LibbpfBtf, what: &str) -> Vec<u8> {
    btf.set_endianness(Endian::Big)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(btf.endianness(), Endian::Big);
    btf.raw_data().unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// libbpf reads the big-endian blob back: same count, and the same bytes when it writes
/// it little-endian again.
fn libbpf_round_trip(be: &[u8], le: &[u8], expect_cnt: u32, base: Option<&LibbpfBtf>, what: &str) {
    let mut back = match base {
        None => LibbpfBtf::parse_raw(be),
        Some(b) => LibbpfBtf::parse_split(be, b),
    }
    .unwrap_or_else(|e| panic!("{what}: libbpf rejects the big-endian blob: {e}"));
    assert_eq!(
        back.type_cnt(),
        expect_cnt,
        "{what}: libbpf type count of BE"
    );
    assert_eq!(back.endianness(), Endian::Big, "{what}");
    back.set_endianness(Endian::Little).unwrap();
    assert!(
        back.raw_data().unwrap() == le,
        "{what}: BE -> LE through libbpf does not give the original bytes"
    );
}

/// Converts, parses and compares one base blob; returns the big-endian bytes.
fn check_base(path: &Path) -> (Vec<u8>, Vec<u8>) {
    let what = path.display().to_string();
    let le = read(path);
    let lib = LibbpfBtf::parse_raw(&le).unwrap_or_else(|e| panic!("{what}: {e}"));
    let cnt = lib.type_cnt();
    let be = to_big_endian(lib, &what);
    assert_eq!(&be[..2], &[0xeb, 0x9f], "{what}: magic of the BE blob");
    let bl = Btf::parse(&le).unwrap_or_else(|e| panic!("{what}: {e}"));
    let bb = Btf::parse(&be).unwrap_or_else(|e| panic!("{what} (BE): {e}"));
    assert_eq!(bl.type_count() + 1, cnt, "{what}: btfkit vs libbpf count");
    assert_same_content(&bl, &bb, &what);
    libbpf_round_trip(&be, &le, cnt, None, &what);
    eprintln!(
        "{what}: {} types identical in both byte orders",
        bl.type_count()
    );
    (le, be)
}

#[test]
fn every_vmlinux_big_endian() {
    let data = test_support::data();
    let mut n = 0;
    for path in data.vmlinuxes() {
        let t = Instant::now();
        check_base(path);
        eprintln!("{}: {:.2?}", path.display(), t.elapsed());
        n += 1;
    }
    test_support::assert_checked("vmlinux blobs", n, data.min_vmlinuxes());
}

#[test]
fn vmlinux_61_and_modules_big_endian() {
    let data = test_support::data();
    let t0 = Instant::now();
    let (base_le, base_be) = check_base(data.vmlinux61());
    let kb_le = Btf::parse(&base_le).unwrap();
    let kb_be = Btf::parse(&base_be).unwrap();
    let lb_le = LibbpfBtf::parse_raw(&base_le).unwrap();
    let lb_be = LibbpfBtf::parse_raw(&base_be).unwrap();
    assert_eq!(lb_be.endianness(), Endian::Big);

    let modules = data.modules61();
    let (mut types, mut bytes) = (0u64, 0u64);
    for path in modules {
        let what = path.display().to_string();
        let le = read(path);
        let lib = LibbpfBtf::parse_split(&le, &lb_le).unwrap_or_else(|e| panic!("{what}: {e}"));
        let cnt = lib.type_cnt();
        let be = to_big_endian(lib, &what);
        let ml = Btf::parse_split(&le, &kb_le).unwrap_or_else(|e| panic!("{what}: {e}"));
        let mb = Btf::parse_split(&be, &kb_be).unwrap_or_else(|e| panic!("{what} (BE): {e}"));
        assert_eq!(ml.next_id().0, cnt, "{what}: btfkit vs libbpf count");
        assert_same_content(&ml, &mb, &what);
        libbpf_round_trip(&be, &le, cnt, Some(&lb_be), &what);
        types += ml.type_count() as u64;
        bytes += le.len() as u64;
    }
    test_support::assert_checked("modules", modules.len(), data.min_modules());
    eprintln!(
        "{} modules ({types} types, {bytes} bytes) identical in both byte orders; \
         with the 6.1 vmlinux: {:.2?}",
        modules.len(),
        t0.elapsed()
    );
}
