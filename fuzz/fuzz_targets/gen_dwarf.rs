#![no_main]
//! Fuzz target: DWARF in ELF objects through `btfkit::gen::encode`.

mod gen_body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gen_body::check(data);
});
