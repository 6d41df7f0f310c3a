//! btfkit: read, validate, write, distill and relocate BTF, the BPF Type Format that
//! describes the Linux kernel's types.
//!
//! - [`read`]: zero-copy [`read::Btf`] over a byte slice, base or split, either byte order.
//! - [`validate`]: the kernel's checks of a blob at rest, every problem reported.
//! - [`fields`]: the type-id / string-offset field visitor every algorithm uses.
//! - [`write`](mod@write): a builder and serializer.
//! - [`dedup`]: libbpf's `btf__dedup`, byte-identical: type and string deduplication.
//! - [`distill`]: libbpf's `btf__distill_base`, byte-identical.
//! - [`relocate`]: libbpf's `btf__relocate`, byte-identical, with a report of every failure.
//! - [`elf`]: find `.BTF` / `.BTF.base` / `.BTF.ext` in ELF objects.
//! - [`dump`]: bpftool's raw text format and a JSON form.

pub mod dedup;
pub mod distill;
pub mod dump;
pub mod elf;
pub mod endian;
pub mod error;
pub mod fields;
pub mod id;
pub mod kind;
pub mod raw;
pub mod read;
pub mod relocate;
pub mod validate;
pub mod write;

pub use endian::Endian;
pub use error::{Error, Result, Rule};
pub use id::{StrOffset, TypeId};
pub use kind::Kind;
pub use read::{Btf, Type};
