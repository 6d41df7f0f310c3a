//! Compares `btfkit::gen::encode` + libbpf `btf__dedup` with pahole's `.BTF.1` files
//! made by `scripts/gen-reference.sh`.
//!
//! usage: gen_compare VMLINUX.btf REFDIR MODULE.ko...
use btfkit::Btf;
use conformance::libbpf::LibbpfBtf;

fn dump(btf: &Btf<'_>) -> Vec<String> {
    let mut out = Vec::new();
    btfkit::dump::raw::write_raw(&mut out, btf).expect("dump");
    String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let vmlinux = std::fs::read(&args[1]).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("base");
    let lbase = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf base");
    let refdir = std::path::Path::new(&args[2]);
    let (mut same, mut total) = (0, 0);
    for m in &args[3..] {
        total += 1;
        let name = std::path::Path::new(m)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split(".ko")
            .next()
            .unwrap()
            .to_string();
        let data = std::fs::read(m).expect("module");
        let enc = match btfkit::gen::encode(&data, &base) {
            Ok(e) => e,
            Err(e) => {
                println!("{name} ERROR {e}");
                continue;
            }
        };
        let ours = match conformance::gen_oracle::dedup_split_built(&enc.btf, &lbase, &base) {
            Ok(b) => b,
            Err(e) => {
                println!("{name} DEDUP-ERROR {e}");
                continue;
            }
        };
        let Ok(theirs) = std::fs::read(refdir.join(format!("{name}.BTF.1"))) else {
            println!("{name} no-reference");
            continue;
        };
        if ours == theirs {
            same += 1;
            println!("{name} identical");
            continue;
        }
        let a = Btf::parse_split(&ours, &base).map(|b| dump(&b));
        let b = Btf::parse_split(&theirs, &base).map(|b| dump(&b));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                if let Ok(dir) = std::env::var("GEN_COMPARE_DUMP") {
                    let _ = std::fs::create_dir_all(&dir);
                    let _ = std::fs::write(format!("{dir}/{name}.ours"), a.join("\n"));
                    let _ = std::fs::write(format!("{dir}/{name}.pahole"), b.join("\n"));
                    let _ = std::fs::write(format!("{dir}/{name}.ours.btf"), &ours);
                    let _ = std::fs::write(format!("{dir}/{name}.raw.btf"), &enc.btf);
                }
                let i = a
                    .iter()
                    .zip(&b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                println!(
                    "{name} DIFFERENT ({} vs {} lines) first at line {i}:\n  ours:   {}\n  pahole: {}",
                    a.len(),
                    b.len(),
                    a.get(i).map(String::as_str).unwrap_or("<end>"),
                    b.get(i).map(String::as_str).unwrap_or("<end>")
                );
            }
            (a, b) => println!("{name} DIFFERENT (unparsable: {:?} {:?})", a.err(), b.err()),
        }
    }
    println!("identical {same}/{total}");
}
