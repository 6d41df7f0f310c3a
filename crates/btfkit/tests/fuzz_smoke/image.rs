//! `image`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/image.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("image", body::run, 3000, 0.2);
}
