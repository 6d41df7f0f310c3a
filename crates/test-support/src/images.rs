//! Small kernel images for the image tests (crates/btfkit/tests/image.rs, the image
//! fuzz smoke test, crates/btfkit-cli/tests/golden_reports.rs) built around small BTF, as
//! the kernel's build lays them out: a vmlinux ELF (32/64-bit, either byte order) with
//! `.BTF` among other sections, an x86 bzImage around a compressed ELF (with kbuild's
//! 4-byte size appended), an EFI zboot image, and an arm64 `Image` with the BTF blob
//! somewhere inside.

use btfkit::compress::{compress_for_tests, Compression};
use btfkit::write::Builder;
use btfkit::{raw, Endian};

/// A small vmlinux-like base BTF with `n` structs (more types for larger `n`).
pub fn vmlinux_btf(endian: Endian, n: usize) -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.add_int("int", 4, raw::INT_SIGNED);
    let long = b.add_int("long", 8, raw::INT_SIGNED);
    for i in 0..n {
        b.add_struct(format!("s{i}"), 16);
        b.add_member("a", int, 0, 0).unwrap();
        b.add_member("b", long, 64, 0).unwrap();
    }
    let p = b.add_ptr(int);
    b.add_typedef("intp", p);
    b.to_bytes(endian)
}

/// An ELF executable (ET_EXEC) with the named sections (PROGBITS, in this order after
/// a `.text`), `.shstrtab` and the section header table at the end, like a vmlinux.
pub fn elf(is_64: bool, endian: Endian, sections: &[(&str, &[u8])]) -> Vec<u8> {
    let big = endian == Endian::Big;
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u64b = |v: u64| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let ehsize = if is_64 { 64 } else { 52 };
    let mut out = vec![0u8; ehsize];
    let text: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut all: Vec<(&str, Vec<u8>)> = vec![(".text", text)];
    all.extend(sections.iter().map(|(n, d)| (*n, d.to_vec())));
    let mut shstrtab = vec![0u8];
    let mut placed = Vec::new();
    for (name, data) in &all {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        let name_off = shstrtab.len() as u32;
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
        placed.push((name_off, out.len() as u64, data.len() as u64));
        out.extend_from_slice(data);
    }
    let shstr_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");
    let shstr_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let shnum = all.len() + 2;
    let mut sh = |name: u32, ty: u32, off: u64, size: u64| {
        if is_64 {
            out.extend_from_slice(&u32b(name));
            out.extend_from_slice(&u32b(ty));
            out.extend_from_slice(&u64b(0)); // flags
            out.extend_from_slice(&u64b(0)); // addr
            out.extend_from_slice(&u64b(off));
            out.extend_from_slice(&u64b(size));
            out.extend_from_slice(&[0; 16]); // link, info, addralign
            out.extend_from_slice(&u64b(0)); // entsize
        } else {
            out.extend_from_slice(&u32b(name));
            out.extend_from_slice(&u32b(ty));
            out.extend_from_slice(&u32b(0));
            out.extend_from_slice(&u32b(0));
            out.extend_from_slice(&u32b(off as u32));
            out.extend_from_slice(&u32b(size as u32));
            out.extend_from_slice(&[0; 16]);
        }
    };
    sh(0, 0, 0, 0);
    for &(name, off, size) in &placed {
        sh(name, 1, off, size);
    }
    sh(shstr_name, 3, shstr_off, shstrtab.len() as u64);
    let mut h = Vec::new();
    h.extend_from_slice(b"\x7fELF");
    h.push(if is_64 { 2 } else { 1 });
    h.push(if big { 2 } else { 1 });
    h.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.extend_from_slice(&u16b(2)); // ET_EXEC
    h.extend_from_slice(&u16b(if big { 22 } else { 62 })); // s390 / x86-64
    h.extend_from_slice(&u32b(1));
    if is_64 {
        h.extend_from_slice(&u64b(0x1000)); // entry
        h.extend_from_slice(&u64b(0)); // phoff
        h.extend_from_slice(&u64b(shoff));
    } else {
        h.extend_from_slice(&u32b(0x1000));
        h.extend_from_slice(&u32b(0));
        h.extend_from_slice(&u32b(shoff as u32));
    }
    h.extend_from_slice(&u32b(0)); // flags
    h.extend_from_slice(&u16b(ehsize as u16));
    h.extend_from_slice(&u16b(if is_64 { 56 } else { 32 }));
    h.extend_from_slice(&u16b(0)); // phnum
    h.extend_from_slice(&u16b(if is_64 { 64 } else { 40 }));
    h.extend_from_slice(&u16b(shnum as u16));
    h.extend_from_slice(&u16b(shnum as u16 - 1));
    assert_eq!(h.len(), ehsize);
    out[..ehsize].copy_from_slice(&h);
    out
}

/// A vmlinux ELF whose `.BTF` is `btf`, with a decoy section of other valid BTF before
/// it (its name is not `.BTF`).
pub fn vmlinux(is_64: bool, endian: Endian, btf: &[u8]) -> Vec<u8> {
    let decoy = vmlinux_btf(endian, 1);
    elf(
        is_64,
        endian,
        &[
            (".rodata", b"some read-only data"),
            (".BTF.decoy", &decoy),
            (".BTF", btf),
            (".data", &[1, 2, 3, 4]),
        ],
    )
}

/// `payload` compressed as kbuild's image rules do: gzip alone, every other
/// compression with the decompressed size appended (`size_append`).
pub fn kbuild_compress(payload: &[u8], c: Compression) -> Vec<u8> {
    let mut z = compress_for_tests(payload, c);
    if c != Compression::Gzip {
        z.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    }
    z
}

/// An x86 bzImage: setup sectors with the boot protocol 2.15 header, then the
/// protected-mode code, whose payload (compressed) starts `0x2cc` bytes in.
pub fn bzimage(compressed_payload: &[u8]) -> Vec<u8> {
    let setup_sects = 3u8;
    let mut img = vec![0u8; (setup_sects as usize + 1) * 512];
    img[0] = b'M';
    img[1] = b'Z';
    img[0x1f1] = setup_sects;
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    let payload_offset = 0x2ccu32;
    img[0x248..0x24c].copy_from_slice(&payload_offset.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(compressed_payload.len() as u32).to_le_bytes());
    img.extend((0..payload_offset).map(|i| (i % 251) as u8)); // decompressor code
    img.extend_from_slice(compressed_payload);
    img.extend((0..4096u32).map(|i| (i % 13) as u8)); // the rest of the kernel image
    img
}

/// An EFI zboot image around a compressed `Image`.
pub fn zboot(compressed_image: &[u8]) -> Vec<u8> {
    let mut img = vec![0u8; 0x1000];
    img[..2].copy_from_slice(b"MZ");
    img[4..8].copy_from_slice(b"zimg");
    img[8..12].copy_from_slice(&0x1000u32.to_le_bytes());
    img[12..16].copy_from_slice(&(compressed_image.len() as u32).to_le_bytes());
    img[24..28].copy_from_slice(b"gzip");
    img.extend_from_slice(compressed_image);
    img.extend_from_slice(&[0; 512]);
    img
}

/// An arm64 `Image`: its 64-byte header (magic `ARM\x64` at 0x38), code, a fake BTF
/// header that declares sections past its blob, a smaller valid BTF blob (a BPF
/// program's), then the vmlinux BTF at an odd offset, then more data.
pub fn arm64_image(btf: &[u8], endian: Endian) -> Vec<u8> {
    let mut img = vec![0u8; 64];
    img[0x38..0x3c].copy_from_slice(b"ARM\x64");
    img.extend((0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    // A decoy header: right magic, a string section that runs to the end of the image.
    let mut fake = vec![0x9f, 0xeb, 1, 0, 24, 0, 0, 0];
    for v in [0u32, 4, 4, 0x00ff_ffff] {
        fake.extend_from_slice(&v.to_le_bytes());
    }
    img.extend_from_slice(&fake);
    img.extend_from_slice(&[0xaa; 333]);
    img.extend_from_slice(&vmlinux_btf(endian, 1));
    img.extend_from_slice(&[0x55; 7]);
    img.extend_from_slice(btf);
    img.extend((0..3000u32).map(|i| (i % 97) as u8));
    img
}
