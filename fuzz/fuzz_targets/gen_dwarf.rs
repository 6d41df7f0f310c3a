//! cargo-fuzz target `gen_dwarf`: the body is `fuzz/bodies/gen_dwarf.rs` (its doc says
//! what it checks), also run under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/gen_dwarf.rs`. Inputs that do not reach the checks
//! are rejected, so the corpus keeps only those that do.
#![no_main]

#[path = "../bodies/gen_dwarf.rs"]
mod body;

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    if body::run(data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
