//! Fuzz body of `elf_patch`: the ELF patcher (`btfkit::elf::patch`) on an arbitrary file
//! with edits chosen by the input, then the result re-read and checked.
//!
//! Input: `parts(data, 2)` = `[plan][file]`. The plan picks up to three edits (set,
//! replace or remove; of `.BTF`, `.BTF.base`, `.BTF_ids`, a new name, or the name of a
//! section of the file) and their new contents.
//!
//! Properties, when the patch applies: the result is an ELF file that `object` reads;
//! every section that was not edited keeps its index, its header (every field) and its
//! bytes at the same offset (`.shstrtab` may move when names are added: its old bytes
//! are then a prefix of the new); a replaced section has exactly the new contents and
//! otherwise its old header (without `SHF_COMPRESSED`); a removed section is an all-zero
//! header or gone from the end of the table; an added section reads back by name with
//! its contents and header; `.BTF` / `.BTF.base` read back through `BtfSections`; the
//! trailer accounts for every byte after the image; and patching the result with no
//! edits gives it back byte for byte.

use crate::common::parts;
use btfkit::elf::patch::{Action, NewSection, Patch, Patched};
use object::elf;
use object::read::elf::{FileHeader, SectionHeader};
use object::Endianness;

/// One section header, widened, with its name and contents.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sec {
    name_off: u32,
    name: Vec<u8>,
    ty: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    addralign: u64,
    entsize: u64,
}

impl Sec {
    fn has_bytes(&self) -> bool {
        self.ty != SHT_NULL && self.ty != SHT_NOBITS && self.size > 0
    }

    fn bytes<'d>(&self, data: &'d [u8]) -> Option<&'d [u8]> {
        if !self.has_bytes() {
            return Some(&[]);
        }
        let end = self.offset.checked_add(self.size)?;
        data.get(usize::try_from(self.offset).ok()?..usize::try_from(end).ok()?)
    }

    fn is_zero(&self) -> bool {
        self.name_off == 0
            && self.ty == 0
            && self.flags == 0
            && self.addr == 0
            && self.offset == 0
            && self.size == 0
            && self.link == 0
            && self.info == 0
            && self.addralign == 0
            && self.entsize == 0
    }
}

fn read_as<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Vec<Sec>> {
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let mut out = Vec::new();
    for s in sections.iter() {
        out.push(Sec {
            name_off: s.sh_name(endian),
            name: sections.section_name(endian, s).ok()?.to_vec(),
            ty: s.sh_type(endian).0,
            flags: s.sh_flags(endian).0,
            addr: s.sh_addr(endian).into(),
            offset: s.sh_offset(endian).into(),
            size: s.sh_size(endian).into(),
            link: s.sh_link(endian),
            info: s.sh_info(endian),
            addralign: s.sh_addralign(endian).into(),
            entsize: s.sh_entsize(endian).into(),
        });
    }
    Some(out)
}

/// The section headers of `data` as `object` reads them (None if it cannot).
fn sections(data: &[u8]) -> Option<Vec<Sec>> {
    match object::FileKind::parse(data).ok()? {
        object::FileKind::Elf32 => read_as::<elf::FileHeader32<Endianness>>(data),
        object::FileKind::Elf64 => read_as::<elf::FileHeader64<Endianness>>(data),
        _ => None,
    }
}

const SHT_NULL: u32 = 0;
const SHT_NOBITS: u32 = 8;
const SHF_COMPRESSED: u64 = 0x800;

const NAMES: [&str; 4] = [".BTF", ".BTF.base", ".BTF_ids", ".fuzz"];

/// True when the patch applied (and the result was checked).
pub fn run(data: &[u8]) -> bool {
    let [plan, file] = parts(data, 2)[..] else {
        unreachable!()
    };
    // Aligned copy: `object` reads headers in place.
    let file = file.to_vec();
    let Some(before) = sections(&file) else {
        let _ = Patch::new().set(".BTF", b"x").apply(&file);
        return false;
    };
    let plan = if plan.is_empty() { &[0u8][..] } else { plan };
    let at = |i: usize| plan[i % plan.len()];
    // Names of the file's sections that are valid names to edit.
    let existing: Vec<String> = before
        .iter()
        .filter_map(|s| std::str::from_utf8(&s.name).ok())
        .filter(|n| !n.is_empty() && !n.contains('\0'))
        .map(str::to_string)
        .collect();
    let nedits = 1 + usize::from(at(0)) % 3;
    let mut names: Vec<String> = Vec::new();
    let mut contents: Vec<Vec<u8>> = Vec::new();
    let mut kinds: Vec<u8> = Vec::new();
    for e in 0..nedits {
        let op = at(1 + 3 * e);
        let pick = usize::from(at(2 + 3 * e));
        let len = usize::from(at(3 + 3 * e)) * 3;
        let name = if op & 0x10 != 0 && !existing.is_empty() {
            existing[pick % existing.len()].clone()
        } else {
            NAMES[pick % NAMES.len()].to_string()
        };
        if names.contains(&name) {
            continue;
        }
        // Contents that differ from anything in the file (so misplaced bytes show).
        let fill = 0xa0 ^ e as u8;
        contents.push((0..len).map(|i| fill.wrapping_add(i as u8)).collect());
        names.push(name);
        kinds.push(op % 3);
    }
    let align = 1u64 << (at(0) >> 4 & 7);
    let new = NewSection {
        sh_addralign: align,
        ..NewSection::BTF
    };
    let mut patch = Patch::new();
    for ((name, content), kind) in names.iter().zip(&contents).zip(&kinds) {
        match kind {
            0 => patch.set_with(name, content, new),
            1 => patch.replace(name, content),
            _ => patch.remove(name),
        };
    }
    let Ok(p) = patch.apply(&file) else {
        return false;
    };
    check(&file, &before, &p, &names, &contents, &kinds, new);
    true
}

fn check(
    file: &[u8],
    before: &[Sec],
    p: &Patched,
    names: &[String],
    contents: &[Vec<u8>],
    kinds: &[u8],
    new: NewSection,
) {
    let out = &p.elf;
    let after = sections(out).expect("object reads the patched file");
    assert_eq!(p.changes.len(), names.len());
    let mut edited = vec![false; before.len()];
    let shstrndx = shstrndx_of(file).unwrap_or(0);
    for (k, c) in p.changes.iter().enumerate() {
        assert_eq!(c.name, names[k]);
        let content = &contents[k];
        match c.action {
            Action::ReplacedInPlace { new_size, .. } | Action::ReplacedMoved { new_size, .. } => {
                let i = c.index.expect("a replaced section has an index");
                edited[i] = true;
                let (old, now) = (&before[i], &after[i]);
                assert_eq!(new_size, content.len() as u64);
                assert_eq!(now.bytes(out), Some(&content[..]), "replaced {}", c.name);
                let expect = Sec {
                    flags: old.flags & !SHF_COMPRESSED,
                    offset: now.offset,
                    size: new_size,
                    ..old.clone()
                };
                assert_eq!(*now, expect, "header of replaced {}", c.name);
                if matches!(c.action, Action::ReplacedInPlace { .. }) {
                    assert_eq!(now.offset, old.offset);
                }
            }
            Action::Added { size } => {
                assert_eq!(kinds[k], 0);
                let i = c.index.expect("an added section has an index");
                assert!(i >= before.len(), "added at an old index");
                let now = &after[i];
                assert_eq!(size, content.len() as u64);
                assert_eq!(now.name, c.name.as_bytes());
                assert_eq!(now.bytes(out), Some(&content[..]), "added {}", c.name);
                assert_eq!(
                    (
                        now.ty,
                        now.flags,
                        now.addralign,
                        now.entsize,
                        now.link,
                        now.info
                    ),
                    (new.sh_type, new.sh_flags, new.sh_addralign, 0, 0, 0)
                );
                if now.addralign > 1 && now.size > 0 {
                    assert_eq!(now.offset % now.addralign, 0, "alignment of {}", c.name);
                }
            }
            Action::Removed { .. } => {
                let i = c.index.expect("a removed section has an index");
                edited[i] = true;
                assert!(
                    after[i].is_zero(),
                    "removed {} [{i}] is not SHT_NULL",
                    c.name
                );
            }
            Action::Dropped { .. } => {
                let i = c.index.expect("a dropped section has an index");
                edited[i] = true;
                assert!(i >= after.len() || after[i].is_zero());
            }
            Action::Absent => {
                assert_eq!(kinds[k], 2);
                assert!(!before[1..]
                    .iter()
                    .any(|s| s.name == c.name.as_bytes() && s.ty != 0));
            }
        }
    }
    // Every other section: same header, same bytes, same place.
    let kept = after.len().min(before.len());
    for i in 1..before.len() {
        if edited[i] {
            continue;
        }
        assert!(i < kept, "section [{i}] vanished");
        let (old, now) = (&before[i], &after[i]);
        if i == shstrndx && (now.offset, now.size) != (old.offset, old.size) {
            // Rewritten to hold added names: the old table is a prefix of the new.
            let (o, n) = (old.bytes(file), now.bytes(out));
            let (Some(o), Some(n)) = (o, n) else {
                panic!(".shstrtab unreadable")
            };
            assert!(n.starts_with(o), ".shstrtab lost names");
            let expect = Sec {
                flags: old.flags & !SHF_COMPRESSED,
                offset: now.offset,
                size: now.size,
                ..old.clone()
            };
            assert_eq!(*now, expect, "header of .shstrtab");
            continue;
        }
        assert_eq!(now, old, "header of untouched section [{i}]");
        assert_eq!(
            now.bytes(out),
            old.bytes(file),
            "bytes of untouched section [{i}] {:?}",
            String::from_utf8_lossy(&old.name)
        );
    }
    // What was dropped after the image is accounted for.
    let image = btfkit::elf::patch::image_len(file).expect("the input was patched");
    let tail = file.len() - image;
    let sig = p.trailer.signature.as_ref().map_or(0, |s| s.trailer_len());
    assert_eq!(p.trailer.other_bytes + sig, tail, "trailer");
    assert_eq!(btfkit::elf::patch::image_len(out).ok(), Some(out.len()));
    // New .BTF / .BTF.base read back.
    if let Ok(s) = btfkit::elf::BtfSections::parse(out) {
        for (k, name) in names.iter().enumerate() {
            let got = match name.as_str() {
                ".BTF" => Some(&s.btf[..]),
                ".BTF.base" => s.base.as_deref(),
                _ => continue,
            };
            let dups = after.iter().filter(|x| x.name == name.as_bytes()).count();
            if kinds[k] != 2 && dups == 1 {
                assert_eq!(got, Some(&contents[k][..]), "{name} read back");
            }
        }
    }
    // Idempotent: nothing to do gives the same bytes.
    let again = Patch::new().apply(out).expect("the result patches again");
    assert!(again.trailer.is_empty());
    assert!(again.elf == *out, "an empty patch changed the patched file");
}

fn shstrndx_of(data: &[u8]) -> Option<usize> {
    fn get<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<usize> {
        let h = Elf::parse(data).ok()?;
        let e = h.endian().ok()?;
        Some(h.shstrndx(e, data).ok()? as usize)
    }
    match object::FileKind::parse(data).ok()? {
        object::FileKind::Elf32 => get::<elf::FileHeader32<Endianness>>(data),
        object::FileKind::Elf64 => get::<elf::FileHeader64<Endianness>>(data),
        _ => None,
    }
}
