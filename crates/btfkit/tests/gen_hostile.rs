//! BTF generation on the committed DWARF fixtures (testdata/gen) through the fuzz body's
//! checks, and on hostile DWARF built here (nesting deeper than any stack). The fuzz
//! target's mutations run in `fuzz_smoke/gen_dwarf.rs`.

#[path = "../../../fuzz/bodies/gen_dwarf.rs"]
mod gen_body;

use btfkit::compress::{decompress, Compression};
use std::path::PathBuf;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gen");
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata/gen")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".o.xz"))
        .collect();
    names.sort();
    for p in names {
        let data = std::fs::read(&p).expect("fixture");
        out.push(decompress(&data, Compression::Xz, 1 << 28).expect("xz"));
    }
    assert!(out.len() >= 8, "DWARF fixtures missing");
    out
}

#[test]
fn fixtures_encode() {
    let base_bytes = {
        let mut b = btfkit::write::Builder::new();
        b.add_int("int", 4, 1);
        b.to_bytes(btfkit::Endian::Little)
    };
    let base = btfkit::Btf::parse(&base_bytes).unwrap();
    for f in fixtures() {
        assert!(gen_body::run(&f), "fixture reaches the fuzz body's checks");
        let enc = btfkit::gen::encode(&f, &base).expect("fixture encodes");
        assert!(btfkit::Btf::parse_split(&enc.btf, &base).is_ok());
    }
}

/// A minimal little-endian ELF64 relocatable object holding `sections` (name, bytes).
fn elf_with(sections: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut shstrtab = vec![0u8];
    let mut names = Vec::new();
    for (n, _) in sections {
        names.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(n.as_bytes());
        shstrtab.push(0);
    }
    let shstr_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::new();
    for (_, data) in sections {
        offsets.push(out.len() as u64);
        out.extend_from_slice(data);
    }
    let shstr_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let shnum = sections.len() as u16 + 2;
    let sh = |name: u32, ty: u32, off: u64, size: u64| {
        let mut h = vec![0u8; 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[4..8].copy_from_slice(&ty.to_le_bytes());
        h[24..32].copy_from_slice(&off.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h[48..56].copy_from_slice(&1u64.to_le_bytes());
        h
    };
    let mut table = sh(0, 0, 0, 0);
    for (i, (_, data)) in sections.iter().enumerate() {
        table.extend(sh(names[i], 1, offsets[i], data.len() as u64));
    }
    table.extend(sh(shstr_name, 3, shstr_off, shstrtab.len() as u64));
    out.extend(table);
    out[0..4].copy_from_slice(b"\x7fELF");
    out[4] = 2; // ELFCLASS64
    out[5] = 1; // little-endian
    out[6] = 1;
    out[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
    out[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[40..48].copy_from_slice(&shoff.to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[58..60].copy_from_slice(&64u16.to_le_bytes());
    out[60..62].copy_from_slice(&shnum.to_le_bytes());
    out[62..64].copy_from_slice(&(shnum - 1).to_le_bytes());
    out
}

/// Hostile nesting: a unit of 100,000 structs each inside the previous one. The encoder
/// must neither overflow a small thread stack nor take long; it reports the cut.
#[test]
fn deep_nesting_is_bounded() {
    // abbrev 1: compile_unit, children; abbrev 2: structure_type, children, no attrs.
    let abbrev = vec![1, 0x11, 1, 0, 0, 2, 0x13, 1, 0, 0, 0];
    let depth = 100_000usize;
    let mut body = vec![1u8];
    body.extend(std::iter::repeat_n(2u8, depth));
    body.extend(std::iter::repeat_n(0u8, depth + 1));
    let mut info = Vec::new();
    let len = (body.len() + 8) as u32; // version(2) unit_type(1) addr(1) abbrev(4)
    info.extend_from_slice(&len.to_le_bytes());
    info.extend_from_slice(&5u16.to_le_bytes());
    info.push(1); // DW_UT_compile
    info.push(8);
    info.extend_from_slice(&0u32.to_le_bytes());
    info.extend_from_slice(&body);
    let elf = elf_with(&[(".debug_info", info), (".debug_abbrev", abbrev)]);
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let base_bytes = {
                let mut b = btfkit::write::Builder::new();
                b.add_int("int", 4, 1);
                b.to_bytes(btfkit::Endian::Little)
            };
            let base = btfkit::Btf::parse(&base_bytes).unwrap();
            match btfkit::gen::encode(&elf, &base) {
                Ok(enc) => enc
                    .problems
                    .iter()
                    .any(|p| p.kind == btfkit::gen::ProblemKind::TooDeep),
                Err(_) => true,
            }
        })
        .unwrap();
    assert!(t.join().expect("no stack overflow"), "nesting cut reported");
}
