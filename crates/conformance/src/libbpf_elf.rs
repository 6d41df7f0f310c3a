//! libbpf's ELF entry point for BTF, `btf__parse_elf_split`: it opens the file with
//! libelf, reads `.BTF` and, when present, `.BTF.base`, and relocates a distilled module
//! onto the base given (libbpf >= 1.5). The oracle for the ELF files btfkit patches.

// FFI to the oracle, wrapped in one safe function.
#![allow(unsafe_code)]

use crate::libbpf::{LibbpfBtf, LibbpfError, Result};
use libbpf_sys as sys;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `btf__parse_elf_split(path, base)`: the `.BTF` of the ELF file at `path` as split BTF
/// over `base`, or as base BTF when `base` is None. For a module with `.BTF.base`, libbpf
/// parses the split over the distilled base and then relocates it onto `base` (with a
/// base), or returns it over the distilled base, which the returned object owns (without
/// one).
pub fn parse_elf_split(path: &Path, base: Option<&LibbpfBtf>) -> Result<LibbpfBtf> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| LibbpfError {
        op: "btf__parse_elf_split",
        errno: 22,
        messages: vec!["path contains a NUL byte".into()],
    })?;
    // Forget messages of earlier calls.
    let _ = crate::libbpf::take_log();
    let base_ptr = base.map_or(std::ptr::null_mut(), |b| b.as_ptr().cast_mut());
    // SAFETY: `c` is a NUL-terminated path; `base_ptr` is NULL or a valid object that the
    // returned handle keeps alive. libbpf returns NULL (errno set) or a fresh object.
    let ptr = unsafe { sys::btf__parse_elf_split(c.as_ptr(), base_ptr) };
    // SAFETY: a fresh object whose libbpf base is `base` (or its own distilled base,
    // which libbpf owns and frees with it, or none).
    unsafe { LibbpfBtf::from_owned("btf__parse_elf_split", ptr, base.cloned()) }
}
