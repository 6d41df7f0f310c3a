//! Fuzz target: kernel images (`btfkit::image::extract`). The body is
//! `fuzz/bodies/image.rs`, also run by `crates/btfkit/tests/fuzz_image.rs` under
//! `cargo test`.
#![no_main]

#[path = "../bodies/image.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    body::run(data);
});
