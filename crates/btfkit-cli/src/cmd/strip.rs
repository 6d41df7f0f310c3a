//! `btfkit strip`: remove `.BTF` and `.BTF.base` from modules ([`btfkit::module::strip`]),
//! cleanly, without touching any other section.

use crate::batch::{Rewrite, Target};
use crate::output::POLICY;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Examples:
  btfkit strip broken.ko -o fixed.ko
  btfkit strip --in-place /lib/modules/$(uname -r)/updates

Every other section keeps its bytes and its index (a removed .BTF becomes an inactive
SHT_NULL section header, so that no section index changes); --in-place keeps each file's
compression (-o: as OUT's name says); an appended module signature is dropped. Modules
without BTF are left as they are (with -o, copied unchanged).";

const EXIT: &str =
    "Exit status: 0 success, 1 a module of a tree failed, 2 usage or I/O errors and refused input.";

/// Remove .BTF and .BTF.base from kernel modules.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// Write the module (one input) to OUT (compressed as OUT's name says: .ko none,
    /// .xz, .gz, .zst; else as the input; - for standard output).
    #[arg(long, short = 'o', value_name = "OUT", conflicts_with = "in_place")]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place; directories are searched recursively. Files with
    /// several hard links are refused.
    #[arg(long)]
    in_place: bool,
    #[command(flatten)]
    report: super::ReportFlags,
    /// Module files (.ko, any compression), or directories with --in-place.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let rewrite = Rewrite {
            verb: "stripped",
            target: Target::new(self.out.clone(), self.in_place, &self.inputs)?,
            protected: Vec::new(),
            unchanged_is_error: false,
            target_label: "",
            command: "strip",
            report: self.report,
        };
        rewrite.run(&self.inputs, &btfkit::module::strip)
    }
}
