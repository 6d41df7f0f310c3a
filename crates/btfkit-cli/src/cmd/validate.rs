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
    fn report(
        &self,
        label: &str,
        section: Section,
        errors: &[Error],
        base_label: Option<&str>,
    ) -> Result<(), crate::out::StdoutError> {
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
        Ok(())
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
                self.report(label, Section::Btf, &base_errors, None)?;
                outln!("{label}: base is invalid; its split inputs cannot be checked")?;
                return Ok(ExitCode::from(1));
            }
        }

        let mut all_valid = true;
        for path in &self.inputs {
            let input = Input::read(path)?;
            let blobs = input.blobs()?;
            let mut problems = 0usize;
            if let Some(dist) = &blobs.dist_base {
                let (dist_btf, errors) = check(dist, None);
                problems += errors.len();
                self.report(&input.label, Section::BtfBase, &errors, None)?;
                if let Some(dist_btf) = &dist_btf {
                    if errors.is_empty() {
                        let (_, errors) = check(&blobs.btf, Some(dist_btf));
                        problems += errors.len();
                        self.report(&input.label, Section::Btf, &errors, Some(".BTF.base"))?;
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
                let (_, errors) = check(&blobs.btf, base_ref);
                problems += errors.len();
                self.report(&input.label, Section::Btf, &errors, base_label.as_deref())?;
            }
            if problems == 0 {
                outln!("{}: ok", input.label)?;
            } else {
                all_valid = false;
                outln!(
                    "{}: invalid ({problems} problem{})",
                    input.label,
                    if problems == 1 { "" } else { "s" }
                )?;
            }
        }
        Ok(if all_valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
