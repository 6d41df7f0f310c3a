//! The deterministic mutation engine shared by every target's smoke test: a fixed
//! xorshift stream of libFuzzer-like byte mutations (bit flips, interesting values in
//! both byte orders, truncation, insertion, deletion, duplication, splicing with another
//! seed) applied to the committed seeds.

use std::path::{Path, PathBuf};

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

const INTERESTING: [u32; 12] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0xffff,
    0x00ff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1300_0002,
];

/// One to four mutations of `seed`, `other` being another seed to splice from.
pub fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            v.push(rng.next() as u8);
        }
        let len = v.len();
        match rng.below(9) {
            0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                // An interesting word, in either byte order, often 4-aligned.
                let mut i = rng.below(len);
                if rng.below(2) == 0 {
                    i &= !3;
                }
                let val = INTERESTING[rng.below(INTERESTING.len())];
                let bytes = if rng.below(2) == 0 {
                    val.to_le_bytes()
                } else {
                    val.to_be_bytes()
                };
                let end = (i + 4).min(len);
                v[i..end].copy_from_slice(&bytes[..end - i]);
            }
            3 => v.truncate(rng.below(len + 1).max(1)),
            4 => {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
            5 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let fill: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(i..i, fill);
            }
            6 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                v.drain(i..i + n);
            }
            7 => {
                // Duplicate a chunk in place.
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(32));
                let chunk = v[i..i + n].to_vec();
                let at = rng.below(len + 1);
                v.splice(at..at, chunk);
            }
            _ => {
                // Splice: a chunk of the other seed over ours.
                if !other.is_empty() {
                    let j = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - j).min(64));
                    let i = rng.below(len);
                    let end = (i + n).min(len);
                    v[i..end].copy_from_slice(&other[j..j + (end - i)]);
                }
            }
        }
    }
    v
}

/// `fuzz/<dir>/<target>/`.
pub fn dir(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target)
}

/// The files of `dir`, sorted by name (empty when it does not exist).
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = rd
        .map(|e| {
            let p = e.expect("directory entry").path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read file"))
        })
        .collect();
    out.sort();
    out
}

/// Runs `run` (a fuzz body; true when the input reached its checks) on every seed of
/// `target` (each must reach the checks), every regression input (any outcome but a
/// panic) and `cases` mutations of the seeds, of which at least `min_reached` (a
/// fraction) must reach the checks, or the mutations exercise nothing.
pub fn smoke(target: &str, run: fn(&[u8]) -> bool, cases: usize, min_reached: f64) {
    let seeds = files(&dir("seeds", target));
    assert!(
        !seeds.is_empty(),
        "no seeds in fuzz/seeds/{target} (write them with the `write_seeds` test)"
    );
    for (name, seed) in &seeds {
        assert!(run(seed), "seed {target}/{name} does not reach the checks");
    }
    for (_, input) in files(&dir("regressions", target)) {
        run_saving(target, run, &input);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
    let mut reached = 0;
    for i in 0..cases {
        let seed = &seeds[i % seeds.len()].1;
        let other = &seeds[rng.below(seeds.len())].1;
        let input = mutate(&mut rng, seed, other);
        reached += usize::from(run_saving(target, run, &input));
    }
    let fraction = reached as f64 / cases as f64;
    eprintln!(
        "{target}: {} seeds, {reached} of {cases} mutations reached the checks",
        seeds.len()
    );
    assert!(
        fraction >= min_reached,
        "{target}: only {reached} of {cases} mutations reached the checks"
    );
}

/// `run(input)`; when it panics, the input is saved first (to
/// `target/fuzz-smoke/<target>-crash`, for `cargo fuzz run <target> FILE`).
fn run_saving(target: &str, run: fn(&[u8]) -> bool, input: &[u8]) -> bool {
    match std::panic::catch_unwind(|| run(input)) {
        Ok(r) => r,
        Err(e) => {
            let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-smoke");
            let _ = std::fs::create_dir_all(&d);
            let path = d.join(format!("{target}-crash"));
            let _ = std::fs::write(&path, input);
            eprintln!("{target}: crashing input saved to {}", path.display());
            std::panic::resume_unwind(e)
        }
    }
}
