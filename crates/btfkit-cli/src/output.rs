//! Writing results: every command's files go through [`btfkit::file`]'s output policy
//! (atomic, durable replacement keeping owner, mode and extended attributes; devices and
//! FIFOs written through; hard-linked files refused; no output may be an input or
//! another output), and `-` means standard output.

use crate::input::{is_stdin, show};
use anyhow::{bail, Result};
use btfkit::file::{check_distinct, commit, Output, Staged};
use std::path::Path;

/// The output policy in a few lines, for `--help` of every writing command.
pub const POLICY: &str = "Output files are replaced atomically and durably (written next to the
target, synced, renamed over it): a failure leaves the old file as it was. A replaced file
keeps its owner, group, mode and extended attributes; a symlink is followed and the file it
names replaced; a file with several hard links is refused (replacing it would split it from
its other names). Devices and FIFOs are written through; '-' is standard output. An output
that is an input, the base or another output is refused before anything is written.";

/// Writes `outputs` (path, bytes) as one unit: every destination is planned and checked
/// against `inputs` and the other outputs before anything is written; files are staged,
/// then committed together; standard output (`-`, at most one) comes last.
pub fn write_outputs(outputs: &[(&Path, &[u8])], inputs: &[(&'static str, &Path)]) -> Result<()> {
    if outputs.iter().filter(|(p, _)| is_stdin(p)).count() > 1 {
        bail!("only one output can be standard output (-)");
    }
    let files: Vec<(&Path, &[u8])> = outputs
        .iter()
        .filter(|(p, _)| !is_stdin(p))
        .copied()
        .collect();
    let staged = stage_outputs(&files, inputs)?;
    if let Some(e) = commit(staged).into_iter().next() {
        return Err(e.into());
    }
    if let Some((_, bytes)) = outputs.iter().find(|(p, _)| is_stdin(p)) {
        crate::out::stdout_bytes(bytes)?;
    }
    Ok(())
}

/// A path for messages: `-` is standard output.
pub fn show_output(p: &Path) -> String {
    if is_stdin(p) {
        "standard output".into()
    } else {
        show(p)
    }
}

/// Plans `outputs` (files, not `-`), checks them against `inputs` and each other, and
/// stages them; [`commit`] puts them in place (a batch commits many together).
pub fn stage_outputs(
    outputs: &[(&Path, &[u8])],
    inputs: &[(&'static str, &Path)],
) -> Result<Vec<Staged>> {
    let planned = outputs
        .iter()
        .map(|(p, b)| Ok((Output::plan(p)?, *b)))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Output> = planned.iter().map(|(o, _)| o).collect();
    check_distinct(inputs, &refs)?;
    Ok(planned
        .iter()
        .map(|(o, b)| o.stage(b))
        .collect::<Result<Vec<_>, _>>()?)
}
