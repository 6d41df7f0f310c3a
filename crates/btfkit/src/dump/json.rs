//! A stable, documented JSON form of BTF (schema: `docs/json-format.md`, version 1).
//!
//! One document per blob, streamed type by type without building a tree:
//!
//! ```text
//! {"version":1,"endianness":"little","split":false,"start_id":1,"types":[
//! {"id":1,"kind":"INT","name":"int","kflag":false,"vlen":0,"size":4,"encoding":"signed","bits_offset":0,"nr_bits":32,"int_data":16777248},
//! ...
//! ]}
//! ```
//!
//! Every field of every record is represented, so the type section can be rebuilt from
//! the document. Names are JSON strings; a name that is not valid UTF-8 has each byte
//! that is not part of a valid UTF-8 sequence replaced by U+FFFD in `name`, and the exact
//! bytes in an extra `name_hex` key. A name offset that does not resolve gives
//! `"name": null` and an extra `name_off` key.

use super::{resolve, Name, Out, BUF_LEN, SMALL_BUF_LEN};
use crate::endian::Endian;
use crate::id::StrOffset;
use crate::kind::Kind;
use crate::raw;
use crate::read::{Btf, Type};
use std::io::{self, Write};

/// Version of the schema written, the document's `"version"`.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes `btf` as one JSON document: a header object whose `"types"` array holds every
/// own type in id order (for split BTF only the split's own types; names resolve through
/// the base). Each type object is on its own line. Output is buffered internally; `out`
/// is flushed at the end.
pub fn write_json<W: Write + ?Sized>(out: &mut W, btf: &Btf<'_>) -> io::Result<()> {
    let mut storage = vec![0u8; BUF_LEN];
    let mut o = Out::new(out, &mut storage);
    o.str("{\"version\":");
    o.u32(SCHEMA_VERSION);
    o.str(match btf.endian() {
        Endian::Little => ",\"endianness\":\"little\"",
        Endian::Big => ",\"endianness\":\"big\"",
    });
    o.str(if btf.is_split() {
        ",\"split\":true"
    } else {
        ",\"split\":false"
    });
    o.str(",\"start_id\":");
    o.u32(btf.start_id().0);
    o.str(",\"types\":[");
    let mut first = true;
    for t in btf.types() {
        o.str(if first { "\n" } else { ",\n" });
        first = false;
        type_object(&mut o, btf, &t)?;
        o.flush_if_low()?;
    }
    o.str("\n]}\n");
    o.finish_flush()
}

/// Writes one type (base or own type of `btf`) as a JSON object, the same object
/// [`write_json`] puts in `"types"`, without a trailing newline. `out` is not flushed.
pub fn write_json_type<W: Write + ?Sized>(
    out: &mut W,
    btf: &Btf<'_>,
    ty: &Type<'_>,
) -> io::Result<()> {
    let mut storage = [0u8; SMALL_BUF_LEN];
    let mut o = Out::new(out, &mut storage);
    type_object(&mut o, btf, ty)?;
    o.finish()
}

/// Writes `s` as a JSON string (quotes included). Bytes that are not part of a valid
/// UTF-8 sequence become U+FFFD, one per byte. Returns whether any byte was replaced.
fn json_str<W: Write + ?Sized>(o: &mut Out<'_, W>, s: &[u8]) -> bool {
    o.byte(b'"');
    // Fast path: printable ASCII without quote or backslash, the usual BTF name.
    if s.iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        o.bytes(s);
        o.byte(b'"');
        return false;
    }
    let mut replaced = false;
    let mut rest = s;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                escape_valid(o, valid);
                break;
            }
            Err(e) => {
                let n = e.valid_up_to();
                let valid = std::str::from_utf8(&rest[..n]).expect("checked by valid_up_to");
                escape_valid(o, valid);
                o.str("\u{fffd}");
                replaced = true;
                rest = &rest[n + 1..];
            }
        }
    }
    o.byte(b'"');
    replaced
}

fn escape_valid<W: Write + ?Sized>(o: &mut Out<'_, W>, s: &str) {
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        o.bytes(&b[start..i]);
        if esc.is_empty() {
            o.str("\\u00");
            o.hex_bytes(&[c]);
        } else {
            o.str(esc);
        }
        start = i + 1;
    }
    o.bytes(&b[start..]);
}

/// `"name":...` and, when needed, `"name_hex"` or `"name_off"`.
fn name_fields<W: Write + ?Sized>(o: &mut Out<'_, W>, btf: &Btf<'_>, off: StrOffset) {
    o.str("\"name\":");
    match resolve(btf, off) {
        Name::Anon => o.str("\"\""),
        Name::Invalid => {
            o.str("null,\"name_off\":");
            o.u32(off.0);
        }
        Name::Str(s) => {
            if json_str(o, s) {
                o.str(",\"name_hex\":\"");
                o.hex_bytes(s);
                o.byte(b'"');
            }
        }
    }
}

/// A linkage or encoding label: the known name, or `unknown(N)`.
fn label<W: Write + ?Sized>(o: &mut Out<'_, W>, known: Option<&str>, v: u32) {
    o.byte(b'"');
    match known {
        Some(s) => o.str(s),
        None => {
            o.str("unknown(");
            o.u32(v);
            o.byte(b')');
        }
    }
    o.byte(b'"');
}

fn linkage_name(l: u32) -> Option<&'static str> {
    // FUNC and VAR linkages share the numbers 0, 1, 2.
    match l {
        0 => Some("static"),
        1 => Some("global"),
        2 => Some("extern"),
        _ => None,
    }
}

fn int_encoding_name(e: u8) -> Option<&'static str> {
    match e {
        0 => Some("none"),
        raw::INT_SIGNED => Some("signed"),
        raw::INT_CHAR => Some("char"),
        raw::INT_BOOL => Some("bool"),
        _ => None,
    }
}

#[inline]
fn key_u32<W: Write + ?Sized>(o: &mut Out<'_, W>, key: &str, v: u32) {
    o.str(key);
    o.u32(v);
}

fn type_object<W: Write + ?Sized>(
    o: &mut Out<'_, W>,
    btf: &Btf<'_>,
    t: &Type<'_>,
) -> io::Result<()> {
    let kind = t.kind();
    key_u32(o, "{\"id\":", t.id().0);
    o.str(",\"kind\":\"");
    o.str(kind.name().filter(|_| kind.is_known()).unwrap_or("UNKNOWN"));
    o.byte(b'"');
    if !kind.is_known() {
        key_u32(o, ",\"kind_num\":", kind.0 as u32);
    }
    o.byte(b',');
    name_fields(o, btf, t.name_off());
    o.str(if t.kflag() {
        ",\"kflag\":true"
    } else {
        ",\"kflag\":false"
    });
    key_u32(o, ",\"vlen\":", t.vlen());

    match kind {
        Kind::INT => {
            let v = t.int_info().map_or(0, |i| i.raw);
            key_u32(o, ",\"size\":", t.size());
            o.str(",\"encoding\":");
            let enc = raw::int_encoding(v);
            label(o, int_encoding_name(enc), enc as u32);
            key_u32(o, ",\"bits_offset\":", raw::int_offset(v) as u32);
            key_u32(o, ",\"nr_bits\":", raw::int_bits(v) as u32);
            key_u32(o, ",\"int_data\":", v);
        }
        Kind::PTR
        | Kind::TYPEDEF
        | Kind::VOLATILE
        | Kind::CONST
        | Kind::RESTRICT
        | Kind::TYPE_TAG => {
            key_u32(o, ",\"type_id\":", t.size_or_type());
        }
        Kind::ARRAY => {
            let a = t.array_info();
            key_u32(o, ",\"type_id\":", a.map_or(0, |a| a.elem_type.0));
            key_u32(o, ",\"index_type_id\":", a.map_or(0, |a| a.index_type.0));
            key_u32(o, ",\"nr_elems\":", a.map_or(0, |a| a.nelems));
            key_u32(o, ",\"size_or_type\":", t.size_or_type());
        }
        Kind::STRUCT | Kind::UNION => {
            key_u32(o, ",\"size\":", t.size());
            o.str(",\"members\":[");
            for (i, m) in t.members().enumerate() {
                o.str(if i == 0 { "{" } else { ",{" });
                name_fields(o, btf, m.name_off);
                key_u32(o, ",\"type_id\":", m.type_id.0);
                key_u32(o, ",\"bits_offset\":", m.bit_offset());
                key_u32(o, ",\"bitfield_size\":", m.bitfield_size());
                o.byte(b'}');
            }
            o.byte(b']');
        }
        Kind::ENUM | Kind::ENUM64 => {
            let signed = t.kflag();
            let wide = kind == Kind::ENUM64;
            key_u32(o, ",\"size\":", t.size());
            o.str(if signed {
                ",\"signed\":true"
            } else {
                ",\"signed\":false"
            });
            o.str(",\"values\":[");
            for (i, v) in t.enum_values().enumerate() {
                o.str(if i == 0 { "{" } else { ",{" });
                name_fields(o, btf, v.name_off);
                o.str(",\"val\":");
                match (wide, signed) {
                    (false, false) => o.u32(v.raw as u32),
                    (false, true) => o.i64(v.raw as u32 as i32 as i64),
                    (true, false) => o.u64(v.raw),
                    (true, true) => o.i64(v.raw as i64),
                }
                o.byte(b'}');
            }
            o.byte(b']');
        }
        Kind::FWD => {
            o.str(if t.kflag() {
                ",\"fwd_kind\":\"union\""
            } else {
                ",\"fwd_kind\":\"struct\""
            });
            key_u32(o, ",\"size_or_type\":", t.size_or_type());
        }
        Kind::FUNC => {
            key_u32(o, ",\"type_id\":", t.size_or_type());
            o.str(",\"linkage\":");
            label(o, linkage_name(t.vlen()), t.vlen());
        }
        Kind::FUNC_PROTO => {
            key_u32(o, ",\"ret_type_id\":", t.size_or_type());
            o.str(",\"params\":[");
            for (i, p) in t.params().enumerate() {
                o.str(if i == 0 { "{" } else { ",{" });
                name_fields(o, btf, p.name_off);
                key_u32(o, ",\"type_id\":", p.type_id.0);
                o.byte(b'}');
            }
            o.byte(b']');
        }
        Kind::VAR => {
            let l = t.var_linkage().unwrap_or(0);
            key_u32(o, ",\"type_id\":", t.size_or_type());
            o.str(",\"linkage\":");
            label(o, linkage_name(l), l);
        }
        Kind::DATASEC => {
            key_u32(o, ",\"size\":", t.size());
            o.str(",\"entries\":[");
            for (i, s) in t.secinfos().enumerate() {
                key_u32(
                    o,
                    if i == 0 {
                        "{\"type_id\":"
                    } else {
                        ",{\"type_id\":"
                    },
                    s.type_id.0,
                );
                key_u32(o, ",\"offset\":", s.offset);
                key_u32(o, ",\"size\":", s.size);
                o.byte(b'}');
            }
            o.byte(b']');
        }
        Kind::FLOAT => {
            key_u32(o, ",\"size\":", t.size());
        }
        Kind::DECL_TAG => {
            key_u32(o, ",\"type_id\":", t.size_or_type());
            o.str(",\"component_idx\":");
            o.i64(i64::from(t.decl_tag_component().unwrap_or(0)));
        }
        _ => {
            key_u32(o, ",\"info\":", t.info());
            key_u32(o, ",\"size_or_type\":", t.size_or_type());
            o.str(",\"data_hex\":\"");
            o.hex_bytes(&t.record()[raw::TYPE_LEN..]);
            o.byte(b'"');
        }
    }
    o.byte(b'}');
    Ok(())
}
