//! Running a command-line binary under test (`btfkit`): its exit code and output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a run of a command gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code (a run killed by a signal fails the test).
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// Runs `bin` with `args` in `dir`, with `stdin` (or nothing: `/dev/null`) as standard
/// input.
pub fn run(bin: &str, args: &[&str], dir: &Path, stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin} runs: {e}"));
    if let Some(data) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(data)
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("the command finishes");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
