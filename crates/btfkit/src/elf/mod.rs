//! BTF in ELF objects: finding `.BTF`, `.BTF.base` and `.BTF.ext` in relocatable
//! objects, kernel modules and vmlinux images, of either class and byte order; and
//! rewriting the sections of relocatable objects ([`patch`]), with the module signature
//! they may carry ([`signature`]).

pub mod patch;
mod read;
pub mod signature;

pub use patch::{Patch, PatchError, Patched};
pub use read::{is_elf, BtfSections, ElfError};
pub use signature::ModuleSignature;
pub mod btf_ids;
mod btf_ids_resolve;
pub use btf_ids_resolve::ResolvedIds;
