//! `relocate`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/relocate.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("relocate", body::run, 3000, 0.2);
}
