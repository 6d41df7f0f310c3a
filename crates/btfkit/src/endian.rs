//! Byte order of a BTF blob: detected from the magic, passed to every read.
//!
//! [`Endian`] is the byte order as a value, chosen at run time. [`ByteOrder`] is the same
//! reads and writes as a trait, implemented by `Endian` and by the zero-sized
//! [`LittleEndian`] and [`BigEndian`], so that code generic over `O: ByteOrder` (the
//! validator's hot loops) gets the byte order fixed at compile time.

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

/// A byte order, known at run time ([`Endian`]) or at compile time ([`LittleEndian`],
/// [`BigEndian`]). Every read and write goes through [`Endian`]'s methods; with a
/// zero-sized order, [`ByteOrder::endian`] is a constant and the branch on it folds away.
pub trait ByteOrder: Copy {
    /// The byte order.
    fn endian(self) -> Endian;

    /// Reads a `u16` at `at`. The caller has checked the bounds.
    #[inline(always)]
    fn u16(self, bytes: &[u8], at: usize) -> u16 {
        self.endian().u16(bytes, at)
    }

    /// Reads a `u32` at `at`. The caller has checked the bounds.
    #[inline(always)]
    fn u32(self, bytes: &[u8], at: usize) -> u32 {
        self.endian().u32(bytes, at)
    }

    /// Encodes a `u32` in this byte order.
    #[inline(always)]
    fn u32_bytes(self, v: u32) -> [u8; 4] {
        self.endian().u32_bytes(v)
    }
}

impl ByteOrder for Endian {
    #[inline(always)]
    fn endian(self) -> Endian {
        self
    }
}

/// Little-endian, known at compile time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LittleEndian;

/// Big-endian, known at compile time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BigEndian;

impl ByteOrder for LittleEndian {
    #[inline(always)]
    fn endian(self) -> Endian {
        Endian::Little
    }
}

impl ByteOrder for BigEndian {
    #[inline(always)]
    fn endian(self) -> Endian {
        Endian::Big
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_and_dynamic_orders_read_alike() {
        let b = [1u8, 2, 3, 4, 5];
        for (e, s) in [
            (Endian::Little, LittleEndian.endian()),
            (Endian::Big, BigEndian.endian()),
        ] {
            assert_eq!(e, s);
            assert_eq!(ByteOrder::u32(e, &b, 1), e.u32(&b, 1));
        }
        assert_eq!(LittleEndian.u32(&b, 0), 0x0403_0201);
        assert_eq!(BigEndian.u32(&b, 0), 0x0102_0304);
        assert_eq!(BigEndian.u16(&b, 3), 0x0405);
        assert_eq!(LittleEndian.u32_bytes(1), [1, 0, 0, 0]);
    }
}
