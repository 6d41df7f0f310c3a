//! `btfkit man`: the man page, generated from the command line definition
//! (`clap_mangen`): `btfkit.1` on standard output, or with `--dir` one page per
//! command (`btfkit.1`, `btfkit-extract.1`, ...) written through the output policy.

use crate::input::show;
use crate::out::diag;
use crate::output::write_outputs;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Install, for example:
  btfkit man --dir /usr/local/share/man/man1     # btfkit.1 and btfkit-COMMAND.1
  btfkit man | man -l -                          # read it now";

/// Print the man page.
#[derive(clap::Args)]
#[command(after_help = HELP)]
pub struct Opts {
    /// Write btfkit.1 and one btfkit-COMMAND.1 per subcommand into DIR instead.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The roff of `cmd`'s page.
fn page(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .date("")
        .source(format!("btfkit {}", env!("CARGO_PKG_VERSION")))
        .manual("btfkit manual")
        .render(&mut out)?;
    Ok(out)
}

/// Every page: (file name, roff).
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let cmd = crate::cli_command();
    let mut pages = vec![("btfkit.1".to_string(), page(cmd.clone())?)];
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("btfkit-{}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("btfkit {}", sub.get_name()));
        pages.push((format!("{name}.1"), page(sub)?));
    }
    Ok(pages)
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let Some(dir) = &self.dir else {
            crate::out::stdout_bytes(&page(crate::cli_command())?)?;
            return Ok(ExitCode::SUCCESS);
        };
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", show(dir)))?;
        let pages = pages()?;
        let paths: Vec<PathBuf> = pages.iter().map(|(n, _)| dir.join(n)).collect();
        let outputs: Vec<(&std::path::Path, &[u8])> = paths
            .iter()
            .zip(&pages)
            .map(|(p, (_, b))| (p.as_path(), b.as_slice()))
            .collect();
        write_outputs(&outputs, &[])?;
        diag!("wrote {} man pages into {}", pages.len(), show(dir));
        Ok(ExitCode::SUCCESS)
    }
}
