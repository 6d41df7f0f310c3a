//! The fuzz targets' bodies (`fuzz/bodies/*.rs`) under plain `cargo test`: for each
//! target, its committed seeds (`fuzz/seeds/<target>/`), its crash regressions
//! (`fuzz/regressions/<target>/`) and a few thousand deterministic mutations of the
//! seeds. One module per target; the mutation engine is `harness.rs`, the seed writer
//! `seeds.rs`. See `fuzz/README.md`.

#[path = "../../../../fuzz/bodies/common.rs"]
mod common;
use test_support::btf_ids as fixture;
mod harness;
use test_support::images;
mod seeds;

mod btf_ids;
mod decompress;
mod dedup;
mod distill;
mod elf_patch;
mod elf_sections;
mod gen_dwarf;
mod image;
mod module;
mod parse_validate_dump;
mod relocate;
mod roundtrip;
mod signature;
mod sort;
