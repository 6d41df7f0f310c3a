//! pahole 1.32's DWARF loader (`dwarf_loader.c`), as far as BTF encoding sees it: one
//! compile unit becomes a table of types (the ids the encoder turns into BTF ids), the
//! functions and the variables, with type references resolved ("recoded") inside the
//! unit, parameter locations analysed and member bit offsets computed. The order in which
//! pahole adds types to its table is kept exactly (nested types before the type that
//! contains them, type tags before their pointer), and so are its quirks: a reference
//! that does not resolve inside the unit becomes `void`, a DIE pahole does not know is
//! skipped, a value is read the way libdw reads its form.

use super::expr::{self, Op};
use super::{Problem, ProblemKind};
use crate::dwarf::Reader;
use gimli::{AttributeValue, DebuggingInformationEntry, UnitOffset};
use hashbrown::HashMap;

type Die<'a, 'u> = DebuggingInformationEntry<'u, 'u, Reader<'a>>;

// DWARF tags pahole distinguishes.
pub(crate) const DW_TAG_ARRAY_TYPE: u16 = 0x01;
pub(crate) const DW_TAG_CLASS_TYPE: u16 = 0x02;
pub(crate) const DW_TAG_ENUMERATION_TYPE: u16 = 0x04;
pub(crate) const DW_TAG_FORMAL_PARAMETER: u16 = 0x05;
pub(crate) const DW_TAG_IMPORTED_DECLARATION: u16 = 0x08;
pub(crate) const DW_TAG_LABEL: u16 = 0x0a;
pub(crate) const DW_TAG_LEXICAL_BLOCK: u16 = 0x0b;
pub(crate) const DW_TAG_MEMBER: u16 = 0x0d;
pub(crate) const DW_TAG_POINTER_TYPE: u16 = 0x0f;
pub(crate) const DW_TAG_REFERENCE_TYPE: u16 = 0x10;
pub(crate) const DW_TAG_COMPILE_UNIT: u16 = 0x11;
pub(crate) const DW_TAG_STRING_TYPE: u16 = 0x12;
pub(crate) const DW_TAG_STRUCTURE_TYPE: u16 = 0x13;
pub(crate) const DW_TAG_SUBROUTINE_TYPE: u16 = 0x15;
pub(crate) const DW_TAG_TYPEDEF: u16 = 0x16;
pub(crate) const DW_TAG_UNION_TYPE: u16 = 0x17;
pub(crate) const DW_TAG_UNSPECIFIED_PARAMETERS: u16 = 0x18;
pub(crate) const DW_TAG_INHERITANCE: u16 = 0x1c;
pub(crate) const DW_TAG_INLINED_SUBROUTINE: u16 = 0x1d;
pub(crate) const DW_TAG_PTR_TO_MEMBER_TYPE: u16 = 0x1f;
pub(crate) const DW_TAG_SUBRANGE_TYPE: u16 = 0x21;
pub(crate) const DW_TAG_BASE_TYPE: u16 = 0x24;
pub(crate) const DW_TAG_CONST_TYPE: u16 = 0x26;
pub(crate) const DW_TAG_ENUMERATOR: u16 = 0x28;
pub(crate) const DW_TAG_SUBPROGRAM: u16 = 0x2e;
pub(crate) const DW_TAG_TEMPLATE_TYPE_PARAMETER: u16 = 0x2f;
pub(crate) const DW_TAG_TEMPLATE_VALUE_PARAMETER: u16 = 0x30;
pub(crate) const DW_TAG_VARIABLE: u16 = 0x34;
pub(crate) const DW_TAG_VOLATILE_TYPE: u16 = 0x35;
pub(crate) const DW_TAG_DWARF_PROCEDURE: u16 = 0x36;
pub(crate) const DW_TAG_RESTRICT_TYPE: u16 = 0x37;
pub(crate) const DW_TAG_INTERFACE_TYPE: u16 = 0x38;
pub(crate) const DW_TAG_NAMESPACE: u16 = 0x39;
pub(crate) const DW_TAG_IMPORTED_MODULE: u16 = 0x3a;
pub(crate) const DW_TAG_UNSPECIFIED_TYPE: u16 = 0x3b;
pub(crate) const DW_TAG_PARTIAL_UNIT: u16 = 0x3c;
pub(crate) const DW_TAG_IMPORTED_UNIT: u16 = 0x3d;
pub(crate) const DW_TAG_CONSTANT: u16 = 0x3f;
pub(crate) const DW_TAG_TYPE_UNIT: u16 = 0x41;
pub(crate) const DW_TAG_RVALUE_REFERENCE_TYPE: u16 = 0x42;
pub(crate) const DW_TAG_ATOMIC_TYPE: u16 = 0x47;
pub(crate) const DW_TAG_CALL_SITE: u16 = 0x48;
pub(crate) const DW_TAG_CALL_SITE_PARAMETER: u16 = 0x49;
pub(crate) const DW_TAG_SKELETON_UNIT: u16 = 0x4a;
pub(crate) const DW_TAG_GNU_TEMPLATE_TEMPLATE_PARAM: u16 = 0x4106;
pub(crate) const DW_TAG_GNU_TEMPLATE_PARAMETER_PACK: u16 = 0x4107;
pub(crate) const DW_TAG_GNU_FORMAL_PARAMETER_PACK: u16 = 0x4108;
pub(crate) const DW_TAG_GNU_CALL_SITE: u16 = 0x4109;
pub(crate) const DW_TAG_GNU_CALL_SITE_PARAMETER: u16 = 0x410a;
pub(crate) const DW_TAG_LLVM_ANNOTATION: u16 = 0x6000;
pub(crate) const DW_TAG_GNU_ANNOTATION: u16 = 0x6001;
pub(crate) const DW_TAG_VARIANT_PART: u16 = 0x33;

const DW_ATE_BOOLEAN: u64 = 0x02;
const DW_ATE_COMPLEX_FLOAT: u64 = 0x03;
const DW_ATE_FLOAT: u64 = 0x04;
const DW_ATE_SIGNED: u64 = 0x05;
const DW_ATE_SIGNED_CHAR: u64 = 0x06;
const DW_ATE_IMAGINARY_FLOAT: u64 = 0x09;

const DW_LANG_RUST: u64 = 0x1c;
const DW_CC_NOCALL: u64 = 0x3;

/// pahole's `BT_FP_*` float kinds (only the encoder's distinction matters).
pub(crate) const BT_FP_SINGLE: u8 = 1;
pub(crate) const BT_FP_CMPLX: u8 = 4;
pub(crate) const BT_FP_IMGRY: u8 = 11;

/// `PARAMETER_UNKNOWN_REG`.
const UNKNOWN_REG: i32 = -1;

/// Deepest DIE nesting followed, against hostile input.
const MAX_DEPTH: u32 = 128;

/// A reference attribute, as a `.debug_info` offset (0: none), and whether it was a
/// type-unit signature (`DW_FORM_ref_sig8`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ref {
    pub off: u64,
    pub sig8: bool,
}

/// What a type-table entry is, with the data the encoder needs.
#[derive(Debug)]
pub(crate) enum Kind<'a> {
    /// `DW_TAG_base_type`.
    Base {
        bit_size: u16,
        is_signed: bool,
        is_bool: bool,
        float_type: u8,
    },
    /// `DW_TAG_structure_type` / `class_type` / `interface_type` / `union_type`.
    Composite {
        size: u32,
        declaration: bool,
        members: Vec<Member<'a>>,
    },
    /// `DW_TAG_enumeration_type` (`size` in bits, 32 when DWARF gives none).
    Enum {
        size: u32,
        is_signed: bool,
        values: Vec<Enumerator<'a>>,
    },
    /// `DW_TAG_array_type`.
    Array { dims: Vec<u32> },
    /// `DW_TAG_subroutine_type`.
    Proto { params: Vec<u32>, unspec: bool },
    /// Every other tag: modifiers, typedefs, type tags, unsupported types.
    Plain,
}

/// A type-table entry (`struct tag` of a type).
#[derive(Debug)]
pub(crate) struct TypeEntry<'a> {
    /// DIE offset in `.debug_info` (0 for entries pahole synthesises).
    pub die: u64,
    /// The DWARF tag (`DW_TAG_GNU_annotation` normalized to `DW_TAG_LLVM_annotation`).
    pub tag: u16,
    /// `DW_AT_name` (for a type tag: its value).
    pub name: Option<&'a [u8]>,
    /// The referenced type's table id after recoding (0: void).
    pub type_: u32,
    raw_type: Ref,
    spec: Ref,
    /// `btf_decl_tag` annotations (structs, unions, typedefs).
    pub annots: Vec<Annot<'a>>,
    /// For a pointer with type tags: the tag entries, in chain order.
    btf_type_tags: Vec<u32>,
    pub kind: Kind<'a>,
    recoded: bool,
}

/// A struct or union member (`struct class_member`, data members only matter).
#[derive(Debug)]
pub(crate) struct Member<'a> {
    pub tag: u16,
    pub name: Option<&'a [u8]>,
    pub type_: u32,
    raw_type: Ref,
    pub bit_offset: u32,
    pub bitfield_size: u8,
    pub(crate) byte_offset: u32,
    bitfield_offset: i8,
    pub(crate) byte_size: u64,
    has_bit_offset: bool,
    pub(crate) is_static: bool,
}

/// An enumerator.
#[derive(Debug)]
pub(crate) struct Enumerator<'a> {
    pub name: Option<&'a [u8]>,
    pub value: u64,
}

/// A `btf_decl_tag` annotation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Annot<'a> {
    pub value: Option<&'a [u8]>,
    pub component_idx: i32,
}

/// A formal parameter (`struct parameter`).
#[derive(Debug)]
pub(crate) struct Param<'a> {
    /// DIE offset (for reports).
    #[allow(dead_code)]
    die: u64,
    pub name: Option<&'a [u8]>,
    pub type_: u32,
    raw_type: Ref,
    origin: Ref,
    idx: u8,
    loc_reg: i32,
    type_byte_size: u16,
    has_const_value: bool,
    loc_const_value: bool,
    loc_stack: bool,
    pub optimized: bool,
    unexpected_reg: bool,
    pub has_loc: bool,
    passed_in_memory: bool,
}

/// A function (`struct function`).
#[derive(Debug)]
pub(crate) struct Function<'a> {
    #[allow(dead_code)]
    pub die: u64,
    pub name: Option<&'a [u8]>,
    pub declaration: bool,
    /// `DW_AT_external` (used only when the object has no function symbols).
    #[allow(dead_code)]
    pub external: bool,
    has_abstract_origin: bool,
    origin: Ref,
    spec: Ref,
    /// `DW_AT_low_pc`, 0 when absent.
    pub addr: u64,
    /// Return type id (0: void).
    pub ret: u32,
    raw_type: Ref,
    pub params: Vec<u32>,
    pub unspec_parms: bool,
    pub annots: Vec<Annot<'a>>,
    pub optimized_parms: bool,
    pub unexpected_reg: bool,
    pub reordered_parm: bool,
    pub signature_changed: bool,
}

/// Where a variable lives (`enum vscope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Unknown,
    Global,
    Register,
    Local,
    Optimized,
}

/// A variable (`struct variable`).
#[derive(Debug)]
pub(crate) struct Variable<'a> {
    pub die: u64,
    pub name: Option<&'a [u8]>,
    pub type_: u32,
    raw_type: Ref,
    pub external: bool,
    pub declaration: bool,
    has_specification: bool,
    spec_ref: Ref,
    /// The variable `DW_AT_specification` names, once recoded.
    pub spec: Option<u32>,
    pub artificial: bool,
    pub top_level: bool,
    pub scope: Scope,
    pub addr: u64,
    pub annots: Vec<Annot<'a>>,
}

/// What a DIE offset names in pahole's "tags" hash (non-type tags).
#[derive(Clone, Copy, Debug)]
enum TagRef {
    Param(u32),
    Func(u32),
    Var(u32),
    Other,
}

/// One compile unit as pahole's encoder sees it.
#[derive(Debug)]
pub(crate) struct Cu<'a> {
    /// `DW_AT_name` of the unit.
    pub name: Option<&'a [u8]>,
    /// The type table; entry 0 is `void`.
    pub types: Vec<TypeEntry<'a>>,
    /// Functions, in table order.
    pub functions: Vec<Function<'a>>,
    /// Variables, in table order.
    pub variables: Vec<Variable<'a>>,
    /// Parameters of functions and subroutine types.
    pub params: Vec<Param<'a>>,
    pub addr_size: u8,
    /// Whether the unit's producer is clang.
    pub producer_clang: bool,
}

/// Machine facts the parameter analysis needs (`cu__set_common`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arch {
    pub little_endian: bool,
    pub nr_register_params: i32,
    pub register_params: [i32; 8],
    pub agg_use_two_regs: bool,
}

impl Arch {
    /// `arch__nr_register_params`, `arch__set_register_params`, `arch__agg_use_two_regs`.
    pub(crate) fn new(machine: u16, little_endian: bool) -> Arch {
        let nr = match machine {
            22 => 5,          // S390
            2 | 43 | 62 => 6, // SPARC, SPARCV9, X86_64
            183 | 45 | 40 | 8 | 20 | 21 | 243 => 8,
            _ => 0,
        };
        let op = |r: u8| (expr::DW_OP_REG0 + r) as i32;
        let mut regs = [-1i32; 8];
        match machine {
            22 => {
                for (i, r) in [2u8, 3, 4, 5, 6].iter().enumerate() {
                    regs[i] = op(*r);
                }
            }
            62 => {
                for (i, r) in [5u8, 4, 1, 2, 8, 9].iter().enumerate() {
                    regs[i] = op(*r);
                }
            }
            40 | 183 => {
                for (i, reg) in regs.iter_mut().enumerate() {
                    *reg = op(i as u8);
                }
            }
            _ => {}
        }
        Arch {
            little_endian,
            nr_register_params: nr,
            register_params: regs,
            agg_use_two_regs: machine != 22,
        }
    }
}

/// Everything a unit needs to read DIEs beyond the one being processed.
pub(crate) struct UnitCtx<'a, 'd> {
    pub dwarf: &'d gimli::Dwarf<Reader<'a>>,
    /// The units loaded together: one, or every unit of an LTO object (pahole's merged
    /// CU); `unit` is the one being processed.
    pub units: &'d [gimli::Unit<Reader<'a>>],
    pub unit: &'d gimli::Unit<Reader<'a>>,
    /// Where the `.debug_info` the units were read from starts in the section (the
    /// offset of the one unit when units are read one at a time).
    pub info_base: u64,
    pub big_endian: bool,
    pub arch: Arch,
}

fn unit_base(unit: &gimli::Unit<Reader<'_>>) -> u64 {
    match unit.header.offset() {
        gimli::UnitSectionOffset::DebugInfoOffset(o) => o.0 as u64,
        gimli::UnitSectionOffset::DebugTypesOffset(o) => o.0 as u64,
    }
}

const DW_AT_GNU_ANNOTATION: gimli::DwAt = gimli::DwAt(0x2139);

/// The attributes pahole reads, taken in one pass over a DIE (raw forms).
#[derive(Default)]
pub(crate) struct Attrs<'a> {
    name: Option<AttributeValue<Reader<'a>>>,
    type_: Option<AttributeValue<Reader<'a>>>,
    abstract_origin: Option<AttributeValue<Reader<'a>>>,
    specification: Option<AttributeValue<Reader<'a>>>,
    byte_size: Option<AttributeValue<Reader<'a>>>,
    encoding: Option<AttributeValue<Reader<'a>>>,
    bit_size: Option<AttributeValue<Reader<'a>>>,
    bit_offset: Option<AttributeValue<Reader<'a>>>,
    data_bit_offset: Option<AttributeValue<Reader<'a>>>,
    data_member_location: Option<AttributeValue<Reader<'a>>>,
    const_value: Option<AttributeValue<Reader<'a>>>,
    upper_bound: Option<AttributeValue<Reader<'a>>>,
    count: Option<AttributeValue<Reader<'a>>>,
    declaration: Option<AttributeValue<Reader<'a>>>,
    external: bool,
    artificial: bool,
    inline: Option<AttributeValue<Reader<'a>>>,
    calling_convention: Option<AttributeValue<Reader<'a>>>,
    location: Option<gimli::Attribute<Reader<'a>>>,
    low_pc: Option<AttributeValue<Reader<'a>>>,
    gnu_annotation: Option<AttributeValue<Reader<'a>>>,
    language: Option<AttributeValue<Reader<'a>>>,
    producer: Option<AttributeValue<Reader<'a>>>,
}

/// Reads the attributes of `die` (the first of each name wins, as in libdw).
pub(crate) fn attrs<'a>(die: &Die<'a, '_>) -> Attrs<'a> {
    let mut a = Attrs::default();
    let mut it = die.attrs();
    while let Ok(Some(at)) = it.next() {
        let v = at.raw_value();
        let slot = match at.name() {
            gimli::DW_AT_name => &mut a.name,
            gimli::DW_AT_type => &mut a.type_,
            gimli::DW_AT_abstract_origin => &mut a.abstract_origin,
            gimli::DW_AT_specification => &mut a.specification,
            gimli::DW_AT_byte_size => &mut a.byte_size,
            gimli::DW_AT_encoding => &mut a.encoding,
            gimli::DW_AT_bit_size => &mut a.bit_size,
            gimli::DW_AT_bit_offset => &mut a.bit_offset,
            gimli::DW_AT_data_bit_offset => &mut a.data_bit_offset,
            gimli::DW_AT_data_member_location => &mut a.data_member_location,
            gimli::DW_AT_const_value => &mut a.const_value,
            gimli::DW_AT_upper_bound => &mut a.upper_bound,
            gimli::DW_AT_count => &mut a.count,
            gimli::DW_AT_declaration => &mut a.declaration,
            gimli::DW_AT_inline => &mut a.inline,
            gimli::DW_AT_calling_convention => &mut a.calling_convention,
            gimli::DW_AT_low_pc => &mut a.low_pc,
            DW_AT_GNU_ANNOTATION => &mut a.gnu_annotation,
            gimli::DW_AT_language => &mut a.language,
            gimli::DW_AT_producer => &mut a.producer,
            gimli::DW_AT_external => {
                a.external = true;
                continue;
            }
            gimli::DW_AT_artificial => {
                a.artificial = true;
                continue;
            }
            gimli::DW_AT_location => {
                if a.location.is_none() {
                    a.location = Some(at);
                }
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v);
        }
    }
    a
}

/// `attr_numeric`: the value of a constant, flag or address form, 0 otherwise.
fn numeric(v: Option<AttributeValue<Reader<'_>>>) -> u64 {
    match v {
        Some(AttributeValue::Addr(a)) => a,
        Some(AttributeValue::Data1(x)) => x as u64,
        Some(AttributeValue::Data2(x)) => x as u64,
        Some(AttributeValue::Data4(x)) => x as u64,
        Some(AttributeValue::Data8(x)) => x,
        Some(AttributeValue::Sdata(x)) => x as u64,
        Some(AttributeValue::Udata(x)) => x,
        Some(AttributeValue::Flag(x)) => x as u64,
        _ => 0,
    }
}

/// `dwarf_formudata`: the value of a constant form.
fn formudata(v: &AttributeValue<Reader<'_>>) -> Option<u64> {
    match *v {
        AttributeValue::Data1(x) => Some(x as u64),
        AttributeValue::Data2(x) => Some(x as u64),
        AttributeValue::Data4(x) => Some(x as u64),
        AttributeValue::Data8(x) => Some(x),
        AttributeValue::Sdata(x) => Some(x as u64),
        AttributeValue::Udata(x) => Some(x),
        _ => None,
    }
}

/// `__attr_offset`: a member offset, from a constant or a `DW_OP_plus_uconst` /
/// `DW_OP_constu` expression (`u64::MAX` for another expression).
fn attr_offset(v: &AttributeValue<Reader<'_>>) -> u64 {
    if let Some(x) = formudata(v) {
        return x;
    }
    let block: &[u8] = match v {
        AttributeValue::Exprloc(e) => e.0.slice(),
        AttributeValue::Block(b) => b.slice(),
        _ => return 0,
    };
    match block.first() {
        Some(&op) if op == expr::DW_OP_PLUS_UCONST || op == expr::DW_OP_CONSTU => {
            let mut v = 0u64;
            let mut shift = 0u32;
            for &b in &block[1..] {
                if shift < 64 {
                    v |= ((b & 0x7f) as u64) << shift;
                }
                shift += 7;
                if b & 0x80 == 0 {
                    return v;
                }
            }
            // libdw's reader stops at the block's end with what it has; pahole's
            // unchecked reader would read on. Take what was decoded.
            v
        }
        _ => u64::MAX,
    }
}

impl<'a> UnitCtx<'a, '_> {
    fn string(&self, v: Option<AttributeValue<Reader<'a>>>) -> Option<&'a [u8]> {
        let v = v?;
        self.dwarf.attr_string(self.unit, v).ok().map(|r| r.slice())
    }

    /// `attr_type`: the offset of the DIE a reference attribute points at.
    fn reference(&self, v: Option<&AttributeValue<Reader<'a>>>) -> Ref {
        match v.cloned() {
            Some(AttributeValue::UnitRef(o)) => Ref {
                off: self.info_base + unit_base(self.unit) + o.0 as u64,
                sig8: false,
            },
            Some(AttributeValue::DebugInfoRef(o)) => Ref {
                off: o.0 as u64,
                sig8: false,
            },
            Some(AttributeValue::DebugTypesRef(sig)) => Ref {
                off: sig.0,
                sig8: true,
            },
            _ => Ref::default(),
        }
    }

    /// Reads the DIE at `.debug_info` offset `off` of the units loaded and hands it to
    /// `f`.
    fn with_die<T>(&self, off: u64, f: impl FnOnce(&Die<'a, '_>) -> T) -> Option<T> {
        let unit = self.units.iter().find(|u| {
            let base = self.info_base + unit_base(u);
            off >= base && off - base < u.header.length_including_self() as u64
        })?;
        let rel = off - self.info_base - unit_base(unit);
        let rel = UnitOffset(usize::try_from(rel).ok()?);
        let die = unit.entry(rel).ok()?;
        Some(f(&die))
    }

    /// `dwarf_lowpc`: `DW_AT_low_pc` of the DIE itself.
    fn low_pc(&self, a: &Attrs<'a>) -> Option<u64> {
        match a.low_pc? {
            AttributeValue::Addr(a) => Some(a),
            AttributeValue::DebugAddrIndex(i) => self.dwarf.address(self.unit, i).ok(),
            _ => None,
        }
    }

    fn decode(&self, block: &'a [u8]) -> Option<Vec<Op<'a>>> {
        expr::decode(
            block,
            self.unit.header.address_size(),
            self.unit.header.format().word_size(),
            self.big_endian,
        )
    }

    /// `__get_type_byte_size`: follows `DW_AT_type` until a pointer (address size) or a
    /// DIE with a byte size.
    fn type_byte_size(&self, off: u64, depth: u32) -> i64 {
        if depth > MAX_DEPTH {
            return 0;
        }
        let Some(ty) = self.with_die(off, |d| self.reference(attrs(d).type_.as_ref())) else {
            return 0;
        };
        self.referenced_size(ty, depth)
    }

    fn referenced_size(&self, ty: Ref, depth: u32) -> i64 {
        if ty.off == 0 || ty.sig8 {
            return 0;
        }
        let Some((tag, size)) = self.with_die(ty.off, |d| (d.tag().0, numeric(attrs(d).byte_size)))
        else {
            return 0;
        };
        if tag == DW_TAG_POINTER_TYPE {
            return self.unit.header.address_size() as i64;
        }
        if size == 0 {
            return self.type_byte_size(ty.off, depth + 1);
        }
        size as i64
    }
}

/// Builds a [`Cu`] from one unit, as `die__process_and_recode` plus `cu__finalize` do.
pub(crate) struct Loader<'a, 'd, 'p> {
    ctx: UnitCtx<'a, 'd>,
    cu: Cu<'a>,
    /// `hash_types`: DIE offset to table id.
    types_by_die: HashMap<u64, u32>,
    /// `hash_tags`: DIE offset of other tags.
    tags_by_die: HashMap<u64, TagRef>,
    /// Order in which entries went into pahole's tags table (params and variables
    /// matter for recoding order).
    tags_order: Vec<TagRef>,
    problems: &'p mut Vec<Problem>,
    language: u64,
}

/// What `die__process_tag` returned.
enum Processed {
    /// Added to pahole's type table with this id.
    Type(u32),
    /// A function.
    Func(u32),
    /// A variable.
    Var(u32),
    /// Something kept but not needed by the encoder (namespace, constant, label...).
    Other,
    /// `unsupported_tag`: skipped.
    Unsupported,
    /// `DW_TAG_unspecified_type`: a type that is not in the table at top level.
    Unspecified(TypeEntry<'static>),
}

impl<'a, 'd, 'p> Loader<'a, 'd, 'p> {
    pub(crate) fn new(ctx: UnitCtx<'a, 'd>, problems: &'p mut Vec<Problem>) -> Self {
        let addr_size = ctx.unit.header.address_size();
        Loader {
            ctx,
            cu: Cu {
                name: None,
                types: vec![TypeEntry {
                    die: 0,
                    tag: 0,
                    name: None,
                    type_: 0,
                    raw_type: Ref::default(),
                    spec: Ref::default(),
                    annots: Vec::new(),
                    btf_type_tags: Vec::new(),
                    kind: Kind::Plain,
                    recoded: true,
                }],
                functions: Vec::new(),
                variables: Vec::new(),
                params: Vec::new(),
                addr_size,
                producer_clang: false,
            },
            types_by_die: HashMap::new(),
            tags_by_die: HashMap::new(),
            tags_order: Vec::new(),
            problems,
            language: 0,
        }
    }

    fn problem(&mut self, die: u64, name: Option<&[u8]>, kind: ProblemKind) {
        self.problems.push(Problem {
            die,
            name: name.map(|n| String::from_utf8_lossy(n).into_owned()),
            kind,
        });
    }

    /// Processes the units (`die__process`, or for an LTO object
    /// `cus__merge_and_process_cu`: every unit into one), recodes the references and
    /// analyses the functions. Returns `None` when nothing is left to encode (Rust,
    /// partial and skeleton units are skipped).
    pub(crate) fn load(mut self) -> Result<Option<Cu<'a>>, gimli::Error> {
        let mut any = false;
        let units = self.ctx.units;
        for (i, unit) in units.iter().enumerate() {
            self.ctx.unit = unit;
            let mut tree = unit.entries_tree(None)?;
            let root = tree.root()?;
            let tag = root.entry().tag().0;
            if tag == DW_TAG_SKELETON_UNIT || tag == DW_TAG_PARTIAL_UNIT {
                continue;
            }
            if tag != DW_TAG_COMPILE_UNIT && tag != DW_TAG_TYPE_UNIT {
                continue;
            }
            let cu_die = root.entry();
            let cu_die_a = attrs(cu_die);
            let language = numeric(cu_die_a.language);
            if i == 0 {
                // A merged unit takes the first unit's language and producer.
                self.language = language;
                self.cu.producer_clang = self
                    .ctx
                    .string(cu_die_a.producer)
                    .is_some_and(|p| memchr::memmem::find(p, b"clang").is_some());
                self.cu.name = if units.len() == 1 {
                    self.ctx.string(cu_die_a.name)
                } else {
                    None
                };
            }
            // --lang_exclude=rust: kbuild drops Rust units.
            if language == DW_LANG_RUST {
                continue;
            }
            any = true;
            self.process_unit(root)?;
        }
        if !any {
            return Ok(None);
        }
        self.recode();
        self.resolve_func_ret_types_optimized();
        self.finalize();
        Ok(Some(self.cu))
    }

    fn add_type(&mut self, entry: TypeEntry<'a>) -> u32 {
        let id = self.cu.types.len() as u32;
        self.cu.types.push(entry);
        id
    }

    fn new_type(&self, die: &Die<'a, '_>, tag: u16) -> TypeEntry<'a> {
        let die_a = attrs(die);
        TypeEntry {
            die: self.ctx.info_base + unit_base(self.ctx.unit) + die.offset().0 as u64,
            tag,
            name: self.ctx.string(die_a.name),
            type_: 0,
            raw_type: self.ctx.reference(die_a.type_.as_ref()),
            spec: Ref::default(),
            annots: Vec::new(),
            btf_type_tags: Vec::new(),
            kind: Kind::Plain,
            recoded: false,
        }
    }

    fn die_off(&self, die: &Die<'a, '_>) -> u64 {
        self.ctx.info_base + unit_base(self.ctx.unit) + die.offset().0 as u64
    }

    /// `die__process_unit`.
    fn process_unit(
        &mut self,
        root: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
    ) -> Result<(), gimli::Error> {
        let mut children = root.children();
        while let Some(child) = children.next()? {
            let off = self.die_off(child.entry());
            match self.process_tag(child, true, 0)? {
                Processed::Unspecified(_) => {
                    // Hashed with id 0 (void), not added to the table.
                    self.types_by_die.insert(off, 0);
                }
                p => self.table_processed(off, p),
            }
        }
        Ok(())
    }

    /// Tables a processed tag by its DIE offset; an unspecified type is the caller's.
    fn table_processed(&mut self, off: u64, p: Processed) {
        match p {
            Processed::Unsupported | Processed::Unspecified(_) => {}
            Processed::Type(id) => {
                self.types_by_die.insert(off, id);
            }
            Processed::Func(i) => {
                self.tags_by_die.insert(off, TagRef::Func(i));
            }
            Processed::Var(i) => {
                self.tags_by_die.insert(off, TagRef::Var(i));
                self.tags_order.push(TagRef::Var(i));
            }
            Processed::Other => {
                self.tags_by_die.insert(off, TagRef::Other);
            }
        }
    }

    /// Hashes and tables a tag processed below the unit level (`cu__add_tag` /
    /// `cu__table_add_tag` + `cu__hash`): unlike the unit level, an unspecified type gets
    /// a table id here.
    fn table_nested(&mut self, off: u64, p: Processed) {
        match p {
            Processed::Unspecified(e) => {
                let e = TypeEntry {
                    die: e.die,
                    tag: e.tag,
                    name: None,
                    type_: 0,
                    raw_type: e.raw_type,
                    spec: e.spec,
                    annots: Vec::new(),
                    btf_type_tags: Vec::new(),
                    kind: Kind::Plain,
                    recoded: false,
                };
                let id = self.add_type(e);
                self.types_by_die.insert(off, id);
            }
            p => self.table_processed(off, p),
        }
    }

    /// `__die__process_tag`.
    fn process_tag(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        top_level: bool,
        depth: u32,
    ) -> Result<Processed, gimli::Error> {
        if depth > MAX_DEPTH {
            let off = self.die_off(node.entry());
            self.problem(off, None, ProblemKind::TooDeep);
            return Ok(Processed::Unsupported);
        }
        let die = node.entry();
        let die_a = attrs(die);
        let tag = die.tag().0;
        Ok(match tag {
            DW_TAG_IMPORTED_UNIT => {
                let off = self.die_off(die);
                self.problem(off, None, ProblemKind::ImportedUnit);
                Processed::Unsupported
            }
            DW_TAG_ARRAY_TYPE => {
                let mut e = self.new_type(die, tag);
                let mut dims = Vec::new();
                let mut children = node.children();
                while let Some(c) = children.next()? {
                    let cd = c.entry();
                    let cd_a = attrs(cd);
                    if cd.tag().0 == DW_TAG_SUBRANGE_TYPE {
                        dims.push(upper_bound(&cd_a));
                        if dims.len() == 64 {
                            break;
                        }
                    }
                }
                // One ARRAY per dimension (pahole 1.32): the inner dimensions go into
                // the table first, innermost first, each holding the next one; the DIE's
                // id is the outermost.
                if dims.len() > 1 {
                    let mut inner_type: Option<u32> = None;
                    for &d in dims[1..].iter().rev() {
                        let mut inner = TypeEntry {
                            die: e.die,
                            tag,
                            name: e.name,
                            type_: 0,
                            raw_type: e.raw_type,
                            spec: Ref::default(),
                            annots: Vec::new(),
                            btf_type_tags: Vec::new(),
                            kind: Kind::Array { dims: vec![d] },
                            recoded: false,
                        };
                        if let Some(t) = inner_type {
                            inner.type_ = t;
                            inner.raw_type = Ref::default();
                            inner.recoded = true;
                        }
                        inner_type = Some(self.add_type(inner));
                    }
                    e.type_ = inner_type.expect("at least one inner dimension");
                    e.raw_type = Ref::default();
                    e.recoded = true;
                    dims.truncate(1);
                }
                e.kind = Kind::Array { dims };
                Processed::Type(self.add_type(e))
            }
            DW_TAG_STRING_TYPE
            | DW_TAG_CONST_TYPE
            | DW_TAG_REFERENCE_TYPE
            | DW_TAG_RESTRICT_TYPE
            | DW_TAG_VOLATILE_TYPE
            | DW_TAG_ATOMIC_TYPE
            | DW_TAG_PTR_TO_MEMBER_TYPE => {
                let e = self.new_type(die, tag);
                Processed::Type(self.add_type(e))
            }
            DW_TAG_IMPORTED_DECLARATION | DW_TAG_IMPORTED_MODULE => Processed::Other,
            DW_TAG_UNSPECIFIED_TYPE => {
                let e = self.new_type(die, tag);
                Processed::Unspecified(TypeEntry {
                    die: e.die,
                    tag,
                    name: None,
                    type_: 0,
                    raw_type: e.raw_type,
                    spec: Ref::default(),
                    annots: Vec::new(),
                    btf_type_tags: Vec::new(),
                    kind: Kind::Plain,
                    recoded: false,
                })
            }
            DW_TAG_BASE_TYPE => {
                let mut e = self.new_type(die, tag);
                let encoding = numeric(die_a.encoding);
                e.kind = Kind::Base {
                    bit_size: (numeric(die_a.byte_size) as u16).wrapping_mul(8),
                    is_signed: encoding == DW_ATE_SIGNED || encoding == DW_ATE_SIGNED_CHAR,
                    is_bool: encoding == DW_ATE_BOOLEAN,
                    float_type: match encoding {
                        DW_ATE_COMPLEX_FLOAT => BT_FP_CMPLX,
                        DW_ATE_FLOAT => BT_FP_SINGLE,
                        DW_ATE_IMAGINARY_FLOAT => BT_FP_IMGRY,
                        _ => 0,
                    },
                };
                Processed::Type(self.add_type(e))
            }
            DW_TAG_POINTER_TYPE => self.pointer(node)?,
            DW_TAG_ENUMERATION_TYPE => {
                let mut e = self.new_type(die, tag);
                e.spec = self.ctx.reference(die_a.specification.as_ref());
                let size = numeric(die_a.byte_size) as u32;
                let is_signed = self.enum_signed(e.raw_type);
                let mut values = Vec::new();
                let mut children = node.children();
                while let Some(c) = children.next()? {
                    let cd = c.entry();
                    let cd_a = attrs(cd);
                    if cd.tag().0 != DW_TAG_ENUMERATOR {
                        continue;
                    }
                    values.push(Enumerator {
                        name: self.ctx.string(cd_a.name),
                        value: numeric(cd_a.const_value),
                    });
                    let coff = self.die_off(cd);
                    self.tags_by_die.insert(coff, TagRef::Other);
                }
                e.kind = Kind::Enum {
                    size: if size == 0 { 32 } else { size.wrapping_mul(8) },
                    is_signed,
                    values,
                };
                Processed::Type(self.add_type(e))
            }
            DW_TAG_NAMESPACE => {
                let mut children = node.children();
                while let Some(c) = children.next()? {
                    let off = self.die_off(c.entry());
                    let p = self.process_tag(c, false, depth + 1)?;
                    self.table_nested(off, p);
                }
                Processed::Other
            }
            DW_TAG_CLASS_TYPE
            | DW_TAG_INTERFACE_TYPE
            | DW_TAG_STRUCTURE_TYPE
            | DW_TAG_UNION_TYPE => self.composite(node, depth)?,
            DW_TAG_SUBPROGRAM => self.function(node, depth)?,
            DW_TAG_SUBROUTINE_TYPE => self.subroutine(node, depth)?,
            DW_TAG_RVALUE_REFERENCE_TYPE | DW_TAG_TYPEDEF => {
                let mut e = self.new_type(die, tag);
                e.spec = self.ctx.reference(die_a.specification.as_ref());
                e.annots = self.child_llvm_annotations(node, -1)?;
                Processed::Type(self.add_type(e))
            }
            DW_TAG_VARIABLE => {
                let v = self.variable(node, top_level)?;
                Processed::Var(v)
            }
            DW_TAG_CONSTANT => Processed::Other,
            _ => Processed::Unsupported,
        })
    }

    /// `type__init`'s `is_signed_enum`: the encoding of the enum's `DW_AT_type`.
    fn enum_signed(&self, ty: Ref) -> bool {
        if ty.off == 0 || ty.sig8 {
            return false;
        }
        let enc = self
            .ctx
            .with_die(ty.off, |d| numeric(attrs(d).encoding))
            .unwrap_or(0);
        enc == DW_ATE_SIGNED || enc == DW_ATE_SIGNED_CHAR
    }

    /// `die__create_new_pointer_tag`: a pointer, preceded in the table by the type tags
    /// of its LLVM annotation children or GCC's `DW_AT_GNU_annotation` chain.
    fn pointer(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
    ) -> Result<Processed, gimli::Error> {
        let die = node.entry();
        let die_a = attrs(die);
        let mut e = self.new_type(die, DW_TAG_POINTER_TYPE);
        let mut tags: Vec<u32> = Vec::new();
        let gnu_ref = self.ctx.reference(die_a.gnu_annotation.as_ref());
        let has_children = die.has_children();
        if has_children {
            let mut children = node.children();
            while let Some(c) = children.next()? {
                let cd = c.entry();
                let cd_a = attrs(cd);
                let ctag = cd.tag().0;
                if ctag != DW_TAG_LLVM_ANNOTATION && ctag != DW_TAG_GNU_ANNOTATION {
                    continue;
                }
                if self.ctx.string(cd_a.name) != Some(b"btf_type_tag") {
                    continue;
                }
                let id = self.type_tag_entry(cd, &cd_a);
                tags.insert(0, id); // LLVM children are in source order: prepend
            }
        }
        if tags.is_empty() {
            // GCC: the chain is already in BTF order.
            let mut next = gnu_ref;
            let mut guard = 0;
            while next.off != 0 && !next.sig8 && guard < MAX_DEPTH {
                guard += 1;
                let found = self.ctx.with_die(next.off, |ad| {
                    let ad_a = attrs(ad);
                    (
                        ad.tag().0,
                        self.ctx.string(ad_a.name),
                        self.ctx.string(ad_a.const_value),
                        self.ctx.reference(ad_a.gnu_annotation.as_ref()),
                        next.off,
                    )
                });
                let Some((atag, aname, value, chain, aoff)) = found else {
                    break;
                };
                if atag != DW_TAG_GNU_ANNOTATION || aname != Some(b"btf_type_tag") {
                    break;
                }
                let id = self.add_type(TypeEntry {
                    die: aoff,
                    tag: DW_TAG_LLVM_ANNOTATION,
                    name: value,
                    type_: 0,
                    raw_type: Ref::default(),
                    spec: Ref::default(),
                    annots: Vec::new(),
                    btf_type_tags: Vec::new(),
                    kind: Kind::Plain,
                    recoded: true,
                });
                self.types_by_die.insert(aoff, id);
                tags.push(id);
                next = chain;
            }
        }
        e.btf_type_tags = tags;
        Ok(Processed::Type(self.add_type(e)))
    }

    fn type_tag_entry(&mut self, cd: &Die<'a, '_>, cd_a: &Attrs<'a>) -> u32 {
        let off = self.die_off(cd);
        let value = self.ctx.string(cd_a.const_value);
        let id = self.add_type(TypeEntry {
            die: off,
            tag: DW_TAG_LLVM_ANNOTATION,
            name: value,
            type_: 0,
            raw_type: Ref::default(),
            spec: Ref::default(),
            annots: Vec::new(),
            btf_type_tags: Vec::new(),
            kind: Kind::Plain,
            recoded: true,
        });
        self.types_by_die.insert(off, id);
        id
    }

    /// `add_tag_annotation` for one annotation DIE: a `btf_decl_tag` value.
    fn annotation(&self, d: &Die<'a, '_>, component_idx: i32) -> Option<Annot<'a>> {
        let d_a = attrs(d);
        if self.ctx.string(d_a.name) != Some(b"btf_decl_tag") {
            return None;
        }
        Some(Annot {
            value: self.ctx.string(d_a.const_value),
            component_idx,
        })
    }

    /// `add_child_llvm_annotations`.
    fn child_llvm_annotations(
        &self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        component_idx: i32,
    ) -> Result<Vec<Annot<'a>>, gimli::Error> {
        let mut out = Vec::new();
        if !node.entry().has_children() {
            return Ok(out);
        }
        let mut children = node.children();
        while let Some(c) = children.next()? {
            let cd = c.entry();
            let t = cd.tag().0;
            if t == DW_TAG_LLVM_ANNOTATION || t == DW_TAG_GNU_ANNOTATION {
                out.extend(self.annotation(cd, component_idx));
            }
        }
        Ok(out)
    }

    /// `add_gnu_annotation_chain`.
    fn gnu_annotation_chain(&self, a: &Attrs<'a>, component_idx: i32, out: &mut Vec<Annot<'a>>) {
        let mut next = self.ctx.reference(a.gnu_annotation.as_ref());
        let mut guard = 0;
        while next.off != 0 && !next.sig8 && guard < MAX_DEPTH {
            guard += 1;
            let r = self.ctx.with_die(next.off, |ad| {
                (
                    ad.tag().0,
                    self.annotation(ad, component_idx),
                    self.ctx.reference(attrs(ad).gnu_annotation.as_ref()),
                )
            });
            let Some((tag, annot, chain)) = r else { break };
            if tag != DW_TAG_GNU_ANNOTATION {
                break;
            }
            out.extend(annot);
            next = chain;
        }
    }

    /// `die__create_new_class` / `die__create_new_union` and `die__process_class`.
    fn composite(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        depth: u32,
    ) -> Result<Processed, gimli::Error> {
        let die = node.entry();
        let die_a = attrs(die);
        let tag = die.tag().0;
        let mut e = self.new_type(die, tag);
        e.spec = self.ctx.reference(die_a.specification.as_ref());
        let size = numeric(die_a.byte_size) as u32;
        let declaration = numeric(die_a.declaration) & 1 != 0;
        let is_union = tag == DW_TAG_UNION_TYPE;
        let mut gnu_annots = Vec::new();
        if tag != DW_TAG_UNION_TYPE {
            self.gnu_annotation_chain(&die_a, -1, &mut gnu_annots);
        }
        let mut members = Vec::new();
        let mut annots = Vec::new();
        let mut member_idx = 0i32;
        let mut children = node.children();
        while let Some(c) = children.next()? {
            let cd = c.entry();
            let cd_a = attrs(cd);
            let ctag = cd.tag().0;
            match ctag {
                DW_TAG_GNU_TEMPLATE_PARAMETER_PACK
                | DW_TAG_GNU_FORMAL_PARAMETER_PACK
                | DW_TAG_GNU_TEMPLATE_TEMPLATE_PARAM
                | DW_TAG_SUBRANGE_TYPE
                | DW_TAG_VARIANT_PART
                | DW_TAG_TEMPLATE_TYPE_PARAMETER
                | DW_TAG_TEMPLATE_VALUE_PARAMETER => {}
                DW_TAG_INHERITANCE | DW_TAG_MEMBER => {
                    let m = self.member(cd, &cd_a, is_union);
                    let moff = self.die_off(cd);
                    let mut chain = Vec::new();
                    self.gnu_annotation_chain(&cd_a, member_idx, &mut chain);
                    self.tags_by_die.insert(moff, TagRef::Other);
                    members.push(m);
                    // The member's annotations: LLVM children, then GCC's chain.
                    annots.extend(self.child_llvm_annotations(c, member_idx)?);
                    annots.extend(chain);
                    member_idx += 1;
                }
                DW_TAG_LLVM_ANNOTATION | DW_TAG_GNU_ANNOTATION => {
                    annots.extend(self.annotation(cd, -1));
                }
                _ => {
                    let off = self.die_off(cd);
                    let p = self.process_tag(c, false, depth + 1)?;
                    self.table_nested(off, p);
                }
            }
        }
        annots.extend(gnu_annots);
        e.annots = annots;
        e.kind = Kind::Composite {
            size,
            declaration,
            members,
        };
        Ok(Processed::Type(self.add_type(e)))
    }

    /// `class_member__new`.
    fn member(&self, die: &Die<'a, '_>, die_a: &Attrs<'a>, in_union: bool) -> Member<'a> {
        let mut m = Member {
            tag: die.tag().0,
            name: self.ctx.string(die_a.name),
            type_: 0,
            raw_type: self.ctx.reference(die_a.type_.as_ref()),
            bit_offset: 0,
            bitfield_size: numeric(die_a.bit_size) as u8,
            byte_offset: 0,
            bitfield_offset: 0,
            byte_size: numeric(die_a.byte_size),
            has_bit_offset: false,
            is_static: false,
        };
        if let Some(v) = die_a.data_bit_offset {
            m.has_bit_offset = true;
            m.bit_offset = attr_offset(&v) as u32;
        } else {
            if let Some(v) = die_a.data_member_location {
                m.byte_offset = attr_offset(&v) as u32;
            } else {
                m.is_static = !in_union;
            }
            m.bit_offset = m.byte_offset.wrapping_mul(8);
            m.bitfield_offset = numeric(die_a.bit_offset) as i8;
        }
        m
    }

    /// `die__create_new_subroutine_type`.
    fn subroutine(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        depth: u32,
    ) -> Result<Processed, gimli::Error> {
        let die = node.entry();
        let mut e = self.new_type(die, DW_TAG_SUBROUTINE_TYPE);
        let mut params = Vec::new();
        let mut unspec = false;
        let mut children = node.children();
        while let Some(c) = children.next()? {
            let cd = c.entry();
            let cd_a = attrs(cd);
            let off = self.die_off(cd);
            match cd.tag().0 {
                DW_TAG_SUBRANGE_TYPE => {}
                DW_TAG_FORMAL_PARAMETER => {
                    let p = self.param(cd, &cd_a, true, -1);
                    self.tags_by_die.insert(off, TagRef::Param(p));
                    self.tags_order.push(TagRef::Param(p));
                    params.push(p);
                }
                DW_TAG_UNSPECIFIED_PARAMETERS => unspec = true,
                _ => {
                    let p = self.process_tag(c, false, depth + 1)?;
                    self.table_nested(off, p);
                }
            }
        }
        e.kind = Kind::Proto { params, unspec };
        Ok(Processed::Type(self.add_type(e)))
    }

    /// `parameter__new` (with `ftype` given when the parameter belongs to a function or
    /// a subroutine type: then its location is analysed).
    fn param(&mut self, die: &Die<'a, '_>, die_a: &Attrs<'a>, has_ftype: bool, idx: i32) -> u32 {
        let mut p = Param {
            die: self.die_off(die),
            name: self.ctx.string(die_a.name),
            type_: 0,
            raw_type: self.ctx.reference(die_a.type_.as_ref()),
            origin: self.ctx.reference(die_a.abstract_origin.as_ref()),
            idx: idx as u8,
            loc_reg: UNKNOWN_REG,
            type_byte_size: 0,
            has_const_value: false,
            loc_const_value: false,
            loc_stack: false,
            optimized: false,
            unexpected_reg: false,
            has_loc: false,
            passed_in_memory: false,
        };
        if has_ftype {
            let addr_size = self.cu.addr_size as i64;
            // get_type_byte_size: through the abstract origin when there is one.
            let size = if die_a.abstract_origin.is_some() {
                if p.origin.off != 0 && !p.origin.sig8 {
                    self.ctx.type_byte_size(p.origin.off, 0)
                } else {
                    0
                }
            } else {
                self.ctx.referenced_size(p.raw_type, 0)
            };
            p.type_byte_size = size as u16;
            let limit = if self.ctx.arch.agg_use_two_regs {
                2 * addr_size
            } else {
                addr_size
            };
            p.passed_in_memory = (p.type_byte_size as i64) > limit;
            p.has_const_value = die_a.const_value.is_some();
            if let Some(a) = &die_a.location {
                p.has_loc = true;
                self.decode_location(&a.value(), &mut p);
            }
        }
        let i = self.cu.params.len() as u32;
        self.cu.params.push(p);
        i
    }

    /// `parameter__decode_location`.
    fn decode_location(&self, value: &AttributeValue<Reader<'a>>, p: &mut Param<'a>) {
        let mut exprs: Vec<&'a [u8]> = Vec::new();
        match *value {
            AttributeValue::Exprloc(e) => exprs.push(e.0.slice()),
            AttributeValue::Block(b) => exprs.push(b.slice()),
            AttributeValue::LocationListsRef(off) => self.loclist(off, &mut exprs),
            AttributeValue::DebugLocListsIndex(i) => {
                if let Ok(off) = self.ctx.dwarf.locations_offset(self.ctx.unit, i) {
                    self.loclist(off, &mut exprs);
                }
            }
            _ => {}
        }
        for (loc_num, block) in exprs.into_iter().enumerate() {
            let Some(ops) = self.ctx.decode(block) else {
                break;
            };
            if ops.is_empty() {
                continue;
            }
            let first = loc_num == 0;
            let mut len = ops.len();
            let had_stack_value = ops[len - 1].atom == expr::DW_OP_STACK_VALUE;
            if len == 2 && had_stack_value {
                len = 1;
            }
            if len != 1 {
                self.multi_exprs(&ops[..len], first, p);
                continue;
            }
            let op = ops[0];
            match op.atom {
                expr::DW_OP_REG0..=expr::DW_OP_REG31 if first => {
                    set_loc_reg(p, op.atom as i32);
                }
                expr::DW_OP_BREG0..=expr::DW_OP_BREG31 if first && had_stack_value => {
                    set_loc_reg(p, (op.atom - expr::DW_OP_BREG0 + expr::DW_OP_REG0) as i32);
                }
                expr::DW_OP_FBREG if first => p.loc_stack = true,
                expr::DW_OP_LIT0..=expr::DW_OP_LIT31 | expr::DW_OP_CONSTU | expr::DW_OP_CONSTS
                    if first =>
                {
                    p.loc_const_value = true;
                }
                expr::DW_OP_ENTRY_VALUE | expr::DW_OP_GNU_ENTRY_VALUE => {
                    if let Some(inner) = self.ctx.decode(op.block) {
                        if inner.len() == 1 && is_reg(inner[0].atom) {
                            set_loc_reg(p, inner[0].atom as i32);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The location expressions of a location list, as `dwarf_getlocations` returns
    /// them (base-address entries skipped; an entry whose address index cannot be read
    /// ends the list, as libdw fails there).
    fn loclist(&self, off: gimli::LocationListsOffset<usize>, out: &mut Vec<&'a [u8]>) {
        let Ok(mut iter) = self.ctx.dwarf.raw_locations(self.ctx.unit, off) else {
            return;
        };
        let addrx_ok =
            |i: gimli::DebugAddrIndex<usize>| self.ctx.dwarf.address(self.ctx.unit, i).is_ok();
        let mut guard = 0usize;
        loop {
            guard += 1;
            if guard > 1 << 20 {
                return;
            }
            let entry = match iter.next() {
                Ok(Some(e)) => e,
                _ => return,
            };
            use gimli::RawLocListEntry as E;
            let data = match entry {
                E::BaseAddress { .. } => continue,
                E::BaseAddressx { addr } => {
                    if !addrx_ok(addr) {
                        return;
                    }
                    continue;
                }
                E::AddressOrOffsetPair { data, .. }
                | E::OffsetPair { data, .. }
                | E::DefaultLocation { data }
                | E::StartEnd { data, .. }
                | E::StartLength { data, .. } => data,
                E::StartxEndx { begin, end, data } => {
                    if !addrx_ok(begin) || !addrx_ok(end) {
                        return;
                    }
                    data
                }
                E::StartxLength { begin, data, .. } => {
                    if !addrx_ok(begin) {
                        return;
                    }
                    data
                }
            };
            out.push(data.0.slice());
        }
    }

    /// `parameter__multi_exprs`.
    fn multi_exprs(&self, ops: &[Op<'a>], first: bool, p: &mut Param<'a>) {
        let addr_size = self.cu.addr_size as i64;
        match ops[0].atom {
            expr::DW_OP_LIT0..=expr::DW_OP_LIT31 | expr::DW_OP_CONSTU | expr::DW_OP_CONSTS => {
                if first {
                    p.loc_const_value = true;
                }
                return;
            }
            _ => {}
        }
        if (p.type_byte_size as i64) <= addr_size || !self.ctx.arch.agg_use_two_regs {
            match ops[0].atom {
                expr::DW_OP_REG0..=expr::DW_OP_REG31 if first => {
                    set_loc_reg(p, ops[0].atom as i32);
                }
                expr::DW_OP_BREG0..=expr::DW_OP_BREG31
                    if first && ops[1..].iter().any(|o| o.atom == expr::DW_OP_STACK_VALUE) =>
                {
                    set_loc_reg(
                        p,
                        (ops[0].atom - expr::DW_OP_BREG0 + expr::DW_OP_REG0) as i32,
                    );
                }
                _ => {}
            }
            return;
        }
        let mut off: i64 = 0;
        for (i, op) in ops.iter().enumerate() {
            if op.atom == expr::DW_OP_PIECE {
                let num = op.number as i32 as i64;
                if i == 0 {
                    off = num;
                    continue;
                }
                off += num;
            } else if is_reg(op.atom) && (off < addr_size || p.loc_reg == UNKNOWN_REG) {
                set_loc_reg(p, op.atom as i32);
            }
        }
    }

    /// `die__create_new_function` and `die__process_function`.
    fn function(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        depth: u32,
    ) -> Result<Processed, gimli::Error> {
        let die = node.entry();
        let die_a = attrs(die);
        let off = self.die_off(die);
        let has_abstract_origin = die_a.abstract_origin.is_some();
        let inlined = numeric(die_a.inline);
        let mut f = Function {
            die: off,
            name: self.ctx.string(die_a.name),
            declaration: die_a.declaration.is_some(),
            external: die_a.external,
            has_abstract_origin,
            origin: self.ctx.reference(die_a.abstract_origin.as_ref()),
            spec: self.ctx.reference(die_a.specification.as_ref()),
            addr: self.ctx.low_pc(&die_a).unwrap_or(0),
            ret: 0,
            raw_type: self.ctx.reference(die_a.type_.as_ref()),
            params: Vec::new(),
            unspec_parms: false,
            annots: Vec::new(),
            optimized_parms: false,
            unexpected_reg: false,
            reordered_parm: false,
            signature_changed: false,
        };
        if self.cu.producer_clang && inlined == 0 {
            f.signature_changed = if !has_abstract_origin {
                numeric(die_a.calling_convention) == DW_CC_NOCALL
            } else if f.origin.off != 0 && !f.origin.sig8 {
                self.ctx
                    .with_die(f.origin.off, |o| numeric(attrs(o).calling_convention))
                    .unwrap_or(0)
                    == DW_CC_NOCALL
            } else {
                false
            };
        }
        let mut gnu = Vec::new();
        self.gnu_annotation_chain(&die_a, -1, &mut gnu);
        let mut param_idx = 0i32;
        self.function_body(node, Some(&mut f), &mut param_idx, depth)?;
        f.annots.extend(gnu);
        let i = self.cu.functions.len() as u32;
        self.cu.functions.push(f);
        Ok(Processed::Func(i))
    }

    /// `die__process_function` over the children of a function (`f` given) or of a
    /// lexical block inside one.
    fn function_body(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        mut f: Option<&mut Function<'a>>,
        param_idx: &mut i32,
        depth: u32,
    ) -> Result<(), gimli::Error> {
        if depth > MAX_DEPTH {
            let off = self.die_off(node.entry());
            self.problem(off, None, ProblemKind::TooDeep);
            return Ok(());
        }
        let mut children = node.children();
        while let Some(c) = children.next()? {
            let cd = c.entry();
            let off = self.die_off(cd);
            match cd.tag().0 {
                DW_TAG_CALL_SITE
                | DW_TAG_CALL_SITE_PARAMETER
                | DW_TAG_GNU_CALL_SITE
                | DW_TAG_GNU_CALL_SITE_PARAMETER
                | DW_TAG_DWARF_PROCEDURE
                | DW_TAG_GNU_TEMPLATE_PARAMETER_PACK
                | DW_TAG_GNU_FORMAL_PARAMETER_PACK
                | DW_TAG_GNU_TEMPLATE_TEMPLATE_PARAM
                | DW_TAG_TEMPLATE_TYPE_PARAMETER
                | DW_TAG_TEMPLATE_VALUE_PARAMETER
                | DW_TAG_LABEL => {}
                // pahole 1.32 skips inline expansions when encoding BTF.
                DW_TAG_INLINED_SUBROUTINE => {}
                DW_TAG_FORMAL_PARAMETER => {
                    let has = f.is_some();
                    let idx = if has {
                        let i = *param_idx;
                        *param_idx += 1;
                        i
                    } else {
                        -1
                    };
                    let cd_a = attrs(cd);
                    let p = self.param(cd, &cd_a, has, idx);
                    self.tags_by_die.insert(off, TagRef::Param(p));
                    self.tags_order.push(TagRef::Param(p));
                    if let Some(f) = f.as_deref_mut() {
                        f.params.push(p);
                        if idx >= 0 {
                            let mut a = self.child_llvm_annotations(c, idx)?;
                            self.gnu_annotation_chain(&cd_a, idx, &mut a);
                            f.annots.extend(a);
                        }
                    }
                }
                DW_TAG_VARIABLE => {
                    let v = self.variable(c, false)?;
                    self.tags_by_die.insert(off, TagRef::Var(v));
                    self.tags_order.push(TagRef::Var(v));
                }
                DW_TAG_UNSPECIFIED_PARAMETERS => {
                    if let Some(f) = f.as_deref_mut() {
                        f.unspec_parms = true;
                    }
                }
                DW_TAG_LEXICAL_BLOCK => {
                    let mut dummy = 0;
                    self.function_body(c, None, &mut dummy, depth + 1)?;
                }
                DW_TAG_LLVM_ANNOTATION | DW_TAG_GNU_ANNOTATION => {
                    if let Some(f) = f.as_deref_mut() {
                        f.annots.extend(self.annotation(cd, -1));
                    }
                }
                _ => {
                    let p = self.process_tag(c, false, depth + 1)?;
                    self.table_nested(off, p);
                }
            }
        }
        Ok(())
    }

    /// `variable__new`.
    fn variable(
        &mut self,
        node: gimli::EntriesTreeNode<'_, '_, '_, Reader<'a>>,
        top_level: bool,
    ) -> Result<u32, gimli::Error> {
        let die = node.entry();
        let die_a = attrs(die);
        let declaration = die_a.declaration.is_some();
        let has_specification = die_a.specification.is_some();
        let mut v = Variable {
            die: self.die_off(die),
            name: self.ctx.string(die_a.name),
            type_: 0,
            raw_type: self.ctx.reference(die_a.type_.as_ref()),
            external: die_a.external,
            declaration,
            has_specification,
            spec_ref: if has_specification {
                self.ctx.reference(die_a.specification.as_ref())
            } else {
                Ref::default()
            },
            spec: None,
            artificial: die_a.artificial,
            top_level,
            scope: Scope::Unknown,
            addr: 0,
            annots: Vec::new(),
        };
        if !declaration {
            v.scope = self.var_location(&die_a, &mut v.addr);
        }
        v.annots = self.child_llvm_annotations(node, -1)?;
        let i = self.cu.variables.len() as u32;
        self.cu.variables.push(v);
        Ok(i)
    }

    /// `dwarf__location`.
    fn var_location(&self, die_a: &Attrs<'a>, addr: &mut u64) -> Scope {
        let Some(a) = &die_a.location else {
            return Scope::Optimized;
        };
        let block: &'a [u8] = match a.value() {
            AttributeValue::Exprloc(e) => e.0.slice(),
            AttributeValue::Block(b) => b.slice(),
            _ => return Scope::Optimized,
        };
        let Some(ops) = self.ctx.decode(block) else {
            return Scope::Optimized;
        };
        let Some(first) = ops.first() else {
            return Scope::Unknown;
        };
        match first.atom {
            expr::DW_OP_ADDR | expr::DW_OP_ADDRX => {
                let mut a = first.number;
                if first.atom == expr::DW_OP_ADDRX {
                    a = self
                        .ctx
                        .dwarf
                        .address(self.ctx.unit, gimli::DebugAddrIndex(first.number as usize))
                        .unwrap_or(0);
                }
                if ops.len() == 2 && ops[1].atom == expr::DW_OP_PLUS_UCONST {
                    a = a.wrapping_add(ops[1].number);
                }
                *addr = a;
                Scope::Global
            }
            expr::DW_OP_REG1..=expr::DW_OP_REG31 | expr::DW_OP_BREG0..=expr::DW_OP_BREG31 => {
                Scope::Register
            }
            expr::DW_OP_FBREG => Scope::Local,
            _ => Scope::Unknown,
        }
    }

    // --- recoding -------------------------------------------------------------------

    fn find_type(&self, r: Ref) -> Option<u32> {
        if r.off == 0 || r.sig8 {
            return None;
        }
        self.types_by_die.get(&r.off).copied()
    }

    fn find_tag(&self, r: Ref) -> Option<TagRef> {
        if r.off == 0 || r.sig8 {
            return None;
        }
        self.tags_by_die.get(&r.off).copied()
    }

    /// `cu__recode_dwarf_types`: the type table, then the tags table (parameters,
    /// variables), then the functions, in pahole's order.
    fn recode(&mut self) {
        for id in 1..self.cu.types.len() {
            self.recode_type(id);
        }
        let order = std::mem::take(&mut self.tags_order);
        for t in &order {
            match *t {
                TagRef::Param(i) => {
                    let p = &self.cu.params[i as usize];
                    let r = p.raw_type;
                    let ty = if r.off == 0 {
                        Some(0)
                    } else {
                        self.find_type(r)
                    };
                    self.cu.params[i as usize].type_ = ty.unwrap_or(0);
                }
                TagRef::Var(i) => self.recode_variable(i),
                _ => {}
            }
        }
        self.tags_order = order;
        for i in 0..self.cu.functions.len() {
            self.recode_function(i);
        }
    }

    fn recode_type(&mut self, id: usize) {
        if self.cu.types[id].recoded {
            return;
        }
        // type__recode_dwarf_specification
        let e = &self.cu.types[id];
        let is_type = matches!(
            e.tag,
            DW_TAG_STRUCTURE_TYPE
                | DW_TAG_CLASS_TYPE
                | DW_TAG_INTERFACE_TYPE
                | DW_TAG_UNION_TYPE
                | DW_TAG_TYPEDEF
                | DW_TAG_RVALUE_REFERENCE_TYPE
                | DW_TAG_ENUMERATION_TYPE
        );
        if is_type && e.name.is_none() && e.spec.off != 0 {
            if let Some(sid) = self.find_type(e.spec) {
                let n = self.cu.types[sid as usize].name;
                self.cu.types[id].name = n;
            }
        }
        let e = &self.cu.types[id];
        let has_namespace = matches!(
            e.tag,
            DW_TAG_STRUCTURE_TYPE
                | DW_TAG_CLASS_TYPE
                | DW_TAG_INTERFACE_TYPE
                | DW_TAG_UNION_TYPE
                | DW_TAG_ENUMERATION_TYPE
        );
        if has_namespace {
            // namespace__recode_dwarf_types: the members' types.
            if let Kind::Composite { members, .. } = &self.cu.types[id].kind {
                let resolved: Vec<u32> = members
                    .iter()
                    .map(|m| {
                        if m.raw_type.off == 0 {
                            0
                        } else {
                            self.find_type(m.raw_type).unwrap_or(0)
                        }
                    })
                    .collect();
                if let Kind::Composite { members, .. } = &mut self.cu.types[id].kind {
                    for (m, t) in members.iter_mut().zip(resolved) {
                        m.type_ = t;
                    }
                }
            }
            self.cu.types[id].recoded = true;
            return;
        }
        if let Kind::Proto { params, .. } = &self.cu.types[id].kind {
            let params = params.clone();
            self.recode_params(&params, None);
        }
        let e = &self.cu.types[id];
        let raw = e.raw_type;
        let ty = if raw.off == 0 {
            0
        } else {
            self.find_type(raw).unwrap_or(0)
        };
        let tags = std::mem::take(&mut self.cu.types[id].btf_type_tags);
        if tags.is_empty() {
            self.cu.types[id].type_ = ty;
        } else {
            // pointer -> tag -> tag ... -> pointee
            self.cu.types[id].type_ = tags[0];
            for w in tags.windows(2) {
                self.cu.types[w[0] as usize].type_ = w[1];
            }
            self.cu.types[*tags.last().unwrap() as usize].type_ = ty;
            self.cu.types[id].btf_type_tags = tags;
        }
        self.cu.types[id].recoded = true;
    }

    /// `ftype__recode_dwarf_types` over `params`; for a function, propagates location
    /// facts to the abstract origin's parameters and flags reordering.
    fn recode_params(&mut self, params: &[u32], mut func: Option<&mut bool>) {
        for &pi in params {
            let p = &self.cu.params[pi as usize];
            if p.raw_type.off == 0 {
                if p.origin.off == 0 {
                    self.cu.params[pi as usize].type_ = 0;
                    continue;
                }
                let Some(TagRef::Param(oi)) = self.find_tag(p.origin) else {
                    continue;
                };
                let (oname, oidx, otype) = {
                    let o = &self.cu.params[oi as usize];
                    (o.name, o.idx, o.type_)
                };
                let p = &self.cu.params[pi as usize];
                if p.idx != oidx {
                    if let Some(r) = func.as_deref_mut() {
                        *r = true;
                    }
                }
                let (has_loc, has_const, loc_const, loc_stack, loc_reg, tbs, pim, optimized, unexp) = (
                    p.has_loc,
                    p.has_const_value,
                    p.loc_const_value,
                    p.loc_stack,
                    p.loc_reg,
                    p.type_byte_size,
                    p.passed_in_memory,
                    p.optimized,
                    p.unexpected_reg,
                );
                {
                    let p = &mut self.cu.params[pi as usize];
                    p.name = oname;
                    p.type_ = otype;
                }
                // What the abstract origin's parameter learns from this instance.
                let o = &mut self.cu.params[oi as usize];
                o.has_loc |= has_loc;
                o.has_const_value |= has_const;
                o.loc_const_value |= loc_const;
                o.loc_stack |= loc_stack;
                o.passed_in_memory |= pim;
                o.optimized |= optimized;
                o.unexpected_reg |= unexp;
                if loc_reg != UNKNOWN_REG {
                    o.loc_reg = loc_reg;
                }
                if tbs != 0 {
                    o.type_byte_size = tbs;
                }
                continue;
            }
            if let Some(t) = self.find_type(p.raw_type) {
                self.cu.params[pi as usize].type_ = t;
            }
        }
    }

    fn recode_variable(&mut self, i: u32) {
        let v = &self.cu.variables[i as usize];
        if v.has_specification && v.spec_ref.off != 0 {
            if let Some(TagRef::Var(s)) = self.find_tag(v.spec_ref) {
                self.cu.variables[i as usize].spec = Some(s);
            }
        }
        let v = &self.cu.variables[i as usize];
        let ty = if v.raw_type.off == 0 {
            0
        } else {
            self.find_type(v.raw_type).unwrap_or(0)
        };
        self.cu.variables[i as usize].type_ = ty;
    }

    fn recode_function(&mut self, i: usize) {
        let f = &self.cu.functions[i];
        if f.name.is_none() && (f.origin.off != 0 || f.spec.off != 0) {
            let target = match self.find_tag(f.origin) {
                Some(TagRef::Func(t)) => Some(t),
                _ => match self.find_tag(f.spec) {
                    Some(TagRef::Func(t)) => Some(t),
                    _ => None,
                },
            };
            if let Some(t) = target {
                let n = self.cu.functions[t as usize].name;
                self.cu.functions[i].name = n;
            }
        }
        let params = std::mem::take(&mut self.cu.functions[i].params);
        let mut reordered = self.cu.functions[i].reordered_parm;
        self.recode_params(&params, Some(&mut reordered));
        let f = &mut self.cu.functions[i];
        f.params = params;
        f.reordered_parm = reordered;
        let raw = f.raw_type;
        let ret = if raw.off == 0 {
            0
        } else {
            self.find_type(raw).unwrap_or(0)
        };
        self.cu.functions[i].ret = ret;
    }

    /// `cu__resolve_func_ret_types_optimized`: parameter location analysis, the
    /// optimized/unexpected-register flags, and return types from abstract origins.
    fn resolve_func_ret_types_optimized(&mut self) {
        for i in 0..self.cu.functions.len() {
            self.analyze_parameter_locations(i);
            let f = &self.cu.functions[i];
            let mut optimized = false;
            let mut unexpected = false;
            for &pi in &f.params {
                let p = &self.cu.params[pi as usize];
                if p.optimized || !p.has_loc {
                    optimized = true;
                }
                if p.unexpected_reg {
                    unexpected = true;
                }
            }
            let mut has_struct_param = false;
            if unexpected {
                for &pi in &f.params {
                    if self.param_is_struct(self.cu.params[pi as usize].type_, 0) {
                        has_struct_param = true;
                        break;
                    }
                }
            }
            let f = &mut self.cu.functions[i];
            if optimized {
                f.optimized_parms = true;
            }
            if unexpected && !has_struct_param {
                f.unexpected_reg = true;
            }
            if f.ret != 0 || !f.has_abstract_origin {
                continue;
            }
            if let Some(TagRef::Func(o)) = self.find_tag(self.cu.functions[i].origin) {
                let r = self.cu.functions[o as usize].ret;
                self.cu.functions[i].ret = r;
            }
        }
    }

    /// `param__is_struct`.
    fn param_is_struct(&self, ty: u32, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let Some(t) = self.cu.types.get(ty as usize) else {
            return false;
        };
        if ty == 0 {
            return false;
        }
        match t.tag {
            DW_TAG_STRUCTURE_TYPE => true,
            DW_TAG_CONST_TYPE | DW_TAG_TYPEDEF => self.param_is_struct(t.type_, depth + 1),
            _ => false,
        }
    }

    /// `function__analyze_parameter_locations` (without `true_signature`).
    fn analyze_parameter_locations(&mut self, i: usize) {
        let arch = self.ctx.arch;
        let clang = self.cu.producer_clang;
        let signature_changed = self.cu.functions[i].signature_changed;
        let params = self.cu.functions[i].params.clone();
        let addr_size = self.cu.addr_size as i64;
        let slots_of = |p: &Param<'_>| -> i32 {
            if !arch.agg_use_two_regs || addr_size <= 0 || (p.type_byte_size as i64) <= addr_size {
                1
            } else {
                // (addr_size 0, from a hostile unit header, is one slot.)
                u64::from(p.type_byte_size).div_ceil(addr_size as u64) as i32
            }
        };
        let mut reg_idx: i32 = 0;
        if clang && !signature_changed {
            // function__match_clang_parameter_locations
            for &pi in &params {
                let p = &self.cu.params[pi as usize];
                let slots = slots_of(p);
                if p.passed_in_memory {
                    continue;
                }
                if reg_idx >= arch.nr_register_params {
                    break;
                }
                if p.loc_reg != UNKNOWN_REG {
                    let mut in_window = false;
                    for s in 0..slots {
                        let idx = reg_idx.saturating_add(s);
                        if idx >= arch.nr_register_params {
                            break;
                        }
                        if p.loc_reg == arch.register_params[idx as usize] {
                            in_window = true;
                            break;
                        }
                    }
                    if !in_window {
                        self.cu.params[pi as usize].unexpected_reg = true;
                    }
                }
                reg_idx = reg_idx.saturating_add(slots);
            }
            return;
        }
        for &pi in &params {
            let p = &self.cu.params[pi as usize];
            let mut consumes = true;
            let regs_available = reg_idx < arch.nr_register_params;
            let slots = slots_of(p);
            let expected_reg = if regs_available {
                arch.register_params[reg_idx as usize]
            } else {
                -1
            };
            let reg_slots = if p.passed_in_memory { 1 } else { slots };
            if p.has_loc {
                if !regs_available {
                    consumes = false;
                } else if p.loc_reg == UNKNOWN_REG {
                    self.cu.params[pi as usize].optimized = true;
                } else if expected_reg >= 0 && expected_reg != p.loc_reg {
                    self.cu.params[pi as usize].unexpected_reg = true;
                }
            } else if p.has_const_value && !clang {
                self.cu.params[pi as usize].optimized = true;
            }
            if consumes {
                reg_idx = reg_idx.saturating_add(reg_slots);
            }
        }
    }

    // --- finalize -------------------------------------------------------------------

    /// `class_member__cache_byte_size` over every member: the bit offset BTF gets.
    fn finalize(&mut self) {
        let little = self.ctx.arch.little_endian;
        for id in 1..self.cu.types.len() {
            let Kind::Composite { members, .. } = &self.cu.types[id].kind else {
                continue;
            };
            let sizes: Vec<(u64, Option<(u32, u64)>)> = members
                .iter()
                .map(|m| {
                    if m.tag != DW_TAG_MEMBER && m.tag != DW_TAG_INHERITANCE {
                        return (0, None);
                    }
                    if m.is_static && m.tag == DW_TAG_MEMBER {
                        return (0, None);
                    }
                    if m.bitfield_size == 0 {
                        return (self.tag_size(m.type_, 0), None);
                    }
                    let mut byte_size = m.byte_size;
                    if byte_size == 0 {
                        let t = self.strip_typedefs_and_modifiers(m.type_);
                        byte_size = self.tag_size(t, 0);
                        if byte_size == 0 {
                            let bit_size = match self.cu.types.get(t as usize).map(|e| &e.kind) {
                                Some(Kind::Enum { size, .. }) => *size as u64,
                                Some(Kind::Base { bit_size, .. }) => *bit_size as u64,
                                _ => 0,
                            };
                            byte_size = bit_size.div_ceil(8) * 8;
                        }
                    }
                    (byte_size, Some((0, byte_size)))
                })
                .collect();
            let Kind::Composite { members, .. } = &mut self.cu.types[id].kind else {
                continue;
            };
            for (m, (size, bf)) in members.iter_mut().zip(sizes) {
                if bf.is_none() {
                    m.byte_size = size;
                    continue;
                }
                cache_bitfield(m, size, little);
            }
        }
    }

    fn strip_typedefs_and_modifiers(&self, mut ty: u32) -> u32 {
        let mut guard = 0;
        while let Some(t) = self.cu.types.get(ty as usize) {
            if ty == 0 || guard > MAX_DEPTH {
                break;
            }
            guard += 1;
            match t.tag {
                DW_TAG_TYPEDEF | DW_TAG_CONST_TYPE | DW_TAG_VOLATILE_TYPE
                | DW_TAG_RESTRICT_TYPE | DW_TAG_ATOMIC_TYPE => ty = t.type_,
                _ => break,
            }
        }
        ty
    }

    /// `tag__size` of a type-table entry.
    pub(crate) fn tag_size(&self, ty: u32, depth: u32) -> u64 {
        tag_size(&self.cu, ty, depth)
    }
}

/// `tag__size` over a loaded unit.
pub(crate) fn tag_size(cu: &Cu<'_>, ty: u32, depth: u32) -> u64 {
    if depth > MAX_DEPTH {
        return u64::MAX;
    }
    let Some(t) = cu.types.get(ty as usize) else {
        return u64::MAX;
    };
    match t.tag {
        DW_TAG_STRING_TYPE => return 1,
        DW_TAG_POINTER_TYPE | DW_TAG_REFERENCE_TYPE => return cu.addr_size as u64,
        DW_TAG_BASE_TYPE => {
            if let Kind::Base { bit_size, .. } = t.kind {
                return (bit_size / 8) as u64;
            }
        }
        DW_TAG_ENUMERATION_TYPE => {
            if let Kind::Enum { size, .. } = t.kind {
                return (size / 8) as u64;
            }
        }
        DW_TAG_SUBROUTINE_TYPE => return cu.addr_size as u64,
        _ => {}
    }
    let size = if t.type_ == 0 {
        match &t.kind {
            Kind::Composite { size, members, .. } => {
                if *size == 1 && members.is_empty() {
                    0
                } else {
                    *size as u64
                }
            }
            _ => 0,
        }
    } else {
        if t.type_ as usize >= cu.types.len() {
            return u64::MAX;
        }
        if cu.types[t.type_ as usize].type_ == t.type_ {
            return u64::MAX; // tag__has_type_loop
        }
        tag_size(cu, t.type_, depth + 1)
    };
    if let Kind::Array { dims } = &t.kind {
        let mut n: u64 = 1;
        for &d in dims {
            n = n.wrapping_mul(d as u64);
        }
        return size.wrapping_mul(n);
    }
    size
}

/// `class_member__cache_byte_size` for a bitfield member of `byte_size` bytes. The
/// arithmetic is C's (wrapping, as pahole's `uint32_t`/`int8_t` fields wrap) so hostile
/// sizes give some answer rather than a panic; a size whose bit count wraps to 0 (where
/// pahole would divide by zero) skips the alignment.
fn cache_bitfield(m: &mut Member<'_>, byte_size: u64, little_endian: bool) {
    m.byte_size = byte_size;
    let bit_size = byte_size.wrapping_mul(8) as u32;
    if byte_size == 0 {
        m.bitfield_offset = 0;
        return;
    }
    if !m.has_bit_offset {
        if little_endian {
            m.bitfield_offset = (bit_size as i32)
                .wrapping_sub(m.bitfield_offset as i32)
                .wrapping_sub(m.bitfield_size as i32) as i8;
        }
        m.bit_offset = m
            .byte_offset
            .wrapping_mul(8)
            .wrapping_add(m.bitfield_offset as i32 as u32);
    } else {
        m.byte_offset = m.bit_offset / 8;
        m.bitfield_offset = (m.bit_offset - m.byte_offset * 8) as i8;
    }
    if m.bitfield_offset < 0 {
        m.bitfield_offset = (m.bitfield_offset as i32).wrapping_add(bit_size as i32) as i8;
        m.byte_offset = m.byte_offset.wrapping_sub(byte_size as u32);
        m.bit_offset = m
            .byte_offset
            .wrapping_mul(8)
            .wrapping_add(m.bitfield_offset as i32 as u32);
    }
    if bit_size == 0 {
        return;
    }
    // Align on the underlying type's natural boundary (byte_offset and bitfield_offset
    // only: the bit offset BTF gets stays).
    m.bitfield_offset = (m.bitfield_offset as i64)
        .wrapping_add(((m.byte_offset as u64 % byte_size) as i64).wrapping_mul(8))
        as i8;
    m.byte_offset = ((m.bit_offset / bit_size).wrapping_mul(bit_size)) / 8;
    if m.bitfield_offset as i64 >= bit_size as i64 {
        m.bitfield_offset = (m.bitfield_offset as i64 - bit_size as i64) as i8;
        m.byte_offset = m.byte_offset.wrapping_add(byte_size as u32);
    }
}

fn set_loc_reg(p: &mut Param<'_>, reg: i32) {
    if p.loc_reg == UNKNOWN_REG {
        p.loc_reg = reg;
    }
}

fn is_reg(atom: u8) -> bool {
    (expr::DW_OP_REG0..=expr::DW_OP_REG31).contains(&atom)
}

/// `attr_upper_bound`: `DW_AT_upper_bound + 1`, else `DW_AT_count`, else 0.
fn upper_bound(die_a: &Attrs<'_>) -> u32 {
    if let Some(v) = die_a.upper_bound {
        return formudata(&v).map(|n| n.wrapping_add(1) as u32).unwrap_or(0);
    }
    if let Some(v) = die_a.count {
        return formudata(&v).map(|n| n as u32).unwrap_or(0);
    }
    0
}

/// The die tag of `off`, for problem reports.
#[allow(dead_code)]
pub(crate) fn tag_name(tag: u16) -> String {
    gimli::DwTag(tag)
        .static_string()
        .map(str::to_string)
        .unwrap_or_else(|| format!("DW_TAG_{tag:#x}"))
}
