//! cargo-fuzz target `roundtrip`: the body is `fuzz/bodies/roundtrip.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/roundtrip.rs`.
#![no_main]

#[path = "../bodies/roundtrip.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
