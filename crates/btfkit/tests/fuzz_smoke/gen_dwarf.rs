//! `gen_dwarf`: the fuzz body on its seeds (small objects compiled by gcc for x86-64,
//! arm64, s390x and i386, DWARF 4 type units, zlib-compressed sections), regressions and
//! mutations.

#[path = "../../../../fuzz/bodies/gen_dwarf.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("gen_dwarf", body::run, 4000, 0.02);
}
