//! The `dedup_tests` table of the kernel selftests (`tools/testing/selftests/bpf/
//! prog_tests/btf.c`, bpf-next as of libbpf 1.7), ported: hand-written raw BTF, the
//! result `btf__dedup` must give, and whether the test forces hash collisions. The
//! encoding helpers are `test_btf.h`'s macros; [`raw_btf`] is the selftest's
//! `btf_raw_create` (NAME_TBD takes the next string, NAME_NTH(n) the n-th).
//!
//! Used by `crates/btfkit/tests/dedup_selftest.rs` (btfkit against the expected
//! results) and `crates/conformance/tests/dedup_selftest.rs` (libbpf too). The encoders
//! keep the C names (`BTF_TYPE_INT_ENC` is [`int_enc`]) so that the table reads like the
//! original.

/// `NAME_TBD`: the next string of the section.
pub const NAME_TBD: u32 = 0xdeadb33f;

/// `NAME_NTH(n)`: the n-th string of the section (from 1).
#[allow(non_snake_case)]
pub const fn NAME_NTH(n: u32) -> u32 {
    0xfffe_0000 | n
}

/// `BTF_INT_SIGNED`.
pub const INT_SIGNED: u32 = 1;
/// `BTF_INT_CHAR`.
pub const INT_CHAR: u32 = 2;
/// `BTF_INT_BOOL`.
pub const INT_BOOL: u32 = 4;

/// `BTF_KIND_INT`.
pub const KIND_INT: u32 = 1;
/// `BTF_KIND_PTR`.
pub const KIND_PTR: u32 = 2;
/// `BTF_KIND_ARRAY`.
pub const KIND_ARRAY: u32 = 3;
/// `BTF_KIND_STRUCT`.
pub const KIND_STRUCT: u32 = 4;
/// `BTF_KIND_UNION`.
pub const KIND_UNION: u32 = 5;
/// `BTF_KIND_ENUM`.
pub const KIND_ENUM: u32 = 6;
/// `BTF_KIND_FWD`.
pub const KIND_FWD: u32 = 7;
/// `BTF_KIND_TYPEDEF`.
pub const KIND_TYPEDEF: u32 = 8;
/// `BTF_KIND_VOLATILE`.
pub const KIND_VOLATILE: u32 = 9;
/// `BTF_KIND_CONST`.
pub const KIND_CONST: u32 = 10;
/// `BTF_KIND_RESTRICT`.
pub const KIND_RESTRICT: u32 = 11;
/// `BTF_KIND_FUNC`.
pub const KIND_FUNC: u32 = 12;
/// `BTF_KIND_FUNC_PROTO`.
pub const KIND_FUNC_PROTO: u32 = 13;
/// `BTF_KIND_VAR`.
pub const KIND_VAR: u32 = 14;
/// `BTF_KIND_DATASEC`.
pub const KIND_DATASEC: u32 = 15;
/// `BTF_KIND_FLOAT`.
pub const KIND_FLOAT: u32 = 16;
/// `BTF_KIND_DECL_TAG`.
pub const KIND_DECL_TAG: u32 = 17;
/// `BTF_KIND_TYPE_TAG`.
pub const KIND_TYPE_TAG: u32 = 18;
/// `BTF_KIND_ENUM64`.
pub const KIND_ENUM64: u32 = 19;

/// `BTF_INFO_ENC(kind, kind_flag, vlen)`.
pub const fn info_enc(kind: u32, kflag: u32, vlen: u32) -> u32 {
    ((kflag != 0) as u32) << 31 | kind << 24 | (vlen & 0xffff)
}

/// `BTF_TYPE_ENC(name, info, size_or_type)`.
pub fn type_enc(name: u32, info: u32, size_or_type: u32) -> Vec<u32> {
    vec![name, info, size_or_type]
}

/// `BTF_TYPE_INT_ENC(name, encoding, bits_offset, bits, size)`.
pub fn int_enc(name: u32, encoding: u32, bits_offset: u32, bits: u32, size: u32) -> Vec<u32> {
    vec![
        name,
        info_enc(KIND_INT, 0, 0),
        size,
        encoding << 24 | bits_offset << 16 | bits,
    ]
}

/// `BTF_FWD_ENC(name, kind_flag)`.
pub fn fwd_enc(name: u32, kflag: u32) -> Vec<u32> {
    type_enc(name, info_enc(KIND_FWD, kflag, 0), 0)
}

/// `BTF_TYPE_ARRAY_ENC(type, index_type, nr_elems)`.
pub fn array_enc(ty: u32, index: u32, nelems: u32) -> Vec<u32> {
    vec![0, info_enc(KIND_ARRAY, 0, 0), 0, ty, index, nelems]
}

/// `BTF_STRUCT_ENC(name, vlen, size)`.
pub fn struct_enc(name: u32, vlen: u32, size: u32) -> Vec<u32> {
    type_enc(name, info_enc(KIND_STRUCT, 0, vlen), size)
}

/// `BTF_UNION_ENC(name, vlen, size)`.
pub fn union_enc(name: u32, vlen: u32, size: u32) -> Vec<u32> {
    type_enc(name, info_enc(KIND_UNION, 0, vlen), size)
}

/// `BTF_MEMBER_ENC(name, type, bits_offset)`.
pub fn member_enc(name: u32, ty: u32, bit_offset: u32) -> Vec<u32> {
    vec![name, ty, bit_offset]
}

/// `BTF_MEMBER_OFFSET(bitfield_size, bits_offset)`.
pub const fn member_offset(bitfield_size: u32, bit_offset: u32) -> u32 {
    bitfield_size << 24 | bit_offset
}

/// `BTF_ENUM_ENC(name, val)`.
pub fn enum_enc(name: u32, val: u32) -> Vec<u32> {
    vec![name, val]
}

/// `BTF_ENUM64_ENC(name, lo32, hi32)`.
pub fn enum64_enc(name: u32, lo: u32, hi: u32) -> Vec<u32> {
    vec![name, lo, hi]
}

/// `BTF_VAR_ENC(name, type, linkage)`.
pub fn var_enc(name: u32, ty: u32, linkage: u32) -> Vec<u32> {
    vec![name, info_enc(KIND_VAR, 0, 0), ty, linkage]
}

/// `BTF_VAR_SECINFO_ENC(type, offset, size)`.
pub fn var_secinfo_enc(ty: u32, offset: u32, size: u32) -> Vec<u32> {
    vec![ty, offset, size]
}

/// `BTF_TYPEDEF_ENC(name, type)`.
pub fn typedef_enc(name: u32, ty: u32) -> Vec<u32> {
    type_enc(name, info_enc(KIND_TYPEDEF, 0, 0), ty)
}

/// `BTF_PTR_ENC(type)`.
pub fn ptr_enc(ty: u32) -> Vec<u32> {
    type_enc(0, info_enc(KIND_PTR, 0, 0), ty)
}

/// `BTF_CONST_ENC(type)`.
pub fn const_enc(ty: u32) -> Vec<u32> {
    type_enc(0, info_enc(KIND_CONST, 0, 0), ty)
}

/// `BTF_VOLATILE_ENC(type)`.
pub fn volatile_enc(ty: u32) -> Vec<u32> {
    type_enc(0, info_enc(KIND_VOLATILE, 0, 0), ty)
}

/// `BTF_RESTRICT_ENC(type)`.
pub fn restrict_enc(ty: u32) -> Vec<u32> {
    type_enc(0, info_enc(KIND_RESTRICT, 0, 0), ty)
}

/// `BTF_FUNC_PROTO_ENC(ret_type, nargs)`.
pub fn func_proto_enc(ret: u32, nargs: u32) -> Vec<u32> {
    type_enc(0, info_enc(KIND_FUNC_PROTO, 0, nargs), ret)
}

/// `BTF_FUNC_PROTO_ARG_ENC(name, type)`.
pub fn func_proto_arg_enc(name: u32, ty: u32) -> Vec<u32> {
    vec![name, ty]
}

/// `BTF_FUNC_ENC(name, func_proto)`.
pub fn func_enc(name: u32, proto: u32) -> Vec<u32> {
    type_enc(name, info_enc(KIND_FUNC, 0, 0), proto)
}

/// `BTF_TYPE_FLOAT_ENC(name, size)`.
pub fn float_enc(name: u32, size: u32) -> Vec<u32> {
    type_enc(name, info_enc(KIND_FLOAT, 0, 0), size)
}

/// `BTF_DECL_TAG_ENC(value, type, component_idx)`.
pub fn decl_tag_enc(value: u32, ty: u32, component_idx: i32) -> Vec<u32> {
    vec![
        value,
        info_enc(KIND_DECL_TAG, 0, 0),
        ty,
        component_idx as u32,
    ]
}

/// `BTF_TYPE_TAG_ENC(value, type)`.
pub fn type_tag_enc(value: u32, ty: u32) -> Vec<u32> {
    type_enc(value, info_enc(KIND_TYPE_TAG, 0, 0), ty)
}

/// `BTF_STR_SEC(str)`: the C literal's bytes with its terminating NUL (`sizeof`).
pub fn str_sec(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// Raw types and string section of one side of a test.
pub struct RawData {
    /// The type section's words, names still `NAME_TBD` / `NAME_NTH`.
    pub types: Vec<u32>,
    /// The string section.
    pub strs: Vec<u8>,
}

/// One `struct btf_dedup_test`.
pub struct DedupTest {
    /// `.descr`.
    pub descr: &'static str,
    /// `.input`.
    pub input: RawData,
    /// `.expect`.
    pub expect: RawData,
    /// `.opts.force_collisions`.
    pub force_collisions: bool,
}

macro_rules! raw {
    ([$($t:expr),* $(,)?], $s:expr) => {
        RawData { types: [$($t),*].concat(), strs: str_sec($s) }
    };
}

/// The selftest's `btf_raw_create`: a little-endian blob with a 24-byte header, the
/// types with NAME_TBD / NAME_NTH resolved against the string section, the strings.
pub fn raw_btf(d: &RawData) -> Vec<u8> {
    let strs = &d.strs;
    // Index strings as `get_next_str` does: each one after a NUL, up to the last byte.
    let mut idx = Vec::new();
    let mut next = 0usize;
    while next + 1 < strs.len() {
        let at = next + 1;
        idx.push(at as u32);
        let len = strs[at..].iter().position(|&b| b == 0).unwrap_or(0);
        next = at + len;
    }
    let mut tbd = 0usize;
    let types: Vec<u32> = d
        .types
        .iter()
        .map(|&w| {
            if w == NAME_TBD {
                tbd += 1;
                *idx.get(tbd - 1).expect("a string for NAME_TBD")
            } else if w & 0xffff_0000 == 0xfffe_0000 {
                let n = (w & 0xffff) as usize;
                assert!(n >= 1 && n <= idx.len(), "NAME_NTH({n}) out of range");
                idx[n - 1]
            } else {
                w
            }
        })
        .collect();
    let type_len = (types.len() * 4) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&0xeb9fu16.to_le_bytes());
    out.push(1);
    out.push(0);
    for v in [24u32, 0, type_len, type_len, strs.len() as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for w in types {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(strs);
    out
}

/// The table, in the selftest's order.
pub fn dedup_tests() -> Vec<DedupTest> {
    let t = |descr, input, expect, force_collisions| DedupTest {
        descr,
        input,
        expect,
        force_collisions,
    };
    vec![
        t(
            "dedup: unused strings filtering",
            raw!(
                [
                    int_enc(NAME_NTH(2), INT_SIGNED, 0, 32, 4),
                    int_enc(NAME_NTH(5), INT_SIGNED, 0, 64, 8),
                ],
                "\0unused\0int\0foo\0bar\0long"
            ),
            raw!(
                [
                    int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 4),
                    int_enc(NAME_NTH(2), INT_SIGNED, 0, 64, 8),
                ],
                "\0int\0long"
            ),
            false,
        ),
        t(
            "dedup: strings deduplication",
            raw!(
                [
                    int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 4),
                    int_enc(NAME_NTH(2), INT_SIGNED, 0, 64, 8),
                    int_enc(NAME_NTH(3), INT_SIGNED, 0, 32, 4),
                    int_enc(NAME_NTH(4), INT_SIGNED, 0, 64, 8),
                    int_enc(NAME_NTH(5), INT_SIGNED, 0, 32, 4),
                ],
                "\0int\0long int\0int\0long int\0int"
            ),
            raw!(
                [
                    int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 4),
                    int_enc(NAME_NTH(2), INT_SIGNED, 0, 64, 8),
                ],
                "\0int\0long int"
            ),
            false,
        ),
        t(
            "dedup: struct example #1",
            raw!(
                [
                    int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 4), // [1]
                    array_enc(1, 1, 16),                        // [2]
                    struct_enc(NAME_NTH(2), 5, 88),             // [3]
                    member_enc(NAME_NTH(3), 4, 0),
                    member_enc(NAME_NTH(4), 5, 64),
                    member_enc(NAME_NTH(5), 2, 128),
                    member_enc(NAME_NTH(6), 1, 640),
                    member_enc(NAME_NTH(8), 15, 672),
                    ptr_enc(3),                                 // [4]
                    ptr_enc(6),                                 // [5]
                    const_enc(1),                               // [6]
                    decl_tag_enc(NAME_NTH(2), 3, -1),           // [7]
                    decl_tag_enc(NAME_NTH(2), 3, 1),            // [8]
                    int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 4), // [9]
                    array_enc(9, 9, 16),                        // [10]
                    struct_enc(NAME_NTH(2), 5, 88),             // [11]
                    member_enc(NAME_NTH(3), 12, 0),
                    member_enc(NAME_NTH(4), 13, 64),
                    member_enc(NAME_NTH(5), 10, 128),
                    member_enc(NAME_NTH(6), 9, 640),
                    member_enc(NAME_NTH(8), 15, 672),
                    ptr_enc(11),                       // [12]
                    ptr_enc(14),                       // [13]
                    const_enc(9),                      // [14]
                    float_enc(NAME_NTH(7), 4),         // [15]
                    decl_tag_enc(NAME_NTH(2), 11, -1), // [16]
                    decl_tag_enc(NAME_NTH(2), 11, 1),  // [17]
                ],
                "\0int\0s\0next\0a\0b\0c\0float\0d"
            ),
            raw!(
                [
                    int_enc(NAME_NTH(5), INT_SIGNED, 0, 32, 4), // [1]
                    array_enc(1, 1, 16),                        // [2]
                    struct_enc(NAME_NTH(8), 5, 88),             // [3]
                    member_enc(NAME_NTH(7), 4, 0),
                    member_enc(NAME_NTH(1), 5, 64),
                    member_enc(NAME_NTH(2), 2, 128),
                    member_enc(NAME_NTH(3), 1, 640),
                    member_enc(NAME_NTH(4), 9, 672),
                    ptr_enc(3),                       // [4]
                    ptr_enc(6),                       // [5]
                    const_enc(1),                     // [6]
                    decl_tag_enc(NAME_NTH(2), 3, -1), // [7]
                    decl_tag_enc(NAME_NTH(2), 3, 1),  // [8]
                    float_enc(NAME_NTH(7), 4),        // [9]
                ],
                "\0a\0b\0c\0d\0int\0float\0next\0s"
            ),
            false,
        ),
        t(
            "dedup: struct <-> fwd resolution w/ hash collision",
            raw!(
                [
                    fwd_enc(NAME_TBD, 0),       // [1] fwd x
                    ptr_enc(1),                 // [2] ptr -> [1]
                    struct_enc(NAME_TBD, 1, 8), // [3] struct s
                    member_enc(NAME_TBD, 2, 0),
                    struct_enc(NAME_TBD, 0, 0), // [4] struct x
                    ptr_enc(4),                 // [5] ptr -> [4]
                    struct_enc(NAME_TBD, 1, 8), // [6] struct s
                    member_enc(NAME_TBD, 5, 0),
                ],
                "\0x\0s\0x\0x\0s\0x\0"
            ),
            raw!(
                [
                    ptr_enc(3),                 // [1] ptr -> [3]
                    struct_enc(NAME_TBD, 1, 8), // [2] struct s
                    member_enc(NAME_TBD, 1, 0),
                    struct_enc(NAME_NTH(2), 0, 0), // [3] struct x
                ],
                "\0s\0x"
            ),
            true,
        ),
        t(
            "dedup: void equiv check",
            raw!(
                [
                    struct_enc(0, 0, 1),           // [1] struct {}
                    ptr_enc(1),                    // [2] ptr -> [1]
                    struct_enc(NAME_NTH(1), 1, 8), // [3] struct s
                    member_enc(NAME_NTH(2), 2, 0),
                    ptr_enc(0),                    // [4] ptr -> void
                    struct_enc(NAME_NTH(1), 1, 8), // [5] struct s
                    member_enc(NAME_NTH(2), 4, 0),
                ],
                "\0s\0x"
            ),
            raw!(
                [
                    struct_enc(0, 0, 1),
                    ptr_enc(1),
                    struct_enc(NAME_NTH(1), 1, 8),
                    member_enc(NAME_NTH(2), 2, 0),
                    ptr_enc(0),
                    struct_enc(NAME_NTH(1), 1, 8),
                    member_enc(NAME_NTH(2), 4, 0),
                ],
                "\0s\0x"
            ),
            true,
        ),
        t(
            "dedup: all possible kinds (no duplicates)",
            all_kinds(),
            all_kinds(),
            false,
        ),
        t(
            "dedup: no int/float duplicates",
            int_float(),
            int_float(),
            false,
        ),
        t(
            "dedup: enum fwd resolution",
            raw!(
                [
                    // [1] fwd enum 'e1' before full enum
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 0), 4),
                    // [2] full enum 'e1' after fwd
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 123),
                    // [3] full enum 'e2' before fwd
                    type_enc(NAME_NTH(3), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(4), 456),
                    // [4] fwd enum 'e2' after full enum
                    type_enc(NAME_NTH(3), info_enc(KIND_ENUM, 0, 0), 4),
                    // [5] fwd enum with different size, size does not matter for fwd
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 0), 1),
                    // [6] incompatible full enum with different value
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 321),
                ],
                "\0e1\0e1_val\0e2\0e2_val"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 123),
                    type_enc(NAME_NTH(3), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(4), 456),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 321),
                ],
                "\0e1\0e1_val\0e2\0e2_val"
            ),
            false,
        ),
        t(
            "dedup: datasec and vars pass-through",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),                       // [1]
                    var_enc(NAME_NTH(2), 1, 0),                             // [2]
                    type_enc(NAME_NTH(1), info_enc(KIND_DATASEC, 0, 1), 4), // [3]
                    var_secinfo_enc(2, 0, 4),
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [4]
                    var_enc(NAME_NTH(2), 4, 0),       // [5]
                    type_enc(NAME_NTH(1), info_enc(KIND_DATASEC, 0, 1), 4), // [6]
                    var_secinfo_enc(5, 0, 4),
                ],
                "\0.bss\0t"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    var_enc(NAME_NTH(2), 1, 0),
                    type_enc(NAME_NTH(1), info_enc(KIND_DATASEC, 0, 1), 4),
                    var_secinfo_enc(2, 0, 4),
                    var_enc(NAME_NTH(2), 1, 0),
                    type_enc(NAME_NTH(1), info_enc(KIND_DATASEC, 0, 1), 4),
                    var_secinfo_enc(4, 0, 4),
                ],
                "\0.bss\0t"
            ),
            true,
        ),
        t(
            "dedup: func/func_arg/var tags",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [1]
                    var_enc(NAME_NTH(1), 1, 0),       // [2]
                    func_proto_enc(0, 2),             // [3]
                    func_proto_arg_enc(NAME_NTH(2), 1),
                    func_proto_arg_enc(NAME_NTH(3), 1),
                    func_enc(NAME_NTH(4), 3),         // [4]
                    decl_tag_enc(NAME_NTH(5), 2, -1), // [5]
                    decl_tag_enc(NAME_NTH(5), 2, -1), // [6]
                    decl_tag_enc(NAME_NTH(5), 4, -1), // [7]
                    decl_tag_enc(NAME_NTH(5), 4, -1), // [8]
                    decl_tag_enc(NAME_NTH(5), 4, 1),  // [9]
                    decl_tag_enc(NAME_NTH(5), 4, 1),  // [10]
                ],
                "\0t\0a1\0a2\0f\0tag"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    var_enc(NAME_NTH(1), 1, 0),
                    func_proto_enc(0, 2),
                    func_proto_arg_enc(NAME_NTH(2), 1),
                    func_proto_arg_enc(NAME_NTH(3), 1),
                    func_enc(NAME_NTH(4), 3),
                    decl_tag_enc(NAME_NTH(5), 2, -1),
                    decl_tag_enc(NAME_NTH(5), 4, -1),
                    decl_tag_enc(NAME_NTH(5), 4, 1),
                ],
                "\0t\0a1\0a2\0f\0tag"
            ),
            false,
        ),
        t(
            "dedup: func/func_param tags",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [1]
                    func_proto_enc(0, 2),             // [2]
                    func_proto_arg_enc(NAME_NTH(1), 1),
                    func_proto_arg_enc(NAME_NTH(2), 1),
                    func_enc(NAME_NTH(3), 2), // [3]
                    func_proto_enc(0, 2),     // [4]
                    func_proto_arg_enc(NAME_NTH(1), 1),
                    func_proto_arg_enc(NAME_NTH(2), 1),
                    func_enc(NAME_NTH(3), 4),         // [5]
                    decl_tag_enc(NAME_NTH(4), 3, -1), // [6]
                    decl_tag_enc(NAME_NTH(5), 3, -1), // [7]
                    decl_tag_enc(NAME_NTH(4), 3, 1),  // [8]
                    decl_tag_enc(NAME_NTH(5), 3, 1),  // [9]
                    decl_tag_enc(NAME_NTH(4), 5, -1), // [10]
                    decl_tag_enc(NAME_NTH(6), 5, -1), // [11]
                    decl_tag_enc(NAME_NTH(4), 5, 1),  // [12]
                    decl_tag_enc(NAME_NTH(6), 5, 1),  // [13]
                ],
                "\0a1\0a2\0f\0tag1\0tag2\0tag3"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    func_proto_enc(0, 2),
                    func_proto_arg_enc(NAME_NTH(1), 1),
                    func_proto_arg_enc(NAME_NTH(2), 1),
                    func_enc(NAME_NTH(3), 2),
                    decl_tag_enc(NAME_NTH(4), 3, -1),
                    decl_tag_enc(NAME_NTH(5), 3, -1),
                    decl_tag_enc(NAME_NTH(6), 3, -1),
                    decl_tag_enc(NAME_NTH(4), 3, 1),
                    decl_tag_enc(NAME_NTH(5), 3, 1),
                    decl_tag_enc(NAME_NTH(6), 3, 1),
                ],
                "\0a1\0a2\0f\0tag1\0tag2\0tag3"
            ),
            false,
        ),
        t(
            "dedup: struct/struct_member tags",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [1]
                    struct_enc(NAME_NTH(1), 2, 8),    // [2]
                    member_enc(NAME_NTH(2), 1, 0),
                    member_enc(NAME_NTH(3), 1, 32),
                    struct_enc(NAME_NTH(1), 2, 8), // [3]
                    member_enc(NAME_NTH(2), 1, 0),
                    member_enc(NAME_NTH(3), 1, 32),
                    decl_tag_enc(NAME_NTH(4), 2, -1), // [4]
                    decl_tag_enc(NAME_NTH(5), 2, -1), // [5]
                    decl_tag_enc(NAME_NTH(4), 2, 1),  // [6]
                    decl_tag_enc(NAME_NTH(5), 2, 1),  // [7]
                    decl_tag_enc(NAME_NTH(4), 3, -1), // [8]
                    decl_tag_enc(NAME_NTH(6), 3, -1), // [9]
                    decl_tag_enc(NAME_NTH(4), 3, 1),  // [10]
                    decl_tag_enc(NAME_NTH(6), 3, 1),  // [11]
                ],
                "\0t\0m1\0m2\0tag1\0tag2\0tag3"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    struct_enc(NAME_NTH(1), 2, 8),
                    member_enc(NAME_NTH(2), 1, 0),
                    member_enc(NAME_NTH(3), 1, 32),
                    decl_tag_enc(NAME_NTH(4), 2, -1),
                    decl_tag_enc(NAME_NTH(5), 2, -1),
                    decl_tag_enc(NAME_NTH(6), 2, -1),
                    decl_tag_enc(NAME_NTH(4), 2, 1),
                    decl_tag_enc(NAME_NTH(5), 2, 1),
                    decl_tag_enc(NAME_NTH(6), 2, 1),
                ],
                "\0t\0m1\0m2\0tag1\0tag2\0tag3"
            ),
            false,
        ),
        t(
            "dedup: recursive typedef",
            raw!(
                [
                    typedef_enc(NAME_NTH(1), 2), // [1]
                    func_proto_enc(1, 0),        // [2]
                    typedef_enc(NAME_NTH(1), 4), // [3]
                    func_proto_enc(3, 0),        // [4]
                ],
                "\0Foo"
            ),
            raw!([typedef_enc(NAME_NTH(1), 2), func_proto_enc(1, 0)], "\0Foo"),
            false,
        ),
        t(
            "dedup: typedef",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [1]
                    typedef_enc(NAME_NTH(1), 1),      // [2]
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [3]
                    typedef_enc(NAME_NTH(1), 3),      // [4]
                ],
                "\0foo"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    typedef_enc(NAME_NTH(1), 1),
                ],
                "\0foo"
            ),
            false,
        ),
        t(
            "dedup: typedef tags",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [1]
                    typedef_enc(NAME_NTH(1), 1),      // [2]
                    typedef_enc(NAME_NTH(1), 1),      // [3]
                    decl_tag_enc(NAME_NTH(2), 2, -1), // [4]
                    decl_tag_enc(NAME_NTH(3), 2, -1), // [5]
                    decl_tag_enc(NAME_NTH(2), 3, -1), // [6]
                    decl_tag_enc(NAME_NTH(4), 3, -1), // [7]
                ],
                "\0t\0tag1\0tag2\0tag3"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    typedef_enc(NAME_NTH(1), 1),
                    decl_tag_enc(NAME_NTH(2), 2, -1),
                    decl_tag_enc(NAME_NTH(3), 2, -1),
                    decl_tag_enc(NAME_NTH(4), 2, -1),
                ],
                "\0t\0tag1\0tag2\0tag3"
            ),
            false,
        ),
        t(
            "dedup: btf_type_tag #1",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [1]
                    type_tag_enc(NAME_NTH(1), 1),     // [2]
                    type_tag_enc(NAME_NTH(2), 2),     // [3]
                    ptr_enc(3),                       // [4]
                    type_tag_enc(NAME_NTH(1), 1),     // [5]
                    type_tag_enc(NAME_NTH(2), 5),     // [6]
                    ptr_enc(6),                       // [7]
                    type_tag_enc(NAME_NTH(1), 1),     // [8]
                    ptr_enc(8),                       // [9]
                ],
                "\0tag1\0tag2"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    type_tag_enc(NAME_NTH(2), 2),
                    ptr_enc(3),
                    ptr_enc(2),
                ],
                "\0tag1\0tag2"
            ),
            false,
        ),
        t(
            "dedup: btf_type_tag #2",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    type_tag_enc(NAME_NTH(2), 2),
                    ptr_enc(3),
                    type_tag_enc(NAME_NTH(2), 1),
                    ptr_enc(5),
                ],
                "\0tag1\0tag2"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    type_tag_enc(NAME_NTH(2), 2),
                    ptr_enc(3),
                    type_tag_enc(NAME_NTH(2), 1),
                    ptr_enc(5),
                ],
                "\0tag1\0tag2"
            ),
            false,
        ),
        t(
            "dedup: btf_type_tag #3",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    type_tag_enc(NAME_NTH(2), 2),
                    ptr_enc(3),
                    type_tag_enc(NAME_NTH(2), 1),
                    type_tag_enc(NAME_NTH(1), 5),
                    ptr_enc(6),
                ],
                "\0tag1\0tag2"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    type_tag_enc(NAME_NTH(2), 2),
                    ptr_enc(3),
                    type_tag_enc(NAME_NTH(2), 1),
                    type_tag_enc(NAME_NTH(1), 5),
                    ptr_enc(6),
                ],
                "\0tag1\0tag2"
            ),
            false,
        ),
        t(
            "dedup: btf_type_tag #4",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    ptr_enc(2),
                    int_enc(0, INT_SIGNED, 0, 64, 8),
                    type_tag_enc(NAME_NTH(1), 4),
                    ptr_enc(5),
                ],
                "\0tag1"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    ptr_enc(2),
                    int_enc(0, INT_SIGNED, 0, 64, 8),
                    type_tag_enc(NAME_NTH(1), 4),
                    ptr_enc(5),
                ],
                "\0tag1"
            ),
            false,
        ),
        t(
            "dedup: btf_type_tag #5, struct",
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),                      // [1]
                    type_tag_enc(NAME_NTH(1), 1),                          // [2]
                    type_enc(NAME_NTH(2), info_enc(KIND_STRUCT, 1, 1), 4), // [3]
                    member_enc(NAME_NTH(3), 2, member_offset(0, 0)),
                    type_tag_enc(NAME_NTH(1), 1), // [4]
                    type_enc(NAME_NTH(2), info_enc(KIND_STRUCT, 1, 1), 4), // [5]
                    member_enc(NAME_NTH(3), 4, member_offset(0, 0)),
                ],
                "\0tag1\0t\0m"
            ),
            raw!(
                [
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    type_tag_enc(NAME_NTH(1), 1),
                    type_enc(NAME_NTH(2), info_enc(KIND_STRUCT, 1, 1), 4),
                    member_enc(NAME_NTH(3), 2, member_offset(0, 0)),
                ],
                "\0tag1\0t\0m"
            ),
            false,
        ),
        t(
            "dedup: enum64, standalone",
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 123),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 123),
                ],
                "\0e1\0e1_val"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 123),
                ],
                "\0e1\0e1_val"
            ),
            false,
        ),
        t(
            "dedup: enum64, fwd resolution",
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 0), 8),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 123),
                    type_enc(NAME_NTH(3), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(4), 0, 456),
                    type_enc(NAME_NTH(3), info_enc(KIND_ENUM64, 0, 0), 8),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 0, 321),
                ],
                "\0e1\0e1_val\0e2\0e2_val"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 123),
                    type_enc(NAME_NTH(3), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(4), 0, 456),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 0, 321),
                ],
                "\0e1\0e1_val\0e2\0e2_val"
            ),
            false,
        ),
        t(
            "dedup: enum and enum64, no dedup",
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 1),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 4),
                    enum64_enc(NAME_NTH(2), 1, 0),
                ],
                "\0e1\0e1_val"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 1),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 4),
                    enum64_enc(NAME_NTH(2), 1, 0),
                ],
                "\0e1\0e1_val"
            ),
            false,
        ),
        t(
            "dedup: enum of different size: no dedup",
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 1),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 2),
                    enum_enc(NAME_NTH(2), 1),
                ],
                "\0e1\0e1_val"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 1),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 2),
                    enum_enc(NAME_NTH(2), 1),
                ],
                "\0e1\0e1_val"
            ),
            false,
        ),
        t(
            "dedup: enum fwd to enum64",
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 0),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 0), 4),
                    type_enc(NAME_NTH(3), info_enc(KIND_TYPEDEF, 0, 0), 2),
                ],
                "\0e1\0e1_val\0td"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 1), 8),
                    enum64_enc(NAME_NTH(2), 1, 0),
                    type_enc(NAME_NTH(3), info_enc(KIND_TYPEDEF, 0, 0), 1),
                ],
                "\0e1\0e1_val\0td"
            ),
            false,
        ),
        t(
            "dedup: enum64 fwd to enum",
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 1),
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM64, 0, 0), 8),
                    type_enc(NAME_NTH(3), info_enc(KIND_TYPEDEF, 0, 0), 2),
                ],
                "\0e1\0e1_val\0td"
            ),
            raw!(
                [
                    type_enc(NAME_NTH(1), info_enc(KIND_ENUM, 0, 1), 4),
                    enum_enc(NAME_NTH(2), 1),
                    type_enc(NAME_NTH(3), info_enc(KIND_TYPEDEF, 0, 0), 1),
                ],
                "\0e1\0e1_val\0td"
            ),
            false,
        ),
        t(
            "dedup: standalone fwd declaration struct",
            raw!(
                [
                    struct_enc(NAME_NTH(1), 1, 4), // [1]
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [2]
                    fwd_enc(NAME_NTH(1), 0),          // [3]
                    ptr_enc(3),                       // [4]
                    typedef_enc(NAME_NTH(3), 4),      // [5]
                ],
                "\0foo\0x\0foo_ptr"
            ),
            raw!(
                [
                    struct_enc(NAME_NTH(1), 1, 4),
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    ptr_enc(1),
                    typedef_enc(NAME_NTH(3), 3),
                ],
                "\0foo\0x\0foo_ptr"
            ),
            false,
        ),
        t(
            "dedup: standalone fwd declaration union",
            raw!(
                [
                    union_enc(NAME_NTH(1), 1, 4), // [1]
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [2]
                    fwd_enc(NAME_TBD, 1),             // [3]
                    ptr_enc(3),                       // [4]
                    typedef_enc(NAME_NTH(3), 4),      // [5]
                ],
                "\0foo\0x\0foo_ptr"
            ),
            raw!(
                [
                    union_enc(NAME_NTH(1), 1, 4),
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    ptr_enc(1),
                    typedef_enc(NAME_NTH(3), 3),
                ],
                "\0foo\0x\0foo_ptr"
            ),
            false,
        ),
        t(
            "dedup: standalone fwd declaration wrong kind",
            raw!(
                [
                    struct_enc(NAME_NTH(1), 1, 4), // [1]
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [2]
                    fwd_enc(NAME_NTH(3), 1),          // [3]
                    ptr_enc(3),                       // [4]
                    typedef_enc(NAME_NTH(3), 4),      // [5]
                ],
                "\0foo\0x\0foo_ptr"
            ),
            raw!(
                [
                    struct_enc(NAME_NTH(1), 1, 4),
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    fwd_enc(NAME_NTH(3), 1),
                    ptr_enc(3),
                    typedef_enc(NAME_NTH(3), 4),
                ],
                "\0foo\0x\0foo_ptr"
            ),
            false,
        ),
        t(
            "dedup: standalone fwd declaration name conflict",
            raw!(
                [
                    struct_enc(NAME_NTH(1), 1, 4), // [1]
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4), // [2]
                    fwd_enc(NAME_NTH(1), 0),          // [3]
                    ptr_enc(3),                       // [4]
                    typedef_enc(NAME_NTH(4), 4),      // [5]
                    struct_enc(NAME_NTH(1), 2, 8),    // [6]
                    member_enc(NAME_NTH(2), 2, 0),
                    member_enc(NAME_NTH(3), 2, 0),
                ],
                "\0foo\0x\0y\0foo_ptr"
            ),
            raw!(
                [
                    struct_enc(NAME_NTH(1), 1, 4),
                    member_enc(NAME_NTH(2), 2, 0),
                    int_enc(0, INT_SIGNED, 0, 32, 4),
                    fwd_enc(NAME_NTH(1), 0),
                    ptr_enc(3),
                    typedef_enc(NAME_NTH(4), 4),
                    struct_enc(NAME_NTH(1), 2, 8),
                    member_enc(NAME_NTH(2), 2, 0),
                    member_enc(NAME_NTH(3), 2, 0),
                ],
                "\0foo\0x\0y\0foo_ptr"
            ),
            false,
        ),
    ]
}

/// "dedup: all possible kinds (no duplicates)": the same on both sides.
fn all_kinds() -> RawData {
    raw!(
        [
            int_enc(NAME_TBD, INT_SIGNED, 0, 32, 8),          // [1] int
            type_enc(NAME_TBD, info_enc(KIND_ENUM, 0, 2), 4), // [2] enum
            enum_enc(NAME_TBD, 0),
            enum_enc(NAME_TBD, 1),
            fwd_enc(NAME_TBD, 1),       // [3] fwd
            array_enc(2, 1, 7),         // [4] array
            struct_enc(NAME_TBD, 1, 4), // [5] struct
            member_enc(NAME_TBD, 1, 0),
            union_enc(NAME_TBD, 1, 4), // [6] union
            member_enc(NAME_TBD, 1, 0),
            typedef_enc(NAME_TBD, 1), // [7] typedef
            ptr_enc(0),               // [8] ptr
            const_enc(8),             // [9] const
            volatile_enc(8),          // [10] volatile
            restrict_enc(8),          // [11] restrict
            func_proto_enc(1, 2),     // [12] func_proto
            func_proto_arg_enc(NAME_TBD, 1),
            func_proto_arg_enc(NAME_TBD, 18),
            func_enc(NAME_TBD, 12),                             // [13] func
            float_enc(NAME_TBD, 2),                             // [14] float
            decl_tag_enc(NAME_TBD, 13, -1),                     // [15] decl_tag
            decl_tag_enc(NAME_TBD, 13, 1),                      // [16] decl_tag
            decl_tag_enc(NAME_TBD, 7, -1),                      // [17] decl_tag
            type_tag_enc(NAME_TBD, 8),                          // [18] type_tag
            type_enc(NAME_TBD, info_enc(KIND_ENUM64, 0, 2), 8), // [19] enum64
            enum64_enc(NAME_TBD, 0, 0),
            enum64_enc(NAME_TBD, 1, 1),
        ],
        "\0A\0B\0C\0D\0E\0F\0G\0H\0I\0J\0K\0L\0M\0N\0O\0P\0Q\0R\0S\0T\0U"
    )
}

/// "dedup: no int/float duplicates": the same on both sides.
fn int_float() -> RawData {
    raw!(
        [
            int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 8),
            // different name
            int_enc(NAME_NTH(2), INT_SIGNED, 0, 32, 8),
            // different encoding
            int_enc(NAME_NTH(1), INT_CHAR, 0, 32, 8),
            int_enc(NAME_NTH(1), INT_BOOL, 0, 32, 8),
            // different bit offset
            int_enc(NAME_NTH(1), INT_SIGNED, 8, 32, 8),
            // different bit size
            int_enc(NAME_NTH(1), INT_SIGNED, 0, 27, 8),
            // different byte size
            int_enc(NAME_NTH(1), INT_SIGNED, 0, 32, 4),
            // all allowed sizes
            float_enc(NAME_NTH(3), 2),
            float_enc(NAME_NTH(3), 4),
            float_enc(NAME_NTH(3), 8),
            float_enc(NAME_NTH(3), 12),
            float_enc(NAME_NTH(3), 16),
        ],
        "\0int\0some other int\0float"
    )
}

/// How the selftest (`do_test_dedup`) compares a result with the expected BTF: the same
/// string section length, every expected string present, the same number of types, and
/// for each type the same record size, kind, `info` and size/type word. (Names are not
/// compared: some expected tables name types with the wrong string, e.g. the DECL_TAGs
/// of "struct example #1". The conformance test compares btfkit's bytes with libbpf's.)
pub fn compare_with_expected(got: &[u8], expect: &[u8]) -> Result<(), String> {
    use btfkit::Btf;
    let g = Btf::parse(got).map_err(|e| format!("result does not parse: {e}"))?;
    let x = Btf::parse(expect).map_err(|e| format!("expected BTF does not parse: {e}"))?;
    if g.header().str_len != x.header().str_len {
        return Err(format!(
            "string section {} bytes, expected {}",
            g.header().str_len,
            x.header().str_len
        ));
    }
    let xs = x.strings().bytes();
    for s in xs[..xs.len().saturating_sub(1)].split(|&b| b == 0) {
        if g.find_str(s).is_none() {
            return Err(format!(
                "expected string {:?} missing",
                String::from_utf8_lossy(s)
            ));
        }
    }
    if g.type_count() != x.type_count() {
        return Err(format!(
            "{} types, expected {}",
            g.type_count(),
            x.type_count()
        ));
    }
    for (a, b) in g.types().zip(x.types()) {
        let what = |t: &btfkit::Type<'_>| (t.record().len(), t.kind(), t.info(), t.size_or_type());
        if what(&a) != what(&b) {
            return Err(format!(
                "type [{}]: (record size, kind, info, size/type) {:?}, expected {:?}",
                a.id(),
                what(&a),
                what(&b)
            ));
        }
    }
    Ok(())
}
