//! Fuzz target: parse (base, split, ELF), validate and dump arbitrary bytes. The body is
//! shared with `crates/btfkit/tests/fuzz_smoke.rs`, which runs it on a few thousand
//! generated inputs under plain `cargo test`.
#![no_main]

#[path = "body.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::check(data));
