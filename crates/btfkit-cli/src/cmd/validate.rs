//! `btfkit validate`: run every check on each input and list every problem found.

use crate::input::Input;
use crate::out::outln;
use btfkit::error::Section;
use btfkit::{Btf, Error, Rule};
use std::path::PathBuf;
use std::process::ExitCode;

/// Check BTF as the kernel would and list every problem.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 when every input is valid, 1 when one is not, 2 on usage or I/O errors.

Examples:
  btfkit validate /sys/kernel/btf/vmlinux
  btfkit validate --base vmlinux.btf modules/*.btf"
)]
pub struct Opts {
    /// Base BTF for split (module) inputs.
    #[arg(long, short = 'B', value_name = "BASE")]
    base: Option<PathBuf>,
    /// Show at most this many problems per input (0: all).
    #[arg(long, default_value_t = 50)]
    max_errors: usize,
    #[command(flatten)]
    output: super::ReportFlags,
    /// Raw BTF, ELF objects, compressed modules, sysfs files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// The outcome of checking one blob.
fn check<'a>(blob: &'a [u8], base: Option<&'a Btf<'a>>) -> (Option<Btf<'a>>, Vec<Error>) {
    let parsed = match base {
        Some(b) => Btf::parse_split(blob, b),
        None => Btf::parse(blob),
    };
    match parsed {
        Ok(btf) => {
            let errors = btfkit::validate::validate(&btf);
            (Some(btf), errors)
        }
        Err(e) => (None, vec![e]),
    }
}

impl Opts {
    /// Prints the problems (unless --json or --quiet) and returns them as JSON.
    fn report(
        &self,
        label: &str,
        section: Section,
        errors: &[Error],
        base_label: Option<&str>,
    ) -> Result<Vec<serde_json::Value>, crate::out::StdoutError> {
        let json: Vec<serde_json::Value> = errors
            .iter()
            .map(|e| {
                serde_json::json!({
                    "section": section.to_string(),
                    "rule": format!("{:?}", e.rule()),
                    "message": e.clone().in_section(section).to_string(),
                })
            })
            .collect();
        if self.output.json || self.output.quiet {
            return Ok(json);
        }
        let shown = if self.max_errors == 0 {
            errors.len()
        } else {
            errors.len().min(self.max_errors)
        };
        let wrong_base = errors
            .iter()
            .filter(|e| e.rule() == Rule::NameInsideBaseString)
            .count();
        if wrong_base > 0 {
            outln!(
                "{label}: not built against {}: {wrong_base} string offsets point into the middle of base strings",
                base_label.unwrap_or("this base")
            )?;
        }
        for e in &errors[..shown] {
            outln!("{label}: {}", e.clone().in_section(section))?;
        }
        if shown < errors.len() {
            outln!(
                "{label}: ... and {} more problems (--max-errors 0 shows all)",
                errors.len() - shown
            )?;
        }
        Ok(json)
    }

    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        crate::input::stdin_at_most_once(
            self.inputs
                .iter()
                .chain(&self.base)
                .map(std::path::PathBuf::as_path),
        )?;
        let base_input = match &self.base {
            Some(p) => Some(Input::read(p)?),
            None => None,
        };
        let base_blobs = base_input.as_ref().map(|i| i.blobs()).transpose()?;
        let (base, base_errors) = match &base_blobs {
            Some(b) => check(&b.btf, None),
            None => (None, Vec::new()),
        };
        let base_label = base_input.as_ref().map(|i| i.label.clone());
        if let Some(label) = &base_label {
            if !base_errors.is_empty() {
                let problems = self.report(label, Section::Btf, &base_errors, None)?;
                if self.output.json {
                    let doc = super::json_doc(
                        "validate",
                        serde_json::json!({
                            "base": {"input": label, "valid": false, "problems": problems},
                            "inputs": [],
                            "summary": {"inputs": self.inputs.len(), "valid": 0, "invalid": 0, "base_invalid": true},
                        }),
                    );
                    outln!("{}", serde_json::to_string_pretty(&doc)?)?;
                } else if !self.output.quiet {
                    outln!("{label}: base is invalid; its split inputs cannot be checked")?;
                }
                return Ok(ExitCode::from(1));
            }
        }

        let mut all_valid = true;
        let mut docs = Vec::new();
        for path in &self.inputs {
            let input = Input::read(path)?;
            let blobs = input.blobs()?;
            let mut problems = 0usize;
            let mut list = Vec::new();
            // How the kernel will judge the order of the module's (or vmlinux's) types.
            let mut order = None;
            if let Some(dist) = &blobs.dist_base {
                let (dist_btf, errors) = check(dist, None);
                problems += errors.len();
                list.extend(self.report(&input.label, Section::BtfBase, &errors, None)?);
                if let Some(dist_btf) = &dist_btf {
                    if errors.is_empty() {
                        let (split, errors) = check(&blobs.btf, Some(dist_btf));
                        order = split
                            .as_ref()
                            .map(|s| (btfkit::sort::is_sorted(s), super::sort_state_text(s)));
                        problems += errors.len();
                        list.extend(self.report(
                            &input.label,
                            Section::Btf,
                            &errors,
                            Some(".BTF.base"),
                        )?);
                    }
                }
            } else {
                let sysfs_base;
                let sysfs_blobs;
                let sysfs_btf;
                let base_ref: Option<&Btf<'_>> = match (&base, input.sysfs_default_base()) {
                    (Some(b), _) => Some(b),
                    (None, Some(p)) => {
                        sysfs_base = Input::read(&p)?;
                        sysfs_blobs = sysfs_base.blobs()?;
                        sysfs_btf = Btf::parse(&sysfs_blobs.btf)?;
                        Some(&sysfs_btf)
                    }
                    (None, None) => None,
                };
                if base_ref.is_none() && blobs.looks_split() {
                    anyhow::bail!(
                        "{}: this is split BTF (module BTF); pass the vmlinux BTF it was built against with --base",
                        input.label
                    );
                }
                let (btf, errors) = check(&blobs.btf, base_ref);
                order = btf
                    .as_ref()
                    .map(|s| (btfkit::sort::is_sorted(s), super::sort_state_text(s)));
                problems += errors.len();
                list.extend(self.report(
                    &input.label,
                    Section::Btf,
                    &errors,
                    base_label.as_deref(),
                )?);
            }
            all_valid &= problems == 0;
            docs.push(serde_json::json!({
                "input": input.label,
                "valid": problems == 0,
                "problems": list,
                "sorted": order.as_ref().filter(|_| problems == 0).map(|o| o.0),
            }));
            if self.output.json || self.output.quiet {
                continue;
            }
            if problems == 0 {
                outln!("{}: ok", input.label)?;
                if let Some((_, order)) = order {
                    outln!("{}: {order}", input.label)?;
                }
            } else {
                outln!(
                    "{}: invalid ({problems} problem{})",
                    input.label,
                    if problems == 1 { "" } else { "s" }
                )?;
            }
        }
        if self.output.json {
            let valid = docs.iter().filter(|d| d["valid"] == true).count();
            let doc = super::json_doc(
                "validate",
                serde_json::json!({
                    "base": base_label.as_ref().map(|l| serde_json::json!({"input": l, "valid": true, "problems": []})),
                    "summary": {"inputs": docs.len(), "valid": valid, "invalid": docs.len() - valid, "base_invalid": false},
                    "inputs": docs,
                }),
            );
            outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        }
        Ok(if all_valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
