//! The LZ4 legacy format (`lz4 -l`), which kbuild uses for `CONFIG_KERNEL_LZ4` payloads
//! and `Image.lz4`: the magic `0x184C2102`, then blocks, each a little-endian `u32`
//! compressed size and an LZ4 block that decompresses to at most 8 MiB. A repeated magic
//! starts another member. kbuild appends the decompressed size as 4 more bytes
//! (`size_append`); a last word that cannot be a block size ends the stream, as the
//! kernel's decompressor treats it.

use std::io::{self, Read};

/// The legacy magic, little-endian.
pub(super) const MAGIC: u32 = 0x184c_2102;

/// The largest decompressed block.
const BLOCK: usize = 8 << 20;

/// The largest compressed block: LZ4's bound for an 8 MiB block.
const BOUND: usize = BLOCK + BLOCK / 255 + 16;

/// A reader of the legacy format over the whole compressed input.
pub(super) struct Lz4Legacy<'a> {
    data: &'a [u8],
    at: usize,
    out: Vec<u8>,
    pos: usize,
}

impl<'a> Lz4Legacy<'a> {
    pub(super) fn new(data: &'a [u8]) -> io::Result<Lz4Legacy<'a>> {
        if data.len() < 4 || u32::from_le_bytes(data[..4].try_into().expect("4")) != MAGIC {
            return Err(invalid("no lz4 legacy magic"));
        }
        Ok(Lz4Legacy {
            data,
            at: 4,
            out: Vec::new(),
            pos: 0,
        })
    }

    /// Decodes the next block into `out`; false at the end of the stream.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            let rest = &self.data[self.at..];
            if rest.len() <= 4 {
                // Nothing, fewer bytes than a block header, or a last word with no block
                // after it (kbuild's size_append): the end.
                return Ok(false);
            }
            let size = u32::from_le_bytes(rest[..4].try_into().expect("4"));
            if size == MAGIC {
                self.at += 4;
                continue;
            }
            let size = size as usize;
            if size == 0 || size > BOUND {
                return Err(invalid("lz4 block size out of range"));
            }
            let Some(block) = rest.get(4..4 + size) else {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "lz4 block runs past the end of the data",
                ));
            };
            self.out.resize(BLOCK, 0);
            let n = lz4_flex::block::decompress_into(block, &mut self.out)
                .map_err(|e| invalid(&format!("lz4 block: {e}")))?;
            self.out.truncate(n);
            self.pos = 0;
            self.at += 4 + size;
            return Ok(true);
        }
    }
}

impl Read for Lz4Legacy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

pub(super) fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Compresses `data` in the legacy format (tests and fixtures; kbuild uses `lz4 -l -9`).
pub(super) fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_le_bytes().to_vec();
    for chunk in data.chunks(BLOCK) {
        let block = lz4_flex::block::compress(chunk);
        out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        out.extend_from_slice(&block);
    }
    out
}
