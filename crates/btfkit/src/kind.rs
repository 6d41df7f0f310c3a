//! BTF type kinds: a newtype over the 7-bit kind number, so unknown kinds read without failing.

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

impl Kind {
    /// The highest kind number this crate knows.
    pub const MAX_KNOWN: u8 = 19;

    /// Whether this crate knows the layout and meaning of this kind (1..=19).
    #[inline]
    pub fn is_known(self) -> bool {
        (1..=Self::MAX_KNOWN).contains(&self.0)
    }

    /// The kind's name as the kernel and bpftool spell it (`STRUCT`, `FUNC_PROTO`, ...),
    /// or `None` for an unknown kind.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "UNKNOWN",
            1 => "INT",
            2 => "PTR",
            3 => "ARRAY",
            4 => "STRUCT",
            5 => "UNION",
            6 => "ENUM",
            7 => "FWD",
            8 => "TYPEDEF",
            9 => "VOLATILE",
            10 => "CONST",
            11 => "RESTRICT",
            12 => "FUNC",
            13 => "FUNC_PROTO",
            14 => "VAR",
            15 => "DATASEC",
            16 => "FLOAT",
            17 => "DECL_TAG",
            18 => "TYPE_TAG",
            19 => "ENUM64",
            _ => return None,
        })
    }

    /// Size in bytes of the data that follows the 12-byte type record, before the
    /// `vlen` elements (`info_sz` of the layout section), for known kinds.
    pub fn info_size(self) -> Option<usize> {
        Some(match self.0 {
            1 | 14 | 17 => 4,
            3 => 12,
            2 | 4..=13 | 15 | 16 | 18 | 19 => 0,
            _ => return None,
        })
    }

    /// Size in bytes of one `vlen` element (`elem_sz` of the layout section), for known
    /// kinds; 0 for kinds whose `vlen` counts nothing.
    pub fn elem_size(self) -> Option<usize> {
        Some(match self.0 {
            4 | 5 | 15 | 19 => 12,
            6 | 13 => 8,
            1..=3 | 7..=12 | 14 | 16..=18 => 0,
            _ => return None,
        })
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
    /// the type they point to.
    #[inline]
    pub fn is_modifier(self) -> bool {
        matches!(self.0, 8..=11 | 18)
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
