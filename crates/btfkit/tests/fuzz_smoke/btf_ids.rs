//! `btf_ids`: the fuzz body on its seeds, regressions and mutations.

#[path = "../../../../fuzz/bodies/btf_ids.rs"]
mod body;

#[test]
fn smoke() {
    crate::harness::smoke("btf_ids", body::run, 3000, 0.1);
}
