//! cargo-fuzz target `elf_patch`: the body is `fuzz/bodies/elf_patch.rs` (its doc says what it
//! checks), also run on a few thousand inputs under plain `cargo test` by
//! `crates/btfkit/tests/fuzz_smoke/elf_patch.rs`.
#![no_main]

#[path = "../bodies/elf_patch.rs"]
mod body;
#[path = "../bodies/common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
