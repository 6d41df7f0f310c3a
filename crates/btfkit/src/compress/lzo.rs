//! LZO as the kernel's build writes it (`CONFIG_KERNEL_LZO`, `Image.lzo`): an `lzop -9`
//! file (its header, then blocks of at most 64 MiB, each LZO1X-compressed or stored, with
//! optional Adler-32 / CRC-32 checks of the decompressed block, ended by a zero word).
//! The LZO1X decoder follows the bitstream as documented in the kernel's
//! `Documentation/staging/lzo.rst`; every copy is bounds-checked, so a hostile stream
//! ends in an error, never in a panic or a write out of bounds.

use super::lz4_legacy::invalid;
use std::io::{self, Read};

/// lzop's magic.
pub(super) const MAGIC: [u8; 9] = [0x89, b'L', b'Z', b'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a];

/// lzop's largest block.
const MAX_BLOCK: usize = 64 << 20;

const F_ADLER32_D: u32 = 0x1;
const F_ADLER32_C: u32 = 0x2;
const F_H_EXTRA_FIELD: u32 = 0x40;
const F_CRC32_D: u32 = 0x100;
const F_CRC32_C: u32 = 0x200;
const F_MULTIPART: u32 = 0x400;
const F_H_FILTER: u32 = 0x800;

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "lzo data ends early")
}

/// A cursor over the compressed bytes.
struct Cur<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let s = self.data.get(self.at..self.at + n).ok_or_else(eof)?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn be16(&mut self) -> io::Result<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("2")))
    }
    fn be32(&mut self) -> io::Result<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4")))
    }
}

/// An lzop file read block by block.
pub(super) struct Lzop<'a> {
    cur: Cur<'a>,
    flags: u32,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<'a> Lzop<'a> {
    pub(super) fn new(data: &'a [u8]) -> io::Result<Lzop<'a>> {
        let mut cur = Cur { data, at: 0 };
        if cur.take(9)? != MAGIC {
            return Err(invalid("no lzop magic"));
        }
        let version = cur.be16()?;
        if version < 0x0900 {
            return Err(invalid("lzop file version too old"));
        }
        cur.be16()?; // library version
        if version >= 0x0940 {
            cur.be16()?; // version needed to extract
        }
        let method = cur.u8()?;
        if !(1..=3).contains(&method) {
            return Err(invalid(&format!(
                "lzop method {method} is not LZO1X (only LZO1X files can be read)"
            )));
        }
        if version >= 0x0940 {
            cur.u8()?; // level
        }
        let flags = cur.be32()?;
        if flags & F_MULTIPART != 0 {
            return Err(invalid("multi-part lzop files are not supported"));
        }
        if flags & F_H_FILTER != 0 {
            cur.be32()?;
        }
        cur.be32()?; // mode
        cur.be32()?; // mtime low
        if version >= 0x0940 {
            cur.be32()?; // mtime high
        }
        let name_len = cur.u8()? as usize;
        cur.take(name_len)?;
        cur.be32()?; // header checksum
        if flags & F_H_EXTRA_FIELD != 0 {
            let n = cur.be32()? as usize;
            cur.take(n)?;
            cur.be32()?;
        }
        Ok(Lzop {
            cur,
            flags,
            out: Vec::new(),
            pos: 0,
            done: false,
        })
    }

    fn next_block(&mut self) -> io::Result<bool> {
        let dst_len = self.cur.be32()? as usize;
        if dst_len == 0 {
            return Ok(false);
        }
        if dst_len > MAX_BLOCK {
            return Err(invalid("lzo block larger than 64 MiB"));
        }
        let src_len = self.cur.be32()? as usize;
        if src_len == 0 || src_len > dst_len {
            return Err(invalid("lzo block sizes out of range"));
        }
        let f = self.flags;
        let d_adler = (f & F_ADLER32_D != 0)
            .then(|| self.cur.be32())
            .transpose()?;
        let d_crc = (f & F_CRC32_D != 0).then(|| self.cur.be32()).transpose()?;
        if src_len < dst_len {
            if f & F_ADLER32_C != 0 {
                self.cur.be32()?;
            }
            if f & F_CRC32_C != 0 {
                self.cur.be32()?;
            }
        }
        let src = self.cur.take(src_len)?;
        self.out.clear();
        if src_len == dst_len {
            self.out.extend_from_slice(src);
        } else {
            lzo1x_decompress(src, &mut self.out, dst_len)?;
            if self.out.len() != dst_len {
                return Err(invalid(
                    "lzo block decompresses to another size than stated",
                ));
            }
        }
        if d_adler.is_some_and(|a| a != adler32(&self.out)) {
            return Err(invalid("lzo block fails its Adler-32 check"));
        }
        if let Some(c) = d_crc {
            let mut crc = flate2::Crc::new();
            crc.update(&self.out);
            if crc.sum() != c {
                return Err(invalid("lzo block fails its CRC-32 check"));
            }
        }
        self.pos = 0;
        Ok(true)
    }
}

impl Read for Lzop<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done || !self.next_block()? {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Adler-32 (zlib's checksum), as lzop stores it.
pub(super) fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Decompresses one LZO1X block from `src`, appending at most `max` bytes to `dst`.
pub(super) fn lzo1x_decompress(src: &[u8], dst: &mut Vec<u8>, max: usize) -> io::Result<()> {
    let mut cur = Cur { data: src, at: 0 };
    let start = dst.len();
    let room = |dst: &Vec<u8>, n: usize| -> io::Result<()> {
        if dst.len() - start + n > max {
            Err(invalid("lzo block decompresses past its stated size"))
        } else {
            Ok(())
        }
    };
    let literals = |cur: &mut Cur<'_>, dst: &mut Vec<u8>, n: usize| -> io::Result<()> {
        room(dst, n)?;
        dst.extend_from_slice(cur.take(n)?);
        Ok(())
    };
    // A run of zero bytes then a non-zero byte: 255 per zero plus that byte.
    let long = |cur: &mut Cur<'_>| -> io::Result<usize> {
        let mut n = 0usize;
        loop {
            match cur.u8()? {
                0 => {
                    n += 255;
                    if n > MAX_BLOCK {
                        return Err(invalid("lzo length out of range"));
                    }
                }
                b => return Ok(n + b as usize),
            }
        }
    };
    let mut state = 0usize;
    if let Some(&first) = src.first() {
        if first > 17 {
            cur.at = 1;
            let t = (first - 17) as usize;
            literals(&mut cur, dst, t)?;
            state = if t < 4 { t } else { 4 };
        }
    }
    loop {
        let inst = cur.u8()? as usize;
        let (len, dist, next) = if inst < 16 {
            if state == 0 {
                let n = 3 + if inst == 0 {
                    15 + long(&mut cur)?
                } else {
                    inst
                };
                literals(&mut cur, dst, n)?;
                state = 4;
                continue;
            }
            let h = cur.u8()? as usize;
            let d = (h << 2) + ((inst >> 2) & 3);
            if state < 4 {
                (2, d + 1, inst & 3)
            } else {
                (3, d + 2049, inst & 3)
            }
        } else if inst < 32 {
            let l = inst & 7;
            let len = 2 + if l == 0 { 7 + long(&mut cur)? } else { l };
            let v = u16::from_le_bytes(cur.take(2)?.try_into().expect("2")) as usize;
            let dist = 16384 + ((inst & 8) << 11) + (v >> 2);
            if dist == 16384 {
                // The end-of-stream marker.
                return if cur.at == src.len() {
                    Ok(())
                } else {
                    Err(invalid("lzo block has bytes after its end marker"))
                };
            }
            (len, dist, v & 3)
        } else if inst < 64 {
            let l = inst & 31;
            let len = 2 + if l == 0 { 31 + long(&mut cur)? } else { l };
            let v = u16::from_le_bytes(cur.take(2)?.try_into().expect("2")) as usize;
            (len, (v >> 2) + 1, v & 3)
        } else {
            let h = cur.u8()? as usize;
            let dist = (h << 3) + ((inst >> 2) & 7) + 1;
            let len = if inst < 128 {
                3 + ((inst >> 5) & 1)
            } else {
                5 + ((inst >> 5) & 3)
            };
            (len, dist, inst & 3)
        };
        let have = dst.len() - start;
        if dist > have {
            return Err(invalid("lzo match reaches before the start of the block"));
        }
        room(dst, len)?;
        let from = dst.len() - dist;
        for i in 0..len {
            let b = dst[from + i];
            dst.push(b);
        }
        literals(&mut cur, dst, next)?;
        state = next;
    }
}

/// An lzop file of `data` in stored blocks (valid lzop that any reader takes; tests).
pub(super) fn stored(data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&0x1030u16.to_be_bytes()); // version
    out.extend_from_slice(&0x2080u16.to_be_bytes()); // library version
    out.extend_from_slice(&0x0940u16.to_be_bytes()); // needed to extract
    out.extend_from_slice(&[1, 5]); // method LZO1X-1, level
    out.extend_from_slice(&F_ADLER32_D.to_be_bytes());
    out.extend_from_slice(&0o100644u32.to_be_bytes());
    out.extend_from_slice(&[0; 8]); // mtime
    out.push(0); // no name
    let sum = adler32(&out[9..]);
    out.extend_from_slice(&sum.to_be_bytes());
    for block in data.chunks(256 << 10) {
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&adler32(block).to_be_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&[0; 4]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_known_value() {
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn hand_made_stream() {
        // "abcabcabcabc": 3 literals in the first byte, then a 9-byte match at distance 3
        // (M3: 0b001_00111 = len 2+7, distance 3 = v>>2 + 1, v = 8), then the end marker.
        let src = [17 + 3, b'a', b'b', b'c', 0x27, 0x08, 0x00, 0x11, 0x00, 0x00];
        let mut out = Vec::new();
        lzo1x_decompress(&src, &mut out, 100).unwrap();
        assert_eq!(out, b"abcabcabcabc");
        let mut small = Vec::new();
        assert!(lzo1x_decompress(&src, &mut small, 5).is_err());
        // A match reaching before the start.
        let bad = [17 + 1, b'a', 0x27, 0x10, 0x00, 0x11, 0x00, 0x00];
        assert!(lzo1x_decompress(&bad, &mut Vec::new(), 100).is_err());
        for n in 0..src.len() {
            assert!(lzo1x_decompress(&src[..n], &mut Vec::new(), 100).is_err());
        }
    }
}
