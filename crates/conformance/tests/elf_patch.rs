//! `btfkit::elf::patch` on every whole 6.1 module (the corpus's `ko/*.ko` or the committed
//! testdata's, signed Debian modules): each is distilled over the 6.1 vmlinux and its `.BTF` +
//! `.BTF.base` written back; then
//! (a) every other section keeps its index, header and bytes (read with `object`),
//! (b) binutils' `readelf -S -W` and `objdump -h` read the result without a word on
//!     stderr and list every other section exactly as before,
//! (c) libbpf's `btf__parse_elf_split` reads it, over the vmlinux (relocating
//!     `.BTF.base` itself) and alone (then `btf__relocate`), byte-identical to btfkit's
//!     relocation,
//! (d) btfkit reads back exactly the bytes it wrote, and they validate;
//! and stripping the result leaves the original's sections but `.BTF`.

use btfkit::elf::patch::{self, Patch};
use btfkit::elf::{signature, BtfSections};
use btfkit::Btf;
use conformance::libbpf::LibbpfBtf;
use conformance::libbpf_elf::parse_elf_split;
use object::{Object, ObjectSection};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// (index, name, kind + flags, file range, bytes) of every section.
type Sec = (usize, String, String, Option<(u64, u64)>, Vec<u8>);

fn sections(elf: &[u8]) -> Vec<Sec> {
    let f = object::File::parse(elf).expect("object reads it");
    f.sections()
        .map(|s| {
            (
                s.index().0,
                s.name().expect("name").to_string(),
                format!("{:?} {:?} align {}", s.kind(), s.flags(), s.align()),
                s.file_range(),
                s.data().expect("data").to_vec(),
            )
        })
        .collect()
}

/// Runs a binutils tool; it must succeed without printing anything on stderr.
fn tool(name: &str, args: &[&str], file: &Path) -> String {
    let o = Command::new(name)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{name} (binutils) must be installed: {e}"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && stderr.is_empty(),
        "{name} {args:?} {}: {stderr}",
        file.display()
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `readelf -S -W` section lines by name (the `[Nr]` column included).
fn readelf_sections(file: &Path) -> Vec<(String, String)> {
    tool("readelf", &["-S", "-W"], file)
        .lines()
        .filter(|l| l.trim_start().starts_with('[') && !l.contains("[Nr]"))
        .map(|l| {
            let after = l.split_once(']').expect("]").1;
            let name = after.split_whitespace().next().unwrap_or("").to_string();
            (name, l.to_string())
        })
        .collect()
}

/// `objdump -h` entries: (name, "size vma lma offset align flags").
fn objdump_sections(file: &Path) -> Vec<(String, String)> {
    let out = tool("objdump", &["-h"], file);
    let lines: Vec<&str> = out.lines().collect();
    let mut v = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let f: Vec<&str> = lines[i].split_whitespace().collect();
        if f.len() == 7 && f[0].parse::<u32>().is_ok() {
            let flags = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
            v.push((f[1].to_string(), format!("{} {flags}", f[2..].join(" "))));
            i += 2;
        } else {
            i += 1;
        }
    }
    v
}

/// The section with this index.
fn at(v: &[Sec], index: usize) -> Option<&Sec> {
    v.iter().find(|s| s.0 == index)
}

fn without<'a>(v: &'a [(String, String)], names: &[&str]) -> Vec<&'a (String, String)> {
    v.iter()
        .filter(|(n, _)| !names.contains(&n.as_str()))
        .collect()
}

struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Tmp {
        let p = std::env::temp_dir().join(format!(
            "btfkit-conformance-elf-patch-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        Tmp(p)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn patched_modules_read_everywhere() {
    let data = test_support::data();
    let vmlinux = std::fs::read(data.vmlinux61()).expect("vmlinux");
    let base = Btf::parse(&vmlinux).expect("vmlinux parses");
    let lb_base = LibbpfBtf::parse_raw(&vmlinux).expect("libbpf reads vmlinux");
    let tmp = Tmp::new();
    let kos = data.kos61();
    test_support::assert_checked(".ko files", kos.len(), data.min_kos());
    let mut patch_time = Duration::ZERO;
    let mut bytes_in = 0usize;

    for ko in kos {
        let name = ko.file_stem().expect("stem").to_string_lossy().into_owned();
        let orig = std::fs::read(ko).expect("module");
        bytes_in += orig.len();

        // The signature is found, with its signer.
        let sig = signature::find(&orig).expect("trailer").expect("signed");
        assert_eq!(sig.sig_len, 681, "{name}");
        assert_eq!(sig.offset + sig.trailer_len(), orig.len());
        assert_eq!(
            patch::image_len(&orig).expect("image"),
            sig.offset,
            "{name}"
        );
        let signer = sig.signer.as_ref().expect("PKCS#7 signer");
        assert_eq!(
            signer.issuer.as_deref(),
            Some("Build time autogenerated kernel key")
        );
        assert_eq!(signer.digest, "sha256");
        assert_eq!(signer.key.len(), 20);
        // An empty patch gives the ELF image back unchanged.
        let same = Patch::new().apply(&orig).expect("empty patch");
        assert!(
            same.elf == orig[..sig.offset],
            "{name}: empty patch changed bytes"
        );

        // Distill and write back.
        let secs = BtfSections::parse(&orig).expect("sections");
        let split = Btf::parse_split(&secs.btf, &base).expect("split parses");
        let d = btfkit::distill::distill(&split).expect("distills");
        let t = Instant::now();
        let out = patch::set_btf(&orig, &d.split, Some(&d.base)).expect("patch");
        patch_time += t.elapsed();
        assert_eq!(out.trailer.signature.as_ref(), Some(&sig), "{name}");
        assert_eq!(out.trailer.other_bytes, 0);
        let path = tmp.0.join(format!("{name}.ko"));
        std::fs::write(&path, &out.elf).expect("write");

        // (a) Every other section: same index, header and bytes.
        let a = sections(&orig);
        let b = sections(&out.elf);
        assert_eq!(b.len(), a.len() + 1, "{name}: one section added");
        for s in &a {
            match s.1.as_str() {
                ".BTF" => {
                    let n = at(&b, s.0).expect(".BTF");
                    assert_eq!((&n.1, &n.2), (&s.1, &s.2), "{name}: .BTF header");
                    assert_eq!(n.4, d.split, "{name}: .BTF");
                }
                ".shstrtab" => {
                    let n = at(&b, s.0).expect(".shstrtab");
                    assert_eq!((&n.1, &n.2), (&s.1, &s.2));
                    assert!(n.4.starts_with(&s.4), "{name}: .shstrtab keeps its names");
                }
                _ => assert_eq!(
                    Some(s),
                    at(&b, s.0),
                    "{name}: section [{}] {} changed",
                    s.0,
                    s.1
                ),
            }
        }
        // Index 0 is not listed: the new section's index is the old count + 1.
        let added = at(&b, a.len() + 1).expect("added section");
        assert_eq!((added.1.as_str(), &added.4), (".BTF.base", &d.base));
        let btf = a.iter().find(|s| s.1 == ".BTF").expect(".BTF");
        assert_eq!(
            added.2, btf.2,
            "{name}: .BTF.base's type and flags are .BTF's"
        );

        // (b) binutils: same lines for every other section.
        let (ra, rb) = (readelf_sections(ko), readelf_sections(&path));
        assert_eq!(rb.len(), ra.len() + 1);
        assert_eq!(
            without(&ra, &[".BTF", ".shstrtab"]),
            without(&rb, &[".BTF", ".shstrtab", ".BTF.base"]),
            "{name}: readelf -S"
        );
        assert_eq!(rb.last().map(|r| r.0.as_str()), Some(".BTF.base"));
        let (oa, ob) = (objdump_sections(ko), objdump_sections(&path));
        assert!(!oa.is_empty());
        assert_eq!(
            without(&oa, &[".BTF"]),
            without(&ob, &[".BTF", ".BTF.base"]),
            "{name}: objdump -h"
        );
        assert!(
            ob.iter().any(|(n, _)| n == ".BTF.base"),
            "{name}: objdump lists .BTF.base"
        );

        // (c) libbpf reads it and relocates it, byte-identical to btfkit.
        let dist = Btf::parse(&d.base).expect("distilled base");
        let ds = Btf::parse_split(&d.split, &dist).expect("distilled split");
        let ours = btfkit::relocate::relocate(&ds, &base, Default::default())
            .expect("relocates back onto its own vmlinux");
        let lb = parse_elf_split(&path, Some(&lb_base))
            .unwrap_or_else(|e| panic!("{name}: libbpf btf__parse_elf_split: {e}"));
        assert!(
            lb.raw_data().expect("raw") == ours.split,
            "{name}: libbpf's relocation differs"
        );
        let lb_alone = parse_elf_split(&path, None).expect("libbpf reads it without a base");
        // Over its own .BTF.base (which libbpf owns): all types, ids as in btfkit.
        assert_eq!(lb_alone.type_cnt(), ds.next_id().0, "{name}");
        assert!(lb_alone.raw_data().expect("raw") == d.split);
        lb_alone.relocate(&lb_base).expect("libbpf relocates it");
        assert!(lb_alone.raw_data().expect("raw") == ours.split);

        // (d) btfkit reads back exactly what it wrote, and it validates.
        let back = BtfSections::parse(&out.elf).expect("reads back");
        assert!(back.btf.as_ref() == d.split.as_slice());
        assert_eq!(back.base.as_deref(), Some(d.base.as_slice()));
        assert!(btfkit::validate::validate(&dist).is_empty(), "{name}");
        assert!(btfkit::validate::validate(&ds).is_empty(), "{name}");

        // Strip: the original's sections but .BTF, whose index is now inactive.
        let stripped = patch::strip_btf(&out.elf).expect("strip");
        let spath = tmp.0.join(format!("{name}-stripped.ko"));
        std::fs::write(&spath, &stripped.elf).expect("write");
        let c = sections(&stripped.elf);
        assert_eq!(c.len(), a.len(), "{name}: .BTF.base left the table");
        for s in &a {
            if s.1 != ".BTF" && s.1 != ".shstrtab" {
                assert_eq!(
                    Some(s),
                    at(&c, s.0),
                    "{name}: strip changed [{}] {}",
                    s.0,
                    s.1
                );
            }
        }
        let btf_index = btf.0;
        assert_eq!(
            at(&c, btf_index).expect("entry").1,
            "",
            "{name}: inactive entry"
        );
        let rs = readelf_sections(&spath);
        assert!(rs
            .iter()
            .any(|(_, l)| l.contains(" NULL ") && l.contains(&format!("[{btf_index:>2}]"))));
        assert_eq!(
            without(&ra, &[".BTF", ".shstrtab", "NULL"]),
            without(&rs, &["NULL", ".shstrtab"]),
            "{name}: readelf -S after strip"
        );
        assert_eq!(
            without(&oa, &[".BTF"]),
            objdump_sections(&spath).iter().collect::<Vec<_>>()
        );
        let e = parse_elf_split(&spath, Some(&lb_base)).expect_err("libbpf finds no .BTF");
        assert_eq!(e.errno, 61, "ENODATA: {e}");
        // The original, through libbpf, for comparison: its .BTF unchanged.
        let lo = parse_elf_split(ko, Some(&lb_base)).expect("libbpf reads the original");
        assert!(lo.raw_data().expect("raw") == secs.btf.as_ref());
    }
    eprintln!(
        "patched {} modules ({bytes_in} bytes) in {:?} (patching only)",
        kos.len(),
        patch_time
    );
}
