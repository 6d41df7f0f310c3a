//! cargo-fuzz target `signature`: the body is `fuzz/bodies/signature.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/signature.rs`.
#![no_main]

#[path = "../bodies/signature.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
