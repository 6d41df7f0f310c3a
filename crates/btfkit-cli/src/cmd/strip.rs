//! `btfkit strip`: remove `.BTF` and `.BTF.base` from modules, cleanly (what users do
//! with `objcopy --remove-section` when a module's BTF keeps it from loading), without
//! touching any other section.

use super::distill::{run_modules, Step, Target};
use crate::input::Input;
use anyhow::{Context, Result};
use btfkit::elf::patch::{self, Action};
use std::path::PathBuf;
use std::process::ExitCode;

/// Remove .BTF and .BTF.base from kernel modules.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  btfkit strip broken.ko -o fixed.ko
  btfkit strip --in-place /lib/modules/$(uname -r)/updates

Every other section keeps its bytes and its index (a removed .BTF becomes an inactive
SHT_NULL section header, so that no section index changes); --in-place keeps each file's
compression (-o: as OUT's name says); an appended module signature is dropped. Modules
without BTF are left as they are (with -o, copied unchanged).

Exit status: 0 success, 1 a module of a tree failed, 2 usage or I/O errors and refused input.")]
pub struct Opts {
    /// Write the module (one input) to OUT (compressed as OUT's name says: .ko none,
    /// .xz, .gz, .zst; else as the input).
    #[arg(long, short = 'o', value_name = "OUT", conflicts_with = "in_place")]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place (atomically); directories are searched recursively.
    #[arg(long)]
    in_place: bool,
    /// Module files (.ko, any compression), or directories with --in-place.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

fn strip_module(input: &Input) -> Result<Step> {
    let p = patch::strip_btf(&input.bytes).context("rewriting the ELF sections")?;
    let removed: Vec<String> = p
        .changes
        .iter()
        .filter(|c| c.action != Action::Absent)
        .map(|c| match &c.action {
            Action::Removed { old_size } | Action::Dropped { old_size } => {
                format!("{} ({old_size} bytes)", c.name)
            }
            _ => c.name.clone(),
        })
        .collect();
    if removed.is_empty() {
        return Ok(Step::Skip("no .BTF or .BTF.base".into()));
    }
    Ok(Step::Patched(
        p,
        format!("removed {}", removed.join(" and ")),
    ))
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let target = Target::new(self.out.clone(), self.in_place, &self.inputs)?;
        let job = |input: &Input, _batch: bool| strip_module(input);
        run_modules("stripped", &target, &self.inputs, &job)
    }
}
