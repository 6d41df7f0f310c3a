//! `btfkit completions SHELL`: a completion script generated from the command line
//! definition (`clap_complete`).

use anyhow::Result;
use clap_complete::Shell;
use std::process::ExitCode;

const HELP: &str = "Install, for example:
  btfkit completions bash > ~/.local/share/bash-completion/completions/btfkit
  btfkit completions zsh > ~/.zfunc/_btfkit      # with fpath+=~/.zfunc before compinit
  btfkit completions fish > ~/.config/fish/completions/btfkit.fish";

/// Print a shell completion script.
#[derive(clap::Args)]
#[command(after_help = HELP)]
pub struct Opts {
    /// The shell.
    shell: Shell,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let mut cmd = crate::cli_command();
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut cmd, "btfkit", &mut script);
        crate::out::stdout_bytes(&script)?;
        Ok(ExitCode::SUCCESS)
    }
}
