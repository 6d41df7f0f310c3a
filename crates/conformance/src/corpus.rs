//! Locating the real-data corpus (`../shared/corpus`): the path comes from the
//! `BTFKIT_CORPUS` environment variable that `.ci/run` sets.

use std::path::{Path, PathBuf};

/// Name of the environment variable holding the corpus directory.
pub const CORPUS_ENV: &str = "BTFKIT_CORPUS";

/// The corpus directory. When `BTFKIT_CORPUS` is set, the directory must exist and hold
/// the expected files, or this panics: CI must never skip corpus tests silently. When
/// it is unset (a developer machine without the data), returns `None` and prints why.
pub fn dir() -> Option<PathBuf> {
    match std::env::var_os(CORPUS_ENV) {
        Some(p) => {
            let p = PathBuf::from(p);
            let probe = p.join("linux-6.1.0-56-amd64/vmlinux.btf");
            assert!(
                probe.is_file(),
                "{CORPUS_ENV}={} is set but {} is missing: the corpus tests cannot run",
                p.display(),
                probe.display()
            );
            Some(p)
        }
        None => {
            eprintln!("{CORPUS_ENV} is not set: skipping corpus test (CI sets it)");
            None
        }
    }
}

/// The 6.1 kernel's directory inside the corpus.
pub fn linux61(corpus: &Path) -> PathBuf {
    corpus.join("linux-6.1.0-56-amd64")
}

/// The 6.1 kernel's vmlinux BTF.
pub fn vmlinux61(corpus: &Path) -> PathBuf {
    linux61(corpus).join("vmlinux.btf")
}

/// The 6.18 kernel's vmlinux BTF.
pub fn vmlinux618(corpus: &Path) -> PathBuf {
    corpus.join("host-6.18/vmlinux.btf")
}

/// Every module `.btf` file of the 6.1 kernel, sorted by name.
pub fn modules61(corpus: &Path) -> Vec<PathBuf> {
    let dir = linux61(corpus).join("modules");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "btf"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no module .btf files in {}", dir.display());
    v
}

/// Every whole `.ko` file of the 6.1 kernel, sorted by name.
pub fn kos61(corpus: &Path) -> Vec<PathBuf> {
    let dir = linux61(corpus).join("ko");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ko"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .ko files in {}", dir.display());
    v
}
