//! cargo-fuzz target `sort`: the body is `fuzz/bodies/sort.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/sort.rs`. Inputs that do not reach the checks are
//! rejected, so the corpus keeps only those that do.
#![no_main]

#[path = "../bodies/sort.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    if body::run(data) {
        Corpus::Keep
    } else {
        Corpus::Reject
    }
});
