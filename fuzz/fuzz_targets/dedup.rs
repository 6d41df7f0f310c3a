//! cargo-fuzz target `dedup`: the body is `fuzz/bodies/dedup.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/dedup.rs`. Inputs that do not reach the checks are
//! rejected, so the corpus keeps only those that do.
#![no_main]

#[path = "../bodies/dedup.rs"]
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
