//! One module per subcommand.

pub(crate) mod check;
mod completions;
mod dedup;
mod distill;
mod dump;
mod extract;
mod gen;
mod ids;
mod info;
mod man;
mod relocate;
mod retarget;
mod scan;
mod sort;
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
    /// Generate module BTF from DWARF, as the kernel's build does (pahole + resolve_btfids).
    Gen(gen::Opts),
    /// Relocate split BTF from its distilled base onto a full vmlinux BTF.
    Relocate(relocate::Opts),
    /// Rewrite module BTF built against one vmlinux as split BTF against another.
    Retarget(retarget::Opts),
    /// Remove .BTF and .BTF.base from kernel modules.
    Strip(strip::Opts),
    /// Sort BTF types by name, as the kernel's build (resolve_btfids) does.
    Sort(sort::Opts),
    /// Would the kernel with this vmlinux BTF accept these modules' BTF?
    Check(check::Opts),
    /// Check BTF as the kernel would, listing every problem.
    Validate(validate::Opts),
    /// Summarize a BTF blob: header, sections, types per kind.
    Info(info::Opts),
    /// List a module's .BTF_ids entries and what their ids are in its BTF.
    Ids(ids::Opts),
    /// Extract the vmlinux BTF of a kernel image (vmlinuz, bzImage, vmlinux, Image).
    Extract(extract::Opts),
    /// Classify every module of a tree (no BTF, split, distilled, invalid) and check it.
    Scan(scan::Opts),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Opts),
    /// Print the man page (roff), or write one page per subcommand into a directory.
    Man(man::Opts),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Dump(o) => o.run(),
            Command::Distill(o) => o.run(),
            Command::Dedup(o) => o.run(),
            Command::Gen(o) => o.run(),
            Command::Relocate(o) => o.run(),
            Command::Retarget(o) => o.run(),
            Command::Strip(o) => o.run(),
            Command::Sort(o) => o.run(),
            Command::Check(o) => o.run(),
            Command::Validate(o) => o.run(),
            Command::Info(o) => o.run(),
            Command::Ids(o) => o.run(),
            Command::Extract(o) => o.run(),
            Command::Scan(o) => o.run(),
            Command::Completions(o) => o.run(),
            Command::Man(o) => o.run(),
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

/// `--order`, shared by the commands that write module BTF.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct OrderFlag {
    /// Which bytes to write: `kernel` as the kernel's own build (Linux 6.19+,
    /// resolve_btfids: types sorted by name, the 32-byte header of its libbpf), `libbpf` as
    /// libbpf 1.7's btf__distill_base; `auto`: kernel when the vmlinux BTF the result is
    /// for is sorted by name (built by Linux 6.19 or later), else libbpf.
    #[arg(long, value_name = "ORDER", default_value = "auto")]
    pub order: btfkit::sort::Order,
}

/// Whether `btf`'s own types are sorted by name as the kernel's `btf_check_sorted`
/// judges module BTF, in words.
pub fn sort_state_text(btf: &btfkit::Btf<'_>) -> String {
    use btfkit::sort::SortState;
    match btfkit::sort::check_sorted(btf) {
        SortState::Sorted { .. } => {
            "sorted by name (the kernel looks its names up by binary search)".to_string()
        }
        SortState::Unsorted { at } => {
            let name = |id: btfkit::TypeId| {
                btf.type_by_id(id)
                    .map(|t| btfkit::escape::escape_bytes(btf.name(&t)).into_owned())
                    .unwrap_or_default()
            };
            let prev = btfkit::TypeId(at.0 - 1);
            format!(
                "not sorted by name: [{at}] '{}' sorts before [{prev}] '{}' (the kernel looks its names up one by one)",
                name(at),
                name(prev)
            )
        }
    }
}

/// `--json` and `--quiet`, shared by every command that reports.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct ReportFlags {
    /// Print the report as one JSON document on standard output (schema:
    /// docs/json-reports.md).
    #[arg(long, short = 'j', conflicts_with = "quiet")]
    pub json: bool,
    /// No progress bar and no per-module lines: only errors and the exit status.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The version of the JSON report schema (docs/json-reports.md).
pub const JSON_VERSION: u32 = 1;

/// A JSON report: `{"btfkit_report": VERSION, "command": NAME, ...fields}`.
pub fn json_doc(command: &str, fields: serde_json::Value) -> serde_json::Value {
    let mut doc = serde_json::json!({"btfkit_report": JSON_VERSION, "command": command});
    if let (Some(d), serde_json::Value::Object(f)) = (doc.as_object_mut(), fields) {
        d.extend(f);
    }
    doc
}
