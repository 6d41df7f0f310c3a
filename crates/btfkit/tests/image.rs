//! `btfkit::image::extract` on small images built like the kernel's (test_support::images):
//! every container, every compression, both byte orders, ELF32 and ELF64; the BTF comes
//! out byte for byte. Hostile and broken images give errors naming what is wrong. The
//! real images (Debian 6.1 and 7.2 kernels) are checked by tests/e2e/extract-real.sh.

use btfkit::compress::Compression;
use btfkit::image::{extract_bytes, Container, ImageError, Location, Options};
use btfkit::Endian;
use test_support::images::*;

fn opts() -> Options {
    Options::default()
}

#[test]
fn vmlinux_elf_every_class_and_byte_order() {
    for endian in [Endian::Little, Endian::Big] {
        for is_64 in [true, false] {
            let btf = vmlinux_btf(endian, 20);
            let elf = vmlinux(is_64, endian, &btf);
            let got = extract_bytes(&elf, &opts()).unwrap();
            assert_eq!(got.btf, btf, "{endian:?} 64={is_64}");
            assert_eq!(got.container, Container::Elf);
            let off = elf.windows(btf.len()).position(|w| w == btf).unwrap() as u64;
            assert_eq!(got.location, Location::ElfSection { offset: off });
        }
    }
}

#[test]
fn bzimage_every_compression() {
    let btf = vmlinux_btf(Endian::Little, 50);
    let elf = vmlinux(true, Endian::Little, &btf);
    for c in Compression::ALL {
        let z = kbuild_compress(&elf, c);
        let img = bzimage(&z);
        let got = extract_bytes(&img, &opts()).unwrap_or_else(|e| panic!("{c}: {e}"));
        assert_eq!(got.btf, btf, "{c}");
        assert_eq!(got.compression, Some(c));
        assert_eq!(
            got.container,
            Container::BzImage {
                protocol: 0x20f,
                payload_offset: 4 * 512 + 0x2cc,
                payload_len: z.len() as u64
            }
        );
        assert!(
            got.to_string().contains("bzImage (boot protocol 2.15)"),
            "{got}"
        );
    }
}

#[test]
fn whole_file_compressed_elf_and_image() {
    for endian in [Endian::Little, Endian::Big] {
        let btf = vmlinux_btf(endian, 30);
        let elf = vmlinux(true, endian, &btf);
        let image = arm64_image(&btf, endian);
        for c in Compression::ALL {
            let got = extract_bytes(&kbuild_compress(&elf, c), &opts()).unwrap();
            assert_eq!(got.btf, btf, "{c}");
            assert_eq!(got.container, Container::Compressed);
            let got = extract_bytes(&kbuild_compress(&image, c), &opts())
                .unwrap_or_else(|e| panic!("{c} {endian:?}: {e}"));
            assert_eq!(got.btf, btf, "{c}");
            assert!(matches!(got.location, Location::Blob { others: 1, .. }));
        }
    }
}

#[test]
fn raw_arm64_image_and_zboot() {
    for endian in [Endian::Little, Endian::Big] {
        let btf = vmlinux_btf(endian, 40);
        let image = arm64_image(&btf, endian);
        let got = extract_bytes(&image, &opts()).unwrap();
        assert_eq!(got.btf, btf);
        assert_eq!(got.container, Container::Arm64Image);
        let at = image.windows(btf.len()).position(|w| w == btf).unwrap() as u64;
        assert_eq!(
            got.location,
            Location::Blob {
                offset: at,
                others: 1
            }
        );
        let z = zboot(&kbuild_compress(&image, Compression::Gzip));
        let got = extract_bytes(&z, &opts()).unwrap();
        assert_eq!(got.btf, btf);
        assert!(matches!(got.container, Container::EfiZboot { .. }));
    }
}

#[test]
fn raw_btf_is_returned_as_it_is() {
    let btf = vmlinux_btf(Endian::Big, 3);
    let got = extract_bytes(&btf, &opts()).unwrap();
    assert_eq!(got.btf, btf);
    assert_eq!(got.location, Location::Whole);
}

#[test]
fn a_large_blob_found_across_read_chunks() {
    // Over 1 MiB of BTF: the scan collects it over several chunks.
    let btf = vmlinux_btf(Endian::Little, 60_000);
    assert!(btf.len() > 2 << 20, "{}", btf.len());
    let image = arm64_image(&btf, Endian::Little);
    assert_eq!(extract_bytes(&image, &opts()).unwrap().btf, btf);
    let z = kbuild_compress(&image, Compression::Zstd);
    assert_eq!(extract_bytes(&z, &opts()).unwrap().btf, btf);
}

#[test]
fn broken_images_are_errors() {
    let btf = vmlinux_btf(Endian::Little, 5);
    // No .BTF in the ELF.
    let e = extract_bytes(&elf(true, Endian::Little, &[(".data", &[0; 64])]), &opts());
    assert!(matches!(e, Err(ImageError::NoBtfSection)), "{e:?}");
    // An invalid .BTF (a type referring past the end) is refused, unless told not to.
    let mut b = btfkit::write::Builder::new();
    b.add_int("int", 4, 0);
    b.add_ptr(btfkit::TypeId(77)); // a pointer to a type that does not exist
    let bad = b.to_bytes(Endian::Little);
    let img = vmlinux(true, Endian::Little, &bad);
    assert!(matches!(
        extract_bytes(&img, &opts()),
        Err(ImageError::Invalid(_))
    ));
    let lax = Options {
        validate: false,
        ..opts()
    };
    assert_eq!(extract_bytes(&img, &lax).unwrap().btf, bad);
    // A bzImage whose payload runs past the end of the file.
    let mut img = bzimage(&kbuild_compress(
        &vmlinux(true, Endian::Little, &btf),
        Compression::Xz,
    ));
    img[0x24c..0x250].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = extract_bytes(&img, &opts()).unwrap_err();
    assert!(e.to_string().contains("does not fit in the file"), "{e}");
    // A payload in no known compression.
    let img = bzimage(&[0x42; 100]);
    let e = extract_bytes(&img, &opts()).unwrap_err();
    assert!(e.to_string().contains("in no known compression"), "{e}");
    // A truncated compressed payload.
    let z = kbuild_compress(&vmlinux(true, Endian::Little, &btf), Compression::Zstd);
    let e = extract_bytes(&bzimage(&z[..z.len() / 2]), &opts()).unwrap_err();
    assert!(
        matches!(e, ImageError::Decompress(_) | ImageError::Malformed { .. }),
        "{e:?}"
    );
    // An image without BTF.
    let e = extract_bytes(&[0x33; 10_000], &opts()).unwrap_err();
    assert!(matches!(e, ImageError::NoBtfBlob { .. }), "{e:?}");
    // The cap: the file, and what a payload decompresses to.
    let small = Options {
        limit: 4096,
        ..opts()
    };
    let img = bzimage(&kbuild_compress(&vec![0u8; 1 << 20], Compression::Gzip));
    assert!(matches!(
        extract_bytes(
            &img,
            &Options {
                limit: 8192,
                ..opts()
            }
        ),
        Err(ImageError::Decompress(
            btfkit::compress::DecompressError::TooLarge { .. }
        ))
    ));
    assert!(matches!(
        extract_bytes(&vec![0u8; 5000], &small),
        Err(ImageError::TooLarge { .. })
    ));
}

/// Fixtures compressed by the real tools (lzop -9, lz4 -l -9, lzma -9, bzip2 -9, gzip -9,
/// xz --check=crc32, zstd -19; kbuild's size appended where kbuild appends it) decompress
/// to the ELF the test builds, and extract from a bzImage around them.
#[test]
fn payloads_compressed_by_the_real_tools() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images");
    let btf = vmlinux_btf(Endian::Little, 50);
    let elf = vmlinux(true, Endian::Little, &btf);
    if std::env::var_os("BTFKIT_MAKE_IMAGE_FIXTURES").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("vmlinux"), &elf).unwrap();
        return;
    }
    let mut seen = 0;
    for (file, c) in [
        ("vmlinux.lzo", Compression::Lzo),
        ("vmlinux.lz4", Compression::Lz4Legacy),
        ("vmlinux.lzma", Compression::Lzma),
        ("vmlinux.bz2", Compression::Bzip2),
        ("vmlinux.gz", Compression::Gzip),
        ("vmlinux.xz", Compression::Xz),
        ("vmlinux.zst", Compression::Zstd),
    ] {
        let z = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = btfkit::compress::reader_first_stream(&z, c, 1 << 30).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut { got }, &mut out).unwrap();
        assert_eq!(
            out, elf,
            "{file}: the fixture is not the test's ELF (re-make it)"
        );
        let got = extract_bytes(&bzimage(&z), &opts()).unwrap();
        assert_eq!(got.btf, btf, "{file}");
        assert_eq!(got.compression, Some(c));
        seen += 1;
    }
    assert_eq!(seen, 7);
}

/// With the real tools installed: the 6.1 vmlinux BTF of testdata (4 MB) through
/// `lzop -9`, `lz4 -l -9`, `bzip2 -9` and `lzma -9` decompresses to itself (a larger, more
/// varied input than the fixtures). Skipped with a note where a tool is missing.
#[test]
fn large_input_through_the_real_tools() {
    let xz = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/linux-6.1/vmlinux.btf.xz"),
    )
    .unwrap();
    let data = btfkit::compress::decompress(&xz, Compression::Xz, 1 << 30).unwrap();
    for (tool, args, c) in [
        ("lzop", &["-9", "-c"][..], Compression::Lzo),
        ("lz4", &["-l", "-9", "-c"][..], Compression::Lz4Legacy),
        ("lz4", &["-9", "-c"][..], Compression::Lz4),
        ("bzip2", &["-9", "-c"][..], Compression::Bzip2),
        ("lzma", &["-9", "-c"][..], Compression::Lzma),
    ] {
        let child = std::process::Command::new(tool)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("{tool} is not installed: {c} not compared on a large input");
            continue;
        };
        let mut stdin = child.stdin.take().unwrap();
        let input = data.clone();
        let writer = std::thread::spawn(move || {
            std::io::Write::write_all(&mut stdin, &input).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(out.status.success(), "{tool}");
        assert_eq!(
            btfkit::compress::sniff(&out.stdout[..9]),
            btfkit::compress::Magic::Compressed(c)
        );
        let got = btfkit::compress::decompress(&out.stdout, c, 1 << 30)
            .unwrap_or_else(|e| panic!("{c}: {e}"));
        assert!(got == data, "{c}: differs");
    }
}
