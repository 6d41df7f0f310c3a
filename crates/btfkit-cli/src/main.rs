//! `btfkit`: dump, validate and (later) distill, relocate and check BTF from the command
//! line. Exit codes: 0 success, 1 "the answer is no" (invalid BTF for `validate`),
//! 2 usage or I/O errors and refused input.

/// `println!` that returns the error (a closed pipe, say) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod cmd;
mod input;
mod output;
mod report;

use clap::Parser;
use std::process::ExitCode;

/// btfkit: a toolkit for BTF, the BPF Type Format of the Linux kernel and its modules.
#[derive(Parser)]
#[command(name = "btfkit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

/// Whether an error chain ends in a closed pipe (`btfkit dump ... | head`).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // One clear line: the outermost context and the root cause.
            let mut msg = err.to_string();
            let root = err.root_cause().to_string();
            if !msg.contains(&root) {
                msg = format!("{msg}: {root}");
            }
            eprintln!("btfkit: error: {msg}");
            ExitCode::from(2)
        }
    }
}
