//! Differential testing of btfkit against the reference implementations: libbpf (through
//! `libbpf-sys`, vendored v1.7.0) and bpftool, over the real kernel BTF of the corpus.
//! Unpublished; used by tests and side-by-side benchmarks only.

pub mod gen_oracle;
pub mod libbpf;
pub mod libbpf_build;
pub mod libbpf_dedup;
pub mod libbpf_elf;
