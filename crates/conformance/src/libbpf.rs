//! A small safe wrapper over the parts of libbpf's BTF API (vendored v1.7.0, through
//! `libbpf-sys`) that the differential tests and side-by-side benchmarks use.
//!
//! # Ownership
//!
//! [`LibbpfBtf`] owns one `struct btf *` and frees it with `btf__free` when the last
//! handle to it is dropped. Handles are reference counted (cloning one shares the same C
//! object) so that split BTF can keep its base alive: a split handle holds a handle to
//! its base, and the base is freed only after every split over it. That also fits the
//! libbpf calls that create or re-point objects (`btf__distill_base` returns a new base
//! and a split over it; `btf__relocate` moves a split onto another base): they only need
//! the private `LibbpfBtf::from_owned` and `replace_base`. A future `add_type`
//! wrapper must make the source's base modifiable first (e.g. one `btf__find_str` on it):
//! libbpf otherwise frees the raw data the source type points into (LIBBPF-NOTES.md).
//!
//! libbpf mutates objects behind `const` pointers (it caches raw data, and touching a
//! split can make its base modifiable), so every handle is `!Send` and `!Sync`, no Rust
//! reference into libbpf's memory outlives a call (strings and raw data are copied out),
//! and methods that change the BTF take `&mut self` only as documentation: libbpf is the
//! owner of the state.
//!
//! # Errors and messages
//!
//! libbpf reports failures with `errno` (a NULL pointer or a negative return) and prints
//! the reason through its print callback (header and section problems at debug level).
//! This module installs a callback once per process that keeps every message of the
//! current thread instead of printing it; a failed call returns a [`LibbpfError`] with
//! the errno, its text and those messages.

// FFI to the oracle: this module is the only place where the conformance crate calls C
// (libbpf), and it wraps every call in a safe function.
#![allow(unsafe_code)]

use btfkit::{Endian, Kind};
use libbpf_sys as sys;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

/// A failed libbpf call: which function, the errno it left, and what libbpf printed on
/// this thread during the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibbpfError {
    /// The libbpf function that failed, e.g. `"btf__new"`.
    pub op: &'static str,
    /// The positive errno (`EINVAL`, `ENOMEM`, or one of libbpf's own codes >= 4000).
    pub errno: i32,
    /// libbpf's messages during the call (all levels), in order, without the `libbpf: `
    /// prefix and trailing newlines.
    pub messages: Vec<String>,
}

impl LibbpfError {
    /// The errno as text, as `libbpf_strerror` spells it.
    pub fn errno_text(&self) -> String {
        strerror(self.errno)
    }

    fn new(op: &'static str, errno: i32) -> LibbpfError {
        LibbpfError {
            op,
            // A failure must never read as success.
            errno: if errno == 0 { EINVAL } else { errno.abs() },
            messages: take_log(),
        }
    }
}

impl fmt::Display for LibbpfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {} (errno {})",
            self.op,
            self.errno_text(),
            self.errno
        )?;
        if !self.messages.is_empty() {
            write!(f, "; libbpf: {}", self.messages.join(" | "))?;
        }
        Ok(())
    }
}

impl std::error::Error for LibbpfError {}

/// Result of a libbpf call.
pub type Result<T> = std::result::Result<T, LibbpfError>;

const EINVAL: i32 = 22;
const ENOENT: i32 = 2;

/// `libbpf_strerror(err)`, falling back to the OS text for codes libbpf does not know.
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; libbpf_strerror writes a
    // NUL-terminated string of at most that size.
    let rc = unsafe { sys::libbpf_strerror(errno, buf.as_mut_ptr(), buf.len() as _) };
    if rc < 0 {
        return std::io::Error::from_raw_os_error(errno).to_string();
    }
    // SAFETY: libbpf_strerror NUL-terminated the buffer (it truncates to fit).
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// libbpf's print callback: keep the messages per thread.

thread_local! {
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Takes (and clears) the libbpf messages this thread collected since the last call into
/// libbpf through this module. Useful after calls that succeed with a warning.
pub fn take_log() -> Vec<String> {
    LOG.try_with(|l| std::mem::take(&mut *l.borrow_mut()))
        .unwrap_or_default()
}

fn clear_log() {
    let _ = LOG.try_with(|l| l.borrow_mut().clear());
}

#[cfg(target_arch = "x86_64")]
mod print {
    use super::*;

    unsafe extern "C" {
        // The C library's vsnprintf; on x86-64 a `va_list` argument is passed as a
        // pointer to its one `__va_list_tag`, which is what libbpf hands the callback.
        fn vsnprintf(
            s: *mut c_char,
            n: usize,
            format: *const c_char,
            ap: *mut sys::__va_list_tag,
        ) -> c_int;
    }

    unsafe extern "C" fn capture(
        _level: sys::libbpf_print_level,
        format: *const c_char,
        ap: *mut sys::__va_list_tag,
    ) -> c_int {
        // Every level is kept: libbpf reports most parse failures at debug level.
        let mut buf = [0 as c_char; 1024];
        // SAFETY: `format` and `ap` come from libbpf's own printf-style call and are
        // consumed exactly once; the buffer bounds are passed.
        let n = unsafe { vsnprintf(buf.as_mut_ptr(), buf.len(), format, ap) };
        // SAFETY: vsnprintf NUL-terminates within `buf.len()`.
        let msg = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
        let msg = msg.trim_end();
        let msg = msg.strip_prefix("libbpf: ").unwrap_or(msg).to_string();
        let _ = LOG.try_with(|l| l.borrow_mut().push(msg));
        n
    }

    pub(super) fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: `capture` has the signature libbpf expects and lives forever.
            unsafe { sys::libbpf_set_print(Some(capture)) };
        });
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod print {
    pub(super) fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: a NULL callback silences libbpf. Formatting a `va_list` portably
            // needs the target's va_list ABI; only x86-64 is captured.
            unsafe { super::sys::libbpf_set_print(None) };
        });
    }
}

/// Prepares a call into libbpf: installs the callback, forgets older messages.
fn enter() {
    print::install();
    clear_log();
}

// ---------------------------------------------------------------------------------------
// The handle.

/// The owned `struct btf *` and what must outlive it.
struct Handle {
    ptr: NonNull<sys::btf>,
    /// The base a split BTF points into; freed after this object (field drop order:
    /// `Drop::drop` runs first, then the fields).
    base: RefCell<Option<LibbpfBtf>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from a libbpf constructor, is owned by this handle alone and
        // is freed exactly once; the base (if any) is still alive here.
        unsafe { sys::btf__free(self.ptr.as_ptr()) };
    }
}

/// A BTF object of libbpf: base or split BTF parsed (and sanity-checked) by libbpf.
///
/// Cloning shares the same C object (see the module documentation).
#[derive(Clone)]
pub struct LibbpfBtf {
    h: Rc<Handle>,
}

/// libbpf's view of one type record (`struct btf_type`, in host byte order whatever the
/// blob's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    /// `BTF_INFO_KIND(info)`.
    pub kind: Kind,
    /// `BTF_INFO_VLEN(info)`.
    pub vlen: u32,
    /// `BTF_INFO_KFLAG(info)`.
    pub kflag: bool,
    /// `name_off`.
    pub name_off: u32,
    /// The `size` / `type` union.
    pub size_or_type: u32,
}

fn len_u32(op: &'static str, data: &[u8]) -> Result<u32> {
    u32::try_from(data.len()).map_err(|_| LibbpfError {
        op,
        errno: EINVAL,
        messages: vec![format!("{} bytes do not fit libbpf's u32 size", data.len())],
    })
}

fn endian_to_sys(e: Endian) -> sys::btf_endianness {
    match e {
        Endian::Little => sys::BTF_LITTLE_ENDIAN,
        Endian::Big => sys::BTF_BIG_ENDIAN,
    }
}

impl LibbpfBtf {
    /// Takes ownership of a `struct btf *` that a libbpf constructor returned (NULL means
    /// failure: the error is built from `errno`). `base` must be the object libbpf
    /// recorded as this one's base, so that it outlives this one.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a valid `struct btf *` that nothing else frees, and `base` is
    /// the base libbpf uses for it (or `None` for base BTF).
    pub(crate) unsafe fn from_owned(
        op: &'static str,
        ptr: *mut sys::btf,
        base: Option<LibbpfBtf>,
    ) -> Result<LibbpfBtf> {
        match NonNull::new(ptr) {
            Some(ptr) => Ok(LibbpfBtf {
                h: Rc::new(Handle {
                    ptr,
                    base: RefCell::new(base),
                }),
            }),
            None => Err(LibbpfError::new(op, last_errno())),
        }
    }

    /// Records that libbpf now uses `base` as this object's base (after
    /// `btf__relocate`, for instance), keeping it alive instead of the old one.
    fn replace_base(&self, base: Option<LibbpfBtf>) -> Option<LibbpfBtf> {
        self.h.base.replace(base)
    }

    /// Parses a base BTF blob with `btf__new` (libbpf copies the bytes, parses the header,
    /// strings and types, and sanity-checks them; the blob may be of either byte order).
    pub fn parse_raw(data: &[u8]) -> Result<LibbpfBtf> {
        let len = len_u32("btf__new", data)?;
        enter();
        // SAFETY: `data` is valid for `len` bytes and libbpf copies it.
        let ptr = unsafe { sys::btf__new(data.as_ptr().cast(), len) };
        // SAFETY: a fresh base object owned by nobody else.
        unsafe { Self::from_owned("btf__new", ptr, None) }
    }

    /// Parses split BTF over `base` with `btf__new_split`. The new object keeps `base`
    /// alive.
    pub fn parse_split(data: &[u8], base: &LibbpfBtf) -> Result<LibbpfBtf> {
        let len = len_u32("btf__new_split", data)?;
        enter();
        // SAFETY: `data` is valid for `len` bytes and libbpf copies it; `base` is a valid
        // object, kept alive by the returned handle.
        let ptr = unsafe { sys::btf__new_split(data.as_ptr().cast(), len, base.ptr()) };
        // SAFETY: a fresh object whose libbpf base is `base`.
        unsafe { Self::from_owned("btf__new_split", ptr, Some(base.clone())) }
    }

    /// The raw `struct btf *`, for calls this wrapper does not cover yet. It stays valid
    /// while `self` (or a clone) lives.
    pub fn as_ptr(&self) -> *const sys::btf {
        self.h.ptr.as_ptr()
    }

    fn ptr(&self) -> *mut sys::btf {
        self.h.ptr.as_ptr()
    }

    /// The base this split BTF was parsed over (a shared handle), `None` for base BTF.
    pub fn base(&self) -> Option<LibbpfBtf> {
        self.h.base.borrow().clone()
    }

    /// Whether this is split BTF.
    pub fn is_split(&self) -> bool {
        self.h.base.borrow().is_some()
    }

    /// `btf__type_cnt`: one past the highest type id, counting void and the base's types
    /// (so `100_751` for a base with 100,750 types).
    pub fn type_cnt(&self) -> u32 {
        // SAFETY: valid object.
        unsafe { sys::btf__type_cnt(self.ptr()) }
    }

    /// The first id of this object's own types: 1 for base BTF, the base's
    /// [`Self::type_cnt`] for split BTF.
    pub fn start_id(&self) -> u32 {
        self.base().map_or(1, |b| b.type_cnt())
    }

    /// Number of this object's own types (void and base types not counted), comparable to
    /// `btfkit::read::Btf::type_count`.
    pub fn own_type_count(&self) -> u32 {
        self.type_cnt() - self.start_id()
    }

    /// `btf__raw_data`: the blob as libbpf would write it, in [`Self::endianness`]; for
    /// split BTF, only the split's own header, types and strings.
    pub fn raw_data(&self) -> Result<Vec<u8>> {
        let mut size: u32 = 0;
        enter();
        // SAFETY: valid object and out-pointer.
        let p = unsafe { sys::btf__raw_data(self.ptr(), &mut size) };
        if p.is_null() {
            return Err(LibbpfError::new("btf__raw_data", last_errno()));
        }
        // SAFETY: libbpf returned a buffer of `size` bytes owned by the object, valid
        // until the object changes; it is copied before anything else runs.
        Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), size as usize) }.to_vec())
    }

    /// `btf__endianness`: the byte order [`Self::raw_data`] writes.
    pub fn endianness(&self) -> Endian {
        // SAFETY: valid object.
        match unsafe { sys::btf__endianness(self.ptr()) } {
            sys::BTF_BIG_ENDIAN => Endian::Big,
            _ => Endian::Little,
        }
    }

    /// `btf__set_endianness`: the byte order of later [`Self::raw_data`] output. The types
    /// stay in host order inside libbpf.
    pub fn set_endianness(&mut self, endian: Endian) -> Result<()> {
        enter();
        // SAFETY: valid object; the value is one of the two enumerators.
        let rc = unsafe { sys::btf__set_endianness(self.ptr(), endian_to_sys(endian)) };
        if rc < 0 {
            return Err(LibbpfError::new("btf__set_endianness", -rc));
        }
        Ok(())
    }

    /// `btf__type_by_id`: the type record with id `id` (own or base), `None` when `id` is
    /// out of range. Id 0 is void (kind 0).
    pub fn type_info(&self, id: u32) -> Option<TypeInfo> {
        enter();
        // SAFETY: valid object; libbpf bounds-checks the id.
        let t = unsafe { sys::btf__type_by_id(self.ptr(), id) };
        if t.is_null() {
            return None;
        }
        // SAFETY: libbpf returned a pointer to a `struct btf_type` it owns, valid until the
        // object changes; the fields are copied out now.
        let t = unsafe { &*t };
        // SAFETY: both arms of the anonymous union are a plain `__u32`.
        let size_or_type = unsafe { t.__bindgen_anon_1.size };
        Some(TypeInfo {
            kind: Kind(((t.info >> 24) & 0x1f) as u8),
            vlen: t.info & 0xffff,
            kflag: t.info >> 31 != 0,
            name_off: t.name_off,
            size_or_type,
        })
    }

    /// `btf__str_by_offset`: the string at `off` (resolved in the base for small offsets),
    /// `None` when out of range.
    pub fn str_by_offset(&self, off: u32) -> Option<Vec<u8>> {
        enter();
        // SAFETY: valid object; libbpf bounds-checks the offset.
        let s = unsafe { sys::btf__str_by_offset(self.ptr(), off) };
        if s.is_null() {
            return None;
        }
        // SAFETY: libbpf's string section is NUL-terminated (checked at parse time); the
        // bytes are copied out now.
        Some(unsafe { CStr::from_ptr(s) }.to_bytes().to_vec())
    }

    /// The name of type `id` (empty for anonymous types), `None` when `id` or its name
    /// offset is out of range.
    pub fn name_of(&self, id: u32) -> Option<Vec<u8>> {
        self.str_by_offset(self.type_info(id)?.name_off)
    }

    /// `btf__find_by_name_kind`: the first type named `name` of kind `kind`, base first;
    /// `Ok(None)` when there is none.
    pub fn find_by_name_kind(&self, name: &str, kind: Kind) -> Result<Option<u32>> {
        let c = CString::new(name).map_err(|_| LibbpfError {
            op: "btf__find_by_name_kind",
            errno: EINVAL,
            messages: vec![format!("name {name:?} contains a NUL byte")],
        })?;
        enter();
        // SAFETY: valid object and NUL-terminated name.
        let id = unsafe { sys::btf__find_by_name_kind(self.ptr(), c.as_ptr(), kind.0 as u32) };
        match id {
            id if id >= 0 => Ok(Some(id as u32)),
            e if -e == ENOENT => Ok(None),
            e => Err(LibbpfError::new("btf__find_by_name_kind", -e)),
        }
    }

    /// `btf__distill_base`: returns `(distilled base, new split over it)`.
    pub fn distill_base(&self) -> Result<(LibbpfBtf, LibbpfBtf)> {
        let mut new_base: *mut sys::btf = std::ptr::null_mut();
        let mut new_split: *mut sys::btf = std::ptr::null_mut();
        enter();
        // SAFETY: valid source object; libbpf writes two fresh objects on success.
        let rc = unsafe { sys::btf__distill_base(self.ptr(), &mut new_base, &mut new_split) };
        if rc < 0 {
            return Err(LibbpfError::new("btf__distill_base", -rc));
        }
        // SAFETY: fresh objects owned by nobody else; the split's base is `new_base`.
        let base = unsafe { Self::from_owned("btf__distill_base", new_base, None)? };
        // SAFETY: as above.
        let split =
            unsafe { Self::from_owned("btf__distill_base", new_split, Some(base.clone()))? };
        Ok((base, split))
    }

    /// `btf__relocate`: rewrites this split BTF (over a distilled base) in place so that
    /// it is split BTF over `base`. On success this object keeps `base` alive.
    pub fn relocate(&self, base: &LibbpfBtf) -> Result<()> {
        enter();
        // SAFETY: both objects are valid; libbpf rewrites `self` and records `base` as
        // its base, which the handle then keeps alive.
        let rc = unsafe { sys::btf__relocate(self.ptr(), base.ptr()) };
        if rc < 0 {
            return Err(LibbpfError::new("btf__relocate", -rc));
        }
        self.replace_base(Some(base.clone()));
        Ok(())
    }
}

impl fmt::Debug for LibbpfBtf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LibbpfBtf")
            .field("ptr", &self.h.ptr)
            .field("type_cnt", &self.type_cnt())
            .field("start_id", &self.start_id())
            .field("endian", &self.endianness())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny base BTF: `int` (id 1) and `struct s { int a; }` (id 2).
    fn tiny() -> Vec<u8> {
        let strs: &[u8] = b"\0int\0s\0a\0";
        let mut types = Vec::new();
        let mut push = |v: u32| types.extend_from_slice(&v.to_le_bytes());
        // [1] INT 'int' size 4, signed, 32 bits
        push(1);
        push(1 << 24);
        push(4);
        push((1 << 24) | 32);
        // [2] STRUCT 's' size 4, vlen 1: a: [1] at bit 0
        push(5);
        push((4 << 24) | 1);
        push(4);
        push(7);
        push(1);
        push(0);
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9f_u16.to_le_bytes());
        out.push(1);
        out.push(0);
        for v in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strs.len() as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&types);
        out.extend_from_slice(strs);
        out
    }

    #[test]
    fn parse_query_and_swap() {
        let bytes = tiny();
        let mut b = LibbpfBtf::parse_raw(&bytes).expect("parse");
        assert_eq!(b.type_cnt(), 3);
        assert_eq!(b.own_type_count(), 2);
        assert!(!b.is_split());
        assert_eq!(b.name_of(2).as_deref(), Some(&b"s"[..]));
        let t = b.type_info(2).unwrap();
        assert_eq!(
            (t.kind, t.vlen, t.kflag, t.size_or_type),
            (Kind::STRUCT, 1, false, 4)
        );
        assert_eq!(b.type_info(3), None);
        assert_eq!(b.find_by_name_kind("s", Kind::STRUCT).unwrap(), Some(2));
        assert_eq!(b.find_by_name_kind("s", Kind::UNION).unwrap(), None);
        assert_eq!(b.raw_data().unwrap(), bytes);
        assert_eq!(b.endianness(), Endian::Little);
        b.set_endianness(Endian::Big).unwrap();
        assert_eq!(b.endianness(), Endian::Big);
        let be = b.raw_data().unwrap();
        assert_eq!(&be[..2], &[0xeb, 0x9f]);
        let b2 = LibbpfBtf::parse_raw(&be).expect("parse big-endian");
        assert_eq!(b2.type_cnt(), 3);
        assert_eq!(b2.endianness(), Endian::Big);
        assert_eq!(b2.name_of(1).as_deref(), Some(&b"int"[..]));
    }

    #[test]
    fn errors_carry_errno_and_messages() {
        let mut bytes = tiny();
        bytes[0] = 0; // bad magic
        let e = LibbpfBtf::parse_raw(&bytes).unwrap_err();
        assert_eq!(e.op, "btf__new");
        assert_eq!(e.errno, EINVAL);
        #[cfg(target_arch = "x86_64")]
        assert!(
            e.messages.iter().any(|m| m.contains("magic")),
            "messages: {:?}",
            e.messages
        );
        assert!(e.to_string().contains("btf__new failed"), "{e}");
    }

    #[test]
    fn split_keeps_base_alive() {
        let bytes = tiny();
        let base = LibbpfBtf::parse_raw(&bytes).unwrap();
        // Split BTF with one type: [3] PTR -> [2], no strings of its own.
        let mut split = Vec::new();
        split.extend_from_slice(&0xeb9f_u16.to_le_bytes());
        split.extend_from_slice(&[1, 0]);
        for v in [24u32, 0, 12, 12, 0] {
            split.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0u32, 2 << 24, 2] {
            split.extend_from_slice(&v.to_le_bytes());
        }
        let s = LibbpfBtf::parse_split(&split, &base).expect("split");
        drop(base);
        assert_eq!(s.type_cnt(), 4);
        assert_eq!(s.start_id(), 3);
        assert_eq!(s.own_type_count(), 1);
        assert_eq!(s.type_info(3).unwrap().kind, Kind::PTR);
        assert_eq!(s.name_of(2).as_deref(), Some(&b"s"[..]));
        assert_eq!(s.raw_data().unwrap(), split);
    }
}
