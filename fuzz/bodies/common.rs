//! Shared by the fuzz bodies (`fuzz/bodies/*.rs`): splitting one input into parts, a
//! generator that turns bytes into valid base and split BTF with the builder, and the
//! structural comparison of the relocation round trip. Included with `#[path]` as
//! `crate::common` by every fuzz target and by `crates/btfkit/tests/fuzz_smoke/main.rs`.

#![allow(dead_code)]

use btfkit::fields::FieldKind;
use btfkit::write::{Builder, FwdKind};
use btfkit::{raw, Btf, Endian, Kind, StrOffset, TypeId};
use std::sync::OnceLock;

/// Splits `data` into `n` parts: each part but the last is preceded by its length as a
/// little-endian u16 (clamped to what is left). [`join`] is the inverse.
pub fn parts(mut data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    for _ in 1..n {
        let len = match data {
            [a, b, rest @ ..] => {
                data = rest;
                usize::from(u16::from_le_bytes([*a, *b]))
            }
            _ => {
                data = &[];
                0
            }
        };
        let (part, rest) = data.split_at(len.min(data.len()));
        out.push(part);
        data = rest;
    }
    out.push(data);
    out
}

/// The input that [`parts`] splits into `ps`.
pub fn join(ps: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in ps.iter().enumerate() {
        if i + 1 < ps.len() {
            let len = u16::try_from(p.len()).expect("part fits a u16 length");
            out.extend_from_slice(&len.to_le_bytes());
        }
        out.extend_from_slice(p);
    }
    out
}

/// One generator step: a kind choice and two numbers that pick names, sizes, targets.
pub type Op = (u8, u32, u32);

/// Three bytes per op.
pub fn ops(data: &[u8]) -> Vec<Op> {
    data.chunks_exact(3)
        .map(|c| (c[0], u32::from(c[1]), u32::from(c[2])))
        .collect()
}

/// Types generated so far: all of them, and those with a size (what arrays, members
/// and parameters may use).
#[derive(Clone, Default)]
pub struct Known {
    /// Every type.
    pub all: Vec<TypeId>,
    /// Types with a size.
    pub sized: Vec<TypeId>,
    /// Named structs and unions (what a `.BTF_ids`-like root may name).
    pub named: Vec<TypeId>,
}

fn pick(known: &[TypeId], v: u32) -> TypeId {
    known[v as usize % known.len()]
}

/// Adds generated types to `b`: valid BTF whatever the ops. References go to earlier
/// types only (so the result is acyclic), and to sized types where the kernel requires
/// a size. Named types are named `{prefix}{n}` (unique per prefix) unless `dup` names
/// are asked for by the op.
pub fn build(b: &mut Builder<'_>, ops: &[Op], k: &mut Known, prefix: &str) {
    for (n, &(choice, x, y)) in ops.iter().enumerate() {
        let name = format!("{prefix}{n}");
        let named = |anon: bool| if anon { String::new() } else { name.clone() };
        // A FUNC is a leaf: nothing may refer to it.
        let is_func = choice % 16 == 11 && !k.sized.is_empty();
        let (id, has_size) = match choice % 16 {
            0 => {
                let size = [1, 2, 4, 8][x as usize % 4];
                let enc = [0, raw::INT_SIGNED, raw::INT_CHAR, raw::INT_BOOL][y as usize % 4];
                let enc = if size == 1 {
                    enc
                } else {
                    enc & raw::INT_SIGNED
                };
                (b.add_int(&name, size, enc), true)
            }
            1 => (b.add_float(&name, [4, 8, 16][x as usize % 3]), true),
            2 if !k.all.is_empty() => (b.add_ptr(pick(&k.all, x)), true),
            3 if !k.sized.is_empty() => (b.add_typedef(&name, pick(&k.sized, x)), true),
            4 if !k.sized.is_empty() => (b.add_const(pick(&k.sized, x)), true),
            5 if !k.sized.is_empty() => {
                let elem = pick(&k.sized, x);
                let int = b.add_int(format!("{name}_idx"), 4, 0);
                k.all.push(int);
                k.sized.push(int);
                (b.add_array(elem, int, y % 8), true)
            }
            6 | 7 => {
                let size = 16 + (x % 64) * 8;
                let is_struct = choice % 2 == 0;
                // Members are pointers (they always fit) to earlier types, made first.
                let targets: Vec<TypeId> = if k.all.is_empty() {
                    Vec::new()
                } else {
                    (0..(x % 3))
                        .map(|i| pick(&k.all, y.wrapping_add(i)))
                        .collect()
                };
                let ptrs: Vec<TypeId> = targets.into_iter().map(|t| b.add_ptr(t)).collect();
                k.all.extend(&ptrs);
                k.sized.extend(&ptrs);
                let anon = y % 3 == 0;
                let n = named(anon);
                let s = if is_struct {
                    b.add_struct(&n, size)
                } else {
                    b.add_union(&n, size)
                };
                for (i, p) in ptrs.iter().enumerate() {
                    let off = if is_struct { i as u32 * 64 } else { 0 };
                    b.add_member(format!("m{i}"), *p, off, 0)
                        .expect("a valid element");
                }
                if !anon {
                    k.named.push(s);
                }
                (s, true)
            }
            8 => {
                let n = named(y % 3 == 0);
                let e = if y % 2 == 0 {
                    let e = b.add_enum(&n, [1, 2, 4, 8][x as usize % 4], false);
                    b.add_enum_value(format!("{name}_A"), i64::from(x % 100))
                        .expect("a valid element");
                    e
                } else {
                    let e = b.add_enum64(&n, 8, y % 4 == 1);
                    b.add_enum64_value(format!("{name}_A"), u64::from(x) << 33)
                        .expect("a valid element");
                    e
                };
                (e, true)
            }
            9 => {
                let flavour = if x % 2 == 0 {
                    FwdKind::Struct
                } else {
                    FwdKind::Union
                };
                (b.add_fwd(&name, flavour), false)
            }
            10 if !k.sized.is_empty() => {
                let proto = b.add_func_proto(pick(&k.sized, x));
                b.add_param("a", pick(&k.sized, y))
                    .expect("a valid element");
                (proto, false)
            }
            11 if !k.sized.is_empty() => {
                // A function: its prototype first.
                let proto = b.add_func_proto(pick(&k.sized, x));
                b.add_param("p", pick(&k.sized, y))
                    .expect("a valid element");
                k.all.push(proto);
                (b.add_func(&name, y % 2, proto), false)
            }
            12 if !k.sized.is_empty() => {
                // A struct with bitfields of an int type, and a member of a sized type.
                let int = b.add_int(format!("{name}_bits"), 4, raw::INT_SIGNED);
                k.all.push(int);
                k.sized.push(int);
                let other = pick(&k.sized, y);
                let s = b.add_struct(&name, 16 + (x % 4) * 8);
                b.add_member("lo", int, 0, 1 + (x % 16) as u8)
                    .expect("a valid element");
                b.add_member("hi", int, 1 + x % 16, 1 + (y % 15) as u8)
                    .expect("a valid element");
                let _ = other;
                k.named.push(s);
                (s, true)
            }
            13 if !k.sized.is_empty() => {
                // A tagged pointer: PTR -> TYPE_TAG -> sized type.
                let tag = b.add_type_tag(format!("tag{}", x % 3), pick(&k.sized, y));
                k.all.push(tag);
                (b.add_ptr(tag), true)
            }
            14 if !k.sized.is_empty() => (b.add_volatile(pick(&k.sized, y)), true),
            15 if !k.sized.is_empty() => {
                let p = b.add_ptr(pick(&k.all, x));
                k.all.push(p);
                k.sized.push(p);
                (b.add_restrict(p), true)
            }
            _ => (b.add_int(&name, 4, raw::INT_SIGNED), true),
        };
        if !is_func {
            k.all.push(id);
        }
        if has_size {
            k.sized.push(id);
        }
    }
}

/// Whether `a` in `ba` and `b` in `bb` are the same type, structurally (to `depth`):
/// the relocation round trip's "≅" (`crates/btfkit/tests/relocate_roundtrip.rs`).
pub fn same(ba: &Btf<'_>, a: TypeId, bb: &Btf<'_>, b: TypeId, depth: u32) -> bool {
    if a.0 == 0 || b.0 == 0 {
        return a.0 == b.0;
    }
    let (Some(ta), Some(tb)) = (ba.type_by_id(a), bb.type_by_id(b)) else {
        return false;
    };
    if ta.kind() != tb.kind()
        || ba.name(&ta) != bb.name(&tb)
        || ta.vlen() != tb.vlen()
        || ta.record().len() != tb.record().len()
    {
        return false;
    }
    // Named composites are opaque in a distilled base: name, kind and size decide.
    if ta.kind().is_composite() && ta.name_off().0 != 0 {
        return ta.size() == tb.size();
    }
    if depth == 0 {
        let sized = matches!(
            ta.kind(),
            Kind::INT | Kind::FLOAT | Kind::STRUCT | Kind::UNION | Kind::ENUM | Kind::ENUM64
        );
        return !sized || ta.size() == tb.size();
    }
    let ids: Vec<usize> = ta.fields(FieldKind::TypeIds).map(|f| f.pos).collect();
    let strs: Vec<usize> = ta.fields(FieldKind::StrOffsets).map(|f| f.pos).collect();
    for pos in (4..ta.record().len()).step_by(4) {
        if !ids.contains(&pos) && !strs.contains(&pos) && ta.u32_at(pos) != tb.u32_at(pos) {
            return false;
        }
    }
    for (fa, fb) in ta.str_offset_fields().zip(tb.str_offset_fields()) {
        if ba.str_at(StrOffset(fa.value)) != bb.str_at(StrOffset(fb.value)) {
            return false;
        }
    }
    ta.type_id_fields()
        .zip(tb.type_id_fields())
        .all(|(fa, fb)| same(ba, TypeId(fa.value), bb, TypeId(fb.value), depth - 1))
}

/// Whether `btf` passes the kernel's checks.
pub fn valid(btf: &Btf<'_>) -> bool {
    btfkit::validate::validate(btf).is_empty()
}

/// A vmlinux-like base and a module split over it, with the names the seeds' entries
/// use (`crates/test-support/src/btf_ids.rs`).
pub fn ids_fixture() -> &'static (Vec<u8>, Vec<u8>) {
    static F: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let mut b = Builder::new();
        let int = b.add_int("int", 4, raw::INT_SIGNED);
        let sock = b.add_struct("sock", 16);
        b.add_member("refcnt", int, 0, 0).expect("a valid element");
        let tcp = b.add_struct("tcp_sock", 64);
        b.add_member("sk", sock, 0, 0).expect("a valid element");
        let long = b.add_int("long", 8, raw::INT_SIGNED);
        b.add_typedef("u64_t", long);
        b.add_union("thread_union", 8);
        b.add_member("x", long, 0, 0).expect("a valid element");
        let proto = b.add_func_proto(int);
        b.add_func("vmlinux_fn", 1, proto);
        let _ = tcp;
        let base = b.to_bytes(Endian::Little);
        let base_btf = Btf::parse(&base).expect("fixture base parses");
        let mut s = Builder::new_split(&base_btf);
        let sk = s.add_ptr(sock);
        s.add_struct("mod_state", 16);
        s.add_member("sk", sk, 0, 0).expect("a valid element");
        s.add_member("x", int, 64, 0).expect("a valid element");
        let proto = s.add_func_proto(int);
        s.add_param("sk", sk).expect("a valid element");
        s.add_func("bbr_init", 0, proto);
        s.add_func("bbr_main", 0, proto);
        s.add_func("bbr_undo", 0, proto);
        s.add_struct("nf_conn___init", 4);
        s.add_member("x", int, 0, 0).expect("a valid element");
        let split = s.to_bytes(Endian::Little);
        (base, split)
    })
}
