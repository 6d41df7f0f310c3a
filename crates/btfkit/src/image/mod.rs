//! The vmlinux BTF of a kernel image: what `btfkit extract` reads.
//!
//! Distributions ship a kernel as a compressed image (`/boot/vmlinuz-*`); building
//! modules for a kernel that is not running needs its vmlinux BTF. [`extract`] takes
//! any of these and returns the bytes of the build's `.BTF` section, byte for byte:
//!
//! - an x86 **bzImage** (EFI stub or not): the boot protocol's setup header (2.08 and
//!   later) says where the compressed payload is; the payload (every compression of
//!   [`compress`]: gzip, xz, zstd, lzma, bzip2, lz4, lzo) is the
//!   vmlinux ELF, whose `.BTF` section is returned;
//! - an **EFI zboot** image (`vmlinuz.efi` of arm64, RISC-V, LoongArch with
//!   `CONFIG_EFI_ZBOOT`): its header says where the compressed `Image` is;
//! - a **vmlinux ELF** (32 or 64 bits, either byte order), compressed or not;
//! - a raw **arm64 or RISC-V `Image`**, compressed (`Image.gz`, `Image.zst`, ...) or
//!   not, and any other image without ELF headers: the BTF blob is found by its header
//!   (magic, version, sections inside the blob) and must parse and validate as base
//!   BTF; when there are several such blobs (a BPF light skeleton embeds its program's
//!   BTF), the one with the most types is the vmlinux BTF;
//! - raw BTF (`/sys/kernel/btf/vmlinux`), returned as it is.
//!
//! Memory stays bounded by the BTF, not the kernel: an uncompressed file is read at the
//! offsets its headers give (a vmlinux with DWARF is hundreds of MB, its `.BTF` a few);
//! a compressed payload is decompressed as a stream, twice for an ELF (once for the
//! section headers at its end, once for the names and `.BTF`), and only the needed
//! bytes are kept. The compressed image itself is held in memory. Every decompression
//! stops at [`Options::limit`].

mod elf;
mod scan;

use crate::compress::{self, Compression, DecompressError, Magic};
use std::io::{Read, Seek, SeekFrom};

/// How [`extract`] reads.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The largest image file, and the most bytes a payload may decompress to.
    pub limit: u64,
    /// Validate the `.BTF` of an ELF (blobs found by scanning are always validated:
    /// that is how they are found).
    pub validate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limit: compress::DEFAULT_LIMIT,
            validate: true,
        }
    }
}

/// The outer format of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Container {
    /// Raw BTF.
    RawBtf,
    /// A vmlinux ELF file.
    Elf,
    /// An x86 bzImage.
    BzImage {
        /// The boot protocol version (`0x20f` is 2.15).
        protocol: u16,
        /// The payload's file offset.
        payload_offset: u64,
        /// The payload's length.
        payload_len: u64,
    },
    /// An EFI zboot image (`CONFIG_EFI_ZBOOT`).
    EfiZboot {
        /// The payload's file offset.
        payload_offset: u64,
        /// The payload's length.
        payload_len: u64,
    },
    /// A whole compressed file (`vmlinux.xz`, `Image.gz`).
    Compressed,
    /// An arm64 `Image` (header magic `ARM\x64`).
    Arm64Image,
    /// A RISC-V `Image` (header magic `RSC\x05`).
    RiscvImage,
    /// None of these: scanned as it is.
    Unknown,
}

/// What the (decompressed) payload was and where the BTF was in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// The whole file is the BTF.
    Whole,
    /// The `.BTF` section of a vmlinux ELF, at this file offset of the ELF.
    ElfSection {
        /// Its offset in the ELF.
        offset: u64,
    },
    /// A blob found by scanning, at this offset of the (decompressed) image.
    Blob {
        /// Its offset.
        offset: u64,
        /// Other valid (smaller) BTF blobs seen.
        others: usize,
    },
}

/// The vmlinux BTF of an image and where it was.
#[derive(Clone, Debug)]
pub struct Extracted {
    /// The BTF, byte for byte as the build's `.BTF` section.
    pub btf: Vec<u8>,
    /// The image's outer format.
    pub container: Container,
    /// The compression of the payload (or of the whole file).
    pub compression: Option<Compression>,
    /// Where the BTF was.
    pub location: Location,
}

impl std::fmt::Display for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Container::RawBtf => f.write_str("raw BTF"),
            Container::Elf => f.write_str("vmlinux ELF"),
            Container::BzImage {
                protocol,
                payload_offset,
                payload_len,
            } => write!(
                f,
                "bzImage (boot protocol {}.{:02}), payload at {payload_offset:#x} ({payload_len} bytes)",
                protocol >> 8,
                protocol & 0xff
            ),
            Container::EfiZboot {
                payload_offset,
                payload_len,
            } => write!(
                f,
                "EFI zboot image, payload at {payload_offset:#x} ({payload_len} bytes)"
            ),
            Container::Compressed => f.write_str("compressed file"),
            Container::Arm64Image => f.write_str("arm64 Image"),
            Container::RiscvImage => f.write_str("RISC-V Image"),
            Container::Unknown => f.write_str("image of unknown format"),
        }
    }
}

impl std::fmt::Display for Extracted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.container)?;
        if let Some(c) = self.compression {
            write!(f, ", {c}")?;
        }
        match self.location {
            Location::Whole => write!(f, ": {} bytes of BTF", self.btf.len()),
            Location::ElfSection { offset } => write!(
                f,
                ": .BTF section of the vmlinux ELF at {offset:#x}, {} bytes",
                self.btf.len()
            ),
            Location::Blob { offset, others } => {
                write!(f, ": BTF blob at {offset:#x}, {} bytes", self.btf.len())?;
                if others > 0 {
                    write!(f, " (and {others} smaller valid BTF blobs, not vmlinux's)")?;
                }
                Ok(())
            }
        }
    }
}

/// Why no BTF came out of an image. Offsets are of the image file unless said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Reading failed.
    #[error("reading the image: {0}")]
    Io(#[from] std::io::Error),
    /// The payload did not decompress.
    #[error(transparent)]
    Decompress(#[from] DecompressError),
    /// The image is larger than the cap.
    #[error("the image is larger than {limit} bytes (the size cap; raise it if this is real)")]
    TooLarge {
        /// The cap.
        limit: u64,
    },
    /// A header is inconsistent.
    #[error("{what}: {detail}")]
    Malformed {
        /// Which header (`bzImage setup header`, `ELF headers`, ...).
        what: &'static str,
        /// What is wrong, with offsets.
        detail: String,
    },
    /// A vmlinux ELF without `.BTF`.
    #[error("the vmlinux ELF has no .BTF section (a kernel built without CONFIG_DEBUG_INFO_BTF)")]
    NoBtfSection,
    /// `.BTF` stored compressed (`SHF_COMPRESSED`).
    #[error(".BTF is stored compressed (SHF_COMPRESSED); decompress the section first (objcopy --decompress-debug-sections)")]
    CompressedSection,
    /// No valid BTF blob in an image without ELF headers.
    #[error("no valid vmlinux BTF in the {what} ({candidates} BTF-like headers, none of valid base BTF); a kernel built without CONFIG_DEBUG_INFO_BTF has none")]
    NoBtfBlob {
        /// What was scanned (`arm64 Image`, `zstd payload`, ...).
        what: String,
        /// Candidate headers seen.
        candidates: usize,
    },
    /// The `.BTF` of the ELF is invalid.
    #[error(".BTF section: {0}")]
    Invalid(#[from] crate::module::Invalid),
}

/// A range of bytes to read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Want {
    offset: u64,
    len: u64,
    /// Keep it only if it starts with the BTF magic.
    btf_only: bool,
}

impl Want {
    fn exact(offset: u64, len: u64) -> Want {
        Want {
            offset,
            len,
            btf_only: false,
        }
    }
}

fn btf_magic(b: &[u8]) -> bool {
    b.starts_with(&[0x9f, 0xeb]) || b.starts_with(&[0xeb, 0x9f])
}

/// Reads ranges of an ELF image: by seeking in a file, or by streaming a payload.
pub(crate) trait Ranges {
    /// The bytes of each range (shorter when the input ends first; None for a
    /// `btf_only` range that does not start with the magic).
    fn capture(&mut self, wants: &[Want]) -> Result<Vec<Option<Vec<u8>>>, ImageError>;
}

/// A seekable file.
struct Seekable<'a, R> {
    r: &'a mut R,
    size: u64,
}

impl<R: Read + Seek> Ranges for Seekable<'_, R> {
    fn capture(&mut self, wants: &[Want]) -> Result<Vec<Option<Vec<u8>>>, ImageError> {
        let mut out = Vec::with_capacity(wants.len());
        for w in wants {
            let len = w.len.min(self.size.saturating_sub(w.offset));
            self.r.seek(SeekFrom::Start(w.offset.min(self.size)))?;
            let mut buf = Vec::new();
            if w.btf_only {
                (&mut *self.r).take(len.min(4)).read_to_end(&mut buf)?;
                if !btf_magic(&buf) {
                    out.push(None);
                    continue;
                }
            }
            let rest = len - buf.len() as u64;
            (&mut *self.r).take(rest).read_to_end(&mut buf)?;
            out.push(Some(buf));
        }
        Ok(out)
    }
}

/// A byte stream: a decompressor or a plain reader.
pub(crate) enum Input<'a> {
    Plain(&'a mut dyn Read),
    Decoded(compress::Reader<'a>),
}

impl Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ImageError> {
        loop {
            let r = match self {
                Input::Plain(r) => r.read(buf),
                Input::Decoded(r) => r.read(buf),
            };
            match r {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(match self {
                        Input::Plain(_) => ImageError::Io(e),
                        Input::Decoded(r) => ImageError::Decompress(r.error(e)),
                    })
                }
            }
        }
    }
}

/// A payload decompressed afresh for every pass.
struct Streamed<'a> {
    data: &'a [u8],
    compression: Compression,
    limit: u64,
}

impl Streamed<'_> {
    fn open(&self) -> Result<Input<'_>, ImageError> {
        Ok(Input::Decoded(compress::reader_first_stream(
            self.data,
            self.compression,
            self.limit,
        )?))
    }
}

impl Ranges for Streamed<'_> {
    fn capture(&mut self, wants: &[Want]) -> Result<Vec<Option<Vec<u8>>>, ImageError> {
        // Offsets and sizes come from the file: saturating arithmetic.
        let end = wants
            .iter()
            .map(|w| w.offset.saturating_add(w.len))
            .max()
            .unwrap_or(0);
        let total = wants
            .iter()
            .filter(|w| !w.btf_only)
            .fold(0u64, |t, w| t.saturating_add(w.len));
        if total > self.limit {
            return Err(ImageError::Malformed {
                what: "ELF headers",
                detail: format!("sections of {total} bytes in all"),
            });
        }
        let mut bufs: Vec<Option<Vec<u8>>> = wants.iter().map(|_| Some(Vec::new())).collect();
        let mut input = self.open()?;
        let mut chunk = vec![0u8; 1 << 16];
        let mut pos = 0u64;
        let mut kept = 0u64;
        while pos < end {
            let want = (end - pos).min(chunk.len() as u64) as usize;
            let n = input.read(&mut chunk[..want])?;
            if n == 0 {
                break;
            }
            let (lo, hi) = (pos, pos + n as u64);
            for (w, b) in wants.iter().zip(bufs.iter_mut()) {
                let Some(buf) = b else { continue };
                let (s, e) = (w.offset.max(lo), w.offset.saturating_add(w.len).min(hi));
                if s >= e {
                    continue;
                }
                buf.extend_from_slice(&chunk[(s - lo) as usize..(e - lo) as usize]);
                kept += e - s;
                if w.btf_only && buf.len() >= 4 && !btf_magic(buf) {
                    kept -= buf.len() as u64;
                    *b = None;
                }
            }
            if kept > self.limit {
                return Err(ImageError::Malformed {
                    what: "ELF headers",
                    detail: "overlapping BTF-like sections pass the size cap".into(),
                });
            }
            pos = hi;
        }
        Ok(bufs)
    }
}

/// Extracts the vmlinux BTF from the image `r` (see the [module documentation](self)).
pub fn extract<R: Read + Seek>(r: &mut R, opts: &Options) -> Result<Extracted, ImageError> {
    let size = r.seek(SeekFrom::End(0))?;
    if size > opts.limit {
        return Err(ImageError::TooLarge { limit: opts.limit });
    }
    r.seek(SeekFrom::Start(0))?;
    let mut prefix = Vec::new();
    (&mut *r).take(4096).read_to_end(&mut prefix)?;
    if prefix.is_empty() {
        return Err(ImageError::Malformed {
            what: "image",
            detail: "empty file".into(),
        });
    }
    let le32 = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(prefix.get(at..at + 4)?.try_into().ok()?))
    };
    match compress::sniff(&prefix[..prefix.len().min(compress::MAGIC_LEN)]) {
        Magic::Btf => {
            r.seek(SeekFrom::Start(0))?;
            let mut btf = Vec::new();
            r.read_to_end(&mut btf)?;
            return finish_whole(btf, Container::RawBtf, None, opts);
        }
        Magic::Elf => {
            let mut src = Seekable { r, size };
            let (btf, offset) = elf::btf_section(&mut src)?;
            return finish_elf(btf, offset, Container::Elf, None, opts);
        }
        _ => {}
    }
    // x86 boot protocol: "HdrS" at 0x202, version at 0x206; payload fields from 2.08.
    if prefix.get(0x202..0x206) == Some(b"HdrS") {
        let Some(&[lo, hi]) = prefix.get(0x206..0x208) else {
            return Err(ImageError::Malformed {
                what: "bzImage setup header",
                detail: "too short".into(),
            });
        };
        let protocol = u16::from_le_bytes([lo, hi]);
        if protocol < 0x208 {
            return Err(ImageError::Malformed {
                what: "bzImage setup header",
                detail: format!(
                    "boot protocol {}.{:02} has no payload fields (2.08 and later do)",
                    protocol >> 8,
                    protocol & 0xff
                ),
            });
        }
        let setup_sects = match prefix[0x1f1] {
            0 => 4,
            n => n as u64,
        };
        let (Some(po), Some(pl)) = (le32(0x248), le32(0x24c)) else {
            return Err(ImageError::Malformed {
                what: "bzImage setup header",
                detail: "too short".into(),
            });
        };
        let payload_offset = (setup_sects + 1) * 512 + po as u64;
        let container = Container::BzImage {
            protocol,
            payload_offset,
            payload_len: pl as u64,
        };
        return payload(r, size, payload_offset, pl as u64, container, opts);
    }
    // EFI zboot: "MZ", "zimg" at 4, payload offset and size at 8 and 12.
    if prefix.starts_with(b"MZ") && prefix.get(4..8) == Some(b"zimg") {
        let (Some(po), Some(pl)) = (le32(8), le32(12)) else {
            return Err(ImageError::Malformed {
                what: "EFI zboot header",
                detail: "too short".into(),
            });
        };
        let container = Container::EfiZboot {
            payload_offset: po as u64,
            payload_len: pl as u64,
        };
        return payload(r, size, po as u64, pl as u64, container, opts);
    }
    if let Magic::Compressed(c) = compress::sniff(&prefix[..prefix.len().min(compress::MAGIC_LEN)])
    {
        r.seek(SeekFrom::Start(0))?;
        let mut data = Vec::new();
        r.read_to_end(&mut data)?;
        return decompressed(&data, c, Container::Compressed, opts);
    }
    let container = if prefix.get(0x38..0x3c) == Some(b"ARM\x64") {
        Container::Arm64Image
    } else if prefix.get(0x38..0x3c) == Some(b"RSC\x05") {
        Container::RiscvImage
    } else {
        Container::Unknown
    };
    r.seek(SeekFrom::Start(0))?;
    let mut input = Input::Plain(r);
    finish_scan(&mut input, container, None, opts)
}

/// Extracts from an image held in memory.
pub fn extract_bytes(data: &[u8], opts: &Options) -> Result<Extracted, ImageError> {
    extract(&mut std::io::Cursor::new(data), opts)
}

/// A bzImage's or zboot image's payload: read, then decompressed.
fn payload<R: Read + Seek>(
    r: &mut R,
    size: u64,
    offset: u64,
    len: u64,
    container: Container,
    opts: &Options,
) -> Result<Extracted, ImageError> {
    let what = match container {
        Container::BzImage { .. } => "bzImage setup header",
        _ => "EFI zboot header",
    };
    if len < 4 || offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(ImageError::Malformed {
            what,
            detail: format!(
                "payload at {offset:#x} of {len} bytes does not fit in the file ({size} bytes)"
            ),
        });
    }
    r.seek(SeekFrom::Start(offset))?;
    let mut data = Vec::new();
    (&mut *r).take(len).read_to_end(&mut data)?;
    let Magic::Compressed(c) = compress::sniff(&data[..data.len().min(compress::MAGIC_LEN)]) else {
        return Err(ImageError::Malformed {
            what,
            detail: format!(
                "the payload at {offset:#x} is in no known compression (it starts with {})",
                hex(&data[..data.len().min(8)])
            ),
        });
    };
    decompressed(&data, c, container, opts)
}

/// A compressed payload: an ELF (two streaming passes), raw BTF, or scanned.
fn decompressed(
    data: &[u8],
    c: Compression,
    container: Container,
    opts: &Options,
) -> Result<Extracted, ImageError> {
    let mut src = Streamed {
        data,
        compression: c,
        limit: opts.limit,
    };
    let mut first = Vec::new();
    {
        let mut input = src.open()?;
        let mut buf = [0u8; compress::MAGIC_LEN];
        while first.len() < buf.len() {
            let n = input.read(&mut buf[..compress::MAGIC_LEN - first.len()])?;
            if n == 0 {
                break;
            }
            first.extend_from_slice(&buf[..n]);
        }
    }
    match compress::sniff(&first) {
        Magic::Elf => {
            let (btf, offset) = elf::btf_section(&mut src)?;
            finish_elf(btf, offset, container, Some(c), opts)
        }
        Magic::Btf => {
            let mut input = src.open()?;
            let mut btf = Vec::new();
            let mut chunk = vec![0u8; 1 << 16];
            loop {
                let n = input.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                btf.extend_from_slice(&chunk[..n]);
            }
            finish_whole(btf, container, Some(c), opts)
        }
        _ => {
            let mut input = src.open()?;
            finish_scan(&mut input, container, Some(c), opts)
        }
    }
}

fn check(btf: &[u8], opts: &Options) -> Result<(), ImageError> {
    crate::module::parse_checked(btf, None, crate::error::Section::Btf, opts.validate)?;
    Ok(())
}

fn finish_whole(
    btf: Vec<u8>,
    container: Container,
    compression: Option<Compression>,
    opts: &Options,
) -> Result<Extracted, ImageError> {
    check(&btf, opts)?;
    Ok(Extracted {
        btf,
        container,
        compression,
        location: Location::Whole,
    })
}

fn finish_elf(
    btf: Vec<u8>,
    offset: u64,
    container: Container,
    compression: Option<Compression>,
    opts: &Options,
) -> Result<Extracted, ImageError> {
    check(&btf, opts)?;
    Ok(Extracted {
        btf,
        container,
        compression,
        location: Location::ElfSection { offset },
    })
}

fn finish_scan(
    input: &mut Input<'_>,
    container: Container,
    compression: Option<Compression>,
    opts: &Options,
) -> Result<Extracted, ImageError> {
    let found = scan::scan(input, opts.limit)?;
    let others = found.blobs.len().saturating_sub(1);
    // The most types; the first of equals.
    let best = found
        .blobs
        .into_iter()
        .reduce(|a, b| if b.types > a.types { b } else { a });
    match best {
        Some(b) => Ok(Extracted {
            btf: b.bytes,
            container,
            compression,
            location: Location::Blob {
                offset: b.offset,
                others,
            },
        }),
        None => Err(ImageError::NoBtfBlob {
            what: match compression {
                Some(c) => format!("{container} ({c} payload)"),
                None => container.to_string(),
            },
            candidates: found.candidates,
        }),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
