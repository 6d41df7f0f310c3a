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
    let names = test_support::gen_fixtures();
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

/// A module whose `.BTF_ids` were resolved and sorted already (the kernel build's output:
/// the fixture with resolve_btfids' `.BTF` and `.BTF_ids` written in) encodes as the
/// fresh object does: the kfunc flags that sorting moved (my_kfunc's `KF_FASTCALL` now
/// sits at use_inline's symbol) are given back to their functions through the module's
/// own `.BTF`. Without that `.BTF` they cannot be, which is reported, and pahole's
/// reading of them (use_inline tagged `bpf_fastcall`) is what is encoded.
#[test]
fn resolved_objects_encode_as_fresh_ones() {
    let vmlinux = xz(testdata().join("linux-6.1/vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).expect("base");
    let lbase = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf base");
    let dir = testdata().join("gen");
    for name in ["x86_64", "s390x", "i686"] {
        let object = xz(dir.join(format!("{name}.o.xz")));
        let expected = std::fs::read(dir.join(format!("{name}.BTF.1"))).expect("golden");
        let btf = std::fs::read(dir.join(format!("{name}.BTF"))).expect(".BTF");
        let ids = std::fs::read(dir.join(format!("{name}.BTF_ids"))).expect(".BTF_ids");
        let mut p = btfkit::elf::Patch::new();
        p.set(".BTF", &btf).replace(".BTF_ids", &ids);
        let built = p.apply(&object).expect("patch").elf;

        let obj = btfkit::dwarf::DwarfObject::parse(&built).expect("reads");
        assert!(
            matches!(
                btfkit::gen::fresh_btf_ids(&obj, &base),
                btfkit::gen::BtfIdsState::Recovered(ref d)
                    if *d == btfkit::elf::btf_ids::BtfIds::parse(&object).unwrap().unwrap().data
            ),
            "{name}: the compiler's .BTF_ids recovered"
        );
        let enc = btfkit::gen::encode(&built, &base).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(enc.problems.is_empty(), "{name}: {:?}", enc.problems);
        let ours = conformance::gen_oracle::dedup_split_built(&enc.btf, &lbase, &base).unwrap();
        assert!(
            ours == expected,
            "{name}: resolved object encodes differently"
        );

        // Without its .BTF: reported, and encoded as pahole reads it.
        let mut p = btfkit::elf::Patch::new();
        p.replace(".BTF_ids", &ids);
        let stale = p.apply(&object).expect("patch").elf;
        let enc = btfkit::gen::encode(&stale, &base).unwrap();
        assert!(
            matches!(
                enc.problems.as_slice(),
                [p] if matches!(p.kind, btfkit::gen::ProblemKind::StaleKfuncFlags(_))
            ),
            "{name}: {:?}",
            enc.problems
        );
        let ours = conformance::gen_oracle::dedup_split_built(&enc.btf, &lbase, &base).unwrap();
        assert!(
            ours != expected,
            "{name}: the moved flags are read as pahole reads them"
        );
    }
}
