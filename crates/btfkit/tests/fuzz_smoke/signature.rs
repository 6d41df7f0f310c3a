//! `signature`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/signature.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("signature", body::run, 3000, 0.2);
}
