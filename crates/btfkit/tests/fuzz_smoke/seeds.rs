//! The seed writer: `BTFKIT_WRITE_SEEDS=1 cargo test --release -p btfkit --test
//! fuzz_smoke write_seeds -- --ignored` rewrites `fuzz/seeds/<target>/` from code
//! (minimal ELF objects of both classes and byte orders, generated BTF, the `.BTF_ids`
//! fixture) and, when they are there, from real data: small module BTF (≤ 2 KB) of the
//! corpus (`BTFKIT_CORPUS`), distilled, a real module trimmed with `objcopy`, and the
//! signature trailers of signed modules (`BTFKIT_SIGNED_KO`, `:`-separated paths of
//! uncompressed `.ko`). Seeds are small on purpose: libFuzzer's speed is in inverse
//! proportion to input size.

use crate::common::{build, join, Known};
use crate::fixture;
use crate::harness::{dir, Rng};
use btfkit::write::{Builder, FwdKind};
use btfkit::{distill, raw, Btf, Endian, TypeId};
use std::path::Path;

/// A blob that uses every kind, in the given byte order.
pub fn every_kind(endian: Endian) -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let ch = b.add_int("char", 1, raw::INT_CHAR);
    let ptr = b.add_ptr(int);
    let arr = b.add_array(ch, int, 16);
    b.add_struct("s", 32);
    b.add_member("a", int, 0, 0).expect("a valid element");
    b.add_member("bits", int, 32, 3).expect("a valid element");
    b.add_member("p", ptr, 64, 0).expect("a valid element");
    b.add_member("arr", arr, 128, 0).expect("a valid element");
    let u = b.add_union("u", 4);
    b.add_member("x", int, 0, 0).expect("a valid element");
    b.add_enum("e", 4, true);
    b.add_enum_value("A", -1).expect("a valid element");
    b.add_enum_value("B", 7).expect("a valid element");
    b.add_fwd("f", FwdKind::Union);
    let td = b.add_typedef("td", int);
    let v = b.add_volatile(td);
    let c = b.add_const(v);
    b.add_restrict(ptr);
    let proto = b.add_func_proto(int);
    b.add_param("x", c).expect("a valid element");
    b.add_param("", TypeId(0)).expect("a valid element");
    let func = b.add_func("fn", 1, proto);
    let var = b.add_var("v", 1, u);
    b.add_datasec(".data", 8);
    b.add_secinfo(var, 0, 4).expect("a valid element");
    b.add_float("double", 8);
    b.add_decl_tag("tag", func, 0);
    b.add_type_tag("user", int);
    b.add_enum64("e64", 8, false);
    b.add_enum64_value("BIG", 1 << 40).expect("a valid element");
    b.to_bytes(endian)
}

/// Random generator ops (three bytes each).
fn random_ops(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n * 3).map(|_| rng.next() as u8).collect()
}

/// A generated base and split over it (`common::build`), serialized.
fn generated_pair(rng: &mut Rng, endian: Endian) -> (Vec<u8>, Vec<u8>) {
    let (bo, so) = (random_ops(rng, 12), random_ops(rng, 8));
    let mut b = Builder::new();
    let mut k = Known::default();
    build(&mut b, &crate::common::ops(&bo), &mut k, "b");
    let base = b.to_bytes(endian);
    let base_btf = Btf::parse(&base).unwrap();
    let mut s = Builder::new_split(&base_btf);
    build(&mut s, &crate::common::ops(&so), &mut k, "s");
    let split = s.to_bytes(endian);
    (base, split)
}

/// A base with `struct list { struct node *head; int n; }` (node a FWD) and an enum, and
/// a split with two copies of `struct node { struct node *next; int v; }` (the second
/// via FWDs), typedefs, enum forward declarations and a function: dedup merges most.
fn duplicated_pair(endian: Endian) -> (Vec<u8>, Vec<u8>) {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let fwd = b.add_fwd("node", FwdKind::Struct);
    let pfwd = b.add_ptr(fwd);
    let list = b.add_struct("list", 16);
    b.add_member("head", pfwd, 0, 0).expect("a valid element");
    b.add_member("n", int, 64, 0).expect("a valid element");
    b.add_enum("e", 4, false);
    b.add_enum_value("A", 1).expect("a valid element");
    let base = b.to_bytes(endian);
    let parsed = Btf::parse(&base).unwrap();
    let mut s = Builder::new_split(&parsed);
    let mut first_node = None;
    for copy in 0..2 {
        let p_node = s.add_ptr(TypeId(s.next_id().0 + 1));
        let node = s.add_struct("node", 24);
        first_node.get_or_insert(node);
        s.add_member("next", p_node, 0, 0).expect("a valid element");
        s.add_member("v", int, 64, 0).expect("a valid element");
        let l = if copy == 0 {
            list
        } else {
            s.add_fwd("list", FwdKind::Struct)
        };
        let pl = s.add_ptr(l);
        s.add_typedef("list_p", pl);
        s.add_typedef("node_t", node);
        s.add_fwd_enum("e");
    }
    let proto = s.add_func_proto(int);
    s.add_param("n", first_node.unwrap())
        .expect("a valid element");
    s.add_func("f", 1, proto);
    let split = s.to_bytes(endian);
    (base, split)
}

/// One section of a minimal ELF object.
pub struct Section {
    pub name: &'static str,
    pub ty: u32,
    pub flags: u64,
    pub data: Vec<u8>,
    pub link: u32,
    pub info: u32,
    pub align: u64,
    pub entsize: u64,
}

fn sec(name: &'static str, ty: u32, data: Vec<u8>) -> Section {
    Section {
        name,
        ty,
        flags: 0,
        data,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    }
}

/// A relocatable ELF object with `sections` (after the null section; `.shstrtab` is
/// added last), contents laid out in order, the header table at the end.
pub fn elf(class: fixture::Class, sections: &[Section]) -> Vec<u8> {
    let fixture::Class { is_64, endian } = class;
    let mut w = fixture::W {
        out: Vec::new(),
        e: endian,
        is_64,
    };
    let mut names: Vec<&str> = sections.iter().map(|s| s.name).collect();
    names.push(".shstrtab");
    let (shstr, name_off) = fixture::strtab(&names);
    let ehsize = if is_64 { 64 } else { 52 };
    w.out.resize(ehsize, 0);
    let mut offs = Vec::new();
    for s in sections {
        w.align(s.align.clamp(1, 16) as usize);
        offs.push(w.out.len());
        if s.ty != 8 {
            w.out.extend_from_slice(&s.data);
        }
    }
    let shstr_off = w.out.len();
    w.out.extend_from_slice(&shstr);
    w.align(8);
    let shoff = w.out.len();
    let n = sections.len() + 2;
    let hdr = |w: &mut fixture::W, v: (u32, u32, u64, usize, usize, u32, u32, u64, u64)| {
        let (name, ty, flags, off, size, link, info, align, entsize) = v;
        w.u32(name);
        w.u32(ty);
        w.word(flags);
        w.word(0);
        w.word(off as u64);
        w.word(size as u64);
        w.u32(link);
        w.u32(info);
        w.word(align);
        w.word(entsize);
    };
    hdr(&mut w, (0, 0, 0, 0, 0, 0, 0, 0, 0));
    for (i, s) in sections.iter().enumerate() {
        hdr(
            &mut w,
            (
                name_off[i],
                s.ty,
                s.flags,
                offs[i],
                s.data.len(),
                s.link,
                s.info,
                s.align,
                s.entsize,
            ),
        );
    }
    hdr(
        &mut w,
        (name_off[n - 2], 3, 0, shstr_off, shstr.len(), 0, 0, 1, 0),
    );
    let mut h = fixture::W {
        out: Vec::new(),
        e: endian,
        is_64,
    };
    h.out.extend_from_slice(b"\x7fELF");
    h.u8(if is_64 { 2 } else { 1 });
    h.u8(if endian == Endian::Little { 1 } else { 2 });
    h.u8(1);
    h.out.resize(16, 0);
    h.u16(1);
    h.u16(if is_64 { 62 } else { 3 });
    h.u32(1);
    h.word(0);
    h.word(0);
    h.word(shoff as u64);
    h.u32(0);
    h.u16(ehsize as u16);
    h.u16(0);
    h.u16(0);
    h.u16(if is_64 { 64 } else { 40 });
    h.u16(n as u16);
    h.u16((n - 1) as u16);
    w.out[..ehsize].copy_from_slice(&h.out);
    w.out
}

/// `data` as a zlib stream of one stored deflate block.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut z = vec![0x78, 0x01, 0x01];
    let len = data.len() as u16;
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&(!len).to_le_bytes());
    z.extend_from_slice(data);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    z
}

/// `data` as the contents of an `SHF_COMPRESSED` section (zlib).
fn compressed(class: fixture::Class, data: &[u8]) -> Vec<u8> {
    let mut w = fixture::W {
        out: Vec::new(),
        e: class.endian,
        is_64: class.is_64,
    };
    w.u32(1); // ELFCOMPRESS_ZLIB
    if class.is_64 {
        w.u32(0);
    }
    w.word(data.len() as u64);
    w.word(1);
    w.out.extend_from_slice(&zlib_stored(data));
    w.out
}

/// Minimal module-like objects: code, data, bss, relocations, symbols, BTF.
fn objects(class: fixture::Class, btf: &[u8], base: Option<&[u8]>) -> Vec<(String, Vec<u8>)> {
    let e = class.endian;
    let is_64 = class.is_64;
    let mut sym = fixture::W {
        out: Vec::new(),
        e,
        is_64,
    };
    let entry = |w: &mut fixture::W, name: u32, value: u64, info: u8, shndx: u16| {
        w.u32(name);
        if is_64 {
            w.u8(info);
            w.u8(0);
            w.u16(shndx);
            w.word(value);
            w.word(4);
        } else {
            w.u32(value as u32);
            w.u32(4);
            w.u8(info);
            w.u8(0);
            w.u16(shndx);
        }
    };
    entry(&mut sym, 0, 0, 0, 0);
    entry(&mut sym, 0, 0, 3, 1); // section symbol of .text
    entry(&mut sym, 1, 0, 0x12, 1); // global func init_module
    let (strtab, _) = fixture::strtab(&["init_module"]);
    let mut rela = fixture::W {
        out: Vec::new(),
        e,
        is_64,
    };
    rela.word(0);
    rela.word(if is_64 { (2 << 32) | 2 } else { (2 << 8) | 2 });
    rela.word(0);
    let (symsize, relasize) = if is_64 { (24, 24) } else { (16, 12) };
    let mut plain = vec![
        Section {
            flags: 6,
            align: 16,
            ..sec(".text", 1, vec![0xc3; 8])
        },
        Section {
            link: 5,
            info: 1,
            flags: 0x40,
            align: 8,
            entsize: relasize,
            ..sec(".rela.text", 4, rela.out.clone())
        },
        Section {
            flags: 3,
            align: 8,
            ..sec(".data", 1, vec![1, 2, 3, 4, 5, 6, 7, 8])
        },
        Section {
            flags: 3,
            align: 8,
            ..sec(".bss", 8, vec![0; 16])
        },
        Section {
            link: 6,
            info: 2,
            align: 8,
            entsize: symsize,
            ..sec(".symtab", 2, sym.out.clone())
        },
        sec(".strtab", 3, strtab.clone()),
        sec(".BTF", 1, btf.to_vec()),
    ];
    let mut out = Vec::new();
    out.push(("plain".to_string(), elf(class, &plain)));
    if let Some(b) = base {
        plain.push(sec(".BTF.base", 1, b.to_vec()));
        out.push(("base".to_string(), elf(class, &plain)));
        plain.pop();
    }
    // .BTF compressed, and a .BTF.ext.
    let mut z = plain;
    z[6] = Section {
        flags: 0x800,
        align: 8,
        ..sec(".BTF", 1, compressed(class, btf))
    };
    z.push(sec(".BTF.ext", 1, vec![0x9f, 0xeb, 1, 0, 32, 0, 0, 0]));
    out.push(("zlib".to_string(), elf(class, &z)));
    out
}

fn write(target: &str, name: &str, data: &[u8]) {
    let d = dir("seeds", target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), data).unwrap();
}

fn class_name(c: fixture::Class) -> String {
    format!(
        "{}{}",
        if c.is_64 { "64" } else { "32" },
        if c.endian == Endian::Little {
            "le"
        } else {
            "be"
        }
    )
}

/// Small module BTF of the corpus (≤ 2 KB), distilled: `(name, base, split)`.
fn corpus_pairs() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let Some(corpus) = std::env::var_os("BTFKIT_CORPUS") else {
        return Vec::new();
    };
    let root = Path::new(&corpus).join("linux-6.1.0-56-amd64");
    let vmlinux = std::fs::read(root.join("vmlinux.btf")).unwrap();
    let base = Btf::parse(&vmlinux).unwrap();
    let mut mods: Vec<(u64, String)> = std::fs::read_dir(root.join("modules"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.metadata().unwrap().len(),
                e.file_name().to_string_lossy().into_owned(),
            )
        })
        .filter(|(len, _)| (600..=2048).contains(len))
        .collect();
    mods.sort();
    let step = (mods.len() / 6).max(1);
    let mut out = Vec::new();
    for (_, name) in mods.iter().step_by(step).take(6) {
        let split = std::fs::read(root.join("modules").join(name)).unwrap();
        let Ok(s) = Btf::parse_split(&split, &base) else {
            continue;
        };
        let Ok(d) = distill::distill(&s) else {
            continue;
        };
        out.push((name.trim_end_matches(".btf").to_string(), d.base, d.split));
    }
    out
}

#[test]
#[ignore = "writes fuzz/seeds/; run with BTFKIT_WRITE_SEEDS=1"]
fn write_seeds() {
    if std::env::var_os("BTFKIT_WRITE_SEEDS").is_none() {
        return;
    }
    let mut rng = Rng(7);
    let pairs = corpus_pairs();
    let (gb, gs) = generated_pair(&mut rng, Endian::Little);
    let (gb_be, gs_be) = generated_pair(&mut rng, Endian::Big);

    // parse_validate_dump: every kind, both orders; distilled module BTF.
    write(
        "parse_validate_dump",
        "every_kind_le",
        &every_kind(Endian::Little),
    );
    write(
        "parse_validate_dump",
        "every_kind_be",
        &every_kind(Endian::Big),
    );
    for (name, base, _) in pairs.iter().take(2) {
        write("parse_validate_dump", &format!("{name}.base"), base);
    }

    // ELF: minimal objects of every class, a trimmed real module.
    let mut elves: Vec<(String, Vec<u8>)> = Vec::new();
    for class in fixture::CLASSES {
        let (b, s) = if class.endian == Endian::Little {
            (&gb, &gs)
        } else {
            (&gb_be, &gs_be)
        };
        for (name, o) in objects(class, s, Some(b)) {
            elves.push((format!("{}_{name}", class_name(class)), o));
        }
    }
    if let Some(corpus) = std::env::var_os("BTFKIT_CORPUS") {
        let ko = Path::new(&corpus).join("linux-6.1.0-56-amd64/ko/nls_ascii.ko");
        let tmp = std::env::temp_dir().join("btfkit-seed-nls_ascii.ko");
        let ok = std::process::Command::new("objcopy")
            .args(["-R", ".rodata", "-R", ".rela.rodata", "-R", "__versions"])
            .args([
                "-R",
                ".rela.init.text",
                "-R",
                ".rela.exit.text",
                "-R",
                ".rela.text",
            ])
            .args(["-R", ".rela__mcount_loc", "-R", ".rela.data"])
            .args(["-R", ".rela.gnu.linkonce.this_module"])
            .arg(&ko)
            .arg(&tmp)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            elves.push((
                "nls_ascii_trimmed".to_string(),
                std::fs::read(&tmp).unwrap(),
            ));
        }
    }
    let signed: Vec<Vec<u8>> = std::env::var("BTFKIT_SIGNED_KO")
        .map(|v| v.split(':').map(|p| std::fs::read(p).unwrap()).collect())
        .unwrap_or_default();
    let trailers: Vec<Vec<u8>> = signed
        .iter()
        .map(|ko| {
            let len = btfkit::elf::patch::image_len(ko).unwrap();
            ko[len..].to_vec()
        })
        .collect();
    for (name, o) in &elves {
        write("elf_sections", name, o);
    }
    // elf_patch: a plan in front (see fuzz/bodies/elf_patch.rs).
    let plans: [&[u8]; 4] = [
        &[0x00, 0, 0, 40],                     // set .BTF, 120 bytes
        &[0x21, 0, 1, 2, 2, 1, 0],             // set .BTF, remove .BTF.base
        &[0x12, 0, 3, 5, 0x11, 2, 1, 2, 0, 0], // set .fuzz, replace an existing one, remove .BTF
        &[0x40, 1, 1, 0],                      // replace .BTF.base with nothing (moved)
    ];
    for (i, (name, o)) in elves.iter().enumerate() {
        if name.ends_with("_zlib") {
            continue;
        }
        let mut o = o.clone();
        if let Some(t) = trailers.get(i % 3) {
            if i % 3 == 0 {
                o.extend_from_slice(t);
            }
        }
        // The first plan (from the i-th on) that applies.
        let input = (0..plans.len())
            .map(|k| join(&[plans[(i + k) % plans.len()], &o]))
            .find(|input| crate::elf_patch::body::run(input))
            .expect("some plan applies");
        write("elf_patch", name, &input);
    }

    // btf_ids: the fixture's objects, resolved and not.
    for class in fixture::CLASSES {
        let f = fixture::fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        for (resolved, btf) in [("resolved", Some(&split)), ("raw", None)] {
            let (data, syms) = fixture::assemble(&fixture::source(), btf, class.endian);
            let o = fixture::Elf {
                class,
                btf_ids: Some(data),
                syms,
                symtab: true,
                addr: 0,
            };
            write(
                "btf_ids",
                &format!("{}_{resolved}", class_name(class)),
                &o.bytes(),
            );
        }
    }

    // module: the .BTF_ids objects with the fixture module's .BTF, and a minimal
    // object with it but no .BTF_ids.
    for class in fixture::CLASSES {
        let f = fixture::fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let (data, syms) = fixture::assemble(&fixture::source(), Some(&split), class.endian);
        let o = fixture::Elf {
            class,
            btf_ids: Some(data),
            syms,
            symtab: true,
            addr: 0,
        };
        let ko = btfkit::elf::patch::set_btf(&o.bytes(), &f.split, None)
            .unwrap()
            .elf;
        write("module", &format!("{}_btf_ids", class_name(class)), &ko);
        let plain = &objects(class, &f.split, None)[0].1;
        write("module", &format!("{}_plain", class_name(class)), plain);
    }

    // signature: real trailers with a few bytes of image in front.
    for (i, t) in trailers.iter().enumerate() {
        let mut s = vec![0u8; 16];
        s.extend_from_slice(t);
        write("signature", &format!("signed{i}"), &s);
    }
    let mut fake = vec![0u8; 8];
    fake.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 8]);
    fake.extend_from_slice(btfkit::elf::signature::MARKER);
    write("signature", "empty_blob", &fake);

    // distill: [base][split], distilled pairs of real modules and generated pairs.
    for (name, base, split) in &pairs {
        write("distill", name, &join(&[base, split]));
    }
    write("distill", "generated_le", &join(&[&gb, &gs]));
    write("distill", "generated_be", &join(&[&gb_be, &gs_be]));
    for class in [fixture::CLASSES[0], fixture::CLASSES[1]] {
        let f = fixture::fixture(class.endian);
        write(
            "distill",
            &format!("btf_ids_fixture_{}", class_name(class)),
            &join(&[&f.base, &f.split]),
        );
    }

    // dedup: [base][split] as for distill, and a split repeating a struct graph with
    // FWDs, a cycle through a struct, a typedef, an enum forward declaration and
    // references into the base.
    for (name, base, split) in &pairs {
        write("dedup", name, &join(&[base, split]));
    }
    write("dedup", "generated_le", &join(&[&gb, &gs]));
    write("dedup", "generated_be", &join(&[&gb_be, &gs_be]));
    for endian in [Endian::Little, Endian::Big] {
        let (b, s) = duplicated_pair(endian);
        write("dedup", &format!("duplicates_{endian:?}"), &join(&[&b, &s]));
    }

    // relocate: generator ops.
    for i in 0..6 {
        let (b, s, c) = (
            random_ops(&mut rng, 10 + i),
            random_ops(&mut rng, 6 + i),
            random_ops(&mut rng, 10 + i + i % 2),
        );
        write("relocate", &format!("ops{i}"), &join(&[&b, &s, &c]));
    }

    // decompress: small streams of every format (a BTF blob, an ELF object, nothing, a
    // run of zeros larger than the smallest caps); byte 0 picks the format and the cap.
    let elf64 = &elves[0].1;
    for (k, c) in btfkit::compress::Compression::ALL.into_iter().enumerate() {
        for (name, data, cap) in [
            ("btf", every_kind(Endian::Little), 5u8),
            ("elf", elf64.clone(), 7),
            ("empty", Vec::new(), 0),
            ("zeros", vec![0u8; 6000], 7),
        ] {
            let mut s = vec![(k & 3) as u8 | cap << 2 | ((k >> 2) as u8) << 5];
            s.extend_from_slice(&btfkit::compress::compress_for_tests(&data, c));
            let file = c.name().replace(" (legacy)", "_legacy");
            write("decompress", &format!("{file}_{name}"), &s);
        }
    }

    // image: small kernel images of every container, compression and byte order.
    for endian in [Endian::Little, Endian::Big] {
        use crate::images::*;
        let e = if endian == Endian::Little { "le" } else { "be" };
        let btf = vmlinux_btf(endian, 2);
        let elf = vmlinux(endian == Endian::Little, endian, &btf);
        write("image", &format!("elf_{e}"), &elf);
        write("image", &format!("arm64_{e}"), &arm64_image(&btf, endian));
        let gz = kbuild_compress(
            &arm64_image(&btf, endian),
            btfkit::compress::Compression::Gzip,
        );
        write("image", &format!("zboot_{e}"), &zboot(&gz));
        for c in btfkit::compress::Compression::ALL {
            let file = c.name().replace(" (legacy)", "_legacy");
            write(
                "image",
                &format!("bzimage_{file}_{e}"),
                &bzimage(&kbuild_compress(&elf, c)),
            );
        }
    }

    // roundtrip: generated calls; blobs.
    for i in 0..4 {
        let mut s = vec![(i * 2) as u8];
        s.extend((0..120).map(|_| rng.next() as u8));
        write("roundtrip", &format!("calls{i}"), &s);
    }
    for (name, blob, mode) in [
        ("every_kind_le", every_kind(Endian::Little), 1u8),
        ("every_kind_be", every_kind(Endian::Big), 1),
        ("generated_base", gb.clone(), 1),
    ] {
        let mut s = vec![mode];
        s.extend_from_slice(&blob);
        write("roundtrip", name, &s);
    }
    for (name, base, _) in pairs.iter().take(2) {
        let mut s = vec![1u8];
        s.extend_from_slice(base);
        write("roundtrip", &format!("{name}.base"), &s);
    }

    // sort: [base][split][keys]: every kind alone, generated pairs (one over a base sorted
    // already), distilled module BTF.
    let keys: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
    let sorted_gb = btfkit::sort::sort_by_name(&Btf::parse(&gb).unwrap())
        .unwrap()
        .bytes;
    for (name, base, split) in [
        ("every_kind_le", every_kind(Endian::Little), Vec::new()),
        ("every_kind_be", every_kind(Endian::Big), Vec::new()),
        ("generated_le", gb.clone(), gs.clone()),
        ("generated_be", gb_be.clone(), gs_be.clone()),
        ("sorted_base", sorted_gb, Vec::new()),
    ] {
        write("sort", name, &join(&[&base, &split, &keys]));
    }
    for (name, base, split) in pairs.iter().take(2) {
        write("sort", name, &join(&[base, split, &keys]));
    }
}
