//! Reading inputs as the user names them: raw BTF, ELF objects (`.o`, `.ko`, vmlinux),
//! compressed modules (`.ko.xz`, `.ko.gz`, `.ko.zst`), `/sys/kernel/btf/NAME`, or `-`
//! for stdin. The form is detected from the content, never from the file name.

use anyhow::{bail, Context, Result};
use btfkit::elf::{is_elf, BtfSections};
use btfkit::error::Section;
use btfkit::{Btf, Error};
use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where module BTF lives on a running kernel.
const SYSFS_BTF: &str = "/sys/kernel/btf";

/// An input file, read and decompressed.
pub struct Input {
    /// The name to show the user.
    pub label: String,
    /// The path (None for stdin).
    pub path: Option<PathBuf>,
    /// The decompressed content.
    pub bytes: Vec<u8>,
    /// How the content was wrapped, for messages (`xz`, `gzip`, `zstd`).
    pub compression: Option<&'static str>,
}

/// The BTF blobs found in an input.
pub struct Blobs<'a> {
    /// `.BTF` or the whole raw file.
    pub btf: Cow<'a, [u8]>,
    /// `.BTF.base` of an ELF module.
    pub dist_base: Option<Cow<'a, [u8]>>,
}

fn decompress(bytes: Vec<u8>) -> Result<(Vec<u8>, Option<&'static str>)> {
    if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut &bytes[..], &mut out).context("xz data is corrupt")?;
        return Ok((out, Some("xz")));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .context("gzip data is corrupt")?;
        return Ok((out, Some("gzip")));
    }
    if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut out = Vec::new();
        ruzstd::decoding::StreamingDecoder::new(&bytes[..])
            .context("zstd data is corrupt")?
            .read_to_end(&mut out)
            .context("zstd data is corrupt")?;
        return Ok((out, Some("zstd")));
    }
    Ok((bytes, None))
}

/// Compresses `bytes` the way [`decompress`] names it (`xz`, `gzip`, `zstd`), so that a
/// rewritten module keeps the compression it was read with; `None` returns the bytes
/// as they are.
///
/// - gzip: flate2 (pure Rust), default level.
/// - zstd: ruzstd's encoder at its only implemented level (about zstd -1).
/// - xz: lzma-rs, whose encoder stores the data in uncompressed LZMA2 chunks with no
///   integrity check: a valid `.xz` that every decoder (xz, kmod's liblzma, the kernel's
///   in-kernel module decompressor) reads, but about as large as the data itself.
pub fn compress(bytes: &[u8], compression: Option<&str>) -> Result<Vec<u8>> {
    use std::io::Write;
    match compression {
        None => Ok(bytes.to_vec()),
        Some("xz") => {
            // As kbuild compresses modules: CRC32 check (what the kernel's own module
            // decompressor verifies), LZMA2 at the default preset.
            let mut opts = lzma_rust2::XzOptions::with_preset(6);
            opts.set_check_sum_type(lzma_rust2::CheckType::Crc32);
            let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).context("xz compression")?;
            w.write_all(bytes).context("xz compression")?;
            w.finish().context("xz compression")
        }
        Some("gzip") => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(bytes).context("gzip compression")?;
            enc.finish().context("gzip compression")
        }
        Some("zstd") => Ok(ruzstd::encoding::compress_to_vec(
            bytes,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
        Some(other) => bail!("cannot write {other} compression"),
    }
}

impl Input {
    /// Reads `name` (a path, or `-` for stdin) and decompresses it if needed.
    pub fn read(name: &Path) -> Result<Input> {
        let (raw, path) = if name.as_os_str() == "-" {
            let mut v = Vec::new();
            std::io::stdin()
                .read_to_end(&mut v)
                .context("reading standard input")?;
            (v, None)
        } else {
            let v = std::fs::read(name).with_context(|| format!("reading {}", name.display()))?;
            (v, Some(name.to_path_buf()))
        };
        let label = if path.is_some() {
            name.display().to_string()
        } else {
            "<stdin>".to_string()
        };
        let (bytes, compression) =
            decompress(raw).with_context(|| format!("decompressing {label}"))?;
        Ok(Input {
            label,
            path,
            bytes,
            compression,
        })
    }

    /// The BTF blob(s) in this input.
    pub fn blobs(&self) -> Result<Blobs<'_>> {
        if is_elf(&self.bytes) {
            let s = BtfSections::parse(&self.bytes)
                .with_context(|| format!("{}: reading ELF sections", self.label))?;
            return Ok(Blobs {
                btf: s.btf,
                dist_base: s.base,
            });
        }
        Ok(Blobs {
            btf: Cow::Borrowed(&self.bytes),
            dist_base: None,
        })
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

/// Whether a raw blob looks like split BTF: its string section does not start with the
/// empty string (base BTF always does), or is empty.
pub fn looks_split(blob: &[u8]) -> bool {
    match btfkit::read::Header::parse(blob) {
        Ok(h) => {
            let at = h.hdr_len as usize + h.str_off as usize;
            h.str_len == 0 || blob.get(at).is_some_and(|&b| b != 0)
        }
        Err(_) => false,
    }
}

/// How BTF is to be opened: base file, whether to validate.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// `--base`: the base BTF for split input.
    pub base: Option<PathBuf>,
    /// Skip validation (forensics).
    pub no_validate: bool,
}

/// A validation or parse failure of a named blob.
#[derive(Debug)]
pub struct Invalid {
    /// Which file (and blob) failed.
    pub label: String,
    /// Every problem found.
    pub errors: Vec<Error>,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: invalid BTF: {}", self.label, self.errors[0])?;
        if self.errors.len() > 1 {
            write!(
                f,
                " (and {} more problems; `btfkit validate` lists them)",
                self.errors.len() - 1
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

/// Parses (and unless disabled, validates) `blob`; an error carries every problem.
pub fn parse_checked<'a>(
    blob: &'a [u8],
    base: Option<&'a Btf<'a>>,
    section: Section,
    label: &str,
    validate: bool,
) -> std::result::Result<Btf<'a>, Invalid> {
    let parsed = match base {
        Some(b) => Btf::parse_split(blob, b),
        None => Btf::parse(blob),
    };
    let btf = parsed.map_err(|e| Invalid {
        label: label.to_string(),
        errors: vec![e.in_section(section)],
    })?;
    if validate {
        let errors: Vec<Error> = btfkit::validate::validate(&btf)
            .into_iter()
            .map(|e| e.in_section(section))
            .collect();
        if !errors.is_empty() {
            return Err(Invalid {
                label: label.to_string(),
                errors,
            });
        }
    }
    Ok(btf)
}

/// Opens the base named by `--base` (any input form; an ELF file's `.BTF`).
pub fn read_base(path: &Path) -> Result<Input> {
    Input::read(path).with_context(|| format!("reading base {}", path.display()))
}

/// A base (vmlinux) BTF named on the command line: raw BTF or a vmlinux ELF, any
/// compression. Its `.BTF` is kept as owned bytes, so one parse serves every module.
pub struct BaseFile {
    /// The name to show the user.
    pub label: String,
    btf: Vec<u8>,
}

impl BaseFile {
    /// Reads and decompresses `path`, and takes the `.BTF` of an ELF file.
    pub fn read(path: &Path) -> Result<BaseFile> {
        let input = read_base(path)?;
        let btf = if is_elf(&input.bytes) {
            input.blobs()?.btf.into_owned()
        } else {
            input.bytes
        };
        Ok(BaseFile {
            label: input.label,
            btf,
        })
    }

    /// Parses it, validating unless told not to.
    pub fn parse(&self, validate: bool) -> Result<Btf<'_>> {
        Ok(parse_checked(
            &self.btf,
            None,
            Section::Btf,
            &self.label,
            validate,
        )?)
    }
}

/// Opens `input` as the user expects and calls `f` with the resulting BTF: split over
/// `--base` (or the sysfs vmlinux, or the module's own `.BTF.base`), or standalone.
pub fn with_btf<R>(
    input: &Input,
    opts: &OpenOptions,
    f: impl FnOnce(&Btf<'_>) -> Result<R>,
) -> Result<R> {
    let blobs = input.blobs()?;
    let validate = !opts.no_validate;
    let base_path = opts.base.clone().or_else(|| input.sysfs_default_base());

    if let Some(dist) = &blobs.dist_base {
        let label = format!("{} (.BTF.base)", input.label);
        let dist_base = parse_checked(dist, None, Section::BtfBase, &label, validate)?;
        let split = parse_checked(
            &blobs.btf,
            Some(&dist_base),
            Section::Btf,
            &input.label,
            validate,
        )?;
        let Some(bp) = base_path else {
            return f(&split);
        };
        // Relocate onto --base first, as libbpf's btf_parse_elf does.
        let base_input = BaseFile::read(&bp)?;
        let base = base_input.parse(validate)?;
        let relocated = relocate_onto(&split, &base, &input.label, &base_input.label)?;
        let btf = parse_checked(
            &relocated.split,
            Some(&base),
            Section::Btf,
            &input.label,
            validate,
        )?;
        return f(&btf);
    }

    match base_path {
        Some(bp) => {
            let base_input = BaseFile::read(&bp)?;
            let base = base_input.parse(validate)?;
            let btf = parse_checked(
                &blobs.btf,
                Some(&base),
                Section::Btf,
                &input.label,
                validate,
            )?;
            f(&btf)
        }
        None => {
            if looks_split(&blobs.btf) {
                bail!(
                    "{}: this is split BTF (module BTF): its string section does not start \
                     with the empty string; pass the vmlinux BTF it was built against with --base",
                    input.label
                );
            }
            let btf = parse_checked(&blobs.btf, None, Section::Btf, &input.label, validate)?;
            f(&btf)
        }
    }
}

/// A module's split BTF and the distilled base it refers to, read from a `.ko` (its
/// `.BTF` and `.BTF.base`) or from a raw split file and a raw distilled base (given, or
/// found next to it as `NAME.btf.base`).
pub struct DistilledInput {
    /// The module input (`.ko` or raw split).
    pub module: Input,
    /// The raw distilled base, when not inside the module file.
    pub dist_base: Option<Input>,
}

impl DistilledInput {
    /// Reads `path`, and its distilled base from `dist_base` or next to it.
    pub fn read(path: &Path, dist_base: Option<&Path>) -> Result<DistilledInput> {
        let module = Input::read(path)?;
        let has_own = module.blobs()?.dist_base.is_some();
        let dist_base = match (has_own, dist_base) {
            (true, None) => None,
            (true, Some(_)) => bail!(
                "{}: has its own .BTF.base; --dist-base is for raw split files",
                module.label
            ),
            (false, Some(p)) => Some(Input::read(p)?),
            (false, None) => {
                let sibling = path.with_file_name(format!(
                    "{}.base",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ));
                if !sibling.is_file() {
                    bail!(
                        "{}: has no .BTF.base (it is not distilled; `btfkit distill` makes one), and no {} next to it",
                        module.label,
                        sibling.display()
                    );
                }
                Some(Input::read(&sibling)?)
            }
        };
        Ok(DistilledInput { module, dist_base })
    }

    /// Parses (and unless disabled, validates) the distilled base and the split over it,
    /// and calls `f` with the split.
    pub fn with_split<R>(
        &self,
        validate: bool,
        f: impl FnOnce(&Btf<'_>) -> Result<R>,
    ) -> Result<R> {
        let blobs = self.module.blobs()?;
        let dist_blobs = self.dist_base.as_ref().map(|d| d.blobs()).transpose()?;
        let (dist, dist_label) = match (&blobs.dist_base, &dist_blobs) {
            (Some(d), _) => (&d[..], format!("{} (.BTF.base)", self.module.label)),
            (None, Some(d)) => (
                &d.btf[..],
                self.dist_base
                    .as_ref()
                    .map(|i| i.label.clone())
                    .unwrap_or_default(),
            ),
            (None, None) => bail!("{}: no distilled base", self.module.label),
        };
        let dist_base = parse_checked(dist, None, Section::BtfBase, &dist_label, validate)?;
        let split = parse_checked(
            &blobs.btf,
            Some(&dist_base),
            Section::Btf,
            &self.module.label,
            validate,
        )?;
        f(&split)
    }
}

/// The stem of a module file name: `dummy.ko.xz` → `dummy`, `kvm-intel.btf` → `kvm-intel`.
pub fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [".ko.xz", ".ko.gz", ".ko.zst", ".ko", ".btf"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return s.to_string();
        }
    }
    name
}

fn is_module_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [".ko", ".ko.xz", ".ko.gz", ".ko.zst", ".btf"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Expands directories (recursively, not following symlinked directories) into the
/// module files they hold, sorted; files are kept as given.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| format!("reading directory {}", dir.display()))?
            .collect::<std::io::Result<Vec<_>>>()
            .with_context(|| format!("reading directory {}", dir.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let ty = e.file_type()?;
            let p = e.path();
            if ty.is_dir() {
                walk(&p, out)?;
            } else if is_module_file(&p) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Relocates `split` (over its distilled base) onto `base`; a failure becomes one error
/// carrying the relocation report (its first 20 problems).
pub fn relocate_onto(
    split: &Btf<'_>,
    base: &Btf<'_>,
    label: &str,
    base_label: &str,
) -> Result<btfkit::relocate::Relocated> {
    btfkit::relocate::relocate(split, base, Default::default()).map_err(|e| {
        anyhow::anyhow!(
            "{label}: relocating onto {base_label}: {}",
            crate::report::error_text(&e, 20)
        )
    })
}
