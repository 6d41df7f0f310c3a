//! BTF in ELF objects: finding `.BTF`, `.BTF.base` and `.BTF.ext` in relocatable
//! objects, kernel modules and vmlinux images, of either class and byte order.

mod read;

pub use read::{is_elf, BtfSections, ElfError};
