//! `elf_sections`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/elf_sections.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("elf_sections", body::run, 3000, 0.2);
}
