//! The image fuzz target's body (fuzz/bodies/image.rs) under plain `cargo test`: seeds
//! built like real images (every container and compression, both byte orders) and a few
//! thousand deterministic mutations of them, plus random bytes.

#[path = "../../../fuzz/bodies/image.rs"]
mod body;
#[path = "support/images.rs"]
mod images;

use btfkit::compress::Compression;
use btfkit::Endian;
use images::*;

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for endian in [Endian::Little, Endian::Big] {
        let btf = vmlinux_btf(endian, 3);
        let elf = vmlinux(endian == Endian::Little, endian, &btf);
        seeds.push(elf.clone());
        seeds.push(arm64_image(&btf, endian));
        seeds.push(zboot(&kbuild_compress(
            &arm64_image(&btf, endian),
            Compression::Gzip,
        )));
        for c in Compression::ALL {
            seeds.push(bzimage(&kbuild_compress(&elf, c)));
        }
    }
    seeds
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn seeds_reach_the_checks() {
    for (i, s) in seeds().iter().enumerate() {
        assert!(body::run(s), "seed {i} gives no BTF");
    }
}

#[test]
fn mutated_images_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut reached = 0;
    for i in 0..3000 {
        let mut v = seeds[i % seeds.len()].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(v.len());
            match rng.below(4) {
                0 => v[at] ^= 1 << rng.below(8),
                1 => v[at] = rng.next() as u8,
                2 => v.truncate(at.max(1)),
                _ => {
                    // A header field: the setup header, ELF header or BTF header words.
                    let at = [0x1f1, 0x248, 0x24c, 0x20, 0x28, 0x3c, at][rng.below(7)];
                    if at + 4 <= v.len() {
                        v[at..at + 4].copy_from_slice(&(rng.next() as u32).to_le_bytes());
                    }
                }
            }
        }
        reached += body::run(&v) as u32;
    }
    // Many mutations leave the BTF reachable, or the checks are not exercised.
    assert!(
        reached > 500,
        "only {reached} of 3000 mutated images gave BTF"
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..500 {
        let n = rng.below(4096);
        let mut v: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        if n > 0x250 && rng.below(2) == 0 {
            v[0x202..0x206].copy_from_slice(b"HdrS");
            v[0x206] = 0x0f;
            v[0x207] = 0x02;
        }
        body::run(&v);
    }
}
