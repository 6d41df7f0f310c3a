//! `btfkit sort`: sort a BTF's types by name, as Linux 6.19+'s `resolve_btfids` does to
//! every module's and vmlinux's BTF (pahole's output in, the `.BTF` the kernel ships out).

use crate::input::{stdin_at_most_once, BaseFile, Input};
use crate::out::diag;
use crate::output::{show_output, write_outputs, POLICY};
use anyhow::{Context, Result};
use btfkit::Btf;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Examples:
  pahole -J --btf_base vmlinux --btf_encode_detached=veth.BTF.1 veth.ko
  btfkit sort --base vmlinux.btf veth.BTF.1 -o veth.BTF
  btfkit sort dist/veth.ko -o veth.BTF          (a module with .BTF.base: over it)

Types are ordered by name (bytes, as strcmp), anonymous types first, equal names in their
old order; every type id follows (libbpf's btf__permute); the header and the string section
are kept byte for byte. This is what resolve_btfids does to an in-tree module's BTF after
pahole made it, so the output is the .BTF the kernel's build ships (resolve_btfids also
rewrites kfuncs flagged KF_IMPLICIT_ARGS in the module's .BTF_ids, which sort does not).
The kernel finds names in sorted BTF by binary search. Sorted input comes out unchanged.";

const EXIT: &str = "Exit status: 0 written, 2 usage or I/O errors and refused input.";

/// Sort BTF types by name, as the kernel's build (resolve_btfids) does.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The vmlinux BTF that split INPUT is built against (not needed for base BTF, or for a
    /// module with .BTF.base, which is sorted over its distilled base).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: Option<PathBuf>,
    /// Where to write the sorted BTF (raw; - for standard output).
    #[arg(long, short, value_name = "OUT")]
    out: PathBuf,
    /// Skip validating the input (forensics).
    #[arg(long)]
    no_validate: bool,
    /// Raw BTF, ELF object (its .BTF), compressed module, or - for stdin.
    input: PathBuf,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        stdin_at_most_once(
            [&self.input]
                .into_iter()
                .chain(&self.base)
                .map(PathBuf::as_path),
        )?;
        let validate = !self.no_validate;
        let input = Input::read(&self.input)?;
        let blobs = input.blobs()?;
        let base_file = self.base.as_deref().map(BaseFile::read).transpose()?;
        let base = base_file.as_ref().map(|b| b.parse(validate)).transpose()?;
        let sort = |btf: &Btf<'_>| {
            btfkit::sort::sort_by_name(btf).map(|s| {
                let moved = btf
                    .own_ids()
                    .filter(|&id| s.map.get(id) != Some(id))
                    .count();
                (s.bytes, btf.type_count(), moved)
            })
        };
        // A module with .BTF.base is sorted over it; anything else over --base, or alone.
        let sorted = if blobs.dist_base.is_some() {
            btfkit::module::open::with_distilled(&blobs, None, validate, sort)
        } else {
            btfkit::module::open::with_btf(&blobs, base.as_ref(), validate, |btf, _| sort(btf))
        }
        .map_err(|e| input.error(e))?;
        let (bytes, types, moved) = sorted.with_context(|| format!("sorting {}", input.label))?;
        let mut inputs = vec![("the input", self.input.as_path())];
        if let Some(b) = &self.base {
            inputs.push(("the base", b));
        }
        write_outputs(&[(&self.out, &bytes)], &inputs).context("writing the sorted BTF")?;
        diag!(
            "{}: {types} types sorted by name ({moved} moved{}); written to {}",
            input.label,
            if moved == 0 { ": it was sorted" } else { "" },
            show_output(&self.out)
        );
        Ok(ExitCode::SUCCESS)
    }
}
