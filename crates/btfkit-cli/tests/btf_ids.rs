//! `btfkit ids` (and, with the ELF patch, `distill -o`/`--in-place`, `retarget` and
//! `check` on modules with `.BTF_ids`) on relocatable objects built here: a small vmlinux
//! and module BTF, and a `.BTF_ids` section with every entry form (`BTF_ID_LIST` with
//! single ids, an unused and an unresolved entry, a `BTF_SET`, a `BTF_KFUNCS` set8 with
//! flags), as resolve_btfids leaves it.

#![allow(dead_code)]

use btfkit::distill::distill;
use btfkit::elf::btf_ids::{self, BtfIds, SetKind};
use btfkit::elf::Patch;
use btfkit::write::Builder;
use btfkit::{raw, Btf, Endian, Kind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------------------
// The same tiny ELF writer and fixture as crates/btfkit/tests/btf_ids.rs.

#[derive(Clone, Copy, Debug)]
struct Class {
    is_64: bool,
    endian: Endian,
}

const CLASSES: [Class; 4] = [
    Class {
        is_64: true,
        endian: Endian::Little,
    },
    Class {
        is_64: true,
        endian: Endian::Big,
    },
    Class {
        is_64: false,
        endian: Endian::Little,
    },
    Class {
        is_64: false,
        endian: Endian::Big,
    },
];

const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_SECTION: u8 = 3;

/// A symbol defined in .BTF_ids (section index 2).
#[derive(Clone, Debug)]
struct Sym {
    name: String,
    value: u64,
    size: u64,
    ty: u8,
}

struct Elf {
    class: Class,
    btf_ids: Option<Vec<u8>>,
    syms: Vec<Sym>,
    symtab: bool,
    /// sh_addr of .BTF_ids (symbol values are offsets plus this).
    addr: u64,
}

struct W {
    out: Vec<u8>,
    e: Endian,
    is_64: bool,
}

impl W {
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&self.e.u16_bytes(v));
    }
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&self.e.u32_bytes(v));
    }
    fn word(&mut self, v: u64) {
        if self.is_64 {
            let b = match self.e {
                Endian::Little => v.to_le_bytes(),
                Endian::Big => v.to_be_bytes(),
            };
            self.out.extend_from_slice(&b);
        } else {
            self.u32(v as u32);
        }
    }
    fn align(&mut self, a: usize) {
        while self.out.len() % a != 0 {
            self.out.push(0);
        }
    }
}

fn strtab(names: &[&str]) -> (Vec<u8>, Vec<u32>) {
    let mut t = vec![0u8];
    let mut offs = Vec::new();
    for n in names {
        offs.push(t.len() as u32);
        t.extend_from_slice(n.as_bytes());
        t.push(0);
    }
    (t, offs)
}

impl Elf {
    fn bytes(&self) -> Vec<u8> {
        let Class { is_64, endian } = self.class;
        let mut w = W {
            out: Vec::new(),
            e: endian,
            is_64,
        };
        // Section names.
        let (shstr, sh_off) = strtab(&[".text", ".BTF_ids", ".symtab", ".strtab", ".shstrtab"]);
        // Symbols: null, section symbol, then ours (all local).
        let names: Vec<&str> = self.syms.iter().map(|s| s.name.as_str()).collect();
        let (str_bytes, str_off) = strtab(&names);
        let mut symtab = W {
            out: Vec::new(),
            e: endian,
            is_64,
        };
        let sym = |w: &mut W, name: u32, value: u64, size: u64, info: u8, shndx: u16| {
            w.u32(name);
            if is_64 {
                w.u8(info);
                w.u8(0);
                w.u16(shndx);
                w.word(value);
                w.word(size);
            } else {
                w.u32(value as u32);
                w.u32(size as u32);
                w.u8(info);
                w.u8(0);
                w.u16(shndx);
            }
        };
        sym(&mut symtab, 0, 0, 0, 0, 0);
        let btf_ids_index: u16 = if self.btf_ids.is_some() { 2 } else { 1 };
        sym(&mut symtab, 0, self.addr, 0, STT_SECTION, btf_ids_index);
        for (s, &off) in self.syms.iter().zip(&str_off) {
            sym(
                &mut symtab,
                off,
                s.value + self.addr,
                s.size,
                s.ty,
                btf_ids_index,
            );
        }
        let nsyms = 2 + self.syms.len() as u32;

        let ehsize = if is_64 { 64 } else { 52 };
        let shentsize = if is_64 { 64 } else { 40 };
        // Contents after the header.
        w.out.resize(ehsize, 0);
        let text_off = w.out.len();
        w.out.extend_from_slice(&[0xc3; 4]);
        let ids_off = w.out.len();
        let ids = self.btf_ids.clone().unwrap_or_default();
        w.out.extend_from_slice(&ids);
        w.align(8);
        let symtab_off = w.out.len();
        w.out.extend_from_slice(&symtab.out);
        let strtab_off = w.out.len();
        w.out.extend_from_slice(&str_bytes);
        let shstr_off = w.out.len();
        w.out.extend_from_slice(&shstr);
        w.align(8);
        let shoff = w.out.len();

        // Section headers: (name, type, flags, addr, offset, size, link, info, align, entsize)
        type Sh = (u32, u32, u64, u64, usize, usize, u32, u32, u64, u64);
        let mut shdrs: Vec<Sh> = vec![(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)];
        shdrs.push((sh_off[0], 1, 0x6, 0, text_off, 4, 0, 0, 16, 0));
        if self.btf_ids.is_some() {
            shdrs.push((sh_off[1], 1, 0x2, self.addr, ids_off, ids.len(), 0, 0, 1, 0));
        }
        let first_sym_sec = shdrs.len() as u32;
        if self.symtab {
            let entsize = if is_64 { 24 } else { 16 };
            shdrs.push((
                sh_off[2],
                2,
                0,
                0,
                symtab_off,
                symtab.out.len(),
                first_sym_sec + 1,
                nsyms,
                8,
                entsize,
            ));
        }
        shdrs.push((sh_off[3], 3, 0, 0, strtab_off, str_bytes.len(), 0, 0, 1, 0));
        shdrs.push((sh_off[4], 3, 0, 0, shstr_off, shstr.len(), 0, 0, 1, 0));
        let shstrndx = shdrs.len() as u16 - 1;
        for (name, ty, flags, addr, off, size, link, info, align, entsize) in &shdrs {
            w.u32(*name);
            w.u32(*ty);
            w.word(*flags);
            w.word(*addr);
            w.word(*off as u64);
            w.word(*size as u64);
            w.u32(*link);
            w.u32(*info);
            w.word(*align);
            w.word(*entsize);
        }

        // The ELF header.
        let mut h = W {
            out: Vec::new(),
            e: endian,
            is_64,
        };
        h.out.extend_from_slice(b"\x7fELF");
        h.u8(if is_64 { 2 } else { 1 });
        h.u8(if endian == Endian::Little { 1 } else { 2 });
        h.u8(1);
        h.out.resize(16, 0);
        h.u16(1); // ET_REL
        h.u16(match (is_64, endian) {
            (true, Endian::Little) => 62, // x86-64
            (true, Endian::Big) => 22,    // s390
            (false, Endian::Little) => 3, // i386
            (false, Endian::Big) => 20,   // ppc
        });
        h.u32(1);
        h.word(0); // entry
        h.word(0); // phoff
        h.word(shoff as u64);
        h.u32(0);
        h.u16(ehsize as u16);
        h.u16(0);
        h.u16(0);
        h.u16(shentsize as u16);
        h.u16(shdrs.len() as u16);
        h.u16(shstrndx);
        w.out[..ehsize].copy_from_slice(&h.out);
        w.out
    }
}

// ---------------------------------------------------------------------------------------
// The module: a BTF and a .BTF_ids layout as the kernel's macros emit them.

/// Base (vmlinux) and split (module) BTF.
struct Fixture {
    base: Vec<u8>,
    split: Vec<u8>,
}

/// Base ids.
const INT: u32 = 1;
const SOCK: u32 = 2;
const TCP_SOCK: u32 = 3;
const U64_T: u32 = 5;
const THREAD_UNION: u32 = 6;
const VMLINUX_FN: u32 = 8;

fn fixture(endian: Endian) -> Fixture {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED); // 1
    let sock = b.add_struct("sock", 16); // 2
    b.add_member("refcnt", int, 0, 0);
    let tcp_sock = b.add_struct("tcp_sock", 64); // 3: no split type refers to it
    b.add_member("sk", sock, 0, 0);
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    let u64_t = b.add_typedef("u64_t", long); // 5, 4 = long
    assert_eq!((u64_t.0, long.0), (U64_T, 4));
    let tu = b.add_union("thread_union", 8); // 6
    b.add_member("x", long, 0, 0);
    let proto = b.add_func_proto(int); // 7
    let f = b.add_func("vmlinux_fn", 1, proto); // 8
    assert_eq!(
        (int.0, sock.0, tcp_sock.0, tu.0, f.0),
        (INT, SOCK, TCP_SOCK, THREAD_UNION, VMLINUX_FN)
    );
    let base = b.to_bytes(endian);
    let base_btf = Btf::parse(&base).unwrap();

    let mut s = Builder::new_split(&base_btf);
    let sk_ptr = s.add_ptr(sock); // 9
    let state = s.add_struct("mod_state", 16); // 10
    s.add_member("sk", sk_ptr, 0, 0);
    s.add_member("x", int, 64, 0);
    let proto = s.add_func_proto(int); // 11
    s.add_param("sk", sk_ptr);
    s.add_func("bbr_init", 0, proto); // 12
    s.add_func("bbr_main", 0, proto); // 13
    s.add_func("bbr_undo", 0, proto); // 14
    let init = s.add_struct("nf_conn___init", 4); // 15
    s.add_member("x", int, 0, 0);
    let _ = (state, init);
    let split = s.to_bytes(endian);
    Fixture { base, split }
}

/// One piece of `.BTF_ids` source, in the order the macros emit it.
enum Src {
    /// `BTF_ID_LIST(name)`.
    List(&'static str),
    /// `BTF_ID(kind, name)` (with `BTF_ID_FLAGS` flags inside a set8).
    Id(&'static str, &'static str, u32),
    /// `BTF_ID_UNUSED`.
    Unused,
    /// `BTF_SET_START(name)` .. `BTF_SET_END(name)`.
    Set(&'static str, Vec<Src>),
    /// `BTF_KFUNCS_START(name)` (set8 with flags) .. `BTF_KFUNCS_END(name)`.
    Set8(&'static str, u32, Vec<Src>),
}

fn source() -> Vec<Src> {
    use Src::*;
    vec![
        List("mod_btf_ids"),
        Id("struct", "tcp_sock", 0),
        Id("struct", "mod_state", 0),
        Unused,
        Id("typedef", "u64_t", 0),
        Id("union", "thread_union", 0),
        Id("struct", "missing_type", 0),
        Id("struct", "nf_conn___init", 0),
        Set(
            "mod_set",
            vec![
                Id("func", "bbr_main", 0),
                Id("func", "bbr_init", 0),
                Id("struct", "sock", 0),
            ],
        ),
        Set8(
            "mod_kfunc_ids",
            1,
            vec![
                Id("func", "bbr_undo", 0x5),
                Id("func", "bbr_init", 0x2),
                Id("func", "bbr_main", 0x10),
            ],
        ),
    ]
}

/// Assembles `src` as the kernel's asm macros do (zeros for ids, flags as given) and
/// then, with `btf`, applies resolve_btfids: every entry gets the first id of its kind
/// and name (0 if none), every set its cnt, and sets are sorted. Returns the section and
/// its symbols.
fn assemble(src: &[Src], btf: Option<&Btf<'_>>, endian: Endian) -> (Vec<u8>, Vec<Sym>) {
    let mut data = Vec::new();
    let mut syms = Vec::new();
    let mut counter = 100;
    let mut sets = Vec::new(); // (offset, kind, cnt)
    fn emit(
        s: &Src,
        data: &mut Vec<u8>,
        syms: &mut Vec<Sym>,
        counter: &mut u32,
        sets: &mut Vec<(usize, SetKind, u32)>,
        btf: Option<&Btf<'_>>,
        e: Endian,
    ) {
        match s {
            Src::List(name) => syms.push(Sym {
                name: name.to_string(),
                value: data.len() as u64,
                size: 0,
                ty: STT_NOTYPE,
            }),
            Src::Id(kind, name, flags) => {
                *counter += 1;
                let k = match *kind {
                    "struct" => Kind::STRUCT,
                    "union" => Kind::UNION,
                    "typedef" => Kind::TYPEDEF,
                    "func" => Kind::FUNC,
                    _ => unreachable!(),
                };
                let id = btf
                    .and_then(|b| b.find_by_name_kind(name.as_bytes(), k))
                    .map_or(0, |t| t.0);
                syms.push(Sym {
                    // __COUNTER__ then __LINE__, pasted.
                    name: format!("__BTF_ID__{kind}__{name}__{counter}{}", 40 + *counter),
                    value: data.len() as u64,
                    size: 4,
                    ty: STT_OBJECT,
                });
                data.extend_from_slice(&e.u32_bytes(id));
                if *flags != 0 || sets.last().is_some_and(|s| s.1 == SetKind::Set8) {
                    data.extend_from_slice(&e.u32_bytes(*flags));
                }
            }
            Src::Unused => data.extend_from_slice(&[0; 4]),
            Src::Set(name, members) | Src::Set8(name, _, members) => {
                let (kind, flags) = match s {
                    Src::Set8(_, f, _) => (SetKind::Set8, Some(*f)),
                    _ => (SetKind::Set, None),
                };
                let start = data.len();
                syms.push(Sym {
                    name: name.to_string(),
                    value: start as u64,
                    size: 0,
                    ty: STT_NOTYPE,
                });
                let set_sym = syms.len();
                syms.push(Sym {
                    name: format!("__BTF_ID__{}__{name}", kind.as_str()),
                    value: start as u64,
                    size: 0,
                    ty: STT_NOTYPE,
                });
                data.extend_from_slice(&[0; 4]);
                if let Some(f) = flags {
                    data.extend_from_slice(&e.u32_bytes(f));
                }
                sets.push((start, kind, 0));
                for m in members {
                    emit(m, data, syms, counter, sets, btf, e);
                }
                let size = data.len() - start;
                syms[set_sym].size = size as u64;
                let cnt = (size / kind.stride() as usize - 1) as u32;
                sets.last_mut().unwrap().2 = cnt;
                sets.push((usize::MAX, SetKind::Set, 0)); // end marker
            }
        }
    }
    for s in src {
        emit(
            s,
            &mut data,
            &mut syms,
            &mut counter,
            &mut sets,
            btf,
            endian,
        );
    }
    if btf.is_some() {
        for &(start, kind, cnt) in sets.iter().filter(|s| s.0 != usize::MAX) {
            data[start..start + 4].copy_from_slice(&endian.u32_bytes(cnt));
            let first = start + kind.header_len() as usize;
            let stride = kind.stride() as usize;
            let mut items: Vec<Vec<u8>> = (0..cnt as usize)
                .map(|i| data[first + i * stride..first + (i + 1) * stride].to_vec())
                .collect();
            items.sort_by_key(|it| endian.u32(it, 0));
            for (i, it) in items.iter().enumerate() {
                data[first + i * stride..first + (i + 1) * stride].copy_from_slice(it);
            }
        }
    }
    (data, syms)
}

/// The module object: ELF with `.BTF_ids` as resolve_btfids left it and the split `.BTF`.
fn module(class: Class) -> (Vec<u8>, Vec<u8>) {
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let (data, syms) = assemble(&source(), Some(&split), class.endian);
    let elf = Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    let mut p = Patch::new();
    p.set(".BTF", &f.split);
    (p.apply(&elf).expect("adds .BTF").elf, f.base)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn btfkit(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_btfkit"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("btfkit runs");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

struct Files {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    module: PathBuf,
    base: PathBuf,
}

fn files(class: Class) -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    let (module, base) = module(class);
    let p = dir.path().to_path_buf();
    std::fs::write(p.join("mod.ko"), module).unwrap();
    std::fs::write(p.join("vmlinux.btf"), base).unwrap();
    Files {
        dir: p.clone(),
        module: p.join("mod.ko"),
        base: p.join("vmlinux.btf"),
        _dir: dir,
    }
}

#[test]
fn ids_lists_every_entry_and_what_its_id_is() {
    for class in CLASSES {
        let f = files(class);
        let r = btfkit(&["ids", "--base", s(&f.base), s(&f.module)]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let o = &r.stdout;
        for want in [
            "12 entries: 6 in 2 sets, 6 outside sets",
            "list mod_btf_ids at +0x0",
            "is STRUCT 'tcp_sock'",
            "is TYPEDEF 'u64_t'",
            "is UNION 'thread_union'",
            "is STRUCT 'nf_conn___init'",
            "set mod_set at +0x1c: cnt 3, sorted",
            "set8 mod_kfunc_ids at +0x2c: cnt 3, flags 0x1 (kfuncs), sorted",
            "flags 0x0002 ok  __BTF_ID__func__bbr_init__",
            "flags 0x0005 ok  __BTF_ID__func__bbr_undo__",
            "every entry names the type its symbol says (unresolved ones as resolve_btfids left them)",
        ] {
            assert!(o.contains(want), "missing {want:?} in\n{o}");
        }
        let missing = o
            .lines()
            .find(|l| l.contains("missing_type"))
            .expect("line");
        assert!(
            missing.contains("id 0 (unresolved)") && missing.contains(" unresolved "),
            "{missing}"
        );
        assert!(!o.contains("MISMATCH"), "{o}");
        assert!(o.contains(&format!("({})", class.endian)), "{o}");

        // Without a base: the stored ids alone.
        let r = btfkit(&["ids", s(&f.module)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("stored ids only"), "{}", r.stdout);
        assert!(r.stdout.contains("  +0x0034  [0] id 12 "), "{}", r.stdout);
    }
}

#[test]
fn ids_flags_a_distilled_module_whose_btf_ids_were_not_rewritten() {
    let class = CLASSES[0];
    let f = files(class);
    let ko = std::fs::read(&f.module).unwrap();
    let base_bytes = std::fs::read(&f.base).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();
    let secs = btfkit::elf::BtfSections::parse(&ko).unwrap();
    let split = Btf::parse_split(&secs.btf, &base).unwrap();

    // .BTF + .BTF.base rewritten, .BTF_ids not: what objcopy with libbpf's output gives.
    let d = distill(&split).unwrap();
    let stale = f.dir.join("stale.ko");
    std::fs::write(
        &stale,
        btfkit::elf::patch::set_btf(&ko, &d.split, Some(&d.base))
            .unwrap()
            .elf,
    )
    .unwrap();
    let r = btfkit(&["ids", s(&stale)]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("over its .BTF.base (distilled)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("MISMATCH"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("MISMATCH(ES): the kernel would get wrong type ids"),
        "{}",
        r.stdout
    );

    // Rewritten: every entry names its type, over the distilled base and relocated.
    let ids = BtfIds::parse(&ko).unwrap().unwrap();
    let (d, section) = btf_ids::distill(&split, &ids).unwrap();
    let mut p = Patch::new();
    p.set(".BTF", &d.split)
        .set(".BTF.base", &d.base)
        .replace(".BTF_ids", &section);
    let good = f.dir.join("good.ko");
    std::fs::write(&good, p.apply(&ko).unwrap().elf).unwrap();
    let r = btfkit(&["ids", s(&good)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = btfkit(&["ids", "--base", s(&f.base), s(&good)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("relocated onto"), "{}", r.stdout);
    assert!(
        r.stdout.contains("(-> "),
        "ids shown with their relocated ids: {}",
        r.stdout
    );
}

#[test]
fn ids_without_btf_ids_or_elf_and_with_bad_symbols() {
    let class = CLASSES[0];
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.o");
    std::fs::write(
        &plain,
        Elf {
            class,
            btf_ids: None,
            syms: vec![],
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap();
    let r = btfkit(&["ids", s(&plain)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no .BTF_ids section"), "{}", r.stdout);

    let raw = dir.path().join("raw.btf");
    std::fs::write(&raw, fixture(class.endian).base).unwrap();
    let r = btfkit(&["ids", s(&raw)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not an ELF object"), "{}", r.stderr);

    let bad = dir.path().join("bad.o");
    std::fs::write(
        &bad,
        Elf {
            class,
            btf_ids: Some(vec![0; 8]),
            syms: vec![Sym {
                name: "__BTF_ID__enum__e__1".into(),
                value: 0,
                size: 4,
                ty: STT_OBJECT,
            }],
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap();
    let r = btfkit(&["ids", s(&bad)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("__BTF_ID__enum__e__1: unsupported prefix"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------
// distill -o / --in-place / raw outputs, retarget and check on modules with .BTF_ids.

/// (kind, name) of what every entry names, by symbol, with the verdict.
fn meaning(ids: &BtfIds, btf: &Btf<'_>) -> Vec<(String, String)> {
    let r = ids.resolve(btf);
    assert!(r.is_ok(), "{:?}", r.problems(ids));
    r.entries
        .iter()
        .map(|x| {
            (
                ids.entries[x.entry].symbol.clone(),
                format!("{:?} {:?}", x.status, x.is),
            )
        })
        .collect()
}

/// The module's BTF as the ids see it: split over `base` (plain) or over `.BTF.base`.
fn with_module_btf<R>(elf: &[u8], base: Option<&[u8]>, f: impl FnOnce(&Btf<'_>) -> R) -> R {
    let secs = btfkit::elf::BtfSections::parse(elf).unwrap();
    match (&secs.base, base) {
        (Some(db), _) => {
            let db = Btf::parse(db).unwrap();
            let s = Btf::parse_split(&secs.btf, &db).unwrap();
            f(&s)
        }
        (None, Some(b)) => {
            let b = Btf::parse(b).unwrap();
            let s = Btf::parse_split(&secs.btf, &b).unwrap();
            f(&s)
        }
        (None, None) => panic!("no base"),
    }
}

#[test]
fn distill_rewrites_btf_ids_in_the_same_patch() {
    for class in [CLASSES[0], CLASSES[3]] {
        let f = files(class);
        let orig = std::fs::read(&f.module).unwrap();
        let base = std::fs::read(&f.base).unwrap();
        let ids = BtfIds::parse(&orig).unwrap().unwrap();
        let before = with_module_btf(&orig, Some(&base), |b| meaning(&ids, b));

        let out = f.dir.join("out.ko");
        let r = btfkit(&["distill", "--base", s(&f.base), s(&f.module), "-o", s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains(
                ".BTF_ids: 12 entries rewritten, 2 sets re-sorted, 4 of their ids name vmlinux types"
            ),
            "{}",
            r.stderr
        );
        let new = std::fs::read(&out).unwrap();
        let new_ids = BtfIds::parse(&new).unwrap().unwrap();
        assert_eq!(
            with_module_btf(&new, None, |b| meaning(&new_ids, b)),
            before
        );
        assert!(new_ids.sets.iter().all(|s| s.is_sorted()));
        let r = btfkit(&["ids", s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stdout);
        let r = btfkit(&["check", "--base", s(&f.base), s(&out)]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

        // --in-place gives the same file.
        let r = btfkit(&["distill", "--base", s(&f.base), "--in-place", s(&f.module)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(std::fs::read(&f.module).unwrap(), new);

        // Raw outputs keep the named vmlinux types too, and say what they cannot do.
        std::fs::write(&f.module, &orig).unwrap();
        let (ob, os) = (f.dir.join("m.btf.base"), f.dir.join("m.btf"));
        let r = btfkit(&[
            "distill",
            "--base",
            s(&f.base),
            s(&f.module),
            "--out-base",
            s(&ob),
            "--out-split",
            s(&os),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains("only -o/--in-place rewrites the ids"),
            "{}",
            r.stderr
        );
        let secs = btfkit::elf::BtfSections::parse(&new).unwrap();
        assert_eq!(std::fs::read(&os).unwrap(), secs.btf.as_ref());
        assert_eq!(std::fs::read(&ob).unwrap(), secs.base.as_deref().unwrap());
    }
}

#[test]
fn distill_refuses_what_it_cannot_express_and_leaves_the_module() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vmlinux = dir.path().join("vmlinux.btf");
    std::fs::write(&vmlinux, &f.base).unwrap();

    // An entry naming a vmlinux FUNC: a distilled base cannot hold it.
    let mut src = source();
    src.push(Src::List("fn_list"));
    src.push(Src::Id("func", "vmlinux_fn", 0));
    let (data, syms) = assemble(&src, Some(&split), class.endian);
    let elf = Elf {
        class,
        btf_ids: Some(data.clone()),
        syms: syms.clone(),
        symtab: true,
        addr: 0,
    }
    .bytes();
    let mut p = Patch::new();
    p.set(".BTF", &f.split);
    let ko = p.apply(&elf).unwrap().elf;
    let path = dir.path().join("fn.ko");
    std::fs::write(&path, &ko).unwrap();
    let r = btfkit(&["distill", "--base", s(&vmlinux), "--in-place", s(&path)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("FUNC 'vmlinux_fn' is needed (.BTF_ids entry __BTF_ID__func__vmlinux_fn__"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("left as it is"), "{}", r.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), ko);

    // .BTF_ids that do not match the module's BTF to begin with.
    let mut bad = data;
    class.endian.put_u32(&mut bad, 0, SOCK);
    let elf = Elf {
        class,
        btf_ids: Some(bad),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    let mut p = Patch::new();
    p.set(".BTF", &f.split);
    let ko = p.apply(&elf).unwrap().elf;
    std::fs::write(&path, &ko).unwrap();
    let r = btfkit(&["distill", "--base", s(&vmlinux), "--in-place", s(&path)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("its .BTF_ids do not match its .BTF even before rewriting"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&path).unwrap(), ko);
}

/// Another vmlinux: every id moved, `sock` grew (the module only points to it).
fn new_vmlinux(endian: Endian) -> Vec<u8> {
    let mut b = Builder::new();
    for i in 0..5 {
        b.add_int(format!("pad{i}"), 4, 0);
    }
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    b.add_union("thread_union", 8);
    b.add_member("x", long, 0, 0);
    b.add_typedef("u64_t", long);
    let sock = b.add_struct("sock", 24);
    b.add_member("refcnt", int, 0, 0);
    b.add_struct("tcp_sock", 96);
    b.add_member("sk", sock, 0, 0);
    b.to_bytes(endian)
}

#[test]
fn retarget_rewrites_btf_ids_into_the_new_vmlinux_id_space() {
    for class in [CLASSES[0], CLASSES[1]] {
        let f = files(class);
        let orig = std::fs::read(&f.module).unwrap();
        let base = std::fs::read(&f.base).unwrap();
        let ids = BtfIds::parse(&orig).unwrap().unwrap();
        let before = with_module_btf(&orig, Some(&base), |b| meaning(&ids, b));
        let new_base = f.dir.join("new.btf");
        let nb = new_vmlinux(class.endian);
        std::fs::write(&new_base, &nb).unwrap();

        let out = f.dir.join("re.ko");
        let r = btfkit(&[
            "retarget",
            "--from",
            s(&f.base),
            "--to",
            s(&new_base),
            s(&f.module),
            "-o",
            s(&out),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains(".BTF_ids: 12 entries rewritten"),
            "{}",
            r.stderr
        );
        let new = std::fs::read(&out).unwrap();
        let new_ids = BtfIds::parse(&new).unwrap().unwrap();
        assert_ne!(new_ids.data, ids.data, "the ids moved");
        assert_eq!(
            with_module_btf(&new, Some(&nb), |b| meaning(&new_ids, b)),
            before
        );
        let r = btfkit(&["ids", "--base", s(&new_base), s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stdout);
        let r = btfkit(&["check", "--base", s(&new_base), s(&out)]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        // The unretargeted module is not fit for the new vmlinux.
        let r = btfkit(&["check", "--base", s(&new_base), s(&f.module)]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);

        // A distilled module retargets from its .BTF.base, to the same result.
        let dist = f.dir.join("dist.ko");
        let r = btfkit(&[
            "distill",
            "--base",
            s(&f.base),
            s(&f.module),
            "-o",
            s(&dist),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let out2 = f.dir.join("re2.ko");
        let r = btfkit(&["retarget", "--to", s(&new_base), s(&dist), "-o", s(&out2)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let again = std::fs::read(&out2).unwrap();
        assert_eq!(BtfIds::parse(&again).unwrap().unwrap().data, new_ids.data);

        // And back onto the vmlinux it was built against: the same types again (the
        // typedef now names the module's own copy, as distilling copies typedefs).
        let back = f.dir.join("back.ko");
        let r = btfkit(&["retarget", "--to", s(&f.base), s(&dist), "-o", s(&back)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let back = std::fs::read(&back).unwrap();
        let back_ids = BtfIds::parse(&back).unwrap().unwrap();
        assert_eq!(
            with_module_btf(&back, Some(&base), |b| meaning(&back_ids, b)),
            before
        );
        let changed: Vec<&str> = ids
            .entries
            .iter()
            .zip(&back_ids.entries)
            .filter(|(a, b)| a.stored != b.stored)
            .map(|(a, _)| a.name.as_str())
            .collect();
        assert_eq!(changed, ["u64_t"]);
    }
}

#[test]
fn check_reports_stale_btf_ids_as_a_module_that_will_not_load() {
    let class = CLASSES[0];
    let f = files(class);
    let ko = std::fs::read(&f.module).unwrap();
    let base_bytes = std::fs::read(&f.base).unwrap();
    let base = Btf::parse(&base_bytes).unwrap();
    let secs = btfkit::elf::BtfSections::parse(&ko).unwrap();
    let split = Btf::parse_split(&secs.btf, &base).unwrap();
    let d = distill(&split).unwrap();
    let stale = f.dir.join("stale.ko");
    std::fs::write(
        &stale,
        btfkit::elf::patch::set_btf(&ko, &d.split, Some(&d.base))
            .unwrap()
            .elf,
    )
    .unwrap();
    let good = f.dir.join("good.ko");
    let r = btfkit(&[
        "distill",
        "--base",
        s(&f.base),
        s(&f.module),
        "-o",
        s(&good),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = btfkit(&["check", "--base", s(&f.base), s(&stale), s(&good)]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let stale_line = r.stdout.lines().find(|l| l.contains("stale.ko")).unwrap();
    assert!(
        stale_line.contains("would fail to load: its .BTF_ids do not name their types on the target (the kernel refuses its kfunc set"),
        "{stale_line}"
    );
    assert!(r.stdout.contains("good.ko: ok"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("1 of them because their .BTF_ids name the wrong types"),
        "{}",
        r.stdout
    );
    let r = btfkit(&["check", "--json", "--base", s(&f.base), s(&stale)]);
    assert_eq!(r.code, 1);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let m = &j["modules"][0];
    assert_eq!(m["ok"], false);
    assert_eq!(m["btf_ids"]["entries"], 12);
    assert_eq!(m["btf_ids"]["kfunc_set_refused"], true);
    assert!(!m["btf_ids"]["problems"].as_array().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Real modules: the Debian 6.12 cloud kernel package of the e2e download cache.

fn package() -> Option<PathBuf> {
    let cache = std::env::var_os("BTFKIT_E2E_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-cache"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(&cache)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.starts_with("linux-image-6.12.")
                && n.contains("-cloud-amd64-unsigned_")
                && p.join(".complete").exists()
        })
        .collect();
    found.sort();
    let p = found.into_iter().next();
    if p.is_none() {
        // crates/conformance/tests/btf_ids.rs fetches it when CI asks for real data.
        eprintln!(
            "no 6.12 cloud kernel package in {}: skipping",
            cache.display()
        );
    }
    p
}

#[test]
fn package_modules_distill_in_place_with_their_btf_ids() {
    let Some(pkg) = package() else { return };
    let vmlinux = pkg.join("vmlinux.btf");
    let base = std::fs::read(&vmlinux).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    let kernel = std::fs::read_dir(pkg.join("root/lib/modules"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("kernel");
    for m in [
        "net/ipv4/tcp_bbr",
        "net/ipv4/tcp_dctcp",
        "net/ipv4/fou",
        "net/netfilter/nf_conntrack",
        "net/netfilter/nf_nat",
        "net/netfilter/nf_flow_table",
        "net/xfrm/xfrm_interface",
    ] {
        let src = kernel.join(format!("{m}.ko.xz"));
        let dst = dir.path().join(src.file_name().unwrap());
        std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        copies.push(dst);
    }
    let unpack = |p: &Path| {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut &std::fs::read(p).unwrap()[..], &mut out).unwrap();
        out
    };
    let before: Vec<_> = copies
        .iter()
        .map(|p| {
            let ko = unpack(p);
            let ids = BtfIds::parse(&ko).unwrap().expect(".BTF_ids");
            with_module_btf(&ko, Some(&base), |b| meaning(&ids, b))
        })
        .collect();
    let mut args = vec!["distill", "--base", s(&vmlinux), "--in-place"];
    args.push(s(dir.path()));
    let r = btfkit(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("distilled 7 of 7 modules in place"),
        "{}",
        r.stderr
    );
    for (p, before) in copies.iter().zip(&before) {
        let ko = unpack(p);
        let ids = BtfIds::parse(&ko).unwrap().unwrap();
        assert_eq!(
            &with_module_btf(&ko, None, |b| meaning(&ids, b)),
            before,
            "{}: every entry names the same type",
            p.display()
        );
        let r = btfkit(&["ids", "--base", s(&vmlinux), s(p)]);
        assert_eq!(r.code, 0, "{}: {}", p.display(), r.stdout);
    }
    let mut args = vec!["check", "--base", s(&vmlinux)];
    args.extend(copies.iter().map(|p| s(p)));
    let r = btfkit(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
