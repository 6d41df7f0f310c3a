//! Files, read and written as a careful system tool does; the one place where this
//! crate touches the file system (Linux and other Unix systems).
//!
//! # Reading ([`read`], [`read_from`])
//!
//! The first bytes of an input are checked before anything else is read: raw BTF, an
//! ELF object, or a compressed stream of one ([`compress`](crate::compress)); anything
//! else (`/dev/zero`, a text file) stops at once. An input, and what it decompresses to,
//! may not exceed a size cap ([`compress::DEFAULT_LIMIT`](crate::compress::DEFAULT_LIMIT)
//! unless raised).
//!
//! # Writing: the output policy ([`Output`], [`Staged`], [`commit`])
//!
//! - A regular file (or a path that does not exist yet) is **replaced atomically**: the
//!   new contents go to a temporary file in the same directory, are made durable
//!   (`fsync`, or one `syncfs` for a large batch), and are renamed over the old name;
//!   then the directory is synced. A failure at any point leaves the old file as it was.
//! - A replaced file keeps its **owner, group, mode and extended attributes**
//!   (`security.*` labels included). A file with **several hard links is refused**:
//!   replacing it would split it from its other names.
//! - A **symlink** is followed: the file it names is replaced, the link stays.
//! - A **character or block device or a FIFO** is written through (opened and written,
//!   as `cat > /dev/null` does), never replaced; a **socket** or a **directory** is an
//!   error.
//! - An output that is **the same file** (device and inode, or the same new path) as an
//!   input or another output is refused before anything is written
//!   ([`check_distinct`]).

mod read;
mod write;

pub use read::{read, read_from, Input};
pub use write::{check_distinct, commit, commit_with, Existing, How, Output, Staged, Sync};

use std::path::{Path, PathBuf};

/// A file's identity: device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileId {
    /// The identity of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A file that could not be read or written, and why. Paths in messages are escaped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// An I/O error, with what was being done.
    #[error("{}: {what}: {source}", crate::escape::path(.path))]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`reading`, `writing`, `renaming into place`, ...).
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The input is empty.
    #[error("{}: empty file (no BTF)", crate::escape::path(.0))]
    Empty(PathBuf),
    /// The first bytes are not those of BTF, ELF or a compressed stream.
    #[error("{}: not BTF, an ELF object or a compressed one ({first})", crate::escape::path(.path))]
    Unrecognized {
        /// The file.
        path: PathBuf,
        /// What it starts with: `starts with 00 00 ...`, `its zstd data starts with ...`.
        first: String,
    },
    /// A compressed input that could not be decompressed.
    #[error("{}: {source}", crate::escape::path(.path))]
    Decompress {
        /// The file.
        path: PathBuf,
        /// Why.
        source: crate::compress::DecompressError,
    },
    /// The input is larger than the cap.
    #[error("{}: larger than {limit} bytes (the size cap; --max-input-size raises it)", crate::escape::path(.path))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        limit: u64,
    },
    /// A directory where a file is needed.
    #[error("{}: is a directory", crate::escape::path(.0))]
    IsDirectory(PathBuf),
    /// A socket (or other special file) cannot be an output.
    #[error("{}: is a socket; btfkit writes regular files, devices and FIFOs", crate::escape::path(.0))]
    Socket(PathBuf),
    /// A symlink whose target does not exist.
    #[error("{}: is a symlink to a missing file", crate::escape::path(.0))]
    DanglingSymlink(PathBuf),
    /// A file with several hard links (replacing it would split it from them).
    #[error("{}: has {links} hard links: replacing it would split it from its other names; write a copy with -o instead", crate::escape::path(.path))]
    HardLinked {
        /// The file.
        path: PathBuf,
        /// `st_nlink`.
        links: u64,
    },
    /// An output is the same file as an input or another output.
    #[error("{}: is the same file as {what} {}: refusing to overwrite it", crate::escape::path(.output), crate::escape::path(.other))]
    SameFile {
        /// The output.
        output: PathBuf,
        /// `input`, `the base`, `another output`.
        what: &'static str,
        /// The other path.
        other: PathBuf,
    },
    /// The owner, group, mode or extended attributes of a replaced file could not be
    /// carried over.
    #[error("{}: cannot keep its {what} ({source}); the file was left as it was", crate::escape::path(.path))]
    Metadata {
        /// The file.
        path: PathBuf,
        /// `owner and group`, `mode`, `extended attribute NAME`.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

impl FileError {
    /// An I/O error on `path` while doing `what`.
    pub fn io(path: &Path, what: &'static str, source: std::io::Error) -> FileError {
        FileError::Io {
            path: path.to_path_buf(),
            what,
            source,
        }
    }
}
