//! Names: the kernel's `btf_name_offset_valid`, `btf_name_valid_identifier` and
//! `btf_name_valid_section` (with its Latin-1 `ctype` table), over the string sections a
//! blob's offsets resolve into, with a vectorized pass that marks the identifiers of a
//! whole string section at once.

use super::*;

// --- the kernel's lib/ctype.c, for name checks ----------------------------------------

const C_FIRST: u8 = 1;
const C_REST: u8 = 2;
const C_PRINT: u8 = 4;

/// Character classes as the kernel's `isalpha` / `isalnum` / `isprint` see them (its
/// ctype table is Latin-1: bytes 0xc0-0xff other than 0xd7 and 0xf7 are letters, bytes
/// 0xa0-0xff are printable), plus `_` and `.` as identifier characters.
static CTYPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let alpha = b.is_ascii_alphabetic() || (b >= 0xc0 && b != 0xd7 && b != 0xf7);
        let digit = b.is_ascii_digit();
        let print = (b >= 0x20 && b <= 0x7e) || b >= 0xa0;
        let mut v = 0;
        if alpha || b == b'_' || b == b'.' {
            v |= C_FIRST | C_REST;
        }
        if digit {
            v |= C_REST;
        }
        if print {
            v |= C_PRINT;
        }
        t[c] = v;
        c += 1;
    }
    t
};

/// Why a name is not acceptable.
enum BadName {
    /// The byte at this position is not allowed there.
    Char(usize, u8),
    /// The name is this long (at least `KSYM_NAME_LEN`).
    TooLong,
}

/// `btf_name_valid_identifier` on the bytes from the name's offset to the end of its
/// string section; the first byte is known to be non-NUL. A missing terminator (already
/// reported for the section) ends the name.
#[inline]
fn check_ident(s: &[u8]) -> Result<(), BadName> {
    if CTYPE[s[0] as usize] & C_FIRST == 0 {
        return Err(BadName::Char(0, s[0]));
    }
    // The kernel looks at KSYM_NAME_LEN bytes, then wants the terminator.
    let lim = s.len().min(KSYM_NAME_LEN + 1);
    let mut i = 1;
    while i < lim {
        let c = s[i];
        if c == 0 {
            return Ok(());
        }
        if i == KSYM_NAME_LEN {
            return Err(BadName::TooLong);
        }
        if CTYPE[c as usize] & C_REST == 0 {
            return Err(BadName::Char(i, c));
        }
        i += 1;
    }
    Ok(())
}

/// One pass over a string section: bit `o` is set when a string starts at `o` and is a
/// valid identifier (`btf_name_valid_identifier`). Bytes are classified 64 at a time in
/// a form the compiler vectorizes, then strings are delimited with bit masks. Names with
/// bytes above 0x7f are left unset, for the exact check on use.
pub(super) fn prescan_idents(s: &[u8]) -> Vec<u64> {
    /// Masks of the bytes that may not appear in an ASCII identifier (NUL excepted),
    /// and of the NUL bytes.
    #[inline(always)]
    fn masks(chunk: &[u8; 64]) -> (u64, u64) {
        let mut bad = [0u8; 64];
        let mut nul = [0u8; 64];
        for i in 0..64 {
            let c = chunk[i];
            let alpha = (c | 0x20).wrapping_sub(b'a') < 26;
            let digit = c.wrapping_sub(b'0') < 10;
            let ok = alpha | digit | (c == b'_') | (c == b'.') | (c == 0);
            bad[i] = u8::from(!ok);
            nul[i] = u8::from(c == 0);
        }
        (pack(&bad), pack(&nul))
    }
    /// Bit `i` of the result is byte `i` of `f` (each 0 or 1).
    #[inline(always)]
    fn pack(f: &[u8; 64]) -> u64 {
        let mut m = 0u64;
        for j in 0..8 {
            let w = u64::from_le_bytes(f[j * 8..j * 8 + 8].try_into().expect("8 bytes"));
            m |= (w.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (j * 8);
        }
        m
    }
    let n = s.len();
    let mut bits = vec![0u64; n / 64 + 1];
    let mut start = 0usize;
    let mut bad_acc = false;
    let mut chunks = s.chunks_exact(64);
    // The partial last chunk, padded with a byte that is not NUL (an unterminated
    // last string is left to the exact check).
    let mut tail = [0x80u8; 64];
    let mut base = 0usize;
    while base < n {
        let chunk: &[u8; 64] = match chunks.next() {
            Some(c) => c.try_into().expect("64 bytes"),
            None => {
                let r = chunks.remainder();
                tail[..r.len()].copy_from_slice(r);
                &tail
            }
        };
        let (bm, mut nm) = masks(chunk);
        let mut lo = start.saturating_sub(base);
        while nm != 0 {
            let e = nm.trailing_zeros() as usize;
            let end = base + e;
            let len = end - start;
            let seg = ((1u64 << e) - 1) >> lo << lo;
            if !bad_acc
                && bm & seg == 0
                && len != 0
                && len <= KSYM_NAME_LEN
                && !s[start].is_ascii_digit()
            {
                bits[start >> 6] |= 1 << (start & 63);
            }
            start = end + 1;
            bad_acc = false;
            lo = e + 1;
            nm &= nm - 1;
        }
        if lo < 64 {
            bad_acc |= bm >> lo != 0;
        }
        base += 64;
    }
    bits
}

#[inline]
pub(super) fn bit(bits: &[u64], i: usize) -> bool {
    bits.get(i >> 6).is_some_and(|w| w >> (i & 63) & 1 != 0)
}

/// `btf_name_valid_section`: printable characters only (first byte non-NUL).
fn check_section_name(s: &[u8]) -> Result<(), BadName> {
    let lim = s.len().min(KSYM_NAME_LEN + 1);
    for (i, &c) in s.iter().enumerate().take(lim) {
        if c == 0 {
            return Ok(());
        }
        if i == KSYM_NAME_LEN {
            return Err(BadName::TooLong);
        }
        if CTYPE[c as usize] & C_PRINT == 0 {
            return Err(BadName::Char(i, c));
        }
    }
    Ok(())
}

/// The string at the start of `s`, for messages (escaped, shortened).
pub(super) fn show(s: &[u8]) -> String {
    let end = memchr::memchr(0, s).unwrap_or(s.len());
    let s = &s[..end];
    if s.len() > 64 {
        format!("{}...", s[..64].escape_ascii())
    } else {
        s.escape_ascii().to_string()
    }
}

// --- string sections -----------------------------------------------------------------

/// The string sections a blob's offsets resolve into: its base's (root first), then
/// its own.
pub(super) struct StrView<'d> {
    /// `(first offset, bytes)` of each base string section, root first.
    pub(super) bases: Vec<(u32, &'d [u8])>,
    pub(super) own_start: u32,
    pub(super) own: &'d [u8],
    /// One past the highest valid offset.
    pub(super) total: u32,
}

impl<'d> StrView<'d> {
    pub(super) fn new(btf: &Btf<'d>) -> Self {
        let mut bases = Vec::new();
        let mut b = btf.base();
        while let Some(x) = b {
            bases.push((x.start_str_off().0, x.strings().bytes()));
            b = x.base();
        }
        bases.reverse();
        StrView {
            bases,
            own_start: btf.start_str_off().0,
            own: btf.strings().bytes(),
            total: btf.next_str_off().0,
        }
    }

    /// The section holding `off` (< `total`) and `off` relative to it.
    #[inline]
    fn locate(&self, off: u32) -> (&'d [u8], usize) {
        if off >= self.own_start {
            return (self.own, (off - self.own_start) as usize);
        }
        for &(start, bytes) in self.bases.iter().rev() {
            if off >= start {
                return (bytes, (off - start) as usize);
            }
        }
        (&[], 0)
    }

    /// The bytes from `off` (< `total`) to the end of its section.
    #[inline]
    fn tail(&self, off: u32) -> &'d [u8] {
        let (bytes, rel) = self.locate(off);
        bytes.get(rel..).unwrap_or(&[])
    }

    /// Whether `off` (< `own_start`, < `total`) starts a base string.
    #[inline]
    pub(super) fn is_base_start(&self, off: u32) -> bool {
        let (bytes, rel) = self.locate(off);
        rel == 0 || bytes.get(rel - 1) == Some(&0)
    }

    /// The base string that `off` points into the middle of, for messages.
    fn enclosing(&self, off: u32) -> String {
        let (bytes, rel) = self.locate(off);
        let lo = rel.saturating_sub(64);
        let start = bytes[lo..rel]
            .iter()
            .rposition(|&b| b == 0)
            .map_or(lo, |p| lo + p + 1);
        let prefix = if start == lo && lo > 0 { "..." } else { "" };
        format!("{prefix}{}", show(&bytes[start..]))
    }
}

impl<'a, 'd, O: ByteOrder + Default> Validator<'a, 'd, O> {
    /// Checks a string offset field at `at` bytes into own type `id`'s record. False
    /// when it failed (and was reported).
    #[inline(always)]
    pub(super) fn name(
        &mut self,
        id: u32,
        at: usize,
        off: u32,
        field: Field,
        req: NameRule,
    ) -> bool {
        if off == 0 {
            if self.strs.total != 0
                && matches!(
                    req,
                    NameRule::OptionalIdent | NameRule::Any | NameRule::Forbidden
                )
            {
                return true;
            }
        } else if matches!(req, NameRule::OptionalIdent | NameRule::Ident) {
            if off >= self.strs.own_start {
                if bit(&self.own_ok, (off - self.strs.own_start) as usize) {
                    return true;
                }
            } else if self.base_ok.get(off as usize >> 6) >> (off & 63) & 1 != 0 {
                return true;
            }
        }
        self.name_slow(id, at, off, field, req)
    }

    fn name_slow(&mut self, id: u32, at: usize, off: u32, field: Field, req: NameRule) -> bool {
        if req == NameRule::Forbidden {
            if off != 0 {
                self.name_err(Rule::UnexpectedName, id, at, off, field);
                return false;
            }
            return true;
        }
        if off > raw::MAX_NAME_OFFSET || off >= self.strs.total {
            self.name_err(Rule::NameOffsetOutOfRange, id, at, off, field);
            return false;
        }
        let in_base = off < self.strs.own_start;
        if in_base && !self.strs.is_base_start(off) {
            self.name_err(Rule::NameInsideBaseString, id, at, off, field);
            return false;
        }
        if off == 0 {
            if matches!(
                req,
                NameRule::NonEmpty | NameRule::Ident | NameRule::Section
            ) {
                self.name_err(Rule::MissingName, id, at, off, field);
                return false;
            }
            return true;
        }
        if req == NameRule::Any {
            return true;
        }
        let s = self.strs.tail(off);
        if matches!(s.first(), None | Some(0)) {
            let rule = if req == NameRule::OptionalIdent {
                Rule::InvalidName
            } else {
                Rule::MissingName
            };
            self.name_err(rule, id, at, off, field);
            return false;
        }
        let r = match req {
            NameRule::OptionalIdent | NameRule::Ident => check_ident(s),
            NameRule::Section => check_section_name(s),
            _ => Ok(()),
        };
        match r {
            Ok(()) => {
                if in_base && matches!(req, NameRule::OptionalIdent | NameRule::Ident) {
                    let len = self.strs.own_start as usize / 64 + 1;
                    *self.base_ok.entry(off as usize >> 6, len) |= 1 << (off & 63);
                }
                true
            }
            Err(bad) => {
                self.bad_name(id, at, off, field, req, s, bad);
                false
            }
        }
    }

    #[cold]
    fn name_err(&mut self, rule: Rule, id: u32, at: usize, off: u32, field: Field) {
        let kind = self.kind_at(self.idx(id));
        let what = match field {
            Field::Type if matches!(kind, Kind::DECL_TAG | Kind::TYPE_TAG) => "tag value",
            _ => "name",
        };
        let label = self.label(id, field);
        let detail = match rule {
            Rule::UnexpectedName => format!(
                "{label}{} must have no name, but name_off is {off}",
                if matches!(field, Field::Type) {
                    kind.to_string()
                } else {
                    "this field".into()
                }
            ),
            Rule::NameOffsetOutOfRange => format!(
                "{label}{what} offset {off} is past the end of the strings ({} bytes{})",
                self.strs.total,
                if off > raw::MAX_NAME_OFFSET {
                    ", and above BTF_MAX_NAME_OFFSET"
                } else {
                    ""
                }
            ),
            Rule::NameInsideBaseString => format!(
                "{label}{what} offset {off} points into the middle of base string '{}': this split BTF was not built against this base",
                self.strs.enclosing(off)
            ),
            Rule::MissingName => format!("{label}{what} is required but empty (offset {off})"),
            _ => format!(
                "{label}{what} offset {off} points at an empty string; an anonymous {kind} must use offset 0"
            ),
        };
        self.type_err(rule, id, at, detail);
    }

    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn bad_name(
        &mut self,
        id: u32,
        at: usize,
        off: u32,
        field: Field,
        req: NameRule,
        s: &[u8],
        bad: BadName,
    ) {
        let label = self.label(id, field);
        let what = if req == NameRule::Section {
            "a section name (printable characters only)"
        } else {
            "a valid identifier ([A-Za-z_.][A-Za-z0-9_.]*)"
        };
        let detail = match bad {
            BadName::Char(i, c) => format!(
                "{label}name '{}' (offset {off}) is not {what}: byte {c:#04x} at position {i}",
                show(s)
            ),
            BadName::TooLong => format!(
                "{label}name at offset {off} is longer than the {KSYM_NAME_LEN} bytes the kernel allows"
            ),
        };
        self.type_err(Rule::InvalidName, id, at, detail);
    }
}
