//! `btfkit extract`: the vmlinux BTF of a kernel image ([`btfkit::image::extract`]):
//! a bzImage, an EFI zboot image, a vmlinux ELF, an arm64/RISC-V `Image`, any of them
//! compressed; written through the output policy.

use crate::input::{is_stdin, limit, show};
use crate::out::diag;
use crate::output::{show_output, write_outputs, POLICY};
use anyhow::{bail, Context, Result};
use btfkit::image::{self, Options};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "Examples:
  btfkit extract /boot/vmlinuz-$(uname -r) -o vmlinux.btf
  btfkit extract /usr/lib/modules/6.12.0-1-amd64/vmlinuz -o - | btfkit info -

IMAGE is an x86 bzImage (EFI stub or not; its payload in any of the kernel's compressions:
gzip, xz, zstd, lzma, bzip2, lz4, lzo), an EFI zboot vmlinuz (arm64, RISC-V, LoongArch), a
vmlinux ELF (either byte order, 32 or 64 bits), an arm64 or RISC-V Image (raw, or whole-file
compressed: Image.gz, Image.zst, ...), or raw BTF. From an ELF the .BTF section is written
byte for byte; an image without ELF headers is searched for the BTF blob whose header and
sections are consistent and whose types validate (the largest, when a BPF program's BTF is
embedded too). The image and what its payload decompresses to are capped by
--max-input-size.";

const EXIT: &str = "Exit status: 0 written, 2 no BTF found, unreadable image, or I/O errors.";

/// Extract the vmlinux BTF of a kernel image.
#[derive(clap::Args)]
#[command(after_help = format!("{HELP}\n\n{POLICY}\n\n{EXIT}"))]
pub struct Opts {
    /// Where to write the BTF (- for standard output).
    #[arg(long, short = 'o', value_name = "OUT")]
    out: PathBuf,
    /// Do not validate the .BTF section of an ELF (forensics; scanned images are always
    /// validated, that is how their BTF is found).
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    report: super::ReportFlags,
    /// The kernel image (vmlinuz, bzImage, vmlinux, Image, Image.gz, ...), or - for
    /// standard input.
    image: PathBuf,
}

impl Opts {
    /// Runs the command.
    pub fn run(self) -> Result<ExitCode> {
        let opts = Options {
            limit: limit(),
            validate: !self.no_validate,
        };
        if self.report.json && is_stdin(&self.out) {
            bail!("--json prints the report on standard output; write the BTF to a file (-o FILE)");
        }
        let label = if is_stdin(&self.image) {
            "<stdin>".to_string()
        } else {
            show(&self.image)
        };
        let got = if is_stdin(&self.image) {
            let mut data = Vec::new();
            std::io::stdin()
                .lock()
                .take(opts.limit.saturating_add(1))
                .read_to_end(&mut data)
                .context("reading standard input")?;
            image::extract_bytes(&data, &opts)
        } else {
            let mut f =
                std::fs::File::open(&self.image).with_context(|| format!("{label}: reading"))?;
            image::extract(&mut f, &opts)
        }
        .with_context(|| format!("{label}: no BTF extracted"))?;
        let mut protected = Vec::new();
        if !is_stdin(&self.image) {
            protected.push(("the image", self.image.as_path()));
        }
        write_outputs(&[(&self.out, &got.btf)], &protected)?;
        if self.report.json {
            let doc = super::json_doc(
                "extract",
                serde_json::json!({
                    "image": self.image.display().to_string(),
                    "out": self.out.display().to_string(),
                    "container": container_key(got.container),
                    "compression": got.compression.map(|c| c.name()),
                    "location": location_json(got.location),
                    "bytes": got.btf.len(),
                    "summary": got.to_string(),
                }),
            );
            crate::out::outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        } else if !self.report.quiet {
            diag!("{label}: {got}; written to {}", show_output(&self.out));
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn container_key(c: image::Container) -> &'static str {
    match c {
        image::Container::RawBtf => "raw_btf",
        image::Container::Elf => "elf",
        image::Container::BzImage { .. } => "bzimage",
        image::Container::EfiZboot { .. } => "efi_zboot",
        image::Container::Compressed => "compressed",
        image::Container::Arm64Image => "arm64_image",
        image::Container::RiscvImage => "riscv_image",
        _ => "unknown",
    }
}

fn location_json(l: image::Location) -> serde_json::Value {
    match l {
        image::Location::ElfSection { offset } => {
            serde_json::json!({"kind": "elf_section", "offset": offset})
        }
        image::Location::Blob { offset, others } => {
            serde_json::json!({"kind": "blob", "offset": offset, "other_blobs": others})
        }
        _ => serde_json::json!({"kind": "whole"}),
    }
}
