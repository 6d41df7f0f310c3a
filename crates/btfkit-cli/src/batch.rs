//! Rewriting module files for `distill -o/--in-place`, `retarget` and `strip`: one file
//! (`-o OUT`, or in place), or a tree in place in parallel, with a progress bar on a
//! terminal and a summary. The work on each module is one library call
//! ([`btfkit::module`]); this file reads, compresses back and writes through the output
//! policy ([`btfkit::file`]): in chunks, each committed durably with one sync per file
//! system. Ctrl-C stops taking new modules; what was done is committed and summarized.

use crate::input::{expand, is_ko, is_stdin, labelled, show, Input, Walk};
use crate::out::diag;
use crate::output::{show_output, write_outputs};
use anyhow::{bail, Result};
use btfkit::compress::{compress, Compression};
use btfkit::elf::ModuleSignature;
use btfkit::file::{check_distinct, commit, FileId, Output, Staged};
use btfkit::module::{ModuleError, Outcome, Unchanged};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::HashSet;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where rewritten modules go.
pub enum Target {
    /// One module, written to this file (`-`: standard output).
    Out(PathBuf),
    /// Every module replaces its input file.
    InPlace,
}

impl Target {
    /// From `-o OUT` / `--in-place`, checked against the inputs.
    pub fn new(out: Option<PathBuf>, in_place: bool, inputs: &[PathBuf]) -> Result<Target> {
        match (out, in_place) {
            (Some(o), false) => {
                if inputs.len() != 1 || inputs[0].is_dir() {
                    bail!("-o takes exactly one module file; use --in-place for several or for a directory");
                }
                Ok(Target::Out(o))
            }
            (None, true) => {
                if inputs.iter().any(|p| is_stdin(p)) {
                    bail!("--in-place rewrites module files; standard input cannot be one (use -o OUT)");
                }
                Ok(Target::InPlace)
            }
            (Some(_), true) => bail!("-o and --in-place exclude each other"),
            (None, false) => bail!("give -o OUT or --in-place"),
        }
    }
}

/// A command's rewrite of modules.
pub struct Rewrite<'a> {
    /// What was done, for the summary (`distilled`).
    pub verb: &'static str,
    /// Where the results go.
    pub target: Target,
    /// Files no output may be (the bases), with what each is.
    pub protected: Vec<(&'static str, &'a Path)>,
    /// For one module named alone: whether "nothing to do" is an error (`distill` of a
    /// distilled module) rather than a note (`strip` of a module without BTF).
    pub unchanged_is_error: bool,
    /// The vmlinux modules are relocated onto, for the report of one that does not.
    pub target_label: &'a str,
    /// The command, for the JSON report (`distill`).
    pub command: &'static str,
    /// `--json` / `--quiet`.
    pub report: crate::cmd::ReportFlags,
}

/// What a command's summary of one rewritten module has to say beyond its line: notes
/// printed under the module's name (what `gen` could not encode, for instance).
pub trait Notes {
    /// The notes, one line each; none by default.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Notes for btfkit::module::DistilledModule {}
impl Notes for btfkit::module::RetargetedModule {}
impl Notes for btfkit::module::SortedModule {}
impl Notes for btfkit::module::Stripped {}

/// A command's work on one module: its decompressed ELF bytes in, a rewrite or a
/// reason to leave it out.
pub type Job<'a, S> = dyn Fn(&[u8]) -> Result<Outcome<S>, ModuleError> + Sync + 'a;

/// The compression an output file name asks for, else the input's.
fn compression_for(out: Option<&Path>, input: Option<Compression>) -> Option<Compression> {
    out.and_then(|o| o.file_name())
        .and_then(|n| Compression::from_file_name(&n.to_string_lossy()))
        .unwrap_or(input)
}

fn signature_note(sig: &ModuleSignature) -> String {
    format!(
        "dropped its module signature ({sig}); the rewritten module is unsigned: re-sign it \
         (e.g. with the kernel's scripts/sign-file) if the kernel enforces module signatures"
    )
}

/// A library error as the CLI reports it: a refusal is a "no" (exit 1), its text with
/// the relocation report (at most `max` failures, 0: all) onto `target`.
pub fn refusal_text(
    e: ModuleError,
    target: &str,
    max: usize,
) -> std::result::Result<String, anyhow::Error> {
    match e {
        ModuleError::Relocate(e) => Ok(format!(
            "does not relocate onto {target}: {}",
            crate::report::error_text(&e, max)
        )),
        e if e.is_refusal() => Ok(e.to_string()),
        e => Err(e.into()),
    }
}

impl Rewrite<'_> {
    /// Runs `job` on every module of `inputs` and writes the results.
    pub fn run<S: Display + Notes>(
        &self,
        inputs: &[PathBuf],
        job: &Job<'_, S>,
    ) -> Result<ExitCode> {
        if inputs.len() == 1 && (is_stdin(&inputs[0]) || !inputs[0].is_dir()) {
            return self.one(&inputs[0], job);
        }
        self.tree(inputs, job)
    }

    /// Whether per-module notes go to standard error (not with --json or --quiet).
    fn notes(&self) -> bool {
        !self.report.json && !self.report.quiet
    }

    /// The JSON report of a run: one entry per module and the counts.
    fn json(&self, modules: Vec<serde_json::Value>) -> Result<()> {
        let mut summary = serde_json::Map::new();
        summary.insert("modules".into(), modules.len().into());
        for key in ["rewritten", "unchanged", "refused", "failed", "interrupted"] {
            let n = modules.iter().filter(|m| m["result"] == key).count();
            summary.insert(key.into(), n.into());
        }
        let doc = crate::cmd::json_doc(
            self.command,
            serde_json::json!({"modules": modules, "summary": summary}),
        );
        crate::out::outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        Ok(())
    }

    /// One module: errors exit 2, a refusal exits 1.
    fn one<S: Display + Notes>(&self, path: &Path, job: &Job<'_, S>) -> Result<ExitCode> {
        if self.report.json && matches!(&self.target, Target::Out(o) if is_stdin(o)) {
            bail!(
                "--json prints the report on standard output; write the module to a file (-o FILE)"
            );
        }
        let input = Input::read(path)?;
        let label = &input.label;
        let out = match &self.target {
            Target::Out(o) => Some(o.as_path()),
            Target::InPlace => None,
        };
        let nothing = match out {
            Some(o) => format!("nothing written to {}", show_output(o)),
            None => "left as it is".to_string(),
        };
        let outcome = match job(&input.bytes) {
            Ok(o) => o,
            Err(e) => match refusal_text(e, self.target_label, 0) {
                Ok(why) => {
                    if self.report.json {
                        self.json(vec![serde_json::json!({"module": label, "result": "refused", "reason": why})])?;
                    } else {
                        diag!("{label}: {why}\n{label}: {nothing}");
                    }
                    return Ok(ExitCode::from(1));
                }
                Err(e) => bail!("{}; {nothing}", labelled(label, format!("{e:#}"))),
            },
        };
        let mut protected = self.protected.clone();
        if out.is_some() {
            if let Some(p) = &input.path {
                protected.push(("the input", p));
            }
        }
        match outcome {
            Outcome::Unchanged(why) => {
                if self.unchanged_is_error {
                    bail!("{label}: {}; {nothing}", unchanged_text(why));
                }
                match out {
                    Some(o) => {
                        let bytes = match input.compression {
                            None => input.bytes.clone(),
                            Some(c) => compress(&input.bytes, c)?,
                        };
                        write_outputs(&[(o, &bytes)], &protected)?;
                        if self.notes() {
                            diag!("{label}: {why}; copied unchanged to {}", show_output(o));
                        }
                    }
                    None if self.notes() => diag!("{label}: {why}; left as it is"),
                    None => {}
                }
                if self.report.json {
                    self.json(vec![serde_json::json!({"module": label, "result": "unchanged", "reason": why.to_string()})])?;
                }
                Ok(ExitCode::SUCCESS)
            }
            Outcome::Rewritten(r) => {
                let compression = compression_for(out, input.compression);
                let bytes = match compression {
                    None => r.patched.elf,
                    Some(c) => compress(&r.patched.elf, c)?,
                };
                let dest = out.unwrap_or(path);
                write_outputs(&[(dest, &bytes)], &protected)?;
                if self.report.json {
                    self.json(vec![serde_json::json!({
                        "module": label,
                        "result": "rewritten",
                        "summary": r.summary.to_string(),
                        "written_to": show_output(dest),
                        "compression": compression.map(|c| c.name()),
                        "signature_dropped": r.patched.trailer.signature.is_some(),
                    })])?;
                    return Ok(ExitCode::SUCCESS);
                }
                if !self.notes() {
                    return Ok(ExitCode::SUCCESS);
                }
                if let Some(sig) = &r.patched.trailer.signature {
                    diag!("{label}: {}", signature_note(sig));
                }
                let other = r.patched.trailer.other_bytes;
                if other > 0 {
                    diag!("{label}: dropped {other} bytes after the ELF image (not a module signature)");
                }
                let how = compression.map(|c| format!(" ({c})")).unwrap_or_default();
                match out {
                    Some(o) => diag!("{label}: {}; written to {}{how}", r.summary, show_output(o)),
                    None => diag!("{label}: {}; rewritten in place{how}", r.summary),
                }
                for n in r.summary.notes() {
                    diag!("{label}: note: {n}");
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    /// A tree (or several files) in place.
    fn tree<S: Display + Notes>(&self, inputs: &[PathBuf], job: &Job<'_, S>) -> Result<ExitCode> {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut seen = HashSet::new();
        for f in expand(inputs, Walk::Modules, None)? {
            let explicit = inputs.contains(&f);
            if !explicit && !is_ko(&f) {
                continue;
            }
            let key = std::fs::metadata(&f)
                .map(|m| FileId::of(&m))
                .map_err(|e| anyhow::anyhow!("{}: {e}", show(&f)))?;
            if seen.insert(key) {
                files.push(f);
            }
        }
        if files.is_empty() {
            bail!("no module files (*.ko, *.ko.xz, *.ko.gz, *.ko.zst) in the inputs");
        }
        let bar = ProgressBar::new(files.len() as u64);
        if !self.notes() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} modules {elapsed} {msg}")
                .expect("valid template"),
        );
        let mut results: Vec<(PathBuf, Done)> = Vec::with_capacity(files.len());
        // Chunks bound the number of staged files; each chunk is committed with one
        // sync per file system.
        for chunk in files.chunks(256) {
            let staged: Vec<(PathBuf, Result<Step>)> = chunk
                .par_iter()
                .map(|path| {
                    let r = if crate::interrupted() {
                        Ok(Step::Interrupted)
                    } else {
                        self.stage_in_place(path, job)
                    };
                    bar.inc(1);
                    (path.clone(), r)
                })
                .collect();
            let mut to_commit = Vec::new();
            let mut pending: Vec<(PathBuf, Done)> = Vec::new();
            for (path, r) in staged {
                match r {
                    Ok(Step::Staged { staged, trailer }) => {
                        to_commit.push(staged);
                        pending.push((path, Done::Rewritten(trailer)));
                    }
                    Ok(Step::Unchanged(why)) => pending.push((path, Done::Unchanged(why))),
                    Ok(Step::Interrupted) => pending.push((path, Done::Interrupted)),
                    Ok(Step::Refused(why)) => pending.push((path, Done::Failed(why))),
                    Err(e) => pending.push((path, Done::Failed(format!("{e:#}")))),
                }
            }
            for e in commit(to_commit) {
                let msg = e.to_string();
                if let Some(entry) = pending
                    .iter_mut()
                    .find(|(p, d)| matches!(d, Done::Rewritten(_)) && dest_of(p) == error_path(&e))
                {
                    entry.1 = Done::Failed(msg);
                } else {
                    diag!("{msg}");
                }
            }
            results.extend(pending);
        }
        bar.finish_and_clear();
        self.summary(&results)
    }

    /// Reads, rewrites and stages one module of a tree.
    fn stage_in_place<S: Notes>(&self, path: &Path, job: &Job<'_, S>) -> Result<Step> {
        let input = Input::read(path)?;
        let r = match job(&input.bytes) {
            Ok(Outcome::Rewritten(r)) => r,
            Ok(Outcome::Unchanged(why)) => return Ok(Step::Unchanged(why)),
            Err(e) => return refusal_text(e, self.target_label, 20).map(Step::Refused),
        };
        if self.notes() {
            for n in r.summary.notes() {
                diag!("{}: note: {n}", show(path));
            }
        }
        let bytes = match input.compression {
            None => r.patched.elf,
            Some(c) => compress(&r.patched.elf, c)?,
        };
        let plan = Output::plan(path)?;
        check_distinct(&self.protected, &[&plan])?;
        let staged = plan.stage(&bytes)?;
        Ok(Step::Staged {
            staged,
            trailer: (r.patched.trailer.signature, r.patched.trailer.other_bytes),
        })
    }

    fn summary(&self, results: &[(PathBuf, Done)]) -> Result<ExitCode> {
        let code = self.summary_text(results);
        if self.report.json {
            let modules = results
                .iter()
                .map(|(p, d)| {
                    let module = show(p);
                    match d {
                        Done::Rewritten((sig, _)) => serde_json::json!({"module": module, "result": "rewritten", "signature_dropped": sig.is_some()}),
                        Done::Unchanged(why) => serde_json::json!({"module": module, "result": "unchanged", "reason": why.to_string()}),
                        Done::Failed(msg) => serde_json::json!({"module": module, "result": "failed", "reason": msg}),
                        Done::Interrupted => serde_json::json!({"module": module, "result": "interrupted"}),
                    }
                })
                .collect();
            self.json(modules)?;
        }
        Ok(code)
    }

    fn summary_text(&self, results: &[(PathBuf, Done)]) -> ExitCode {
        let (mut done, mut failed, mut interrupted) = (0usize, 0usize, 0usize);
        let mut skipped: Vec<(String, usize)> = Vec::new();
        let mut signatures = 0usize;
        let mut signers: Vec<String> = Vec::new();
        let mut trailing = 0usize;
        for (path, d) in results {
            match d {
                Done::Rewritten((signature, other)) => {
                    done += 1;
                    if let Some(sig) = signature {
                        signatures += 1;
                        let who = sig
                            .signer
                            .as_ref()
                            .and_then(|s| s.issuer.clone())
                            .unwrap_or_else(|| sig.id_type_name().to_string());
                        if !signers.contains(&who) {
                            signers.push(who);
                        }
                    }
                    if *other > 0 {
                        trailing += 1;
                    }
                }
                Done::Unchanged(why) => {
                    let reason = why.to_string();
                    match skipped.iter_mut().find(|(r, _)| *r == reason) {
                        Some((_, n)) => *n += 1,
                        None => skipped.push((reason, 1)),
                    }
                }
                Done::Failed(msg) if self.report.json => {
                    let _ = msg;
                    failed += 1;
                }
                Done::Failed(msg) => {
                    failed += 1;
                    diag!("{}", labelled(&show(path), msg));
                }
                Done::Interrupted => interrupted += 1,
            }
        }
        let left: usize = skipped.iter().map(|(_, n)| n).sum();
        let code = if failed > 0 || interrupted > 0 {
            ExitCode::from(if interrupted > 0 { 2 } else { 1 })
        } else {
            ExitCode::SUCCESS
        };
        if !self.notes() {
            return code;
        }
        diag!(
            "{} {done} of {} modules in place ({failed} failed, {left} left as they were{})",
            self.verb,
            results.len(),
            if interrupted > 0 {
                format!(", {interrupted} not started: interrupted")
            } else {
                String::new()
            }
        );
        for (reason, n) in &skipped {
            diag!("  {n} left as they were: {reason}");
        }
        if signatures > 0 {
            diag!(
                "dropped {signatures} module signatures (signed by {}): re-sign the rewritten modules \
                 (e.g. with the kernel's scripts/sign-file) if the kernel enforces module signatures",
                signers
                    .iter()
                    .map(|s| format!("'{}'", btfkit::escape::escape(s)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if trailing > 0 {
            diag!("dropped unknown bytes after the ELF image of {trailing} modules");
        }
        code
    }
}

/// The destination a module path is rewritten at (symlinks resolved, as the output
/// policy does).
fn dest_of(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn error_path(e: &btfkit::file::FileError) -> PathBuf {
    match e {
        btfkit::file::FileError::Io { path, .. } => dest_of(path),
        _ => PathBuf::new(),
    }
}

fn unchanged_text(why: Unchanged) -> String {
    match why {
        Unchanged::AlreadyDistilled => ModuleError::AlreadyDistilled.to_string(),
        Unchanged::NoBtf => ModuleError::NoBtf.to_string(),
        other => other.to_string(),
    }
}

/// One module of a tree, after its work.
enum Step {
    Staged {
        staged: Staged,
        trailer: (Option<ModuleSignature>, usize),
    },
    Unchanged(Unchanged),
    Refused(String),
    Interrupted,
}

/// One module of a tree, after the commit.
enum Done {
    Rewritten((Option<ModuleSignature>, usize)),
    Unchanged(Unchanged),
    Failed(String),
    Interrupted,
}
