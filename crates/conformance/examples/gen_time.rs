//! Times `btfkit::gen::encode` (pahole's encoder, before dedup) over modules, one core.
//!
//! usage: gen_time VMLINUX.btf MODULE.ko...
use btfkit::Btf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let vmlinux = std::fs::read(&args[1]).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("base");
    let t0 = Instant::now();
    let mut total_bytes = 0usize;
    for m in &args[2..] {
        let t = Instant::now();
        let file = std::fs::File::open(m).expect("module");
        total_bytes += file.metadata().map(|m| m.len() as usize).unwrap_or(0);
        let enc = btfkit::gen::encode_source(&file, &base).expect("encode");
        if std::env::var_os("GEN_TIME_EACH").is_some() {
            println!(
                "{m} {:.3}s {} bytes",
                t.elapsed().as_secs_f64(),
                enc.btf.len()
            );
        }
    }
    println!(
        "{} modules, {:.1} MB, {:.3}s",
        args.len() - 2,
        total_bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
}
