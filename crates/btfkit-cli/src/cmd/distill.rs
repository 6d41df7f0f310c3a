//! `btfkit distill`: replace a module's dependence on one exact vmlinux by a small
//! distilled base (`.BTF.base`): written into the module (`-o`, `--in-place`, with
//! [`btfkit::module::distill`]), or as raw files (`--out-base`/`--out-split`, or
//! `--out-dir` for many, with [`btfkit::module::distill_raw`]).

use crate::batch::{Rewrite, Target};
use crate::input::{labelled, show, BaseFile, Input, Walk};
use crate::out::diag;
use crate::output::{stage_outputs, write_outputs, POLICY};
use anyhow::{bail, Result};
use btfkit::module::{self, DistillOptions, RawDistilled};
use btfkit::Btf;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "Examples:
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

The bytes are those of the kernel's own build when BASE is sorted by name (Linux 6.19+:
resolve_btfids --distill_base, which sorts the types by name), else those of libbpf 1.7's
btf__distill_base; --order picks one.

A module's .BTF_ids (the type ids of its kfunc sets and BTF_ID_LISTs, which the kernel
reads in the module's id space) are rewritten in the same patch, sets re-sorted as
resolve_btfids leaves them (each kfunc keeping its flags); in libbpf's order the vmlinux
types they name are kept like referenced ones, in the kernel's they must be referenced
(else the module is refused: --order libbpf keeps them). A module whose .BTF_ids name a
vmlinux function, or do not match its .BTF to begin with, is refused and left as it is
(`btfkit ids` lists the entries).";

const EXIT: &str =
    "Exit status: 0 when every module was distilled, 1 when one was refused or failed, 2 on
usage or I/O errors.";

/// Distill module BTF: a new split BTF over a small distilled base.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The vmlinux BTF the modules were built against (raw, ELF, any compression).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: PathBuf,
    /// Where to write the distilled base (one input; - for standard output).
    #[arg(
        long,
        value_name = "FILE",
        requires = "out_split",
        conflicts_with = "out_dir"
    )]
    out_base: Option<PathBuf>,
    /// Where to write the new split BTF (one input; - for standard output).
    #[arg(
        long,
        value_name = "FILE",
        requires = "out_base",
        conflicts_with = "out_dir"
    )]
    out_split: Option<PathBuf>,
    /// Batch mode: write DIR/<stem>.btf and DIR/<stem>.btf.base for every input (DIR is
    /// skipped when it lies inside an input directory).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "in_place"])]
    out_dir: Option<PathBuf>,
    /// Write the module (one .ko input) with its new .BTF and .BTF.base to OUT
    /// (compressed as OUT's name says: .ko none, .xz, .gz, .zst; else as the input;
    /// - for standard output).
    #[arg(
        long,
        short = 'o',
        value_name = "OUT",
        conflicts_with_all = ["out_base", "out_split", "in_place"]
    )]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place; directories are searched recursively for *.ko,
    /// *.ko.xz, *.ko.gz, *.ko.zst. Files with several hard links are refused.
    #[arg(long, conflicts_with_all = ["out_base", "out_split"])]
    in_place: bool,
    #[command(flatten)]
    order: super::OrderFlag,
    /// Skip validating the inputs (forensics).
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    report: super::ReportFlags,
    /// Module BTF: raw split BTF, .ko (any compression), sysfs file, - for standard
    /// input; with --out-dir or --in-place also directories, searched recursively.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// What the raw outputs of a module with `.BTF_ids` cannot do.
const RAW_BTF_IDS_NOTE: &str = "has .BTF_ids: the raw outputs keep the vmlinux types its \
     entries name, but only -o/--in-place rewrites the ids themselves (a module given this \
     .BTF and .BTF.base with its old .BTF_ids fails to load)";

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        crate::input::stdin_at_most_once(
            self.inputs
                .iter()
                .map(PathBuf::as_path)
                .chain([self.base.as_path()]),
        )?;
        let base_file = BaseFile::read(&self.base)?;
        let base = base_file.parse(!self.no_validate)?;
        let opts = DistillOptions {
            validate: !self.no_validate,
            // Decided once for every module (it reads the whole base).
            order: self.order.order.resolve(&base),
        };
        if self.out.is_some() || self.in_place {
            let rewrite = Rewrite {
                verb: "distilled",
                target: Target::new(self.out.clone(), self.in_place, &self.inputs)?,
                protected: vec![("the base", &self.base)],
                unchanged_is_error: true,
                target_label: &base_file.label,
                command: "distill",
                report: self.report,
            };
            return rewrite.run(&self.inputs, &|elf| module::distill(elf, &base, &opts));
        }
        if let (Some(out_base), Some(out_split)) = (&self.out_base, &self.out_split) {
            return self.one_raw(&base, &opts, out_base, out_split);
        }
        let Some(out_dir) = &self.out_dir else {
            bail!("give -o OUT.ko or --in-place to rewrite modules, --out-base and --out-split for raw files, or --out-dir for many");
        };
        self.batch_raw(&base, &opts, out_dir)
    }

    fn one_raw(
        &self,
        base: &Btf<'_>,
        opts: &DistillOptions,
        out_base: &Path,
        out_split: &Path,
    ) -> Result<ExitCode> {
        if self.inputs.len() != 1 || self.inputs[0].is_dir() {
            bail!("--out-base/--out-split take exactly one input file; use --out-dir for many");
        }
        let path = &self.inputs[0];
        let input = Input::read(path)?;
        let label = &input.label;
        let r = match module::distill_raw(&input.bytes, base, opts) {
            Ok(r) => r,
            Err(e) => match crate::batch::refusal_text(e, "", 0) {
                Ok(why) => {
                    diag!("{label}: {why}\n{label}: nothing written");
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(e.context(format!("distilling {label}"))),
            },
        };
        let d = &r.distilled;
        write_outputs(
            &[(out_base, &d.base), (out_split, &d.split)],
            &[("the input", path), ("the base", &self.base)],
        )?;
        if self.report.json {
            let doc = super::json_doc(
                "distill",
                serde_json::json!({
                    "modules": [{
                        "module": label,
                        "result": "distilled",
                        "base_types": d.base_types,
                        "base_bytes": d.base.len(),
                        "copied_types": d.copied_types,
                        "split_bytes": d.split.len(),
                        "btf_ids_kept": r.btf_ids_kept,
                    }],
                }),
            );
            crate::out::outln!("{}", serde_json::to_string_pretty(&doc)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        if self.report.quiet {
            return Ok(ExitCode::SUCCESS);
        }
        if r.btf_ids_kept {
            diag!("{label}: {RAW_BTF_IDS_NOTE}");
        }
        diag!(
            "{label}: {} types in the distilled base ({} bytes), {} base types copied into the split ({} bytes)",
            d.base_types,
            d.base.len(),
            d.copied_types,
            d.split.len()
        );
        Ok(ExitCode::SUCCESS)
    }

    fn batch_raw(&self, base: &Btf<'_>, opts: &DistillOptions, out_dir: &Path) -> Result<ExitCode> {
        let notes = !self.report.json && !self.report.quiet;
        let batch = crate::outdir::run(
            &self.inputs,
            Walk::ModulesAndBtf,
            out_dir,
            ".btf",
            notes,
            |path, stem| self.distill_to(base, opts, path, stem, out_dir),
        )?;
        let (mut ok, mut failed) = (0usize, batch.commit_failed);
        let (mut bytes_in, mut split_out, mut base_out) = (0usize, 0usize, 0usize);
        let mut modules = Vec::new();
        for (path, r) in &batch.results {
            modules.push(match r {
                Ok(r) => serde_json::json!({
                    "module": show(path),
                    "result": "distilled",
                    "btf_bytes_in": r.old_len,
                    "split_bytes": r.distilled.split.len(),
                    "base_bytes": r.distilled.base.len(),
                    "btf_ids_kept": r.btf_ids_kept,
                }),
                Err(e) => serde_json::json!({"module": show(path), "result": "failed", "reason": format!("{e:#}")}),
            });
            match r {
                Ok(r) => {
                    ok += 1;
                    if r.btf_ids_kept && notes {
                        diag!("{}: {RAW_BTF_IDS_NOTE}", show(path));
                    }
                    bytes_in += r.old_len;
                    split_out += r.distilled.split.len();
                    base_out += r.distilled.base.len();
                }
                Err(e) => {
                    failed += 1;
                    if !self.report.json {
                        diag!("{}", labelled(&show(path), format!("{e:#}")));
                    }
                }
            }
        }
        if self.report.json {
            let doc = super::json_doc(
                "distill",
                serde_json::json!({
                    "out_dir": show(out_dir),
                    "modules": modules,
                    "summary": {
                        "modules": batch.total,
                        "distilled": ok,
                        "failed": failed,
                        "interrupted": batch.interrupted,
                        "btf_bytes_in": bytes_in,
                        "split_bytes": split_out,
                        "base_bytes": base_out,
                    },
                }),
            );
            crate::out::outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else if notes {
            diag!(
            "distilled {ok} of {} modules ({failed} failed{}): .BTF {bytes_in} bytes in, {split_out} bytes of split BTF and {base_out} bytes of distilled base out, in {}",
            batch.total,
            batch.interrupted_note(),
            show(out_dir)
        );
        }
        Ok(batch.exit_code())
    }

    /// Distills one input of a batch and stages `DIR/<stem>.btf` and `.btf.base`.
    fn distill_to(
        &self,
        base: &Btf<'_>,
        opts: &DistillOptions,
        path: &Path,
        s: &str,
        out_dir: &Path,
    ) -> Result<(RawDistilled, Vec<btfkit::file::Staged>)> {
        let input = Input::read(path)?;
        let r = module::distill_raw(&input.bytes, base, opts)?;
        let split_path = out_dir.join(format!("{s}.btf"));
        let base_path = out_dir.join(format!("{s}.btf.base"));
        let staged = stage_outputs(
            &[
                (&base_path, &r.distilled.base),
                (&split_path, &r.distilled.split),
            ],
            &[("the input", path), ("the base", &self.base)],
        )?;
        Ok((r, staged))
    }
}
