//! Runs the dedup fuzz target's body (fuzz/fuzz_targets/dedup_body.rs) on a few thousand
//! inputs derived from valid base + split pairs by deterministic mutations, under plain
//! `cargo test`: small committed modules distilled (each with its distilled base), and
//! built graphs with duplicates, FWDs and cycles.

#[path = "../../../fuzz/fuzz_targets/dedup_body.rs"]
mod body;
#[path = "support/mutate.rs"]
mod mutate;

use btfkit::write::{Builder, FwdKind};
use btfkit::{raw, Btf, Endian, TypeId};
use mutate::{mutate, Rng};
use std::path::Path;

fn xz(path: &Path) -> Vec<u8> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    btfkit::compress::decompress(&data, btfkit::compress::Compression::Xz, 1 << 30)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A module of the committed fixtures, distilled: (distilled base, split over it).
fn distilled_module(name: &str) -> (Vec<u8>, Vec<u8>) {
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/linux-6.1");
    let vmlinux = xz(&td.join("vmlinux.btf.xz"));
    let base = Btf::parse(&vmlinux).unwrap();
    let elf = xz(&td.join("ko").join(format!("{name}.ko.xz")));
    let secs = btfkit::elf::BtfSections::parse(&elf).expect("module ELF");
    let split = Btf::parse_split(&secs.btf, &base).expect("module BTF");
    let d = btfkit::distill::distill(&split).expect("distills");
    (d.base, d.split)
}

/// A base with a struct graph, and a split repeating it with FWDs, duplicates, a
/// cycle through a struct and references into the base.
fn built(endian: Endian) -> (Vec<u8>, Vec<u8>) {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let fwd = b.add_fwd("node", FwdKind::Struct);
    let pfwd = b.add_ptr(fwd);
    b.add_struct("list", 16);
    b.add_member("head", pfwd, 0, 0).unwrap();
    b.add_member("n", int, 64, 0).unwrap();
    b.add_enum("e", 4, false);
    b.add_enum_value("A", 1).unwrap();
    let base = b.to_bytes(endian);
    let parsed = Btf::parse(&base).unwrap();
    let mut s = Builder::new_split(&parsed);
    let start = s.next_id().0;
    // struct node { struct node *next; int v; struct list *l; } twice, once via FWD
    for copy in 0..2 {
        let first = s.next_id().0;
        let p_node = s.add_ptr(TypeId(first + 1));
        s.add_struct("node", 24);
        s.add_member("next", p_node, 0, 0).unwrap();
        s.add_member("v", TypeId(1), 64, 0).unwrap();
        let l = if copy == 0 {
            TypeId(4)
        } else {
            s.add_fwd("list", FwdKind::Struct)
        };
        let pl = s.add_ptr(l);
        let _ = pl;
        s.add_typedef("node_t", TypeId(first + 1));
        s.add_fwd_enum("e");
    }
    let proto = s.add_func_proto(TypeId(1));
    s.add_param("n", TypeId(start + 1)).unwrap();
    s.add_func("f", 1, proto);
    let split = s.to_bytes(endian);
    drop(s);
    drop(parsed);
    (base, split)
}

fn seeds() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v = vec![built(Endian::Little), built(Endian::Big)];
    for m in ["dummy", "nls_ascii", "cpufreq_userspace"] {
        v.push(distilled_module(m));
    }
    v
}

#[test]
fn seeds_deduplicate() {
    for (base, split) in seeds() {
        let b = Btf::parse(&base).unwrap();
        let s = Btf::parse_split(&split, &b).unwrap();
        let out = btfkit::dedup::dedup(&s).expect("a seed deduplicates");
        Btf::parse_split(&out.bytes, &b).expect("and parses again");
        body::check(&body::join_input(&base, &split));
    }
}

#[test]
fn mutated_pairs_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x5eed_dead_0000_0001);
    let (mut split_ok, mut dedup_ok) = (0, 0);
    for i in 0..3000 {
        let (base, split) = &seeds[i % seeds.len()];
        let input = if i % 5 == 0 {
            mutate(&mut rng, &body::join_input(base, split))
        } else {
            body::join_input(base, &mutate(&mut rng, split))
        };
        if let Some((b, s)) = body::split_input(&input) {
            if let Ok(b) = Btf::parse(b) {
                if let Ok(s) = Btf::parse_split(s, &b) {
                    split_ok += 1;
                    dedup_ok += btfkit::dedup::dedup(&s).is_ok() as u32;
                }
            }
        }
        body::check(&input);
    }
    // The mutations must leave many inputs deduplicable, or dedup is not exercised.
    assert!(split_ok > 1000, "only {split_ok} of 3000 mutated inputs parsed");
    assert!(dedup_ok > 500, "only {dedup_ok} of 3000 mutated inputs deduplicated");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..1000 {
        let n = rng.below(300);
        let v: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        body::check(&v);
    }
}
