//! libbpf's `btf__dedup` (default options, or with `force_collisions`) as more methods of
//! [`LibbpfBtf`], and the whole "merge" sequence the `btfkit dedup` command mirrors:
//! `btf__new_empty[_split]`, `btf__add_btf` of every input in order, `btf__dedup`.

// FFI to the oracle: like `libbpf.rs`, this module calls C (libbpf) and wraps every call
// in a safe function.
#![allow(unsafe_code)]

use crate::libbpf::{take_log, LibbpfBtf, LibbpfError, Result};
use libbpf_sys as sys;

impl LibbpfBtf {
    fn dedup_ptr(&self) -> *mut sys::btf {
        // libbpf mutates objects behind const pointers anyway (see `libbpf.rs`).
        self.as_ptr() as *mut sys::btf
    }

    /// `btf__dedup(btf, NULL)`: deduplicates this object's own types and strings in place
    /// (split BTF against its immutable base). On failure libbpf leaves the object garbled:
    /// drop it.
    pub fn dedup(&mut self) -> Result<()> {
        self.dedup_with(false)
    }

    /// `btf__dedup` with `force_collisions` (every type hashes to one bucket; the result
    /// must be the same as without).
    pub fn dedup_with(&mut self, force_collisions: bool) -> Result<()> {
        let opts = sys::btf_dedup_opts {
            sz: std::mem::size_of::<sys::btf_dedup_opts>() as sys::size_t,
            force_collisions,
            ..Default::default()
        };
        // Make the base chain modifiable first, as `add_type` does: dedup looks strings
        // up in the base, which would otherwise free raw data still in use.
        self.make_modifiable()?;
        let _ = take_log();
        // SAFETY: valid object and a fully initialized options struct of the size it says.
        let rc = unsafe { sys::btf__dedup(self.dedup_ptr(), &opts) };
        if rc < 0 {
            return Err(LibbpfError {
                op: "btf__dedup",
                errno: -rc,
                messages: take_log(),
            });
        }
        Ok(())
    }

    /// The merge `btfkit dedup` performs, done by libbpf: a new empty BTF (split over
    /// `base` when given), every input appended in order with `btf__add_btf`, then
    /// `btf__dedup`. Split inputs must be over `base` (the same object).
    pub fn merge(base: Option<&LibbpfBtf>, inputs: &[&LibbpfBtf]) -> Result<LibbpfBtf> {
        let mut out = match base {
            Some(b) => LibbpfBtf::new_empty_split(b)?,
            None => LibbpfBtf::new_empty()?,
        };
        for i in inputs {
            out.add_btf(i)?;
        }
        out.dedup()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_merges_duplicates() {
        let mut b = LibbpfBtf::new_empty().unwrap();
        b.add_int("int", 4, 1).unwrap();
        b.add_ptr(1).unwrap();
        b.add_int("int", 4, 1).unwrap();
        b.add_ptr(3).unwrap();
        b.dedup().unwrap();
        assert_eq!(b.type_cnt(), 3, "int and int* once each");
    }

    #[test]
    fn merge_appends_then_dedups() {
        let mut a = LibbpfBtf::new_empty().unwrap();
        a.add_int("int", 4, 1).unwrap();
        let raw = a.raw_data().unwrap();
        let a = LibbpfBtf::parse_raw(&raw).unwrap();
        let merged = LibbpfBtf::merge(None, &[&a, &a]).unwrap();
        assert_eq!(merged.type_cnt(), 2);
    }
}
