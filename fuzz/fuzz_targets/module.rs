//! cargo-fuzz target `module`: the body is `fuzz/bodies/module.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/module.rs`.
#![no_main]

#[path = "../bodies/module.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
