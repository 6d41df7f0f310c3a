//! btfkit: read, validate, write, distill, relocate and check BTF, the BPF Type Format
//! that describes the Linux kernel's and its modules' types, in pure Rust.
//!
//! The crate is layered; each layer uses only those above it in this list:
//!
//! - [`raw`], [`endian`], [`kind`], [`id`], [`error`]: the format (uapi `btf.h`), byte
//!   order, [`Kind`] and the one table of per-kind facts ([`kind::KindFacts`]), id
//!   newtypes and the id map, typed errors.
//! - [`fields`]: the type-id / string-offset field visitor (libbpf's `btf_field_iter`)
//!   every algorithm uses.
//! - [`read`]: zero-copy [`Btf`] over a byte slice, base or split, either byte order.
//! - [`validate`], [`write`](mod@write), [`elf`], [`dump`]: the kernel's checks of a blob
//!   at rest; a builder and serializer (byte-identical to libbpf); `.BTF`, `.BTF.base`,
//!   `.BTF_ids` and the byte-preserving patcher of ELF objects; bpftool's raw text and
//!   JSON.
//! - [`dedup`](mod@dedup): libbpf's `btf__dedup`, byte-identical: type and string
//!   deduplication of parsed or built BTF, and merging several BTFs.
//! - [`distill`](mod@distill), [`relocate`](mod@relocate), [`sort`](mod@sort): libbpf's
//!   `btf__distill_base` and `btf__relocate`, byte-identical, with a report of every
//!   failure; type renumbering (`btf__permute`), the by-name order of Linux 6.19+ builds,
//!   the kernel's sortedness check, and which bytes the writers produce ([`sort::Order`]:
//!   libbpf 1.7's, or the kernel build's).
//! - [`module`]: the workflows on kernel module files: open, distill, retarget, sort, strip,
//!   check, scan, and gen (the kernel build's whole pipeline from DWARF to the shipped
//!   `.BTF`, `.BTF.base` and `.BTF_ids`).
//! - [`dwarf`], [`gen`]: the DWARF of ELF objects (relocated as libdwfl does) and BTF
//!   generated from it as pahole 1.32 encodes it for a kernel module.
//! - [`compress`], [`file`](mod@file), [`escape`]: compressed files, the file-system policy (bounded
//!   reads; atomic, durable replacement), names made safe to print.
//!
//! The examples below run on the committed fixtures: the vmlinux BTF of Debian's 6.1
//! kernel and one of its modules, `dummy.ko`, xz-compressed as distributions ship them.
//!
//! # Read
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/linux-6.1");
//! use btfkit::{Btf, Kind};
//! let limit = btfkit::compress::DEFAULT_LIMIT;
//! let vmlinux = btfkit::file::read(format!("{dir}/vmlinux.btf.xz").as_ref(), limit)?.bytes;
//! let base = Btf::parse(&vmlinux)?; // zero-copy, either byte order
//! let id = base.find_by_name_kind(b"net_device", Kind::STRUCT).expect("in vmlinux");
//! let t = base.type_by_id(id).expect("a type");
//! assert_eq!(base.name(&t), b"net_device");
//! println!("struct net_device [{id}] is {} bytes, {} members", t.size(), t.vlen());
//! # Ok(()) }
//! ```
//!
//! # Validate
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/linux-6.1");
//! # let limit = btfkit::compress::DEFAULT_LIMIT;
//! # let vmlinux = btfkit::file::read(format!("{dir}/vmlinux.btf.xz").as_ref(), limit)?.bytes;
//! use btfkit::module::open::{with_btf, Blobs};
//! let base = btfkit::Btf::parse(&vmlinux)?;
//! let ko = btfkit::file::read(format!("{dir}/ko/dummy.ko.xz").as_ref(), limit)?.bytes;
//! // The module's .BTF over the vmlinux it was built against, every kernel check run.
//! let problems = with_btf(&Blobs::of(&ko)?, Some(&base), false, |module, _| {
//!     btfkit::validate::validate(module)
//! })?;
//! assert!(problems.is_empty());
//! // Over another base, its names point into the middle of base strings.
//! let tiny = btfkit::write::Builder::new().to_bytes(btfkit::Endian::Little);
//! let wrong = btfkit::Btf::parse(&tiny)?;
//! let err = with_btf(&Blobs::of(&ko)?, Some(&wrong), true, |_, _| ()).unwrap_err();
//! println!("{err}");
//! # Ok(()) }
//! ```
//!
//! # Distill a module
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/linux-6.1");
//! # let limit = btfkit::compress::DEFAULT_LIMIT;
//! # let vmlinux = btfkit::file::read(format!("{dir}/vmlinux.btf.xz").as_ref(), limit)?.bytes;
//! # let ko = btfkit::file::read(format!("{dir}/ko/dummy.ko.xz").as_ref(), limit)?.bytes;
//! use btfkit::module::{self, Outcome};
//! let base = btfkit::Btf::parse(&vmlinux)?;
//! let Outcome::Rewritten(r) = module::distill(&ko, &base, &Default::default())? else {
//!     unreachable!("dummy.ko has plain split BTF")
//! };
//! // .BTF is now split BTF over .BTF.base; every other section kept its bytes.
//! let sections = btfkit::elf::BtfSections::parse(&r.patched.elf)?;
//! assert!(sections.base.is_some());
//! println!("{}", r.summary); // distilled: 10 types in .BTF.base (265 bytes), ...
//! # Ok(()) }
//! ```
//!
//! # Retarget a module onto another vmlinux
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/linux-6.1");
//! # let limit = btfkit::compress::DEFAULT_LIMIT;
//! # let vmlinux = btfkit::file::read(format!("{dir}/vmlinux.btf.xz").as_ref(), limit)?.bytes;
//! # let ko = btfkit::file::read(format!("{dir}/ko/dummy.ko.xz").as_ref(), limit)?.bytes;
//! use btfkit::module::{self, Outcome};
//! let old = btfkit::Btf::parse(&vmlinux)?;
//! let new = btfkit::Btf::parse(&vmlinux)?; // the next kernel's vmlinux BTF, in real life
//! match module::retarget(&ko, Some(&old), &new, &Default::default()) {
//!     Ok(Outcome::Rewritten(r)) => println!("{}", r.summary),
//!     Ok(Outcome::Unchanged(why)) => println!("left as it is: {why}"),
//!     Err(e) if e.is_refusal() => println!("would not load on the new kernel: {e}"),
//!     Err(e) => return Err(e.into()),
//! }
//! # Ok(()) }
//! ```
//!
//! # Check what a kernel will accept
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/linux-6.1");
//! # let limit = btfkit::compress::DEFAULT_LIMIT;
//! # let vmlinux = btfkit::file::read(format!("{dir}/vmlinux.btf.xz").as_ref(), limit)?.bytes;
//! # let ko = btfkit::file::read(format!("{dir}/ko/dummy.ko.xz").as_ref(), limit)?.bytes;
//! use btfkit::module::{self, check::Finding, Outcome};
//! let target = btfkit::Btf::parse(&vmlinux)?; // e.g. /sys/kernel/btf/vmlinux
//! let Outcome::Rewritten(distilled) = module::distill(&ko, &target, &Default::default())? else {
//!     unreachable!()
//! };
//! let verdict = module::check(&distilled.patched.elf, None, &target)?;
//! assert!(verdict.is_ok());
//! if let Finding::DoesNotRelocate(report) = &verdict.finding {
//!     for failure in report.failures() {
//!         println!("{}", btfkit::relocate::describe(failure));
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Generate a module's BTF from its DWARF (pahole + resolve_btfids)
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
//! # let limit = btfkit::compress::DEFAULT_LIMIT;
//! # let vmlinux = btfkit::file::read(format!("{dir}/linux-6.1/vmlinux.btf.xz").as_ref(), limit)?.bytes;
//! # let object = btfkit::file::read(format!("{dir}/gen/x86_64.o.xz").as_ref(), limit)?.bytes;
//! use btfkit::module::{self, GenOptions};
//! let target = btfkit::Btf::parse(&vmlinux)?; // e.g. /sys/kernel/btf/vmlinux
//! // Prepared once, for as many modules as there are.
//! let prepared = btfkit::dedup::DedupBase::new(&target)?;
//! let opts = GenOptions { distill: true, ..Default::default() };
//! let generated = module::generate(&object, &prepared, &opts)?; // .BTF, .BTF.base, .BTF_ids
//! let base = btfkit::Btf::parse(generated.base.as_deref().unwrap())?;
//! let btf = btfkit::Btf::parse_split(&generated.btf, &base)?;
//! assert!(btf.find_by_name_kind(b"my_kfunc", btfkit::Kind::FUNC).is_some());
//! // Or written into the object, as the kernel's build adds them:
//! let written = module::gen(&object, &prepared, &opts)?;
//! # assert!(!written.patched.elf.is_empty());
//! # Ok(()) }
//! ```

pub mod compress;
pub mod dedup;
pub mod distill;
pub mod dump;
pub mod dwarf;
pub mod elf;
pub mod endian;
pub mod error;
pub mod escape;
pub mod fields;
pub mod file;
pub mod gen;
pub mod id;
pub mod image;
pub mod kind;
pub mod module;
pub mod raw;
pub mod read;
pub mod relocate;
pub mod sort;
pub mod validate;
pub mod write;

pub use endian::Endian;
pub use error::{Error, Result, Rule};
pub use id::{IdMap, StrOffset, TypeId};
pub use kind::Kind;
pub use read::{Btf, Type};
