//! `elf_patch`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/elf_patch.rs"]
pub mod body;

#[test]
fn smoke() {
    crate::harness::smoke("elf_patch", body::run, 3000, 0.2);
}
