//! A module with `.BTF_ids`, for the library, CLI and conformance tests: a tiny ELF
//! writer (ET_REL with .text, .BTF_ids, optional other sections such as .BTF, .symtab,
//! .strtab, .shstrtab; ELF32/ELF64, both byte orders), a small vmlinux + module BTF, and a
//! `.BTF_ids` section assembled as the kernel's macros emit it and resolved as
//! resolve_btfids leaves it.

// A fixture: the names of its fields and constants say what they are.
#![allow(missing_docs)]

use btfkit::elf::btf_ids::SetKind;
use btfkit::write::Builder;
use btfkit::{raw, Btf, Endian, Kind};

#[derive(Clone, Copy, Debug)]
pub struct Class {
    pub is_64: bool,
    pub endian: Endian,
}

pub const CLASSES: [Class; 4] = [
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

pub const STT_NOTYPE: u8 = 0;
pub const STT_OBJECT: u8 = 1;
pub const STT_SECTION: u8 = 3;

/// A symbol defined in .BTF_ids (section index 2).
#[derive(Clone, Debug)]
pub struct Sym {
    pub name: String,
    pub value: u64,
    pub size: u64,
    pub ty: u8,
}

pub struct Elf {
    pub class: Class,
    pub btf_ids: Option<Vec<u8>>,
    pub syms: Vec<Sym>,
    pub symtab: bool,
    /// sh_addr of .BTF_ids (symbol values are offsets plus this).
    pub addr: u64,
}

pub struct W {
    pub out: Vec<u8>,
    pub e: Endian,
    pub is_64: bool,
}

impl W {
    pub fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&self.e.u16_bytes(v));
    }
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&self.e.u32_bytes(v));
    }
    pub fn word(&mut self, v: u64) {
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
    pub fn align(&mut self, a: usize) {
        while self.out.len() % a != 0 {
            self.out.push(0);
        }
    }
}

pub fn strtab(names: &[&str]) -> (Vec<u8>, Vec<u32>) {
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
    /// The ELF file.
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes_with(&[])
    }

    /// The ELF file with more PROGBITS sections (`.BTF`, `.BTF.base`, ...) after
    /// `.BTF_ids`.
    pub fn bytes_with(&self, extra: &[(&str, &[u8])]) -> Vec<u8> {
        let Class { is_64, endian } = self.class;
        let mut w = W {
            out: Vec::new(),
            e: endian,
            is_64,
        };
        // Section names.
        let mut sec_names = vec![".text", ".BTF_ids", ".symtab", ".strtab", ".shstrtab"];
        sec_names.extend(extra.iter().map(|x| x.0));
        let (shstr, sh_off) = strtab(&sec_names);
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
        let mut extra_off = Vec::new();
        for (_, bytes) in extra {
            extra_off.push(w.out.len());
            w.out.extend_from_slice(bytes);
            w.align(8);
        }
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
        for (i, (_, bytes)) in extra.iter().enumerate() {
            shdrs.push((
                sh_off[5 + i],
                1,
                0,
                0,
                extra_off[i],
                bytes.len(),
                0,
                0,
                4,
                0,
            ));
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
pub struct Fixture {
    pub base: Vec<u8>,
    pub split: Vec<u8>,
}

/// Base ids.
pub const INT: u32 = 1;
pub const SOCK: u32 = 2;
pub const TCP_SOCK: u32 = 3;
pub const U64_T: u32 = 5;
pub const THREAD_UNION: u32 = 6;
pub const VMLINUX_FN: u32 = 8;

pub fn fixture(endian: Endian) -> Fixture {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED); // 1
    let sock = b.add_struct("sock", 16); // 2
    b.add_member("refcnt", int, 0, 0).unwrap();
    let tcp_sock = b.add_struct("tcp_sock", 64); // 3: no split type refers to it
    b.add_member("sk", sock, 0, 0).unwrap();
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    let u64_t = b.add_typedef("u64_t", long); // 5, 4 = long
    assert_eq!((u64_t.0, long.0), (U64_T, 4));
    let tu = b.add_union("thread_union", 8); // 6
    b.add_member("x", long, 0, 0).unwrap();
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
    s.add_member("sk", sk_ptr, 0, 0).unwrap();
    s.add_member("x", int, 64, 0).unwrap();
    let proto = s.add_func_proto(int); // 11
    s.add_param("sk", sk_ptr).unwrap();
    s.add_func("bbr_init", 0, proto); // 12
    s.add_func("bbr_main", 0, proto); // 13
    s.add_func("bbr_undo", 0, proto); // 14
    let init = s.add_struct("nf_conn___init", 4); // 15
    s.add_member("x", int, 0, 0).unwrap();
    let _ = (state, init);
    let split = s.to_bytes(endian);
    Fixture { base, split }
}

/// One piece of `.BTF_ids` source, in the order the macros emit it.
pub enum Src {
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

pub fn source() -> Vec<Src> {
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
pub fn assemble(src: &[Src], btf: Option<&Btf<'_>>, endian: Endian) -> (Vec<u8>, Vec<Sym>) {
    let mut data = Vec::new();
    let mut syms = Vec::new();
    let mut counter = 100;
    let mut sets = Vec::new(); // (offset, kind, cnt)
    pub fn emit(
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
