//! Byte order of a BTF blob: detected from the magic, passed to every read.

/// The byte order a BTF blob is encoded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first (x86-64, arm64, riscv, ...).
    Little,
    /// Most significant byte first (s390x, big-endian powerpc/mips, ...).
    Big,
}

impl Endian {
    /// The byte order of the machine this code runs on.
    pub const NATIVE: Endian = if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    };

    /// Reads a `u16` at `at`. The caller has checked the bounds.
    #[inline(always)]
    pub fn u16(self, bytes: &[u8], at: usize) -> u16 {
        let b: [u8; 2] = [bytes[at], bytes[at + 1]];
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    /// Reads a `u32` at `at`. The caller has checked the bounds.
    #[inline(always)]
    pub fn u32(self, bytes: &[u8], at: usize) -> u32 {
        let b: [u8; 4] = bytes[at..at + 4].try_into().expect("4 bytes");
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    /// Encodes a `u16` in this byte order.
    #[inline(always)]
    pub fn u16_bytes(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a `u32` in this byte order.
    #[inline(always)]
    pub fn u32_bytes(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Overwrites the `u32` at `at` with `v` in this byte order.
    #[inline(always)]
    pub fn put_u32(self, bytes: &mut [u8], at: usize, v: u32) {
        bytes[at..at + 4].copy_from_slice(&self.u32_bytes(v));
    }
}

impl std::fmt::Display for Endian {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Endian::Little => "little-endian",
            Endian::Big => "big-endian",
        })
    }
}
