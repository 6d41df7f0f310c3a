//! Deterministic string interner, like libbpf's strset: one byte buffer plus a hash
//! table of offsets into it. Offset 0 is the empty string (for base BTF); strings are
//! stored once, in order of first appearance.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// An append-only, deduplicating string section under construction.
#[derive(Clone, Default)]
pub struct StringTable {
    bytes: Vec<u8>,
    /// Offset and length of every string: comparisons and rehashing read the bytes
    /// directly, without looking for the terminating NUL.
    index: HashTable<(u32, u32)>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl std::fmt::Debug for StringTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringTable")
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl StringTable {
    /// A table for base BTF: holds the empty string at offset 0.
    pub fn new_base() -> Self {
        let mut t = Self::default();
        t.add(b"");
        t
    }

    /// A table for split BTF: starts empty (its offsets follow the base's).
    pub fn new_split() -> Self {
        Self::default()
    }

    fn hash(&self, s: &[u8]) -> u64 {
        self.hasher.hash_one(s)
    }

    #[inline]
    fn at(bytes: &[u8], (off, len): (u32, u32)) -> &[u8] {
        &bytes[off as usize..off as usize + len as usize]
    }

    /// The offset of `s` in this table, if present.
    pub fn find(&self, s: &[u8]) -> Option<u32> {
        let h = self.hash(s);
        let bytes = &self.bytes;
        self.index
            .find(h, |&e| e.1 as usize == s.len() && Self::at(bytes, e) == s)
            .map(|e| e.0)
    }

    /// Adds `s` (which must not contain NUL) and returns its offset in this table.
    pub fn add(&mut self, s: &[u8]) -> u32 {
        let h = self.hash(s);
        let (bytes, hasher) = (&mut self.bytes, &self.hasher);
        match self.index.entry(
            h,
            |&e| e.1 as usize == s.len() && Self::at(bytes, e) == s,
            |&e| hasher.hash_one(Self::at(bytes, e)),
        ) {
            hashbrown::hash_table::Entry::Occupied(o) => o.get().0,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let off = bytes.len() as u32;
                bytes.extend_from_slice(s);
                bytes.push(0);
                v.insert((off, s.len() as u32));
                off
            }
        }
    }

    /// The section bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}
