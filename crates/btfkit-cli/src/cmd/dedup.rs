//! `btfkit dedup`: deduplicate one BTF, or merge several (module BTFs over their vmlinux,
//! standalone BTFs) into one deduplicated BTF, byte-identical to libbpf's
//! `btf__add_btf` of each input and `btf__dedup`.

use crate::input::{is_stdin, relocate_error, stdin_at_most_once, BaseFile, Input};
use crate::output::{write_outputs, POLICY};
use anyhow::{Context, Result};
use btfkit::dedup::Merge;
use btfkit::module::open::with_btf;
use btfkit::module::ModuleError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "Every INPUT is appended in order to an empty BTF (split BTF over BASE when
--base is given), as libbpf's btf__add_btf does, and the result is deduplicated as
btf__dedup does; OUT is byte-identical to libbpf's btf__raw_data after the same calls. One
INPUT: that BTF deduplicated. Split (module) INPUTs must have been built against BASE;
a module with .BTF.base is relocated onto BASE first. OUT is in BASE's byte order, or the
first INPUT's without --base.

Examples:
  btfkit dedup --base vmlinux.btf modules/*.ko -o modules.btf    # all modules, one BTF
  btfkit dump --base vmlinux.btf modules.btf                     # then print them
  btfkit dedup prog1.bpf.o prog2.bpf.o -o progs.btf              # standalone BTFs";

const EXIT: &str = "Exit status: 0 written, 2 usage, I/O, invalid input or output.";

/// Deduplicate BTF, or merge several BTFs into one deduplicated BTF.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The vmlinux BTF split INPUTs are over (raw, ELF, any compression); the output is
    /// split BTF over it.
    #[arg(long, short = 'B', value_name = "BASE")]
    base: Option<PathBuf>,
    /// Where to write the deduplicated BTF (raw; - for standard output).
    #[arg(long, short, value_name = "OUT")]
    out: PathBuf,
    /// Read the inputs without validating them, and do not validate the output
    /// (forensics).
    #[arg(long)]
    no_validate: bool,
    /// BTF files: raw BTF, ELF objects (.o, .ko, vmlinux), any compression, - for stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        stdin_at_most_once(self.inputs.iter().chain(&self.base).map(PathBuf::as_path))?;
        let validate = !self.no_validate;
        let base_file = self.base.as_deref().map(BaseFile::read).transpose()?;
        let base = base_file.as_ref().map(|b| b.parse(validate)).transpose()?;
        let base_label = base_file.as_ref().map_or("", |b| b.label.as_str());
        let mut merge = Merge::new(base.as_ref());
        for path in &self.inputs {
            let input = Input::read(path)?;
            let blobs = input.blobs()?;
            with_btf(&blobs, base.as_ref(), validate, |btf, _| merge.add(btf))
                .map_err(|e| match e {
                    ModuleError::NeedsBase => anyhow::anyhow!(
                        "{}: is split (module) BTF: name the vmlinux BTF it was built against with --base",
                        input.label
                    ),
                    ModuleError::Relocate(e) => relocate_error(&e, &input.label, base_label),
                    ModuleError::Invalid(e) if e.wrong_base() => anyhow::anyhow!(
                        "{}: was not built against {base_label} (its string offsets point into the middle of base strings): {e}",
                        input.label
                    ),
                    e => input.error(e),
                })?
                .with_context(|| format!("{}: appending", input.label))?;
        }
        let out = merge.finish().context("deduplicating")?;
        if validate {
            btfkit::module::parse_checked(
                &out.bytes,
                base.as_ref(),
                btfkit::error::Section::Btf,
                true,
            )
            .context("the deduplicated BTF does not validate (a bug: please report it)")?;
        }
        let mut inputs: Vec<(&'static str, &Path)> = self
            .inputs
            .iter()
            .filter(|p| !is_stdin(p))
            .map(|p| ("an input", p.as_path()))
            .collect();
        if let Some(b) = &self.base {
            inputs.push(("the base", b));
        }
        write_outputs(&[(&self.out, &out.bytes)], &inputs)
            .context("writing the deduplicated BTF")?;
        Ok(ExitCode::SUCCESS)
    }
}
