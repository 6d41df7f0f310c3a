//! cargo-fuzz target `parse_validate_dump`: the body is `fuzz/bodies/parse_validate_dump.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/parse_validate_dump.rs`.
#![no_main]

#[path = "../bodies/parse_validate_dump.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
