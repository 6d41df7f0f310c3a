//! `btfkit::gen` against pahole 1.32: the fixtures of `testdata/gen` (two C units linked
//! with `ld -r` like a module, built for x86-64, arm64, s390x (big-endian) and i686, with
//! DWARF 4 and 5, zlib- and zstd-compressed debug sections, type units) encoded over the
//! 6.1 vmlinux BTF and deduplicated by libbpf must give pahole's `.BTF.1` byte for byte.

use btfkit::compress::{decompress, Compression};
use btfkit::Btf;
use conformance::libbpf::LibbpfBtf;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn xz(path: PathBuf) -> Vec<u8> {
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decompress(&data, Compression::Xz, 1 << 30).expect("xz")
}

#[test]
fn fixtures_match_pahole() {
    let vmlinux = xz(testdata().join("linux-6.1/vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).expect("base");
    let lbase = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf base");
    let dir = testdata().join("gen");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata/gen")
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".o.xz").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 8, "fixtures missing: {names:?}");
    for name in &names {
        let object = xz(dir.join(format!("{name}.o.xz")));
        let expected = std::fs::read(dir.join(format!("{name}.BTF.1"))).expect("golden");
        let enc = btfkit::gen::encode(&object, &base).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = conformance::gen_oracle::dedup_split_built(&enc.btf, &lbase, &base)
            .unwrap_or_else(|e| panic!("{name}: dedup: {e}"));
        assert!(
            ours == expected,
            "{name}: {} bytes vs pahole's {}; first difference at byte {:?}",
            ours.len(),
            expected.len(),
            ours.iter().zip(&expected).position(|(a, b)| a != b)
        );
    }
}
