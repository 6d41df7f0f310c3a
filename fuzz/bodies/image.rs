//! The image reader (`btfkit::image::extract`): arbitrary bytes as a kernel image
//! (bzImage setup header, EFI zboot header, ELF headers, every payload compression, the
//! BTF blob scan). Properties: no panic, hang or unbounded allocation (the cap is 16 MiB
//! here); whatever comes out is valid base BTF; a blob found in an uncompressed image is
//! the image's bytes at the reported offset.

use btfkit::image::{extract_bytes, Container, Location, Options};

/// Runs the reader on `data`; true when it returned BTF.
pub fn run(data: &[u8]) -> bool {
    let opts = Options {
        limit: 16 << 20,
        validate: true,
    };
    let Ok(got) = extract_bytes(data, &opts) else {
        return false;
    };
    let btf = btfkit::Btf::parse(&got.btf).expect("extracted BTF parses");
    assert!(
        btfkit::validate::validate(&btf).is_empty(),
        "extracted BTF validates"
    );
    if let (Location::Blob { offset, .. }, None) = (got.location, got.compression) {
        let at = offset as usize;
        assert_eq!(
            &data[at..at + got.btf.len()],
            &got.btf[..],
            "blob at its offset"
        );
    }
    if got.container == Container::RawBtf {
        assert_eq!(got.btf, data);
    }
    true
}
