//! What one fuzz input exercises for BTF generation: the input is read as an ELF object
//! with DWARF and encoded over a small built base. Any panic, hang or unbounded
//! allocation here is a bug; errors are expected.

use btfkit::write::Builder;
use btfkit::{Btf, Endian};
use std::sync::OnceLock;

fn base_bytes() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut b = Builder::new();
        b.add_int("int", 4, btfkit::raw::INT_SIGNED);
        b.add_int("long int", 8, btfkit::raw::INT_SIGNED);
        b.to_bytes(Endian::Little)
    })
}

/// Runs the DWARF reader and the encoder on `data`.
pub fn check(data: &[u8]) {
    let base = Btf::parse(base_bytes()).expect("built base parses");
    if let Ok(enc) = btfkit::gen::encode(data, &base) {
        // What was encoded must parse as split BTF over the base.
        let _ = Btf::parse_split(&enc.btf, &base);
        for p in &enc.problems {
            let _ = p.to_string();
        }
    }
}
