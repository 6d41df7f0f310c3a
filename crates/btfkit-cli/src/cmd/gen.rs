//! `btfkit gen`: a module's BTF made from its DWARF, as the kernel's build makes it
//! (pahole, then resolve_btfids), with only the target kernel's BTF at hand: written into
//! the module (`-o`, `--in-place`, with [`btfkit::module::gen`]) or as raw files
//! (`--out-dir`, with [`btfkit::module::generate`]).

use crate::batch::{Notes, Rewrite, Target};
use crate::input::{labelled, show, BaseFile, Input, Walk};
use crate::out::diag;
use crate::output::{stage_outputs, POLICY};
use anyhow::{Context, Result};
use btfkit::dedup::DedupBase;
use btfkit::module::{self, GenOptions, GeneratedBtf, GeneratedModule};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "Examples:
  btfkit gen --base /sys/kernel/btf/vmlinux --in-place --distill mydriver.ko
  btfkit gen --base /sys/kernel/btf/vmlinux mydriver.ko -o mydriver-btf.ko
  btfkit gen --base vmlinux.btf --out-dir btf/ build/            (DIR/NAME.btf per module)

The input is an ELF relocatable object with DWARF (a module as the compiler and the linker
left it, before or after the build added BTF; .ko, any compression; debug sections
compressed or not; DWARF 4 or 5; x86-64, arm64, s390x, i386, powerpc, riscv, loongarch).
Its BTF is made as Linux 7.2's scripts/gen-btf.sh makes it: pahole 1.32's encoder with
the kernel's flags (functions kept as pahole keeps optimized and inconsistent prototypes,
per-CPU variables, kfunc decl tags from .BTF_ids, attributes, bitfields, enum64, floats),
deduplicated against BASE as pahole does, then resolve_btfids: types sorted by name when
BASE is (--order), .BTF_ids resolved by name. --distill makes the .BTF.base an
out-of-tree build gets (resolve_btfids --distill_base): the module then loads on any
kernel whose vmlinux has the types it uses, not only on BASE's exact build.

BASE is the BTF of the kernel the module is for: /sys/kernel/btf/vmlinux, a raw vmlinux
BTF, or a vmlinux ELF (any compression). No vmlinux ELF, no pahole needed.

-o/--in-place write .BTF (and .BTF.base with --distill, else an old one is removed) and
.BTF_ids into the module; every other section keeps its bytes and index; an appended
signature is dropped (re-sign the module). --out-dir writes DIR/NAME.btf (and
DIR/NAME.btf.base with --distill) for every input. DWARF that pahole does not encode is
reported per DIE; where pahole gives up on a module (C++ references, complex floats) so
does gen, naming the DIE.";

const EXIT: &str = "Exit status: 0 when every module got BTF, 1 when one failed, 2 on usage or \
     I/O errors.";

/// Generate module BTF from DWARF, as the kernel's build does (pahole + resolve_btfids).
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// The BTF of the kernel the modules are for (raw, /sys/kernel/btf/vmlinux, vmlinux
    /// ELF; any compression).
    #[arg(long, short = 'B', value_name = "VMLINUX")]
    base: PathBuf,
    /// Write the module (one input) with its BTF to OUT (compressed as OUT's name says:
    /// .ko none, .xz, .gz, .zst; else as the input; - for standard output).
    #[arg(long, short = 'o', value_name = "OUT", conflicts_with_all = ["in_place", "out_dir"])]
    out: Option<PathBuf>,
    /// Write the BTF into the .ko files themselves; directories are searched recursively.
    /// Files with several hard links are refused.
    #[arg(long, conflicts_with = "out_dir")]
    in_place: bool,
    /// Write DIR/NAME.btf (and DIR/NAME.btf.base with --distill) for every input.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Distill: .BTF over a new .BTF.base, as the kernel's build does for out-of-tree
    /// modules.
    #[arg(long)]
    distill: bool,
    #[command(flatten)]
    order: super::OrderFlag,
    #[command(flatten)]
    report: super::ReportFlags,
    /// Objects with DWARF (.ko, any compression; directories searched recursively).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        crate::input::stdin_at_most_once(
            self.inputs
                .iter()
                .map(PathBuf::as_path)
                .chain([self.base.as_path()]),
        )?;
        let base_file = BaseFile::read(&self.base)?;
        let base = base_file.parse(true)?;
        let vmlinux = DedupBase::new(&base).map_err(|e| {
            anyhow::anyhow!("{}: preparing it for deduplication: {e}", base_file.label)
        })?;
        let opts = GenOptions {
            distill: self.distill,
            // Decided once for every module (it reads the whole base).
            order: self.order.order.resolve(&base),
        };
        if let Some(out_dir) = &self.out_dir {
            return self.out_dir(&vmlinux, &opts, out_dir);
        }
        let rewrite = Rewrite {
            verb: "generated BTF for",
            target: Target::new(self.out.clone(), self.in_place, &self.inputs)
                .map_err(|e| anyhow::anyhow!("{e} (or --out-dir DIR for raw BTF files)"))?,
            protected: vec![("the base", &self.base)],
            unchanged_is_error: true,
            target_label: &base_file.label,
            command: "gen",
            report: self.report,
        };
        rewrite.run(&self.inputs, &|elf| {
            module::gen(elf, &vmlinux, &opts).map(module::Outcome::Rewritten)
        })
    }

    fn out_dir(
        &self,
        vmlinux: &DedupBase<'_>,
        opts: &GenOptions,
        out_dir: &Path,
    ) -> Result<ExitCode> {
        let notes = !self.report.json && !self.report.quiet;
        let batch = crate::outdir::run(
            &self.inputs,
            Walk::Modules,
            out_dir,
            ".btf",
            notes,
            |path, stem| {
                let g = generate_file(path, vmlinux, opts)?;
                let btf_path = out_dir.join(format!("{stem}.btf"));
                let base_path = out_dir.join(format!("{stem}.btf.base"));
                let mut outputs: Vec<(&Path, &[u8])> = vec![(&btf_path, &g.btf)];
                if let Some(b) = &g.base {
                    outputs.push((&base_path, b));
                }
                let staged =
                    stage_outputs(&outputs, &[("the input", path), ("the base", &self.base)])?;
                Ok((g.summary, staged))
            },
        )?;
        let mut modules = Vec::new();
        let (mut ok, mut problems) = (0usize, 0usize);
        for (path, r) in &batch.results {
            match r {
                Ok(s) => {
                    ok += 1;
                    problems += s.problems.len();
                    if notes {
                        for n in s.notes() {
                            diag!("{}: note: {n}", show(path));
                        }
                    }
                    modules.push(serde_json::json!({
                        "module": show(path),
                        "result": "generated",
                        "types": s.types,
                        "base_types": s.base_types,
                        "order": s.order.as_str(),
                        "unresolved_btf_ids": s.ids.as_ref().map(|i| i.unresolved.clone()),
                        "problems": s.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                    }));
                }
                Err(e) => {
                    if !self.report.json {
                        diag!("{}", labelled(&show(path), format!("{e:#}")));
                    }
                    modules.push(serde_json::json!({"module": show(path), "result": "failed", "reason": format!("{e:#}")}));
                }
            }
        }
        if self.report.json {
            let doc = super::json_doc(
                "gen",
                serde_json::json!({
                    "out_dir": show(out_dir),
                    "modules": modules,
                    "summary": {
                        "modules": batch.total,
                        "generated": ok,
                        "failed": batch.failed(),
                        "interrupted": batch.interrupted,
                        "problems": problems,
                    },
                }),
            );
            crate::out::outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else if notes {
            diag!(
                "generated BTF for {ok} of {} modules ({} failed{}; {problems} DWARF problems noted) in {}",
                batch.total,
                batch.failed(),
                batch.interrupted_note(),
                show(out_dir)
            );
        }
        Ok(batch.exit_code())
    }
}

/// [`module::generate`] of the object at `path`: an uncompressed ELF file is read piece by
/// piece (only the sections BTF generation needs, one compile unit at a time), anything
/// else read whole and decompressed.
fn generate_file(path: &Path, vmlinux: &DedupBase<'_>, opts: &GenOptions) -> Result<GeneratedBtf> {
    let label = || show(path);
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", label()))?;
    let meta = file.metadata().with_context(label)?;
    let mut magic = [0u8; 4];
    let is_elf = meta.is_file()
        && std::os::unix::fs::FileExt::read_exact_at(&file, &mut magic, 0).is_ok()
        && btfkit::elf::is_elf(&magic);
    if is_elf {
        return module::generate_from(&file, vmlinux, opts).with_context(label);
    }
    drop(file);
    let input = Input::read(path)?;
    module::generate(&input.bytes, vmlinux, opts).map_err(|e| input.error(e))
}

impl Notes for GeneratedModule {
    /// What pahole would not encode, one line per DIE, and `resolve_btfids`' warning for
    /// `.BTF_ids` entries no type answers.
    fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .problems
            .iter()
            .map(|p| btfkit::escape::escape(&p.to_string()).into_owned())
            .collect();
        if let Some(ids) = self.ids.as_ref().filter(|i| !i.unresolved.is_empty()) {
            notes.push(format!(
                ".BTF_ids entries no type answers (left 0, as resolve_btfids leaves them): {}",
                btfkit::escape::escape(&ids.unresolved.join(", "))
            ));
        }
        notes
    }
}
