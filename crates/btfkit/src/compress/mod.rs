//! Compressed files: what the first bytes say a file is, decompression that stops at a
//! size cap, and compression back into the format a module was read in.
//!
//! Every compression the kernel's build uses is read, by pure-Rust decoders:
//!
//! | compression | where the kernel uses it | decoder |
//! |---|---|---|
//! | xz | `.ko.xz`, `CONFIG_KERNEL_XZ` | `lzma-rust2` |
//! | gzip | `.ko.gz`, `CONFIG_KERNEL_GZIP`, `Image.gz` | `flate2` (miniz_oxide) |
//! | zstd | `.ko.zst`, `CONFIG_KERNEL_ZSTD` | `ruzstd` |
//! | lzma (`.lzma`, LZMA "alone") | `CONFIG_KERNEL_LZMA` | `lzma-rust2` |
//! | bzip2 | `CONFIG_KERNEL_BZIP2` | `bzip2` (libbz2-rs, Rust) |
//! | lz4 (legacy format, `lz4 -l`) | `CONFIG_KERNEL_LZ4`, `Image.lz4` | `lz4_flex` blocks, framing here |
//! | lz4 (frame format) | `lz4` without `-l` | `lz4_flex` |
//! | lzo (`lzop` files) | `CONFIG_KERNEL_LZO`, `Image.lzo` | here (LZO1X) |
//!
//! Every decoder reads through a cap: a hostile stream (a "zip bomb") stops with
//! [`DecompressError::TooLarge`] once the output would pass the cap, never after.
//! Decoders stop at the end of the first stream (xz, zstd, bzip2, lzma; gzip and lz4
//! read concatenated members), so that what kbuild appends after a kernel payload (its
//! 4-byte size) is not an error. Only the module compressions (xz, gzip, zstd) are
//! written ([`compress`]).

mod lz4_legacy;
mod lzo;

use std::io::Read;

/// A compression this crate reads (and, for [`Compression::MODULE`], writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// xz (LZMA2), as kbuild writes `.ko.xz` (CRC32 check).
    Xz,
    /// gzip (deflate), `.ko.gz`.
    Gzip,
    /// Zstandard, `.ko.zst`.
    Zstd,
    /// LZMA "alone" (`.lzma`, `xz --format=lzma`).
    Lzma,
    /// bzip2.
    Bzip2,
    /// LZ4, the legacy format (`lz4 -l`) that kbuild uses.
    Lz4Legacy,
    /// LZ4, the frame format.
    Lz4,
    /// LZO1X in an `lzop` file.
    Lzo,
}

impl Compression {
    /// Every compression, in the order their magics are tried.
    pub const ALL: [Compression; 8] = [
        Compression::Xz,
        Compression::Gzip,
        Compression::Zstd,
        Compression::Lzma,
        Compression::Bzip2,
        Compression::Lz4Legacy,
        Compression::Lz4,
        Compression::Lzo,
    ];

    /// The compressions of kernel modules (kbuild's `CONFIG_MODULE_COMPRESS_*`), which
    /// [`compress`] writes.
    pub const MODULE: [Compression; 3] = [Compression::Xz, Compression::Gzip, Compression::Zstd];

    /// The short name (`xz`, `gzip`, `zstd`, `lzma`, `bzip2`, `lz4 (legacy)`, `lz4`,
    /// `lzo`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::Xz => "xz",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Lzma => "lzma",
            Compression::Bzip2 => "bzip2",
            Compression::Lz4Legacy => "lz4 (legacy)",
            Compression::Lz4 => "lz4",
            Compression::Lzo => "lzo",
        }
    }

    /// The file name suffix of a file compressed this way (`.xz`, `.gz`, `.zst`, ...).
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::Xz => ".xz",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
            Compression::Lzma => ".lzma",
            Compression::Bzip2 => ".bz2",
            Compression::Lz4Legacy | Compression::Lz4 => ".lz4",
            Compression::Lzo => ".lzo",
        }
    }

    /// The magic a stream of this compression starts with.
    pub fn magic(self) -> &'static [u8] {
        match self {
            Compression::Xz => &[0xfd, b'7', b'z', b'X', b'Z', 0],
            Compression::Gzip => &[0x1f, 0x8b],
            Compression::Zstd => &[0x28, 0xb5, 0x2f, 0xfd],
            // Properties 0x5d (lc 3, lp 0, pb 2) and a dictionary below 16 MiB... or the
            // first two bytes of any: the kernel's own tools test these three bytes.
            Compression::Lzma => &[0x5d, 0x00, 0x00],
            Compression::Bzip2 => b"BZh",
            Compression::Lz4Legacy => &[0x02, 0x21, 0x4c, 0x18],
            Compression::Lz4 => &[0x04, 0x22, 0x4d, 0x18],
            Compression::Lzo => &lzo::MAGIC,
        }
    }

    /// Whether [`compress`] writes this compression (the module compressions).
    pub fn is_writable(self) -> bool {
        Compression::MODULE.contains(&self)
    }

    /// The compression a module file name asks for: `Some(None)` for an uncompressed
    /// object (`.ko`, `.o`), `Some(Some(c))` for `.xz`/`.gz`/`.zst`, `None` when the name
    /// says nothing.
    pub fn from_file_name(name: &str) -> Option<Option<Compression>> {
        if name.ends_with(".ko") || name.ends_with(".o") {
            return Some(None);
        }
        Compression::MODULE
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
    /// A compressed stream.
    Compressed(Compression),
    /// None of these (or too few bytes to tell).
    Unknown,
}

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
    match Compression::ALL
        .into_iter()
        .find(|c| prefix.starts_with(c.magic()))
    {
        Some(c) => Magic::Compressed(c),
        None => Magic::Unknown,
    }
}

/// The default cap on the size of an input and of what it decompresses to: 2 GiB, far
/// above any real vmlinux or module (the largest vmlinux ELF with DWARF is a few hundred
/// MB), far below what would exhaust a machine.
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// The memory an xz or lzma dictionary may take (256 MiB): kbuild compresses with
/// dictionaries of at most 64 MiB; a header asking for more is refused before anything
/// is allocated.
const MEM_LIMIT_KB: u32 = 256 * 1024;

/// Why a stream could not be decompressed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
}

/// [`compress`] was asked for a compression it does not write.
#[derive(Debug, thiserror::Error)]
#[error("btfkit reads {0} but writes only the module compressions xz, gzip and zstd")]
pub struct NotWritable(pub Compression);

fn corrupt(c: Compression, e: impl std::fmt::Display) -> DecompressError {
    DecompressError::Corrupt {
        compression: c,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    }
}

/// A decoder of `c` reading `data`, without a cap.
fn decoder<'a>(
    c: Compression,
    data: &'a [u8],
) -> Result<Box<dyn Read + Send + 'a>, DecompressError> {
    Ok(match c {
        // Multi-stream, as xz(1) reads .xz files; kernel payloads are read with
        // `reader_first_stream`.
        Compression::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            data,
            true,
            MEM_LIMIT_KB,
        )),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Compression::Zstd => {
            Box::new(ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| corrupt(c, e))?)
        }
        Compression::Lzma => Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(data, MEM_LIMIT_KB, None)
                .map_err(|e| corrupt(c, e))?,
        ),
        Compression::Bzip2 => Box::new(bzip2::read::BzDecoder::new(data)),
        Compression::Lz4Legacy => {
            Box::new(lz4_legacy::Lz4Legacy::new(data).map_err(|e| corrupt(c, e))?)
        }
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(data)),
        Compression::Lzo => Box::new(lzo::Lzop::new(data).map_err(|e| corrupt(c, e))?),
    })
}

/// A streaming decoder with a cap: reading past `limit` decompressed bytes fails with
/// an error that [`DecompressError::from_io`] turns into [`DecompressError::TooLarge`].
pub struct Reader<'a> {
    inner: Box<dyn Read + Send + 'a>,
    compression: Compression,
    limit: u64,
    produced: u64,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("compression", &self.compression)
            .field("limit", &self.limit)
            .field("produced", &self.produced)
            .finish()
    }
}

/// The marker inside the I/O error a [`Reader`] returns at its cap.
#[derive(Debug, thiserror::Error)]
#[error("decompressed data passes the size cap")]
struct CapReached;

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.limit {
            return Err(std::io::Error::other(CapReached));
        }
        Ok(n)
    }
}

impl Reader<'_> {
    /// The compression read.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The bytes decompressed so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// What an I/O error of this reader means.
    pub fn error(&self, e: std::io::Error) -> DecompressError {
        DecompressError::from_io(self.compression, self.limit, e)
    }
}

impl DecompressError {
    /// The error of a [`Reader`] of `c` capped at `limit`: the cap, or corruption.
    pub fn from_io(c: Compression, limit: u64, e: std::io::Error) -> DecompressError {
        if e.get_ref().is_some_and(|i| i.is::<CapReached>()) {
            DecompressError::TooLarge {
                compression: c,
                limit,
            }
        } else {
            DecompressError::Corrupt {
                compression: c,
                source: e,
            }
        }
    }
}

/// A capped streaming decoder of `data` (a stream of `c`).
pub fn reader(data: &[u8], c: Compression, limit: u64) -> Result<Reader<'_>, DecompressError> {
    Ok(Reader {
        inner: decoder(c, data)?,
        compression: c,
        limit,
        produced: 0,
    })
}

/// A capped streaming decoder of the first stream of `data`, ignoring what follows it
/// (kbuild appends the decompressed size to kernel payloads; EFI images pad them).
pub fn reader_first_stream(
    data: &[u8],
    c: Compression,
    limit: u64,
) -> Result<Reader<'_>, DecompressError> {
    let inner: Box<dyn Read + Send + '_> = match c {
        Compression::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            data,
            false,
            MEM_LIMIT_KB,
        )),
        Compression::Gzip => Box::new(flate2::read::GzDecoder::new(data)),
        _ => decoder(c, data)?,
    };
    Ok(Reader {
        inner,
        compression: c,
        limit,
        produced: 0,
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
    let mut r = reader(data, c, limit)?;
    let mut out = Vec::new();
    let got = (&mut r).take(MAGIC_LEN as u64).read_to_end(&mut out);
    got.map_err(|e| r.error(e))?;
    check(&out)?;
    let got = r.read_to_end(&mut out);
    got.map_err(|e| r.error(e))?;
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
///
/// Other compressions are read only: [`NotWritable`].
pub fn compress(data: &[u8], c: Compression) -> Result<Vec<u8>, NotWritable> {
    use std::io::Write;
    // Writing into a Vec cannot fail; the encoders only fail on their sink's errors.
    let io = "compressing into memory cannot fail";
    Ok(match c {
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
        other => return Err(NotWritable(other)),
    })
}

/// Compresses `data` as kbuild's image rules would, for test images: every
/// compression (lzo only as stored blocks, which is valid lzop). Not for modules.
#[doc(hidden)]
pub fn compress_for_tests(data: &[u8], c: Compression) -> Vec<u8> {
    use std::io::Write;
    let io = "compressing into memory cannot fail";
    match c {
        Compression::Lzma => {
            let mut opts = lzma_rust2::LzmaOptions::with_preset(6);
            opts.dict_size = 1 << 20;
            let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).expect(io);
            w.write_all(data).expect(io);
            w.finish().expect(io)
        }
        Compression::Bzip2 => {
            let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            enc.write_all(data).expect(io);
            enc.finish().expect(io)
        }
        Compression::Lz4Legacy => lz4_legacy::compress(data),
        Compression::Lz4 => {
            let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
            enc.write_all(data).expect(io);
            enc.finish().expect(io)
        }
        Compression::Lzo => lzo::stored(data),
        c => compress(data, c).expect(io),
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
            let z = compress_for_tests(&data, c);
            assert_eq!(sniff(&z), Magic::Compressed(c), "{c}");
            assert_eq!(decompress(&z, c, DEFAULT_LIMIT).unwrap(), data, "{c}");
        }
    }

    #[test]
    fn stops_at_the_cap() {
        let zeros = vec![0u8; 1 << 20];
        for c in Compression::ALL {
            let z = compress_for_tests(&zeros, c);
            match decompress(&z, c, 1000) {
                Err(DecompressError::TooLarge { limit: 1000, .. }) => {}
                other => panic!("{c}: {other:?}"),
            }
            assert_eq!(decompress(&z, c, 1 << 20).unwrap().len(), 1 << 20);
        }
    }

    #[test]
    fn check_sees_the_first_bytes_first() {
        let z = compress(b"\x7fELF and more", Compression::Gzip).unwrap();
        let got = decompress_checked(&z, Compression::Gzip, 100, |p| {
            assert_eq!(p, b"\x7fELF and ");
            Err(DecompressError::TooLarge {
                compression: Compression::Gzip,
                limit: 7,
            })
        });
        assert!(matches!(
            got,
            Err(DecompressError::TooLarge { limit: 7, .. })
        ));
    }

    #[test]
    fn corrupt_and_unsupported_streams() {
        let mut z = compress(&[7u8; 4096], Compression::Xz).unwrap();
        let n = z.len();
        z[n / 2] ^= 0xff;
        assert!(matches!(
            decompress(&z, Compression::Xz, DEFAULT_LIMIT),
            Err(DecompressError::Corrupt { .. })
        ));
        assert_eq!(sniff(b"BZh91AY&SY"), Magic::Compressed(Compression::Bzip2));
        assert_eq!(
            sniff(&[0x04, 0x22, 0x4d, 0x18, 0]),
            Magic::Compressed(Compression::Lz4)
        );
        assert!(compress(b"x", Compression::Lzo).is_err());
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
