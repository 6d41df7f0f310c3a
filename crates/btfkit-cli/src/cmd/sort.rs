//! `btfkit sort`: sort a BTF's types by name, as Linux 6.19+'s `resolve_btfids` does to
//! every module's and vmlinux's BTF (pahole's output in, the `.BTF` the kernel ships out).

use crate::batch::{Rewrite, Target};
use crate::input::{is_stdin, stdin_at_most_once, BaseFile, Input};
use crate::out::{diag, outln};
use crate::output::{show_output, write_outputs, POLICY};
use anyhow::{bail, Context, Result};
use btfkit::module::SortOptions;
use btfkit::Btf;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Examples:
  pahole -J --btf_base vmlinux --btf_encode_detached=veth.BTF.1 veth.ko
  btfkit sort --base vmlinux.btf veth.BTF.1 -o veth.BTF
  btfkit sort --base vmlinux.btf veth.ko -o veth-sorted.ko
  btfkit sort --in-place dist/                  (modules with .BTF.base: over it)

Types are ordered by name (bytes, as strcmp), anonymous types first, equal names in their
old order; every type id follows (libbpf's btf__permute); the header and the string section
are kept byte for byte. This is what resolve_btfids does to an in-tree module's BTF after
pahole made it, so the output is the .BTF the kernel's build ships (resolve_btfids also
rewrites kfuncs flagged KF_IMPLICIT_ARGS in the module's .BTF_ids, which sort does not).
The kernel (Linux 6.19+) finds names in sorted BTF by binary search.

Raw BTF in, raw BTF out. A module (.ko, any compression) comes out as a module: its .BTF
sorted over its .BTF.base (or over --base), .BTF_ids following their types, every other
section as it was; -o compresses as OUT's name says, --in-place keeps each file's
compression, an appended signature is dropped. Sorted modules are left as they are.";

const EXIT: &str = "Exit status: 0 written, 1 a module of a tree failed, 2 usage or I/O errors \
     and refused input.";

/// Sort BTF types by name, as the kernel's build (resolve_btfids) does.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The vmlinux BTF that split input is built against (not needed for base BTF, or for
    /// a module with .BTF.base, which is sorted over it).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: Option<PathBuf>,
    /// Where to write the result (one input; - for standard output): raw BTF for raw
    /// input, a module for a module.
    #[arg(long, short, value_name = "OUT", conflicts_with = "in_place")]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place; directories are searched recursively. Files with
    /// several hard links are refused.
    #[arg(long)]
    in_place: bool,
    /// Skip validating the input (forensics).
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    report: super::ReportFlags,
    /// Raw BTF, or modules (.ko, any compression; directories with --in-place); - for
    /// standard input.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        stdin_at_most_once(self.inputs.iter().chain(&self.base).map(PathBuf::as_path))?;
        let validate = !self.no_validate;
        let base_file = self.base.as_deref().map(BaseFile::read).transpose()?;
        let base = base_file.as_ref().map(|b| b.parse(validate)).transpose()?;
        let opts = SortOptions { validate };
        let module_job = |elf: &[u8]| btfkit::module::sort(elf, base.as_ref(), &opts);
        let rewrite = |target| Rewrite {
            verb: "sorted",
            target,
            protected: self
                .base
                .iter()
                .map(|b| ("the base", b.as_path()))
                .collect(),
            unchanged_is_error: false,
            target_label: "",
            command: "sort",
            report: self.report,
        };
        if self.in_place {
            let target = Target::new(None, true, &self.inputs)?;
            return rewrite(target).run(&self.inputs, &module_job);
        }
        let Some(out) = &self.out else {
            bail!("give -o OUT, or --in-place for modules");
        };
        if self.inputs.len() != 1 || (!is_stdin(&self.inputs[0]) && self.inputs[0].is_dir()) {
            bail!("-o takes exactly one input; use --in-place for several modules or a directory");
        }
        let input = Input::read(&self.inputs[0])?;
        if btfkit::elf::is_elf(&input.bytes) {
            if input.path.is_none() {
                bail!(
                    "a module on standard input: give it as a file (it is rewritten as a module)"
                );
            }
            drop(input);
            let target = Target::new(Some(out.clone()), false, &self.inputs)?;
            return rewrite(target).run(&self.inputs, &module_job);
        }
        let blobs = input.blobs()?;
        let sort = |btf: &Btf<'_>| {
            btfkit::sort::sort_by_name(btf).map(|s| {
                let moved = btf
                    .own_ids()
                    .filter(|&id| s.map.get(id) != Some(id))
                    .count();
                (s.bytes, btf.type_count(), moved)
            })
        };
        let sorted =
            btfkit::module::open::with_btf(&blobs, base.as_ref(), validate, |btf, _| sort(btf))
                .map_err(|e| input.error(e))?;
        let (bytes, types, moved) = sorted.with_context(|| format!("sorting {}", input.label))?;
        let mut inputs = vec![("the input", self.inputs[0].as_path())];
        if let Some(b) = &self.base {
            inputs.push(("the base", b));
        }
        if self.report.json && is_stdin(out) {
            bail!("--json and -o - both want standard output");
        }
        write_outputs(&[(out, &bytes)], &inputs).context("writing the sorted BTF")?;
        if self.report.json {
            let doc = super::json_doc(
                "sort",
                serde_json::json!({
                    "input": input.label,
                    "written_to": show_output(out),
                    "types": types,
                    "moved": moved,
                }),
            );
            outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else if !self.report.quiet {
            diag!(
                "{}: {types} types sorted by name ({moved} moved{}); written to {}",
                input.label,
                if moved == 0 { ": it was sorted" } else { "" },
                show_output(out)
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
