//! The one path to standard output and standard error.
//!
//! The std print macros panic when stdout is closed or full. Here a closed pipe
//! (`btfkit validate ... | head -n1`) ends output quietly while the command runs on, so
//! that its exit status is still the answer; any other write error (`> /dev/full`)
//! becomes "writing to standard output: ..." and exit status 2. Diagnostics on stderr
//! never fail the command.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout turned out to be a closed pipe: later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// A write error on standard output other than a closed pipe.
#[derive(Debug, thiserror::Error)]
#[error("writing to standard output: {0}")]
pub struct StdoutError(#[from] pub std::io::Error);

/// Standard output as a [`Write`]r: a closed pipe swallows what follows.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match std::io::stdout().lock().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(());
        }
        match std::io::stdout().lock().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }
}

/// Writes formatted text to standard output (see the module documentation).
pub fn stdout_fmt(args: std::fmt::Arguments<'_>) -> Result<(), StdoutError> {
    let mut out = Stdout;
    out.write_fmt(args)?;
    Ok(())
}

/// Writes bytes to standard output and flushes them.
pub fn stdout_bytes(bytes: &[u8]) -> Result<(), StdoutError> {
    let mut out = Stdout;
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes formatted text to standard error; errors are ignored (there is nowhere left
/// to report them).
pub fn stderr_fmt(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// A line to standard output (the std `println` macro) through [`stdout_fmt`]: returns `Result<(), StdoutError>`.
macro_rules! outln {
    () => { $crate::out::stdout_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stdout_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Text to standard output (the std `print` macro) through [`stdout_fmt`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::stdout_fmt(format_args!($($arg)*)) };
}

/// A line to standard error (the std `eprintln` macro) through [`stderr_fmt`]: never fails, never panics.
macro_rules! diag {
    ($($arg:tt)*) => { $crate::out::stderr_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {diag, out, outln};
