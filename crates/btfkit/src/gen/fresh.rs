//! `.BTF_ids` as the compiler left them.
//!
//! pahole reads each kfunc's flags at its `__BTF_ID__func__` symbol in a set8 (for the
//! `bpf_fastcall` tag), and `resolve_btfids` writes each entry's id at its symbol, then
//! sorts the sets, moving every set8 `(id, flags)` pair to its id's place. Both assume an
//! object fresh from the compiler. In an object whose `.BTF_ids` were resolved already (a
//! module the build finished, a module of a `-dbg` package, one `btfkit gen` wrote), a
//! symbol's slot holds whichever pair sorted there, so pahole would tag the wrong
//! functions and resolving again would give the wrong functions the wrong flags.
//!
//! [`fresh_btf_ids`] undoes that with the object's own `.BTF`, which the ids were
//! resolved against: each kfunc's flags are those of the pair holding its id; entry ids
//! and set counts become 0 again, as the kernel's `BTF_ID` macros emit them.

use crate::dwarf::DwarfObject;
use crate::{Btf, Kind};

/// What [`fresh_btf_ids`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BtfIdsState {
    /// No `.BTF_ids` with symbols, or they are as the compiler left them.
    Fresh,
    /// Resolved before: the section as the compiler left it.
    Recovered(Vec<u8>),
    /// Resolved before, and the flags of a set8 cannot be given back to their functions
    /// (no `.BTF`, or one the ids do not fit, and pairs of different flags): why.
    Unrecoverable(String),
}

/// A set8 as stored: its start and end offsets and its `(id, flags)` pairs.
type Set8 = (u64, u64, Vec<(u32, u32)>);

/// A `.BTF_ids` symbol, as `resolve_btfids` parses it.
enum Sym<'a> {
    /// `__BTF_ID__<kind>__<name>__<n>`.
    Entry {
        kind: Kind,
        name: &'a [u8],
        off: u64,
    },
    /// `__BTF_ID__set8__<name>` (`eight`) or `__BTF_ID__set__<name>`.
    Set { eight: bool, off: u64, size: u64 },
}

/// `get_id()`: what follows the kind (`__vfs_truncate__0`) minus the leading `__`, cut
/// at the last `_`, which must follow another `_`.
fn entry_name(rest: &[u8]) -> Option<&[u8]> {
    let buf = rest.get(2..)?;
    let last = memchr::memrchr(b'_', buf)?;
    (last > 0 && buf[last - 1] == b'_').then(|| &buf[..last - 1])
}

fn parse(name: &[u8], off: u64, size: u64) -> Option<Sym<'_>> {
    let rest = name.strip_prefix(b"__BTF_ID__")?;
    for (prefix, kind) in [
        (&b"struct"[..], Kind::STRUCT),
        (b"union", Kind::UNION),
        (b"typedef", Kind::TYPEDEF),
        (b"func", Kind::FUNC),
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            return entry_name(r).map(|name| Sym::Entry { kind, name, off });
        }
    }
    if rest.starts_with(b"set8") {
        return Some(Sym::Set {
            eight: true,
            off,
            size,
        });
    }
    rest.starts_with(b"set").then_some(Sym::Set {
        eight: false,
        off,
        size,
    })
}

/// The `.BTF_ids` of `obj` as the compiler left them, recovered with the object's own
/// `.BTF` (over its `.BTF.base`, or over `base`) when they were resolved already.
pub fn fresh_btf_ids(obj: &DwarfObject<'_>, base: &Btf<'_>) -> BtfIdsState {
    let Some((index, data)) = &obj.btf_ids else {
        return BtfIdsState::Fresh;
    };
    let raw_addr = obj.sections[*index as usize].raw_addr;
    let word = |off: u64| -> Option<u32> {
        let at = usize::try_from(off).ok()?;
        let b = data.get(at..at.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if obj.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    };
    let syms: Vec<Sym<'_>> = obj
        .symbols()
        .filter(|s| s.shndx == *index)
        .filter_map(|s| parse(s.name, s.value.wrapping_sub(raw_addr), s.size))
        .collect();
    let stale = syms.iter().any(|s| match s {
        Sym::Entry { off, .. } | Sym::Set { off, .. } => word(*off).is_some_and(|w| w != 0),
    });
    if !stale {
        return BtfIdsState::Fresh;
    }
    let mut fresh = data.to_vec();
    let mut put = |off: u64, v: u32| {
        if let Some(at) = usize::try_from(off)
            .ok()
            .filter(|&at| at.checked_add(4).is_some_and(|end| end <= fresh.len()))
        {
            let b = if obj.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            fresh[at..at + 4].copy_from_slice(&b);
        }
    };
    // The set8s, with their stored pairs (cnt as stored, within the symbol).
    let set8s: Vec<Set8> = syms
        .iter()
        .filter_map(|s| match s {
            Sym::Set {
                eight: true,
                off,
                size,
            } => {
                let cnt = u64::from(word(*off)?).min(size / 8);
                let pairs = (0..cnt)
                    .map_while(|k| {
                        let at = off.checked_add(8)?.checked_add(k.checked_mul(8)?)?;
                        Some((word(at)?, word(at.checked_add(4)?)?))
                    })
                    .collect();
                Some((*off, off.saturating_add(*size), pairs))
            }
            _ => None,
        })
        .collect();
    // The object's own .BTF, over its .BTF.base or over `base`.
    let btf_bytes = obj.section_contents(b".BTF");
    let dist_bytes = obj.section_contents(b".BTF.base");
    let dist = match &dist_bytes {
        Ok(Some(b)) => {
            Some(Btf::parse(b).map_err(|e| format!("its .BTF.base does not parse: {e}")))
        }
        Ok(None) => None,
        Err(e) => Some(Err(format!("its .BTF.base cannot be read: {e}"))),
    };
    let old: Result<Btf<'_>, String> = match (&btf_bytes, &dist) {
        (Err(e), _) => Err(format!("its .BTF cannot be read: {e}")),
        (Ok(None), _) => Err("it has no .BTF they were resolved against".into()),
        (_, Some(Err(e))) => Err(e.clone()),
        (Ok(Some(b)), Some(Ok(d))) => {
            Btf::parse_split(b, d).map_err(|e| format!("its .BTF does not parse: {e}"))
        }
        (Ok(Some(b)), None) => {
            Btf::parse_split(b, base).map_err(|e| format!("its .BTF does not parse: {e}"))
        }
    };
    let mut lost: Option<String> = old.as_ref().err().cloned();
    for s in &syms {
        match *s {
            Sym::Set { off, .. } => put(off, 0),
            Sym::Entry { kind, name, off } => {
                put(off, 0);
                let Some((_, _, pairs)) = set8s
                    .iter()
                    .find(|(start, end, _)| *start < off && off < *end)
                else {
                    continue;
                };
                let Ok(old) = &old else { continue };
                let want = old.find_by_name_kind(name, kind).map_or(0, |t| t.0);
                match pairs.iter().find(|(id, _)| *id == want) {
                    Some(&(_, flags)) => {
                        if let Some(at) = off.checked_add(4) {
                            put(at, flags)
                        }
                    }
                    None => {
                        lost.get_or_insert_with(|| {
                            format!(
                                "no pair of its set8 holds the id of {} in its .BTF",
                                String::from_utf8_lossy(name)
                            )
                        });
                    }
                }
            }
        }
    }
    // The old BTF fits when every stored pair holds the id of one of its set's kfuncs.
    if lost.is_none() {
        if let Ok(old) = &old {
            for (start, end, pairs) in &set8s {
                let wants: Vec<u32> = syms
                    .iter()
                    .filter_map(|s| match *s {
                        Sym::Entry { kind, name, off } if *start < off && off < *end => {
                            Some(old.find_by_name_kind(name, kind).map_or(0, |t| t.0))
                        }
                        _ => None,
                    })
                    .collect();
                if pairs.iter().any(|(id, _)| !wants.contains(id)) {
                    lost = Some("its set8 ids do not name its kfuncs in its .BTF".into());
                }
            }
        }
    }
    match lost {
        None => BtfIdsState::Recovered(fresh),
        // Pairs all of one flags value: every slot holds its function's flags anyway.
        Some(_)
            if set8s
                .iter()
                .all(|(_, _, p)| p.windows(2).all(|w| w[0].1 == w[1].1)) =>
        {
            BtfIdsState::Recovered(fresh)
        }
        Some(why) => BtfIdsState::Unrecoverable(why),
    }
}
