//! cargo-fuzz target `image`: the body is `fuzz/bodies/image.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/image.rs`.
#![no_main]

#[path = "../bodies/image.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
