//! Names and paths made safe to print: type names, `.BTF_ids` symbols and file names come
//! from untrusted files, and a control character in one (an ANSI escape, a bell, a
//! carriage return, a bidi override) must not reach a terminal raw.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` must be escaped: control characters (C0, DEL, C1) and the invisible
/// direction marks and overrides that reorder what a terminal shows.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character that could act on a terminal written as an escape
/// (`\x1b`, `\u{202e}`); the backslash itself is written `\\` so that the result is
/// unambiguous. Borrowed when nothing needs escaping (the common case).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c) || c == '\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_char(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\\' => out.push_str("\\\\"),
        c if needs_escape(c) && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `bytes` as text: valid UTF-8 escaped as [`escape`] does, every byte that is not
/// valid UTF-8 written `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return escape(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            use std::fmt::Write;
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// A path, escaped for display ([`escape_bytes`] of its bytes).
pub fn path(p: &std::path::Path) -> Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    escape_bytes(p.as_os_str().as_bytes())
}

/// Displays a string escaped ([`escape`]).
#[derive(Clone, Copy, Debug)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_acts_on_a_terminal() {
        assert_eq!(escape("net_device"), "net_device");
        assert!(matches!(escape("net_device"), Cow::Borrowed(_)));
        assert_eq!(escape("ev\x1b[31mil\x07"), "ev\\x1b[31mil\\x07");
        assert_eq!(escape("a\rb\n\t\x7f"), "a\\x0db\\x0a\\x09\\x7f");
        assert_eq!(escape("x\u{202e}y\u{85}"), "x\\u{202e}y\\x85");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(escape("größe"), "größe");
        assert_eq!(escape_bytes(b"a\xffb\x1b"), "a\\xffb\\x1b");
    }
}
