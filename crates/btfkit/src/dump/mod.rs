//! Text renderings of BTF: bpftool's `format raw` ([`raw`]) and a documented JSON form
//! ([`json`], schema in `docs/json-format.md`).
//!
//! Both writers stream: they format into one reusable buffer and hand it to the
//! destination in large chunks, without building per-type strings. Names are written
//! as the bytes stored in the blob (raw format) or escaped losslessly (JSON).

pub mod json;
pub mod raw;

pub use json::{write_json, write_json_type};
pub use raw::{write_raw, write_raw_type};

use crate::id::StrOffset;
use crate::read::Btf;
use std::io::{self, Write};

/// Size of the buffer of a whole dump.
pub(crate) const BUF_LEN: usize = 64 * 1024;
/// Size of the (stack) buffer for a single type.
pub(crate) const SMALL_BUF_LEN: usize = 256;
/// Hand the buffer to the destination once this many bytes are free or fewer.
const LOW_WATER: usize = 4 * 1024;

/// A fixed buffer in front of a [`Write`], with allocation-free integer formatting.
/// Writes never fail: the first I/O error is kept, later output is dropped, and
/// [`Out::flush_if_low`] / [`Out::finish`] report it.
pub(crate) struct Out<'w, W: Write + ?Sized> {
    w: &'w mut W,
    buf: &'w mut [u8],
    pos: usize,
    err: Option<io::Error>,
}

impl<'w, W: Write + ?Sized> Out<'w, W> {
    /// Output to `w` through the caller's buffer `buf` (not empty).
    pub(crate) fn new(w: &'w mut W, buf: &'w mut [u8]) -> Self {
        debug_assert!(!buf.is_empty());
        Out {
            w,
            buf,
            pos: 0,
            err: None,
        }
    }

    /// Hands the buffered bytes to the destination.
    #[cold]
    fn drain(&mut self) {
        if self.err.is_none() {
            if let Err(e) = self.w.write_all(&self.buf[..self.pos]) {
                self.err = Some(e);
            }
        }
        self.pos = 0;
    }

    /// Makes room for `n` contiguous bytes; `false` when `n` exceeds the buffer.
    #[inline]
    fn room(&mut self, n: usize) -> bool {
        if self.buf.len() - self.pos < n {
            self.drain();
        }
        n <= self.buf.len()
    }

    #[inline]
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        if self.room(b.len()) {
            self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
            self.pos += b.len();
        } else {
            // Larger than the whole buffer (only possible for huge names).
            if self.err.is_none() {
                if let Err(e) = self.w.write_all(b) {
                    self.err = Some(e);
                }
            }
        }
    }

    #[inline]
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        if self.pos == self.buf.len() {
            self.drain();
        }
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    /// Decimal `v`.
    #[inline]
    pub(crate) fn u64(&mut self, v: u64) {
        let n = decimal_len(v);
        self.room(n);
        let end = self.pos + n;
        let digits = &mut self.buf[self.pos..end];
        let mut v = v;
        let mut i = n;
        while v >= 100 {
            let d = (v % 100) as usize * 2;
            v /= 100;
            digits[i - 2..i].copy_from_slice(&DIGITS2[d..d + 2]);
            i -= 2;
        }
        if v >= 10 {
            let d = v as usize * 2;
            digits[i - 2..i].copy_from_slice(&DIGITS2[d..d + 2]);
        } else {
            digits[i - 1] = b'0' + v as u8;
        }
        self.pos = end;
    }

    /// Decimal `v`.
    #[inline]
    pub(crate) fn u32(&mut self, v: u32) {
        self.u64(v as u64);
    }

    /// Decimal `v`, with a leading `-` when negative.
    #[inline]
    pub(crate) fn i64(&mut self, v: i64) {
        if v < 0 {
            self.byte(b'-');
        }
        self.u64(v.unsigned_abs());
    }

    /// `0x` and eight lower-case hex digits.
    pub(crate) fn hex32(&mut self, v: u32) {
        self.str("0x");
        for shift in (0..8).rev() {
            self.byte(HEX[((v >> (shift * 4)) & 0xf) as usize]);
        }
    }

    /// Each byte of `b` as two lower-case hex digits.
    pub(crate) fn hex_bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.byte(HEX[(x >> 4) as usize]);
            self.byte(HEX[(x & 0xf) as usize]);
        }
    }

    /// Hands the buffer to the destination when little room is left, and reports the
    /// first I/O error so far.
    #[inline]
    pub(crate) fn flush_if_low(&mut self) -> io::Result<()> {
        if self.buf.len() - self.pos < LOW_WATER.min(self.buf.len() / 2) {
            self.drain();
        }
        match self.err.take() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// Writes what is buffered (without flushing the destination).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.drain();
        match self.err.take() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// Writes what is buffered and flushes the destination.
    pub(crate) fn finish_flush(mut self) -> io::Result<()> {
        self.drain();
        match self.err.take() {
            None => self.w.flush(),
            Some(e) => Err(e),
        }
    }
}

/// Number of decimal digits of `v`.
#[inline]
fn decimal_len(v: u64) -> usize {
    let mut n = 1;
    let mut x = v;
    while x >= 10_000 {
        x /= 10_000;
        n += 4;
    }
    if x >= 1000 {
        n + 3
    } else if x >= 100 {
        n + 2
    } else if x >= 10 {
        n + 1
    } else {
        n
    }
}

/// "00" "01" ... "99".
const DIGITS2: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How a name offset resolves, the way libbpf's `btf__name_by_offset` sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Name<'a> {
    /// Offset 0.
    Anon,
    /// The offset is past the end of the string sections.
    Invalid,
    /// The string at the offset (possibly empty when the offset points at a NUL).
    Str(&'a [u8]),
}

/// The string section bytes from the start of the string at `off` (not cut at its NUL),
/// following `Btf::str_at`: `None` when `off` is past the end of the sections.
#[inline]
fn string_tail<'a>(btf: &Btf<'a>, off: StrOffset) -> Option<&'a [u8]> {
    let mut b = btf;
    while off.0 < b.start_str_off().0 {
        b = b.base()?;
    }
    let bytes = b.strings().bytes();
    let at = (off.0 - b.start_str_off().0) as usize;
    bytes.get(at..).filter(|rest| !rest.is_empty())
}

/// Index of the first NUL in `s` (or its length), eight bytes at a time: names are
/// short, and a word-at-a-time scan beats both a byte loop and a SIMD search set-up.
#[inline]
fn nul_pos(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let z = w.wrapping_sub(LO) & !w & HI;
        if z != 0 {
            return i + (z.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + s[i..].iter().position(|&c| c == 0).unwrap_or(s.len() - i)
}

#[inline]
pub(crate) fn resolve<'a>(btf: &Btf<'a>, off: StrOffset) -> Name<'a> {
    if off.0 == 0 {
        return Name::Anon;
    }
    match string_tail(btf, off) {
        Some(rest) => Name::Str(&rest[..nul_pos(rest)]),
        None => Name::Invalid,
    }
}
