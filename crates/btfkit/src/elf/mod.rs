//! BTF in ELF objects: finding `.BTF`, `.BTF.base` and `.BTF.ext`.
