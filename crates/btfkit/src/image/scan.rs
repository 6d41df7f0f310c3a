//! Finding the vmlinux BTF in an image without ELF headers (an arm64 or RISC-V `Image`,
//! a decompressed payload that is not ELF): every place where a BTF header starts
//! (magic, version 1, flags 0, in either byte order) whose sections lie inside the blob
//! it declares is a candidate; the candidate's bytes are collected as the stream goes
//! on, and the blobs that parse as base BTF and pass every validation check are the
//! finds. The largest (most types) is the vmlinux BTF; others (a BPF program's BTF
//! embedded in a light skeleton) are counted.

use super::{ImageError, Input};
use crate::Btf;

/// The largest BTF header this scan reads (the 32-byte header with a layout section).
const MAX_HDR: usize = 32;

/// A valid blob found.
#[derive(Debug)]
pub(super) struct Blob {
    pub bytes: Vec<u8>,
    pub offset: u64,
    pub types: u32,
}

/// What a scan found.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// The valid blobs, in stream order.
    pub blobs: Vec<Blob>,
    /// Candidate headers looked at.
    pub candidates: usize,
}

/// The declared size of a BTF blob whose header starts `h` (at least [`MAX_HDR`] bytes,
/// or all there is), or None when it is no plausible header.
fn declared_len(h: &[u8], limit: u64) -> Option<u64> {
    if h.len() < 24 {
        return None;
    }
    let big = match (h[0], h[1]) {
        (0x9f, 0xeb) => false,
        (0xeb, 0x9f) => true,
        _ => return None,
    };
    if h[2] != 1 || h[3] != 0 {
        return None;
    }
    let u = |at: usize| {
        let x: [u8; 4] = h[at..at + 4].try_into().expect("4 bytes");
        (if big {
            u32::from_be_bytes(x)
        } else {
            u32::from_le_bytes(x)
        }) as u64
    };
    let hdr_len = u(4);
    if hdr_len != 24 && hdr_len != 32 {
        return None;
    }
    if hdr_len as usize > h.len() {
        return None;
    }
    let (type_off, type_len, str_off, str_len) = (u(8), u(12), u(16), u(20));
    if type_off % 4 != 0 || str_len == 0 {
        return None;
    }
    let mut end = (type_off + type_len).max(str_off + str_len);
    if hdr_len == 32 {
        end = end.max(u(24) + u(28));
    }
    let total = hdr_len + end;
    (total <= limit).then_some(total)
}

/// A blob being collected.
struct Open {
    offset: u64,
    len: u64,
    bytes: Vec<u8>,
}

/// Scans `input` to its end (or to `limit` bytes).
pub(super) fn scan(input: &mut Input<'_>, limit: u64) -> Result<Scan, ImageError> {
    let mut found = Scan::default();
    let mut open: Vec<Open> = Vec::new();
    let mut collected = 0u64;
    // window = the last bytes of the previous chunk (fewer than a header) + this chunk.
    let mut window: Vec<u8> = Vec::new();
    let mut window_at = 0u64;
    let mut chunk = vec![0u8; 1 << 20];
    let finders = [
        memchr::memmem::Finder::new(&[0x9f, 0xeb, 1, 0]),
        memchr::memmem::Finder::new(&[0xeb, 0x9f, 1, 0]),
    ];
    loop {
        let n = input.read(&mut chunk)?;
        let chunk_at = window_at + window.len() as u64;
        let data = &chunk[..n];
        // Feed the open blobs.
        for o in &mut open {
            let have = o.offset + o.bytes.len() as u64;
            let want_end = o.offset + o.len;
            if have >= chunk_at && have < chunk_at + n as u64 {
                let from = (have - chunk_at) as usize;
                let to = (want_end.min(chunk_at + n as u64) - chunk_at) as usize;
                o.bytes.extend_from_slice(&data[from..to]);
            }
        }
        let done: Vec<Open>;
        (done, open) = std::mem::take(&mut open)
            .into_iter()
            .partition(|o| o.bytes.len() as u64 == o.len || n == 0);
        for o in done {
            if o.bytes.len() as u64 == o.len {
                if let Some(types) = valid_base(&o.bytes) {
                    found.blobs.push(Blob {
                        bytes: o.bytes,
                        offset: o.offset,
                        types,
                    });
                }
            }
        }
        window.extend_from_slice(data);
        let last = n == 0;
        // Headers that start in the window and are whole in it (or the stream ended).
        let usable = if last {
            window.len()
        } else {
            window.len().saturating_sub(MAX_HDR - 1)
        };
        let mut starts: Vec<usize> = finders
            .iter()
            .flat_map(|f| f.find_iter(&window).filter(|&p| p < usable))
            .collect();
        starts.sort_unstable();
        for p in starts {
            let h = &window[p..window.len().min(p + MAX_HDR)];
            let Some(len) = declared_len(h, limit) else {
                continue;
            };
            found.candidates += 1;
            collected += len;
            if collected > limit.saturating_mul(2) {
                return Err(ImageError::Malformed {
                    what: "image",
                    detail: "too many overlapping BTF-like headers".into(),
                });
            }
            let offset = window_at + p as u64;
            let take = window.len().min(p + len as usize);
            let o = Open {
                offset,
                len,
                bytes: window[p..take].to_vec(),
            };
            if o.bytes.len() as u64 == o.len {
                if let Some(types) = valid_base(&o.bytes) {
                    found.blobs.push(Blob {
                        bytes: o.bytes,
                        offset,
                        types,
                    });
                }
            } else if !last {
                open.push(o);
            }
        }
        if last {
            return Ok(found);
        }
        // Keep the bytes not yet searched.
        let keep = window.len() - usable;
        window_at += usable as u64;
        window.drain(..usable);
        debug_assert_eq!(window.len(), keep);
    }
}

/// The type count of `bytes` when it is valid base BTF.
fn valid_base(bytes: &[u8]) -> Option<u32> {
    let btf = Btf::parse(bytes).ok()?;
    if !crate::validate::validate(&btf).is_empty() {
        return None;
    }
    Some(btf.type_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let mut h = vec![0x9f, 0xeb, 1, 0, 24, 0, 0, 0];
        for v in [0u32, 16, 16, 5] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(declared_len(&h, 1 << 20), Some(24 + 21));
        assert_eq!(declared_len(&h, 40), None);
        h[4] = 25;
        assert_eq!(declared_len(&h, 1 << 20), None);
    }
}
