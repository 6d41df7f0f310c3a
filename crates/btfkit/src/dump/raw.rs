//! bpftool's raw format: the output of `bpftool btf dump file X format raw`, byte for
//! byte (bpftool v7.1 and later, `dump_btf_type()` in `tools/bpf/bpftool/btf.c`).
//!
//! One line per type, `[id] KIND 'name'` and kind-specific `key=value` pairs; members,
//! enumerators, parameters and DATASEC entries follow on lines starting with a tab.
//! Anonymous names print as `(anon)`, name offsets past the string sections as
//! `(invalid)`; other names are written as the stored bytes, whatever they are.
//!
//! bpftool refuses blobs with kinds it does not know. This module prints such types
//! (possible in blobs with a layout section) as
//! `[id] UNKNOWN 'name' kind=K info=0xXXXXXXXX size_or_type=N`.
//!
//! `vlen` is what [`Type::vlen`] says (bits 0-23 of `info`), while bpftool v7.1
//! (libbpf 1.1) reads bits 0-15 only. The two differ only for `info` words with bits
//! 16-23 set, which the kernel rejects; for a FUNC (whose `vlen` is its linkage) bpftool
//! then prints the linkage of the low 16 bits, this module `(unknown)`.
//!
//! In this example the tabs are shown as four spaces:
//!
//! ```text
//! [1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
//! [2] STRUCT 's' size=8 vlen=2
//!     'a' type_id=1 bits_offset=0
//!     'b' type_id=1 bits_offset=32 bitfield_size=3
//! [3] VAR 'v' type_id=1, linkage=global
//! ```

use super::{resolve, Name, Out, BUF_LEN, SMALL_BUF_LEN};
use crate::id::{StrOffset, TypeId};
use crate::kind::Kind;
use crate::raw;
use crate::read::{Btf, Type};
use std::io::{self, Write};

/// Writes every own type of `btf` in bpftool's raw format, in id order. For split BTF
/// only the split's own types are written (as `bpftool -B base btf dump file split
/// format raw` does), with names and DATASEC entries resolved through the base.
/// Output is buffered internally; `out` is flushed at the end.
pub fn write_raw<W: Write + ?Sized>(out: &mut W, btf: &Btf<'_>) -> io::Result<()> {
    let mut storage = vec![0u8; BUF_LEN];
    let mut o = Out::new(out, &mut storage);
    for t in btf.types() {
        type_line(&mut o, btf, &t)?;
        o.flush_if_low()?;
    }
    o.finish_flush()
}

/// Writes one type (base or own type of `btf`) in bpftool's raw format, with its
/// trailing newline. `out` is not flushed.
pub fn write_raw_type<W: Write + ?Sized>(
    out: &mut W,
    btf: &Btf<'_>,
    ty: &Type<'_>,
) -> io::Result<()> {
    let mut storage = [0u8; SMALL_BUF_LEN];
    let mut o = Out::new(out, &mut storage);
    type_line(&mut o, btf, ty)?;
    o.finish()
}

/// The raw-format text of one type (with its trailing newline), as bytes: names are
/// not necessarily UTF-8.
pub fn raw_type_bytes(btf: &Btf<'_>, ty: &Type<'_>) -> Vec<u8> {
    let mut v = Vec::new();
    write_raw_type(&mut v, btf, ty).expect("writing to a Vec cannot fail");
    v
}

/// `'name'` as bpftool's `btf_str()` prints it.
#[inline]
fn quoted<W: Write + ?Sized>(o: &mut Out<'_, W>, btf: &Btf<'_>, off: StrOffset) {
    o.byte(b'\'');
    name(o, btf, off);
    o.byte(b'\'');
}

#[inline]
fn name<W: Write + ?Sized>(o: &mut Out<'_, W>, btf: &Btf<'_>, off: StrOffset) {
    match resolve(btf, off) {
        Name::Anon => o.str("(anon)"),
        Name::Invalid => o.str("(invalid)"),
        Name::Str(s) => o.bytes(s),
    }
}

/// bpftool's kind name: unknown kinds print as `UNKNOWN`.
#[inline]
pub(crate) fn kind_str(k: Kind) -> &'static str {
    k.name().unwrap_or("UNKNOWN")
}

fn int_encoding_str(enc: u8) -> &'static str {
    match enc {
        0 => "(none)",
        raw::INT_SIGNED => "SIGNED",
        raw::INT_CHAR => "CHAR",
        raw::INT_BOOL => "BOOL",
        _ => "UNKN",
    }
}

fn var_linkage_str(l: u32) -> &'static str {
    match l {
        raw::VAR_STATIC => "static",
        raw::VAR_GLOBAL_ALLOCATED => "global",
        raw::VAR_GLOBAL_EXTERN => "extern",
        _ => "(unknown)",
    }
}

fn func_linkage_str(l: u32) -> &'static str {
    match l {
        raw::FUNC_STATIC => "static",
        raw::FUNC_GLOBAL => "global",
        raw::FUNC_EXTERN => "extern",
        _ => "(unknown)",
    }
}

fn type_line<W: Write + ?Sized>(o: &mut Out<'_, W>, btf: &Btf<'_>, t: &Type<'_>) -> io::Result<()> {
    let kind = t.kind();
    o.byte(b'[');
    o.u32(t.id().0);
    o.str("] ");
    o.str(kind_str(kind));
    o.byte(b' ');
    quoted(o, btf, t.name_off());

    match kind {
        Kind::INT => {
            let v = t.int_info().map_or(0, |i| i.raw);
            o.str(" size=");
            o.u32(t.size());
            o.str(" bits_offset=");
            o.u32(raw::int_offset(v) as u32);
            o.str(" nr_bits=");
            o.u32(raw::int_bits(v) as u32);
            o.str(" encoding=");
            o.str(int_encoding_str(raw::int_encoding(v)));
        }
        Kind::PTR
        | Kind::CONST
        | Kind::VOLATILE
        | Kind::RESTRICT
        | Kind::TYPEDEF
        | Kind::TYPE_TAG => {
            o.str(" type_id=");
            o.u32(t.size_or_type());
        }
        Kind::ARRAY => {
            let a = t.array_info();
            o.str(" type_id=");
            o.u32(a.map_or(0, |a| a.elem_type.0));
            o.str(" index_type_id=");
            o.u32(a.map_or(0, |a| a.index_type.0));
            o.str(" nr_elems=");
            o.u32(a.map_or(0, |a| a.nelems));
        }
        Kind::STRUCT | Kind::UNION => {
            o.str(" size=");
            o.u32(t.size());
            o.str(" vlen=");
            o.u32(t.vlen());
            for m in t.members() {
                o.str("\n\t");
                quoted(o, btf, m.name_off);
                o.str(" type_id=");
                o.u32(m.type_id.0);
                o.str(" bits_offset=");
                o.u32(m.bit_offset());
                let sz = m.bitfield_size();
                if sz != 0 {
                    o.str(" bitfield_size=");
                    o.u32(sz);
                }
            }
        }
        Kind::ENUM | Kind::ENUM64 => {
            let signed = t.kflag();
            o.str(if signed {
                " encoding=SIGNED size="
            } else {
                " encoding=UNSIGNED size="
            });
            o.u32(t.size());
            o.str(" vlen=");
            o.u32(t.vlen());
            let wide = kind == Kind::ENUM64;
            for v in t.enum_values() {
                o.str("\n\t");
                quoted(o, btf, v.name_off);
                o.str(" val=");
                match (wide, signed) {
                    (false, false) => o.u32(v.raw as u32),
                    (false, true) => o.i64(v.raw as u32 as i32 as i64),
                    (true, false) => {
                        o.u64(v.raw);
                        o.str("ULL");
                    }
                    (true, true) => {
                        o.i64(v.raw as i64);
                        o.str("LL");
                    }
                }
            }
        }
        Kind::FWD => {
            o.str(if t.kflag() {
                " fwd_kind=union"
            } else {
                " fwd_kind=struct"
            });
        }
        Kind::FUNC => {
            o.str(" type_id=");
            o.u32(t.size_or_type());
            o.str(" linkage=");
            o.str(func_linkage_str(t.vlen()));
        }
        Kind::FUNC_PROTO => {
            o.str(" ret_type_id=");
            o.u32(t.size_or_type());
            o.str(" vlen=");
            o.u32(t.vlen());
            for p in t.params() {
                o.str("\n\t");
                quoted(o, btf, p.name_off);
                o.str(" type_id=");
                o.u32(p.type_id.0);
            }
        }
        Kind::VAR => {
            o.str(" type_id=");
            o.u32(t.size_or_type());
            o.str(", linkage=");
            o.str(var_linkage_str(t.var_linkage().unwrap_or(0)));
        }
        Kind::DATASEC => {
            o.str(" size=");
            o.u32(t.size());
            o.str(" vlen=");
            o.u32(t.vlen());
            for s in t.secinfos() {
                o.str("\n\ttype_id=");
                o.u32(s.type_id.0);
                o.str(" offset=");
                o.u32(s.offset);
                o.str(" size=");
                o.u32(s.size);
                // bpftool names the entry's type when the id exists (void included).
                if btf.is_valid_id(s.type_id) {
                    o.str(" (");
                    match btf.type_by_id(s.type_id) {
                        Some(vt) => {
                            o.str(kind_str(vt.kind()));
                            o.byte(b' ');
                            quoted(o, btf, vt.name_off());
                        }
                        None => {
                            debug_assert_eq!(s.type_id, TypeId::VOID);
                            o.str("UNKNOWN '(anon)'");
                        }
                    }
                    o.byte(b')');
                }
            }
        }
        Kind::FLOAT => {
            o.str(" size=");
            o.u32(t.size());
        }
        Kind::DECL_TAG => {
            o.str(" type_id=");
            o.u32(t.size_or_type());
            o.str(" component_idx=");
            o.i64(i64::from(t.decl_tag_component().unwrap_or(0)));
        }
        _ => {
            o.str(" kind=");
            o.u32(kind.0 as u32);
            o.str(" info=");
            o.hex32(t.info());
            o.str(" size_or_type=");
            o.u32(t.size_or_type());
        }
    }
    o.byte(b'\n');
    Ok(())
}
