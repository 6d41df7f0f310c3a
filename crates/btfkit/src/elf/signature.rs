//! Kernel module signatures: `[ELF image][signature][struct module_signature][marker]`
//! appended to a `.ko` by the kernel's `scripts/sign-file`, outside anything an ELF
//! header describes. Rewriting the image invalidates the signature, so
//! [`super::patch`] drops it and reports what it was.
//!
//! Layout (`include/linux/module_signature.h`): the signature blob (`sig_len` bytes,
//! PKCS#7 `SignedData` in DER for every kernel since 4.x), then the 12-byte
//! `struct module_signature { u8 algo, hash, id_type, signer_len, key_id_len; u8 pad[3];
//! __be32 sig_len; }`, then the 28 bytes `"~Module signature appended~\n"`. For PKCS#7
//! (`id_type` 2) the other fields are 0 and the signer is inside the PKCS#7 blob: its
//! first `SignerInfo` names the key by issuer and serial number, which is what `modinfo`
//! prints as `signer` and `sig_key`; [`find`] reads those with a minimal DER walk.

use std::fmt;

/// The marker at the very end of a signed module.
pub const MARKER: &[u8; 28] = b"~Module signature appended~\n";

/// Size of `struct module_signature`.
pub const INFO_LEN: usize = 12;

/// An appended module signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSignature {
    /// Where the signature blob starts in the data given to [`find`] (for a whole
    /// module file: the length of the signed ELF image).
    pub offset: usize,
    /// `algo` (0 for PKCS#7).
    pub algo: u8,
    /// `hash` (0 for PKCS#7).
    pub hash: u8,
    /// `id_type`: 0 PGP, 1 X.509, 2 PKCS#7.
    pub id_type: u8,
    /// `signer_len` (0 for PKCS#7).
    pub signer_len: u8,
    /// `key_id_len` (0 for PKCS#7).
    pub key_id_len: u8,
    /// `sig_len`: bytes of the signature blob.
    pub sig_len: u32,
    /// The signer, when the blob is PKCS#7 that this module could read.
    pub signer: Option<Signer>,
}

/// Who signed, from the PKCS#7 blob's first `SignerInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signer {
    /// The issuer's common name (or organization), as `modinfo`'s `signer`.
    pub issuer: Option<String>,
    /// The certificate serial number (or subject key identifier), as `modinfo`'s
    /// `sig_key`.
    pub key: Vec<u8>,
    /// The digest algorithm (`sha256`, ...; the dotted OID when unknown).
    pub digest: String,
}

/// A trailer that ends with the marker but does not hold together.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// `sig_len` is larger than what precedes the signature info.
    #[error("module signature claims {sig_len} bytes, but only {available} precede it")]
    Truncated {
        /// The claimed signature length.
        sig_len: u32,
        /// The bytes before `struct module_signature`.
        available: usize,
    },
}

impl ModuleSignature {
    /// The whole trailer's length: blob, info and marker.
    pub fn trailer_len(&self) -> usize {
        self.sig_len as usize + INFO_LEN + MARKER.len()
    }

    /// `id_type` in words.
    pub fn id_type_name(&self) -> &'static str {
        match self.id_type {
            0 => "PGP",
            1 => "X.509",
            2 => "PKCS#7",
            _ => "unknown",
        }
    }
}

/// Colon-separated upper-case hex, as `modinfo` prints keys.
pub fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl fmt::Display for ModuleSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} signature, {} bytes",
            self.id_type_name(),
            self.sig_len
        )?;
        if let Some(s) = &self.signer {
            if let Some(i) = &s.issuer {
                write!(f, ", signer '{i}'")?;
            }
            if !s.key.is_empty() {
                write!(f, ", key {}", hex_colons(&s.key))?;
            }
            write!(f, ", {}", s.digest)?;
        }
        Ok(())
    }
}

/// Finds a module signature at the end of `data`: None when `data` does not end with
/// the marker.
pub fn find(data: &[u8]) -> Result<Option<ModuleSignature>, SignatureError> {
    let Some(before_marker) = data.strip_suffix(&MARKER[..]) else {
        return Ok(None);
    };
    if before_marker.len() < INFO_LEN {
        return Err(SignatureError::Truncated {
            sig_len: 0,
            available: 0,
        });
    }
    let info_at = before_marker.len() - INFO_LEN;
    let info = &before_marker[info_at..];
    let sig_len = u32::from_be_bytes(info[8..12].try_into().expect("4 bytes"));
    if sig_len as usize > info_at {
        return Err(SignatureError::Truncated {
            sig_len,
            available: info_at,
        });
    }
    let offset = info_at - sig_len as usize;
    let blob = &data[offset..info_at];
    let signer = if info[2] == 2 {
        pkcs7_signer(blob)
    } else {
        None
    };
    Ok(Some(ModuleSignature {
        offset,
        algo: info[0],
        hash: info[1],
        id_type: info[2],
        signer_len: info[3],
        key_id_len: info[4],
        sig_len,
        signer,
    }))
}

/// One DER element: (tag, contents, rest). Definite lengths only.
fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, d) = d.split_first()?;
    let (&l0, mut d) = d.split_first()?;
    let len = if l0 < 0x80 {
        l0 as usize
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || d.len() < n {
            return None;
        }
        let v = d[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        d = &d[n..];
        v
    };
    if d.len() < len {
        return None;
    }
    Some((tag, &d[..len], &d[len..]))
}

/// The elements of a constructed value.
fn children(mut d: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut v = Vec::new();
    while !d.is_empty() {
        let (t, c, rest) = tlv(d)?;
        v.push((t, c));
        d = rest;
    }
    Some(v)
}

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

fn oid_text(oid: &[u8]) -> String {
    const NIST_HASH: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    if let Some(&[n]) = oid.strip_prefix(NIST_HASH) {
        let name = match n {
            1 => "sha256",
            2 => "sha384",
            3 => "sha512",
            4 => "sha224",
            8 => "sha3-256",
            9 => "sha3-384",
            10 => "sha3-512",
            _ => "",
        };
        if !name.is_empty() {
            return name.to_string();
        }
    }
    if oid == [0x2b, 0x0e, 0x03, 0x02, 0x1a] {
        return "sha1".to_string();
    }
    // Dotted form.
    let mut parts: Vec<u64> = Vec::new();
    let mut acc = 0u64;
    for &b in oid {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (acc / 40).min(2);
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
    }
    parts
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// The issuer's CN (or O) of an X.501 `Name`.
fn name_text(name: &[u8]) -> Option<String> {
    let mut org = None;
    for (t, rdn) in children(name)? {
        if t != 0x31 {
            continue;
        }
        for (t, atv) in children(rdn)? {
            if t != 0x30 {
                continue;
            }
            let kids = children(atv)?;
            let (Some(&(0x06, oid)), Some(&(_, value))) = (kids.first(), kids.get(1)) else {
                continue;
            };
            let text = String::from_utf8_lossy(value).into_owned();
            if oid == OID_CN {
                return Some(text);
            }
            if oid == OID_O {
                org = Some(text);
            }
        }
    }
    org
}

/// The first signer of a PKCS#7 `SignedData` blob.
fn pkcs7_signer(blob: &[u8]) -> Option<Signer> {
    let (t, content_info, _) = tlv(blob)?;
    if t != 0x30 {
        return None;
    }
    let ci = children(content_info)?;
    let (Some(&(0x06, oid)), Some(&(0xa0, explicit))) = (ci.first(), ci.get(1)) else {
        return None;
    };
    if oid != OID_SIGNED_DATA {
        return None;
    }
    let (0x30, signed_data, _) = tlv(explicit)? else {
        return None;
    };
    // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls,
    // signerInfos: the last SET.
    let sd = children(signed_data)?;
    let &(_, signer_infos) = sd.iter().rev().find(|(t, _)| *t == 0x31)?;
    let (0x30, signer_info, _) = tlv(signer_infos)? else {
        return None;
    };
    let si = children(signer_info)?;
    let (sid_tag, sid) = *si.get(1)?;
    let mut signer = Signer::default();
    match sid_tag {
        // issuerAndSerialNumber
        0x30 => {
            let kids = children(sid)?;
            signer.issuer = kids.first().and_then(|&(_, n)| name_text(n));
            if let Some(&(0x02, serial)) = kids.get(1) {
                // Drop the sign-padding byte of DER integers.
                let s = match serial {
                    [0, rest @ ..] if !rest.is_empty() => rest,
                    s => s,
                };
                signer.key = s.to_vec();
            }
        }
        // [0] subjectKeyIdentifier
        0x80 => signer.key = sid.to_vec(),
        _ => {}
    }
    if let Some(&(0x30, alg)) = si.get(2) {
        if let Some((0x06, oid, _)) = tlv(alg) {
            signer.digest = oid_text(oid);
        }
    }
    Some(signer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_marker() {
        assert_eq!(find(b"hello"), Ok(None));
    }

    #[test]
    fn bad_length() {
        let mut d = vec![0u8; 8];
        d.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        d.extend_from_slice(MARKER);
        assert!(matches!(
            find(&d),
            Err(SignatureError::Truncated { sig_len: 256, .. })
        ));
    }

    #[test]
    fn oids() {
        assert_eq!(
            oid_text(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]),
            "sha256"
        );
        assert_eq!(oid_text(OID_SIGNED_DATA), "1.2.840.113549.1.7.2");
    }
}
