//! `.BTF_ids` resolved from their symbols' names, as `resolve_btfids` does when the
//! kernel's build makes a module's BTF: what `btfkit gen` writes into a module.

use super::btf_ids::{BtfIds, BtfIdsError};
use crate::{Btf, Endian, Kind};
use std::collections::HashMap;

/// A `.BTF_ids` section resolved by [`BtfIds::resolve_by_name`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedIds {
    /// The new section contents.
    pub data: Vec<u8>,
    /// Entries (indices into [`BtfIds::entries`]) that no type answers: left 0
    /// (`resolve_btfids` warns "unresolved symbol").
    pub unresolved: Vec<usize>,
    /// Entries whose kind and name several types have: the first was taken
    /// (`resolve_btfids` warns "multiple IDs found").
    pub ambiguous: Vec<usize>,
}

impl BtfIds {
    /// The section as `resolve_btfids` leaves it for `btf` (the final BTF: split over its
    /// base or over its distilled base): `symbols_resolve` (each entry's id is the first
    /// type, base first, of its kind and name), `symbols_patch` (that id at every entry
    /// symbol, each set's count from its symbol's size) and `sets_patch` (each set's
    /// ids, or set8 `(id, flags)` pairs, sorted by id; equal ids keep their order, as
    /// glibc's merge sort keeps them).
    ///
    /// The words a symbol points at are overwritten whatever they held, so this is what
    /// the build does to a freshly compiled object. On an object whose `.BTF_ids` were
    /// resolved and sorted already, set8 flags were moved with their ids and no longer
    /// sit at their function's symbol; map such ids with [`BtfIds::rewrite`] instead.
    ///
    /// Errors: a set whose symbol is too small for its header or whose slots run past
    /// the section, or an entry outside it ([`BtfIdsError::BadSymbol`], where
    /// `resolve_btfids` fails or reads out of bounds).
    pub fn resolve_by_name(&self, btf: &Btf<'_>) -> Result<ResolvedIds, BtfIdsError> {
        let e = self.endian;
        let mut data = self.data.clone();
        let bad = |symbol: &str, reason: &str| BtfIdsError::BadSymbol {
            symbol: symbol.to_string(),
            reason: reason.to_string(),
        };
        let mut unresolved = Vec::new();
        let mut ambiguous = Vec::new();
        let mut cache: HashMap<(Kind, &str), (u32, bool)> = HashMap::new();
        for (i, entry) in self.entries.iter().enumerate() {
            let kind = entry.kind.btf_kind();
            let (id, several) = *cache.entry((kind, entry.name.as_str())).or_insert_with(|| {
                let mut of_kind = btf
                    .find_by_name(entry.name.as_bytes())
                    .into_iter()
                    .filter(|&id| btf.type_by_id(id).is_some_and(|t| t.kind() == kind));
                let first = of_kind.next().map_or(0, |t| t.0);
                (first, of_kind.next().is_some())
            });
            if id == 0 {
                unresolved.push(i);
            } else if several {
                ambiguous.push(i);
            }
            put(e, &mut data, entry.offset, id)
                .ok_or_else(|| bad(&entry.symbol, "lies outside the section"))?;
        }
        let mut counts = Vec::with_capacity(self.sets.len());
        for set in &self.sets {
            let cnt = set
                .declared_cnt()
                .ok_or_else(|| bad(&set.symbol, "is too small for a set header"))?;
            put(e, &mut data, set.offset, cnt)
                .ok_or_else(|| bad(&set.symbol, "lies outside the section"))?;
            counts.push(cnt);
        }
        for (set, &cnt) in self.sets.iter().zip(&counts) {
            let stride = set.kind.stride() as usize;
            let first = set.offset as usize + set.kind.header_len() as usize;
            let end = (cnt as usize)
                .checked_mul(stride)
                .and_then(|n| n.checked_add(first))
                .filter(|&end| end <= data.len())
                .ok_or_else(|| bad(&set.symbol, "its slots run past the end of the section"))?;
            let mut items: Vec<Vec<u8>> = data[first..end]
                .chunks_exact(stride)
                .map(<[u8]>::to_vec)
                .collect();
            // cmp_id: `*a - *b` on ints.
            items.sort_by_key(|item| e.u32(item, 0) as i32);
            data[first..end].copy_from_slice(&items.concat());
        }
        Ok(ResolvedIds {
            data,
            unresolved,
            ambiguous,
        })
    }
}

/// Writes `v` at `at`; None when it does not fit.
fn put(e: Endian, out: &mut [u8], at: u32, v: u32) -> Option<()> {
    let at = at as usize;
    if at.checked_add(4)? > out.len() {
        return None;
    }
    e.put_u32(out, at, v);
    Some(())
}
