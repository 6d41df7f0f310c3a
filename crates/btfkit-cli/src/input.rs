//! Reading inputs as the user names them: raw BTF, ELF objects (`.o`, `.ko`, vmlinux),
//! compressed modules (`.ko.xz`, `.ko.gz`, `.ko.zst`), `/sys/kernel/btf/NAME`, or `-`
//! for standard input (read at most once). The form is detected from the content, never
//! from the file name, by [`btfkit::file::read`]: magic first, size capped.

use anyhow::{bail, Context, Result};
use btfkit::compress::Compression;
use btfkit::escape;
use btfkit::module::open::Blobs;
use btfkit::module::{parse_checked, ModuleError};
use btfkit::Btf;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Where module BTF lives on a running kernel.
const SYSFS_BTF: &str = "/sys/kernel/btf";

/// The cap on inputs and what they decompress to (`--max-input-size`).
static LIMIT: AtomicU64 = AtomicU64::new(btfkit::compress::DEFAULT_LIMIT);

/// Whether standard input was read already.
static STDIN_READ: AtomicBool = AtomicBool::new(false);

/// Sets the input size cap.
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The input size cap.
pub fn limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Refuses more than one `-` among the paths a command will read.
pub fn stdin_at_most_once<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    if paths.into_iter().filter(|p| is_stdin(p)).count() > 1 {
        bail!("standard input (-) can be read only once; name the other inputs as files");
    }
    Ok(())
}

/// Whether `p` names standard input.
pub fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// `label: message`, unless the message names the file already (errors about files
/// start with their path).
pub fn labelled(label: &str, msg: impl std::fmt::Display) -> String {
    let msg = msg.to_string();
    if msg.starts_with(&format!("{label}:")) {
        msg
    } else {
        format!("{label}: {msg}")
    }
}

/// A path for messages: escaped.
pub fn show(p: &Path) -> String {
    escape::path(p).into_owned()
}

/// An input file, read and decompressed.
pub struct Input {
    /// The name to show the user (escaped).
    pub label: String,
    /// The path (None for stdin).
    pub path: Option<PathBuf>,
    /// The decompressed content.
    pub bytes: Vec<u8>,
    /// How the content was compressed.
    pub compression: Option<Compression>,
}

impl Input {
    /// Reads `name` (a path, or `-` for stdin, once) and decompresses it if needed.
    pub fn read(name: &Path) -> Result<Input> {
        if is_stdin(name) {
            if STDIN_READ.swap(true, Ordering::SeqCst) {
                bail!("standard input (-) can be read only once");
            }
            let label = "<stdin>";
            let i = btfkit::file::read_from(std::io::stdin().lock(), Path::new(label), limit())?;
            return Ok(Input {
                label: label.to_string(),
                path: None,
                bytes: i.bytes,
                compression: i.compression,
            });
        }
        let i = btfkit::file::read(name, limit())?;
        Ok(Input {
            label: show(name),
            path: Some(name.to_path_buf()),
            bytes: i.bytes,
            compression: i.compression,
        })
    }

    /// The BTF blob(s) in this input.
    pub fn blobs(&self) -> Result<Blobs<'_>> {
        Blobs::of(&self.bytes).map_err(|e| self.error(e))
    }

    /// A library error about this input, with its label.
    pub fn error(&self, e: ModuleError) -> anyhow::Error {
        anyhow::Error::new(e).context(self.label.clone())
    }

    /// For `/sys/kernel/btf/NAME` other than vmlinux: the base the kernel uses.
    pub fn sysfs_default_base(&self) -> Option<PathBuf> {
        let p = self.path.as_ref()?;
        let dir = p.parent()?;
        if dir == Path::new(SYSFS_BTF) && p.file_name()? != "vmlinux" {
            Some(Path::new(SYSFS_BTF).join("vmlinux"))
        } else {
            None
        }
    }
}

/// A base (vmlinux) BTF named on the command line: raw BTF or a vmlinux ELF, any
/// compression. Its `.BTF` is kept as owned bytes, so one parse serves every module.
pub struct BaseFile {
    /// The name to show the user.
    pub label: String,
    /// The path given.
    pub path: PathBuf,
    btf: Vec<u8>,
}

impl BaseFile {
    /// Reads and decompresses `path`, and takes the `.BTF` of an ELF file.
    pub fn read(path: &Path) -> Result<BaseFile> {
        let input = Input::read(path).with_context(|| format!("reading base {}", show(path)))?;
        let btf = input.blobs()?.btf.into_owned();
        Ok(BaseFile {
            label: input.label,
            path: path.to_path_buf(),
            btf,
        })
    }

    /// The raw `.BTF` bytes.
    pub fn btf_bytes(&self) -> Result<&[u8]> {
        Ok(&self.btf)
    }

    /// Parses it, validating unless told not to.
    pub fn parse(&self, validate: bool) -> Result<Btf<'_>> {
        parse_checked(&self.btf, None, btfkit::error::Section::Btf, validate)
            .map_err(|e| anyhow::Error::new(e).context(self.label.clone()))
    }
}

/// The stem of a module file name: `dummy.ko.xz` → `dummy`, `kvm-intel.btf` → `kvm-intel`.
pub fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in MODULE_SUFFIXES.iter().chain([".btf"].iter()) {
        if let Some(s) = name.strip_suffix(suffix) {
            return s.to_string();
        }
    }
    name
}

/// The names of kernel module files.
pub const MODULE_SUFFIXES: [&str; 4] = [".ko", ".ko.xz", ".ko.gz", ".ko.zst"];

/// Whether `path` is named like a kernel module (`.ko`, compressed or not).
pub fn is_ko(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    MODULE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// What a directory walk collects.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Kernel modules only.
    Modules,
    /// Kernel modules and raw split BTF files (`NAME.btf`).
    ModulesAndBtf,
}

/// Expands directories (recursively, not following symlinked directories, skipping
/// `skip`: an output directory inside the tree) into the files they hold, sorted; files
/// named on the command line are kept as given.
pub fn expand(inputs: &[PathBuf], walk: Walk, skip: Option<&Path>) -> Result<Vec<PathBuf>> {
    fn visit(dir: &Path, walk: Walk, skip: Option<&Path>, out: &mut Vec<PathBuf>) -> Result<()> {
        if skip.is_some() && std::fs::canonicalize(dir).ok().as_deref() == skip {
            return Ok(());
        }
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| format!("reading directory {}", show(dir)))?
            .collect::<std::io::Result<Vec<_>>>()
            .with_context(|| format!("reading directory {}", show(dir)))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            if e.file_type()?.is_dir() {
                visit(&path, walk, skip, out)?;
            } else if is_ko(&path)
                || (walk == Walk::ModulesAndBtf
                    && path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().ends_with(".btf")))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let skip = skip.and_then(|s| std::fs::canonicalize(s).ok());
    let mut out = Vec::new();
    for p in inputs {
        if !is_stdin(p) && p.is_dir() {
            visit(p, walk, skip.as_deref(), &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Relocates `split` (over its distilled base) onto `base`; a failure becomes one error
/// carrying the relocation report (its first 20 problems).
pub fn relocate_error(
    e: &btfkit::relocate::RelocateError,
    label: &str,
    base_label: &str,
) -> anyhow::Error {
    anyhow::anyhow!(
        "{label}: relocating onto {base_label}: {}",
        crate::report::error_text(e, 20)
    )
}

/// `NAME.base` next to a raw split file `NAME` (what `distill --out-dir` writes), if it
/// is there.
pub fn sibling_base(path: &Path) -> Option<PathBuf> {
    if is_stdin(path) {
        return None;
    }
    let name = path.file_name()?.to_string_lossy();
    let sibling = path.with_file_name(format!("{name}.base"));
    sibling.is_file().then_some(sibling)
}

/// How BTF is to be opened: base file, whether to validate.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// `--base`: the base BTF for split input.
    pub base: Option<PathBuf>,
    /// Skip validation (forensics).
    pub no_validate: bool,
}

/// Opens `input` as the user expects ([`btfkit::module::open::with_btf`]: split over
/// `--base` or the sysfs vmlinux, over its own `.BTF.base` relocated onto `--base`, or
/// standalone) and calls `f` with the BTF.
pub fn with_btf<R>(
    input: &Input,
    opts: &OpenOptions,
    f: impl FnOnce(&Btf<'_>) -> Result<R>,
) -> Result<R> {
    let blobs = input.blobs()?;
    let validate = !opts.no_validate;
    let base_path = opts.base.clone().or_else(|| input.sysfs_default_base());
    let base_file = base_path.as_deref().map(BaseFile::read).transpose()?;
    let base = base_file.as_ref().map(|b| b.parse(validate)).transpose()?;
    let base_label = base_file.as_ref().map(|b| b.label.as_str()).unwrap_or("");
    btfkit::module::open::with_btf(&blobs, base.as_ref(), validate, |btf, _| f(btf)).map_err(
        |e| match e {
            ModuleError::Relocate(e) => relocate_error(&e, &input.label, base_label),
            e => input.error(e),
        },
    )?
}
