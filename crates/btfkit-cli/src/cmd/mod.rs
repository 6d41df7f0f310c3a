//! One module per subcommand.

mod check;
mod dedup;
mod distill;
mod dump;
mod ids;
mod info;
mod relocate;
mod retarget;
mod strip;
mod validate;

use std::process::ExitCode;

/// The subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Print types: bpftool's raw text format, or JSON.
    Dump(dump::Opts),
    /// Distill module BTF: a new split BTF over a small distilled base (.BTF.base).
    Distill(distill::Opts),
    /// Deduplicate BTF, or merge several BTFs (modules over their vmlinux) into one.
    Dedup(dedup::Opts),
    /// Relocate split BTF from its distilled base onto a full vmlinux BTF.
    Relocate(relocate::Opts),
    /// Rewrite module BTF built against one vmlinux as split BTF against another.
    Retarget(retarget::Opts),
    /// Remove .BTF and .BTF.base from kernel modules.
    Strip(strip::Opts),
    /// Would the kernel with this vmlinux BTF accept these modules' BTF?
    Check(check::Opts),
    /// Check BTF as the kernel would, listing every problem.
    Validate(validate::Opts),
    /// Summarize a BTF blob: header, sections, types per kind.
    Info(info::Opts),
    /// List a module's .BTF_ids entries and what their ids are in its BTF.
    Ids(ids::Opts),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Dump(o) => o.run(),
            Command::Distill(o) => o.run(),
            Command::Dedup(o) => o.run(),
            Command::Relocate(o) => o.run(),
            Command::Retarget(o) => o.run(),
            Command::Strip(o) => o.run(),
            Command::Check(o) => o.run(),
            Command::Validate(o) => o.run(),
            Command::Info(o) => o.run(),
            Command::Ids(o) => o.run(),
        }
    }
}

/// Flags shared by the commands that read BTF.
#[derive(clap::Args, Clone, Debug)]
pub struct BtfFlags {
    /// Base BTF for split (module) input: raw BTF or a vmlinux ELF, any compression.
    /// Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE.
    #[arg(long, short = 'B', value_name = "BASE")]
    pub base: Option<std::path::PathBuf>,
    /// Read the input without validating it first (forensics).
    #[arg(long)]
    pub no_validate: bool,
}

impl BtfFlags {
    /// Refuses `-` for both the input and `--base`.
    pub fn stdin_at_most_once(&self, input: &std::path::Path) -> anyhow::Result<()> {
        crate::input::stdin_at_most_once([input].into_iter().chain(self.base.as_deref()))
    }

    /// As open options.
    pub fn open_options(&self) -> crate::input::OpenOptions {
        crate::input::OpenOptions {
            base: self.base.clone(),
            no_validate: self.no_validate,
        }
    }
}
