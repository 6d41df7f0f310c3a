//! Property tests of the writer: random sequences of builder calls (every kind, random
//! names with duplicates and non-UTF-8 bytes, random ids and values) are serialized in
//! both byte orders and parsed back; what the reader sees must be what was asked for,
//! and both byte orders must read the same. Strings must be stored once each, in order
//! of first use; a split builder over a parsed base must refer to the base's strings by
//! the base's offsets and store only the others.

use btfkit::fields::FieldKind;
use btfkit::write::{Builder, FwdKind};
use btfkit::{Btf, Endian, Kind, StrOffset, TypeId};
use proptest::prelude::*;

/// One builder call, with its elements.
#[derive(Clone, Debug)]
enum Call {
    Str(Vec<u8>),
    Int(Vec<u8>, u32, u8),
    Float(Vec<u8>, u32),
    /// kind (PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG; TYPE_TAG with the kind
    /// flag for 0), name (ignored by the nameless kinds), referenced type.
    Ref(u8, Vec<u8>, u32),
    Array(u32, u32, u32),
    /// union?, name, size, members (name, type, bit offset, bitfield size).
    Composite(bool, Vec<u8>, u32, Vec<(Vec<u8>, u32, u32, u8)>),
    Enum(Vec<u8>, u32, bool, Vec<(Vec<u8>, i64)>),
    Enum64(Vec<u8>, u32, bool, Vec<(Vec<u8>, u64)>),
    /// 0 struct, 1 union, 2 enum.
    Fwd(Vec<u8>, u8),
    Func(Vec<u8>, u32, u32),
    FuncProto(u32, Vec<(Vec<u8>, u32)>),
    Var(Vec<u8>, u32, u32),
    Datasec(Vec<u8>, u32, Vec<(u32, u32, u32)>),
    /// name, type, component index, attribute (kind flag)?
    DeclTag(Vec<u8>, u32, i32, bool),
}

/// Everything the reader reports about one type, names resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
struct View {
    kind: Kind,
    kflag: bool,
    vlen: u32,
    name: Vec<u8>,
    size_or_type: u32,
    record_len: usize,
    members: Vec<(Vec<u8>, u32, u32)>,
    values: Vec<(Vec<u8>, u64)>,
    params: Vec<(Vec<u8>, u32)>,
    secinfos: Vec<(u32, u32, u32)>,
    int_word: Option<u32>,
    array: Option<(u32, u32, u32)>,
    var_linkage: Option<u32>,
    component: Option<i32>,
}

impl View {
    fn new(kind: Kind, name: &[u8], size_or_type: u32, info_len: usize) -> View {
        View {
            kind,
            kflag: false,
            vlen: 0,
            name: name.to_vec(),
            size_or_type,
            record_len: 12 + info_len,
            members: vec![],
            values: vec![],
            params: vec![],
            secinfos: vec![],
            int_word: None,
            array: None,
            var_linkage: None,
            component: None,
        }
    }
}

fn read_view(btf: &Btf<'_>, t: &btfkit::Type<'_>) -> View {
    let s = |off: StrOffset| btf.str_at(off).expect("string offset in range").to_vec();
    View {
        kind: t.kind(),
        kflag: t.kflag(),
        vlen: t.vlen(),
        name: s(t.name_off()),
        size_or_type: t.size_or_type(),
        record_len: t.record().len(),
        members: t
            .members()
            .map(|m| (s(m.name_off), m.type_id.0, m.raw_offset))
            .collect(),
        values: t.enum_values().map(|v| (s(v.name_off), v.raw)).collect(),
        params: t.params().map(|p| (s(p.name_off), p.type_id.0)).collect(),
        secinfos: t
            .secinfos()
            .map(|v| (v.type_id.0, v.offset, v.size))
            .collect(),
        int_word: t.int_info().map(|i| i.raw),
        array: t
            .array_info()
            .map(|a| (a.elem_type.0, a.index_type.0, a.nelems)),
        var_linkage: t.var_linkage(),
        component: t.decl_tag_component(),
    }
}

/// The type a call adds, as the reader should see it (`None` for [`Call::Str`]).
fn expected(call: &Call) -> Option<View> {
    Some(match call {
        Call::Str(_) => return None,
        Call::Int(n, size, enc) => {
            let mut v = View::new(Kind::INT, n, *size, 4);
            // The bits field holds up to 255: larger INTs (invalid BTF) say 255.
            v.int_word = Some(((*enc as u32) << 24) | size.saturating_mul(8).min(255));
            v
        }
        Call::Float(n, size) => View::new(Kind::FLOAT, n, *size, 0),
        Call::Ref(k, n, ty) => {
            let (kind, named) = ref_kind(*k);
            let mut v = View::new(kind, if named { n } else { b"" }, *ty, 0);
            v.kflag = *k == 0;
            v
        }
        Call::Array(elem, index, n) => {
            let mut v = View::new(Kind::ARRAY, b"", 0, 12);
            v.array = Some((*elem, *index, *n));
            v
        }
        Call::Composite(union, n, size, members) => {
            let kind = if *union { Kind::UNION } else { Kind::STRUCT };
            let mut v = View::new(kind, n, *size, 12 * members.len());
            v.vlen = members.len() as u32;
            v.kflag = members.iter().any(|m| m.3 != 0);
            v.members = members
                .iter()
                .map(|(n, ty, off, bits)| (n.clone(), *ty, off | ((*bits as u32) << 24)))
                .collect();
            v
        }
        Call::Enum(n, size, signed, values) => {
            let mut v = View::new(Kind::ENUM, n, *size, 8 * values.len());
            v.vlen = values.len() as u32;
            v.kflag = *signed || values.iter().any(|x| x.1 < 0);
            v.values = values
                .iter()
                .map(|(n, x)| (n.clone(), *x as u32 as u64))
                .collect();
            v
        }
        Call::Enum64(n, size, signed, values) => {
            let mut v = View::new(Kind::ENUM64, n, *size, 12 * values.len());
            v.vlen = values.len() as u32;
            v.kflag = *signed;
            v.values = values.clone();
            v
        }
        Call::Fwd(n, 2) => View::new(Kind::ENUM, n, 4, 0),
        Call::Fwd(n, k) => {
            let mut v = View::new(Kind::FWD, n, 0, 0);
            v.kflag = *k == 1;
            v
        }
        Call::Func(n, linkage, proto) => {
            let mut v = View::new(Kind::FUNC, n, *proto, 0);
            v.vlen = *linkage;
            v
        }
        Call::FuncProto(ret, params) => {
            let mut v = View::new(Kind::FUNC_PROTO, b"", *ret, 8 * params.len());
            v.vlen = params.len() as u32;
            v.params = params.clone();
            v
        }
        Call::Var(n, linkage, ty) => {
            let mut v = View::new(Kind::VAR, n, *ty, 4);
            v.var_linkage = Some(*linkage);
            v
        }
        Call::Datasec(n, size, entries) => {
            let mut v = View::new(Kind::DATASEC, n, *size, 12 * entries.len());
            v.vlen = entries.len() as u32;
            v.secinfos = entries.clone();
            v
        }
        Call::DeclTag(n, ty, idx, attr) => {
            let mut v = View::new(Kind::DECL_TAG, n, *ty, 4);
            v.kflag = *attr;
            v.component = Some(*idx);
            v
        }
    })
}

/// `Call::Ref`'s kind number: the kind and whether it takes a name.
fn ref_kind(k: u8) -> (Kind, bool) {
    match k {
        0 => (Kind::TYPE_TAG, true),
        1 => (Kind::PTR, false),
        2 => (Kind::TYPEDEF, true),
        3 => (Kind::VOLATILE, false),
        4 => (Kind::CONST, false),
        5 => (Kind::RESTRICT, false),
        _ => (Kind::TYPE_TAG, true),
    }
}

/// The strings a call interns, in order (empty ones included: they are not stored).
fn strings_of(call: &Call) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = Vec::new();
    match call {
        Call::Str(n) | Call::Int(n, ..) | Call::Float(n, _) | Call::Fwd(n, _) => v.push(n),
        Call::Func(n, ..) | Call::Var(n, ..) | Call::Datasec(n, ..) | Call::DeclTag(n, ..) => {
            v.push(n)
        }
        Call::Ref(k, n, _) => {
            if ref_kind(*k).1 {
                v.push(n)
            }
        }
        Call::Array(..) => {}
        Call::Composite(_, n, _, m) => {
            v.push(n);
            v.extend(m.iter().map(|m| &m.0[..]));
        }
        Call::Enum(n, _, _, vals) => {
            v.push(n);
            v.extend(vals.iter().map(|x| &x.0[..]));
        }
        Call::Enum64(n, _, _, vals) => {
            v.push(n);
            v.extend(vals.iter().map(|x| &x.0[..]));
        }
        Call::FuncProto(_, p) => v.extend(p.iter().map(|x| &x.0[..])),
    }
    v
}

fn apply(b: &mut Builder<'_>, call: &Call) {
    match call {
        Call::Str(n) => {
            b.add_str_bytes(n);
        }
        Call::Int(n, size, enc) => {
            b.add_int(n, *size, *enc);
        }
        Call::Float(n, size) => {
            b.add_float(n, *size);
        }
        Call::Ref(k, n, ty) => {
            let ty = TypeId(*ty);
            match k {
                0 => b.add_type_attr(n, ty),
                1 => b.add_ptr(ty),
                2 => b.add_typedef(n, ty),
                3 => b.add_volatile(ty),
                4 => b.add_const(ty),
                5 => b.add_restrict(ty),
                _ => b.add_type_tag(n, ty),
            };
        }
        Call::Array(elem, index, n) => {
            b.add_array(TypeId(*elem), TypeId(*index), *n);
        }
        Call::Composite(union, n, size, members) => {
            if *union {
                b.add_union(n, *size);
            } else {
                b.add_struct(n, *size);
            }
            for (n, ty, off, bits) in members {
                b.add_member(n, TypeId(*ty), *off, *bits).unwrap();
            }
        }
        Call::Enum(n, size, signed, values) => {
            b.add_enum(n, *size, *signed);
            for (n, x) in values {
                b.add_enum_value(n, *x).unwrap();
            }
        }
        Call::Enum64(n, size, signed, values) => {
            b.add_enum64(n, *size, *signed);
            for (n, x) in values {
                b.add_enum64_value(n, *x).unwrap();
            }
        }
        Call::Fwd(n, 0) => {
            b.add_fwd(n, FwdKind::Struct);
        }
        Call::Fwd(n, 1) => {
            b.add_fwd(n, FwdKind::Union);
        }
        Call::Fwd(n, _) => {
            b.add_fwd_enum(n);
        }
        Call::Func(n, linkage, proto) => {
            b.add_func(n, *linkage, TypeId(*proto));
        }
        Call::FuncProto(ret, params) => {
            b.add_func_proto(TypeId(*ret));
            for (n, ty) in params {
                b.add_param(n, TypeId(*ty)).unwrap();
            }
        }
        Call::Var(n, linkage, ty) => {
            b.add_var(n, *linkage, TypeId(*ty));
        }
        Call::Datasec(n, size, entries) => {
            b.add_datasec(n, *size);
            for (ty, off, size) in entries {
                b.add_secinfo(TypeId(*ty), *off, *size).unwrap();
            }
        }
        Call::DeclTag(n, ty, idx, attr) => {
            if *attr {
                b.add_decl_attr(n, TypeId(*ty), *idx);
            } else {
                b.add_decl_tag(n, TypeId(*ty), *idx);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Strategies.

const POOL: &[&[u8]] = &[
    b"a",
    b"b",
    b"int",
    b"s",
    b"task_struct",
    b"with space",
    b"\xff\xfe",
    b"caf\xc3\xa9",
];

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => Just(Vec::new()),
        6 => prop::sample::select(POOL).prop_map(|s| s.to_vec()),
        2 => prop::collection::vec(1u8..=255, 1..10),
    ]
}

fn tid() -> impl Strategy<Value = u32> {
    prop_oneof![8 => 0u32..48, 1 => any::<u32>()]
}

fn call() -> impl Strategy<Value = Call> {
    use prop::collection::vec;
    prop_oneof![
        name().prop_map(Call::Str),
        // Sizes below 2^29: `size * 8` must fit the INT data word.
        (name(), 0u32..(1 << 29), any::<u8>()).prop_map(|(n, s, e)| Call::Int(n, s, e)),
        (name(), any::<u32>()).prop_map(|(n, s)| Call::Float(n, s)),
        (0u8..7, name(), tid()).prop_map(|(k, n, t)| Call::Ref(k, n, t)),
        (tid(), tid(), any::<u32>()).prop_map(|(e, i, n)| Call::Array(e, i, n)),
        (
            any::<bool>(),
            name(),
            any::<u32>(),
            vec(
                (
                    name(),
                    tid(),
                    prop_oneof![0u32..4096, any::<u32>()],
                    prop_oneof![3 => Just(0u8), 1 => any::<u8>()]
                )
                    // A bitfield's offset has 24 bits (the builder refuses more).
                    .prop_map(|(n, t, off, bits)| {
                        (n, t, if bits != 0 { off & 0x00ff_ffff } else { off }, bits)
                    }),
                0..6
            )
        )
            .prop_map(|(u, n, s, m)| Call::Composite(u, n, s, m)),
        (
            name(),
            any::<u32>(),
            any::<bool>(),
            vec((name(), i32::MIN as i64..=u32::MAX as i64), 0..5)
        )
            .prop_map(|(n, s, sg, v)| Call::Enum(n, s, sg, v)),
        (
            name(),
            any::<u32>(),
            any::<bool>(),
            vec((name(), any::<u64>()), 0..5)
        )
            .prop_map(|(n, s, sg, v)| Call::Enum64(n, s, sg, v)),
        (name(), 0u8..3).prop_map(|(n, k)| Call::Fwd(n, k)),
        (name(), 0u32..4, tid()).prop_map(|(n, l, p)| Call::Func(n, l, p)),
        (tid(), vec((name(), tid()), 0..5)).prop_map(|(r, p)| Call::FuncProto(r, p)),
        (name(), 0u32..4, tid()).prop_map(|(n, l, t)| Call::Var(n, l, t)),
        (
            name(),
            any::<u32>(),
            vec((tid(), any::<u32>(), any::<u32>()), 0..5)
        )
            .prop_map(|(n, s, e)| Call::Datasec(n, s, e)),
        (name(), tid(), -1i32..4, any::<bool>()).prop_map(|(n, t, c, a)| Call::DeclTag(n, t, c, a)),
    ]
}

// ---------------------------------------------------------------------------------------
// Checks.

/// The string section a builder should write: the distinct non-empty strings of
/// `calls` that `skip` does not claim, in order of first use, each with its NUL; a
/// leading NUL for base BTF.
fn expected_strings(calls: &[Call], base: bool, skip: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut seen = std::collections::HashSet::new();
    let mut out = if base { vec![0] } else { vec![] };
    for s in calls.iter().flat_map(strings_of) {
        if !s.is_empty() && !skip(s) && seen.insert(s.to_vec()) {
            out.extend_from_slice(s);
            out.push(0);
        }
    }
    out
}

fn views(btf: &Btf<'_>) -> Vec<View> {
    btf.types().map(|t| read_view(btf, &t)).collect()
}

/// Parses `bytes` (base, or split over `base`) and checks it against `calls`.
fn check_blob<'a>(
    bytes: &'a [u8],
    base: Option<&'a Btf<'a>>,
    endian: Endian,
    calls: &[Call],
) -> Result<Btf<'a>, TestCaseError> {
    let btf = match base {
        Some(b) => Btf::parse_split(bytes, b),
        None => Btf::parse(bytes),
    }
    .map_err(|e| TestCaseError::fail(format!("does not parse: {e}")))?;
    prop_assert_eq!(btf.endian(), endian);
    let want: Vec<View> = calls.iter().filter_map(expected).collect();
    prop_assert_eq!(btf.type_count() as usize, want.len());
    let got = views(&btf);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        prop_assert_eq!(g, w, "type {} of {}", i, want.len());
    }
    // Every string field points at the start of a string; base strings by base offsets.
    for t in btf.types() {
        for f in t.fields(FieldKind::StrOffsets) {
            let off = StrOffset(f.value);
            prop_assert!(btf.is_str_start(off), "{:?} at {}", t.kind(), f.pos);
            let s = btf.str_at(off).unwrap_or_default();
            if s.is_empty() {
                prop_assert_eq!(f.value, 0, "empty strings are offset 0");
            }
            if let Some(b) = base {
                match b.find_str(s) {
                    Some(bo) => prop_assert_eq!(off, bo, "base string {:?}", s),
                    None => prop_assert!(off.0 >= b.next_str_off().0),
                }
            }
        }
    }
    let strings = expected_strings(calls, base.is_none(), |s| {
        base.is_some_and(|b| b.find_str(s).is_some())
    });
    prop_assert_eq!(btf.strings().bytes(), &strings[..], "string section");
    Ok(btf)
}

fn build(calls: &[Call], b: &mut Builder<'_>) {
    for c in calls {
        apply(b, c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Base BTF: the parsed types are the calls, in both byte orders.
    #[test]
    fn base_round_trips(calls in prop::collection::vec(call(), 0..40)) {
        let mut b = Builder::new();
        build(&calls, &mut b);
        let want_types = calls.iter().filter(|c| !matches!(c, Call::Str(_))).count() as u32;
        prop_assert_eq!(b.type_count(), want_types);
        prop_assert_eq!(b.next_id(), TypeId(1 + want_types));
        let le = b.to_bytes(Endian::Little);
        let be = b.to_bytes(Endian::Big);
        prop_assert_eq!(le.len(), be.len());
        prop_assert_eq!(b.next_str_off().0 as usize, b.strings().len());
        let l = check_blob(&le, None, Endian::Little, &calls)?;
        let g = check_blob(&be, None, Endian::Big, &calls)?;
        prop_assert_eq!(views(&l), views(&g));

        // Read back into a builder (`from_btf`, and `add_btf` into an empty one): the same
        // types; byte-identical when every string is used by a type.
        let orphan_strings = calls.iter().any(|c| matches!(c, Call::Str(_)));
        for src in [&l, &g] {
            let again = Builder::from_btf(src).expect("known kinds");
            let mut appended = Builder::new();
            prop_assert_eq!(appended.add_btf(src).expect("known kinds"), TypeId(1));
            for c in [again, appended] {
                let bytes = c.to_bytes(Endian::Little);
                if !orphan_strings {
                    prop_assert_eq!(&bytes, &le);
                }
                let r = Btf::parse(&bytes).expect("parses");
                prop_assert_eq!(views(&r), views(&l));
            }
        }
    }

    /// Split BTF over a parsed base: ids continue the base's, names the base has are
    /// referred to by the base's offsets and not stored again.
    #[test]
    fn split_round_trips(
        base_calls in prop::collection::vec(call(), 0..20),
        split_calls in prop::collection::vec(call(), 0..30),
    ) {
        let mut b = Builder::new();
        build(&base_calls, &mut b);
        let (base_le, base_be) = (b.to_bytes(Endian::Little), b.to_bytes(Endian::Big));
        let base_l = Btf::parse(&base_le).expect("base parses");
        let base_g = Btf::parse(&base_be).expect("base parses");

        let mut s = Builder::new_split(&base_l);
        prop_assert_eq!(s.next_id(), base_l.next_id());
        build(&split_calls, &mut s);
        let (le, be) = (s.to_bytes(Endian::Little), s.to_bytes(Endian::Big));
        let l = check_blob(&le, Some(&base_l), Endian::Little, &split_calls)?;
        let g = check_blob(&be, Some(&base_g), Endian::Big, &split_calls)?;
        prop_assert_eq!(l.start_id(), base_l.next_id());
        prop_assert_eq!(views(&l), views(&g));

        // The same split over the builder of the base writes the same bytes.
        let mut s2 = Builder::new_split_over(&b);
        build(&split_calls, &mut s2);
        prop_assert_eq!(s2.to_bytes(Endian::Little), le.clone());

        // And reading it back into a split builder over the same base.
        let again = Builder::from_btf(&l).expect("known kinds");
        let r = again.to_bytes(Endian::Little);
        let r = Btf::parse_split(&r, &base_l).expect("parses");
        prop_assert_eq!(views(&r), views(&l));
        let mut appended = Builder::new_split(&base_l);
        prop_assert_eq!(appended.add_btf(&l).expect("same base"), base_l.next_id());
        if !split_calls.iter().any(|c| matches!(c, Call::Str(_))) {
            prop_assert_eq!(again.to_bytes(Endian::Little), le.clone());
            prop_assert_eq!(appended.to_bytes(Endian::Little), le);
        }
    }
}

/// `add_btf` shifts the ids of the appended types (not void, not base ids) and keeps
/// everything else.
#[test]
fn add_btf_shifts_own_ids() {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, 1);
    let p = b.add_ptr(int);
    b.add_struct("s", 8);
    b.add_member("p", p, 0, 0).unwrap();
    b.add_member("v", TypeId(0), 0, 0).unwrap();
    let bytes = b.to_bytes(Endian::Little);
    let src = Btf::parse(&bytes).unwrap();

    let mut dst = Builder::new();
    dst.add_float("float", 4);
    dst.add_str("s");
    assert_eq!(dst.add_btf(&src).unwrap(), TypeId(2));
    let out = dst.to_bytes(Endian::Big);
    let out = Btf::parse(&out).unwrap();
    let t = out.type_by_id(TypeId(3)).unwrap();
    assert_eq!((t.kind(), t.type_id()), (Kind::PTR, TypeId(2)));
    let m: Vec<_> = out.type_by_id(TypeId(4)).unwrap().members().collect();
    assert_eq!((m[0].type_id, m[1].type_id), (TypeId(3), TypeId(0)));
    assert_eq!(out.strings().bytes(), b"\0float\0s\0int\0p\0v\0");
}
