//! `module`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/module.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("module", body::run, 3000, 0.05);
}
