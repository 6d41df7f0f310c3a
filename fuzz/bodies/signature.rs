//! Fuzz body of `signature`: module signature trailers (`btfkit::elf::signature::find`),
//! with the minimal DER walk that names the PKCS#7 signer, on arbitrary bytes.
//!
//! Properties: a signature is found only when the input ends with the marker; when one
//! is, the blob, `struct module_signature` and marker exactly cover the input from its
//! offset; the description renders.

use btfkit::elf::signature::{self, MARKER};

/// True when a signature was found.
pub fn run(data: &[u8]) -> bool {
    match signature::find(data) {
        Ok(Some(sig)) => {
            assert!(data.ends_with(MARKER));
            assert_eq!(sig.offset + sig.trailer_len(), data.len(), "trailer extent");
            let _ = sig.to_string();
            if let Some(s) = &sig.signer {
                let _ = signature::hex_colons(&s.key);
            }
            true
        }
        Ok(None) => {
            assert!(!data.ends_with(MARKER));
            false
        }
        Err(e) => {
            assert!(data.ends_with(MARKER));
            let _ = e.to_string();
            false
        }
    }
}
