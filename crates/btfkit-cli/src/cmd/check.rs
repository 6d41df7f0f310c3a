//! `btfkit check`: would the kernel whose vmlinux BTF is TARGET accept these modules'
//! BTF? One [`btfkit::module::check`] per module, in parallel; a report per module and a
//! summary of causes.

use crate::input::{
    expand, labelled, show, sibling_base, stdin_at_most_once, BaseFile, Input, Walk,
};
use crate::out::{diag, outln};
use crate::report::{cause, error_text, failure_json};
use anyhow::Result;
use btfkit::escape::escape;
use btfkit::module::check::{Finding, Verdict};
use btfkit::module::IdsCheck;
use btfkit::Btf;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Check whether a kernel would accept modules' BTF.
#[derive(clap::Args)]
#[command(
    after_help = "Inputs: .ko files with .BTF.base (any compression), directories of them
(searched recursively), raw NAME.btf files with NAME.btf.base next to them, - for standard
input; a module without a distilled base is checked as plain split BTF over TARGET.

Exit status: 0 every module would load with its BTF, 1 at least one would not, 2 usage or
I/O errors.

Example, as a DKMS POST_BUILD hook:
  btfkit check --base /sys/kernel/btf/vmlinux ../\"$module\".ko || exit 1"
)]
pub struct Opts {
    /// The target kernel's vmlinux BTF (raw, ELF, any compression).
    #[arg(long, short = 'B', value_name = "TARGET")]
    base: PathBuf,
    #[command(flatten)]
    report: super::ReportFlags,
    /// Module files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// The cause of a refusal for stale `.BTF_ids`, kept apart in the summary.
const BTF_IDS_CAUSE: &str = ".BTF_ids naming the wrong types";

/// The verdict as text, JSON and summary causes (shared with `scan`).
pub(crate) struct Rendered {
    pub(crate) ok: bool,
    pub(crate) text: String,
    pub(crate) json: Value,
    pub(crate) causes: Vec<&'static str>,
}

fn ids_text(ids: &IdsCheck) -> String {
    let mut t = if ids.kfunc_set_refused {
        "would fail to load: its .BTF_ids do not name their types on the target (the kernel \
         refuses its kfunc set: insmod fails with EINVAL): "
            .to_string()
    } else {
        "would be refused: its .BTF_ids name the wrong types on the target (its BPF \
         interfaces break): "
            .to_string()
    };
    let n = 3;
    let shown: Vec<String> = ids.problems.iter().take(n).cloned().collect();
    t.push_str(&shown.join("; "));
    if ids.problems.len() > n {
        t.push_str(&format!(
            "; and {} more (`btfkit ids` lists them)",
            ids.problems.len() - n
        ));
    }
    t
}

/// [`render_finding`], with what the verdict says about the order of the module's types
/// on a target that is sorted by name: on the first line of the text, and as `sorted`.
pub(crate) fn render(v: &Verdict) -> Rendered {
    let mut r = render_finding(v);
    if let Some(sorted) = v.sorted {
        r.json["sorted"] = json!(sorted);
        let note = if sorted {
            "sorted by name, like the target"
        } else {
            "not sorted by name although the target is: the kernel looks its names up one by \
             one (`btfkit distill --order kernel` or `btfkit sort` sorts it)"
        };
        let at = r.text.find('\n').unwrap_or(r.text.len());
        r.text.insert_str(at, &format!(" [{note}]"));
    }
    r
}

fn render_finding(v: &Verdict) -> Rendered {
    let form = v.form.as_str();
    match &v.finding {
        Finding::Accepted { hazards } => {
            let hazards: Vec<String> = hazards
                .iter()
                .map(|h| {
                    format!(
                        "distilled {} '{}' [{}] lands on {} [{}] of the target (the kernel matches by name only)",
                        h.dist_kind,
                        escape(&h.name),
                        h.dist_id,
                        h.target_kind,
                        h.target_id
                    )
                })
                .collect();
            let text = match (v.form, hazards.is_empty()) {
                (btfkit::module::check::Form::Split, _) => {
                    "ok (plain split BTF, valid over the target)".to_string()
                }
                (_, true) => "ok".to_string(),
                (_, false) => format!("ok, with hazards:\n  {}", hazards.join("\n  ")),
            };
            let json = if hazards.is_empty() && form == "split" {
                json!({"ok": true, "btf": form})
            } else {
                json!({"ok": true, "btf": form, "hazards": hazards})
            };
            Rendered {
                ok: true,
                text,
                json,
                causes: Vec::new(),
            }
        }
        Finding::Invalid {
            wrong_base,
            invalid,
        } => Rendered {
            ok: false,
            text: format!(
                "would be refused: {}{invalid}",
                if *wrong_base {
                    "plain split BTF not built against the target; "
                } else {
                    ""
                }
            ),
            json: json!({
                "ok": false,
                "btf": form,
                "wrong_base": wrong_base,
                "problems": invalid.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            }),
            causes: vec![if *wrong_base {
                "built against another vmlinux"
            } else {
                "invalid BTF"
            }],
        },
        Finding::DoesNotRelocate(e) => Rendered {
            ok: false,
            text: format!("would be refused: {}", error_text(e, 0)),
            json: json!({
                "ok": false,
                "btf": form,
                "problems": e.failures().iter().map(failure_json).collect::<Vec<_>>(),
            }),
            causes: e.failures().iter().map(cause).collect(),
        },
        Finding::StaleBtfIds(ids) => Rendered {
            ok: false,
            text: ids_text(ids),
            json: json!({
                "ok": false,
                "btf": form,
                "btf_ids": {
                    "entries": ids.entries,
                    "kfunc_set_refused": ids.kfunc_set_refused,
                    "problems": ids.problems,
                },
            }),
            causes: vec![BTF_IDS_CAUSE],
        },
        Finding::CompressedSection(name) => Rendered {
            ok: false,
            text: format!(
                "would be refused: {name} is stored compressed (SHF_COMPRESSED); the kernel reads section bytes as they are"
            ),
            json: json!({"ok": false, "btf": form, "problems": [format!("{name} is compressed (SHF_COMPRESSED)")]}),
            causes: vec!["compressed BTF section"],
        },
    }
}

fn check_one(target: &Btf<'_>, path: &Path) -> Result<Verdict> {
    let module = Input::read(path)?;
    let dist = match sibling_base(path) {
        Some(p) if !btfkit::elf::is_elf(&module.bytes) => Some(Input::read(&p)?),
        _ => None,
    };
    btfkit::module::check(
        &module.bytes,
        dist.as_ref().map(|d| d.bytes.as_slice()),
        target,
    )
    .map_err(|e| module.error(e))
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        stdin_at_most_once(self.inputs.iter().chain([&self.base]).map(PathBuf::as_path))?;
        let base_file = BaseFile::read(&self.base)?;
        let target = base_file.parse(true)?;
        // Build the name index once, before the parallel part.
        let _ = target.find_by_name(b"int");
        let files = expand(&self.inputs, Walk::ModulesAndBtf, None)?;
        if files.is_empty() {
            anyhow::bail!("no module files in the inputs");
        }
        let bar = ProgressBar::new(files.len() as u64);
        if self.report.quiet || self.report.json {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} modules {elapsed}")
                .expect("valid template"),
        );
        let verdicts: Vec<(PathBuf, Result<Verdict>)> = files
            .par_iter()
            .map(|p| {
                let v = check_one(&target, p);
                bar.inc(1);
                (p.clone(), v)
            })
            .collect();
        bar.finish_and_clear();

        let mut refused = 0usize;
        let mut errors = 0usize;
        let mut causes: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut modules = Vec::new();
        for (path, v) in &verdicts {
            let shown = if crate::input::is_stdin(path) {
                "<stdin>".to_string()
            } else {
                show(path)
            };
            match v {
                Ok(v) => {
                    let r = render(v);
                    if !r.ok {
                        refused += 1;
                    }
                    for c in &r.causes {
                        *causes.entry(c).or_default() += 1;
                    }
                    if !self.report.json && !self.report.quiet {
                        outln!("{shown}: {}", r.text)?;
                    }
                    let mut j = r.json;
                    j["module"] = json!(path.display().to_string());
                    modules.push(j);
                }
                Err(e) => {
                    errors += 1;
                    diag!("error: {}", labelled(&shown, format!("{e:#}")));
                    modules.push(
                        json!({"module": path.display().to_string(), "error": format!("{e:#}")}),
                    );
                }
            }
        }
        let ok = verdicts.len() - refused - errors;
        let stale_ids = causes.get(BTF_IDS_CAUSE).copied().unwrap_or(0);
        let mut top: Vec<(&&str, &usize)> = causes
            .iter()
            .filter(|(c, _)| **c != BTF_IDS_CAUSE)
            .collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        if self.report.json {
            let doc = super::json_doc(
                "check",
                json!({
                    "target": base_file.path.display().to_string(),
                    "modules": modules,
                    "summary": {"checked": verdicts.len(), "ok": ok, "refused": refused, "errors": errors,
                                "causes": causes},
                }),
            );
            outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else if !self.report.quiet {
            let top: Vec<String> = top
                .iter()
                .take(5)
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            outln!(
                "checked {} modules against {}: {ok} ok, {refused} would be refused{}{}",
                verdicts.len(),
                base_file.label,
                if errors > 0 {
                    format!(", {errors} unreadable")
                } else {
                    String::new()
                },
                if top.is_empty() {
                    String::new()
                } else {
                    format!(" (distilled types failing: {})", top.join(", "))
                }
            )?;
            if stale_ids > 0 {
                outln!(
                    "{stale_ids} of them because their .BTF_ids name the wrong types (`btfkit ids` shows them; `btfkit distill -o/--in-place` and `retarget` rewrite them)"
                )?;
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
