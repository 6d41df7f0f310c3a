//! Fuzz body of `roundtrip`: read-to-write conversion (`Builder::from_btf`) and the
//! serializer.
//!
//! Input: the first byte picks the mode.
//! - Even: the rest drives builder calls of every kind (names from a pool with
//!   duplicates and non-UTF-8 bytes, arbitrary ids and values), base BTF or split BTF
//!   over a small built base, either byte order. Property: `x = to_bytes()` parses and
//!   `Builder::from_btf(x).to_bytes() == x`, byte for byte.
//! - Odd: the rest is a BTF blob (base, or split over the small base when bit 1 is set)
//!   that must pass the kernel's checks. Properties: `y = from_btf(x).to_bytes()` parses,
//!   passes the checks, holds the same types (every word equal but string offsets, every
//!   string equal), and is a fixpoint: `from_btf(y).to_bytes() == y`.

use btfkit::fields::FieldKind;
use btfkit::write::{Builder, FwdKind};
use btfkit::{raw, Btf, Endian, StrOffset, TypeId};
use std::sync::OnceLock;

fn base_bytes() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut b = Builder::new();
        let int = b.add_int("int", 4, raw::INT_SIGNED);
        let s = b.add_struct("s", 8);
        let _ = b.add_member("a", int, 0, 0);
        let _ = b.add_member("b", int, 32, 0);
        b.add_ptr(s);
        b.add_enum("e", 4, false);
        let _ = b.add_enum_value("E0", 0);
        b.to_bytes(Endian::Little)
    })
}

const NAMES: [&[u8]; 8] = [b"", b"a", b"int", b"s", b"a", b"\xff\xfe", b"x\x01y", b"E0"];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.0 {
            [b, rest @ ..] => {
                self.0 = rest;
                *b
            }
            [] => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn name(&mut self) -> &'static [u8] {
        NAMES[usize::from(self.u8()) % NAMES.len()]
    }
    fn id(&mut self) -> TypeId {
        TypeId(u32::from(self.u8()) % 24)
    }
}

/// Builder calls from `inp` until it runs out (at most 64 types).
fn generate(b: &mut Builder<'_>, inp: &mut Input<'_>) {
    for _ in 0..64 {
        if inp.0.is_empty() {
            break;
        }
        match inp.u8() % 16 {
            0 => {
                let (n, size, enc) = (inp.name(), inp.u8(), inp.u8());
                b.add_int(n, u32::from(size), enc);
            }
            1 => {
                let n = inp.name();
                b.add_float(n, u32::from(inp.u8()));
            }
            2 => {
                let id = inp.id();
                b.add_ptr(id);
            }
            3 => {
                let (n, id) = (inp.name(), inp.id());
                b.add_typedef(n, id);
            }
            4 => {
                let (k, id) = (inp.u8() % 4, inp.id());
                match k {
                    0 => b.add_volatile(id),
                    1 => b.add_const(id),
                    2 => b.add_restrict(id),
                    _ => {
                        let n = inp.name();
                        b.add_type_tag(n, id)
                    }
                };
            }
            5 => {
                let (e, i, n) = (inp.id(), inp.id(), inp.u32());
                b.add_array(e, i, n);
            }
            6 | 7 => {
                let (union, n, size, members) =
                    (inp.u8() % 2 == 1, inp.name(), inp.u32(), inp.u8() % 5);
                if union {
                    b.add_union(n, size);
                } else {
                    b.add_struct(n, size);
                }
                for _ in 0..members {
                    let (n, id, off, bits) =
                        (inp.name(), inp.id(), inp.u32() & 0xff_ffff, inp.u8());
                    let _ = b.add_member(n, id, off, bits);
                }
            }
            8 => {
                let (n, size, signed, values) =
                    (inp.name(), inp.u8(), inp.u8() % 2 == 1, inp.u8() % 4);
                b.add_enum(n, u32::from(size), signed);
                for _ in 0..values {
                    let n = inp.name();
                    let _ = b.add_enum_value(n, i64::from(inp.u32() as i32));
                }
            }
            9 => {
                let (n, size, signed, values) =
                    (inp.name(), inp.u8(), inp.u8() % 2 == 1, inp.u8() % 4);
                b.add_enum64(n, u32::from(size), signed);
                for _ in 0..values {
                    let n = inp.name();
                    let v = u64::from(inp.u32()) << 32 | u64::from(inp.u32());
                    let _ = b.add_enum64_value(n, v);
                }
            }
            10 => {
                let (n, k) = (inp.name(), inp.u8() % 3);
                match k {
                    0 => b.add_fwd(n, FwdKind::Struct),
                    1 => b.add_fwd(n, FwdKind::Union),
                    _ => b.add_fwd_enum(n),
                };
            }
            11 => {
                let (n, linkage, proto) = (inp.name(), u32::from(inp.u8() % 4), inp.id());
                b.add_func(n, linkage, proto);
            }
            12 => {
                let (ret, params) = (inp.id(), inp.u8() % 4);
                b.add_func_proto(ret);
                for _ in 0..params {
                    let (n, id) = (inp.name(), inp.id());
                    let _ = b.add_param(n, id);
                }
            }
            13 => {
                let (n, linkage, id) = (inp.name(), u32::from(inp.u8() % 3), inp.id());
                b.add_var(n, linkage, id);
            }
            14 => {
                let (n, size, infos) = (inp.name(), inp.u32(), inp.u8() % 4);
                b.add_datasec(n, size);
                for _ in 0..infos {
                    let (id, off, size) = (inp.id(), inp.u32(), inp.u32());
                    let _ = b.add_secinfo(id, off, size);
                }
            }
            _ => {
                let (n, id, comp, attr) = (inp.name(), inp.id(), inp.u8() as i8, inp.u8() % 2 == 1);
                if attr {
                    b.add_decl_attr(n, id, i32::from(comp));
                } else {
                    b.add_decl_tag(n, id, i32::from(comp));
                }
            }
        }
    }
}

fn generated(data: &[u8]) -> bool {
    let mut inp = Input(data);
    let flags = inp.u8();
    let endian = if flags & 1 == 1 {
        Endian::Big
    } else {
        Endian::Little
    };
    let base = Btf::parse(base_bytes()).expect("built base parses");
    let x = if flags & 2 == 2 {
        let mut b = Builder::new_split(&base);
        generate(&mut b, &mut inp);
        b.to_bytes(endian)
    } else {
        let mut b = Builder::new().with_layout(flags & 4 == 4);
        generate(&mut b, &mut inp);
        b.to_bytes(endian)
    };
    let btf = if flags & 2 == 2 {
        Btf::parse_split(&x, &base)
    } else {
        Btf::parse(&x)
    }
    .expect("builder output parses");
    let y = Builder::from_btf(&btf)
        .expect("builder output has known kinds")
        .to_bytes(endian);
    assert!(y == x, "from_btf(x).to_bytes() != x");
    true
}

/// Every word of `t` but its string offsets, and its strings.
fn view(btf: &Btf<'_>, t: &btfkit::Type<'_>) -> (Vec<u32>, Vec<Option<Vec<u8>>>) {
    let strs: Vec<usize> = t.fields(FieldKind::StrOffsets).map(|f| f.pos).collect();
    let words = (0..t.record().len())
        .step_by(4)
        .filter(|p| !strs.contains(p))
        .map(|p| t.u32_at(p))
        .collect();
    let names = t
        .fields(FieldKind::StrOffsets)
        .map(|f| btf.str_at(StrOffset(f.value)).map(<[u8]>::to_vec))
        .collect();
    (words, names)
}

fn raw_blob(split: bool, data: &[u8]) -> bool {
    let data = data.to_vec();
    let base = Btf::parse(base_bytes()).expect("built base parses");
    let parsed = if split {
        Btf::parse_split(&data, &base)
    } else {
        Btf::parse(&data)
    };
    let Ok(x) = parsed else {
        return false;
    };
    if !btfkit::validate::validate(&x).is_empty() {
        return false;
    }
    let Ok(b) = Builder::from_btf(&x) else {
        return false;
    };
    let y = b.to_bytes(x.endian());
    let back = if split {
        Btf::parse_split(&y, &base)
    } else {
        Btf::parse(&y)
    }
    .expect("from_btf(x).to_bytes() parses");
    assert!(
        btfkit::validate::validate(&back).is_empty(),
        "{:?}",
        btfkit::validate::validate(&back)
    );
    assert_eq!(back.type_count(), x.type_count());
    for (a, b) in x.types().zip(back.types()) {
        assert_eq!(view(&x, &a), view(&back, &b), "type [{}] changed", a.id());
    }
    let z = Builder::from_btf(&back)
        .expect("known kinds")
        .to_bytes(x.endian());
    assert!(z == y, "from_btf(y).to_bytes() != y");
    true
}

/// True when the input reached a round trip.
pub fn run(data: &[u8]) -> bool {
    match data {
        [mode, rest @ ..] if mode & 1 == 1 => raw_blob(mode & 2 == 2, rest),
        [_, rest @ ..] => generated(rest),
        [] => false,
    }
}
