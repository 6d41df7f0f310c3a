//! BTF type kinds: [`Kind`], a newtype over the 7-bit kind number (so unknown kinds read
//! without failing), and [`KindFacts`], the one table of what uapi `linux/btf.h` and the
//! kernel's `check_meta` functions say about each known kind: the record layout, which
//! header fields the kind uses, what its names must be, and where its type ids and string
//! offsets are. The reader, the validator, the field visitor, the writer and dump all read
//! this table; no other file lists per-kind sizes or fields.

use crate::raw;
use std::fmt;

/// A BTF kind number (`BTF_INFO_KIND`, bits 24-30 of `info`). Values this crate does not
/// know are kept as they are; validation decides whether they are fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind(pub u8);

#[allow(missing_docs)]
impl Kind {
    pub const UNKN: Kind = Kind(0);
    pub const INT: Kind = Kind(1);
    pub const PTR: Kind = Kind(2);
    pub const ARRAY: Kind = Kind(3);
    pub const STRUCT: Kind = Kind(4);
    pub const UNION: Kind = Kind(5);
    pub const ENUM: Kind = Kind(6);
    pub const FWD: Kind = Kind(7);
    pub const TYPEDEF: Kind = Kind(8);
    pub const VOLATILE: Kind = Kind(9);
    pub const CONST: Kind = Kind(10);
    pub const RESTRICT: Kind = Kind(11);
    pub const FUNC: Kind = Kind(12);
    pub const FUNC_PROTO: Kind = Kind(13);
    pub const VAR: Kind = Kind(14);
    pub const DATASEC: Kind = Kind(15);
    pub const FLOAT: Kind = Kind(16);
    pub const DECL_TAG: Kind = Kind(17);
    pub const TYPE_TAG: Kind = Kind(18);
    pub const ENUM64: Kind = Kind(19);
}

/// What the `size`/`type` word of a record (bytes 8-11) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeType {
    /// A size in bytes (`btf_type_has_size`).
    Size,
    /// A type id.
    Type,
    /// Nothing; must be 0. The kernel reads it as `size` (ARRAY: the size follows from
    /// the elements).
    ZeroSize,
    /// Nothing; must be 0. The kernel reads it as `type` (FWD).
    ZeroType,
}

/// What `vlen` (bits 0-23 of `info`) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vlen {
    /// Nothing; must be 0.
    Zero,
    /// The number of trailing elements.
    Elements,
    /// The linkage (FUNC: 0 static, 1 global, 2 extern).
    Linkage,
}

/// What a name field must hold, as the kernel checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// No name: offset 0.
    Forbidden,
    /// Any string; only the offset is checked.
    Any,
    /// A non-empty string of any characters (tag values).
    NonEmpty,
    /// Empty, or a C identifier.
    OptionalIdent,
    /// A C identifier.
    Ident,
    /// A section name (`.data`, `.bss`, `.rodata.str1.1`, ...).
    Section,
}

/// Byte positions of the fields of one record that hold one sort of value (type ids, or
/// string offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPositions {
    /// Positions in the record, from its start (the 12-byte header included).
    pub fixed: &'static [u8],
    /// Positions inside each of the `vlen` trailing elements, from the element's start.
    pub per_elem: &'static [u8],
}

/// What the format says about one known kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindFacts {
    /// The kind.
    pub kind: Kind,
    /// Its name as the kernel and bpftool spell it.
    pub name: &'static str,
    /// Bytes after the 12-byte header, before the elements (`info_sz` of the layout
    /// section): the INT data word, `struct btf_array`, `struct btf_var`,
    /// `struct btf_decl_tag`.
    pub info_size: u8,
    /// Bytes of one trailing element (`elem_sz`); 0 when `vlen` counts nothing.
    pub elem_size: u8,
    /// What the `size`/`type` word holds.
    pub size_type: SizeType,
    /// What `vlen` holds.
    pub vlen: Vlen,
    /// Whether the kind flag may be set: STRUCT/UNION (bitfield encoding of member
    /// offsets), ENUM/ENUM64 (signed), FWD (union), DECL_TAG/TYPE_TAG (an attribute).
    pub kflag: bool,
    /// What the type's name must be.
    pub name_rule: NameRule,
    /// What each element's name must be; `None` when elements have no name.
    pub elem_name: Option<NameRule>,
    /// Where the type ids are.
    pub type_ids: FieldPositions,
    /// Where the string offsets are.
    pub str_offsets: FieldPositions,
}

const fn pos(fixed: &'static [u8], per_elem: &'static [u8]) -> FieldPositions {
    FieldPositions { fixed, per_elem }
}

/// A kind whose only string is its name and whose only type id is its `type` word.
const fn reference(kind: Kind, name: &'static str, kflag: bool, name_rule: NameRule) -> KindFacts {
    KindFacts {
        kind,
        name,
        info_size: 0,
        elem_size: 0,
        size_type: SizeType::Type,
        vlen: Vlen::Zero,
        kflag,
        name_rule,
        elem_name: None,
        type_ids: pos(&[8], &[]),
        str_offsets: pos(&[0], &[]),
    }
}

/// STRUCT and UNION: `struct btf_member { name_off, type, offset }` elements.
const fn composite(kind: Kind, name: &'static str) -> KindFacts {
    KindFacts {
        kind,
        name,
        info_size: 0,
        elem_size: raw::MEMBER_LEN as u8,
        size_type: SizeType::Size,
        vlen: Vlen::Elements,
        kflag: true,
        name_rule: NameRule::OptionalIdent,
        elem_name: Some(NameRule::OptionalIdent),
        type_ids: pos(&[], &[4]),
        str_offsets: pos(&[0], &[0]),
    }
}

/// ENUM (`struct btf_enum { name_off, val }`) and ENUM64
/// (`struct btf_enum64 { name_off, val_lo32, val_hi32 }`).
const fn enumeration(kind: Kind, name: &'static str, elem_size: u8) -> KindFacts {
    KindFacts {
        kind,
        name,
        info_size: 0,
        elem_size,
        size_type: SizeType::Size,
        vlen: Vlen::Elements,
        kflag: true,
        name_rule: NameRule::OptionalIdent,
        elem_name: Some(NameRule::Ident),
        type_ids: pos(&[], &[]),
        str_offsets: pos(&[0], &[0]),
    }
}

/// A kind of `size` bytes with no other data but an optional data word (INT, FLOAT).
const fn scalar(kind: Kind, name: &'static str, info_size: u8) -> KindFacts {
    KindFacts {
        kind,
        name,
        info_size,
        elem_size: 0,
        size_type: SizeType::Size,
        vlen: Vlen::Zero,
        kflag: false,
        name_rule: NameRule::Any,
        elem_name: None,
        type_ids: pos(&[], &[]),
        str_offsets: pos(&[0], &[]),
    }
}

/// The table, indexed by kind number; entry 0 (void / `BTF_KIND_UNKN`) is a placeholder
/// that [`Kind::facts`] never returns.
const KINDS: [KindFacts; Kind::MAX_KNOWN as usize + 1] = [
    KindFacts {
        kind: Kind::UNKN,
        name: "UNKNOWN",
        info_size: 0,
        elem_size: 0,
        size_type: SizeType::ZeroSize,
        vlen: Vlen::Zero,
        kflag: false,
        name_rule: NameRule::Forbidden,
        elem_name: None,
        type_ids: pos(&[], &[]),
        str_offsets: pos(&[0], &[]),
    },
    scalar(Kind::INT, "INT", raw::INT_DATA_LEN as u8),
    reference(Kind::PTR, "PTR", false, NameRule::Forbidden),
    // struct btf_array { type, index_type, nelems }
    KindFacts {
        kind: Kind::ARRAY,
        name: "ARRAY",
        info_size: raw::ARRAY_LEN as u8,
        elem_size: 0,
        size_type: SizeType::ZeroSize,
        vlen: Vlen::Zero,
        kflag: false,
        name_rule: NameRule::Forbidden,
        elem_name: None,
        type_ids: pos(&[12, 16], &[]),
        str_offsets: pos(&[0], &[]),
    },
    composite(Kind::STRUCT, "STRUCT"),
    composite(Kind::UNION, "UNION"),
    enumeration(Kind::ENUM, "ENUM", raw::ENUM_LEN as u8),
    KindFacts {
        kind: Kind::FWD,
        name: "FWD",
        info_size: 0,
        elem_size: 0,
        size_type: SizeType::ZeroType,
        vlen: Vlen::Zero,
        kflag: true,
        name_rule: NameRule::Ident,
        elem_name: None,
        type_ids: pos(&[], &[]),
        str_offsets: pos(&[0], &[]),
    },
    reference(Kind::TYPEDEF, "TYPEDEF", false, NameRule::Ident),
    reference(Kind::VOLATILE, "VOLATILE", false, NameRule::Forbidden),
    reference(Kind::CONST, "CONST", false, NameRule::Forbidden),
    reference(Kind::RESTRICT, "RESTRICT", false, NameRule::Forbidden),
    KindFacts {
        vlen: Vlen::Linkage,
        ..reference(Kind::FUNC, "FUNC", false, NameRule::Ident)
    },
    // struct btf_param { name_off, type } elements; `type` is the return type.
    KindFacts {
        kind: Kind::FUNC_PROTO,
        name: "FUNC_PROTO",
        info_size: 0,
        elem_size: raw::PARAM_LEN as u8,
        size_type: SizeType::Type,
        vlen: Vlen::Elements,
        kflag: false,
        name_rule: NameRule::Forbidden,
        elem_name: Some(NameRule::OptionalIdent),
        type_ids: pos(&[8], &[4]),
        str_offsets: pos(&[0], &[0]),
    },
    // struct btf_var { linkage }
    KindFacts {
        info_size: raw::VAR_LEN as u8,
        ..reference(Kind::VAR, "VAR", false, NameRule::Ident)
    },
    // struct btf_var_secinfo { type, offset, size } elements.
    KindFacts {
        kind: Kind::DATASEC,
        name: "DATASEC",
        info_size: 0,
        elem_size: raw::VAR_SECINFO_LEN as u8,
        size_type: SizeType::Size,
        vlen: Vlen::Elements,
        kflag: false,
        name_rule: NameRule::Section,
        elem_name: None,
        type_ids: pos(&[], &[0]),
        str_offsets: pos(&[0], &[]),
    },
    scalar(Kind::FLOAT, "FLOAT", 0),
    // struct btf_decl_tag { component_idx }
    KindFacts {
        info_size: raw::DECL_TAG_LEN as u8,
        ..reference(Kind::DECL_TAG, "DECL_TAG", true, NameRule::NonEmpty)
    },
    reference(Kind::TYPE_TAG, "TYPE_TAG", true, NameRule::NonEmpty),
    enumeration(Kind::ENUM64, "ENUM64", raw::ENUM64_LEN as u8),
];

/// Bit `k` set: known kind `k` has a `size` ([`SizeType::Size`]).
const HAS_SIZE: u32 = {
    let mut m = 0u32;
    let mut k = 1;
    while k < KINDS.len() {
        if matches!(KINDS[k].size_type, SizeType::Size) {
            m |= 1 << k;
        }
        k += 1;
    }
    m
};

/// `Some(KINDS[k].$field)` for a known kind number `k`, as a `match` with one constant
/// per kind: the reader's and validator's walks over the type section compute each
/// record's length from the previous record's kind, and the compiler turns this match
/// into bit tests and branches, which the CPU predicts, where a table load (or a
/// branch-free select) would sit in that dependency chain (a third of the parse time of a
/// module). The values are the table's; `tests::sizes_are_the_tables` checks the list of
/// kinds.
macro_rules! per_known_kind {
    ($k:expr, $field:ident) => {
        match $k {
            1 => Some(const { KINDS[1].$field }),
            2 => Some(const { KINDS[2].$field }),
            3 => Some(const { KINDS[3].$field }),
            4 => Some(const { KINDS[4].$field }),
            5 => Some(const { KINDS[5].$field }),
            6 => Some(const { KINDS[6].$field }),
            7 => Some(const { KINDS[7].$field }),
            8 => Some(const { KINDS[8].$field }),
            9 => Some(const { KINDS[9].$field }),
            10 => Some(const { KINDS[10].$field }),
            11 => Some(const { KINDS[11].$field }),
            12 => Some(const { KINDS[12].$field }),
            13 => Some(const { KINDS[13].$field }),
            14 => Some(const { KINDS[14].$field }),
            15 => Some(const { KINDS[15].$field }),
            16 => Some(const { KINDS[16].$field }),
            17 => Some(const { KINDS[17].$field }),
            18 => Some(const { KINDS[18].$field }),
            19 => Some(const { KINDS[19].$field }),
            _ => None,
        }
    };
}

impl Kind {
    /// The highest kind number this crate knows.
    pub const MAX_KNOWN: u8 = 19;

    /// Every known kind, in number order.
    pub fn all_known() -> impl ExactSizeIterator<Item = Kind> {
        (1..=Self::MAX_KNOWN).map(Kind)
    }

    /// What the format says about this kind; `None` for kind 0 and unknown kinds.
    #[inline(always)]
    pub fn facts(self) -> Option<&'static KindFacts> {
        match self.0 {
            1..=Self::MAX_KNOWN => Some(&KINDS[self.0 as usize]),
            _ => None,
        }
    }

    /// Whether this crate knows the layout and meaning of this kind (1..=19).
    #[inline]
    pub fn is_known(self) -> bool {
        (1..=Self::MAX_KNOWN).contains(&self.0)
    }

    /// The kind's name as the kernel and bpftool spell it (`STRUCT`, `FUNC_PROTO`, ...;
    /// `UNKNOWN` for kind 0), or `None` for an unknown kind.
    pub fn name(self) -> Option<&'static str> {
        KINDS.get(self.0 as usize).map(|f| f.name)
    }

    /// Size in bytes of the data that follows the 12-byte type record, before the
    /// `vlen` elements (`info_sz` of the layout section), for known kinds.
    #[inline(always)]
    pub fn info_size(self) -> Option<usize> {
        per_known_kind!(self.0, info_size).map(usize::from)
    }

    /// Size in bytes of one `vlen` element (`elem_sz` of the layout section), for known
    /// kinds; 0 for kinds whose `vlen` counts nothing.
    #[inline(always)]
    pub fn elem_size(self) -> Option<usize> {
        per_known_kind!(self.0, elem_size).map(usize::from)
    }

    /// Whether the `size`/`type` word is a size (`btf_type_has_size`).
    #[inline(always)]
    pub fn has_size(self) -> bool {
        self.0 < 32 && HAS_SIZE >> self.0 & 1 != 0
    }

    /// STRUCT or UNION.
    #[inline]
    pub fn is_composite(self) -> bool {
        self == Kind::STRUCT || self == Kind::UNION
    }

    /// ENUM or ENUM64.
    #[inline]
    pub fn is_enum(self) -> bool {
        self == Kind::ENUM || self == Kind::ENUM64
    }

    /// TYPEDEF, VOLATILE, CONST, RESTRICT or TYPE_TAG: kinds that only qualify or rename
    /// the type they point to (`btf_type_is_modifier`).
    #[inline]
    pub fn is_modifier(self) -> bool {
        matches!(
            self,
            Kind::TYPEDEF | Kind::VOLATILE | Kind::CONST | Kind::RESTRICT | Kind::TYPE_TAG
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "UNKNOWN({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_indexed_by_kind() {
        for (i, f) in KINDS.iter().enumerate() {
            assert_eq!(f.kind.0 as usize, i, "{}", f.name);
        }
        assert_eq!(Kind::all_known().count(), 19);
    }

    #[test]
    fn field_positions_are_inside_the_record() {
        for k in Kind::all_known() {
            let f = k.facts().unwrap();
            let fixed_end = 12 + f.info_size as usize;
            for p in [f.type_ids, f.str_offsets] {
                assert!(p.fixed.iter().all(|&x| x as usize + 4 <= fixed_end), "{k}");
                assert!(p.per_elem.iter().all(|&x| x + 4 <= f.elem_size), "{k}");
            }
            // Elements exactly when vlen counts them.
            assert_eq!(f.vlen == Vlen::Elements, f.elem_size != 0, "{k}");
            assert_eq!(
                f.elem_name.is_some() || k == Kind::DATASEC,
                f.elem_size != 0,
                "{k}"
            );
            // The `type` word is a type id exactly for the kinds that say so.
            assert_eq!(
                f.type_ids.fixed.contains(&8),
                f.size_type == SizeType::Type,
                "{k}"
            );
            // Every kind has a name field.
            assert_eq!(f.str_offsets.fixed, &[0], "{k}");
        }
    }

    #[test]
    fn sizes_are_the_tables() {
        for k in 0..=255u8 {
            let k = Kind(k);
            assert_eq!(
                k.info_size(),
                k.facts().map(|f| f.info_size as usize),
                "{k}"
            );
            assert_eq!(
                k.elem_size(),
                k.facts().map(|f| f.elem_size as usize),
                "{k}"
            );
        }
    }

    #[test]
    fn has_size_is_the_kernels_list() {
        let sized: Vec<_> = Kind::all_known().filter(|k| k.has_size()).collect();
        assert_eq!(
            sized,
            [
                Kind::INT,
                Kind::STRUCT,
                Kind::UNION,
                Kind::ENUM,
                Kind::DATASEC,
                Kind::FLOAT,
                Kind::ENUM64
            ]
        );
        assert!(!Kind(0).has_size() && !Kind(100).has_size());
    }
}
