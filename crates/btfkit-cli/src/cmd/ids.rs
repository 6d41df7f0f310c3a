//! `btfkit ids`: list a module's `.BTF_ids` (the type ids `resolve_btfids` wrote into it
//! for kfunc sets, struct_ops and `BTF_ID_LIST`s) and what each id is in the module's
//! BTF, flagging every id that does not name the type its symbol says.

use crate::input::{relocate_error, BaseFile, Input};
use crate::out::{out, outln};
use anyhow::{bail, Context, Result};
use btfkit::elf::btf_ids::{describe_id, BtfIds, Report, Status};
use btfkit::elf::is_elf;
use btfkit::escape::escape;
use btfkit::module::open::{with_btf, Blobs, Opened};
use btfkit::module::ModuleError;
use btfkit::Btf;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// List a module's .BTF_ids entries and what their ids are in its BTF.
#[derive(clap::Args)]
#[command(
    after_help = "The ids are judged in the module's own id space: over --base (the vmlinux
BTF the module was built against) for plain split BTF, over its .BTF.base for a distilled
module, or, for a distilled module with --base, after relocating it onto --base (what that
kernel will see). Without a BTF to judge against, the stored ids are listed alone.

Inside a set the ids are sorted, so the symbol at a slot does not name the id stored there:
each slot is shown with the member whose kind and name its id has.

Exit status: 0 every entry names its type (or is unresolved, as resolve_btfids leaves a type
it cannot find), 1 at least one MISMATCH, 2 usage or I/O errors.

Examples:
  btfkit ids --base /sys/kernel/btf/vmlinux tcp_bbr.ko.xz
  btfkit ids nf_conntrack.ko          # distilled: judged over its .BTF.base"
)]
pub struct Opts {
    /// The vmlinux BTF the module was built against (plain split BTF), or to relocate a
    /// distilled module onto (raw, ELF, any compression).
    #[arg(long, short = 'B', value_name = "BASE")]
    base: Option<PathBuf>,
    /// Read the BTF without validating it first (forensics).
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    report: super::ReportFlags,
    /// A module or object file (any compression).
    input: PathBuf,
}

/// The BTF the ids are judged against, and the map into it.
struct Judge<'a> {
    btf: &'a Btf<'a>,
    map: &'a dyn Fn(u32) -> Option<u32>,
    what: String,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        crate::input::stdin_at_most_once(
            [&self.input]
                .into_iter()
                .chain(&self.base)
                .map(PathBuf::as_path),
        )?;
        let input = Input::read(&self.input)?;
        if !is_elf(&input.bytes) {
            bail!(
                "{}: not an ELF object; .BTF_ids lives in .ko/.o files",
                input.label
            );
        }
        let Some(ids) = BtfIds::parse(&input.bytes)
            .with_context(|| format!("{}: reading .BTF_ids", input.label))?
        else {
            if self.report.json {
                let doc = super::json_doc(
                    "ids",
                    serde_json::json!({"module": input.label, "btf_ids": null}),
                );
                outln!("{}", serde_json::to_string_pretty(&doc)?)?;
            } else if !self.report.quiet {
                outln!("{}: no .BTF_ids section", input.label)?;
            }
            return Ok(ExitCode::SUCCESS);
        };
        let flags = self.report;
        let validate = !self.no_validate;
        let blobs = match Blobs::of(&input.bytes) {
            Ok(b) => b,
            Err(ModuleError::NoBtf) => {
                emit(flags, &input.label, &ids, None, "no .BTF: stored ids only")?;
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => return Err(input.error(e)),
        };
        let base_path = self.base.clone().or_else(|| input.sysfs_default_base());
        if blobs.dist_base.is_none() && base_path.is_none() {
            emit(
                flags,
                &input.label,
                &ids,
                None,
                "plain split BTF and no --base: stored ids only",
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        let base_file = base_path.as_deref().map(BaseFile::read).transpose()?;
        let base = base_file.as_ref().map(|b| b.parse(validate)).transpose()?;
        let base_label = base_file
            .as_ref()
            .map(|b| b.label.clone())
            .unwrap_or_default();
        with_btf(&blobs, base.as_ref(), validate, |btf, opened| {
            let identity = Some;
            let relocated;
            let (map, what): (&dyn Fn(u32) -> Option<u32>, String) = match opened {
                Opened::Relocated(r) => {
                    relocated = |id: u32| r.id_map.get(btfkit::TypeId(id)).map(|t| t.0);
                    (
                        &relocated,
                        format!("over its .BTF.base relocated onto {base_label} (what that kernel sees)"),
                    )
                }
                Opened::OverDistilledBase => (&identity, "over its .BTF.base (distilled)".into()),
                _ => (&identity, format!("over {base_label}")),
            };
            finish(flags, &input.label, &ids, Judge { btf, map, what })
        })
        .map_err(|e| match e {
            ModuleError::Relocate(e) => relocate_error(&e, &input.label, &base_label),
            e => input.error(e),
        })?
    }
}

fn finish(
    flags: super::ReportFlags,
    label: &str,
    ids: &BtfIds,
    judge: Judge<'_>,
) -> Result<ExitCode> {
    let report = ids.resolve_mapped(judge.btf, judge.map);
    let what = format!(
        "ids {} (split ids from {})",
        judge.what,
        judge.btf.start_id()
    );
    emit(flags, label, ids, Some(&report), &what)?;
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The listing as text, JSON, or nothing (--quiet).
fn emit(
    flags: super::ReportFlags,
    label: &str,
    ids: &BtfIds,
    report: Option<&Report>,
    what: &str,
) -> Result<()> {
    if flags.json {
        let entries: Vec<serde_json::Value> = ids
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let r = report.map(|r| &r.entries[i]);
                serde_json::json!({
                    "offset": e.offset,
                    "kind": e.kind.as_str(),
                    "name": e.name,
                    "symbol": e.symbol,
                    "set": e.set.map(|(s, _)| ids.sets[s].name.clone()),
                    "stored": e.stored,
                    "id": r.map(|r| r.id),
                    "is": r.map(|r| describe_id(r.id, r.target, &r.is)),
                    "status": r.map(|r| status_text(r.status).to_lowercase()),
                })
            })
            .collect();
        let sets: Vec<serde_json::Value> = ids
            .sets
            .iter()
            .map(|s| {
                serde_json::json!({
                    "name": s.name,
                    "kind": s.kind.to_string(),
                    "offset": s.offset,
                    "cnt": s.cnt,
                    "flags": s.flags,
                    "sorted": s.is_sorted(),
                    "slots": s.slots.iter().map(|x| serde_json::json!({"offset": x.offset, "id": x.id, "flags": x.flags})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let doc = super::json_doc(
            "ids",
            serde_json::json!({
                "module": label,
                "judged": what,
                "btf_ids": {
                    "bytes": ids.data.len(),
                    "byte_order": ids.endian.to_string(),
                    "entries": entries,
                    "sets": sets,
                    "lists": ids.lists.iter().map(|l| serde_json::json!({"symbol": l.symbol, "offset": l.offset})).collect::<Vec<_>>(),
                },
                "ok": report.map(|r| r.is_ok()),
            }),
        );
        outln!("{}", serde_json::to_string_pretty(&doc)?)?;
    } else if !flags.quiet {
        out!("{}", render(label, ids, report, what))?;
    }
    Ok(())
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Unresolved => "unresolved",
        Status::Mismatch => "MISMATCH",
    }
}

/// The listing: sets with their slots, lists and single entries in section order, then
/// a summary line.
fn render(label: &str, ids: &BtfIds, report: Option<&Report>, what: &str) -> String {
    let mut o = String::new();
    let singles = ids.entries.iter().filter(|e| e.set.is_none()).count();
    let _ = writeln!(
        o,
        "{label}: .BTF_ids {} bytes ({}), {} entries: {} in {} sets, {singles} outside sets; {what}",
        ids.data.len(),
        ids.endian,
        ids.entries.len(),
        ids.entries.len() - singles,
        ids.sets.len(),
    );
    // Items in offset order: (offset, order among equal offsets, item).
    enum Item {
        List(usize),
        Set(usize),
        Entry(usize),
    }
    let mut items: Vec<(u32, u8, Item)> = Vec::new();
    items.extend(
        ids.lists
            .iter()
            .enumerate()
            .map(|(i, l)| (l.offset, 0, Item::List(i))),
    );
    items.extend(
        ids.sets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.offset, 1, Item::Set(i))),
    );
    items.extend(
        ids.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.set.is_none())
            .map(|(i, e)| (e.offset, 2, Item::Entry(i))),
    );
    items.sort_by_key(|(off, order, _)| (*off, *order));
    let mut mismatches = 0usize;
    for (_, _, item) in items {
        match item {
            Item::List(i) => {
                let l = &ids.lists[i];
                let _ = writeln!(o, "list {} at +{:#x}", escape(&l.symbol), l.offset);
            }
            Item::Entry(i) => {
                let e = &ids.entries[i];
                let (is, status) = match report {
                    Some(r) => {
                        let r = &r.entries[i];
                        if r.status == Status::Mismatch {
                            mismatches += 1;
                        }
                        (
                            describe_id(r.id, r.target, &r.is),
                            status_text(r.status).to_string(),
                        )
                    }
                    None => (format!("id {}", e.stored), String::new()),
                };
                let _ = writeln!(
                    o,
                    "  +{:#06x}  {:<8} {:<28} {:<44} {status}  {}",
                    e.offset,
                    e.kind.as_str(),
                    escape(&e.name),
                    is,
                    escape(&e.symbol)
                );
            }
            Item::Set(si) => {
                let set = &ids.sets[si];
                let flags = match set.flags {
                    Some(f) if set.is_kfuncs() => format!(", flags {f:#x} (kfuncs)"),
                    Some(f) => format!(", flags {f:#x}"),
                    None => String::new(),
                };
                let declared = match set.declared_cnt() {
                    Some(d) if d != set.cnt => format!(" (the symbol's size says {d})"),
                    _ => String::new(),
                };
                let sorted = if set.is_sorted() {
                    "sorted"
                } else {
                    "NOT SORTED (MISMATCH)"
                };
                if !set.is_sorted() {
                    mismatches += 1;
                }
                let _ = writeln!(
                    o,
                    "{} {} at +{:#x}: cnt {}{declared}{flags}, {sorted}",
                    set.kind,
                    escape(&set.name),
                    set.offset,
                    set.cnt
                );
                let sr = report.map(|r| &r.sets[si]);
                for (k, slot) in set.slots.iter().enumerate() {
                    let flags = slot
                        .flags
                        .map_or(String::new(), |f| format!("flags {f:#06x}"));
                    let (is, who) = match sr {
                        Some(sr) => {
                            let x = &sr.slots[k];
                            let who = match x.member {
                                Some(ei) => {
                                    let r = &report.expect("report").entries[ei];
                                    format!(
                                        "{}  {}",
                                        status_text(r.status),
                                        escape(&ids.entries[ei].symbol)
                                    )
                                }
                                None if x.id == 0 => "unused".to_string(),
                                None => {
                                    mismatches += 1;
                                    "MISMATCH: no member of the set names it".to_string()
                                }
                            };
                            (describe_id(x.id, x.target, &x.is), who)
                        }
                        None => (format!("id {}", slot.id), String::new()),
                    };
                    let _ = writeln!(
                        o,
                        "  +{:#06x}  [{k}] {:<44} {flags:<12} {who}",
                        slot.offset, is
                    );
                }
                if let Some(r) = report {
                    for &ei in &set.members {
                        let res = &r.entries[ei];
                        if res.slot.is_none() {
                            mismatches += 1;
                            let e = &ids.entries[ei];
                            let _ = writeln!(
                                o,
                                "  MISMATCH: member {} ({} {}) names no id of the set",
                                escape(&e.symbol),
                                e.kind,
                                escape(&e.name)
                            );
                        }
                    }
                }
            }
        }
    }
    match report {
        None => {}
        Some(r) if r.is_ok() => {
            let _ = writeln!(
                o,
                "every entry names the type its symbol says{}",
                if r.entries.iter().any(|x| x.status == Status::Unresolved) {
                    " (unresolved ones as resolve_btfids left them)"
                } else {
                    ""
                }
            );
        }
        Some(_) => {
            let _ = writeln!(
                o,
                "{mismatches} MISMATCH(ES): the kernel would get wrong type ids from this .BTF_ids (module load fails, or its kfuncs/struct_ops break)"
            );
        }
    }
    o
}
