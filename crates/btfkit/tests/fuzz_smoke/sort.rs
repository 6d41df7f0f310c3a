//! `sort`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/sort.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("sort", body::run, 6000, 0.02);
}
