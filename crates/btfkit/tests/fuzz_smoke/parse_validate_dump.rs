//! `parse_validate_dump`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/parse_validate_dump.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("parse_validate_dump", body::run, 3000, 0.2);
}
