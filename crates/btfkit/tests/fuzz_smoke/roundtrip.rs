//! `roundtrip`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/roundtrip.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("roundtrip", body::run, 3000, 0.2);
}
