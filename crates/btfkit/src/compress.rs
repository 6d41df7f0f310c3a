//! Compressed files: what the first bytes say a file is, decompression that stops at a
//! size cap, and compression back into the format a module was read in.
//!
//! Kernel modules ship as `.ko.xz`, `.ko.gz` or `.ko.zst` (kbuild's
//! `CONFIG_MODULE_COMPRESS_*`). Every decoder here is pure Rust and reads through a cap:
//! a hostile stream (a "zip bomb") stops with [`DecompressError::TooLarge`] once the
//! output would pass the cap, never after. A format the kernel may use but this crate
//! cannot decode (bzip2, lz4, lzma, lzo) is told apart from garbage by its magic and
//! reported as [`DecompressError::Unsupported`].

use std::io::Read;

/// A compression this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// xz (LZMA2), as kbuild writes `.ko.xz` (CRC32 check).
    Xz,
    /// gzip (deflate), `.ko.gz`.
    Gzip,
    /// Zstandard, `.ko.zst`.
    Zstd,
}

impl Compression {
    /// Every compression, in the order their magics are tried.
    pub const ALL: [Compression; 3] = [Compression::Xz, Compression::Gzip, Compression::Zstd];

    /// The short name (`xz`, `gzip`, `zstd`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::Xz => "xz",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The file name suffix of a module compressed this way (`.xz`, `.gz`, `.zst`).
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::Xz => ".xz",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
        }
    }

    /// The magic a stream of this compression starts with.
    pub fn magic(self) -> &'static [u8] {
        match self {
            Compression::Xz => &[0xfd, b'7', b'z', b'X', b'Z', 0],
            Compression::Gzip => &[0x1f, 0x8b],
            Compression::Zstd => &[0x28, 0xb5, 0x2f, 0xfd],
        }
    }

    /// The compression a file name asks for: `Some(None)` for an uncompressed object
    /// (`.ko`, `.o`), `Some(Some(c))` for `.xz`/`.gz`/`.zst`, `None` when the name says
    /// nothing.
    pub fn from_file_name(name: &str) -> Option<Option<Compression>> {
        if name.ends_with(".ko") || name.ends_with(".o") {
            return Some(None);
        }
        Compression::ALL
            .into_iter()
            .find(|c| name.ends_with(c.suffix()))
            .map(Some)
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Magic {
    /// Raw BTF (`0xeB9F` in either byte order).
    Btf,
    /// An ELF object.
    Elf,
    /// A stream this crate decompresses.
    Compressed(Compression),
    /// A compression this crate does not read (`bzip2`, `lz4`, `lzma`, `lzo`).
    Unsupported(&'static str),
    /// None of these (or too few bytes to tell).
    Unknown,
}

/// Magics of compressions the kernel's build can use that this crate does not decode.
const UNSUPPORTED: [(&[u8], &str); 5] = [
    (b"BZh", "bzip2"),
    (&[0x04, 0x22, 0x4d, 0x18], "lz4"),
    (&[0x02, 0x21, 0x4c, 0x18], "lz4 (legacy)"),
    (b"\x89LZO\x00\r\n\x1a\n", "lzo"),
    (&[0x5d, 0x00, 0x00], "lzma"),
];

/// The number of leading bytes [`sniff`] needs to tell every format apart.
pub const MAGIC_LEN: usize = 9;

/// What `prefix` (the first [`MAGIC_LEN`] bytes of a file, or all of a shorter one)
/// says the file is.
pub fn sniff(prefix: &[u8]) -> Magic {
    if prefix.starts_with(&[0x9f, 0xeb]) || prefix.starts_with(&[0xeb, 0x9f]) {
        return Magic::Btf;
    }
    if prefix.starts_with(b"\x7fELF") {
        return Magic::Elf;
    }
    if let Some(c) = Compression::ALL
        .into_iter()
        .find(|c| prefix.starts_with(c.magic()))
    {
        return Magic::Compressed(c);
    }
    match UNSUPPORTED.iter().find(|(m, _)| prefix.starts_with(m)) {
        Some((_, name)) => Magic::Unsupported(name),
        None => Magic::Unknown,
    }
}

/// The default cap on the size of an input and of what it decompresses to: 2 GiB, far
/// above any real vmlinux or module (the largest vmlinux ELF with DWARF is a few hundred
/// MB), far below what would exhaust a machine.
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// The memory an xz block's dictionary may take (256 MiB): kbuild compresses modules
/// with dictionaries of at most 64 MiB; a header asking for more is refused before
/// anything is allocated.
const XZ_MEM_LIMIT_KB: u32 = 256 * 1024;

/// Why a stream could not be decompressed.
#[derive(Debug, thiserror::Error)]
pub enum DecompressError {
    /// The output would pass the cap.
    #[error("{compression} data decompresses to more than {limit} bytes (the size cap; raise it if this is real)")]
    TooLarge {
        /// The stream's compression.
        compression: Compression,
        /// The cap.
        limit: u64,
    },
    /// The stream is damaged (or truncated, or its check fails).
    #[error("{compression} data is corrupt: {source}")]
    Corrupt {
        /// The stream's compression.
        compression: Compression,
        /// What the decoder said.
        source: std::io::Error,
    },
    /// A compression this crate cannot decode.
    #[error(
        "unsupported compression: {0} (btfkit reads xz, gzip and zstd; decompress the file first)"
    )]
    Unsupported(&'static str),
}

/// A decoder of `c` reading `data`.
fn decoder<'a>(c: Compression, data: &'a [u8]) -> Result<Box<dyn Read + 'a>, DecompressError> {
    Ok(match c {
        Compression::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            data,
            true,
            XZ_MEM_LIMIT_KB,
        )),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Compression::Zstd => {
            Box::new(ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| {
                DecompressError::Corrupt {
                    compression: c,
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
                }
            })?)
        }
    })
}

/// Decompresses `data` (a stream of `c`) into at most `limit` bytes. `check` is given
/// the first [`MAGIC_LEN`] decompressed bytes (fewer if the output is shorter) before
/// anything else is decoded, so that a stream of the wrong content stops at once; its
/// error is returned as is.
pub fn decompress_checked<E: From<DecompressError>>(
    data: &[u8],
    c: Compression,
    limit: u64,
    check: impl FnOnce(&[u8]) -> Result<(), E>,
) -> Result<Vec<u8>, E> {
    let corrupt = |source| DecompressError::Corrupt {
        compression: c,
        source,
    };
    let mut r = decoder(c, data)?.take(limit.saturating_add(1));
    let mut out = Vec::new();
    (&mut r)
        .take(MAGIC_LEN as u64)
        .read_to_end(&mut out)
        .map_err(corrupt)?;
    check(&out)?;
    r.read_to_end(&mut out).map_err(corrupt)?;
    if out.len() as u64 > limit {
        return Err(DecompressError::TooLarge {
            compression: c,
            limit,
        }
        .into());
    }
    Ok(out)
}

/// Decompresses `data` (a stream of `c`) into at most `limit` bytes.
pub fn decompress(data: &[u8], c: Compression, limit: u64) -> Result<Vec<u8>, DecompressError> {
    decompress_checked(data, c, limit, |_| Ok::<(), DecompressError>(()))
}

/// Compresses `data` as `c`, the way kbuild compresses modules where the crates allow:
///
/// - xz: LZMA2 at the default preset with a CRC32 check (what the kernel's in-kernel
///   module decompressor verifies), one stream;
/// - gzip: deflate at the default level;
/// - zstd: ruzstd's encoder at its fastest level (about `zstd -1`; kbuild uses `-19`,
///   which no pure-Rust encoder offers: the file is larger, and reads the same).
pub fn compress(data: &[u8], c: Compression) -> Vec<u8> {
    use std::io::Write;
    // Writing into a Vec cannot fail; the encoders only fail on their sink's errors.
    let io = "compressing into memory cannot fail";
    match c {
        Compression::Xz => {
            let mut opts = lzma_rust2::XzOptions::with_preset(6);
            opts.set_check_sum_type(lzma_rust2::CheckType::Crc32);
            let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).expect(io);
            w.write_all(data).expect(io);
            w.finish().expect(io)
        }
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).expect(io);
            enc.finish().expect(io)
        }
        Compression::Zstd => {
            ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_compression() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for c in Compression::ALL {
            let z = compress(&data, c);
            assert_eq!(sniff(&z), Magic::Compressed(c), "{c}");
            assert_eq!(decompress(&z, c, DEFAULT_LIMIT).unwrap(), data, "{c}");
        }
    }

    #[test]
    fn stops_at_the_cap() {
        let zeros = vec![0u8; 1 << 20];
        for c in Compression::ALL {
            let z = compress(&zeros, c);
            match decompress(&z, c, 1000) {
                Err(DecompressError::TooLarge { limit: 1000, .. }) => {}
                other => panic!("{c}: {other:?}"),
            }
            assert_eq!(decompress(&z, c, 1 << 20).unwrap().len(), 1 << 20);
        }
    }

    #[test]
    fn check_sees_the_first_bytes_first() {
        let z = compress(b"\x7fELF and more", Compression::Gzip);
        let got = decompress_checked(&z, Compression::Gzip, 100, |p| {
            assert_eq!(p, b"\x7fELF and ");
            Err(DecompressError::Unsupported("test"))
        });
        assert!(matches!(got, Err(DecompressError::Unsupported("test"))));
    }

    #[test]
    fn corrupt_and_unsupported_streams() {
        let mut z = compress(&[7u8; 4096], Compression::Xz);
        let n = z.len();
        z[n / 2] ^= 0xff;
        assert!(matches!(
            decompress(&z, Compression::Xz, DEFAULT_LIMIT),
            Err(DecompressError::Corrupt { .. })
        ));
        assert_eq!(sniff(b"BZh91AY&SY"), Magic::Unsupported("bzip2"));
        assert_eq!(
            sniff(&[0x04, 0x22, 0x4d, 0x18, 0]),
            Magic::Unsupported("lz4")
        );
        assert_eq!(sniff(b"\x7fELF\x02"), Magic::Elf);
        assert_eq!(sniff(&[0x9f, 0xeb, 1, 0]), Magic::Btf);
        assert_eq!(sniff(b"hello"), Magic::Unknown);
        assert_eq!(sniff(b""), Magic::Unknown);
    }

    #[test]
    fn names() {
        assert_eq!(Compression::from_file_name("a.ko"), Some(None));
        assert_eq!(
            Compression::from_file_name("a.ko.zst"),
            Some(Some(Compression::Zstd))
        );
        assert_eq!(Compression::from_file_name("a.btf"), None);
    }
}
