//! Batch mode `--out-dir DIR` (`distill`, `gen`): every input (directories searched
//! recursively) gives files `DIR/<stem>...`, made in parallel with a progress bar on a
//! terminal, staged through the output policy and committed in chunks with one sync per
//! file system. Ctrl-C stops taking new inputs; what was made is committed. The command
//! reports the results.

use crate::input::{expand, show, stem, Walk};
use anyhow::{bail, Context, Result};
use btfkit::file::Staged;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a batch did.
pub struct Batch<R> {
    /// Inputs found.
    pub total: usize,
    /// Each input that was worked on, with its result.
    pub results: Vec<(PathBuf, Result<R>)>,
    /// Inputs not started (Ctrl-C).
    pub interrupted: usize,
    /// Outputs that could not be committed (reported already).
    pub commit_failed: usize,
}

impl<R> Batch<R> {
    /// Inputs whose work failed, counting failed commits.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|(_, r)| r.is_err()).count() + self.commit_failed
    }

    /// The exit status: 2 when interrupted, 1 when an input failed, else 0.
    pub fn exit_code(&self) -> std::process::ExitCode {
        if self.interrupted > 0 {
            std::process::ExitCode::from(2)
        } else if self.failed() > 0 {
            std::process::ExitCode::from(1)
        } else {
            std::process::ExitCode::SUCCESS
        }
    }

    /// `, N not started: interrupted` when some were not.
    pub fn interrupted_note(&self) -> String {
        if self.interrupted > 0 {
            format!(", {} not started: interrupted", self.interrupted)
        } else {
            String::new()
        }
    }
}

/// Runs `job` (an input's path and stem in, its result and staged outputs out) on every
/// input; `first_output` names the file each stem gives (for the collision check).
pub fn run<R: Send>(
    inputs: &[PathBuf],
    walk: Walk,
    out_dir: &Path,
    first_output: &str,
    progress: bool,
    job: impl Fn(&Path, &str) -> Result<(R, Vec<Staged>)> + Sync,
) -> Result<Batch<R>> {
    let files = expand(inputs, walk, Some(out_dir))?;
    if files.is_empty() {
        let btf = if walk == Walk::ModulesAndBtf {
            ", *.btf"
        } else {
            ""
        };
        bail!("no module files (*.ko, *.ko.xz, *.ko.gz, *.ko.zst{btf}) in the inputs");
    }
    let mut seen: HashMap<String, &PathBuf> = HashMap::new();
    for f in &files {
        if let Some(prev) = seen.insert(stem(f), f) {
            bail!(
                "{} and {} would both be written as {}{first_output} in {}",
                show(prev),
                show(f),
                btfkit::escape::escape(&stem(f)),
                show(out_dir)
            );
        }
    }
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", show(out_dir)))?;
    let bar = ProgressBar::new(files.len() as u64);
    if !progress {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} modules {elapsed} {msg}")
            .expect("valid template"),
    );
    let mut batch = Batch {
        total: files.len(),
        results: Vec::with_capacity(files.len()),
        interrupted: 0,
        commit_failed: 0,
    };
    for chunk in files.chunks(256) {
        let done: Vec<_> = chunk
            .par_iter()
            .map(|path| {
                if crate::interrupted() {
                    return (path, None);
                }
                let r = job(path, &stem(path));
                bar.inc(1);
                (path, Some(r))
            })
            .collect();
        let mut commits = Vec::new();
        for (path, r) in done {
            match r {
                None => batch.interrupted += 1,
                Some(Ok((r, staged))) => {
                    commits.extend(staged);
                    batch.results.push((path.clone(), Ok(r)));
                }
                Some(Err(e)) => batch.results.push((path.clone(), Err(e))),
            }
        }
        for e in btfkit::file::commit(commits) {
            crate::out::diag!("{e}");
            batch.commit_failed += 1;
        }
    }
    bar.finish_and_clear();
    Ok(batch)
}
