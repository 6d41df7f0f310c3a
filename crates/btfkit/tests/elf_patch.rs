//! `btfkit::elf::patch` on relocatable objects built here: ELF32 and ELF64, both byte
//! orders, with `SHT_GROUP`, an unknown section type, `SHT_NOBITS`, a symbol table whose
//! symbols point at sections, and relocations whose `sh_info`/`sh_link` are indices.
//! Every test checks that every section it did not edit keeps its header, index, file
//! offset and bytes (read back with `object`), and what it edited is what was asked.

use btfkit::elf::patch::{self, Action, NewSection, Patch, PatchError};
use btfkit::elf::signature;
use object::read::elf::{FileHeader, SectionHeader};
use object::Endianness;

// ---------------------------------------------------------------------------------------
// A minimal ELF writer.

const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_RELA: u32 = 4;
const SHT_NOBITS: u32 = 8;
const SHT_GROUP: u32 = 17;
const SHT_UNKNOWN: u32 = 0x6fff_4700;
const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXEC: u64 = 4;
const SHF_INFO_LINK: u64 = 0x40;
const SHF_GROUP: u64 = 0x200;

#[derive(Clone, Copy, Debug)]
struct Class {
    is64: bool,
    be: bool,
}

const CLASSES: [Class; 4] = [
    Class {
        is64: true,
        be: false,
    },
    Class {
        is64: true,
        be: true,
    },
    Class {
        is64: false,
        be: false,
    },
    Class {
        is64: false,
        be: true,
    },
];

#[derive(Clone, Debug)]
struct Sec {
    name: String,
    ty: u32,
    flags: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
    data: Vec<u8>,
    /// For SHT_NOBITS.
    nobits_size: u64,
}

impl Sec {
    fn new(name: &str, ty: u32, flags: u64, align: u64, data: Vec<u8>) -> Sec {
        Sec {
            name: name.to_string(),
            ty,
            flags,
            link: 0,
            info: 0,
            align,
            entsize: 0,
            data,
            nobits_size: 0,
        }
    }
}

struct W {
    c: Class,
    out: Vec<u8>,
}

impl W {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        let b = if self.c.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.c.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u64(&mut self, v: u64) {
        let b = if self.c.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn word(&mut self, v: u64) {
        if self.c.is64 {
            self.u64(v)
        } else {
            self.u32(v as u32)
        }
    }
    fn align(&mut self, a: u64) {
        while self.out.len() as u64 % a.max(1) != 0 {
            self.out.push(0);
        }
    }
}

fn enc(c: Class, f: impl FnOnce(&mut W)) -> Vec<u8> {
    let mut w = W { c, out: Vec::new() };
    f(&mut w);
    w.out
}

/// Lays out `secs` (index 0, the null section, is implicit; `.shstrtab` is added last)
/// and returns the file, followed by `trailer`.
fn build(c: Class, secs: &[Sec], trailer: &[u8]) -> Vec<u8> {
    let mut shstrtab = vec![0u8];
    let mut name_offs = Vec::new();
    for s in secs {
        name_offs.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(s.name.as_bytes());
        shstrtab.push(0);
    }
    let shstr_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");
    let mut all: Vec<Sec> = secs.to_vec();
    all.push(Sec::new(".shstrtab", SHT_STRTAB, 0, 1, shstrtab));
    name_offs.push(shstr_name);
    let n = all.len() + 1;
    let ehsize = if c.is64 { 64 } else { 52 };
    let mut w = W {
        c,
        out: vec![0; ehsize],
    };
    let mut offs = Vec::new();
    for s in &all {
        w.align(s.align);
        offs.push(w.out.len() as u64);
        if s.ty != SHT_NOBITS {
            w.out.extend_from_slice(&s.data);
        }
    }
    w.align(if c.is64 { 8 } else { 4 });
    let shoff = w.out.len() as u64;
    let extended = n >= 0xff00;
    // Section 0.
    let shstrndx = n - 1;
    w.u32(0);
    w.u32(0);
    w.word(0);
    w.word(0);
    w.word(0);
    w.word(if extended { n as u64 } else { 0 });
    w.u32(if shstrndx >= 0xff00 {
        shstrndx as u32
    } else {
        0
    });
    w.u32(0);
    w.word(0);
    w.word(0);
    for (i, s) in all.iter().enumerate() {
        w.u32(name_offs[i]);
        w.u32(s.ty);
        w.word(s.flags);
        w.word(0);
        w.word(offs[i]);
        w.word(if s.ty == SHT_NOBITS {
            s.nobits_size
        } else {
            s.data.len() as u64
        });
        w.u32(s.link);
        w.u32(s.info);
        w.word(s.align);
        w.word(s.entsize);
    }
    w.out.extend_from_slice(trailer);
    // The file header.
    let mut h = W { c, out: Vec::new() };
    h.out.extend_from_slice(b"\x7fELF");
    h.u8(if c.is64 { 2 } else { 1 });
    h.u8(if c.be { 2 } else { 1 });
    h.u8(1);
    h.out.resize(16, 0);
    h.u16(1); // ET_REL
    h.u16(match (c.is64, c.be) {
        (true, false) => 62, // x86-64
        (true, true) => 22,  // s390
        (false, false) => 3, // i386
        (false, true) => 20, // ppc
    });
    h.u32(1);
    h.word(0); // e_entry
    h.word(0); // e_phoff
    h.word(shoff);
    h.u32(0); // e_flags
    h.u16(ehsize as u16);
    h.u16(0);
    h.u16(0);
    h.u16(if c.is64 { 64 } else { 40 });
    h.u16(if extended { 0 } else { n as u16 });
    h.u16(if shstrndx >= 0xff00 {
        0xffff
    } else {
        shstrndx as u16
    });
    assert_eq!(h.out.len(), ehsize);
    w.out[..ehsize].copy_from_slice(&h.out);
    w.out
}

fn sym(c: Class, name: u32, info: u8, shndx: u16, value: u64, size: u64) -> Vec<u8> {
    enc(c, |w| {
        if c.is64 {
            w.u32(name);
            w.u8(info);
            w.u8(0);
            w.u16(shndx);
            w.u64(value);
            w.u64(size);
        } else {
            w.u32(name);
            w.u32(value as u32);
            w.u32(size as u32);
            w.u8(info);
            w.u8(0);
            w.u16(shndx);
        }
    })
}

fn rela(c: Class, offset: u64, sym: u32, ty: u32, addend: i64) -> Vec<u8> {
    enc(c, |w| {
        if c.is64 {
            w.u64(offset);
            w.u64((u64::from(sym) << 32) | u64::from(ty));
            w.u64(addend as u64);
        } else {
            w.u32(offset as u32);
            w.u32((sym << 8) | (ty & 0xff));
            w.u32(addend as i32 as u32);
        }
    })
}

/// Pseudo-random bytes, so that misplaced data shows.
fn bytes(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Indices in [`sample`].
const TEXT: usize = 1;
const RELA_TEXT: usize = 2;
const DATA: usize = 3;
const BSS: usize = 4;
const GROUP: usize = 5;
const UNKNOWN: usize = 6;
const BTF: usize = 7;
const SYMTAB: usize = 8;
const STRTAB: usize = 9;
const SHSTRTAB: usize = 10;

/// The sections of a small module-like object: `.text`, its relocations, `.data`,
/// `.bss`, a COMDAT group, a section of a type nobody knows, `.BTF`, `.symtab`,
/// `.strtab` (then `.shstrtab`, added by [`build`]).
fn sample_secs(c: Class, btf_len: usize) -> Vec<Sec> {
    let strtab = b"\0func\0var\0grp\0".to_vec();
    let mut symtab = Vec::new();
    symtab.extend(sym(c, 0, 0, 0, 0, 0));
    symtab.extend(sym(c, 0, 3, TEXT as u16, 0, 0)); // STT_SECTION .text
    symtab.extend(sym(c, 10, 0, GROUP as u16, 0, 0)); // group signature, local
    symtab.extend(sym(c, 1, 0x12, TEXT as u16, 4, 20)); // global func
    symtab.extend(sym(c, 6, 0x11, DATA as u16, 0, 8)); // global object
    let mut relas = Vec::new();
    relas.extend(rela(c, 4, 4, 1, 0));
    relas.extend(rela(c, 12, 1, 2, -4));
    let group = enc(c, |w| {
        w.u32(1); // GRP_COMDAT
        w.u32(TEXT as u32);
        w.u32(RELA_TEXT as u32);
    });
    let (symsz, relsz) = if c.is64 { (24, 24) } else { (16, 12) };
    vec![
        Sec::new(
            ".text",
            SHT_PROGBITS,
            SHF_ALLOC | SHF_EXEC | SHF_GROUP,
            16,
            bytes(1, 37),
        ),
        Sec {
            link: SYMTAB as u32,
            info: TEXT as u32,
            entsize: relsz,
            ..Sec::new(".rela.text", SHT_RELA, SHF_INFO_LINK | SHF_GROUP, 8, relas)
        },
        Sec::new(
            ".data",
            SHT_PROGBITS,
            SHF_ALLOC | SHF_WRITE,
            8,
            bytes(2, 13),
        ),
        Sec {
            nobits_size: 64,
            ..Sec::new(".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 32, Vec::new())
        },
        Sec {
            link: SYMTAB as u32,
            info: 2,
            entsize: 4,
            ..Sec::new(".group", SHT_GROUP, 0, 4, group)
        },
        Sec::new(".note.unknown", SHT_UNKNOWN, 0, 4, bytes(3, 22)),
        Sec::new(".BTF", SHT_PROGBITS, 0, 1, bytes(4, btf_len)),
        Sec {
            link: STRTAB as u32,
            info: 3,
            entsize: symsz,
            ..Sec::new(".symtab", SHT_SYMTAB, 0, 8, symtab)
        },
        Sec::new(".strtab", SHT_STRTAB, 0, 1, strtab),
    ]
}

fn sample(c: Class) -> Vec<u8> {
    build(c, &sample_secs(c, 100), &[])
}

// ---------------------------------------------------------------------------------------
// Reading back with `object`.

#[derive(Clone, Debug, PartialEq, Eq)]
struct Hdr {
    name: Vec<u8>,
    ty: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
    data: Vec<u8>,
}

struct Parsed {
    hdrs: Vec<Hdr>,
    shstrndx: u32,
    e_shnum: u16,
    e_shoff: u64,
}

fn read_generic<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Parsed {
    let h = Elf::parse(data).expect("parse header");
    let e = h.endian().unwrap();
    let secs = h.sections(e, data).expect("section table");
    let hdrs = secs
        .iter()
        .map(|s| Hdr {
            name: secs.section_name(e, s).unwrap_or_default().to_vec(),
            ty: s.sh_type(e).0,
            flags: s.sh_flags(e).0,
            addr: s.sh_addr(e).into(),
            offset: s.sh_offset(e).into(),
            size: s.sh_size(e).into(),
            link: s.sh_link(e),
            info: s.sh_info(e),
            align: s.sh_addralign(e).into(),
            entsize: s.sh_entsize(e).into(),
            data: s.data(e, data).expect("section data").to_vec(),
        })
        .collect();
    Parsed {
        hdrs,
        shstrndx: h.shstrndx(e, data).unwrap(),
        e_shnum: h.e_shnum(e),
        e_shoff: h.e_shoff(e).into(),
    }
}

fn read(data: &[u8]) -> Parsed {
    match object::FileKind::parse(data).unwrap() {
        object::FileKind::Elf32 => read_generic::<object::elf::FileHeader32<Endianness>>(data),
        object::FileKind::Elf64 => read_generic::<object::elf::FileHeader64<Endianness>>(data),
        k => panic!("{k:?}"),
    }
}

/// Every section of `orig` except `edited` is in `out` at the same index, with the same
/// header (name, offset included) and bytes. Also parses `out` with `object::File`.
fn assert_preserved(orig: &[u8], out: &[u8], edited: &[usize]) {
    let a = read(orig);
    let b = read(out);
    for (i, h) in a.hdrs.iter().enumerate() {
        if edited.contains(&i) || i == a.shstrndx as usize || i == 0 {
            continue;
        }
        assert_eq!(Some(h), b.hdrs.get(i), "section [{i}] changed");
    }
    // The string table keeps its old contents as a prefix.
    let (sa, sb) = (&a.hdrs[a.shstrndx as usize], &b.hdrs[b.shstrndx as usize]);
    assert_eq!(a.shstrndx, b.shstrndx);
    assert!(sb.data.starts_with(&sa.data));
    assert_eq!(
        (sa.ty, sa.flags, sa.name.clone()),
        (sb.ty, sb.flags, sb.name.clone())
    );
    // `object`'s generic reader accepts it, symbols included.
    let f = object::File::parse(out).expect("object::File");
    use object::{Object, ObjectSymbol};
    let fa = object::File::parse(orig).unwrap();
    let syms_a: Vec<_> = fa
        .symbols()
        .map(|s| (s.name().unwrap().to_string(), s.section_index()))
        .collect();
    let syms_b: Vec<_> = f
        .symbols()
        .map(|s| (s.name().unwrap().to_string(), s.section_index()))
        .collect();
    assert_eq!(syms_a, syms_b);
}

fn section<'a>(p: &'a Parsed, name: &str) -> Vec<(usize, &'a Hdr)> {
    p.hdrs
        .iter()
        .enumerate()
        .filter(|(_, h)| h.name == name.as_bytes())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn writer_sanity() {
    for c in CLASSES {
        let f = sample(c);
        let p = read(&f);
        assert_eq!(p.hdrs.len(), 11);
        assert_eq!(p.hdrs[BTF].name, b".BTF");
        assert_eq!(p.hdrs[SHSTRTAB].name, b".shstrtab");
        let s = btfkit::elf::BtfSections::parse(&f).unwrap();
        assert_eq!(s.is_64, c.is64);
        assert_eq!(s.big_endian, c.be);
        assert!(s.relocatable);
    }
}

#[test]
fn empty_patch_is_identity() {
    for c in CLASSES {
        let f = sample(c);
        let out = Patch::new().apply(&f).unwrap();
        assert_eq!(out.elf, f, "{c:?}");
        assert!(out.trailer.is_empty());
        assert!(out.changes.is_empty());
    }
}

#[test]
fn replace_btf_larger_smaller_same() {
    for c in CLASSES {
        let f = sample(c);
        for len in [0usize, 1, 60, 100, 101, 5000] {
            let new = bytes(99, len);
            let mut p = Patch::new();
            p.set(".BTF", &new);
            let out = p.apply(&f).unwrap();
            assert_preserved(&f, &out.elf, &[BTF]);
            let r = read(&out.elf);
            assert_eq!(r.hdrs.len(), 11, "no section added");
            let btf = &r.hdrs[BTF];
            assert_eq!(btf.data, new);
            assert_eq!((btf.ty, btf.flags, btf.align), (SHT_PROGBITS, 0, 1));
            let old = &read(&f).hdrs[BTF];
            let expect = if len <= 100 && len > 0 {
                assert_eq!(btf.offset, old.offset, "in place");
                Action::ReplacedInPlace {
                    old_size: 100,
                    new_size: len as u64,
                }
            } else {
                assert!(btf.offset > old.offset, "moved to the end");
                // The old place is zeroed.
                let o = old.offset as usize;
                assert!(out.elf[o..o + 100].iter().all(|&b| b == 0));
                Action::ReplacedMoved {
                    old_size: 100,
                    new_size: len as u64,
                }
            };
            assert_eq!(out.changes[0].action, expect);
            assert_eq!(out.changes[0].index, Some(BTF));
            if len == 100 {
                // Same size: only the section's bytes differ.
                assert_eq!(out.elf.len(), f.len());
                let o = old.offset as usize;
                for (i, (x, y)) in f.iter().zip(&out.elf).enumerate() {
                    if !(o..o + 100).contains(&i) {
                        assert_eq!(x, y, "byte {i} changed");
                    }
                }
            }
            if len < 100 && len > 0 {
                let o = old.offset as usize;
                assert!(out.elf[o + len..o + 100].iter().all(|&b| b == 0));
            }
        }
    }
}

#[test]
fn replace_other_section_in_place() {
    // The .BTF_ids use: same size, in place, every other byte of the file unchanged.
    for c in CLASSES {
        let f = sample(c);
        let new = bytes(7, 13);
        let mut p = Patch::new();
        p.replace(".data", &new);
        let out = p.apply(&f).unwrap();
        let r = read(&out.elf);
        assert_eq!(r.hdrs[DATA].data, new);
        assert_eq!(r.hdrs[DATA].flags, SHF_ALLOC | SHF_WRITE);
        let o = r.hdrs[DATA].offset as usize;
        assert_eq!(out.elf.len(), f.len());
        assert_eq!(out.elf[..o], f[..o]);
        assert_eq!(out.elf[o + 13..], f[o + 13..]);
    }
}

#[test]
fn add_btf_base_then_strip() {
    for c in CLASSES {
        let f = sample(c);
        let split = bytes(10, 300);
        let base = bytes(11, 77);
        let out = patch::set_btf(&f, &split, Some(&base)).unwrap();
        assert_preserved(&f, &out.elf, &[BTF]);
        let r = read(&out.elf);
        assert_eq!(r.hdrs.len(), 12);
        let added = section(&r, ".BTF.base");
        assert_eq!(added.len(), 1);
        let (idx, h) = added[0];
        assert_eq!(idx, 11, "appended after every existing section");
        assert_eq!(
            (h.ty, h.flags, h.align, h.entsize, h.link, h.info, h.addr),
            (SHT_PROGBITS, 0, 1, 0, 0, 0, 0)
        );
        assert_eq!(h.data, base);
        assert_eq!(r.hdrs[BTF].data, split);
        assert_eq!(
            out.changes
                .iter()
                .map(|c| (c.name.as_str(), c.index))
                .collect::<Vec<_>>(),
            [(".BTF", Some(BTF)), (".BTF.base", Some(11))]
        );
        let s = btfkit::elf::BtfSections::parse(&out.elf).unwrap();
        assert_eq!(s.btf.as_ref(), split.as_slice());
        assert_eq!(s.base.as_deref(), Some(base.as_slice()));

        // Replacing both again reuses the name and the slot.
        let out2 = patch::set_btf(&out.elf, &split[..10], Some(&base[..5])).unwrap();
        assert_preserved(&out.elf, &out2.elf, &[BTF, 11]);
        let r2 = read(&out2.elf);
        assert_eq!(r2.hdrs.len(), 12);
        assert_eq!(r2.hdrs[11].data, &base[..5]);

        // Retarget: .BTF.base removed again; it was last, so it leaves the table.
        let out3 = patch::set_btf(&out.elf, &split, None).unwrap();
        assert_eq!(read(&out3.elf).hdrs.len(), 11);
        assert!(matches!(out3.changes[1].action, Action::Dropped { .. }));
        assert_preserved(&f, &out3.elf, &[BTF]);

        // Strip: .BTF keeps its index as an inactive SHT_NULL entry, .BTF.base goes.
        let stripped = patch::strip_btf(&out.elf).unwrap();
        assert_preserved(&f, &stripped.elf, &[BTF]);
        let r4 = read(&stripped.elf);
        assert_eq!(r4.hdrs.len(), 11);
        let z = &r4.hdrs[BTF];
        assert_eq!(
            (z.ty, z.name.len(), z.size, z.offset, z.flags),
            (0, 0, 0, 0, 0)
        );
        assert!(section(&r4, ".BTF").is_empty());
        assert!(btfkit::elf::BtfSections::parse(&stripped.elf).is_err());
        // No BTF bytes survive anywhere in the file.
        assert!(memchr::memmem::find(&stripped.elf, &split[..32]).is_none());
        assert!(memchr::memmem::find(&stripped.elf, &base[..32]).is_none());
        assert_eq!(
            stripped
                .changes
                .iter()
                .map(|c| c.action.clone())
                .collect::<Vec<_>>(),
            [
                Action::Removed { old_size: 300 },
                Action::Dropped { old_size: 77 }
            ]
        );
        // Stripping again: nothing there.
        let again = patch::strip_btf(&stripped.elf).unwrap();
        assert_eq!(again.elf, stripped.elf);
        assert!(again.changes.iter().all(|c| c.action == Action::Absent));
    }
}

#[test]
fn name_reused_from_shstrtab() {
    // ".text" is also the tail of ".rela.text": adding a section named "text" reuses it.
    for c in CLASSES {
        let f = sample(c);
        let mut p = Patch::new();
        p.set("text", b"abc");
        let out = p.apply(&f).unwrap();
        let a = read(&f);
        let r = read(&out.elf);
        assert_eq!(
            r.hdrs[SHSTRTAB].data, a.hdrs[SHSTRTAB].data,
            "not rewritten"
        );
        assert_eq!(r.hdrs[SHSTRTAB].offset, a.hdrs[SHSTRTAB].offset);
        assert_eq!(r.hdrs[11].name, b"text");
        assert_preserved(&f, &out.elf, &[]);
    }
}

#[test]
fn custom_new_section_header() {
    for c in CLASSES {
        let f = sample(c);
        let spec = NewSection {
            sh_type: SHT_PROGBITS,
            sh_flags: SHF_ALLOC,
            sh_addralign: 64,
            sh_entsize: 4,
        };
        let mut p = Patch::new();
        p.set_with(".extra", &[1, 2, 3, 4], spec);
        let out = p.apply(&f).unwrap();
        let r = read(&out.elf);
        let h = &r.hdrs[11];
        assert_eq!((h.flags, h.align, h.entsize), (SHF_ALLOC, 64, 4));
        assert_eq!(h.offset % 64, 0);
        assert_preserved(&f, &out.elf, &[]);
    }
}

#[test]
fn signature_and_trailing_bytes_dropped() {
    for c in CLASSES {
        let plain = sample(c);
        let blob = bytes(5, 40);
        let mut trailer = blob.clone();
        trailer.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]);
        trailer.extend_from_slice(&(blob.len() as u32).to_be_bytes());
        trailer.extend_from_slice(signature::MARKER);
        let signed = build(c, &sample_secs(c, 100), &trailer);
        assert_eq!(patch::image_len(&signed).unwrap(), plain.len());
        let sig = signature::find(&signed).unwrap().unwrap();
        assert_eq!(sig.offset, plain.len());
        assert_eq!((sig.id_type, sig.sig_len), (2, 40));
        assert_eq!(sig.id_type_name(), "PKCS#7");
        assert!(sig.signer.is_none(), "not DER");

        let out = Patch::new().apply(&signed).unwrap();
        assert_eq!(out.elf, plain);
        assert_eq!(out.trailer.signature.as_ref().map(|s| s.sig_len), Some(40));
        assert_eq!(out.trailer.other_bytes, 0);

        let out = patch::set_btf(&signed, b"xyz", None).unwrap();
        assert!(out.trailer.signature.is_some());
        assert!(signature::find(&out.elf).unwrap().is_none());
        assert_preserved(&plain, &out.elf, &[BTF]);

        let mut junk = plain.clone();
        junk.extend_from_slice(b"junk!");
        let out = Patch::new().apply(&junk).unwrap();
        assert_eq!(out.elf, plain);
        assert_eq!(out.trailer.other_bytes, 5);
        assert!(out.trailer.signature.is_none());
    }
}

#[test]
fn refusals() {
    for c in CLASSES {
        let f = sample(c);
        let err = |p: &Patch<'_>| p.apply(&f).unwrap_err();
        // .text is referred to by .rela.text's sh_info, the group and symbols.
        let mut p = Patch::new();
        p.remove(".text");
        assert!(
            matches!(err(&p), PatchError::Referenced { index: TEXT, .. }),
            "{}",
            err(&p)
        );
        // .strtab by .symtab's sh_link.
        let mut p = Patch::new();
        p.remove(".strtab");
        assert!(
            err(&p).to_string().contains("sh_link of .symtab"),
            "{}",
            err(&p)
        );
        // .data only by a symbol.
        let mut p = Patch::new();
        p.remove(".data");
        assert!(
            err(&p).to_string().contains("symbol 4 'var'"),
            "{}",
            err(&p)
        );
        // .rela.text by the group's member list.
        let mut p = Patch::new();
        p.remove(".rela.text");
        assert!(
            err(&p).to_string().contains("group section .group"),
            "{}",
            err(&p)
        );
        // But removing the unknown-type section, which nothing refers to, works.
        let mut p = Patch::new();
        p.remove(".note.unknown");
        let out = p.apply(&f).unwrap();
        assert_preserved(&f, &out.elf, &[UNKNOWN]);
        assert_eq!(read(&out.elf).hdrs[UNKNOWN].ty, 0);

        let mut p = Patch::new();
        p.set(".shstrtab", b"x");
        assert!(matches!(err(&p), PatchError::Refused { .. }));
        let mut p = Patch::new();
        p.remove(".shstrtab");
        assert!(matches!(err(&p), PatchError::Refused { .. }));
        let mut p = Patch::new();
        p.set(".bss", b"x");
        assert!(matches!(err(&p), PatchError::Refused { index: BSS, .. }));
        assert!(err(&p).to_string().contains("SHT_NOBITS"));
        let mut p = Patch::new();
        p.replace(".BTF.base", b"x");
        assert!(matches!(err(&p), PatchError::Missing(_)));
        let mut p = Patch::new();
        p.set(".BTF", b"x").remove(".BTF");
        assert!(matches!(err(&p), PatchError::Duplicate(_)));
        let mut p = Patch::new();
        p.set("", b"x");
        assert!(matches!(err(&p), PatchError::BadName(_)));
        let mut p = Patch::new();
        p.set("a\0b", b"x");
        assert!(matches!(err(&p), PatchError::BadName(_)));

        // Two sections with the name to edit.
        let mut secs = sample_secs(c, 10);
        secs.push(Sec::new(".BTF", SHT_PROGBITS, 0, 1, vec![1]));
        let two = build(c, &secs, &[]);
        let e = patch::set_btf(&two, b"x", None).unwrap_err();
        assert!(matches!(e, PatchError::Ambiguous { count: 2, .. }), "{e}");

        // Not ET_REL.
        let mut exec = f.clone();
        let at = 16;
        exec[at..at + 2].copy_from_slice(if c.be { &[0, 2] } else { &[2, 0] });
        assert!(matches!(
            Patch::new().apply(&exec),
            Err(PatchError::NotRelocatable(2))
        ));
        // Not ELF at all, and truncated.
        assert!(Patch::new().apply(b"hello world, no elf here").is_err());
        assert!(Patch::new().apply(&f[..f.len() - 10]).is_err());
    }
}

#[test]
fn compressed_flag_cleared_on_replace() {
    for c in CLASSES {
        let mut secs = sample_secs(c, 10);
        // A (fake) compressed .BTF: the flag goes, the new bytes are stored as given.
        secs[BTF - 1].flags = 0x800;
        let chdr_len = if c.is64 { 24 } else { 12 };
        secs[BTF - 1].data = vec![0; chdr_len + 4];
        let f = build(c, &secs, &[]);
        let out = patch::set_btf(&f, b"plain", None).unwrap();
        let r = read(&out.elf);
        assert_eq!(r.hdrs[BTF].flags, 0);
        assert_eq!(r.hdrs[BTF].data, b"plain");
    }
}

#[test]
fn extended_section_numbering() {
    // 0xff00 + a few sections: e_shnum is 0 and .shstrtab's index is past SHN_LORESERVE.
    for c in CLASSES {
        let mut secs = sample_secs(c, 50);
        for i in 0..0xff00 {
            secs.push(Sec::new(
                if i % 2 == 0 { "a" } else { "b" },
                SHT_PROGBITS,
                0,
                1,
                vec![i as u8],
            ));
        }
        let f = build(c, &secs, &[]);
        let a = read(&f);
        assert_eq!(a.e_shnum, 0);
        assert!(a.shstrndx >= 0xff00);
        let n = a.hdrs.len();

        let out = patch::set_btf(&f, &bytes(1, 70), Some(b"base")).unwrap();
        assert_preserved(&f, &out.elf, &[BTF]);
        let r = read(&out.elf);
        assert_eq!(r.e_shnum, 0);
        assert_eq!(r.hdrs.len(), n + 1);
        assert_eq!(r.hdrs[n].name, b".BTF.base");
        assert_eq!(r.shstrndx, a.shstrndx);
        assert_eq!(r.hdrs[0].size, (n + 1) as u64);

        // And back: stripping drops the last one again.
        let s = patch::strip_btf(&out.elf).unwrap();
        let r = read(&s.elf);
        assert_eq!(r.hdrs.len(), n);
        assert_eq!(r.hdrs[0].size, n as u64);
        assert_preserved(&f, &s.elf, &[BTF]);
    }
    // Just below the limit: adding the 0xff00th entry switches to extended numbering.
    let c = CLASSES[0];
    let mut secs = sample_secs(c, 50);
    let base = secs.len() + 2; // + null + .shstrtab
    for _ in base..0xff00 - 1 {
        secs.push(Sec::new("x", SHT_PROGBITS, 0, 1, vec![]));
    }
    let f = build(c, &secs, &[]);
    let a = read(&f);
    assert_eq!(a.hdrs.len(), 0xfeff);
    assert_eq!(a.e_shnum, 0xfeff);
    let out = patch::set_btf(&f, b"x", Some(b"y")).unwrap();
    let r = read(&out.elf);
    assert_eq!(r.hdrs.len(), 0xff00);
    assert_eq!(r.e_shnum, 0);
    assert_eq!(r.hdrs[0].size, 0xff00);
    assert_preserved(&f, &out.elf, &[BTF]);
    // Stripping it again goes back to the plain form.
    let s = patch::strip_btf(&out.elf).unwrap();
    let r = read(&s.elf);
    assert_eq!(
        (r.hdrs.len(), r.e_shnum, r.hdrs[0].size),
        (0xfeff, 0xfeff, 0)
    );
}

#[test]
fn header_table_alignment_and_offset() {
    for c in CLASSES {
        let f = sample(c);
        let out = patch::set_btf(&f, &bytes(3, 333), Some(&bytes(4, 3))).unwrap();
        let r = read(&out.elf);
        let align = if c.is64 { 8 } else { 4 };
        assert_eq!(r.e_shoff % align, 0);
        let entsize = if c.is64 { 64 } else { 40 };
        assert_eq!(
            r.e_shoff + r.hdrs.len() as u64 * entsize,
            out.elf.len() as u64
        );
    }
}

/// binutils' `readelf` (when installed) reads every result without a warning.
#[test]
fn readelf_reads_results() {
    let Ok(o) = std::process::Command::new("readelf")
        .arg("--version")
        .output()
    else {
        eprintln!("readelf not installed: skipped");
        return;
    };
    assert!(o.status.success());
    let dir = std::env::temp_dir().join(format!("btfkit-elf-patch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for c in CLASSES {
        let f = sample(c);
        let distilled = patch::set_btf(&f, &bytes(1, 300), Some(&bytes(2, 40))).unwrap();
        let stripped = patch::strip_btf(&distilled.elf).unwrap();
        for (what, data) in [
            ("orig", &f),
            ("distilled", &distilled.elf),
            ("stripped", &stripped.elf),
        ] {
            let path = dir.join(format!(
                "{}-{}-{what}.o",
                if c.is64 { 64 } else { 32 },
                if c.be { "be" } else { "le" }
            ));
            std::fs::write(&path, data).unwrap();
            let o = std::process::Command::new("readelf")
                .args(["-S", "-s", "-r", "-g", "-W"])
                .arg(&path)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                o.status.success() && stderr.is_empty(),
                "{}: {stderr}",
                path.display()
            );
            let stdout = String::from_utf8_lossy(&o.stdout);
            assert!(
                stdout.contains("COMDAT group section [    5] `.group' [grp] contains 2 sections"),
                "{stdout}"
            );
            assert_eq!(
                stdout.contains(".BTF.base"),
                what == "distilled",
                "{stdout}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Corrupted headers are refused or patched, never a panic.
#[test]
fn corrupt_inputs_do_not_panic() {
    for c in CLASSES {
        let f = sample(c);
        let table_at = read(&f).e_shoff as usize;
        let mut rng = 12345u32;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng
        };
        for _ in 0..3000 {
            let mut g = f.clone();
            for _ in 0..1 + next() % 4 {
                // Mostly the file header and the section header table.
                let at = match next() % 3 {
                    0 => next() as usize % 64,
                    1 => table_at + next() as usize % (f.len() - table_at),
                    _ => next() as usize % f.len(),
                };
                g[at] = next() as u8;
            }
            let _ = patch::image_len(&g);
            let _ = Patch::new().apply(&g);
            let _ = patch::set_btf(&g, &bytes(1, 150), Some(b"base"));
            let _ = patch::set_btf(&g, b"", None);
            let _ = patch::strip_btf(&g);
            let mut p = Patch::new();
            p.replace(".data", b"12345")
                .remove(".note.unknown")
                .set("new", b"x");
            let _ = p.apply(&g);
        }
    }
}

/// A section whose bytes overlap another's (a crafted file) is not overwritten in place:
/// the other section keeps its bytes.
#[test]
fn overlapping_section_is_moved_not_overwritten() {
    for c in CLASSES {
        let f = sample(c);
        let p = read(&f);
        // Point .BTF at .data's bytes.
        let mut g = f.clone();
        let entsize = if c.is64 { 64 } else { 40 };
        let hdr = p.e_shoff as usize + BTF * entsize;
        let (off_at, size_at, w) = if c.is64 { (24, 32, 8) } else { (16, 20, 4) };
        let put = |g: &mut Vec<u8>, at: usize, v: u64| {
            let b = if c.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            let b = if c.be { &b[8 - w..] } else { &b[..w] };
            g[at..at + w].copy_from_slice(b);
        };
        put(&mut g, hdr + off_at, p.hdrs[DATA].offset);
        put(&mut g, hdr + size_at, 13);
        let out = patch::set_btf(&g, b"abc", None).unwrap();
        assert!(matches!(
            out.changes[0].action,
            Action::ReplacedMoved { .. }
        ));
        let r = read(&out.elf);
        assert_eq!(r.hdrs[DATA].data, p.hdrs[DATA].data);
        assert_eq!(r.hdrs[BTF].data, b"abc");
    }
}

/// A kept section that shares bytes with the ELF file header (a crafted file, found by
/// the `elf_patch` fuzz target) is refused: the header's table fields change, so the
/// section could not keep its bytes.
#[test]
fn section_over_the_file_header_is_refused() {
    for c in CLASSES {
        let f = sample(c);
        let p = read(&f);
        let mut g = f.clone();
        let entsize = if c.is64 { 64 } else { 40 };
        let hdr = p.e_shoff as usize + DATA * entsize;
        let (off_at, size_at, w) = if c.is64 { (24, 32, 8) } else { (16, 20, 4) };
        let put = |g: &mut Vec<u8>, at: usize, v: u64| {
            let b = if c.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            let b = if c.be { &b[8 - w..] } else { &b[..w] };
            g[at..at + w].copy_from_slice(b);
        };
        put(&mut g, hdr + off_at, 8);
        put(&mut g, hdr + size_at, 16);
        let err = patch::set_btf(&g, b"abc", None).unwrap_err();
        assert!(
            matches!(err, PatchError::HeaderOverlap { index, .. } if index == DATA),
            "{err}"
        );
        // Replacing that section itself moves it and leaves the header alone.
        let mut r = Patch::new();
        r.replace(".data", b"12345");
        let out = r.apply(&g).unwrap();
        assert_eq!(read(&out.elf).hdrs[DATA].data, b"12345");
    }
}

/// A section name string table that is not kept as bytes (SHT_NULL or SHT_NOBITS type)
/// is refused, not replaced by a table of only the new names, and so is section 0 as the
/// table (found by the `elf_patch` fuzz target: every other name was lost, or the result
/// had e_shstrndx 0 and no reader took it).
#[test]
fn unusable_name_table_is_refused() {
    for c in CLASSES {
        let f = sample(c);
        let p = read(&f);
        let entsize = if c.is64 { 64 } else { 40 };
        let put32 = |g: &mut Vec<u8>, at: usize, v: u32| {
            let b = if c.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            g[at..at + 4].copy_from_slice(&b);
        };
        for ty in [0u32, 8] {
            let mut g = f.clone();
            put32(&mut g, p.e_shoff as usize + SHSTRTAB * entsize + 4, ty);
            let err = patch::set_btf(&g, b"abc", Some(b"base")).unwrap_err();
            assert!(
                matches!(
                    err,
                    PatchError::NameTable {
                        index: SHSTRTAB,
                        ..
                    }
                ),
                "{err}"
            );
        }
        // e_shstrndx 0: no names at all; `object` refuses the file.
        let mut g = f.clone();
        let at = if c.is64 { 0x3e } else { 0x32 };
        g[at..at + 2].copy_from_slice(&[0, 0]);
        let err = patch::set_btf(&g, b"abc", None).unwrap_err();
        assert!(matches!(err, PatchError::Parse(_)), "{err}");
        // e_shstrndx SHN_XINDEX with section 0's sh_link 0: `object` reads it as index 0
        // (a table with no names); the patcher refuses it rather than write e_shstrndx 0.
        g[at..at + 2].copy_from_slice(&[0xff, 0xff]);
        let err = patch::set_btf(&g, b"abc", None).unwrap_err();
        assert!(
            matches!(err, PatchError::NameTable { index: 0, .. }),
            "{err}"
        );
        assert!(Patch::new().apply(&g).is_err());
    }
}

/// Empty contents placed at the end get no alignment padding: padding would be dead
/// space before the header table, and patching the result with no edits would move the
/// table (found by the `elf_patch` fuzz target).
#[test]
fn empty_sections_are_not_padded() {
    for c in CLASSES {
        let f = sample(c);
        let mut p = Patch::new();
        let wide = NewSection {
            sh_addralign: 64,
            ..NewSection::BTF
        };
        p.replace(".data", b"").set_with(".empty", b"", wide);
        let out = p.apply(&f).unwrap();
        let again = Patch::new().apply(&out.elf).unwrap();
        assert!(again.elf == out.elf, "an empty patch changed the result");
        let r = read(&out.elf);
        assert_eq!(section(&r, ".empty")[0].1.size, 0);
    }
}

/// Program headers whose end overflows 64 bits are truncated headers, not an
/// arithmetic overflow (found by the `elf_patch` fuzz target, which builds with overflow
/// checks).
#[test]
fn program_header_end_overflow() {
    for c in CLASSES.into_iter().filter(|c| c.is64) {
        let mut g = sample(c);
        let put = |g: &mut Vec<u8>, at: usize, b: &[u8]| {
            let mut b = b.to_vec();
            if !c.be {
                b.reverse();
            }
            g[at..at + b.len()].copy_from_slice(&b);
        };
        put(&mut g, 0x20, &(u64::MAX - 10).to_be_bytes()); // e_phoff
        put(&mut g, 0x36, &56u16.to_be_bytes()); // e_phentsize
        put(&mut g, 0x38, &2u16.to_be_bytes()); // e_phnum
        let err = Patch::new().apply(&g).unwrap_err();
        assert!(matches!(err, PatchError::HeadersTruncated), "{err}");
        assert!(patch::image_len(&g).is_err());
    }
}
