//! `btfkit info`: a summary of a blob: byte order, header, sections, types per kind.

use super::BtfFlags;
use crate::input::{with_btf, Input};
use crate::out::outln;
use btfkit::Kind;
use std::path::PathBuf;
use std::process::ExitCode;

/// Summarize BTF: header, sections, type counts per kind.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  btfkit info /sys/kernel/btf/vmlinux
  btfkit info --base vmlinux.btf dummy.ko.xz")]
pub struct Opts {
    #[command(flatten)]
    btf: BtfFlags,
    /// Raw BTF, ELF object, compressed module, sysfs file, or - for stdin.
    input: PathBuf,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        self.btf.stdin_at_most_once(&self.input)?;
        let input = Input::read(&self.input)?;
        let has_dist_base = input.blobs()?.dist_base.is_some();
        with_btf(&input, &self.btf.open_options(), |btf| {
            let h = btf.header();
            outln!("{}", input.label)?;
            if let Some(c) = input.compression {
                outln!("  compression:  {c}")?;
            }
            outln!("  byte order:   {}", h.endian)?;
            outln!(
                "  header:       version {} flags {:#x} hdr_len {}",
                h.version,
                h.flags,
                h.hdr_len
            )?;
            outln!(
                "  sections:     types {} bytes, strings {} bytes{}",
                h.type_len,
                h.str_len,
                if h.has_layout() {
                    format!(", layout {} bytes", h.layout_len)
                } else {
                    String::new()
                }
            )?;
            match btf.base() {
                Some(b) => outln!(
                    "  split BTF:    ids {}..={} over a base of {} types{}",
                    btf.start_id(),
                    btf.next_id().0 - 1,
                    b.next_id().0 - 1,
                    if has_dist_base {
                        " (its .BTF.base, distilled)"
                    } else {
                        ""
                    }
                ),
                None => outln!("  base BTF:     ids 1..={}", btf.next_id().0 - 1),
            }?;
            let mut counts = [0u32; 128];
            for t in btf.types() {
                counts[t.kind().0 as usize] += 1;
            }
            outln!("  types:        {}", btf.type_count())?;
            for (k, &n) in counts.iter().enumerate() {
                if n > 0 {
                    outln!("    {:<12}{n:>8}", Kind(k as u8).to_string())?;
                }
            }
            outln!(
                "  valid:        {}",
                if self.btf.no_validate {
                    "not checked"
                } else {
                    "yes"
                }
            )?;
            Ok(ExitCode::SUCCESS)
        })
    }
}
