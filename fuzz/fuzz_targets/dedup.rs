//! Fuzz target: deduplicate arbitrary base + split BTF (see `dedup_body.rs` for the
//! input layout). The body is shared with `crates/btfkit/tests/fuzz_smoke_dedup.rs`,
//! which runs it on a few thousand generated inputs under plain `cargo test`. Seeds:
//! `fuzz/seeds/dedup/` (small corpus modules with their distilled bases), e.g.
//! `cargo fuzz run dedup fuzz/seeds/dedup`.
#![no_main]

#[path = "dedup_body.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::check(data));
