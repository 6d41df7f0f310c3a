//! `btfkit dump`: print the types of a blob in bpftool's raw format or as JSON.

use super::BtfFlags;
use crate::input::{with_btf, Input};
use crate::out::StdoutError;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum Format {
    /// Byte-identical to `bpftool btf dump file INPUT format raw`.
    #[default]
    Raw,
    /// One JSON document (schema: docs/json-format.md).
    Json,
}

/// Print types in bpftool's raw format or as JSON.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  btfkit dump /sys/kernel/btf/vmlinux
  btfkit dump --base vmlinux.btf nf_tables.ko.xz
  btfkit dump --format json /sys/kernel/btf/veth | jq '.types[0]'")]
pub struct Opts {
    #[command(flatten)]
    btf: BtfFlags,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    format: Format,
    /// Raw BTF, ELF object (.o, .ko, vmlinux), compressed module, sysfs file, or - for stdin.
    input: PathBuf,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        self.btf.stdin_at_most_once(&self.input)?;
        let input = Input::read(&self.input)?;
        with_btf(&input, &self.btf.open_options(), |btf| {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, crate::out::Stdout);
            let written = match self.format {
                Format::Raw => btfkit::dump::raw::write_raw(&mut out, btf),
                Format::Json => btfkit::dump::json::write_json(&mut out, btf),
            };
            written.and_then(|()| out.flush()).map_err(StdoutError)?;
            Ok(ExitCode::SUCCESS)
        })
    }
}
