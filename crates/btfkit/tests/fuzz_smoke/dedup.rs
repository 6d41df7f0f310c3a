//! `dedup`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/dedup.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("dedup", body::run, 3000, 0.15);
}
