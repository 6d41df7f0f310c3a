//! What durable output costs: a tree of kernel modules rewritten in place, committed
//! three ways, side by side in one run on the same files:
//!
//! - no sync: write a temporary file and rename it (what a crash can turn into an empty
//!   module on ext4/xfs);
//! - `fsync` of each file, then rename, then `fsync` of the directory;
//! - [`btfkit::file::commit`]: one `syncfs` for the batch, renames, directory `fsync`.
//!
//! The modules are made from the corpus: the fixture module `dummy.ko` with its `.BTF`
//! replaced by each corpus module's `.BTF` (so sizes are real).
//!
//! `cargo run --release -p btfkit --example durability -- CORPUS_MODULES_DIR [WORK_DIR]`

use btfkit::file::{commit_with, Output, Sync};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let modules = PathBuf::from(
        args.next()
            .ok_or("usage: durability CORPUS_MODULES_DIR [WORK_DIR]")?,
    );
    let work = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/linux-6.1/ko/dummy.ko.xz");
    let template = btfkit::file::read(&template, btfkit::compress::DEFAULT_LIMIT)?.bytes;
    let mut names: Vec<PathBuf> = std::fs::read_dir(&modules)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    names.sort();
    let kos: Vec<Vec<u8>> = names
        .iter()
        .map(|p| {
            let btf = std::fs::read(p)?;
            Ok(btfkit::elf::patch::set_btf(&template, &btf, None)?.elf)
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let bytes: usize = kos.iter().map(Vec::len).sum();
    println!("{} modules, {} bytes", kos.len(), bytes);
    for round in 0..3 {
        for how in ["no sync", "fsync each", "syncfs batch"] {
            let dir = work.join(format!("btfkit-durability-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let paths: Vec<PathBuf> = (0..kos.len())
                .map(|i| dir.join(format!("m{i}.ko")))
                .collect();
            for (p, b) in paths.iter().zip(&kos) {
                std::fs::write(p, b)?; // the modules to replace
            }
            let sync_all = std::fs::File::open(&dir)?;
            rustix_free_sync(&sync_all);
            let t = Instant::now();
            match how {
                "no sync" => {
                    for (p, b) in paths.iter().zip(&kos) {
                        let tmp = p.with_extension("tmp");
                        std::fs::write(&tmp, b)?;
                        std::fs::rename(&tmp, p)?;
                    }
                }
                _ => {
                    let staged = paths
                        .iter()
                        .zip(&kos)
                        .map(|(p, b)| Output::plan(p)?.stage(b))
                        .collect::<Result<Vec<_>, _>>()?;
                    let staging = t.elapsed().as_secs_f64() * 1000.0;
                    let sync = if how == "fsync each" {
                        Sync::EachFile
                    } else {
                        Sync::Auto
                    };
                    let errors = commit_with(staged, sync);
                    assert!(errors.is_empty(), "{errors:?}");
                    print!("(staging {staging:.1} ms) ");
                }
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            println!("round {round}: {how:<13} {ms:9.1} ms");
            std::fs::remove_dir_all(&dir)?;
        }
    }
    Ok(())
}

/// Flushes what the setup wrote, so that each measurement starts from a clean slate.
fn rustix_free_sync(dir: &std::fs::File) {
    let _ = dir.sync_all();
    let _ = std::process::Command::new("sync").status();
}
