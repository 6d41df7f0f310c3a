//! Deterministic mutations of valid blobs, for the fuzz smoke tests (the fuzz targets'
//! bodies run on them under plain `cargo test`).

#![allow(dead_code)]

/// xorshift64*: deterministic, dependency-free.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: [u32; 10] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x00ff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1300_0002,
];

pub fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(v.len().saturating_sub(4));
                let val = INTERESTING[rng.below(INTERESTING.len())];
                let end = (i + 4).min(v.len());
                v[i..end].copy_from_slice(&val.to_le_bytes()[..end - i]);
            }
            2 => {
                let n = rng.below(v.len() + 1);
                v.truncate(n.max(1));
            }
            3 => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            _ => {
                // The kind byte of some type record (records start at 24, 4-aligned).
                let i = 24 + 4 * rng.below(v.len().saturating_sub(24) / 4) + 7;
                if i < v.len() {
                    v[i] = rng.below(32) as u8;
                }
            }
        }
    }
    v
}

