//! The output policy (see the [module documentation](super)): plan where an output
//! goes, stage it next to its destination with the old file's metadata, commit a batch
//! durably.

use super::{FileError, FileId};
use std::fs::{File, Metadata};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where an output goes, as the policy decides ([`Output::plan`]).
#[derive(Clone, Debug)]
pub struct Output {
    /// The path as given (for messages).
    pub given: PathBuf,
    /// How it is written.
    pub how: How,
}

/// How an [`Output`] is written.
#[derive(Clone, Debug)]
pub enum How {
    /// A regular file, replaced atomically (or created): `path` is where the file is,
    /// symlinks resolved.
    Replace {
        /// The file to replace or create.
        path: PathBuf,
        /// What the file there is now (None: it does not exist yet).
        existing: Option<Existing>,
    },
    /// A character or block device or a FIFO, opened and written through.
    WriteThrough {
        /// The device or FIFO.
        path: PathBuf,
    },
}

/// The metadata of a file an output replaces, carried over to the new file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Existing {
    /// Its identity.
    pub id: FileId,
    /// Permission bits (with setuid, setgid, sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

impl Existing {
    fn of(meta: &Metadata) -> Existing {
        Existing {
            id: FileId::of(meta),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }
}

impl Output {
    /// Decides how `path` is written: see the module documentation. Nothing is written.
    pub fn plan(path: &Path) -> Result<Output, FileError> {
        Ok(Output {
            given: path.to_path_buf(),
            how: plan(path)?,
        })
    }

    /// The path written (symlinks resolved).
    pub fn path(&self) -> &Path {
        match &self.how {
            How::Replace { path, .. } | How::WriteThrough { path } => path,
        }
    }

    /// Stages `bytes` for this output: a temporary file next to a file to replace (with
    /// the old file's owner, group, mode and extended attributes), or the bytes kept
    /// for a device. Nothing visible changes until [`commit`]; dropping the result
    /// removes the temporary file.
    pub fn stage(&self, bytes: &[u8]) -> Result<Staged, FileError> {
        match &self.how {
            How::WriteThrough { path } => Ok(Staged(Inner::Through {
                path: path.clone(),
                bytes: bytes.to_vec(),
            })),
            How::Replace { path, existing } => stage_file(path, existing.as_ref(), bytes),
        }
    }
}

fn plan(path: &Path) -> Result<How, FileError> {
    {
        let lmeta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return new_file(path),
            Err(e) => return Err(FileError::io(path, "looking at the output", e)),
        };
        if lmeta.file_type().is_symlink() {
            return match std::fs::canonicalize(path) {
                Ok(real) => {
                    let meta = std::fs::metadata(&real)
                        .map_err(|e| FileError::io(&real, "looking at the output", e))?;
                    classify(&real, &meta)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(FileError::DanglingSymlink(path.to_path_buf()))
                }
                Err(e) => Err(FileError::io(path, "resolving the symlink", e)),
            };
        }
        classify(path, &lmeta)
    }
}

/// The plan for a path that does not exist: a new file in an existing directory.
fn new_file(path: &Path) -> Result<How, FileError> {
    let name = path
        .file_name()
        .ok_or_else(|| FileError::IsDirectory(path.to_path_buf()))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(parent)
        .map_err(|e| FileError::io(parent, "looking at the output's directory", e))?;
    Ok(How::Replace {
        path: dir.join(name),
        existing: None,
    })
}

fn classify(path: &Path, meta: &Metadata) -> Result<How, FileError> {
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(FileError::IsDirectory(path.to_path_buf()));
    }
    if ft.is_char_device() || ft.is_block_device() || ft.is_fifo() {
        return Ok(How::WriteThrough {
            path: path.to_path_buf(),
        });
    }
    if !ft.is_file() {
        return Err(FileError::Socket(path.to_path_buf()));
    }
    if meta.nlink() > 1 {
        return Err(FileError::HardLinked {
            path: path.to_path_buf(),
            links: meta.nlink(),
        });
    }
    Ok(How::Replace {
        path: path.to_path_buf(),
        existing: Some(Existing::of(meta)),
    })
}

/// Refuses, before anything is written, an output that is the same file as an input
/// (`inputs`: what each is, e.g. `"the input"`, `"the base"`, and its path) or as
/// another output. Devices and FIFOs written through are not files to protect.
pub fn check_distinct(
    inputs: &[(&'static str, &Path)],
    outputs: &[&Output],
) -> Result<(), FileError> {
    let mut ids: Vec<(FileId, &'static str, &Path)> = Vec::new();
    for (what, p) in inputs {
        if let Ok(m) = std::fs::metadata(p) {
            if m.is_file() {
                ids.push((FileId::of(&m), what, p));
            }
        }
    }
    let mut new_paths: Vec<(&PathBuf, &PathBuf)> = Vec::new();
    for out in outputs {
        let How::Replace { path, existing } = &out.how else {
            continue;
        };
        match existing {
            Some(e) => {
                if let Some((_, what, other)) = ids.iter().find(|(id, _, _)| *id == e.id) {
                    return Err(FileError::SameFile {
                        output: out.given.clone(),
                        what,
                        other: other.to_path_buf(),
                    });
                }
                ids.push((e.id, "another output", &out.given));
            }
            None => {
                if let Some((_, other)) = new_paths.iter().find(|(p, _)| *p == path) {
                    return Err(FileError::SameFile {
                        output: out.given.clone(),
                        what: "another output",
                        other: other.to_path_buf(),
                    });
                }
                new_paths.push((path, &out.given));
            }
        }
    }
    Ok(())
}

/// An output staged by [`Output::stage`], not yet in place.
#[derive(Debug)]
pub struct Staged(Inner);

#[derive(Debug)]
enum Inner {
    Temp {
        tmp: PathBuf,
        dest: PathBuf,
        file: File,
        done: bool,
    },
    Through {
        path: PathBuf,
        bytes: Vec<u8>,
    },
}

impl Staged {
    /// The destination.
    pub fn dest(&self) -> &Path {
        match &self.0 {
            Inner::Temp { dest, .. } => dest,
            Inner::Through { path, .. } => path,
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Inner::Temp {
            tmp, done: false, ..
        } = &self.0
        {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn stage_file(dest: &Path, existing: Option<&Existing>, bytes: &[u8]) -> Result<Staged, FileError> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = dest
        .file_name()
        .ok_or_else(|| FileError::IsDirectory(dest.to_path_buf()))?
        .to_string_lossy();
    let (tmp, mut file) = loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.btfkit-{}-{n}.tmp", std::process::id()));
        // 0666 less the umask for a new file; a replaced file's mode is set below.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(FileError::io(
                    dest,
                    "creating a temporary file next to it",
                    e,
                ))
            }
        }
    };
    let staged = Staged(Inner::Temp {
        tmp,
        dest: dest.to_path_buf(),
        file: file
            .try_clone()
            .map_err(|e| FileError::io(dest, "writing", e))?,
        done: false,
    });
    file.write_all(bytes)
        .map_err(|e| FileError::io(dest, "writing", e))?;
    if let Some(old) = existing {
        keep_metadata(&file, dest, old)?;
    }
    Ok(staged)
}

/// Gives `file` (the new contents of `dest`) the owner, group, mode and extended
/// attributes of the file it replaces.
fn keep_metadata(file: &File, dest: &Path, old: &Existing) -> Result<(), FileError> {
    let meta_err = |what: &str, source| FileError::Metadata {
        path: dest.to_path_buf(),
        what: what.to_string(),
        source,
    };
    let now = file
        .metadata()
        .map_err(|e| FileError::io(dest, "writing", e))?;
    // Owner first: chown clears setuid/setgid, which the mode then restores.
    if now.uid() != old.uid || now.gid() != old.gid {
        std::os::unix::fs::fchown(file, Some(old.uid), Some(old.gid))
            .map_err(|e| meta_err("owner and group", e))?;
    }
    file.set_permissions(std::fs::Permissions::from_mode(old.mode))
        .map_err(|e| meta_err("mode", e))?;
    copy_xattrs(file, dest).map_err(|(name, e)| meta_err(&format!("extended attribute {name}"), e))
}

/// Copies every extended attribute of the file at `from` onto `to`; an attribute that
/// `to` already has with the same value is left alone (a default security label, say).
fn copy_xattrs(to: &File, from: &Path) -> Result<(), (String, std::io::Error)> {
    use rustix::io::Errno;
    let names = match read_xattr_buf(|buf| rustix::fs::listxattr(from, buf)) {
        Ok(n) => n,
        Err(e) if e == Errno::NOTSUP || e == Errno::NOSYS => return Ok(()),
        Err(e) => return Err(("list".into(), e.into())),
    };
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let shown = String::from_utf8_lossy(name).into_owned();
        let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name);
        let value = match read_xattr_buf(|buf| rustix::fs::getxattr(from, name, buf)) {
            Ok(v) => v,
            Err(e) if e == Errno::NODATA => continue,
            Err(e) => return Err((shown, e.into())),
        };
        let current = read_xattr_buf(|buf| rustix::fs::fgetxattr(to, name, buf)).ok();
        if current.as_deref() == Some(&value[..]) {
            continue;
        }
        rustix::fs::fsetxattr(to, name, &value, rustix::fs::XattrFlags::empty())
            .map_err(|e| (shown, e.into()))?;
    }
    Ok(())
}

/// Calls an xattr getter with a growing buffer until the value fits.
fn read_xattr_buf(
    mut get: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>,
) -> rustix::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        match get(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(rustix::io::Errno::RANGE) if buf.len() < 1 << 20 => {
                let n = buf.len() * 4;
                buf.resize(n, 0);
            }
            Err(e) => return Err(e),
        }
    }
}

/// From this many files on, [`commit`] syncs each file system once (`syncfs`) instead
/// of each file (`fsync`).
const SYNCFS_FROM: usize = 16;

/// How [`commit_with`] makes staged files durable before renaming them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sync {
    /// `fsync` each file for a few, one `syncfs` per file system for a batch (what
    /// [`commit`] does).
    Auto,
    /// `fsync` each file.
    EachFile,
}

/// Puts staged outputs in place, durably: the staged files are synced (each, or with
/// one `syncfs` per file system for a batch), renamed over their destinations, and
/// their directories synced; devices and FIFOs are then written through. Returns the
/// outputs that failed (an output that failed is left as it was; the others are in
/// place).
pub fn commit(staged: Vec<Staged>) -> Vec<FileError> {
    commit_with(staged, Sync::Auto)
}

/// [`commit`], syncing as `sync` says.
pub fn commit_with(staged: Vec<Staged>, sync: Sync) -> Vec<FileError> {
    let mut errors = Vec::new();
    let mut temps: Vec<Staged> = Vec::new();
    let mut through = Vec::new();
    for s in staged {
        match &s.0 {
            Inner::Temp { .. } => temps.push(s),
            Inner::Through { .. } => through.push(s),
        }
    }
    // 1. Make the new contents durable.
    let mut synced: Vec<bool> = vec![false; temps.len()];
    if sync == Sync::Auto && temps.len() >= SYNCFS_FROM {
        // One syncfs per file system; where it fails, each file is synced below.
        let mut devs: Vec<(u64, bool)> = Vec::new();
        for (s, synced) in temps.iter().zip(&mut synced) {
            let Inner::Temp { file, .. } = &s.0 else {
                unreachable!("only temporary files here")
            };
            let Ok(dev) = file.metadata().map(|m| m.dev()) else {
                continue;
            };
            *synced = match devs.iter().find(|(d, _)| *d == dev) {
                Some(&(_, ok)) => ok,
                None => {
                    let ok = rustix::fs::syncfs(file).is_ok();
                    devs.push((dev, ok));
                    ok
                }
            };
        }
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (s, was_synced) in temps.iter_mut().zip(synced) {
        let Inner::Temp {
            tmp,
            dest,
            file,
            done,
        } = &mut s.0
        else {
            unreachable!("only temporary files here")
        };
        if !was_synced {
            if let Err(e) = file.sync_all() {
                errors.push(FileError::io(dest, "syncing", e));
                continue;
            }
        }
        // 2. Put it in place.
        if let Err(e) = std::fs::rename(&*tmp, &*dest) {
            errors.push(FileError::io(dest, "renaming into place", e));
            continue;
        }
        *done = true;
        // A bare file name's parent is "", which names no directory.
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    // 3. Make the renames durable.
    for dir in dirs {
        if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
            errors.push(FileError::io(&dir, "syncing the directory", e));
        }
    }
    // 4. Devices and FIFOs.
    for s in through {
        let Inner::Through { path, bytes } = &s.0 else {
            unreachable!("only write-through outputs here")
        };
        let r = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes));
        if let Err(e) = r {
            errors.push(FileError::io(path, "writing", e));
        }
    }
    errors
}
