//! `decompress`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/decompress.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("decompress", body::run, 3000, 0.03);
}
