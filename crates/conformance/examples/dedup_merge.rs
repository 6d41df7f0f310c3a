//! The whole-kernel merge in one process, for peak-memory measurements (run each
//! implementation in its own process under `/usr/bin/time -v`):
//!
//! ```sh
//! cargo run --release -p conformance --example dedup_merge -- libbpf|btfkit VMLINUX MODULE_DIR [OUT]
//! ```
//!
//! Reads the vmlinux BTF and every module's split BTF, appends the modules in order to an
//! empty split BTF over vmlinux and deduplicates it (libbpf: `btf__new_empty_split`,
//! `btf__add_btf`, `btf__dedup`, `btf__raw_data`; btfkit: the same with its builder),
//! then prints the output size and the time each step took.

use conformance::libbpf::LibbpfBtf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (which, vmlinux, modules) = match args.as_slice() {
        [w, v, m, ..] => (w.as_str(), v, m),
        _ => {
            eprintln!("usage: dedup_merge libbpf|btfkit VMLINUX MODULE_DIR [OUT]");
            std::process::exit(2);
        }
    };
    let base_bytes = std::fs::read(vmlinux).expect("reading vmlinux");
    let mut paths: Vec<_> = std::fs::read_dir(modules)
        .expect("reading the module directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "btf"))
        .collect();
    paths.sort();
    let mods: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).expect("reading module"))
        .collect();
    let t0 = Instant::now();
    let out = match which {
        "libbpf" => {
            let base = LibbpfBtf::parse_raw(&base_bytes).expect("libbpf parses vmlinux");
            let mut merged = LibbpfBtf::new_empty_split(&base).expect("new_empty_split");
            for m in &mods {
                let split = LibbpfBtf::parse_split(m, &base).expect("libbpf parses module");
                merged.add_btf(&split).expect("btf__add_btf");
            }
            let t1 = Instant::now();
            merged.dedup().expect("btf__dedup");
            let t2 = Instant::now();
            let out = merged.raw_data().expect("raw data");
            eprintln!("libbpf: parse+add {:?}, dedup {:?}", t1 - t0, t2 - t1);
            out
        }
        "btfkit" => {
            let base = btfkit::Btf::parse(&base_bytes).expect("btfkit parses vmlinux");
            let mut merged = btfkit::write::Builder::new_split(&base);
            for m in &mods {
                let split = btfkit::Btf::parse_split(m, &base).expect("btfkit parses module");
                merged.add_btf(&split).expect("add_btf");
            }
            let t1 = Instant::now();
            btfkit::dedup::dedup_builder(&mut merged).expect("dedup");
            let t2 = Instant::now();
            let out = merged.to_bytes(base.endian());
            eprintln!("btfkit: parse+add {:?}, dedup {:?}", t1 - t0, t2 - t1);
            out
        }
        // Each module deduplicated alone (parsed, strings too), as a timing aid.
        "btfkit-each" => {
            let base = btfkit::Btf::parse(&base_bytes).expect("btfkit parses vmlinux");
            let mut n = 0;
            for m in &mods {
                let split = btfkit::Btf::parse_split(m, &base).expect("btfkit parses module");
                n += btfkit::dedup::dedup(&split).expect("dedup").bytes.len();
            }
            n.to_le_bytes().to_vec()
        }
        "libbpf-each" => {
            let base = LibbpfBtf::parse_raw(&base_bytes).expect("libbpf parses vmlinux");
            let mut n = 0;
            for m in &mods {
                let mut split = LibbpfBtf::parse_split(m, &base).expect("libbpf parses module");
                split.dedup().expect("dedup");
                n += split.raw_data().expect("raw").len();
            }
            n.to_le_bytes().to_vec()
        }
        _ => {
            eprintln!("unknown implementation {which}");
            std::process::exit(2);
        }
    };
    eprintln!(
        "{which}: {} modules, {} bytes out, total {:?}",
        mods.len(),
        out.len(),
        t0.elapsed()
    );
    if let Some(path) = args.get(3) {
        std::fs::write(path, &out).expect("writing the output");
    }
}
