//! `btfkit ids`: list a module's `.BTF_ids` (the type ids `resolve_btfids` wrote into it
//! for kfunc sets, struct_ops and `BTF_ID_LIST`s) and what each id is in the module's
//! BTF, flagging every id that does not name the type its symbol says.

use crate::input::{parse_checked, relocate_onto, BaseFile, Input};
use anyhow::{bail, Context, Result};
use btfkit::elf::btf_ids::{describe_id, BtfIds, Report, Status};
use btfkit::elf::is_elf;
use btfkit::error::Section;
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
            println!("{}: no .BTF_ids section", input.label);
            return Ok(ExitCode::SUCCESS);
        };
        let validate = !self.no_validate;
        let has_btf = btfkit::elf::BtfSections::parse(&input.bytes).is_ok();
        if !has_btf {
            print!(
                "{}",
                render(&input.label, &ids, None, "no .BTF: stored ids only")
            );
            return Ok(ExitCode::SUCCESS);
        }
        let blobs = input.blobs()?;
        let identity = Some;
        if let Some(dist) = &blobs.dist_base {
            let label = format!("{} (.BTF.base)", input.label);
            let dist_base = parse_checked(dist, None, Section::BtfBase, &label, validate)?;
            let split = parse_checked(
                &blobs.btf,
                Some(&dist_base),
                Section::Btf,
                &input.label,
                validate,
            )?;
            let Some(bp) = &self.base else {
                let judge = Judge {
                    btf: &split,
                    map: &identity,
                    what: "over its .BTF.base (distilled)".into(),
                };
                return finish(&input.label, &ids, judge);
            };
            let base_input = BaseFile::read(bp)?;
            let base = base_input.parse(validate)?;
            let relocated = relocate_onto(&split, &base, &input.label, &base_input.label)?;
            let btf = parse_checked(
                &relocated.split,
                Some(&base),
                Section::Btf,
                &input.label,
                validate,
            )?;
            let map = |id: u32| relocated.id_map.get(btfkit::TypeId(id)).map(|t| t.0);
            let judge = Judge {
                btf: &btf,
                map: &map,
                what: format!(
                    "over its .BTF.base relocated onto {} (what that kernel sees)",
                    base_input.label
                ),
            };
            return finish(&input.label, &ids, judge);
        }
        let Some(bp) = self.base.clone().or_else(|| input.sysfs_default_base()) else {
            print!(
                "{}",
                render(
                    &input.label,
                    &ids,
                    None,
                    "plain split BTF and no --base: stored ids only"
                )
            );
            return Ok(ExitCode::SUCCESS);
        };
        let base_input = BaseFile::read(&bp)?;
        let base = base_input.parse(validate)?;
        let split = parse_checked(
            &blobs.btf,
            Some(&base),
            Section::Btf,
            &input.label,
            validate,
        )?;
        let judge = Judge {
            btf: &split,
            map: &identity,
            what: format!("over {}", base_input.label),
        };
        finish(&input.label, &ids, judge)
    }
}

fn finish(label: &str, ids: &BtfIds, judge: Judge<'_>) -> Result<ExitCode> {
    let report = ids.resolve_mapped(judge.btf, judge.map);
    let what = format!(
        "ids {} (split ids from {})",
        judge.what,
        judge.btf.start_id()
    );
    print!("{}", render(label, ids, Some(&report), &what));
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
                let _ = writeln!(o, "list {} at +{:#x}", l.symbol, l.offset);
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
                    e.name,
                    is,
                    e.symbol
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
                    set.kind, set.name, set.offset, set.cnt
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
                                    format!("{}  {}", status_text(r.status), ids.entries[ei].symbol)
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
                                e.symbol, e.kind, e.name
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

// ---------------------------------------------------------------------------------------
// For the commands that rewrite modules (`distill -o/--in-place`, `retarget`) and `check`.

/// The first `n` problems of a report, joined, with a count of the rest.
pub(crate) fn problems_text(ids: &BtfIds, report: &Report, n: usize) -> String {
    let p = report.problems(ids);
    let mut text = p.iter().take(n).cloned().collect::<Vec<_>>().join("; ");
    if p.len() > n {
        let _ = write!(text, "; and {} more", p.len() - n);
    }
    text
}

/// The `.BTF_ids` of a module about to be rewritten (None when it has none), checked
/// against `btf`, the module's BTF in the id space its ids are in. A module whose
/// `.BTF_ids` already do not name the types their symbols say is refused: rewriting
/// would carry the wrong ids over (`btfkit ids` shows them).
pub(crate) fn read_for_rewrite(elf: &[u8], btf: &Btf<'_>) -> Result<Option<BtfIds>> {
    let Some(ids) = BtfIds::parse(elf).context("reading .BTF_ids")? else {
        return Ok(None);
    };
    let report = ids.resolve(btf);
    if !report.is_ok() {
        return Err(super::distill::Refusal(format!(
            "its .BTF_ids do not match its .BTF even before rewriting ({}); `btfkit ids` lists every entry",
            problems_text(&ids, &report, 3)
        ))
        .into());
    }
    Ok(Some(ids))
}

/// Checks a rewritten module: its `.BTF_ids` read back as `section`, and every entry
/// names (through `map`, into `btf`) what its symbol says, every set sorted.
pub(crate) fn check_rewritten(
    elf: &[u8],
    section: &[u8],
    btf: &Btf<'_>,
    map: impl Fn(u32) -> Option<u32>,
) -> Result<()> {
    let ids = BtfIds::parse(elf)
        .context("reading back the rewritten .BTF_ids")?
        .context("internal error: the rewritten module lost its .BTF_ids")?;
    if ids.data != section {
        bail!("internal error: the rewritten .BTF_ids do not read back as written");
    }
    let report = ids.resolve_mapped(btf, map);
    if !report.is_ok() {
        bail!(
            "internal error: the rewritten .BTF_ids do not name their types: {}",
            problems_text(&ids, &report, 5)
        );
    }
    Ok(())
}

/// A one-line account of a rewrite, for the command's detail line.
pub(crate) fn rewrite_note(ids: &BtfIds, kept: usize) -> String {
    let mut s = format!(
        "; .BTF_ids: {} entries rewritten, {} sets re-sorted",
        ids.entries.len(),
        ids.sets.len()
    );
    if kept > 0 {
        let _ = write!(s, ", {kept} of their ids name vmlinux types");
    }
    s
}

/// What `check` found in a module's `.BTF_ids`.
pub(crate) struct IdsCheck {
    /// Entries.
    pub entries: usize,
    /// One line per problem (empty: every entry names its type).
    pub problems: Vec<String>,
    /// A kfunc set holds an id that is not one of its functions: the kernel refuses
    /// the set (`register_btf_kfunc_id_set` fails), so the module's init fails.
    pub kfuncs_broken: bool,
}

impl IdsCheck {
    /// The verdict text for a module with problems.
    pub fn text(&self) -> String {
        let mut t = if self.kfuncs_broken {
            "would fail to load: its .BTF_ids do not name their types on the target (the kernel \
             refuses its kfunc set: insmod fails with EINVAL): "
                .to_string()
        } else {
            "would be refused: its .BTF_ids name the wrong types on the target (its BPF \
             interfaces break): "
                .to_string()
        };
        let n = 3;
        t.push_str(
            &self
                .problems
                .iter()
                .take(n)
                .cloned()
                .collect::<Vec<_>>()
                .join("; "),
        );
        if self.problems.len() > n {
            let _ = write!(
                t,
                "; and {} more (`btfkit ids` lists them)",
                self.problems.len() - n
            );
        }
        t
    }
}

/// For `check`: the `.BTF_ids` of the module in `elf` (None when it has none), judged in
/// `btf` (the module's BTF as the target kernel will see it) through `map`.
pub(crate) fn check_module(
    elf: &[u8],
    btf: &Btf<'_>,
    map: impl Fn(u32) -> Option<u32>,
) -> Result<Option<IdsCheck>> {
    if !is_elf(elf) {
        return Ok(None);
    }
    let Some(ids) = BtfIds::parse(elf).context("reading .BTF_ids")? else {
        return Ok(None);
    };
    let report = ids.resolve_mapped(btf, map);
    let kfuncs_broken = ids.sets.iter().zip(&report.sets).any(|(set, r)| {
        set.is_kfuncs()
            && r.slots.iter().any(|s| {
                s.id != 0
                    && (s.member.is_none()
                        || s.is.as_ref().map(|n| n.kind) != Some(btfkit::Kind::FUNC))
            })
    });
    Ok(Some(IdsCheck {
        entries: ids.entries.len(),
        problems: report.problems(&ids),
        kfuncs_broken,
    }))
}
