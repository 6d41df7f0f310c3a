//! `.BTF_ids`: reading it as resolve_btfids does, judging it against a BTF, rewriting it
//! into a distilled or retargeted id space. On relocatable objects built here (ELF32 and
//! ELF64, both byte orders) with each entry form: `BTF_ID_LIST` with single ids, an
//! unused slot and an unresolved entry, a `BTF_SET`, a `BTF_KFUNCS` set8 with flags.

use btfkit::distill::{distill, DistillError};
use btfkit::elf::btf_ids::{self, BtfIds, BtfIdsError, EntryKind, SetKind, Status};
use btfkit::write::Builder;
use btfkit::{raw, Btf, Endian, Kind, TypeId};

// ---------------------------------------------------------------------------------------
// A tiny ELF writer: ET_REL with .text, .BTF_ids, .symtab, .strtab, .shstrtab.

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

fn module_elf(class: Class, src: &[Src], btf: Option<&Btf<'_>>) -> Vec<u8> {
    let (data, syms) = assemble(src, btf, class.endian);
    Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes()
}

/// By symbol: the verdict and (kind, name) of what its id is.
type Meaning = Vec<(String, Status, Option<(Kind, String)>)>;

/// (kind, name) of what each entry's id is, by symbol: the meaning of the section.
fn meaning(ids: &BtfIds, btf: &Btf<'_>) -> Meaning {
    let report = ids.resolve(btf);
    assert_eq!(report.entries.len(), ids.entries.len());
    report
        .entries
        .iter()
        .map(|r| {
            (
                ids.entries[r.entry].symbol.clone(),
                r.status,
                r.is.as_ref().map(|n| (n.kind, n.name.clone())),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------

#[test]
fn parses_every_entry_form_in_every_class_and_byte_order() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let elf = module_elf(class, &source(), Some(&split));
        let ids = BtfIds::parse(&elf).unwrap().expect("has .BTF_ids");
        assert_eq!((ids.endian, ids.is_64), (class.endian, class.is_64));
        assert_eq!(ids.section_index, 2);

        let got: Vec<(EntryKind, &str, u32, u32)> = ids
            .entries
            .iter()
            .map(|e| (e.kind, e.name.as_str(), e.offset, e.stored))
            .collect();
        use EntryKind::*;
        assert_eq!(
            got,
            vec![
                (Struct, "tcp_sock", 0, TCP_SOCK),
                (Struct, "mod_state", 4, 10),
                // 8: BTF_ID_UNUSED
                (Typedef, "u64_t", 12, U64_T),
                (Union, "thread_union", 16, THREAD_UNION),
                (Struct, "missing_type", 20, 0),
                (Struct, "nf_conn___init", 24, 15),
                // mod_set at 28: cnt, then 3 slots, sorted: sock, bbr_init, bbr_main
                (Func, "bbr_main", 32, SOCK),
                (Func, "bbr_init", 36, 12),
                (Struct, "sock", 40, 13),
                // mod_kfunc_ids at 44: cnt, flags, 3 pairs sorted by id
                (Func, "bbr_undo", 52, 12),
                (Func, "bbr_init", 60, 13),
                (Func, "bbr_main", 68, 14),
            ]
        );
        assert!(ids.entries[0]
            .symbol
            .starts_with("__BTF_ID__struct__tcp_sock__"));

        assert_eq!(ids.sets.len(), 2);
        let set = &ids.sets[0];
        assert_eq!(
            (set.kind, set.name.as_str(), set.offset, set.cnt, set.flags),
            (SetKind::Set, "mod_set", 28, 3, None)
        );
        assert_eq!(set.symbol, "__BTF_ID__set__mod_set");
        assert_eq!((set.symbol_size, set.declared_cnt()), (16, Some(3)));
        assert_eq!(
            set.slots.iter().map(|s| s.id).collect::<Vec<_>>(),
            [SOCK, 12, 13]
        );
        assert_eq!(set.members, [6, 7, 8]);
        assert!(set.is_sorted() && !set.is_kfuncs());

        let set8 = &ids.sets[1];
        assert_eq!(
            (
                set8.kind,
                set8.name.as_str(),
                set8.offset,
                set8.cnt,
                set8.flags
            ),
            (SetKind::Set8, "mod_kfunc_ids", 44, 3, Some(1))
        );
        assert!(set8.is_kfuncs() && set8.is_sorted());
        assert_eq!(
            set8.slots
                .iter()
                .map(|s| (s.id, s.flags))
                .collect::<Vec<_>>(),
            [(12, Some(0x2)), (13, Some(0x10)), (14, Some(0x5))],
            "pairs sorted by id keep their flags"
        );
        assert_eq!(set8.members, [9, 10, 11]);
        assert_eq!(ids.entries[9].set, Some((1, 0)));

        // Lists: only BTF_ID_LIST's symbol, not the ones sets define.
        assert_eq!(ids.lists.len(), 1);
        assert_eq!(
            (ids.lists[0].symbol.as_str(), ids.lists[0].offset),
            ("mod_btf_ids", 0)
        );

        // Judged against the module's BTF: all as resolve_btfids left them.
        let report = ids.resolve(&split);
        assert!(report.is_ok(), "{:?}", report.problems(&ids));
        for (sym, status, is) in meaning(&ids, &split) {
            if sym.contains("missing_type") {
                assert_eq!((status, is), (Status::Unresolved, None));
            } else {
                assert_eq!(status, Status::Ok, "{sym}");
                assert!(is.is_some());
            }
        }
        // Set members are matched to the slots holding their ids.
        let r = &report.entries[6]; // bbr_main in mod_set, stored in slot 2
        assert_eq!((r.slot, r.id), (Some(2), 13));
    }
}

#[test]
fn rewrite_maps_every_id_and_sorts_sets_like_resolve_btfids() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let ids = BtfIds::parse(&module_elf(class, &source(), Some(&split)))
            .unwrap()
            .unwrap();
        // Reverse the id order: every set must be re-sorted.
        let map = |id: u32| Some(1000 - id);
        let out = ids.rewrite(map).unwrap();
        assert_eq!(out.len(), ids.data.len());
        let e = class.endian;
        let word = |off: u32| e.u32(&out, off as usize);
        // Entries outside sets: mapped; zero stays zero.
        for (off, old) in [
            (0, TCP_SOCK),
            (4, 10),
            (12, U64_T),
            (16, THREAD_UNION),
            (24, 15),
        ] {
            assert_eq!(word(off), 1000 - old);
        }
        assert_eq!((word(8), word(20)), (0, 0), "unused and unresolved stay 0");
        // Set headers untouched.
        assert_eq!((word(28), word(44), word(48)), (3, 3, 1));
        // mod_set: {2, 12, 13} -> {998, 988, 987}, sorted.
        assert_eq!([word(32), word(36), word(40)], [987, 988, 998]);
        // set8 pairs: (12,0x2) (13,0x10) (14,0x5) -> sorted by new id with their flags.
        assert_eq!(
            [word(52), word(56), word(60), word(64), word(68), word(72)],
            [986, 0x5, 987, 0x10, 988, 0x2]
        );
        // Identity: the bytes come back unchanged.
        assert_eq!(ids.rewrite(Some).unwrap(), ids.data);
        // An id the map does not know names its place.
        let err = ids.rewrite(|id| (id != 13).then_some(id)).unwrap_err();
        assert!(
            matches!(&err, BtfIdsError::Unmapped { what, id: 13 } if what == "set mod_set slot 2"),
            "{err}"
        );
    }
}

#[test]
fn set8_sort_is_stable_for_equal_ids() {
    let class = CLASSES[0];
    let e = class.endian;
    // cnt 3, flags 1, pairs (7,a) (5,b) (7,c) -> (5,b) (7,a) (7,c)
    let mut data = Vec::new();
    for w in [3u32, 1, 7, 0xa, 5, 0xb, 7, 0xc] {
        data.extend_from_slice(&e.u32_bytes(w));
    }
    let syms = vec![
        Sym {
            name: "__BTF_ID__set8__s".into(),
            value: 0,
            size: 32,
            ty: STT_NOTYPE,
        },
        Sym {
            name: "__BTF_ID__func__a__1".into(),
            value: 8,
            size: 4,
            ty: STT_OBJECT,
        },
    ];
    let elf = Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    let ids = BtfIds::parse(&elf).unwrap().unwrap();
    assert!(!ids.sets[0].is_sorted());
    let out = ids.rewrite(Some).unwrap();
    let words: Vec<u32> = (0..8).map(|i| e.u32(&out, i * 4)).collect();
    assert_eq!(words, [3, 1, 5, 0xb, 7, 0xa, 7, 0xc]);
}

#[test]
fn distill_keeps_named_base_types_and_rewrites_ids() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let ids = BtfIds::parse(&module_elf(class, &source(), Some(&split)))
            .unwrap()
            .unwrap();
        let before = meaning(&ids, &split);

        // Roots: base ids named by entries that the split does not need by itself.
        let roots = ids.roots(&split);
        let root_ids: Vec<u32> = roots.iter().map(|r| r.id.0).collect();
        assert_eq!(root_ids, [TCP_SOCK, U64_T, THREAD_UNION, SOCK]);
        assert!(roots[0].why.contains("__BTF_ID__struct__tcp_sock__"));
        assert!(
            roots[3].why.contains("__BTF_ID__struct__sock__"),
            "a set slot is named by its member: {}",
            roots[3].why
        );

        let (d, section) = btf_ids::distill(&split, &ids).unwrap();
        let db = Btf::parse(&d.base).unwrap();
        let ds = Btf::parse_split(&d.split, &db).unwrap();
        let new = BtfIds::parse(
            &Elf {
                class,
                btf_ids: Some(section),
                syms: assemble(&source(), None, class.endian).1,
                symtab: true,
                addr: 0,
            }
            .bytes(),
        )
        .unwrap()
        .unwrap();
        assert!(new.sets.iter().all(|s| s.is_sorted()));
        let report = new.resolve(&ds);
        assert!(report.is_ok(), "{:?}", report.problems(&new));
        assert_eq!(
            meaning(&new, &ds),
            before,
            "every entry names the same type"
        );

        // tcp_sock went to the distilled base (member-less), u64_t was copied into the
        // split, thread_union is in the base.
        let new_of = |old: u32| d.id_map.get(TypeId(old)).unwrap().0;
        assert!(new_of(TCP_SOCK) < ds.start_id().0);
        assert!(new_of(THREAD_UNION) < ds.start_id().0);
        assert!(new_of(U64_T) >= ds.start_id().0);

        // Without .BTF_ids roots (what libbpf's distill alone gives) the old section is
        // wrong in the new id space, and the report says so.
        let plain = distill(&split).unwrap();
        let pb = Btf::parse(&plain.base).unwrap();
        let ps = Btf::parse_split(&plain.split, &pb).unwrap();
        let stale = ids.resolve(&ps);
        assert!(!stale.is_ok());
        let problems = stale.problems(&ids);
        assert!(
            problems.iter().any(|p| p.contains("tcp_sock")),
            "{problems:?}"
        );
    }
}

#[test]
fn a_vmlinux_func_entry_cannot_be_distilled_and_is_named() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let mut src = source();
    src.push(Src::List("fn_list"));
    src.push(Src::Id("func", "vmlinux_fn", 0));
    let ids = BtfIds::parse(&module_elf(class, &src, Some(&split)))
        .unwrap()
        .unwrap();
    assert_eq!(ids.entries.last().unwrap().stored, VMLINUX_FN);
    let err = btf_ids::distill(&split, &ids).unwrap_err();
    match &err {
        BtfIdsError::Distill(DistillError::UnexpectedRoot { base_id, why, .. }) => {
            assert_eq!(base_id.0, VMLINUX_FN);
            assert!(why.contains("__BTF_ID__func__vmlinux_fn__"), "{why}");
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(err.to_string().contains("vmlinux_fn"), "{err}");
}

#[test]
fn retarget_composes_distill_and_relocation_maps() {
    // Distill over the old base, relocate onto a new base whose ids all moved; the
    // section rewritten through both maps names the same types in the new space.
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let (data, syms) = assemble(&source(), Some(&split), class.endian);
    let elf = Elf {
        class,
        btf_ids: Some(data),
        syms: syms.clone(),
        symtab: true,
        addr: 0,
    }
    .bytes();
    let ids = BtfIds::parse(&elf).unwrap().unwrap();
    let before = meaning(&ids, &split);

    // The new vmlinux: padding types first, then the same types (sock grew).
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
    let new_base_bytes = b.to_bytes(class.endian);
    let new_base = Btf::parse(&new_base_bytes).unwrap();

    let roots = ids.roots(&split);
    let d = btfkit::distill::distill_with_roots(&split, &roots).unwrap();
    let db = Btf::parse(&d.base).unwrap();
    let ds = Btf::parse_split(&d.split, &db).unwrap();
    let r = btfkit::relocate::relocate(&ds, &new_base, Default::default()).unwrap();
    let section = ids
        .rewrite(|old| {
            let dist = d.id_map.get(TypeId(old))?;
            r.id_map.get(dist.0 as usize).copied()
        })
        .unwrap();
    let rs = Btf::parse_split(&r.split, &new_base).unwrap();
    let new = BtfIds::parse(
        &Elf {
            class,
            btf_ids: Some(section),
            syms,
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap()
    .unwrap();
    assert!(new.resolve(&rs).is_ok());
    assert_eq!(meaning(&new, &rs), before);
    // And judged through the relocation map without rewriting: the distilled section
    // maps to the same meaning (what `check` does).
    let (dsec, dsyms) = {
        let sec = ids
            .rewrite(|old| d.id_map.get(TypeId(old)).map(|t| t.0))
            .unwrap();
        (sec, assemble(&source(), None, class.endian).1)
    };
    let dist_ids = BtfIds::parse(
        &Elf {
            class,
            btf_ids: Some(dsec),
            syms: dsyms,
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap()
    .unwrap();
    let via = dist_ids.resolve_mapped(&rs, |id| r.id_map.get(id as usize).copied());
    assert!(via.is_ok(), "{:?}", via.problems(&dist_ids));
}

#[test]
fn mismatches_are_reported_by_entry_and_set() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let ids = BtfIds::parse(&module_elf(class, &source(), Some(&split)))
        .unwrap()
        .unwrap();
    // Swap two ids: tcp_sock's entry now holds sock's id, and a set8 slot a non-member.
    let e = class.endian;
    let mut bad = ids.clone();
    e.put_u32(&mut bad.data, 0, SOCK);
    e.put_u32(&mut bad.data, 68, 10); // set8 slot 2: mod_state, not a kfunc
    let syms = assemble(&source(), None, e).1;
    let bad = BtfIds::parse(
        &Elf {
            class,
            btf_ids: Some(bad.data),
            syms,
            symtab: true,
            addr: 0,
        }
        .bytes(),
    )
    .unwrap()
    .unwrap();
    let report = bad.resolve(&split);
    assert!(!report.is_ok());
    assert_eq!(report.entries[0].status, Status::Mismatch);
    let p = report.problems(&bad);
    assert!(
        p.iter()
            .any(|l| l.contains("tcp_sock") && l.contains("STRUCT 'sock'")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.contains("mod_kfunc_ids slot 2") && l.contains("mod_state")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.contains("bbr_undo") && l.contains("no id of set8 mod_kfunc_ids")),
        "{p:?}"
    );
}

#[test]
fn linked_images_use_addresses_and_odd_cases_are_refused() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let (data, syms) = assemble(&source(), Some(&split), class.endian);

    // Symbol values are addresses when the section has one.
    let at_addr = Elf {
        class,
        btf_ids: Some(data.clone()),
        syms: syms.clone(),
        symtab: true,
        addr: 0xffff_ffff_8200_0000,
    }
    .bytes();
    let ids = BtfIds::parse(&at_addr).unwrap().unwrap();
    assert_eq!(ids.entries[1].offset, 4);
    assert!(ids.resolve(&split).is_ok());

    // No .BTF_ids: nothing to do.
    let none = Elf {
        class,
        btf_ids: None,
        syms: vec![],
        symtab: true,
        addr: 0,
    }
    .bytes();
    assert!(BtfIds::parse(&none).unwrap().is_none());

    // .BTF_ids but no .symtab: which words are ids cannot be told.
    let stripped = Elf {
        class,
        btf_ids: Some(data.clone()),
        syms: vec![],
        symtab: false,
        addr: 0,
    }
    .bytes();
    assert!(matches!(
        BtfIds::parse(&stripped),
        Err(BtfIdsError::NoSymtab)
    ));

    let with = |name: &str, value: u64, size: u64| {
        let mut s = syms.clone();
        s.push(Sym {
            name: name.to_string(),
            value,
            size,
            ty: STT_OBJECT,
        });
        Elf {
            class,
            btf_ids: Some(data.clone()),
            syms: s,
            symtab: true,
            addr: 0,
        }
        .bytes()
    };
    for (name, value, size, why) in [
        ("__BTF_ID__enum__e__1", 0, 4, "unsupported prefix"),
        ("__BTF_ID__func__f", 0, 4, "cannot parse"),
        ("__BTF_ID__func__f__my_list", 0, 4, "cannot parse"),
        ("__BTF_ID__set__mod_set", 0, 4, "second set"),
        ("__BTF_ID__func__f__1", 2, 4, "aligned"),
        ("__BTF_ID__func__f__1", 4096, 4, "aligned"),
    ] {
        match BtfIds::parse(&with(name, value, size)) {
            Err(BtfIdsError::BadSymbol { symbol, reason }) => {
                assert_eq!(symbol, name);
                assert!(reason.contains(why), "{name}: {reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A set whose cnt runs past the section.
    let mut big = data.clone();
    class.endian.put_u32(&mut big, 28, 1000);
    let e = Elf {
        class,
        btf_ids: Some(big),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes();
    assert!(
        matches!(BtfIds::parse(&e), Err(BtfIdsError::BadSymbol { reason, .. }) if reason.contains("cnt 1000"))
    );
}

#[test]
fn unprocessed_objects_parse_with_zero_ids() {
    // Before resolve_btfids: all ids and set counts are 0; members are found by the
    // symbol sizes; rewriting changes nothing.
    for class in CLASSES {
        let elf = module_elf(class, &source(), None);
        let ids = BtfIds::parse(&elf).unwrap().unwrap();
        assert!(ids.entries.iter().all(|e| e.stored == 0));
        assert_eq!(ids.sets[0].cnt, 0);
        assert_eq!(ids.sets[0].declared_cnt(), Some(3));
        assert_eq!(ids.sets[0].members.len(), 3);
        assert_eq!(ids.rewrite(|_| None).unwrap(), ids.data);
    }
}
