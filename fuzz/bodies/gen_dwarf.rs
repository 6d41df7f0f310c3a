//! Body of the `gen_dwarf` target: the input is an ELF relocatable object with DWARF
//! (any class, byte order, compression, relocations), read by `btfkit::dwarf` and
//! encoded by `btfkit::gen::encode` over a small built base.
//!
//! Properties, for every input the encoder accepts: the encoded split BTF parses over
//! the base; encoding the same input again gives the same bytes and the same problems
//! (the output never depends on hash iteration order or on state left behind); every
//! reported problem renders. When the object has `.BTF_ids`, resolving them by name
//! against the encoded BTF (`BtfIds::resolve_by_name`) keeps the section's size, writes
//! every resolved entry's id at its symbol and leaves each set sorted. Any panic, hang
//! or unbounded allocation is a bug; errors are expected. Returns true when the input
//! was encoded. The whole pipeline of `btfkit::module::generate` (plain and distilled)
//! gives blobs that parse, sorted by name in the kernel's order.

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

/// Reads and encodes `data`; see the module doc.
pub fn run(data: &[u8]) -> bool {
    let base = Btf::parse(base_bytes()).expect("built base parses");
    let Ok(enc) = btfkit::gen::encode(data, &base) else {
        return false;
    };
    if let Err(e) = Btf::parse_split(&enc.btf, &base) {
        panic!("encoded BTF does not parse: {e}");
    }
    for p in &enc.problems {
        assert!(!p.to_string().is_empty());
    }
    let again = btfkit::gen::encode(data, &base).expect("second encoding of the same input");
    assert!(again.btf == enc.btf, "encoding is not deterministic");
    assert!(
        again.problems == enc.problems,
        "problems are not deterministic"
    );
    // The whole pipeline (deduplication against the base, the kernel's order, .BTF_ids
    // resolved by name, distillation): its blobs parse, over the base or their own.
    let vmlinux = btfkit::dedup::DedupBase::new(&base).expect("built base prepares");
    for distill in [false, true] {
        let opts = btfkit::module::GenOptions {
            distill,
            order: btfkit::sort::Order::Kernel,
        };
        if let Ok(g) = btfkit::module::generate(data, &vmlinux, &opts) {
            match &g.base {
                Some(b) => {
                    let db = Btf::parse(b).expect("distilled base parses");
                    Btf::parse_split(&g.btf, &db).expect("distilled split parses");
                }
                None => {
                    let s = Btf::parse_split(&g.btf, &base).expect("generated BTF parses");
                    assert!(
                        btfkit::sort::is_sorted(&s),
                        "kernel order is sorted by name"
                    );
                }
            }
        }
    }
    true
}
