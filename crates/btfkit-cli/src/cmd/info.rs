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
    #[command(flatten)]
    report: super::ReportFlags,
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
            if self.report.quiet {
                return Ok(ExitCode::SUCCESS);
            }
            if self.report.json {
                let mut kinds = serde_json::Map::new();
                let mut counts = [0u32; 128];
                for t in btf.types() {
                    counts[t.kind().0 as usize] += 1;
                }
                for (k, &n) in counts.iter().enumerate() {
                    if n > 0 {
                        kinds.insert(Kind(k as u8).to_string(), n.into());
                    }
                }
                let doc = super::json_doc(
                    "info",
                    serde_json::json!({
                        "input": input.label,
                        "compression": input.compression.map(|c| c.name()),
                        "byte_order": h.endian.to_string(),
                        "header": {
                            "version": h.version,
                            "flags": h.flags,
                            "hdr_len": h.hdr_len,
                            "type_off": h.type_off,
                            "type_len": h.type_len,
                            "str_off": h.str_off,
                            "str_len": h.str_len,
                            "layout_off": h.has_layout().then_some(h.layout_off),
                            "layout_len": h.has_layout().then_some(h.layout_len),
                        },
                        "split": btf.base().map(|b| serde_json::json!({
                            "start_id": btf.start_id().0,
                            "last_id": btf.next_id().0 - 1,
                            "base_types": b.next_id().0 - 1,
                            "distilled_base": has_dist_base,
                        })),
                        "types": btf.type_count(),
                        "kinds": kinds,
                        "sorted": btfkit::sort::is_sorted(btf),
                        "validated": !self.btf.no_validate,
                    }),
                );
                crate::out::outln!("{}", serde_json::to_string_pretty(&doc)?)?;
                return Ok(ExitCode::SUCCESS);
            }
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
            outln!("  order:        {}", super::sort_state_text(btf))?;
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
