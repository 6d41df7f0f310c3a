//! `btfkit distill`: replace a module's dependence on one exact vmlinux by a small
//! distilled base (`.BTF.base`), one module or a whole tree in parallel: as raw files
//! (`--out-base`/`--out-split`, `--out-dir`), or written into the `.ko` itself (`-o`,
//! `--in-place`).
//!
//! This file also holds the module-rewriting machinery that `strip` and `retarget`
//! share: read a `.ko` (any compression), patch it in memory with
//! [`btfkit::elf::patch`], compress it back the same way and replace the target
//! atomically; one file, or a tree in parallel with a progress bar and a summary.

use crate::input::{compress, expand, parse_checked, stem, BaseFile, Input};
use crate::output::{write_all_atomic, Staged};
use anyhow::{bail, Context, Result};
use btfkit::elf::btf_ids;
use btfkit::elf::patch::{self, Patched};
use btfkit::elf::{BtfSections, ElfError, ModuleSignature};
use btfkit::error::Section;
use btfkit::sort::Order;
use btfkit::Btf;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Distill module BTF: a new split BTF over a small distilled base.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  btfkit distill --base vmlinux.btf dummy.ko --out-base dummy.btf.base --out-split dummy.btf
  btfkit distill --base /sys/kernel/btf/vmlinux --out-dir out/ /lib/modules/$(uname -r)/kernel
  btfkit distill --base vmlinux.btf dummy.ko.xz -o dummy-distilled.ko.xz
  btfkit distill --base vmlinux.btf --in-place modules/

With -o or --in-place the module's .BTF becomes the distilled split BTF and a .BTF.base
section is added; every other section keeps its bytes and index. --in-place keeps each
file's compression; -o OUT compresses as OUT's name says (.ko: none, .ko.xz, .ko.gz,
.ko.zst), or as the input was for other names. A module signature appended to the input is
dropped (it would no longer match): re-sign the module if the kernel enforces signatures.
Modules that already have .BTF.base, or have no .BTF, are left as they are in a tree.

A module's .BTF_ids (the type ids of its kfunc sets and BTF_ID_LISTs, which the kernel
reads in the module's id space) are rewritten in the same patch, sets re-sorted as
resolve_btfids leaves them; the vmlinux types they name are kept like referenced ones. A
module whose .BTF_ids name a vmlinux function, or do not match its .BTF to begin with, is
refused and left as it is (`btfkit ids` lists the entries).

Exit status: 0 when every module was distilled, 1 when one failed, 2 on usage or I/O errors.")]
pub struct Opts {
    /// The vmlinux BTF the modules were built against (raw, ELF, any compression).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: PathBuf,
    /// Where to write the distilled base (one input).
    #[arg(
        long,
        value_name = "FILE",
        requires = "out_split",
        conflicts_with = "out_dir"
    )]
    out_base: Option<PathBuf>,
    /// Where to write the new split BTF (one input).
    #[arg(
        long,
        value_name = "FILE",
        requires = "out_base",
        conflicts_with = "out_dir"
    )]
    out_split: Option<PathBuf>,
    /// Batch mode: write DIR/<stem>.btf and DIR/<stem>.btf.base for every input.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "in_place"])]
    out_dir: Option<PathBuf>,
    /// Write the module (one .ko input) with its new .BTF and .BTF.base to OUT
    /// (compressed as OUT's name says: .ko none, .xz, .gz, .zst; else as the input).
    #[arg(
        long,
        short = 'o',
        value_name = "OUT",
        conflicts_with_all = ["out_base", "out_split", "in_place"]
    )]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place (atomically: a failure leaves them as they were);
    /// directories are searched recursively for *.ko, *.ko.xz, *.ko.gz, *.ko.zst.
    #[arg(long, conflicts_with_all = ["out_base", "out_split"])]
    in_place: bool,
    /// Which bytes to write: `kernel` as Linux 6.19+'s build (resolve_btfids: types sorted
    /// by name, 32-byte header), `libbpf` as libbpf 1.7's btf__distill_base; `auto`: kernel
    /// when BASE is sorted by name (built by Linux 6.19 or later), else libbpf.
    #[arg(long, value_name = "ORDER", default_value = "auto")]
    order: Order,
    /// Skip validating the inputs (forensics).
    #[arg(long)]
    no_validate: bool,
    /// Module BTF: raw split BTF, .ko (any compression), sysfs file; with --out-dir or
    /// --in-place also directories, searched recursively for module files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// What distilling one module produced.
struct Outcome {
    bytes_in: usize,
    split_out: usize,
    base_out: usize,
    btf_ids: bool,
}

/// What the raw outputs of a module with `.BTF_ids` cannot do.
const RAW_BTF_IDS_NOTE: &str = "has .BTF_ids: the raw outputs keep the vmlinux types its \
     entries name, but only -o/--in-place rewrites the ids themselves (a module given this \
     .BTF and .BTF.base with its old .BTF_ids fails to load)";

/// Distills one input to raw outputs; `bool`: it is a module with `.BTF_ids`, whose
/// named vmlinux types were kept (as `-o` keeps them).
fn distill_one(
    base: &Btf<'_>,
    path: &Path,
    validate: bool,
    order: Order,
) -> Result<(btfkit::distill::Distilled, usize, bool)> {
    let input = Input::read(path)?;
    let blobs = input.blobs()?;
    if blobs.dist_base.is_some() {
        bail!("already has a .BTF.base (it is distilled)");
    }
    let split = parse_checked(&blobs.btf, Some(base), Section::Btf, &input.label, validate)?;
    let ids = if btfkit::elf::is_elf(&input.bytes) {
        super::ids::read_for_rewrite(&input.bytes, &split)?
    } else {
        None
    };
    let d = match &ids {
        Some(ids) => distill_with_btf_ids(&split, ids, order)?.0,
        None => btfkit::distill::distill_ordered(&split, &[], order)?,
    };
    Ok((d, blobs.btf.len(), ids.is_some()))
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let base_input = BaseFile::read(&self.base)?;
        let base = base_input.parse(!self.no_validate)?;

        if self.out.is_some() || self.in_place {
            let target = Target::new(self.out.clone(), self.in_place, &self.inputs)?;
            let validate = !self.no_validate;
            let order = self.order;
            let job =
                |input: &Input, batch: bool| distill_module(&base, input, validate, batch, order);
            return run_modules("distilled", &target, &self.inputs, &job);
        }
        if let (Some(out_base), Some(out_split)) = (&self.out_base, &self.out_split) {
            if self.inputs.len() != 1 || self.inputs[0].is_dir() {
                bail!("--out-base/--out-split take exactly one input file; use --out-dir for many");
            }
            let (d, _, btf_ids) =
                distill_one(&base, &self.inputs[0], !self.no_validate, self.order)
                    .with_context(|| format!("distilling {}", self.inputs[0].display()))?;
            write_all_atomic(&[(out_base, &d.base), (out_split, &d.split)])?;
            if btf_ids {
                eprintln!("{}: {RAW_BTF_IDS_NOTE}", self.inputs[0].display());
            }
            eprintln!(
                "{}: {} types in the distilled base ({} bytes), {} base types copied into the split ({} bytes)",
                self.inputs[0].display(),
                d.base_types,
                d.base.len(),
                d.copied_types,
                d.split.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let Some(out_dir) = &self.out_dir else {
            bail!("give -o OUT.ko or --in-place to rewrite modules, --out-base and --out-split for raw files, or --out-dir for many");
        };
        self.run_batch(&base, out_dir)
    }

    fn run_batch(&self, base: &Btf<'_>, out_dir: &Path) -> Result<ExitCode> {
        let files = expand(&self.inputs)?;
        if files.is_empty() {
            bail!("no module files (*.ko, *.ko.xz, *.ko.gz, *.ko.zst, *.btf) in the inputs");
        }
        let mut seen: HashMap<String, &PathBuf> = HashMap::new();
        for f in &files {
            if let Some(prev) = seen.insert(stem(f), f) {
                bail!(
                    "{} and {} would both be written as {}.btf in {}",
                    prev.display(),
                    f.display(),
                    stem(f),
                    out_dir.display()
                );
            }
        }
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("creating {}", out_dir.display()))?;

        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} modules {elapsed} {msg}")
                .expect("valid template"),
        );
        let validate = !self.no_validate;
        let results: Vec<(PathBuf, Result<Outcome>)> = files
            .par_iter()
            .map(|path| {
                let r = distill_one(base, path, validate, self.order).and_then(
                    |(d, bytes_in, btf_ids)| {
                        let s = stem(path);
                        let split_path = out_dir.join(format!("{s}.btf"));
                        let base_path = out_dir.join(format!("{s}.btf.base"));
                        write_all_atomic(&[(&base_path, &d.base), (&split_path, &d.split)])?;
                        Ok(Outcome {
                            bytes_in,
                            split_out: d.split.len(),
                            base_out: d.base.len(),
                            btf_ids,
                        })
                    },
                );
                bar.inc(1);
                (path.clone(), r)
            })
            .collect();
        bar.finish_and_clear();

        let (mut ok, mut failed) = (0usize, 0usize);
        let (mut bytes_in, mut split_out, mut base_out) = (0usize, 0usize, 0usize);
        for (path, r) in &results {
            match r {
                Ok(o) => {
                    ok += 1;
                    if o.btf_ids {
                        eprintln!("{}: {RAW_BTF_IDS_NOTE}", path.display());
                    }
                    bytes_in += o.bytes_in;
                    split_out += o.split_out;
                    base_out += o.base_out;
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("{}: {:#}", path.display(), e);
                }
            }
        }
        eprintln!(
            "distilled {ok} of {} modules ({failed} failed): .BTF {bytes_in} bytes in, {split_out} bytes of split BTF and {base_out} bytes of distilled base out, in {}",
            files.len(),
            out_dir.display()
        );
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// Distills one module's `.BTF` over `base` and writes the result into its ELF image.
fn distill_module(
    base: &Btf<'_>,
    input: &Input,
    validate: bool,
    batch: bool,
    order: Order,
) -> Result<Step> {
    let secs = match BtfSections::parse(&input.bytes) {
        Ok(s) => s,
        Err(ElfError::NoBtf) if batch => return Ok(Step::Skip("no .BTF section".into())),
        Err(e) => return Err(e).context("reading the ELF sections"),
    };
    if secs.base.is_some() {
        if batch {
            return Ok(Step::Skip("already distilled (has .BTF.base)".into()));
        }
        bail!(
            "already has a .BTF.base: it is distilled already (distill needs the plain split \
             BTF built against --base; `btfkit relocate` and `btfkit retarget` take distilled modules)"
        );
    }
    let split = parse_checked(&secs.btf, Some(base), Section::Btf, &input.label, validate)?;
    // .BTF_ids (kfunc sets, BTF_ID_LISTs) hold ids of the old id space: rewritten in the
    // same patch, keeping the vmlinux types they name, or the module fails to load.
    let Some(ids) = super::ids::read_for_rewrite(&input.bytes, &split)? else {
        let d = btfkit::distill::distill_ordered(&split, &[], order)?;
        let p = patch::set_btf(&input.bytes, &d.split, Some(&d.base))
            .context("rewriting the ELF sections")?;
        check_readback(&p.elf, &d.split, Some(&d.base))?;
        return Ok(Step::Patched(p, distill_detail(&d, secs.btf.len())));
    };
    let roots = ids.roots(&split).len();
    let (d, section) = distill_with_btf_ids(&split, &ids, order)?;
    let mut edits = patch::Patch::new();
    edits
        .set(".BTF", &d.split)
        .set(".BTF.base", &d.base)
        .replace(btf_ids::SECTION, &section);
    let p = edits
        .apply(&input.bytes)
        .context("rewriting the ELF sections")?;
    check_readback(&p.elf, &d.split, Some(&d.base))?;
    let db = Btf::parse(&d.base)?;
    let ds = Btf::parse_split(&d.split, &db)?;
    super::ids::check_rewritten(&p.elf, &section, &ds, Some)?;
    let detail = distill_detail(&d, secs.btf.len()) + &super::ids::rewrite_note(&ids, roots);
    Ok(Step::Patched(p, detail))
}

/// [`btf_ids::distill`]: distills keeping the vmlinux types `.BTF_ids` name, and
/// rewrites it. An entry a distilled base cannot express (a vmlinux FUNC) is a refusal
/// naming it.
pub(crate) fn distill_with_btf_ids(
    split: &Btf<'_>,
    ids: &btf_ids::BtfIds,
    order: Order,
) -> Result<(btfkit::distill::Distilled, Vec<u8>)> {
    btf_ids::distill_ordered(split, ids, order).map_err(|e| match e {
        e @ (btf_ids::BtfIdsError::Distill(_) | btf_ids::BtfIdsError::LostInDistill { .. }) => {
            anyhow::Error::new(Refusal(e.to_string()))
        }
        e => anyhow::Error::new(e),
    })
}

fn distill_detail(d: &btfkit::distill::Distilled, was: usize) -> String {
    format!(
        "distilled ({} order): {} types in .BTF.base ({} bytes), {} base types copied into .BTF ({} bytes, was {was})",
        d.order,
        d.base_types,
        d.base.len(),
        d.copied_types,
        d.split.len(),
    )
}

// ---------------------------------------------------------------------------------------
// Rewriting module files: shared by `distill`, `retarget` and `strip`.

/// Where rewritten modules go.
pub(crate) enum Target {
    /// One module, written to this file.
    Out(PathBuf),
    /// Every module replaces its input file.
    InPlace,
}

impl Target {
    /// From `-o OUT` / `--in-place`, checked against the inputs.
    pub(crate) fn new(out: Option<PathBuf>, in_place: bool, inputs: &[PathBuf]) -> Result<Target> {
        if inputs.iter().any(|p| p.as_os_str() == "-") {
            bail!("-o and --in-place rewrite module files; standard input cannot be one");
        }
        match (out, in_place) {
            (Some(o), false) => {
                if inputs.len() != 1 || inputs[0].is_dir() {
                    bail!("-o takes exactly one module file; use --in-place for several or for a directory");
                }
                Ok(Target::Out(o))
            }
            (None, true) => Ok(Target::InPlace),
            (Some(_), true) => bail!("-o and --in-place exclude each other"),
            (None, false) => bail!("give -o OUT or --in-place"),
        }
    }
}

/// What a command does to one module (its decompressed bytes in `Input`).
pub(crate) enum Step {
    /// The rewritten module, and what was done, for the user.
    Patched(Patched, String),
    /// The module is left as it is, for this reason.
    Skip(String),
}

/// A "no" rather than an error (the module does not relocate onto the new base, say):
/// exit status 1, also for one module.
#[derive(Debug)]
pub(crate) struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// A command's work on one module; `bool` is true in batch (tree) mode, where modules
/// that need nothing are skipped rather than refused.
pub(crate) type Job<'a> = dyn Fn(&Input, bool) -> Result<Step> + Sync + 'a;

/// Checks that `elf` reads back with exactly these BTF sections.
pub(crate) fn check_readback(elf: &[u8], btf: &[u8], base: Option<&[u8]>) -> Result<()> {
    let s = BtfSections::parse(elf).context("reading back the rewritten module")?;
    if s.btf.as_ref() != btf || s.base.as_deref() != base {
        bail!("internal error: the rewritten module does not read back as written");
    }
    Ok(())
}

/// What happened to one file.
enum Written {
    Yes {
        detail: String,
        signature: Option<ModuleSignature>,
        other_trailing: usize,
        dest: PathBuf,
        compression: Option<&'static str>,
    },
    Skipped {
        reason: String,
        /// `-o`: the input was copied there unchanged.
        copied_to: Option<PathBuf>,
    },
}

fn rewrite_one(path: &Path, out: Option<&Path>, batch: bool, job: &Job<'_>) -> Result<Written> {
    let input = Input::read(path)?;
    if !btfkit::elf::is_elf(&input.bytes) {
        bail!("not an ELF file: a kernel module (.ko, possibly compressed) is needed");
    }
    let step = job(&input, batch)?;
    match step {
        Step::Skip(reason) => {
            if let Some(o) = out {
                let raw =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                write_all_atomic(&[(o, &raw)])?;
            }
            Ok(Written::Skipped {
                reason,
                copied_to: out.map(Path::to_path_buf),
            })
        }
        Step::Patched(p, detail) => {
            let compression = out
                .and_then(compression_named_by)
                .unwrap_or(input.compression);
            let bytes = compress(&p.elf, compression)?;
            let (dest, perms) = match out {
                Some(o) => (o.to_path_buf(), None),
                None => {
                    // Follow a symlink to the file it names; keep the file's mode.
                    let real = std::fs::canonicalize(path)
                        .with_context(|| format!("resolving {}", path.display()))?;
                    let perms = std::fs::metadata(&real).ok().map(|m| m.permissions());
                    (real, perms)
                }
            };
            Staged::write(&dest, &bytes)?.commit()?;
            if let Some(perms) = perms {
                std::fs::set_permissions(&dest, perms)
                    .with_context(|| format!("setting the mode of {}", dest.display()))?;
            }
            Ok(Written::Yes {
                detail,
                signature: p.trailer.signature,
                other_trailing: p.trailer.other_bytes,
                dest,
                compression,
            })
        }
    }
}

/// The compression an output file name asks for: `.ko` none, `.xz`/`.gz`/`.zst` that
/// one; None (keep the input's) for other names.
fn compression_named_by(path: &Path) -> Option<Option<&'static str>> {
    let name = path.file_name()?.to_string_lossy();
    if name.ends_with(".ko") || name.ends_with(".o") {
        Some(None)
    } else if name.ends_with(".xz") {
        Some(Some("xz"))
    } else if name.ends_with(".gz") {
        Some(Some("gzip"))
    } else if name.ends_with(".zst") {
        Some(Some("zstd"))
    } else {
        None
    }
}

fn signature_note(sig: &ModuleSignature) -> String {
    format!(
        "dropped its module signature ({sig}); the rewritten module is unsigned: re-sign it \
         (e.g. with the kernel's scripts/sign-file) if the kernel enforces module signatures"
    )
}

fn is_ko(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [".ko", ".ko.xz", ".ko.gz", ".ko.zst"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Runs `job` on every module of `inputs` and writes the results to `target`: one file
/// (errors exit 2, a [`Refusal`] exits 1), or a tree in parallel with a progress bar and
/// a summary (exit 1 when any module failed). `verb` names what was done (`distilled`).
pub(crate) fn run_modules(
    verb: &str,
    target: &Target,
    inputs: &[PathBuf],
    job: &Job<'_>,
) -> Result<ExitCode> {
    if inputs.len() == 1 && !inputs[0].is_dir() {
        let path = &inputs[0];
        let out = match target {
            Target::Out(o) => Some(o.as_path()),
            Target::InPlace => None,
        };
        let label = path.display();
        return match rewrite_one(path, out, false, job) {
            Ok(Written::Yes {
                detail,
                signature,
                other_trailing,
                dest,
                compression,
            }) => {
                if let Some(sig) = &signature {
                    eprintln!("{label}: {}", signature_note(sig));
                }
                if other_trailing > 0 {
                    eprintln!(
                        "{label}: dropped {other_trailing} bytes after the ELF image (not a module signature)"
                    );
                }
                let how = compression.map(|c| format!(" ({c})")).unwrap_or_default();
                match out {
                    Some(_) => eprintln!("{label}: {detail}; written to {}{how}", dest.display()),
                    None => eprintln!("{label}: {detail}; rewritten in place{how}"),
                }
                Ok(ExitCode::SUCCESS)
            }
            Ok(Written::Skipped { reason, copied_to }) => {
                match copied_to {
                    Some(o) => eprintln!("{label}: {reason}; copied unchanged to {}", o.display()),
                    None => eprintln!("{label}: {reason}; left as it is"),
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => match e.downcast_ref::<Refusal>() {
                Some(r) => {
                    match out {
                        Some(o) => {
                            eprintln!("{label}: {r}\n{label}: nothing written to {}", o.display())
                        }
                        None => eprintln!("{label}: {r}\n{label}: left as it is"),
                    }
                    Ok(ExitCode::from(1))
                }
                None => Err(e.context(format!("{label}: nothing written"))),
            },
        };
    }

    // A tree (or several files) in place.
    let mut files: Vec<PathBuf> = Vec::new();
    let mut seen = HashSet::new();
    for f in expand(inputs)? {
        let explicit = inputs.contains(&f);
        if !explicit && !is_ko(&f) {
            continue; // raw .btf files in a tree are not modules to rewrite
        }
        let key = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
        if seen.insert(key) {
            files.push(f);
        }
    }
    if files.is_empty() {
        bail!("no module files (*.ko, *.ko.xz, *.ko.gz, *.ko.zst) in the inputs");
    }
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} modules {elapsed} {msg}")
            .expect("valid template"),
    );
    let results: Vec<(PathBuf, Result<Written>)> = files
        .par_iter()
        .map(|path| {
            let r = rewrite_one(path, None, true, job);
            bar.inc(1);
            (path.clone(), r)
        })
        .collect();
    bar.finish_and_clear();

    let (mut done, mut failed) = (0usize, 0usize);
    let mut skipped: Vec<(String, usize)> = Vec::new();
    let mut signatures = 0usize;
    let mut signers: Vec<String> = Vec::new();
    let mut trailing = 0usize;
    for (path, r) in &results {
        match r {
            Ok(Written::Yes {
                signature,
                other_trailing,
                ..
            }) => {
                done += 1;
                if let Some(sig) = signature {
                    signatures += 1;
                    let who = sig
                        .signer
                        .as_ref()
                        .and_then(|s| s.issuer.clone())
                        .unwrap_or_else(|| sig.id_type_name().to_string());
                    if !signers.contains(&who) {
                        signers.push(who);
                    }
                }
                if *other_trailing > 0 {
                    trailing += 1;
                }
            }
            Ok(Written::Skipped { reason, .. }) => {
                match skipped.iter_mut().find(|(r, _)| r == reason) {
                    Some((_, n)) => *n += 1,
                    None => skipped.push((reason.clone(), 1)),
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}: {:#}", path.display(), e);
            }
        }
    }
    let left: usize = skipped.iter().map(|(_, n)| n).sum();
    eprintln!(
        "{verb} {done} of {} modules in place ({failed} failed, {left} left as they were)",
        files.len()
    );
    for (reason, n) in &skipped {
        eprintln!("  {n} left as they were: {reason}");
    }
    if signatures > 0 {
        eprintln!(
            "dropped {signatures} module signatures (signed by {}): re-sign the rewritten modules \
             (e.g. with the kernel's scripts/sign-file) if the kernel enforces module signatures",
            signers
                .iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if trailing > 0 {
        eprintln!("dropped unknown bytes after the ELF image of {trailing} modules");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
