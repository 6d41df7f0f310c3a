//! `btfkit retarget`: rewrite a module's plain split BTF, built against one vmlinux, as
//! plain split BTF against another (distill over the old vmlinux, relocate onto the new
//! one), for kernels that do not read `.BTF.base`. The module file is rewritten like
//! `distill -o` / `--in-place` does it.

use super::distill::{check_readback, distill_with_btf_ids, run_modules, Refusal, Step, Target};
use crate::input::{parse_checked, BaseFile, Input};
use crate::report::error_text;
use anyhow::{bail, Context, Result};
use btfkit::elf::{btf_ids, patch};
use btfkit::elf::{BtfSections, ElfError};
use btfkit::error::Section;
use btfkit::Btf;
use std::path::PathBuf;
use std::process::ExitCode;

/// Rewrite module BTF built against one vmlinux as split BTF against another.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  btfkit retarget --from vmlinux-6.1.btf --to /sys/kernel/btf/vmlinux veth.ko -o veth-new.ko
  btfkit retarget --from old.btf --to new.btf --in-place modules/

The module's .BTF (split BTF over OLD_VMLINUX) is distilled over OLD_VMLINUX and relocated
onto NEW_VMLINUX, as the kernel relocates .BTF.base at load time; the result is plain split
BTF over NEW_VMLINUX, with no .BTF.base, for kernels that do not read .BTF.base. A module
that already has .BTF.base is relocated from it (--from is then not needed). Every other
section keeps its bytes and index; --in-place keeps each file's compression (-o: as OUT's
name says); an appended module signature is dropped. The module's .BTF_ids (kfunc sets,
BTF_ID_LISTs) are rewritten into NEW_VMLINUX's id space and their sets re-sorted.

Exit status: 0 retargeted, 1 a module does not relocate onto NEW_VMLINUX (every reason is
listed; the module is left as it is), 2 usage or I/O errors and refused input.")]
pub struct Opts {
    /// The vmlinux BTF the modules were built against (raw, ELF, any compression).
    #[arg(long, value_name = "OLD_VMLINUX")]
    from: Option<PathBuf>,
    /// The vmlinux BTF to retarget the modules onto.
    #[arg(long, value_name = "NEW_VMLINUX")]
    to: PathBuf,
    /// Write the module (one input) to OUT (compressed as OUT's name says: .ko none,
    /// .xz, .gz, .zst; else as the input).
    #[arg(long, short = 'o', value_name = "OUT", conflicts_with = "in_place")]
    out: Option<PathBuf>,
    /// Rewrite the .ko files in place (atomically); directories are searched recursively.
    #[arg(long)]
    in_place: bool,
    /// Match a distilled STRUCT/UNION only against a STRUCT/UNION of NEW_VMLINUX (libbpf
    /// and the kernel match any kind of the same name).
    #[arg(long)]
    strict_kinds: bool,
    /// Skip validating the inputs (forensics).
    #[arg(long)]
    no_validate: bool,
    /// Module files (.ko, any compression), or directories with --in-place.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// Retargets one module.
fn retarget_module(
    old: Option<&Btf<'_>>,
    new: &Btf<'_>,
    new_label: &str,
    input: &Input,
    opts: &Opts,
    batch: bool,
) -> Result<Step> {
    let validate = !opts.no_validate;
    let secs = match BtfSections::parse(&input.bytes) {
        Ok(s) => s,
        Err(ElfError::NoBtf) if batch => return Ok(Step::Skip("no .BTF section".into())),
        Err(e) => return Err(e).context("reading the ELF sections"),
    };
    // The module's BTF over a distilled base: its own, or distilled over --from (keeping
    // the vmlinux types its .BTF_ids name). `ids`: its .BTF_ids, checked in the id space
    // they are in; `dist_map`: from that space to the distilled one (None: the same).
    let (dist_base, split, how, ids, dist_map) = match &secs.base {
        Some(b) => (
            b.to_vec(),
            secs.btf.to_vec(),
            if old.is_some() {
                "relocated from its .BTF.base; --from was not needed"
            } else {
                "relocated from its .BTF.base"
            },
            None,
            None,
        ),
        None => {
            let Some(old) = old else {
                bail!("has no .BTF.base: give --from, the vmlinux BTF it was built against");
            };
            let split = parse_checked(&secs.btf, Some(old), Section::Btf, &input.label, validate)?;
            match super::ids::read_for_rewrite(&input.bytes, &split)? {
                None => {
                    let d = btfkit::distill::distill(&split)?;
                    (
                        d.base,
                        d.split,
                        "distilled over --from and relocated",
                        None,
                        None,
                    )
                }
                Some(ids) => {
                    let (d, _) = distill_with_btf_ids(&split, &ids, btfkit::sort::Order::Libbpf)?;
                    let roots = ids.roots(&split).len();
                    let how = "distilled over --from and relocated";
                    (d.base, d.split, how, Some((ids, roots)), Some(d.id_map))
                }
            }
        }
    };
    let dist = parse_checked(
        &dist_base,
        None,
        Section::BtfBase,
        &format!("{} (distilled base)", input.label),
        validate,
    )?;
    let split = parse_checked(&split, Some(&dist), Section::Btf, &input.label, validate)?;
    let ids = match ids {
        Some(x) => Some(x),
        None if secs.base.is_some() => {
            super::ids::read_for_rewrite(&input.bytes, &split)?.map(|ids| (ids, 0))
        }
        None => None,
    };
    let r = btfkit::relocate::relocate(
        &split,
        new,
        btfkit::relocate::Options {
            strict_kinds: opts.strict_kinds,
        },
    )
    .map_err(|e| {
        anyhow::Error::new(Refusal(format!(
            "does not relocate onto {new_label}: {}",
            error_text(&e, if batch { 20 } else { 0 })
        )))
    })?;
    // What we write must be valid split BTF over the new base.
    parse_checked(&r.split, Some(new), Section::Btf, &input.label, true)
        .context("internal error: the relocated BTF is not valid over the new base")?;
    let (p, note) = match &ids {
        None => (
            patch::set_btf(&input.bytes, &r.split, None).context("rewriting the ELF sections")?,
            String::new(),
        ),
        Some((ids, kept)) => {
            // Old id -> distilled id -> id over the new vmlinux.
            let map = |old: u32| {
                let dist = match &dist_map {
                    Some(m) => m.get(btfkit::TypeId(old))?.0,
                    None => old,
                };
                r.id_map.get(dist as usize).copied()
            };
            let section = ids.rewrite(map).context("rewriting .BTF_ids")?;
            let mut edits = patch::Patch::new();
            edits
                .set(".BTF", &r.split)
                .remove(".BTF.base")
                .replace(btf_ids::SECTION, &section);
            let p = edits
                .apply(&input.bytes)
                .context("rewriting the ELF sections")?;
            let rs = Btf::parse_split(&r.split, new)?;
            super::ids::check_rewritten(&p.elf, &section, &rs, Some)?;
            (p, super::ids::rewrite_note(ids, *kept))
        }
    };
    check_readback(&p.elf, &r.split, None)?;
    let mut detail = format!(
        "retargeted onto {new_label} ({how}): .BTF {} bytes, was {}{note}",
        r.split.len(),
        secs.btf.len()
    );
    if !r.cross_kind.is_empty() {
        detail.push_str(&format!(
            "; {} distilled types matched a type of another kind (--strict-kinds refuses that)",
            r.cross_kind.len()
        ));
    }
    Ok(Step::Patched(p, detail))
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let target = Target::new(self.out.clone(), self.in_place, &self.inputs)?;
        let validate = !self.no_validate;
        let new_file = BaseFile::read(&self.to)?;
        let new = new_file.parse(validate)?;
        let old_file = self.from.as_deref().map(BaseFile::read).transpose()?;
        let old = old_file.as_ref().map(|f| f.parse(validate)).transpose()?;
        let job = |input: &Input, batch: bool| {
            retarget_module(old.as_ref(), &new, &new_file.label, input, &self, batch)
        };
        run_modules("retargeted", &target, &self.inputs, &job)
    }
}
