//! Generating a module's BTF from its DWARF: the kernel build's whole pipeline in one
//! call (`scripts/gen-btf.sh` of Linux 7.2):
//!
//! 1. pahole's encoder ([`crate::gen::encode_builder_with`]) over the vmlinux BTF;
//! 2. deduplication against it ([`crate::dedup::DedupBase`], libbpf's `btf__dedup` as
//!    pahole calls it): pahole's `--btf_encode_detached` output, `M.ko.BTF.1`;
//! 3. `resolve_btfids` (`--distill_base` for an out-of-tree module): the types sorted by
//!    name ([`crate::sort`]) or distilled and sorted ([`crate::distill::distill_ordered`]),
//!    then `.BTF_ids` resolved by name in the result ([`BtfIds::resolve_by_name`]).
//!
//! In [`Order::Libbpf`] (a vmlinux not sorted by name: kernels before 6.19) step 3 keeps
//! pahole's order, and distillation is libbpf 1.7's with the `.BTF_ids` kept
//! ([`distill_with_btf_ids`](super::distill_with_btf_ids)).

use super::ids::distill_with_btf_ids;
use super::{check_readback, ModuleError, Rewritten};
use crate::dedup::DedupBase;
use crate::dwarf::{DwarfObject, Source};
use crate::elf::btf_ids::{BtfIds, BtfIdsError, Sym};
use crate::elf::patch;
use crate::elf::ResolvedIds;
use crate::gen::{fresh_btf_ids, BtfIdsState, Problem};
use crate::sort::Order;
use crate::{Btf, Endian};

/// Options of [`generate`] and [`gen`].
#[derive(Clone, Copy, Debug, Default)]
pub struct GenOptions {
    /// Distill the result (`.BTF` over a new `.BTF.base`), as the kernel's build does for
    /// an out-of-tree module.
    pub distill: bool,
    /// Which bytes to write ([`Order::Auto`] by default: the kernel build's when the
    /// vmlinux is sorted by name, pahole's and libbpf 1.7's otherwise).
    pub order: Order,
}

/// How a module's `.BTF_ids` were resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdsResolved {
    /// Entries (`BTF_ID` symbols) of the section.
    pub entries: usize,
    /// Sets (`BTF_SET_START`, `BTF_KFUNCS_START`) of the section.
    pub sets: usize,
    /// Names of the entries no type answers (left 0; `resolve_btfids` warns
    /// "unresolved symbol").
    pub unresolved: Vec<String>,
    /// Names of the entries several types of their kind answer (the first was taken;
    /// `resolve_btfids` warns "multiple IDs found").
    pub ambiguous: Vec<String>,
}

/// What [`generate`] made of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedModule {
    /// Types of the new `.BTF`.
    pub types: u32,
    /// Types of the new `.BTF.base`, when distilled.
    pub base_types: Option<u32>,
    /// Which bytes were written: [`Order::Kernel`] or [`Order::Libbpf`].
    pub order: Order,
    /// How `.BTF_ids` were resolved, when the module has them.
    pub ids: Option<IdsResolved>,
    /// What pahole would not encode (per DIE) or could not recover.
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for GeneratedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "generated ({} order): {} types", self.order, self.types)?;
        if let Some(n) = self.base_types {
            write!(f, " over a distilled base of {n}")?;
        }
        if let Some(ids) = &self.ids {
            write!(f, "; .BTF_ids: {} entries, {} sets", ids.entries, ids.sets)?;
            if !ids.unresolved.is_empty() {
                write!(f, ", {} unresolved", ids.unresolved.len())?;
            }
        }
        if !self.problems.is_empty() {
            write!(f, "; {} DWARF problems", self.problems.len())?;
        }
        Ok(())
    }
}

/// The blobs [`generate`] made: what the kernel's build writes next to a module
/// (`M.ko.BTF`, `M.ko.BTF.base`, `M.ko.BTF_ids`).
#[derive(Clone, Debug)]
pub struct GeneratedBtf {
    /// The module's `.BTF`: split BTF over the vmlinux, or over [`GeneratedBtf::base`].
    pub btf: Vec<u8>,
    /// The distilled base (`.BTF.base`), with [`GenOptions::distill`].
    pub base: Option<Vec<u8>>,
    /// The resolved `.BTF_ids` section, when the module has one.
    pub btf_ids: Option<Vec<u8>>,
    /// What was made.
    pub summary: GeneratedModule,
}

/// Generates the BTF of `elf` (an ELF relocatable object with DWARF, decompressed: a
/// kernel module before or after the build put BTF into it) against `vmlinux`, the
/// target kernel's BTF prepared for deduplication, as the kernel's build does
/// (see the module doc). An object whose `.BTF_ids` were resolved already (a finished
/// module with debug info) has them put back as the compiler left them first
/// ([`fresh_btf_ids`]).
///
/// Errors: the object is not ELF or has no DWARF ([`ModuleError::Gen`]), DWARF pahole
/// gives up on (the DIE is named), `.BTF_ids` whose symbols lie outside the section.
pub fn generate(
    elf: &[u8],
    vmlinux: &DedupBase<'_>,
    opts: &GenOptions,
) -> Result<GeneratedBtf, ModuleError> {
    let obj = DwarfObject::parse(elf).map_err(crate::gen::GenError::from)?;
    generate_object(&obj, vmlinux, opts)
}

/// [`generate`] reading the object from `source` (a file, for instance) piece by piece:
/// only the sections BTF generation needs are ever in memory, one compile unit of
/// `.debug_info` at a time.
pub fn generate_from<S: Source>(
    source: &S,
    vmlinux: &DedupBase<'_>,
    opts: &GenOptions,
) -> Result<GeneratedBtf, ModuleError> {
    // The object (its debug sections) is gone before deduplication starts.
    let encoded = {
        let obj = DwarfObject::read(source).map_err(crate::gen::GenError::from)?;
        encode(&obj, vmlinux.base())?
    };
    finish(encoded, vmlinux, opts)
}

/// [`generate`] of an object already read.
pub fn generate_object(
    obj: &DwarfObject<'_>,
    vmlinux: &DedupBase<'_>,
    opts: &GenOptions,
) -> Result<GeneratedBtf, ModuleError> {
    finish(encode(obj, vmlinux.base())?, vmlinux, opts)
}

/// pahole's encoder output for an object, and its `.BTF_ids` as the compiler left them.
struct Encoded<'b> {
    builder: crate::write::Builder<'b>,
    problems: Vec<Problem>,
    endian: Endian,
    /// The section's layout, and its contents with ids 0.
    ids: Option<(ObjectIds, BtfIds)>,
}

fn encode<'b>(obj: &DwarfObject<'_>, base: &'b Btf<'b>) -> Result<Encoded<'b>, ModuleError> {
    let state = fresh_btf_ids(obj, base);
    let (builder, problems) = crate::gen::encode_builder_with(obj, base, &state)?;
    let ids = match ObjectIds::of(obj)? {
        Some((ids, data)) => {
            let data = match state {
                BtfIdsState::Recovered(fresh) => fresh,
                _ => data,
            };
            let fresh = ids.with(data)?;
            Some((ids, fresh))
        }
        None => None,
    };
    let endian = if obj.big_endian {
        Endian::Big
    } else {
        Endian::Little
    };
    Ok(Encoded {
        builder,
        problems,
        endian,
        ids,
    })
}

/// Deduplication against the vmlinux, then what `resolve_btfids` does.
fn finish(
    enc: Encoded<'_>,
    vmlinux: &DedupBase<'_>,
    opts: &GenOptions,
) -> Result<GeneratedBtf, ModuleError> {
    let base = vmlinux.base();
    let Encoded {
        mut builder,
        problems,
        endian,
        ids,
    } = enc;
    vmlinux
        .dedup_builder(&mut builder)
        .map_err(|e| ModuleError::Internal(format!("deduplicating the encoded BTF: {e}")))?;
    // pahole's M.ko.BTF.1.
    let encoded = builder.to_bytes(endian);
    drop(builder);
    let internal = |e: &dyn std::fmt::Display| ModuleError::Internal(e.to_string());
    let split = Btf::parse_split(&encoded, base).map_err(|e| internal(&e))?;
    let order = opts.order.resolve(base);
    let (layout, ids) = match ids {
        Some((l, i)) => (Some(l), Some(i)),
        None => (None, None),
    };
    let own_types = split.type_count();
    // The new .BTF, the distilled base (bytes, its types, base types copied into .BTF)
    // and the resolved .BTF_ids.
    let (btf, dbase, section) = match (opts.distill, order) {
        (false, Order::Kernel) => {
            let sorted = crate::sort::sort_by_name(&split).map_err(|e| internal(&e))?;
            let s = Btf::parse_split(&sorted.bytes, base).map_err(|e| internal(&e))?;
            let r = resolve(ids.as_ref(), &s)?;
            (sorted.bytes, None, r)
        }
        (false, _) => {
            let r = resolve(ids.as_ref(), &split)?;
            (encoded, None, r)
        }
        (true, Order::Kernel) => {
            let d = crate::distill::distill_ordered(&split, &[], Order::Kernel)?;
            let db = Btf::parse(&d.base).map_err(|e| internal(&e))?;
            let ds = Btf::parse_split(&d.split, &db).map_err(|e| internal(&e))?;
            let r = resolve(ids.as_ref(), &ds)?;
            (d.split, Some((d.base, d.base_types, d.copied_types)), r)
        }
        (true, _) => match &ids {
            None => {
                let d = crate::distill::distill_ordered(&split, &[], Order::Libbpf)?;
                (d.split, Some((d.base, d.base_types, d.copied_types)), None)
            }
            Some(ids) => {
                // libbpf's order: ids resolved over pahole's output, then mapped through
                // the distillation (the vmlinux types they name are kept).
                let r = ids.resolve_by_name(&split)?;
                let resolved = layout
                    .as_ref()
                    .expect("with the ids")
                    .with(r.data.clone())?;
                let (d, section, _) = distill_with_btf_ids(&split, &resolved, Order::Libbpf)?;
                let r = ResolvedIds { data: section, ..r };
                (
                    d.split,
                    Some((d.base, d.base_types, d.copied_types)),
                    Some(r),
                )
            }
        },
    };
    let (dbase, types, base_types) = match dbase {
        Some((b, n, copied)) => (Some(b), own_types + copied, Some(n)),
        None => (None, own_types, None),
    };
    let ids_summary = ids.as_ref().zip(section.as_ref()).map(|(ids, r)| {
        let names = |idx: &[usize]| {
            let mut v: Vec<String> = idx.iter().map(|&i| ids.entries[i].name.clone()).collect();
            v.sort();
            v.dedup();
            v
        };
        IdsResolved {
            entries: ids.entries.len(),
            sets: ids.sets.len(),
            unresolved: names(&r.unresolved),
            ambiguous: names(&r.ambiguous),
        }
    });
    Ok(GeneratedBtf {
        btf,
        base: dbase,
        btf_ids: section.map(|r| r.data),
        summary: GeneratedModule {
            types,
            base_types,
            order,
            ids: ids_summary,
            problems,
        },
    })
}

/// The object's `.BTF_ids` section: where it is and the symbols in it, to read its
/// contents as [`BtfIds::parse`] reads them (before and after resolution).
struct ObjectIds {
    endian: Endian,
    is_64: bool,
    index: u32,
    symbols: Vec<Sym>,
}

impl ObjectIds {
    fn of(obj: &DwarfObject<'_>) -> Result<Option<(ObjectIds, Vec<u8>)>, ModuleError> {
        let Some((index, data)) = &obj.btf_ids else {
            return Ok(None);
        };
        if !obj.has_symbols() {
            return Err(BtfIdsError::NoSymtab.into());
        }
        let addr = obj.section(*index).map_or(0, |s| s.raw_addr);
        let symbols = obj
            .symbols()
            .filter(|s| s.shndx == *index)
            .map(|s| Sym {
                name: s.name.to_vec(),
                offset: s.value.wrapping_sub(addr),
                size: s.size,
                is_section: s.st_type == STT_SECTION,
            })
            .collect();
        let endian = if obj.big_endian {
            Endian::Big
        } else {
            Endian::Little
        };
        let ids = ObjectIds {
            endian,
            is_64: obj.is_64,
            index: *index,
            symbols,
        };
        Ok(Some((ids, data.to_vec())))
    }

    /// The section with contents `data`.
    fn with(&self, data: Vec<u8>) -> Result<BtfIds, ModuleError> {
        Ok(BtfIds::from_symbols(
            self.endian,
            self.is_64,
            self.index as usize,
            data,
            self.symbols.clone(),
        )?)
    }
}

/// `STT_SECTION`.
const STT_SECTION: u8 = 3;

fn resolve(ids: Option<&BtfIds>, btf: &Btf<'_>) -> Result<Option<ResolvedIds>, ModuleError> {
    Ok(match ids {
        Some(ids) => Some(ids.resolve_by_name(btf)?),
        None => None,
    })
}

/// [`generate`], written into the module: `.BTF` (and `.BTF.base` with
/// [`GenOptions::distill`], else any old `.BTF.base` removed) and the resolved
/// `.BTF_ids`, as `scripts/gen-btf.sh` adds them; every other section keeps its bytes
/// and index.
pub fn gen(
    elf: &[u8],
    vmlinux: &DedupBase<'_>,
    opts: &GenOptions,
) -> Result<Rewritten<GeneratedModule>, ModuleError> {
    let g = generate(elf, vmlinux, opts)?;
    let mut edits = patch::Patch::new();
    edits.set(".BTF", &g.btf);
    match &g.base {
        Some(b) => edits.set(".BTF.base", b),
        None => edits.remove(".BTF.base"),
    };
    if let Some(ids) = &g.btf_ids {
        edits.replace(crate::elf::btf_ids::SECTION, ids);
    }
    let patched = edits.apply(elf)?;
    check_readback(&patched.elf, &g.btf, g.base.as_deref())?;
    Ok(Rewritten {
        patched,
        summary: g.summary,
    })
}
