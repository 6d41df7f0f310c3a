//! `btfkit`: read, validate, dump, distill, relocate, retarget, check and patch BTF from
//! the command line. Exit codes: 0 success, 1 "the answer is no" (invalid BTF for
//! `validate`, a module that would be refused for `check`, a failed module in a batch),
//! 2 usage or I/O errors and refused input.

mod out;

mod batch;
mod cmd;
mod input;
mod outdir;
mod output;
mod report;

use clap::Parser;
use out::diag;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// btfkit: a toolkit for BTF, the BPF Type Format of the Linux kernel and its modules.
#[derive(Parser)]
#[command(name = "btfkit", version, about, long_about = None)]
struct Cli {
    /// The largest input (and decompressed input) to read, in bytes; real kernels stay
    /// far below the default of 2 GiB.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = btfkit::compress::DEFAULT_LIMIT)]
    max_input_size: u64,
    #[command(subcommand)]
    command: cmd::Command,
}

/// The whole command line definition (for completions and the man page).
pub fn cli_command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Set by Ctrl-C: batch commands stop taking new modules.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
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
    input::set_limit(cli.max_input_size);
    // First Ctrl-C: finish the modules under way, commit, summarize. Second: exit now
    // (files being written are temporary files; the originals stay as they were).
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
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
            diag!("btfkit: error: {msg}");
            ExitCode::from(2)
        }
    }
}
