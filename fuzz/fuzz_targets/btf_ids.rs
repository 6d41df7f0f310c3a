//! cargo-fuzz target `btf_ids`: the body is `fuzz/bodies/btf_ids.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/btf_ids.rs`.
#![no_main]

#[path = "../bodies/btf_ids.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
