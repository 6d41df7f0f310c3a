//! `distill`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/distill.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("distill", body::run, 6000, 0.02);
}
