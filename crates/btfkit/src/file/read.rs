//! Reading an input: magic first, then at most the cap, then decompression (at most the
//! cap again).

use super::{FileError, FileId};
use crate::compress::{self, Compression, Magic, MAGIC_LEN};
use std::io::Read;
use std::path::{Path, PathBuf};

/// An input, read and decompressed.
#[derive(Debug)]
pub struct Input {
    /// The decompressed contents: raw BTF or an ELF object.
    pub bytes: Vec<u8>,
    /// How the file was compressed.
    pub compression: Option<Compression>,
    /// The file's identity (None for a stream).
    pub id: Option<FileId>,
}

/// Reads `path` (following symlinks): raw BTF, an ELF object, or one of them compressed;
/// the file and its decompressed contents at most `limit` bytes each.
pub fn read(path: &Path, limit: u64) -> Result<Input, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::io(path, "reading", e))?;
    let meta = file
        .metadata()
        .map_err(|e| FileError::io(path, "reading", e))?;
    if meta.is_dir() {
        return Err(FileError::IsDirectory(path.to_path_buf()));
    }
    // sysfs files report a size that need not be theirs; only regular files are checked
    // up front (the cap applies to every read below as well).
    if meta.is_file() && meta.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut input = read_from(file, path, limit)?;
    input.id = Some(FileId::of(&meta));
    Ok(input)
}

/// Reads a stream (standard input, say) as [`read`] reads a file; `label` names it in
/// errors.
pub fn read_from(mut r: impl Read, label: &Path, limit: u64) -> Result<Input, FileError> {
    let path = || label.to_path_buf();
    let io = |e| FileError::io(label, "reading", e);
    let mut raw = Vec::new();
    (&mut r)
        .take(MAGIC_LEN as u64)
        .read_to_end(&mut raw)
        .map_err(io)?;
    let compression = match compress::sniff(&raw) {
        Magic::Btf | Magic::Elf => None,
        Magic::Compressed(c) => Some(c),
        Magic::Unknown if raw.is_empty() => return Err(FileError::Empty(path())),
        Magic::Unknown => {
            return Err(FileError::Unrecognized {
                path: path(),
                first: format!("starts with {}", hex(&raw)),
            })
        }
    };
    r.take(limit.saturating_add(1).saturating_sub(raw.len() as u64))
        .read_to_end(&mut raw)
        .map_err(io)?;
    if raw.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path(),
            limit,
        });
    }
    let Some(c) = compression else {
        return Ok(Input {
            bytes: raw,
            compression: None,
            id: None,
        });
    };
    let bytes =
        compress::decompress_checked(&raw, c, limit, |first: &[u8]| {
            match compress::sniff(first) {
                Magic::Btf | Magic::Elf => Ok(()),
                Magic::Unknown if first.is_empty() => Err(FileError::Empty(path())),
                _ => Err(FileError::Unrecognized {
                    path: path(),
                    first: format!("its {c} data starts with {}", hex(first)),
                }),
            }
        })
        .map_err(|e| match e {
            FileError::Decompress { source, .. } => FileError::Decompress {
                path: path(),
                source,
            },
            e => e,
        })?;
    Ok(Input {
        bytes,
        compression: Some(c),
        id: None,
    })
}

impl From<compress::DecompressError> for FileError {
    fn from(source: compress::DecompressError) -> Self {
        // The path is filled in by the caller (see `read_from`).
        FileError::Decompress {
            path: PathBuf::new(),
            source,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_bytes(b: &[u8], limit: u64) -> Result<Input, FileError> {
        read_from(b, Path::new("t"), limit)
    }

    #[test]
    fn magic_first() {
        assert!(matches!(
            read_bytes(&[0u8; 64], 1 << 20),
            Err(FileError::Unrecognized { .. })
        ));
        assert!(matches!(read_bytes(b"", 10), Err(FileError::Empty(_))));
        assert!(matches!(
            read_bytes(b"BZh91AY&SY", 100),
            Err(FileError::Decompress {
                source: compress::DecompressError::Corrupt {
                    compression: Compression::Bzip2,
                    ..
                },
                ..
            })
        ));
        let elf = b"\x7fELF rest of it";
        let got = read_bytes(elf, 100).unwrap();
        assert_eq!(got.bytes, elf);
        assert!(matches!(
            read_bytes(elf, 8),
            Err(FileError::TooLarge { limit: 8, .. })
        ));
    }

    #[test]
    fn an_endless_stream_stops_at_the_magic() {
        let zeros = std::io::repeat(0);
        assert!(matches!(
            read_from(zeros, Path::new("/dev/zero"), u64::MAX),
            Err(FileError::Unrecognized { .. })
        ));
        let elf = std::io::Read::chain(&b"\x7fELF"[..], std::io::repeat(0));
        assert!(matches!(
            read_from(elf, Path::new("x"), 1 << 16),
            Err(FileError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_bomb_stops_at_the_inner_magic_or_the_cap() {
        let zeros = vec![0u8; 4 << 20];
        for c in Compression::ALL {
            let z = compress::compress_for_tests(&zeros, c);
            match read_bytes(&z, u64::MAX) {
                Err(FileError::Unrecognized { first, .. }) => assert!(first.contains(c.name())),
                other => panic!("{c}: {other:?}"),
            }
            let mut elf = b"\x7fELF".to_vec();
            elf.extend_from_slice(&zeros);
            let z = compress::compress_for_tests(&elf, c);
            if c == Compression::Lzo {
                // Test lzo is stored blocks, no bomb: the file itself passes the cap.
                assert!(matches!(
                    read_bytes(&z, 1 << 20),
                    Err(FileError::TooLarge { .. })
                ));
                continue;
            }
            match read_bytes(&z, 1 << 20) {
                Err(FileError::Decompress {
                    source: compress::DecompressError::TooLarge { .. },
                    path,
                }) => assert_eq!(path, Path::new("t")),
                other => panic!("{c}: {other:?}"),
            }
            let got = read_bytes(&z, 8 << 20).unwrap();
            assert_eq!(got.bytes, elf);
            assert_eq!(got.compression, Some(c));
        }
    }
}
