//! Fuzz body of `decompress`: the capped decompressors (`btfkit::compress`) on arbitrary
//! streams, and `sniff` on their first bytes.
//!
//! Input: byte 0 picks the compression (bits 0-1 and 5: `Compression::ALL[(b & 3) |
//! (b >> 5 & 1) << 2]`, every compression read) and the size cap (bits 2-4:
//! `64 << (b >> 2 & 7)` bytes, 64 B to 8 KiB); the rest is the stream.
//!
//! Properties: the output never exceeds the cap; a stream refused as too large under the
//! cap does decompress to more than the cap under a larger one (or is corrupt further
//! on), and one that fits decompresses to the same bytes under the larger cap;
//! `decompress_checked` hands its check exactly the first `MAGIC_LEN` bytes of the
//! output (fewer when it is shorter), and a refusal from the check is returned as is;
//! `sniff` names the stream's own format; compressing the output again and
//! decompressing gives it back.

use btfkit::compress::{self, Compression, DecompressError, Magic, MAGIC_LEN};

/// A cap larger than anything an input of libFuzzer's default size decodes to in
/// reasonable time, but small enough that a bomb stops quickly.
const LARGE: u64 = 1 << 20;

#[derive(Debug)]
enum Checked {
    Refused,
    Inner(DecompressError),
}

impl From<DecompressError> for Checked {
    fn from(e: DecompressError) -> Self {
        Checked::Inner(e)
    }
}

/// True when the stream decompressed within the cap.
pub fn run(data: &[u8]) -> bool {
    let Some((&ctl, stream)) = data.split_first() else {
        return false;
    };
    let c = Compression::ALL[usize::from(ctl & 3 | (ctl >> 5 & 1) << 2) % Compression::ALL.len()];
    let limit = 64u64 << (ctl >> 2 & 7);
    if stream.starts_with(c.magic()) {
        assert_eq!(
            compress::sniff(&stream[..stream.len().min(MAGIC_LEN)]),
            Magic::Compressed(c)
        );
    }
    let r = compress::decompress(stream, c, limit);
    let large = compress::decompress(stream, c, LARGE);
    let out = match r {
        Ok(out) => out,
        Err(DecompressError::TooLarge { limit: l, .. }) => {
            assert_eq!(l, limit);
            match large {
                Ok(big) => assert!(big.len() as u64 > limit, "refused but fits"),
                Err(DecompressError::TooLarge { .. } | DecompressError::Corrupt { .. }) => {}
                Err(e) => panic!("refused as too large, then {e}"),
            }
            return false;
        }
        Err(_) => return false,
    };
    assert!(out.len() as u64 <= limit);
    match &large {
        Ok(big) => assert!(*big == out, "the cap changed the output"),
        Err(e) => panic!("fits under {limit} bytes but not under {LARGE}: {e}"),
    }

    // The check sees the first bytes, and its refusal stops the decoding.
    let mut seen = Vec::new();
    let checked = compress::decompress_checked(stream, c, limit, |prefix| {
        seen = prefix.to_vec();
        Ok::<(), Checked>(())
    });
    assert_eq!(seen, out[..out.len().min(MAGIC_LEN)]);
    match checked {
        Ok(o) => assert!(o == out, "the check changed the output"),
        Err(Checked::Inner(e)) => panic!("decodes unchecked, not checked: {e}"),
        Err(Checked::Refused) => panic!("refused by a check that accepts"),
    }
    let refused =
        compress::decompress_checked(stream, c, limit, |_| Err::<(), Checked>(Checked::Refused));
    assert!(matches!(refused, Err(Checked::Refused)));

    // Round trip through the encoder (the module compressions' writer; the others'
    // test encoders).
    let again = compress::compress_for_tests(&out, c);
    assert_eq!(
        compress::sniff(&again[..again.len().min(MAGIC_LEN)]),
        Magic::Compressed(c)
    );
    let back = compress::decompress(&again, c, limit).expect("our own stream decompresses");
    assert!(back == out, "compress then decompress changed the bytes");
    true
}
