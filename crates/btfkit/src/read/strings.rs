//! The string section: NUL-terminated names addressed by byte offset, zero-copy.

/// A borrowed BTF string section.
#[derive(Clone, Copy, Debug)]
pub struct Strings<'data> {
    bytes: &'data [u8],
}

impl<'data> Strings<'data> {
    /// Wraps the bytes of a string section.
    pub fn new(bytes: &'data [u8]) -> Self {
        Strings { bytes }
    }

    /// The raw bytes of the section.
    pub fn bytes(&self) -> &'data [u8] {
        self.bytes
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the section is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The string at `off` (without its NUL), or `None` when `off` is out of range. A
    /// string that runs to the end of the section without a NUL is returned as it is
    /// (validation reports the missing terminator).
    #[inline]
    pub fn get(&self, off: usize) -> Option<&'data [u8]> {
        let rest = self.bytes.get(off..)?;
        if off == self.bytes.len() {
            return None;
        }
        let end = memchr::memchr(0, rest).unwrap_or(rest.len());
        Some(&rest[..end])
    }

    /// Whether `off` is the start of a string (offset 0, or just after a NUL).
    #[inline]
    pub fn is_string_start(&self, off: usize) -> bool {
        off == 0 || (off < self.bytes.len() && self.bytes[off - 1] == 0)
    }
}
