//! `btfkit distill`: replace a module's dependence on one exact vmlinux by a small
//! distilled base (`.BTF.base`), one module or a whole tree in parallel.

use crate::input::{expand, parse_checked, read_base, stem, Input};
use crate::output::write_all_atomic;
use anyhow::{bail, Context, Result};
use btfkit::error::Section;
use btfkit::Btf;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Distill module BTF: a new split BTF over a small distilled base.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  btfkit distill --base vmlinux.btf dummy.ko --out-base dummy.btf.base --out-split dummy.btf
  btfkit distill --base /sys/kernel/btf/vmlinux --out-dir out/ /lib/modules/$(uname -r)/kernel

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
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Skip validating the inputs (forensics).
    #[arg(long)]
    no_validate: bool,
    /// Module BTF: raw split BTF, .ko (any compression), sysfs file; in batch mode also
    /// directories, searched recursively for *.ko, *.ko.xz, *.ko.gz, *.ko.zst, *.btf.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// What distilling one module produced.
struct Outcome {
    bytes_in: usize,
    split_out: usize,
    base_out: usize,
}

fn distill_one(
    base: &Btf<'_>,
    path: &Path,
    validate: bool,
) -> Result<(btfkit::distill::Distilled, usize)> {
    let input = Input::read(path)?;
    let blobs = input.blobs()?;
    if blobs.dist_base.is_some() {
        bail!("already has a .BTF.base (it is distilled)");
    }
    let split = parse_checked(&blobs.btf, Some(base), Section::Btf, &input.label, validate)?;
    let d = btfkit::distill::distill(&split)?;
    Ok((d, blobs.btf.len()))
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let base_input = read_base(&self.base)?;
        let base_blobs = base_input.blobs()?;
        let base = parse_checked(
            &base_blobs.btf,
            None,
            Section::Btf,
            &base_input.label,
            !self.no_validate,
        )?;

        if let (Some(out_base), Some(out_split)) = (&self.out_base, &self.out_split) {
            if self.inputs.len() != 1 || self.inputs[0].is_dir() {
                bail!("--out-base/--out-split take exactly one input file; use --out-dir for many");
            }
            let (d, _) = distill_one(&base, &self.inputs[0], !self.no_validate)
                .with_context(|| format!("distilling {}", self.inputs[0].display()))?;
            write_all_atomic(&[(out_base, &d.base), (out_split, &d.split)])?;
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
            bail!("give --out-base and --out-split for one module, or --out-dir for many");
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
                let r = distill_one(base, path, validate).and_then(|(d, bytes_in)| {
                    let s = stem(path);
                    let split_path = out_dir.join(format!("{s}.btf"));
                    let base_path = out_dir.join(format!("{s}.btf.base"));
                    write_all_atomic(&[(&base_path, &d.base), (&split_path, &d.split)])?;
                    Ok(Outcome {
                        bytes_in,
                        split_out: d.split.len(),
                        base_out: d.base.len(),
                    })
                });
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
