//! Fuzz body of `parse_validate_dump`: every BTF reader entry point (base, split over a
//! small built base, `.BTF` of an ELF file), validation and both dumps on arbitrary
//! bytes. Any panic, hang or unbounded allocation here is a bug.

use btfkit::fields::FieldKind;
use btfkit::write::Builder;
use btfkit::{Btf, Endian, TypeId};
use std::sync::OnceLock;

/// A small base BTF for split parsing (int, struct, pointer, enum).
fn base_bytes() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut b = Builder::new();
        let int = b.add_int("int", 4, btfkit::raw::INT_SIGNED);
        let s = b.add_struct("s", 8);
        b.add_member("a", int, 0, 0).unwrap();
        b.add_member("b", int, 32, 0).unwrap();
        b.add_ptr(s);
        b.add_enum("e", 4, false);
        b.add_enum_value("E0", 0).unwrap();
        b.to_bytes(Endian::Little)
    })
}

fn exercise(btf: &Btf<'_>) {
    let _ = btfkit::validate::validate(btf);
    let mut sink = Vec::new();
    let _ = btfkit::dump::raw::write_raw(&mut sink, btf);
    sink.clear();
    let _ = btfkit::dump::json::write_json(&mut sink, btf);
    for t in btf.types().take(64) {
        for f in t.fields(FieldKind::TypeIds) {
            let _ = btf.type_by_id(TypeId(f.value));
        }
        for f in t.fields(FieldKind::StrOffsets) {
            let _ = btf.str_at(btfkit::StrOffset(f.value));
        }
        let name = btf.name(&t);
        let _ = btf.find_by_name(name);
    }
}

/// Runs every entry point on `data`. True when some reader accepted it.
pub fn run(data: &[u8]) -> bool {
    let mut parsed = false;
    if let Ok(btf) = Btf::parse(data) {
        exercise(&btf);
        parsed = true;
    }
    let base = Btf::parse(base_bytes()).expect("built base parses");
    if let Ok(split) = Btf::parse_split(data, &base) {
        exercise(&split);
        parsed = true;
    }
    if let Ok(sections) = btfkit::elf::BtfSections::parse(data) {
        if let Ok(btf) = Btf::parse(&sections.btf) {
            exercise(&btf);
            parsed = true;
        }
    }
    parsed
}
