//! `btfkit sort`: sort a BTF's types by name, as Linux 6.19+'s `resolve_btfids` does to
//! every module's and vmlinux's BTF (pahole's output in, the `.BTF` the kernel ships out).

use crate::input::{looks_split, parse_checked, BaseFile, Input};
use crate::output::write_all_atomic;
use anyhow::{bail, Context, Result};
use btfkit::error::Section;
use btfkit::Btf;
use std::path::PathBuf;
use std::process::ExitCode;

/// Sort BTF types by name, as the kernel's build (resolve_btfids) does.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  pahole -J --btf_base vmlinux --btf_encode_detached=veth.BTF.1 veth.ko
  btfkit sort --base vmlinux.btf veth.BTF.1 -o veth.BTF
  btfkit sort dist/veth.ko -o veth.BTF          (a module with .BTF.base: over it)

Types are ordered by name (bytes, as strcmp), anonymous types first, equal names in their
old order; every type id follows (libbpf's btf__permute); the header and the string section
are kept byte for byte. This is what resolve_btfids does to an in-tree module's BTF after
pahole made it, so the output is the .BTF the kernel's build ships (resolve_btfids also
rewrites kfuncs flagged KF_IMPLICIT_ARGS in the module's .BTF_ids, which sort does not).
The kernel finds names in sorted BTF by binary search. Sorted input comes out unchanged.

Exit status: 0 written, 2 usage or I/O errors and refused input.")]
pub struct Opts {
    /// The vmlinux BTF that split INPUT is built against (not needed for base BTF, or for a
    /// module with .BTF.base, which is sorted over its distilled base).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: Option<PathBuf>,
    /// Where to write the sorted BTF (raw).
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
        let validate = !self.no_validate;
        let input = Input::read(&self.input)?;
        let blobs = input.blobs()?;
        let sort = |btf: &Btf<'_>| -> Result<ExitCode> {
            let sorted = btfkit::sort::sort_by_name(btf)
                .with_context(|| format!("sorting {}", input.label))?;
            write_all_atomic(&[(&self.out, &sorted.bytes)])?;
            let moved = btf
                .own_ids()
                .filter(|&id| sorted.map.get(id) != Some(id))
                .count();
            eprintln!(
                "{}: {} types sorted by name ({moved} moved{}); written to {}",
                input.label,
                btf.type_count(),
                if moved == 0 { ": it was sorted" } else { "" },
                self.out.display()
            );
            Ok(ExitCode::SUCCESS)
        };
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
            return sort(&split);
        }
        match &self.base {
            Some(b) => {
                let base_file = BaseFile::read(b)?;
                let base = base_file.parse(validate)?;
                let split = parse_checked(
                    &blobs.btf,
                    Some(&base),
                    Section::Btf,
                    &input.label,
                    validate,
                )?;
                sort(&split)
            }
            None => {
                if looks_split(&blobs.btf) {
                    bail!(
                        "{}: this is split BTF (module BTF): pass the vmlinux BTF it was built against with --base",
                        input.label
                    );
                }
                let btf = parse_checked(&blobs.btf, None, Section::Btf, &input.label, validate)?;
                sort(&btf)
            }
        }
    }
}
