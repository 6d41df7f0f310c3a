//! `btfkit scan`: every module of a tree classified ([`btfkit::module::classify`]): no
//! BTF, plain split BTF, distilled, invalid; `.BTF_ids`, signed; sizes; with a vmlinux
//! BTF, the verdict `check` gives. In parallel, with a progress bar on a terminal; a
//! summary table, or one JSON document.

use super::check::render;
use super::ReportFlags;
use crate::input::{expand, show, BaseFile, Input, Walk};
use crate::out::{diag, outln};
use anyhow::{bail, Result};
use btfkit::module::{classify, Class, Classified};
use btfkit::Btf;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str =
    "Without DIR or --kernel: the running kernel's modules (/lib/modules/$(uname -r))
against its BTF (/sys/kernel/btf/vmlinux). With --kernel RELEASE: /lib/modules/RELEASE (or
/usr/lib/modules/RELEASE), against --against, else the running kernel's BTF when RELEASE is
running, else the BTF extracted from that kernel's vmlinuz (/lib/modules/RELEASE/vmlinuz or
/boot/vmlinuz-RELEASE) when there is one. With DIR: the modules under DIR, against --against
when given (classification only otherwise).

Classes: no BTF; plain split BTF (built against one exact vmlinux); distilled (.BTF over
its own .BTF.base); invalid (a BTF section that does not parse or validate). Also counted:
modules with .BTF_ids (kfunc sets, struct_ops) and signed modules.

Exit status: 0 no module would be refused, 1 at least one would (invalid BTF, or refused
by the check against the vmlinux BTF), 2 usage or I/O errors or unreadable modules.

Examples:
  btfkit scan
  btfkit scan --kernel 6.12.0-1-amd64
  btfkit scan --against vmlinux.btf /usr/lib/modules/7.2.13-cloud-amd64/kernel --json";

/// Classify every module of a tree and check it against a vmlinux BTF.
#[derive(clap::Args)]
#[command(after_help = HELP)]
pub struct Opts {
    /// The vmlinux BTF to check against (raw, ELF, vmlinuz: any image `extract` reads).
    #[arg(long, short = 'B', value_name = "VMLINUX")]
    against: Option<PathBuf>,
    /// The modules of this installed kernel release.
    #[arg(long, value_name = "RELEASE", conflicts_with = "dir")]
    kernel: Option<String>,
    #[command(flatten)]
    report: ReportFlags,
    /// A directory of modules (searched recursively), or module files.
    dir: Option<PathBuf>,
}

/// One module's row.
struct Row {
    path: PathBuf,
    file_len: u64,
    compression: Option<btfkit::compress::Compression>,
    result: Result<Classified>,
}

/// The running kernel's release.
fn uname_r() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
}

fn module_dir(release: &str) -> Result<PathBuf> {
    for root in ["/lib/modules", "/usr/lib/modules"] {
        let d = Path::new(root).join(release);
        if d.is_dir() {
            return Ok(d);
        }
    }
    bail!(
        "no modules of kernel {} in /lib/modules or /usr/lib/modules",
        btfkit::escape::escape(release)
    )
}

/// The vmlinux BTF: a file `BaseFile` reads, or a kernel image.
struct Target {
    label: String,
    path: PathBuf,
    btf: Vec<u8>,
}

fn read_target(path: &Path) -> Result<Target> {
    match BaseFile::read(path) {
        Ok(b) => Ok(Target {
            label: b.label.clone(),
            path: path.to_path_buf(),
            btf: b.btf_bytes()?.to_vec(),
        }),
        Err(first) => {
            // Not raw BTF or an ELF: a kernel image (vmlinuz), as `extract` reads it.
            let Ok(mut f) = std::fs::File::open(path) else {
                return Err(first);
            };
            let opts = btfkit::image::Options {
                limit: crate::input::limit(),
                validate: true,
            };
            match btfkit::image::extract(&mut f, &opts) {
                Ok(x) => Ok(Target {
                    label: show(path),
                    path: path.to_path_buf(),
                    btf: x.btf,
                }),
                Err(_) => Err(first),
            }
        }
    }
}

impl Opts {
    /// The modules to scan and the vmlinux BTF, as the options say.
    fn plan(&self) -> Result<(PathBuf, Option<PathBuf>)> {
        let running = uname_r();
        match (&self.dir, &self.kernel) {
            (Some(d), _) => Ok((d.clone(), self.against.clone())),
            (None, Some(release)) => {
                let dir = module_dir(release)?;
                let against = self.against.clone().or_else(|| {
                    if running.as_deref() == Some(release.as_str())
                        && Path::new("/sys/kernel/btf/vmlinux").exists()
                    {
                        return Some(PathBuf::from("/sys/kernel/btf/vmlinux"));
                    }
                    [
                        dir.join("vmlinuz"),
                        PathBuf::from(format!("/boot/vmlinuz-{release}")),
                    ]
                    .into_iter()
                    .find(|p| p.is_file())
                });
                Ok((dir, against))
            }
            (None, None) => {
                let Some(release) = running else {
                    bail!("cannot tell the running kernel's release; give DIR or --kernel");
                };
                let dir = module_dir(&release)?;
                let against = self
                    .against
                    .clone()
                    .or_else(|| Some(PathBuf::from("/sys/kernel/btf/vmlinux")));
                Ok((dir, against))
            }
        }
    }

    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let (dir, against) = self.plan()?;
        let target = against.as_deref().map(read_target).transpose()?;
        let target_btf = target
            .as_ref()
            .map(|t| {
                btfkit::module::parse_checked(&t.btf, None, btfkit::error::Section::Btf, true)
                    .map_err(|e| anyhow::Error::new(e).context(t.label.clone()))
            })
            .transpose()?;
        if let Some(t) = &target_btf {
            // Build the name index once, before the parallel part.
            let _ = t.find_by_name(b"int");
        }
        let files = expand(std::slice::from_ref(&dir), Walk::Modules, None)?;
        if files.is_empty() {
            bail!(
                "no module files (*.ko, *.ko.xz, *.ko.gz, *.ko.zst) in {}",
                show(&dir)
            );
        }
        let bar = ProgressBar::new(files.len() as u64);
        if self.report.quiet || self.report.json {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} modules {elapsed}")
                .expect("valid template"),
        );
        let rows: Vec<Row> = files
            .par_iter()
            .map(|p| {
                let r = scan_one(p, target_btf.as_ref());
                bar.inc(1);
                r
            })
            .collect();
        bar.finish_and_clear();
        self.report(&dir, target.as_ref(), &rows)
    }

    fn report(&self, dir: &Path, target: Option<&Target>, rows: &[Row]) -> Result<ExitCode> {
        let mut count: BTreeMap<Class, (usize, u64, u64)> = BTreeMap::new();
        let (mut ids, mut signed, mut refused, mut ok, mut errors) = (0, 0, 0, 0, 0);
        let mut modules = Vec::new();
        for row in rows {
            let shown = show(&row.path);
            let c = match &row.result {
                Ok(c) => c,
                Err(e) => {
                    errors += 1;
                    diag!("{shown}: error: {e:#}");
                    modules.push(json!({"module": row.path.display().to_string(), "error": format!("{e:#}")}));
                    continue;
                }
            };
            let e = count.entry(c.class).or_default();
            e.0 += 1;
            e.1 += c.btf_len.unwrap_or(0) as u64;
            e.2 += c.base_len.unwrap_or(0) as u64;
            ids += c.btf_ids_len.is_some() as usize;
            signed += c.signature.is_some() as usize;
            let verdict = c.verdict.as_ref().map(render);
            if c.is_refused() {
                refused += 1;
            } else if verdict.is_some() {
                ok += 1;
            }
            if !self.report.quiet && !self.report.json {
                if let Some(why) = &c.invalid {
                    outln!("{shown}: invalid: {}", why.lines().next().unwrap_or(""))?;
                } else if let Some(v) = verdict.as_ref().filter(|v| !v.ok) {
                    outln!("{shown}: {} BTF {}", c.class.description(), v.text)?;
                }
            }
            modules.push(json!({
                "module": row.path.display().to_string(),
                "file_bytes": row.file_len,
                "compression": row.compression.map(|c| c.name()),
                "elf_bytes": c.elf_len,
                "class": c.class.key(),
                "invalid": c.invalid,
                "btf_bytes": c.btf_len,
                "btf_base_bytes": c.base_len,
                "btf_ids_bytes": c.btf_ids_len,
                "signed": c.signature.is_some(),
                "signer": c.signature.as_ref().and_then(|s| s.signer.as_ref()).and_then(|s| s.issuer.clone()),
                "verdict": verdict.map(|v| v.json),
            }));
        }
        let classes: serde_json::Map<String, Value> = Class::ALL
            .iter()
            .map(|c| {
                let (n, b, bb) = count.get(c).copied().unwrap_or_default();
                (
                    c.key().to_string(),
                    json!({"modules": n, "btf_bytes": b, "btf_base_bytes": bb}),
                )
            })
            .collect();
        if self.report.json {
            let doc = super::json_doc(
                "scan",
                json!({
                    "dir": dir.display().to_string(),
                    "against": target.map(|t| t.path.display().to_string()),
                    "modules": modules,
                    "summary": {
                        "scanned": rows.len(),
                        "classes": classes,
                        "btf_ids": ids,
                        "signed": signed,
                        "ok": target.map(|_| ok),
                        "refused": refused,
                        "errors": errors,
                    },
                }),
            );
            outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else if !self.report.quiet {
            outln!(
                "scanned {} modules in {}{}",
                rows.len(),
                show(dir),
                match target {
                    Some(t) => format!(" against {}", t.label),
                    None => String::new(),
                }
            )?;
            outln!(
                "  {:<24}{:>8}{:>14}{:>18}",
                "class",
                "modules",
                ".BTF bytes",
                ".BTF.base bytes"
            )?;
            for c in Class::ALL {
                let (n, b, bb) = count.get(&c).copied().unwrap_or_default();
                outln!("  {:<24}{n:>8}{b:>14}{bb:>18}", c.description())?;
            }
            outln!("  {:<24}{ids:>8}", "with .BTF_ids")?;
            outln!("  {:<24}{signed:>8}", "signed")?;
            if errors > 0 {
                outln!("  {:<24}{errors:>8}", "unreadable")?;
            }
            match target {
                Some(_) => outln!(
                    "{ok} would load with their BTF, {refused} would be refused{}",
                    if count.get(&Class::NoBtf).is_some_and(|c| c.0 > 0) {
                        " (modules without BTF load without it)"
                    } else {
                        ""
                    }
                )?,
                None => outln!(
                    "{refused} with invalid BTF; no vmlinux BTF given (--against): not checked"
                )?,
            }
        }
        Ok(if errors > 0 {
            ExitCode::from(2)
        } else if refused > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}

fn scan_one(path: &Path, target: Option<&Btf<'_>>) -> Row {
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match Input::read(path) {
        Ok(input) => Row {
            path: path.to_path_buf(),
            file_len,
            compression: input.compression,
            result: classify(&input.bytes, target).map_err(|e| input.error(e)),
        },
        Err(e) => Row {
            path: path.to_path_buf(),
            file_len,
            compression: None,
            result: Err(e),
        },
    }
}
