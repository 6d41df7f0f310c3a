//! Writing results atomically: each file is written to a temporary name in its target
//! directory and renamed into place, so a failed run leaves no partial file behind.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file written under a temporary name, not yet in place. Dropping it removes it.
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Staged {
    /// Writes `bytes` next to `dest` under a temporary name.
    pub fn write(dest: &Path, bytes: &[u8]) -> Result<Staged> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = dest
            .file_name()
            .with_context(|| format!("{}: not a file name", dest.display()))?;
        let tmp = dir.join(format!(
            ".{}.btfkit-{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let staged = Staged {
            tmp,
            dest: dest.to_path_buf(),
            done: false,
        };
        let mut f = std::fs::File::create(&staged.tmp)
            .with_context(|| format!("creating {}", staged.tmp.display()))?;
        // No fsync: the rename makes a failed run leave nothing behind; durability across
        // a power loss is the file system's usual business (fsync per file made a batch of
        // 2,800 modules five times slower).
        f.write_all(bytes)
            .with_context(|| format!("writing {}", staged.tmp.display()))?;
        Ok(staged)
    }

    /// Moves the file into place.
    pub fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("renaming into {}", self.dest.display()))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes every `(path, bytes)` atomically: all files are staged first and only then
/// renamed, so an error while writing any of them leaves none of them behind.
pub fn write_all_atomic(files: &[(&Path, &[u8])]) -> Result<()> {
    let staged = files
        .iter()
        .map(|(p, b)| Staged::write(p, b))
        .collect::<Result<Vec<_>>>()?;
    for s in staged {
        s.commit()?;
    }
    Ok(())
}
