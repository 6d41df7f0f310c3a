//! `btfkit check`: would the kernel whose vmlinux BTF is TARGET accept these modules'
//! BTF? Validation as the kernel does it at module load, then relocation of the
//! distilled base (or, for plain split BTF, a check that it belongs to TARGET).

use crate::input::{expand, parse_checked, BaseFile, DistilledInput, Input};
use crate::report::{cause, error_text, failure_json};
use anyhow::Result;
use btfkit::error::Section;
use btfkit::relocate::{relocate, Options};
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
(searched recursively), raw NAME.btf files with NAME.btf.base next to them; a module without
a distilled base is checked as plain split BTF over TARGET.

Exit status: 0 every module would load with its BTF, 1 at least one would not, 2 usage or
I/O errors.

Example, as a DKMS POST_BUILD hook:
  btfkit check --base /sys/kernel/btf/vmlinux ../\"$module\".ko || exit 1"
)]
pub struct Opts {
    /// The target kernel's vmlinux BTF (raw, ELF, any compression).
    #[arg(long, short = 'B', value_name = "TARGET")]
    base: PathBuf,
    /// Print the full report as one JSON document.
    #[arg(long)]
    json: bool,
    /// Module files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// The verdict on one module.
struct Verdict {
    ok: bool,
    /// One-line (or multi-line) human text.
    text: String,
    /// JSON details.
    json: Value,
    /// Causes, for the summary.
    causes: Vec<&'static str>,
}

fn check_distilled(target: &Btf<'_>, module: &DistilledInput) -> Result<Verdict> {
    module.with_split(true, |split| {
        let kind = "distilled";
        match relocate(split, target, Options::default()) {
            Ok(r) => {
                let hazards: Vec<String> = r
                    .cross_kind
                    .iter()
                    .map(|(d, b)| {
                        let dt = split.base().and_then(|db| db.type_by_id(*d));
                        let bt = target.type_by_id(*b);
                        format!(
                            "distilled {} '{}' [{d}] lands on {} [{b}] of the target (the kernel matches by name only)",
                            dt.map_or("?".into(), |t| t.kind().to_string()),
                            dt.and_then(|t| split.base().map(|db| db.name_lossy(&t))).unwrap_or_default(),
                            bt.map_or("?".into(), |t| t.kind().to_string()),
                        )
                    })
                    .collect();
                // .BTF_ids: what the kernel reads through its relocation (btf_relocate_id).
                let rs = Btf::parse_split(&r.split, target)?;
                let ids = super::ids::check_module(&module.module.bytes, &rs, |id| {
                    r.id_map.get(btfkit::TypeId(id)).map(|t| t.0)
                })?;
                if let Some(v) = ids_verdict(kind, ids.as_ref()) {
                    return Ok(v);
                }
                let text = if hazards.is_empty() {
                    "ok".to_string()
                } else {
                    format!("ok, with hazards:\n  {}", hazards.join("\n  "))
                };
                Ok(Verdict {
                    ok: true,
                    text,
                    json: json!({"ok": true, "btf": kind, "hazards": hazards}),
                    causes: Vec::new(),
                })
            }
            Err(e) => Ok(Verdict {
                ok: false,
                text: format!("would be refused: {}", error_text(&e, 0)),
                json: json!({
                    "ok": false,
                    "btf": kind,
                    "problems": e.failures().iter().map(failure_json).collect::<Vec<_>>(),
                }),
                causes: e.failures().iter().map(cause).collect(),
            }),
        }
    })
}

/// The verdict on a module whose `.BTF_ids` do not name their types (None: they do, or
/// there are none).
fn ids_verdict(kind: &str, ids: Option<&super::ids::IdsCheck>) -> Option<Verdict> {
    let ids = ids.filter(|c| !c.problems.is_empty())?;
    Some(Verdict {
        ok: false,
        text: ids.text(),
        json: json!({
            "ok": false,
            "btf": kind,
            "btf_ids": {
                "entries": ids.entries,
                "kfunc_set_refused": ids.kfuncs_broken,
                "problems": ids.problems,
            },
        }),
        causes: vec![BTF_IDS_CAUSE],
    })
}

/// The cause of a refusal for stale `.BTF_ids`, kept apart in the summary.
const BTF_IDS_CAUSE: &str = ".BTF_ids naming the wrong types";

fn check_plain(target: &Btf<'_>, path: &Path) -> Result<Verdict> {
    let input = Input::read(path)?;
    let blobs = input.blobs()?;
    let verdict = match parse_checked(&blobs.btf, Some(target), Section::Btf, &input.label, true) {
        Ok(btf) => {
            let ids = super::ids::check_module(&input.bytes, &btf, Some)?;
            match ids_verdict("split", ids.as_ref()) {
                Some(v) => v,
                None => Verdict {
                    ok: true,
                    text: "ok (plain split BTF, valid over the target)".to_string(),
                    json: json!({"ok": true, "btf": "split"}),
                    causes: Vec::new(),
                },
            }
        }
        Err(inv) => {
            let wrong_base = inv
                .errors
                .iter()
                .any(|e| e.rule() == btfkit::Rule::NameInsideBaseString);
            Verdict {
                ok: false,
                text: format!(
                    "would be refused: {}{}",
                    if wrong_base {
                        "plain split BTF not built against the target; "
                    } else {
                        ""
                    },
                    inv
                ),
                json: json!({
                    "ok": false,
                    "btf": "split",
                    "wrong_base": wrong_base,
                    "problems": inv.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                }),
                causes: vec![if wrong_base {
                    "built against another vmlinux"
                } else {
                    "invalid BTF"
                }],
            }
        }
    };
    Ok(verdict)
}

fn check_one(target: &Btf<'_>, path: &Path) -> Result<Verdict> {
    let module = Input::read(path)?;
    let has_dist = module.blobs()?.dist_base.is_some();
    let sibling = path.with_file_name(format!(
        "{}.base",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    if has_dist || sibling.is_file() {
        let d = DistilledInput::read(path, None)?;
        match check_distilled(target, &d) {
            Ok(v) => Ok(v),
            Err(e) => Ok(Verdict {
                ok: false,
                text: format!("would be refused: {e:#}"),
                json: json!({"ok": false, "btf": "distilled", "problems": [format!("{e:#}")]}),
                causes: vec!["invalid BTF"],
            }),
        }
    } else {
        check_plain(target, path)
    }
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let base_input = BaseFile::read(&self.base)?;
        let target = base_input.parse(true)?;
        // Build the name index once, before the parallel part.
        let _ = target.find_by_name(b"int");
        let files = expand(&self.inputs)?;
        if files.is_empty() {
            anyhow::bail!("no module files in the inputs");
        }
        let bar = ProgressBar::new(files.len() as u64);
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
            match v {
                Ok(v) => {
                    if !v.ok {
                        refused += 1;
                    }
                    for c in &v.causes {
                        *causes.entry(c).or_default() += 1;
                    }
                    if !self.json {
                        outln!("{}: {}", path.display(), v.text)?;
                    }
                    let mut j = v.json.clone();
                    j["module"] = json!(path.display().to_string());
                    modules.push(j);
                }
                Err(e) => {
                    errors += 1;
                    eprintln!("{}: error: {e:#}", path.display());
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
        if self.json {
            let doc = json!({
                "target": base_input.label,
                "modules": modules,
                "summary": {"checked": verdicts.len(), "ok": ok, "refused": refused, "errors": errors,
                            "causes": causes},
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else {
            let top: Vec<String> = top
                .iter()
                .take(5)
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            outln!(
                "checked {} modules against {}: {ok} ok, {refused} would be refused{}{}",
                verdicts.len(),
                base_input.label,
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
