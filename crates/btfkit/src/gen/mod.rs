//! BTF from DWARF for kernel modules, as Linux 7.2's kbuild makes it with pahole 1.32
//! (`-j1 --btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,
//! consistent_func,decl_tag_kfuncs --btf_features=attributes --btf_features=layout
//! --btf_features=+reproducible_build --lang_exclude=rust`).
//!
//! [`encode`] is pahole's part before `btf__dedup`: the split BTF its encoder builds
//! over the vmlinux base, type for type. Deduplication against the base and the
//! ordering of resolve_btfids follow.
//!
//! What pahole cannot encode is reported per DIE ([`Problem`]); where pahole gives up
//! on the module (an unsupported type such as a C++ reference, a complex float), so does
//! [`encode`], with an error naming the DIE.

mod encode;
mod expr;
mod fresh;
mod load;
mod packed;

pub use fresh::{fresh_btf_ids, BtfIdsState};

use crate::dwarf::{DwarfError, DwarfObject};
use crate::read::Btf;
use crate::Endian;

/// Something in the DWARF that pahole does not encode, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Offset of the DIE in `.debug_info`.
    pub die: u64,
    /// The DIE's name, when it has one.
    pub name: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// The kinds of [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A type tag BTF has no kind for (`DW_TAG_reference_type`, ...): pahole fails.
    Unsupported(u16),
    /// A complex, imaginary or interval float: pahole fails.
    ComplexFloat,
    /// DIEs nested deeper than this crate follows: the rest is skipped.
    TooDeep,
    /// `DW_TAG_imported_unit` (dwz): pahole stops reading the unit.
    ImportedUnit,
    /// A per-CPU variable whose name is not a valid BTF name: skipped.
    InvalidName,
    /// A per-CPU variable of type `void`: skipped.
    VoidVariable,
    /// The object's `.BTF_ids` were resolved before and its kfuncs' flags could not be
    /// recovered (why): they were read where the symbols point, as pahole does, and may
    /// belong to other kfuncs (`bpf_fastcall` tags). Not about a DIE (`die` is 0).
    StaleKfuncFlags(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let ProblemKind::StaleKfuncFlags(why) = &self.kind {
            return write!(
                f,
                ".BTF_ids were resolved before and {why}: kfunc flags read where their \
                 symbols point (bpf_fastcall tags may be on the wrong kfuncs)"
            );
        }
        write!(f, "DIE {:#x}", self.die)?;
        if let Some(n) = &self.name {
            write!(f, " '{n}'")?;
        }
        match &self.kind {
            ProblemKind::Unsupported(tag) => {
                write!(f, ": {} has no BTF encoding", load::tag_name(*tag))
            }
            ProblemKind::ComplexFloat => {
                write!(f, ": complex/imaginary floats have no BTF encoding")
            }
            ProblemKind::TooDeep => write!(f, ": DIEs nested too deep, skipped"),
            ProblemKind::ImportedUnit => write!(f, ": DW_TAG_imported_unit is not supported"),
            ProblemKind::InvalidName => write!(f, ": invalid BTF name, variable skipped"),
            ProblemKind::VoidVariable => write!(f, ": variable of type void, skipped"),
            ProblemKind::StaleKfuncFlags(_) => Ok(()),
        }
    }
}

/// Why BTF could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// The object or its DWARF could not be read.
    #[error(transparent)]
    Dwarf(#[from] DwarfError),
    /// gimli refused the DWARF.
    #[error("malformed DWARF: {0}")]
    Gimli(#[from] gimli::Error),
    /// A type BTF cannot express (pahole 1.32 gives up on the module).
    #[error("DIE {die:#x}: {tag} has no BTF encoding (pahole gives up on the module)")]
    Unsupported {
        /// The DWARF tag.
        tag: String,
        /// DIE offset.
        die: u64,
    },
    /// A type libbpf's `btf__add_*` would refuse.
    #[error("DIE {die:#x} '{name}': {what}: {reason}")]
    Libbpf {
        /// The BTF kind being added.
        what: &'static str,
        /// DIE offset (0 when not from one DIE).
        die: u64,
        /// The type's name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A kfunc's `.BTF_ids` entry lies outside the section.
    #[error("kfunc '{0}': entry outside .BTF_ids")]
    KfuncOutsideBtfIds(String),
    /// A kfunc flagged for arena pointers has no pointer there.
    #[error("kfunc '{0}': arena-tagged argument or return value is not a pointer")]
    KfuncArena(String),
    /// The BTF builder refused a record.
    #[error("building BTF: {0}")]
    Build(#[from] crate::write::BuildError),
    /// The object has no unit pahole encodes.
    #[error("no compile unit to encode")]
    NoUnits,
}

/// pahole's encoder output for one object: split BTF before deduplication.
#[derive(Debug)]
pub struct Encoded {
    /// The raw split BTF (over the base given to [`encode`]), in the object's byte order.
    pub btf: Vec<u8>,
    /// What was skipped or could not be encoded.
    pub problems: Vec<Problem>,
}

/// Runs pahole 1.32's encoder (as kbuild runs it) over the DWARF of `object`, an ELF
/// relocatable object such as a kernel module, with `base` (the vmlinux BTF) as base.
pub fn encode(object: &[u8], base: &Btf<'_>) -> Result<Encoded, GenError> {
    let obj = DwarfObject::parse(object)?;
    encode_object(&obj, base)
}

/// [`encode`] reading the object from `source` (a file, for instance) piece by piece:
/// only the sections BTF generation needs are ever in memory.
pub fn encode_source<S: crate::dwarf::Source>(
    source: &S,
    base: &Btf<'_>,
) -> Result<Encoded, GenError> {
    let obj = DwarfObject::read(source)?;
    encode_object(&obj, base)
}

/// Loads `units` as one unit of pahole's (and encodes it), creating the encoder with the
/// first unit that has something to encode.
#[allow(clippy::too_many_arguments)]
fn encode_units<'a, 'b, 'u>(
    obj: &'a DwarfObject<'a>,
    base: &'b Btf<'b>,
    dwarf: &gimli::Dwarf<crate::dwarf::Reader<'u>>,
    arch: load::Arch,
    units: &[gimli::Unit<crate::dwarf::Reader<'u>>],
    info_base: u64,
    encoder: &mut Option<encode::Encoder<'a, 'b>>,
    btf_ids: Option<&[u8]>,
    problems: &mut Vec<Problem>,
) -> Result<(), GenError> {
    let ctx = load::UnitCtx {
        dwarf,
        units,
        unit: &units[0],
        info_base,
        big_endian: obj.big_endian,
        arch,
    };
    let Some(cu) = load::Loader::new(ctx, problems).load()? else {
        return Ok(());
    };
    if encoder.is_none() {
        *encoder = Some(encode::Encoder::new(obj, base, btf_ids)?);
    }
    encoder
        .as_mut()
        .expect("just created")
        .encode_cu(&cu, problems)
}

/// `cus__merging_cu`: whether pahole loads every unit of the object as one. The Linux
/// `LTO_INFO` note decides when present; otherwise any abbreviation using
/// `DW_FORM_ref_addr` (a reference into another unit) does.
fn merging_cu(obj: &DwarfObject<'_>) -> bool {
    if let Some(lto) = obj.linux_lto_note() {
        return lto;
    }
    let abbrev = obj.debug_abbrev();
    (0..obj.unit_count()).any(|i| {
        let (_, a) = obj.unit_offsets(i).expect("unit in range");
        usize::try_from(a)
            .ok()
            .and_then(|a| abbrev.get(a..))
            .is_some_and(abbrevs_use_ref_addr)
    })
}

/// Whether an abbreviation table (as stored, from its start) has an attribute of form
/// `DW_FORM_ref_addr` (libdw's `dwarf_getabbrev` walk in `cus__merging_cu`).
fn abbrevs_use_ref_addr(mut b: &[u8]) -> bool {
    fn uleb(b: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let (&x, rest) = b.split_first()?;
            *b = rest;
            if shift < 64 {
                v |= ((x & 0x7f) as u64) << shift;
            }
            shift += 7;
            if x & 0x80 == 0 {
                return Some(v);
            }
        }
    }
    loop {
        let Some(code) = uleb(&mut b) else {
            return false;
        };
        if code == 0 {
            return false;
        }
        if uleb(&mut b).is_none() || b.is_empty() {
            return false; // tag, children flag
        }
        b = &b[1..];
        loop {
            let (Some(name), Some(form)) = (uleb(&mut b), uleb(&mut b)) else {
                return false;
            };
            if name == 0 && form == 0 {
                break;
            }
            if form == 0x10 {
                return true; // DW_FORM_ref_addr
            }
            if form == 0x21 && uleb(&mut b).is_none() {
                return false; // DW_FORM_implicit_const's value
            }
        }
    }
}

/// [`encode`] over an already parsed object.
pub fn encode_object(obj: &DwarfObject<'_>, base: &Btf<'_>) -> Result<Encoded, GenError> {
    let (builder, problems) = encode_builder(obj, base)?;
    let endian = if obj.big_endian {
        Endian::Big
    } else {
        Endian::Little
    };
    Ok(Encoded {
        btf: builder.to_bytes(endian),
        problems,
    })
}

/// pahole's encoder over `obj`: the split BTF being built (before `btf__dedup`, ready
/// for it: libbpf's deduplication of BTF built from scratch keeps its string section as
/// it is) and the problems met.
pub fn encode_builder<'b>(
    obj: &DwarfObject<'_>,
    base: &'b Btf<'b>,
) -> Result<(crate::write::Builder<'b>, Vec<Problem>), GenError> {
    encode_builder_with(obj, base, &fresh_btf_ids(obj, base))
}

/// [`encode_builder`] with the object's `.BTF_ids` as [`fresh_btf_ids`] found them
/// (for a caller that resolves them afterwards and needs the fresh section too).
pub fn encode_builder_with<'b>(
    obj: &DwarfObject<'_>,
    base: &'b Btf<'b>,
    state: &BtfIdsState,
) -> Result<(crate::write::Builder<'b>, Vec<Problem>), GenError> {
    let arch = load::Arch::new(obj.machine, !obj.big_endian);
    let mut problems = Vec::new();
    let btf_ids: Option<&[u8]> = match state {
        BtfIdsState::Recovered(fresh) => Some(fresh),
        BtfIdsState::Fresh => obj.btf_ids.as_ref().map(|(_, d)| &d[..]),
        BtfIdsState::Unrecoverable(why) => {
            problems.push(Problem {
                die: 0,
                name: None,
                kind: ProblemKind::StaleKfuncFlags(why.clone()),
            });
            obj.btf_ids.as_ref().map(|(_, d)| &d[..])
        }
    };
    let mut encoder: Option<encode::Encoder<'_, '_>> = None;
    if merging_cu(obj) {
        // LTO: pahole merges every unit into one (cross-unit references resolve), so
        // all of .debug_info is read at once.
        let info = obj.whole_info()?;
        let dwarf = obj.dwarf(&info);
        let mut units = Vec::new();
        let mut headers = dwarf.units();
        while let Some(header) = headers.next()? {
            units.push(crate::dwarf::unit(&dwarf, header)?);
        }
        if !units.is_empty() {
            encode_units(
                obj,
                base,
                &dwarf,
                arch,
                &units,
                0,
                &mut encoder,
                btf_ids,
                &mut problems,
            )?;
        }
    } else {
        // One unit at a time: only the unit being encoded is in memory.
        for i in 0..obj.unit_count() {
            let info = obj.unit_info(i)?;
            let (offset, _) = obj.unit_offsets(i).expect("unit in range");
            let dwarf = obj.dwarf(&info);
            let mut headers = dwarf.units();
            let Some(header) = headers.next()? else {
                continue;
            };
            let unit = crate::dwarf::unit(&dwarf, header)?;
            encode_units(
                obj,
                base,
                &dwarf,
                arch,
                std::slice::from_ref(&unit),
                offset,
                &mut encoder,
                btf_ids,
                &mut problems,
            )?;
        }
    }
    let mut enc = encoder.ok_or(GenError::NoUnits)?;
    enc.finish()?;
    let mut builder = enc.builder;
    builder.shrink_to_fit();
    Ok((builder, problems))
}
