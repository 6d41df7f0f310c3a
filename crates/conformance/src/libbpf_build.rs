//! Safe wrappers over libbpf's BTF *building* API (`btf__new_empty`, `btf__add_*`,
//! `btf__add_type`, `btf__add_btf`, `btf__add_str`, `btf__find_str`), as more methods of
//! [`LibbpfBtf`]: the writer conformance tests build the same BTF through libbpf and
//! through `btfkit::write::Builder` and compare the bytes.
//!
//! Type ids are plain `u32` as libbpf returns them. Names are bytes without NUL (an
//! empty name is passed as `""`, which libbpf treats like `NULL`). A failed call returns
//! a [`LibbpfError`] with the errno libbpf returned and its messages.
//!
//! [`Op`] is one builder call that runs on both libbpf and `btfkit::write::Builder`, so a
//! test writes each input once.
//!
//! [`LibbpfBtf::add_type`] first makes the destination's base chain modifiable (one
//! `btf__find_str` of a string that is not there): otherwise the string lookup inside
//! `btf__add_type` can free the raw data the source type and its strings live in, when
//! the source is that base or over it (LIBBPF-NOTES.md).

// FFI to the oracle: like `libbpf.rs`, this module calls C (libbpf) and wraps every call
// in a safe function.
#![allow(unsafe_code)]

use crate::libbpf::{take_log, LibbpfBtf, LibbpfError, Result};
use btfkit::write::{BuildError, Builder, FwdKind};
use btfkit::{Kind, TypeId};
use libbpf_sys as sys;
use std::ffi::{c_int, CString};

const EINVAL: i32 = 22;
const ENOENT: i32 = 2;

/// A string no BTF holds: looking it up makes every object of a base chain modifiable.
const PROBE: &[u8] = b"\x7f btfkit conformance probe \x7f";

/// Prepares a call into libbpf: makes sure `libbpf.rs` installed its message capture
/// (its constructors do, on first use; an empty blob fails at once without side
/// effects) and forgets older messages.
fn enter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = LibbpfBtf::parse_raw(&[]);
    });
    let _ = take_log();
}

fn error(op: &'static str, errno: i32) -> LibbpfError {
    LibbpfError {
        op,
        errno: if errno == 0 { EINVAL } else { errno.abs() },
        messages: take_log(),
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn cstring(op: &'static str, s: &[u8]) -> Result<CString> {
    CString::new(s).map_err(|_| LibbpfError {
        op,
        errno: EINVAL,
        messages: vec![format!(
            "string {:?} contains a NUL byte",
            String::from_utf8_lossy(s)
        )],
    })
}

/// A libbpf return value: a type id or offset (`>= 0`) or a negative errno.
fn check(op: &'static str, rc: c_int) -> Result<u32> {
    if rc < 0 {
        Err(error(op, -rc))
    } else {
        Ok(rc as u32)
    }
}

/// An id as libbpf's `int` parameters take it (ids past `i32::MAX` become negative,
/// which libbpf rejects).
fn id(v: u32) -> c_int {
    v as c_int
}

impl LibbpfBtf {
    fn mut_ptr(&self) -> *mut sys::btf {
        // libbpf mutates objects behind const pointers anyway (see `libbpf.rs`).
        self.as_ptr() as *mut sys::btf
    }

    /// Runs one `btf__add_*` call with `name` as a C string.
    fn add_named(
        &mut self,
        op: &'static str,
        name: &[u8],
        f: impl FnOnce(*mut sys::btf, *const std::ffi::c_char) -> c_int,
    ) -> Result<u32> {
        let c = cstring(op, name)?;
        enter();
        check(op, f(self.mut_ptr(), c.as_ptr()))
    }

    /// `btf__new_empty`: an empty base BTF (its string section holds the empty string).
    pub fn new_empty() -> Result<LibbpfBtf> {
        enter();
        // SAFETY: no arguments; returns a fresh object or NULL.
        let ptr = unsafe { sys::btf__new_empty() };
        if ptr.is_null() {
            return Err(error("btf__new_empty", last_errno()));
        }
        // SAFETY: a fresh base object owned by nobody else.
        unsafe { LibbpfBtf::from_owned("btf__new_empty", ptr, None) }
    }

    /// `btf__new_empty_split`: an empty split BTF over `base` (ids and string offsets
    /// continue the base's; the byte order is the base's). Keeps `base` alive.
    pub fn new_empty_split(base: &LibbpfBtf) -> Result<LibbpfBtf> {
        enter();
        // SAFETY: `base` is a valid object, kept alive by the returned handle.
        let ptr = unsafe { sys::btf__new_empty_split(base.mut_ptr()) };
        if ptr.is_null() {
            return Err(error("btf__new_empty_split", last_errno()));
        }
        // SAFETY: a fresh object whose libbpf base is `base`.
        unsafe { LibbpfBtf::from_owned("btf__new_empty_split", ptr, Some(base.clone())) }
    }

    /// `btf__find_str`: the offset of `s` (base first), `None` when absent. Makes this
    /// object and its bases modifiable (libbpf builds its string index).
    pub fn find_str(&self, s: impl AsRef<[u8]>) -> Result<Option<u32>> {
        let c = cstring("btf__find_str", s.as_ref())?;
        enter();
        // SAFETY: valid object and NUL-terminated string.
        match unsafe { sys::btf__find_str(self.mut_ptr(), c.as_ptr()) } {
            off if off >= 0 => Ok(Some(off as u32)),
            e if -e == ENOENT => Ok(None),
            e => Err(error("btf__find_str", -e)),
        }
    }

    /// Makes this object and every base under it modifiable (libbpf copies the types and
    /// builds the string index, freeing the raw data they were parsed from).
    pub fn make_modifiable(&self) -> Result<()> {
        self.find_str(PROBE).map(|_| ())
    }

    /// `btf__add_str`: interns `s` (a base offset when the base has it).
    pub fn add_str(&mut self, s: impl AsRef<[u8]>) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated string.
        self.add_named("btf__add_str", s.as_ref(), |b, c| unsafe {
            sys::btf__add_str(b, c)
        })
    }

    /// `btf__add_type`: appends a copy of type `type_id` of `src`, ids kept as they are,
    /// strings re-interned here. The base chain is made modifiable first (module docs).
    pub fn add_type(&mut self, src: &LibbpfBtf, type_id: u32) -> Result<u32> {
        self.make_modifiable()?;
        enter();
        // SAFETY: valid object; libbpf bounds-checks the id.
        let t = unsafe { sys::btf__type_by_id(src.as_ptr(), type_id) };
        if t.is_null() {
            return Err(error("btf__add_type", ENOENT));
        }
        // SAFETY: both objects are valid; `t` points into `src`, which libbpf does not
        // free during the call now that the destination's bases are modifiable.
        let rc = unsafe { sys::btf__add_type(self.mut_ptr(), src.as_ptr(), t) };
        check("btf__add_type", rc)
    }

    /// `btf__add_btf`: appends every own type of `src`, shifting ids of `src`'s own
    /// types; returns the id of the first. Split `src` must be over this object's base.
    pub fn add_btf(&mut self, src: &LibbpfBtf) -> Result<u32> {
        self.make_modifiable()?;
        enter();
        // SAFETY: both objects are valid.
        let rc = unsafe { sys::btf__add_btf(self.mut_ptr(), src.as_ptr()) };
        check("btf__add_btf", rc)
    }

    /// `btf__add_int`.
    pub fn add_int(&mut self, name: impl AsRef<[u8]>, byte_sz: usize, encoding: u8) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_int", name.as_ref(), |b, c| unsafe {
            sys::btf__add_int(b, c, byte_sz as _, encoding as c_int)
        })
    }

    /// `btf__add_float`.
    pub fn add_float(&mut self, name: impl AsRef<[u8]>, byte_sz: usize) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_float", name.as_ref(), |b, c| unsafe {
            sys::btf__add_float(b, c, byte_sz as _)
        })
    }

    /// `btf__add_ptr`.
    pub fn add_ptr(&mut self, ref_type_id: u32) -> Result<u32> {
        enter();
        // SAFETY: valid object.
        check("btf__add_ptr", unsafe {
            sys::btf__add_ptr(self.mut_ptr(), id(ref_type_id))
        })
    }

    /// `btf__add_array` (note libbpf's argument order: index type first).
    pub fn add_array(
        &mut self,
        index_type_id: u32,
        elem_type_id: u32,
        nr_elems: u32,
    ) -> Result<u32> {
        enter();
        // SAFETY: valid object.
        check("btf__add_array", unsafe {
            sys::btf__add_array(
                self.mut_ptr(),
                id(index_type_id),
                id(elem_type_id),
                nr_elems,
            )
        })
    }

    /// `btf__add_struct`.
    pub fn add_struct(&mut self, name: impl AsRef<[u8]>, byte_sz: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_struct", name.as_ref(), |b, c| unsafe {
            sys::btf__add_struct(b, c, byte_sz)
        })
    }

    /// `btf__add_union`.
    pub fn add_union(&mut self, name: impl AsRef<[u8]>, byte_sz: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_union", name.as_ref(), |b, c| unsafe {
            sys::btf__add_union(b, c, byte_sz)
        })
    }

    /// `btf__add_field`: a member of the last STRUCT/UNION.
    pub fn add_field(
        &mut self,
        name: impl AsRef<[u8]>,
        type_id: u32,
        bit_offset: u32,
        bit_size: u32,
    ) -> Result<()> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_field", name.as_ref(), |b, c| unsafe {
            sys::btf__add_field(b, c, id(type_id), bit_offset, bit_size)
        })
        .map(|_| ())
    }

    /// `btf__add_enum` (unsigned until a negative value is added).
    pub fn add_enum(&mut self, name: impl AsRef<[u8]>, byte_sz: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_enum", name.as_ref(), |b, c| unsafe {
            sys::btf__add_enum(b, c, byte_sz)
        })
    }

    /// `btf__add_enum_value`: an enumerator of the last ENUM.
    pub fn add_enum_value(&mut self, name: impl AsRef<[u8]>, value: i64) -> Result<()> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_enum_value", name.as_ref(), |b, c| unsafe {
            sys::btf__add_enum_value(b, c, value)
        })
        .map(|_| ())
    }

    /// `btf__add_enum64`.
    pub fn add_enum64(
        &mut self,
        name: impl AsRef<[u8]>,
        byte_sz: u32,
        is_signed: bool,
    ) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_enum64", name.as_ref(), |b, c| unsafe {
            sys::btf__add_enum64(b, c, byte_sz, is_signed)
        })
    }

    /// `btf__add_enum64_value`: an enumerator of the last ENUM64.
    pub fn add_enum64_value(&mut self, name: impl AsRef<[u8]>, value: u64) -> Result<()> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_enum64_value", name.as_ref(), |b, c| unsafe {
            sys::btf__add_enum64_value(b, c, value)
        })
        .map(|_| ())
    }

    /// `btf__add_fwd` with `BTF_FWD_STRUCT` (0), `BTF_FWD_UNION` (1) or `BTF_FWD_ENUM` (2).
    pub fn add_fwd(&mut self, name: impl AsRef<[u8]>, fwd_kind: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_fwd", name.as_ref(), |b, c| unsafe {
            sys::btf__add_fwd(b, c, fwd_kind as sys::btf_fwd_kind)
        })
    }

    /// `btf__add_typedef`.
    pub fn add_typedef(&mut self, name: impl AsRef<[u8]>, ref_type_id: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_typedef", name.as_ref(), |b, c| unsafe {
            sys::btf__add_typedef(b, c, id(ref_type_id))
        })
    }

    /// `btf__add_volatile`.
    pub fn add_volatile(&mut self, ref_type_id: u32) -> Result<u32> {
        enter();
        // SAFETY: valid object.
        check("btf__add_volatile", unsafe {
            sys::btf__add_volatile(self.mut_ptr(), id(ref_type_id))
        })
    }

    /// `btf__add_const`.
    pub fn add_const(&mut self, ref_type_id: u32) -> Result<u32> {
        enter();
        // SAFETY: valid object.
        check("btf__add_const", unsafe {
            sys::btf__add_const(self.mut_ptr(), id(ref_type_id))
        })
    }

    /// `btf__add_restrict`.
    pub fn add_restrict(&mut self, ref_type_id: u32) -> Result<u32> {
        enter();
        // SAFETY: valid object.
        check("btf__add_restrict", unsafe {
            sys::btf__add_restrict(self.mut_ptr(), id(ref_type_id))
        })
    }

    /// `btf__add_type_tag`.
    pub fn add_type_tag(&mut self, value: impl AsRef<[u8]>, ref_type_id: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated value.
        self.add_named("btf__add_type_tag", value.as_ref(), |b, c| unsafe {
            sys::btf__add_type_tag(b, c, id(ref_type_id))
        })
    }

    /// `btf__add_type_attr` (a TYPE_TAG with the kind flag).
    pub fn add_type_attr(&mut self, value: impl AsRef<[u8]>, ref_type_id: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated value.
        self.add_named("btf__add_type_attr", value.as_ref(), |b, c| unsafe {
            sys::btf__add_type_attr(b, c, id(ref_type_id))
        })
    }

    /// `btf__add_func` with linkage 0 (static), 1 (global) or 2 (extern).
    pub fn add_func(
        &mut self,
        name: impl AsRef<[u8]>,
        linkage: u32,
        proto_type_id: u32,
    ) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_func", name.as_ref(), |b, c| unsafe {
            sys::btf__add_func(b, c, linkage as sys::btf_func_linkage, id(proto_type_id))
        })
    }

    /// `btf__add_func_proto`.
    pub fn add_func_proto(&mut self, ret_type_id: u32) -> Result<u32> {
        enter();
        // SAFETY: valid object.
        check("btf__add_func_proto", unsafe {
            sys::btf__add_func_proto(self.mut_ptr(), id(ret_type_id))
        })
    }

    /// `btf__add_func_param`: a parameter of the last FUNC_PROTO (`""`, 0 for `...`).
    pub fn add_func_param(&mut self, name: impl AsRef<[u8]>, type_id: u32) -> Result<()> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_func_param", name.as_ref(), |b, c| unsafe {
            sys::btf__add_func_param(b, c, id(type_id))
        })
        .map(|_| ())
    }

    /// `btf__add_var` with linkage 0 (static), 1 (global) or 2 (extern).
    pub fn add_var(&mut self, name: impl AsRef<[u8]>, linkage: u32, type_id: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_var", name.as_ref(), |b, c| unsafe {
            sys::btf__add_var(b, c, linkage as c_int, id(type_id))
        })
    }

    /// `btf__add_datasec`.
    pub fn add_datasec(&mut self, name: impl AsRef<[u8]>, byte_sz: u32) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated name.
        self.add_named("btf__add_datasec", name.as_ref(), |b, c| unsafe {
            sys::btf__add_datasec(b, c, byte_sz)
        })
    }

    /// `btf__add_datasec_var_info`: an entry of the last DATASEC.
    pub fn add_datasec_var_info(
        &mut self,
        var_type_id: u32,
        offset: u32,
        byte_sz: u32,
    ) -> Result<()> {
        enter();
        // SAFETY: valid object.
        check("btf__add_datasec_var_info", unsafe {
            sys::btf__add_datasec_var_info(self.mut_ptr(), id(var_type_id), offset, byte_sz)
        })
        .map(|_| ())
    }

    /// `btf__add_decl_tag` (`component_idx` -1 for the type itself).
    pub fn add_decl_tag(
        &mut self,
        value: impl AsRef<[u8]>,
        ref_type_id: u32,
        component_idx: i32,
    ) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated value.
        self.add_named("btf__add_decl_tag", value.as_ref(), |b, c| unsafe {
            sys::btf__add_decl_tag(b, c, id(ref_type_id), component_idx)
        })
    }

    /// `btf__add_decl_attr` (a DECL_TAG with the kind flag).
    pub fn add_decl_attr(
        &mut self,
        value: impl AsRef<[u8]>,
        ref_type_id: u32,
        component_idx: i32,
    ) -> Result<u32> {
        // SAFETY (closure): valid object and NUL-terminated value.
        self.add_named("btf__add_decl_attr", value.as_ref(), |b, c| unsafe {
            sys::btf__add_decl_attr(b, c, id(ref_type_id), component_idx)
        })
    }
}

// ---------------------------------------------------------------------------------------
// The same calls on both builders.

/// One builder call with libbpf's meaning, to run on libbpf ([`Op::apply_libbpf`]) and on
/// `btfkit::write::Builder` ([`Op::apply_builder`]). Element calls (`Field`,
/// `EnumValue`, `Param`, ...) apply to the last type, as in both APIs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `btf__add_str` / `add_str_bytes`.
    Str(&'static [u8]),
    /// name, byte size, encoding.
    Int(&'static [u8], u32, u8),
    /// name, byte size.
    Float(&'static [u8], u32),
    /// `PTR` to the type.
    Ptr(u32),
    /// name, type.
    Typedef(&'static [u8], u32),
    /// `VOLATILE` type.
    Volatile(u32),
    /// `CONST` type.
    Const(u32),
    /// `RESTRICT` type.
    Restrict(u32),
    /// value, type.
    TypeTag(&'static [u8], u32),
    /// value, type (`TYPE_TAG` with the kind flag).
    TypeAttr(&'static [u8], u32),
    /// elem, index, nelems (btfkit's argument order; libbpf takes the index first).
    Array(u32, u32, u32),
    /// name, byte size.
    Struct(&'static [u8], u32),
    /// name, byte size.
    Union(&'static [u8], u32),
    /// name, type, bit offset, bitfield size.
    Field(&'static [u8], u32, u32, u8),
    /// name, byte size (unsigned until a negative value).
    Enum(&'static [u8], u32),
    /// name, value.
    EnumValue(&'static [u8], i64),
    /// name, byte size, signed.
    Enum64(&'static [u8], u32, bool),
    /// name, value.
    Enum64Value(&'static [u8], u64),
    /// name, 0 struct, 1 union, 2 enum.
    Fwd(&'static [u8], u32),
    /// name, linkage, prototype.
    Func(&'static [u8], u32, u32),
    /// return type.
    FuncProto(u32),
    /// name, type (`""`, 0 for `...`).
    Param(&'static [u8], u32),
    /// name, linkage, type.
    Var(&'static [u8], u32, u32),
    /// name, byte size.
    Datasec(&'static [u8], u32),
    /// type, offset, size.
    Secinfo(u32, u32, u32),
    /// value, type, component index.
    DeclTag(&'static [u8], u32, i32),
    /// value, type, component index (`DECL_TAG` with the kind flag).
    DeclAttr(&'static [u8], u32, i32),
}

impl Op {
    /// Runs the call on libbpf; `Err` when libbpf rejects it (nothing is added then).
    pub fn apply_libbpf(&self, lb: &mut LibbpfBtf) -> Result<()> {
        match *self {
            Op::Str(s) => lb.add_str(s).map(drop),
            Op::Int(n, sz, enc) => lb.add_int(n, sz as usize, enc).map(drop),
            Op::Float(n, sz) => lb.add_float(n, sz as usize).map(drop),
            Op::Ptr(t) => lb.add_ptr(t).map(drop),
            Op::Typedef(n, t) => lb.add_typedef(n, t).map(drop),
            Op::Volatile(t) => lb.add_volatile(t).map(drop),
            Op::Const(t) => lb.add_const(t).map(drop),
            Op::Restrict(t) => lb.add_restrict(t).map(drop),
            Op::TypeTag(n, t) => lb.add_type_tag(n, t).map(drop),
            Op::TypeAttr(n, t) => lb.add_type_attr(n, t).map(drop),
            Op::Array(elem, index, n) => lb.add_array(index, elem, n).map(drop),
            Op::Struct(n, sz) => lb.add_struct(n, sz).map(drop),
            Op::Union(n, sz) => lb.add_union(n, sz).map(drop),
            Op::Field(n, t, off, bits) => lb.add_field(n, t, off, bits as u32),
            Op::Enum(n, sz) => lb.add_enum(n, sz).map(drop),
            Op::EnumValue(n, v) => lb.add_enum_value(n, v),
            Op::Enum64(n, sz, s) => lb.add_enum64(n, sz, s).map(drop),
            Op::Enum64Value(n, v) => lb.add_enum64_value(n, v),
            Op::Fwd(n, k) => lb.add_fwd(n, k).map(drop),
            Op::Func(n, l, p) => lb.add_func(n, l, p).map(drop),
            Op::FuncProto(r) => lb.add_func_proto(r).map(drop),
            Op::Param(n, t) => lb.add_func_param(n, t),
            Op::Var(n, l, t) => lb.add_var(n, l, t).map(drop),
            Op::Datasec(n, sz) => lb.add_datasec(n, sz).map(drop),
            Op::Secinfo(t, off, sz) => lb.add_datasec_var_info(t, off, sz),
            Op::DeclTag(n, t, c) => lb.add_decl_tag(n, t, c).map(drop),
            Op::DeclAttr(n, t, c) => lb.add_decl_attr(n, t, c).map(drop),
        }
    }

    /// Runs the call on a btfkit builder; returns the new type's id for calls that add a
    /// type. The builder refuses misplaced element calls (libbpf's `-EINVAL`) but not
    /// every argument libbpf checks: run calls libbpf refuses only to see them refused.
    pub fn apply_builder(
        &self,
        b: &mut Builder<'_>,
    ) -> std::result::Result<Option<TypeId>, BuildError> {
        Ok(Some(match *self {
            Op::Str(s) => {
                b.add_str_bytes(s);
                return Ok(None);
            }
            Op::Int(n, sz, enc) => b.add_int(n, sz, enc),
            Op::Float(n, sz) => b.add_float(n, sz),
            Op::Ptr(t) => b.add_ptr(TypeId(t)),
            Op::Typedef(n, t) => b.add_typedef(n, TypeId(t)),
            Op::Volatile(t) => b.add_volatile(TypeId(t)),
            Op::Const(t) => b.add_const(TypeId(t)),
            Op::Restrict(t) => b.add_restrict(TypeId(t)),
            Op::TypeTag(n, t) => b.add_type_tag(n, TypeId(t)),
            Op::TypeAttr(n, t) => b.add_type_attr(n, TypeId(t)),
            Op::Array(elem, index, n) => b.add_array(TypeId(elem), TypeId(index), n),
            Op::Struct(n, sz) => b.add_struct(n, sz),
            Op::Union(n, sz) => b.add_union(n, sz),
            Op::Field(n, t, off, bits) => {
                b.add_member(n, TypeId(t), off, bits)?;
                return Ok(None);
            }
            Op::Enum(n, sz) => b.add_enum(n, sz, false),
            Op::EnumValue(n, v) => {
                b.add_enum_value(n, v)?;
                return Ok(None);
            }
            Op::Enum64(n, sz, s) => b.add_enum64(n, sz, s),
            Op::Enum64Value(n, v) => {
                b.add_enum64_value(n, v)?;
                return Ok(None);
            }
            Op::Fwd(n, 0) => b.add_fwd(n, FwdKind::Struct),
            Op::Fwd(n, 1) => b.add_fwd(n, FwdKind::Union),
            Op::Fwd(n, _) => b.add_fwd_enum(n),
            Op::Func(n, l, p) => b.add_func(n, l, TypeId(p)),
            Op::FuncProto(r) => b.add_func_proto(TypeId(r)),
            Op::Param(n, t) => {
                b.add_param(n, TypeId(t))?;
                return Ok(None);
            }
            Op::Var(n, l, t) => b.add_var(n, l, TypeId(t)),
            Op::Datasec(n, sz) => b.add_datasec(n, sz),
            Op::Secinfo(t, off, sz) => {
                b.add_secinfo(TypeId(t), off, sz)?;
                return Ok(None);
            }
            Op::DeclTag(n, t, c) => b.add_decl_tag(n, TypeId(t), c),
            Op::DeclAttr(n, t, c) => b.add_decl_attr(n, TypeId(t), c),
        }))
    }

    /// Whether this call adds an element to the last type (a member, enumerator,
    /// parameter or DATASEC entry) rather than a type.
    pub fn is_element(&self) -> bool {
        matches!(
            self,
            Op::Field(..)
                | Op::EnumValue(..)
                | Op::Enum64Value(..)
                | Op::Param(..)
                | Op::Secinfo(..)
        )
    }

    /// The kinds of last type this element call adds to (empty for other calls).
    pub fn element_of(&self) -> &'static [Kind] {
        match self {
            Op::Field(..) => &[Kind::STRUCT, Kind::UNION],
            Op::EnumValue(..) => &[Kind::ENUM],
            Op::Enum64Value(..) => &[Kind::ENUM64],
            Op::Param(..) => &[Kind::FUNC_PROTO],
            Op::Secinfo(..) => &[Kind::DATASEC],
            _ => &[],
        }
    }
}

/// Runs every op on both builders. Every op must be accepted by libbpf, and both must
/// give each new type the same id; otherwise the message says which call.
pub fn apply_all(
    ours: &mut Builder<'_>,
    lb: &mut LibbpfBtf,
    ops: &[Op],
) -> std::result::Result<(), String> {
    for (i, op) in ops.iter().enumerate() {
        op.apply_libbpf(lb)
            .map_err(|e| format!("call {i} {op:?}: {e}"))?;
        let ours_id = op
            .apply_builder(ours)
            .map_err(|e| format!("call {i} {op:?}: libbpf accepts it, btfkit: {e}"))?;
        if let Some(id) = ours_id {
            if id.0 + 1 != lb.type_cnt() {
                return Err(format!(
                    "call {i} {op:?}: btfkit gave id {id}, libbpf {}",
                    lb.type_cnt() - 1
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use btfkit::Endian;

    #[test]
    fn build_and_copy() {
        let mut b = LibbpfBtf::new_empty().expect("new");
        assert_eq!(b.add_int("int", 4, 1).unwrap(), 1);
        assert_eq!(b.add_ptr(1).unwrap(), 2);
        assert_eq!(b.add_struct("s", 8).unwrap(), 3);
        b.add_field("a", 1, 0, 0).unwrap();
        b.add_field("b", 1, 32, 3).unwrap();
        assert_eq!(b.type_info(3).unwrap().vlen, 2);
        assert!(b.type_info(3).unwrap().kflag);
        assert_eq!(b.find_str("int").unwrap(), Some(1));
        assert_eq!(b.find_str("nope").unwrap(), None);
        // Errors come back with their errno.
        // A byte-unaligned member must be a bitfield.
        let e = b.add_field("c", 1, 4, 0).unwrap_err();
        assert_eq!((e.op, e.errno), ("btf__add_field", EINVAL));
        let e = b.add_int("", 4, 0).unwrap_err();
        assert_eq!(e.errno, EINVAL);
        assert!(b.add_str("a\0b").is_err());

        let raw = b.raw_data().unwrap();
        let base = LibbpfBtf::parse_raw(&raw).unwrap();
        let mut split = LibbpfBtf::new_empty_split(&base).unwrap();
        assert_eq!(split.start_id(), 4);
        // Copying out of the split's own base: the pitfall this module avoids.
        assert_eq!(split.add_type(&base, 3).unwrap(), 4);
        assert_eq!(
            split.add_str("s").unwrap(),
            5,
            "a base string keeps its offset"
        );
        let mut be = split.clone();
        be.set_endianness(Endian::Big).unwrap();
        assert_eq!(&be.raw_data().unwrap()[..2], &[0xeb, 0x9f]);
    }
}
