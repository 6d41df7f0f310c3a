//! Deterministic string interner, like libbpf's strset: one byte buffer plus a hash
//! table of offsets into it. Offset 0 is the empty string (for base BTF); strings are
//! stored once, in order of first appearance.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// An append-only, deduplicating string section under construction.
#[derive(Clone, Default)]
pub struct StringTable {
    bytes: Vec<u8>,
    index: HashTable<u32>,
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
        t.bytes.push(0);
        let h = t.hash(b"");
        t.index.insert_unique(h, 0, |_| 0);
        t
    }

    /// A table for split BTF: starts empty (its offsets follow the base's).
    pub fn new_split() -> Self {
        Self::default()
    }

    fn hash(&self, s: &[u8]) -> u64 {
        self.hasher.hash_one(s)
    }

    fn str_at(bytes: &[u8], off: u32) -> &[u8] {
        let rest = &bytes[off as usize..];
        &rest[..memchr::memchr(0, rest).unwrap_or(rest.len())]
    }

    /// The offset of `s` in this table, if present.
    pub fn find(&self, s: &[u8]) -> Option<u32> {
        let h = self.hash(s);
        let bytes = &self.bytes;
        self.index
            .find(h, |&off| Self::str_at(bytes, off) == s)
            .copied()
    }

    /// Adds `s` (which must not contain NUL) and returns its offset in this table.
    pub fn add(&mut self, s: &[u8]) -> u32 {
        if let Some(off) = self.find(s) {
            return off;
        }
        let off = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s);
        self.bytes.push(0);
        let h = self.hash(s);
        let (bytes, hasher) = (&self.bytes, &self.hasher);
        self.index
            .insert_unique(h, off, |&o| hasher.hash_one(Self::str_at(bytes, o)));
        off
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
