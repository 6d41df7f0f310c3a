//! pahole 1.32's BTF encoder (`btf_encoder.c`) as Linux 7.2's kbuild runs it on a
//! module: types of every unit in table order, functions saved per unit and added at the
//! end (sorted by name, merged across units, skipped when their prototypes disagree or
//! their parameters were optimized in ways BTF cannot describe), per-CPU variables and
//! their DATASEC, `bpf_kfunc` decl tags for the kfuncs `.BTF_ids` names. The output is
//! the split BTF before `btf__dedup`.

use super::load::{self, Cu, Kind, Scope};
use super::{GenError, Problem, ProblemKind};
use crate::dwarf::{DwarfObject, Section, SHT_NOBITS, SHT_PROGBITS, STT_FUNC, STT_OBJECT};
use crate::id::TypeId;
use crate::read::Btf;
use crate::write::Builder;

/// `KSYM_NAME_LEN`: pahole copies names and values into buffers this long.
const KSYM_NAME_LEN: usize = 128;
const KF_FASTCALL: u32 = 1 << 12;
const KF_ARENA_RET: u32 = 1 << 13;
const KF_ARENA_ARG1: u32 = 1 << 14;
const KF_ARENA_ARG2: u32 = 1 << 15;
const BTF_SET8_KFUNCS: u32 = 1;
const PERCPU_SECTION: &[u8] = b".data..percpu";

/// One name of the ELF function table (`struct elf_function`).
#[derive(Debug)]
struct ElfFunction<'a> {
    name: &'a [u8],
    syms: Vec<(&'a [u8], u64)>,
    ambiguous_addr: bool,
    kfunc: bool,
    kfunc_flags: u32,
}

/// A function saved for encoding at the end (`struct btf_encoder_func_state`).
#[derive(Debug)]
struct FuncState {
    elf: u32,
    addr: u64,
    ret_type_id: u32,
    /// Parameter name (a string offset, as pahole keeps it) and type.
    params: Vec<(u32, u32)>,
    /// Decl tag value (a string offset) and component index.
    annots: Vec<(u32, i32)>,
    optimized_parms: bool,
    unexpected_reg: bool,
    inconsistent_proto: bool,
    uncertain_parm_loc: bool,
    reordered_parm: bool,
    signature_changed: bool,
    optimized_symbol: bool,
}

/// A type record seen from `types__match`.
struct TypeView<'v> {
    kind: crate::kind::Kind,
    kflag: bool,
    vlen: u32,
    name: &'v [u8],
    size_or_type: u32,
    tail: std::borrow::Cow<'v, [u32]>,
}

#[derive(Clone, Copy, Debug)]
struct VarSecinfo {
    ty: u32,
    offset: u32,
    size: u32,
}

/// The encoder over one object (`struct btf_encoder`).
pub(crate) struct Encoder<'a, 'b> {
    pub builder: Builder<'b>,
    base: &'b Btf<'b>,
    obj: &'a DwarfObject<'a>,
    type_id_off: u32,
    has_index_type: bool,
    need_index_type: bool,
    array_index_id: u32,
    funcs: Vec<ElfFunction<'a>>,
    states: Vec<FuncState>,
    secinfo: Vec<Vec<VarSecinfo>>,
    include: Vec<bool>,
    nr_register_params: i32,
    /// Object symbols by (section, name), built on first use.
    objects: Option<hashbrown::HashSet<(u32, &'a [u8])>>,
    /// Scratch words for the record being written.
    tail: Vec<u32>,
}

fn name_of(n: Option<&[u8]>) -> &[u8] {
    n.unwrap_or(b"")
}

/// pahole copies names into a `KSYM_NAME_LEN` buffer with `strncpy(.., len - 1)`.
fn ksym(n: &[u8]) -> &[u8] {
    &n[..n.len().min(KSYM_NAME_LEN - 1)]
}

fn str_contains_suffix(s: &[u8], suffixes: &[&[u8]]) -> bool {
    let Some(dot) = memchr::memchr(b'.', s) else {
        return false;
    };
    let suffix = &s[dot..];
    suffixes
        .iter()
        .any(|x| memchr::memmem::find(suffix, x).is_some())
}

impl<'a, 'b> Encoder<'a, 'b> {
    /// `btf_encoder__new`: the ELF function table, the sections, the kfuncs.
    /// `btf_ids` is the `.BTF_ids` to read kfunc flags from (the object's, or as the
    /// compiler left them: [`super::fresh_btf_ids`]).
    pub(crate) fn new(
        obj: &'a DwarfObject<'a>,
        base: &'b Btf<'b>,
        btf_ids: Option<&[u8]>,
    ) -> Result<Self, GenError> {
        let mut enc = Encoder {
            builder: Builder::new_split(base),
            base,
            obj,
            type_id_off: 0,
            has_index_type: false,
            need_index_type: false,
            array_index_id: 0,
            funcs: elf_functions(obj),
            states: Vec::new(),
            secinfo: vec![Vec::new(); obj.sections.len()],
            include: obj
                .sections
                .iter()
                .map(|s| s.name == PERCPU_SECTION)
                .collect(),
            nr_register_params: load::Arch::new(obj.machine, !obj.big_endian).nr_register_params,
            objects: None,
            tail: Vec::new(),
        };
        enc.collect_kfuncs(btf_ids)?;
        Ok(enc)
    }

    /// `btf__add_str`: the offset of `s`, interned on first use (0 for the empty string).
    fn intern(&mut self, s: &[u8]) -> u32 {
        self.builder.add_str_bytes(s).0
    }

    /// A copy of the string at offset `off` (of the base or of the BTF being built).
    fn str_copy(&self, off: u32) -> Vec<u8> {
        let o = crate::id::StrOffset(off);
        self.builder
            .own_str_at(o)
            .or_else(|| self.base.str_at(o))
            .unwrap_or(b"")
            .to_vec()
    }

    /// A type of the BTF built so far or of its base.
    fn view(&self, id: u32) -> Option<TypeView<'_>> {
        if let Some(w) = self.builder.own_type_words(TypeId(id)) {
            if w.len() < 3 {
                return None;
            }
            let info = w[1];
            let name_off = crate::id::StrOffset(w[0]);
            let name = self
                .builder
                .own_str_at(name_off)
                .or_else(|| self.base.str_at(name_off))
                .unwrap_or(b"");
            return Some(TypeView {
                kind: crate::kind::Kind(crate::raw::info_kind(info)),
                kflag: crate::raw::info_kflag(info),
                vlen: crate::raw::info_vlen(info),
                name,
                size_or_type: w[2],
                tail: std::borrow::Cow::Borrowed(&w[3..]),
            });
        }
        let t = self.base.type_by_id(TypeId(id))?;
        let rec = t.record();
        let n = rec.len() / 4;
        let tail: Vec<u32> = (3..n).map(|i| t.u32_at(i * 4)).collect();
        Some(TypeView {
            kind: t.kind(),
            kflag: t.kflag(),
            vlen: t.vlen(),
            name: self.base.name(&t),
            size_or_type: t.size_or_type(),
            tail: std::borrow::Cow::Owned(tail),
        })
    }

    fn find_function(&self, name: &[u8]) -> Option<u32> {
        self.funcs
            .binary_search_by(|f| f.name.cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    /// `btf_encoder__collect_kfuncs`: functions named in a `.BTF_ids` set8 flagged
    /// `BTF_SET8_KFUNCS`, with the flags of their entry. Reads the file as stored
    /// (section-relative symbol values), as pahole reopens the file for this.
    fn collect_kfuncs(&mut self, data: Option<&[u8]>) -> Result<(), GenError> {
        let obj = self.obj;
        let (Some((ids_index, _)), Some(data)) = (&obj.btf_ids, data) else {
            return Ok(());
        };
        let ids_index = *ids_index;
        if !obj.has_symbols() {
            return Ok(());
        }
        // The address as stored: pahole reads this section from a fresh ELF handle.
        let raw_addr = obj.sections[ids_index as usize].raw_addr;
        let word = |off: u64| -> Option<u32> {
            let off = usize::try_from(off).ok()?;
            let b = data.get(off..off.checked_add(4)?)?;
            let a = [b[0], b[1], b[2], b[3]];
            Some(if obj.big_endian {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            })
        };
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for sym in obj.symbols() {
            if sym.shndx != ids_index || !sym.name.starts_with(b"__BTF_ID__set8__") {
                continue;
            }
            let off = sym.value.wrapping_sub(raw_addr) as u32 as i32;
            if off < 0 || off as u64 >= data.len() as u64 {
                continue;
            }
            // struct btf_id_set8 { u32 cnt; u32 flags; ... }
            let flags = word(off as u64 + 4).unwrap_or(0);
            if flags & BTF_SET8_KFUNCS == 0 {
                continue;
            }
            ranges.push((sym.value, sym.value.wrapping_add(sym.size)));
        }
        for sym in obj.symbols() {
            if sym.shndx != ids_index {
                continue;
            }
            let Some(func) = btf_id_func_name(sym.name) else {
                continue;
            };
            let Some(_) = ranges
                .iter()
                .find(|(s, e)| *s <= sym.value && sym.value < *e)
            else {
                continue;
            };
            let off = sym.value.wrapping_sub(raw_addr) as i64;
            if off < 0 || off as u64 + 8 > data.len() as u64 {
                return Err(GenError::KfuncOutsideBtfIds(
                    String::from_utf8_lossy(func).into_owned(),
                ));
            }
            let flags = word(off as u64 + 4).unwrap_or(0);
            if let Some(i) = self.find_function(func) {
                let f = &mut self.funcs[i as usize];
                f.kfunc = true;
                f.kfunc_flags = flags;
            }
        }
        Ok(())
    }

    /// `btf_encoder__encode_cu`.
    pub(crate) fn encode_cu(
        &mut self,
        cu: &Cu<'_>,
        problems: &mut Vec<Problem>,
    ) -> Result<(), GenError> {
        self.type_id_off = self.builder.next_id().0 - 1;
        let off = self.type_id_off;
        if !self.has_index_type {
            let int = cu.types.iter().enumerate().skip(1).find(|(_, t)| {
                t.tag == load::DW_TAG_BASE_TYPE && t.name == Some(b"int".as_slice())
            });
            if let Some((id, _)) = int {
                self.has_index_type = true;
                self.array_index_id = off + id as u32;
            } else {
                self.has_index_type = false;
                self.array_index_id = off + cu.types.len() as u32;
            }
        }
        for id in 1..cu.types.len() {
            self.encode_tag(cu, id, problems)?;
        }
        if self.need_index_type && !self.has_index_type {
            self.builder.add_int("int", 4, crate::raw::INT_SIGNED);
            self.has_index_type = true;
        }
        // Decl tags of structs, unions and typedefs.
        for (id, t) in cu.types.iter().enumerate().skip(1) {
            if !matches!(
                t.tag,
                load::DW_TAG_STRUCTURE_TYPE | load::DW_TAG_UNION_TYPE | load::DW_TAG_TYPEDEF
            ) {
                continue;
            }
            for a in &t.annots {
                self.decl_tag(a.value, off + id as u32, a.component_idx, t.die, t.name)?;
            }
        }
        // Functions, saved for the end.
        let mut packing = super::packed::Packing::new(cu);
        for f in &cu.functions {
            if f.declaration {
                continue;
            }
            if f.params
                .iter()
                .any(|&p| cu.params[p as usize].name.is_none())
            {
                continue;
            }
            let func = if !self.funcs.is_empty() {
                let Some(name) = f.name else { continue };
                match self.find_function(name) {
                    Some(i) => i,
                    None => continue,
                }
            } else {
                continue;
            };
            let uncertain = packing.uncertain_arg_loc(cu, f, self.nr_register_params);
            self.save_func(cu, f, func, uncertain);
        }
        self.encode_variables(cu, problems)?;
        Ok(())
    }

    fn decl_tag(
        &mut self,
        value: Option<&[u8]>,
        ty: u32,
        component_idx: i32,
        die: u64,
        name: Option<&[u8]>,
    ) -> Result<(), GenError> {
        let value = name_of(value);
        if value.is_empty() || component_idx < -1 {
            return Err(GenError::Libbpf {
                what: "DECL_TAG",
                die,
                name: String::from_utf8_lossy(name_of(name)).into_owned(),
                reason: "empty value or bad component index",
            });
        }
        self.builder
            .add_decl_tag(ksym(value), TypeId(ty), component_idx);
        Ok(())
    }

    /// `btf_encoder__encode_tag`: one type-table entry as one BTF record (or none, for
    /// an unspecified type), written as libbpf's `btf__add_*` would write it.
    fn encode_tag(
        &mut self,
        cu: &Cu<'_>,
        id: usize,
        problems: &mut Vec<Problem>,
    ) -> Result<(), GenError> {
        use crate::raw::info;
        let t = &cu.types[id];
        let off = self.type_id_off;
        let r = |ty: u32| if ty == 0 { 0 } else { off + ty };
        let err = |what: &'static str, reason: &'static str| GenError::Libbpf {
            what,
            die: t.die,
            name: String::from_utf8_lossy(name_of(t.name)).into_owned(),
            reason,
        };
        let name = name_of(t.name);
        match t.tag {
            load::DW_TAG_BASE_TYPE => {
                let Kind::Base {
                    bit_size,
                    is_signed,
                    is_bool,
                    float_type,
                } = t.kind
                else {
                    unreachable!()
                };
                let mut encoding = 0u8;
                if is_signed {
                    encoding = crate::raw::INT_SIGNED;
                } else if is_bool {
                    encoding = crate::raw::INT_BOOL;
                } else if float_type != 0 {
                    if float_type == load::BT_FP_SINGLE {
                        let size = (bit_size as u32).div_ceil(8);
                        if name.is_empty() || !matches!(size, 2 | 4 | 8 | 12 | 16) {
                            return Err(err("FLOAT", "invalid name or size"));
                        }
                        let n = self.intern(name);
                        self.builder.add_raw(n, info(16, 0, false), size, &[]);
                        return Ok(());
                    }
                    problems.push(Problem {
                        die: t.die,
                        name: t.name.map(|n| String::from_utf8_lossy(n).into_owned()),
                        kind: ProblemKind::ComplexFloat,
                    });
                    return Err(err(
                        "FLOAT",
                        "complex, interval and imaginary float types are not supported",
                    ));
                }
                let mut byte_sz = (bit_size as u32).div_ceil(8) as u16;
                let mut name = name;
                if byte_sz == 0 || !byte_sz.is_power_of_two() || byte_sz > 16 {
                    name = b"__SANITIZED_FAKE_INT__";
                    byte_sz = 4;
                }
                if name.is_empty() {
                    return Err(err("INT", "no name"));
                }
                let n = self.intern(name);
                let size = byte_sz as u32;
                self.builder.add_raw(
                    n,
                    info(1, 0, false),
                    size,
                    &[((encoding as u32) << 24) | (size * 8)],
                );
            }
            load::DW_TAG_CONST_TYPE => {
                self.builder.add_raw(0, info(10, 0, false), r(t.type_), &[]);
            }
            load::DW_TAG_POINTER_TYPE => {
                self.builder.add_raw(0, info(2, 0, false), r(t.type_), &[]);
            }
            load::DW_TAG_RESTRICT_TYPE => {
                self.builder.add_raw(0, info(11, 0, false), r(t.type_), &[]);
            }
            load::DW_TAG_VOLATILE_TYPE => {
                self.builder.add_raw(0, info(9, 0, false), r(t.type_), &[]);
            }
            load::DW_TAG_TYPEDEF => {
                if name.is_empty() {
                    return Err(err("TYPEDEF", "no name"));
                }
                let n = self.intern(name);
                self.builder.add_raw(n, info(8, 0, false), r(t.type_), &[]);
            }
            load::DW_TAG_LLVM_ANNOTATION => {
                if name.is_empty() {
                    return Err(err("TYPE_TAG", "no value"));
                }
                let n = self.intern(name);
                self.builder.add_raw(n, info(18, 0, false), r(t.type_), &[]);
            }
            load::DW_TAG_STRUCTURE_TYPE | load::DW_TAG_UNION_TYPE | load::DW_TAG_CLASS_TYPE => {
                let Kind::Composite {
                    size,
                    declaration,
                    ref members,
                } = t.kind
                else {
                    unreachable!()
                };
                let is_union = t.tag == load::DW_TAG_UNION_TYPE;
                if declaration {
                    if name.is_empty() {
                        return Err(err("FWD", "no name"));
                    }
                    let n = self.intern(name);
                    self.builder.add_raw(n, info(7, 0, is_union), 0, &[]);
                    return Ok(());
                }
                // btf__add_struct interns the name first, then each field's.
                let n = self.intern(name);
                let mut tail = std::mem::take(&mut self.tail);
                tail.clear();
                let mut vlen = 0u32;
                let mut kflag = false;
                for m in members {
                    if m.tag != load::DW_TAG_MEMBER {
                        continue;
                    }
                    let bit_size = m.bitfield_size as u32;
                    let is_bitfield = bit_size != 0 || m.bit_offset % 8 != 0;
                    if is_bitfield && (bit_size == 0 || m.bit_offset > 0xff_ffff) {
                        self.tail = tail;
                        return Err(err("STRUCT", "invalid bitfield member"));
                    }
                    if is_union && m.bit_offset != 0 {
                        self.tail = tail;
                        return Err(err("UNION", "member at a non-zero offset"));
                    }
                    let mn = self.intern(name_of(m.name));
                    // Member types are not checked for void by pahole: off + 0 it is.
                    tail.extend_from_slice(&[mn, off + m.type_, m.bit_offset | (bit_size << 24)]);
                    vlen += 1;
                    kflag |= bit_size != 0;
                }
                let kind = if is_union { 5 } else { 4 };
                self.builder
                    .add_raw(n, info(kind, vlen, kflag), size, &tail);
                self.tail = tail;
            }
            load::DW_TAG_ARRAY_TYPE => {
                let Kind::Array { ref dims } = t.kind else {
                    unreachable!()
                };
                self.need_index_type = true;
                let mut nelems: u32 = 1;
                for &d in dims.iter().rev() {
                    nelems = nelems.wrapping_mul(d);
                }
                self.builder.add_raw(
                    0,
                    info(3, 0, false),
                    0,
                    &[r(t.type_), self.array_index_id, nelems],
                );
            }
            load::DW_TAG_ENUMERATION_TYPE => {
                let Kind::Enum {
                    size,
                    is_signed,
                    ref values,
                } = t.kind
                else {
                    unreachable!()
                };
                let byte_sz = size.div_ceil(8);
                if byte_sz == 0 || !byte_sz.is_power_of_two() || byte_sz > 8 {
                    return Err(err("ENUM", "invalid size"));
                }
                let enum32 = byte_sz <= 4;
                let n = self.intern(name);
                let mut tail = std::mem::take(&mut self.tail);
                tail.clear();
                let mut kflag = !enum32 && is_signed;
                for v in values {
                    let vname = name_of(v.name);
                    if vname.is_empty() {
                        self.tail = tail;
                        return Err(err("ENUM", "enumerator without a name"));
                    }
                    if size <= 32 {
                        let value = v.value as i64;
                        if !enum32 {
                            self.tail = tail;
                            return Err(err("ENUM", "32-bit value added to an ENUM64"));
                        }
                        if value < i32::MIN as i64 || value > u32::MAX as i64 {
                            self.tail = tail;
                            return Err(err("ENUM", "enumerator value out of range"));
                        }
                        let vn = self.intern(vname);
                        tail.extend_from_slice(&[vn, value as u32]);
                        kflag |= value < 0;
                    } else if enum32 {
                        self.tail = tail;
                        return Err(err("ENUM", "64-bit value added to an ENUM"));
                    } else {
                        let vn = self.intern(vname);
                        tail.extend_from_slice(&[vn, v.value as u32, (v.value >> 32) as u32]);
                    }
                }
                let (kind, per) = if enum32 { (6, 2) } else { (19, 3) };
                let vlen = (tail.len() / per) as u32;
                self.builder
                    .add_raw(n, info(kind, vlen, kflag), byte_sz, &tail);
                self.tail = tail;
            }
            load::DW_TAG_SUBROUTINE_TYPE => {
                let Kind::Proto { ref params, unspec } = t.kind else {
                    unreachable!()
                };
                let mut tail = std::mem::take(&mut self.tail);
                tail.clear();
                for &p in params {
                    let p = &cu.params[p as usize];
                    let pn = self.intern(name_of(p.name));
                    tail.extend_from_slice(&[pn, r(p.type_)]);
                }
                if unspec {
                    tail.extend_from_slice(&[0, 0]);
                }
                let vlen = (tail.len() / 2) as u32;
                self.builder
                    .add_raw(0, info(13, vlen, false), r(t.type_), &tail);
                self.tail = tail;
            }
            load::DW_TAG_UNSPECIFIED_TYPE => {
                // Encoded as nothing: references to it read as void.
            }
            tag => {
                problems.push(Problem {
                    die: t.die,
                    name: t.name.map(|n| String::from_utf8_lossy(n).into_owned()),
                    kind: ProblemKind::Unsupported(tag),
                });
                return Err(GenError::Unsupported {
                    tag: load::tag_name(tag),
                    die: t.die,
                });
            }
        }
        Ok(())
    }

    /// `btf_encoder__save_func`.
    fn save_func(&mut self, cu: &Cu<'_>, f: &load::Function<'_>, func: u32, uncertain: bool) {
        let off = self.type_id_off;
        let elf = &self.funcs[func as usize];
        let addr = f.addr;
        let mut optimized_symbol = false;
        if addr != 0 {
            for &(name, a) in &elf.syms {
                if a != addr {
                    continue;
                }
                if str_contains_suffix(name, &[b".constprop", b".isra"]) {
                    optimized_symbol = true;
                    break;
                }
            }
        }
        // pahole interns the names now (btf__add_str), whether or not the function is
        // encoded in the end: libbpf keeps them, so their place in the string section is
        // decided here.
        let mut params = Vec::with_capacity(f.params.len() + 1);
        for &pi in &f.params {
            let p = &cu.params[pi as usize];
            if f.reordered_parm && (!p.has_loc || p.optimized) {
                continue;
            }
            let ty = if p.type_ == 0 { 0 } else { off + p.type_ };
            let n = self.intern(name_of(p.name));
            params.push((n, ty));
        }
        if f.unspec_parms {
            params.push((0, 0));
        }
        let mut annots = Vec::with_capacity(f.annots.len());
        for a in &f.annots {
            let v = self.intern(name_of(a.value));
            annots.push((v, a.component_idx));
        }
        self.states.push(FuncState {
            elf: func,
            addr,
            ret_type_id: if f.ret == 0 { 0 } else { off + f.ret },
            params,
            annots,
            optimized_parms: f.optimized_parms,
            unexpected_reg: f.unexpected_reg,
            inconsistent_proto: false,
            uncertain_parm_loc: uncertain,
            reordered_parm: f.reordered_parm,
            signature_changed: f.signature_changed,
            optimized_symbol,
        });
    }

    /// `btf_encoder__encode_cu_variables`: the per-CPU variables.
    fn encode_variables(
        &mut self,
        cu: &Cu<'_>,
        problems: &mut Vec<Problem>,
    ) -> Result<(), GenError> {
        if !self.obj.has_symbols() {
            return Ok(());
        }
        let off = self.type_id_off;
        for v in &cu.variables {
            if v.declaration && v.spec.is_none() {
                continue;
            }
            if !v.top_level || v.artificial || v.scope != Scope::Global {
                continue;
            }
            let mut addr = v.addr;
            let shndx = get_elf_section(&self.obj.sections, addr);
            if shndx == 0 || !self.include[shndx] {
                continue;
            }
            addr = addr.wrapping_sub(self.obj.sections[shndx].addr);
            let var = match v.spec {
                Some(s) => &cu.variables[s as usize],
                None => v,
            };
            let Some(name) = var.name else { continue };
            if filter_variable_name(name) {
                continue;
            }
            if addr == 0 && !self.variable_in_sec(name, shndx as u32) {
                continue;
            }
            if !btf_name_valid(name) {
                // --btf_encode_force: skipped
                problems.push(Problem {
                    die: v.die,
                    name: Some(String::from_utf8_lossy(name).into_owned()),
                    kind: ProblemKind::InvalidName,
                });
                continue;
            }
            if var.type_ == 0 {
                // "found variable in CU that has void type"; forced: skipped.
                problems.push(Problem {
                    die: v.die,
                    name: Some(String::from_utf8_lossy(name).into_owned()),
                    kind: ProblemKind::VoidVariable,
                });
                continue;
            }
            let size = load::tag_size(cu, var.type_, 0);
            if size == 0 || size > u32::MAX as u64 {
                continue;
            }
            if addr > u32::MAX as u64 {
                continue;
            }
            let linkage = if var.external { 1 } else { 0 };
            let id = self.builder.add_var(name, linkage, TypeId(off + var.type_));
            for a in &var.annots {
                self.decl_tag(a.value, id.0, a.component_idx, var.die, var.name)?;
            }
            self.secinfo[shndx].push(VarSecinfo {
                ty: id.0,
                offset: addr as u32,
                size: size as u32,
            });
        }
        Ok(())
    }

    /// `variable_in_sec`: is there an object symbol `name` in section `shndx`?
    fn variable_in_sec(&mut self, name: &[u8], shndx: u32) -> bool {
        let obj = self.obj;
        let set = self.objects.get_or_insert_with(|| {
            obj.symbols()
                .filter(|s| s.st_type == STT_OBJECT)
                .map(|s| (s.shndx, s.name))
                .collect()
        });
        set.contains(&(shndx, name))
    }

    /// `btf_encoder__encode`: the saved functions, then the DATASECs.
    pub(crate) fn finish(&mut self) -> Result<(), GenError> {
        self.add_saved_funcs()?;
        for shndx in 1..self.secinfo.len() {
            if self.secinfo[shndx].is_empty() {
                continue;
            }
            let mut infos = std::mem::take(&mut self.secinfo[shndx]);
            infos.sort_by(|a, b| {
                // btf_var_secinfo_cmp: (int)(a->offset - b->offset), stable sort
                let d = a.offset.wrapping_sub(b.offset) as i32;
                d.cmp(&0)
            });
            let last = infos.last().expect("non-empty");
            let size = last.offset.wrapping_add(last.size);
            let name = &self.obj.sections[shndx].name;
            self.builder.add_datasec(name, size);
            for i in &infos {
                self.builder.add_secinfo(TypeId(i.ty), i.offset, i.size)?;
            }
        }
        Ok(())
    }

    fn funcs_match(&self, a: &FuncState, b: &FuncState) -> bool {
        if a.params.len() != b.params.len() {
            return false;
        }
        if !self.types_match(a.ret_type_id, b.ret_type_id, 0) {
            return false;
        }
        a.params
            .iter()
            .zip(&b.params)
            .all(|(x, y)| self.types_match(x.1, y.1, 0))
    }

    /// `types__match` over the BTF built so far (and its base).
    fn types_match(&self, mut id1: u32, mut id2: u32, depth: u32) -> bool {
        use crate::kind::Kind as K;
        if depth > 64 {
            return false;
        }
        let mut guard = 0;
        loop {
            guard += 1;
            if guard > 4096 {
                return false;
            }
            if id1 == id2 {
                return true;
            }
            if id1 == 0 || id2 == 0 {
                return id1 == id2;
            }
            let (Some(t1), Some(t2)) = (self.view(id1), self.view(id2)) else {
                return false;
            };
            let fwd_kind = |t: &TypeView<'_>| {
                if t.kind == K::FWD {
                    if t.kflag {
                        K::UNION
                    } else {
                        K::STRUCT
                    }
                } else {
                    t.kind
                }
            };
            let k1 = fwd_kind(&t1);
            let k2 = fwd_kind(&t2);
            if k1 != k2 {
                if k1 == K::CONST {
                    id1 = t1.size_or_type;
                    continue;
                }
                if k2 == K::CONST {
                    id2 = t2.size_or_type;
                    continue;
                }
                return false;
            }
            match k1 {
                K::INT => {
                    return t1.size_or_type == t2.size_or_type
                        && t1.tail.first() == t2.tail.first()
                        && t1.name == t2.name;
                }
                K::FLOAT => return t1.size_or_type == t2.size_or_type && t1.name == t2.name,
                K::TYPEDEF | K::STRUCT | K::UNION | K::ENUM | K::ENUM64 => {
                    return t1.name == t2.name
                }
                K::PTR | K::VOLATILE | K::CONST | K::RESTRICT | K::TYPE_TAG => {
                    id1 = t1.size_or_type;
                    id2 = t2.size_or_type;
                }
                K::ARRAY => {
                    // btf_array { type, index_type, nelems }
                    if t1.tail.get(2) != t2.tail.get(2) {
                        return false;
                    }
                    id1 = t1.tail.first().copied().unwrap_or(0);
                    id2 = t2.tail.first().copied().unwrap_or(0);
                }
                K::FUNC_PROTO => {
                    if t1.vlen != t2.vlen {
                        return false;
                    }
                    if !self.types_match(t1.size_or_type, t2.size_or_type, depth + 1) {
                        return false;
                    }
                    for i in 0..t1.vlen as usize {
                        let p1 = t1.tail.get(i * 2 + 1).copied().unwrap_or(0);
                        let p2 = t2.tail.get(i * 2 + 1).copied().unwrap_or(0);
                        if !self.types_match(p1, p2, depth + 1) {
                            return false;
                        }
                    }
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// `btf_encoder__add_saved_funcs`.
    fn add_saved_funcs(&mut self) -> Result<(), GenError> {
        let mut states = std::mem::take(&mut self.states);
        // qsort by name: glibc's qsort is a stable merge sort.
        states.sort_by(|a, b| {
            self.funcs[a.elf as usize]
                .name
                .cmp(self.funcs[b.elf as usize].name)
        });
        let n = states.len();
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n && states[j].elf == states[i].elf {
                // saved_functions_combine(a = states[i], b = states[j])
                let (a, b) = (&states[i], &states[j]);
                let unexpected = a.unexpected_reg | b.unexpected_reg;
                let mut inconsistent = a.inconsistent_proto | b.inconsistent_proto;
                let uncertain = a.uncertain_parm_loc | b.uncertain_parm_loc;
                let reordered = a.reordered_parm | b.reordered_parm;
                if !unexpected && !inconsistent && !reordered && !self.funcs_match(a, b) {
                    inconsistent = true;
                }
                for k in [i, j] {
                    let s = &mut states[k];
                    s.unexpected_reg = unexpected;
                    s.inconsistent_proto = inconsistent;
                    s.uncertain_parm_loc = uncertain;
                    s.reordered_parm = reordered;
                }
                j += 1;
            }
            let canonical = if j - i > 1 {
                self.select_canonical_state(&states[i..j]) + i
            } else {
                i
            };
            let state = &states[i];
            let elf = &self.funcs[state.elf as usize];
            let skip = state.unexpected_reg
                || state.inconsistent_proto
                || state.uncertain_parm_loc
                || state.reordered_parm
                || skip_optimized_parms(&states[canonical])
                || elf.ambiguous_addr;
            if !skip {
                let s = &states[canonical];
                if self.funcs[s.elf as usize].kfunc {
                    self.add_bpf_kfunc(s)?;
                } else {
                    self.add_func(
                        s,
                        s.ret_type_id,
                        &s.params.iter().map(|p| p.1).collect::<Vec<_>>(),
                    )?;
                }
            }
            i = j;
        }
        Ok(())
    }

    /// `btf_encoder__select_canonical_state`: the first state whose address is one of
    /// the function's symbols' and whose optimized parameters do not disqualify it, else
    /// the first whose address matches, else the first.
    fn select_canonical_state(&self, states: &[FuncState]) -> usize {
        let elf = &self.funcs[states[0].elf as usize];
        let mut first = None;
        for (i, s) in states.iter().enumerate() {
            for &(_, a) in &elf.syms {
                if s.addr != a {
                    continue;
                }
                if first.is_none() {
                    first = Some(i);
                }
                if !skip_optimized_parms(s) {
                    return i;
                }
            }
        }
        first.unwrap_or(0)
    }

    /// `btf_encoder__add_bpf_kfunc`.
    fn add_bpf_kfunc(&mut self, s: &FuncState) -> Result<(), GenError> {
        let elf = &self.funcs[s.elf as usize];
        let flags = elf.kfunc_flags;
        let fname = elf.name;
        let mut ret = s.ret_type_id;
        let mut params: Vec<u32> = s.params.iter().map(|p| p.1).collect();
        let arena = |enc: &mut Self, id: u32| -> Result<u32, GenError> {
            let Some(t) = enc.view(id) else {
                return Err(GenError::KfuncArena(
                    String::from_utf8_lossy(fname).into_owned(),
                ));
            };
            if t.kind != crate::kind::Kind::PTR {
                return Err(GenError::KfuncArena(
                    String::from_utf8_lossy(fname).into_owned(),
                ));
            }
            let tagged = enc
                .builder
                .add_type_attr("address_space(1)", TypeId(t.size_or_type));
            Ok(enc.builder.add_ptr(tagged).0)
        };
        if flags & KF_ARENA_RET != 0 {
            ret = arena(self, ret)?;
        }
        if flags & KF_ARENA_ARG1 != 0 {
            let p = *params
                .first()
                .ok_or_else(|| GenError::KfuncArena(String::from_utf8_lossy(fname).into_owned()))?;
            params[0] = arena(self, p)?;
        }
        if flags & KF_ARENA_ARG2 != 0 {
            let p = *params
                .get(1)
                .ok_or_else(|| GenError::KfuncArena(String::from_utf8_lossy(fname).into_owned()))?;
            params[1] = arena(self, p)?;
        }
        let fn_id = self.add_func(s, ret, &params)?;
        self.builder.add_decl_tag("bpf_kfunc", fn_id, -1);
        if flags & KF_FASTCALL != 0 {
            self.builder.add_decl_tag("bpf_fastcall", fn_id, -1);
        }
        Ok(())
    }

    /// `btf_encoder__add_func`: FUNC_PROTO, FUNC (static), decl tags.
    fn add_func(
        &mut self,
        s: &FuncState,
        ret: u32,
        param_types: &[u32],
    ) -> Result<TypeId, GenError> {
        let name = self.funcs[s.elf as usize].name;
        self.builder.add_func_proto(TypeId(ret));
        for (p, &ty) in s.params.iter().zip(param_types) {
            // pahole copies the name out first (adding may move the strings).
            let name = self.str_copy(p.0);
            self.builder.add_param(ksym(&name), TypeId(ty))?;
        }
        let proto = TypeId(self.builder.next_id().0 - 1);
        if name.is_empty() {
            return Err(GenError::Libbpf {
                what: "FUNC",
                die: 0,
                name: String::new(),
                reason: "no name",
            });
        }
        let id = self.builder.add_func(name, 0, proto);
        for &(value_off, idx) in &s.annots {
            let value = self.str_copy(value_off);
            if value.is_empty() || idx < -1 {
                return Err(GenError::Libbpf {
                    what: "DECL_TAG",
                    die: 0,
                    name: String::from_utf8_lossy(name).into_owned(),
                    reason: "empty value or bad component index",
                });
            }
            self.builder.add_decl_tag(ksym(&value), id, idx);
        }
        Ok(id)
    }
}

/// `btf_encoder_func_state__skip_optimized_parms` (no `true_signature`).
fn skip_optimized_parms(s: &FuncState) -> bool {
    s.optimized_parms && (s.signature_changed || s.optimized_symbol)
}

/// `get_elf_section`: the first PROGBITS/NOBITS section holding `addr`.
fn get_elf_section(sections: &[Section], addr: u64) -> usize {
    for (i, s) in sections.iter().enumerate().skip(1) {
        if s.sh_type != SHT_PROGBITS && s.sh_type != SHT_NOBITS {
            continue;
        }
        if s.addr <= addr && addr.wrapping_sub(s.addr) < s.size {
            return i;
        }
    }
    0
}

/// `filter_variable_name`.
fn filter_variable_name(name: &[u8]) -> bool {
    if name.first() != Some(&b'_') {
        return false;
    }
    const SKIP: &[&[u8]] = &[
        b"__UNIQUE_ID",
        b"__tpstrtab_",
        b"__exitcall_",
        b"__gendwarfksyms_ptr_",
        b"__func_stack_frame_non_standard_",
    ];
    SKIP.iter().any(|p| name.starts_with(p))
}

/// `btf_name_valid`.
fn btf_name_valid(name: &[u8]) -> bool {
    let ok = |c: u8, first: bool| {
        c == b'_'
            || c == b'.'
            || if first {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
    };
    let Some(&c0) = name.first() else {
        return false;
    };
    if !ok(c0, true) {
        return false;
    }
    if name.len() > KSYM_NAME_LEN {
        // pahole stops checking at KSYM_NAME_LEN and then requires the string to end.
        return false;
    }
    name[1..].iter().all(|&c| ok(c, false))
}

/// `get_func_name`: `__BTF_ID__func__NAME__N` to `NAME`.
fn btf_id_func_name(sym: &[u8]) -> Option<&[u8]> {
    let rest = sym.strip_prefix(b"__BTF_ID__func__")?;
    memchr::memmem::find(rest, b"__")?;
    let end = memchr::memrchr(b'_', rest)?;
    if end == 0 || rest[end - 1] != b'_' {
        return None;
    }
    Some(&rest[..end - 1])
}

/// `elf_functions__collect`: function symbols grouped by name without suffix, sorted.
fn elf_functions<'a>(obj: &'a DwarfObject<'a>) -> Vec<ElfFunction<'a>> {
    let mut entries: Vec<ElfFunction<'_>> = Vec::new();
    for sym in obj.symbols() {
        if sym.st_type != STT_FUNC || sym.name.is_empty() {
            continue;
        }
        if str_contains_suffix(sym.name, &[b".cold", b".part"]) {
            continue;
        }
        let name = match memchr::memchr(b'.', sym.name) {
            Some(d) => &sym.name[..d],
            None => sym.name,
        };
        entries.push(ElfFunction {
            name,
            syms: vec![(sym.name, sym.value)],
            ambiguous_addr: false,
            kfunc: false,
            kfunc_flags: 0,
        });
    }
    // qsort by name (a stable merge sort in glibc).
    entries.sort_by(|a, b| a.name.cmp(b.name));
    let mut out: Vec<ElfFunction<'_>> = Vec::with_capacity(entries.len());
    for e in entries {
        match out.last_mut() {
            Some(last) if last.name == e.name => last.syms.extend(e.syms),
            _ => {
                // The previous name is complete: check it (pahole never checks the
                // last one).
                if let Some(last) = out.last_mut() {
                    last.ambiguous_addr = ambiguous(&last.syms);
                }
                out.push(e);
            }
        }
    }
    out
}

/// `elf_function__has_ambiguous_address`.
fn ambiguous(syms: &[(&[u8], u64)]) -> bool {
    if syms.len() <= 1 {
        return false;
    }
    let mut addr = 0u64;
    for &(_, a) in syms {
        if addr != 0 && addr != a {
            return true;
        }
        addr = a;
    }
    false
}
