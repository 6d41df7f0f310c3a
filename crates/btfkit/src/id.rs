//! Newtypes for the two kinds of numbers BTF is made of: type ids and string offsets.

use std::fmt;

/// A BTF type id. Id 0 is `void`; in split BTF, ids continue after the base's last id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TypeId(pub u32);

impl TypeId {
    /// The `void` type, id 0.
    pub const VOID: TypeId = TypeId(0);

    /// The id as a plain number.
    #[inline]
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An offset into a BTF string section. In split BTF, offsets below the base's string
/// length name base strings; the split's own strings start at that length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StrOffset(pub u32);

impl StrOffset {
    /// The empty string, offset 0.
    pub const EMPTY: StrOffset = StrOffset(0);

    /// The offset as a plain number.
    #[inline]
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for StrOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
