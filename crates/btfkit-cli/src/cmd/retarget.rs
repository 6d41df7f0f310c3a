//! `btfkit retarget`: rewrite a module's plain split BTF, built against one vmlinux, as
//! plain split BTF against another ([`btfkit::module::retarget`]), for kernels that do
//! not read `.BTF.base`.

use crate::batch::{Rewrite, Target};
use crate::input::BaseFile;
use crate::output::POLICY;
use anyhow::Result;
use btfkit::module::{self, RetargetOptions};
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Examples:
  btfkit retarget --from vmlinux-6.1.btf --to /sys/kernel/btf/vmlinux veth.ko -o veth-new.ko
  btfkit retarget --from old.btf --to new.btf --in-place modules/

The module's .BTF (split BTF over OLD_VMLINUX) is distilled over OLD_VMLINUX and relocated
onto NEW_VMLINUX, as the kernel relocates .BTF.base at load time; the result is plain split
BTF over NEW_VMLINUX, with no .BTF.base, for kernels that do not read .BTF.base. A module
that already has .BTF.base is relocated from it (--from is then not needed). Every other
section keeps its bytes and index; --in-place keeps each file's compression (-o: as OUT's
name says); an appended module signature is dropped. The module's .BTF_ids (kfunc sets,
BTF_ID_LISTs) are rewritten into NEW_VMLINUX's id space and their sets re-sorted. When
NEW_VMLINUX is sorted by name (Linux 6.19+), so is the result, as the kernel's own build
leaves module BTF (--order picks).";

const EXIT: &str =
    "Exit status: 0 retargeted, 1 a module does not relocate onto NEW_VMLINUX (every reason is
listed; the module is left as it is), 2 usage or I/O errors and refused input.";

/// Rewrite module BTF built against one vmlinux as split BTF against another.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The vmlinux BTF the modules were built against (raw, ELF, any compression).
    #[arg(long, value_name = "OLD_VMLINUX")]
    from: Option<PathBuf>,
    /// The vmlinux BTF to retarget the modules onto.
    #[arg(long, value_name = "NEW_VMLINUX")]
    to: PathBuf,
    /// Write the module (one input) to OUT (compressed as OUT's name says: .ko none,
    /// .xz, .gz, .zst; else as the input; - for standard output).
    #[arg(long, short = 'o', value_name = "OUT", conflicts_with = "in_place")]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place; directories are searched recursively. Files with
    /// several hard links are refused.
    #[arg(long)]
    in_place: bool,
    /// Match a distilled STRUCT/UNION only against a STRUCT/UNION of NEW_VMLINUX (libbpf
    /// and the kernel match any kind of the same name).
    #[arg(long)]
    strict_kinds: bool,
    #[command(flatten)]
    order: super::OrderFlag,
    /// Skip validating the inputs (forensics).
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    report: super::ReportFlags,
    /// Module files (.ko, any compression), or directories with --in-place.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        crate::input::stdin_at_most_once(
            self.inputs
                .iter()
                .chain(&self.from)
                .chain([&self.to])
                .map(PathBuf::as_path),
        )?;
        let validate = !self.no_validate;
        let new_file = BaseFile::read(&self.to)?;
        let new = new_file.parse(validate)?;
        let old_file = self.from.as_deref().map(BaseFile::read).transpose()?;
        let old = old_file.as_ref().map(|f| f.parse(validate)).transpose()?;
        let opts = RetargetOptions {
            validate,
            order: self.order.order.resolve(&new),
            relocate: btfkit::relocate::Options {
                strict_kinds: self.strict_kinds,
            },
        };
        let mut protected = vec![("the new base", self.to.as_path())];
        if let Some(from) = &self.from {
            protected.push(("the old base", from));
        }
        let rewrite = Rewrite {
            verb: "retargeted",
            target: Target::new(self.out.clone(), self.in_place, &self.inputs)?,
            protected,
            unchanged_is_error: true,
            target_label: &new_file.label,
            command: "retarget",
            report: self.report,
        };
        rewrite.run(&self.inputs, &|elf| {
            module::retarget(elf, old.as_ref(), &new, &opts)
        })
    }
}
