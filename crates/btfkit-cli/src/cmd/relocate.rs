//! `btfkit relocate`: rewrite a module's split BTF from its distilled base onto a real
//! vmlinux BTF (what the kernel does at module load), with an id map on request.

use crate::input::{sibling_base, stdin_at_most_once, BaseFile, Input};
use crate::out::diag;
use crate::output::{write_outputs, POLICY};
use crate::report::error_text;
use anyhow::{bail, Context, Result};
use btfkit::module::open::with_distilled;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Examples:
  btfkit relocate --base /sys/kernel/btf/vmlinux veth.ko -o veth.btf
  btfkit relocate --base vmlinux.btf --dist-base veth.btf.base veth.btf -o out.btf --id-map map.json

The id map format is described in docs/id-map.md.";

const EXIT: &str =
    "Exit status: 0 relocated, 1 the module does not relocate onto BASE (every reason is
listed), 2 usage or I/O errors.";

/// Relocate split BTF from its distilled base onto a full vmlinux BTF.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The vmlinux BTF to relocate onto (raw, ELF, any compression).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: PathBuf,
    /// The distilled base of a raw split INPUT (default: INPUT.base next to it).
    #[arg(long, value_name = "FILE")]
    dist_base: Option<PathBuf>,
    /// Where to write the relocated split BTF (raw; - for standard output).
    #[arg(long, short, value_name = "OUT")]
    out: PathBuf,
    /// Also write the id map (distilled/split id → new id) and string map as JSON.
    #[arg(long, value_name = "MAP.json")]
    id_map: Option<PathBuf>,
    /// Match a distilled STRUCT/UNION only against a base STRUCT/UNION (libbpf and the
    /// kernel match any kind of the same name).
    #[arg(long)]
    strict_kinds: bool,
    /// Skip validating the inputs (forensics).
    #[arg(long)]
    no_validate: bool,
    /// A .ko with .BTF and .BTF.base (any compression), or a raw split BTF file.
    input: PathBuf,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        stdin_at_most_once(
            [&self.input, &self.base]
                .into_iter()
                .chain(&self.dist_base)
                .map(PathBuf::as_path),
        )?;
        let validate = !self.no_validate;
        let base_file = BaseFile::read(&self.base)?;
        let base = base_file.parse(validate)?;
        let module = Input::read(&self.input)?;
        let blobs = module.blobs()?;
        let dist_file = match (&blobs.dist_base, &self.dist_base) {
            (Some(_), Some(_)) => bail!(
                "{}: has its own .BTF.base; --dist-base is for raw split files",
                module.label
            ),
            (Some(_), None) => None,
            (None, Some(p)) => Some(Input::read(p)?),
            (None, None) => match sibling_base(&self.input) {
                Some(p) => Some(Input::read(&p)?),
                None => bail!(
                    "{}: has no .BTF.base (it is not distilled; `btfkit distill` makes one), and no NAME.base next to it (--dist-base names one)",
                    module.label
                ),
            },
        };
        let opts = btfkit::relocate::Options {
            strict_kinds: self.strict_kinds,
        };
        let dist = dist_file.as_ref().map(|d| d.bytes.as_slice());
        let relocated = with_distilled(&blobs, dist, validate, |split| {
            btfkit::relocate::relocate(split, &base, opts)
                .map(|r| (r, split.start_id().0, split.type_count()))
        })
        .map_err(|e| module.error(e))?;
        let (r, nr_dist, split_types) = match relocated {
            Ok(r) => r,
            Err(e) => {
                diag!(
                    "{}: does not relocate onto {}: {}",
                    module.label,
                    base_file.label,
                    error_text(&e, 0)
                );
                return Ok(ExitCode::from(1));
            }
        };
        let map = self.id_map.as_ref().map(|_| {
            let doc = json!({
                "format": "btfkit-id-map",
                "version": 1,
                "dist_base_types": nr_dist - 1,
                "split_types": split_types,
                "base_types": base.next_id().0 - 1,
                "types": r.id_map.iter().map(|(old, new)| json!([old.0, new.0])).collect::<Vec<_>>(),
                "strings": r.str_map.iter().map(|(o, n)| json!([o.0, n.0])).collect::<Vec<_>>(),
                "cross_kind": r.cross_kind.iter().map(|(d, b)| json!([d.0, b.0])).collect::<Vec<_>>(),
            });
            serde_json::to_vec_pretty(&doc).expect("JSON serializes")
        });
        let mut files: Vec<(&std::path::Path, &[u8])> = vec![(&self.out, &r.split)];
        if let (Some(p), Some(m)) = (&self.id_map, &map) {
            files.push((p, m));
        }
        let mut inputs = vec![
            ("the input", self.input.as_path()),
            ("the base", &self.base),
        ];
        if let Some(d) = &self.dist_base {
            inputs.push(("the distilled base", d));
        }
        write_outputs(&files, &inputs).context("writing the relocated BTF")?;
        for (d, b) in &r.cross_kind {
            diag!(
                "warning: distilled type [{d}] matched base type [{b}] of another kind (libbpf and the kernel do the same; --strict-kinds refuses it)"
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
