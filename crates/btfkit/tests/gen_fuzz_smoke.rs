//! Runs the BTF-generation fuzz body (fuzz/fuzz_targets/gen_body.rs) under plain
//! `cargo test` on the committed DWARF fixtures (testdata/gen) and a few thousand
//! deterministic mutations of them: bytes flipped in the ELF headers, in the debug
//! sections and in the relocations, truncations, and sections swapped.

#[path = "../../../fuzz/fuzz_targets/gen_body.rs"]
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

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
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
        gen_body::check(&f);
        let enc = btfkit::gen::encode(&f, &base).expect("fixture encodes");
        assert!(btfkit::Btf::parse_split(&enc.btf, &base).is_ok());
    }
}

#[test]
fn mutations_do_not_panic() {
    let fixtures = fixtures();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..2500 {
        let mut d = fixtures[round % fixtures.len()].clone();
        match rng.below(5) {
            0 => {
                // flip bytes anywhere
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(d.len());
                    d[i] ^= 1 << rng.below(8);
                }
            }
            1 => {
                // bytes in the first 4 KiB (headers, start of sections)
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(d.len().min(4096));
                    d[i] = rng.next() as u8;
                }
            }
            2 => {
                // truncate
                let n = rng.below(d.len());
                d.truncate(n);
            }
            3 => {
                // a run of random bytes
                let i = rng.below(d.len());
                let n = (1 + rng.below(64)).min(d.len() - i);
                for b in &mut d[i..i + n] {
                    *b = rng.next() as u8;
                }
            }
            _ => {
                // set a 32-bit word to an extreme value
                let i = rng.below(d.len().saturating_sub(4));
                let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000][rng.below(5)];
                d[i..i + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
        gen_body::check(&d);
    }
}
