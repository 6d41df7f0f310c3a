//! Newtypes for the two kinds of numbers BTF is made of: type ids and string offsets.

use std::fmt;

/// A BTF type id. Id 0 is `void`; in split BTF, ids continue after the base's last id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TypeId(pub u32);

impl TypeId {
    /// The `void` type, id 0.
    pub const VOID: TypeId = TypeId(0);

    /// The id as a plain number.
    #[inline]
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An offset into a BTF string section. In split BTF, offsets below the base's string
/// length name base strings; the split's own strings start at that length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StrOffset(pub u32);

impl StrOffset {
    /// The empty string, offset 0.
    pub const EMPTY: StrOffset = StrOffset(0);

    /// The offset as a plain number.
    #[inline]
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for StrOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where the types of one BTF went in another: old id → new id, as [`distill`] and
/// [`relocate`] renumber them.
///
/// Old ids below the *shifted range* are mapped one by one (the base types a module uses;
/// the distilled base types); old ids in the shifted range (a module's own types) all move
/// by the same amount. Void maps to void; ids the map does not cover map to nothing.
///
/// [`distill`]: crate::distill
/// [`relocate`]: crate::relocate
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdMap {
    /// Old ids below `shift_from` that are mapped, with their new ids, sorted by old id.
    pairs: Vec<(TypeId, TypeId)>,
    /// First old id of the shifted range.
    shift_from: u32,
    /// One past the last old id of the shifted range.
    end: u32,
    /// New id of `shift_from`.
    shift_to: u32,
}

impl IdMap {
    /// A map of `pairs` (old ids below `shifted.start`, new ids; any order, one pair per
    /// old id) and of the range `shifted` of old ids, which move so that `shifted.start`
    /// becomes `to`. Pairs at or above `shifted.start`, and pairs for void, are ignored.
    pub fn new(
        mut pairs: Vec<(TypeId, TypeId)>,
        shifted: std::ops::Range<TypeId>,
        to: TypeId,
    ) -> IdMap {
        pairs.retain(|&(o, _)| o.0 != 0 && o.0 < shifted.start.0);
        pairs.sort_unstable_by_key(|&(o, _)| o);
        pairs.dedup_by_key(|&mut (o, _)| o);
        IdMap {
            pairs,
            shift_from: shifted.start.0,
            end: shifted.end.0.max(shifted.start.0),
            shift_to: to.0,
        }
    }

    /// The map that keeps every id below `end` where it is.
    pub fn identity(end: TypeId) -> IdMap {
        IdMap::new(Vec::new(), TypeId(1)..end, TypeId(1))
    }

    /// The new id of `old`: void stays void; `None` for an old id the map drops or does
    /// not cover.
    #[inline]
    pub fn get(&self, old: TypeId) -> Option<TypeId> {
        match old.0 {
            0 => Some(TypeId::VOID),
            id if id >= self.end => None,
            id if id >= self.shift_from => Some(TypeId(id - self.shift_from + self.shift_to)),
            _ => self
                .pairs
                .binary_search_by_key(&old, |&(o, _)| o)
                .ok()
                .map(|i| self.pairs[i].1),
        }
    }

    /// The one-by-one mapped old ids (those below the shifted range), with their new ids,
    /// in old-id order.
    pub fn pairs(&self) -> &[(TypeId, TypeId)] {
        &self.pairs
    }

    /// The old ids that move together, and the new id of the first.
    pub fn shifted(&self) -> (std::ops::Range<TypeId>, TypeId) {
        (
            TypeId(self.shift_from)..TypeId(self.end),
            TypeId(self.shift_to),
        )
    }

    /// One past the highest old id the map covers.
    pub fn old_end(&self) -> TypeId {
        TypeId(self.end)
    }

    /// Every mapped old id (void excluded) with its new id, in old-id order.
    pub fn iter(&self) -> impl Iterator<Item = (TypeId, TypeId)> + '_ {
        let shift = (self.shift_from..self.end)
            .map(move |o| (TypeId(o), TypeId(o - self.shift_from + self.shift_to)));
        self.pairs.iter().copied().chain(shift)
    }

    /// This map followed by `next`: old id → `next.get(self.get(old))`. An id either map
    /// drops is dropped.
    pub fn then(&self, next: &IdMap) -> IdMap {
        let mut pairs: Vec<(TypeId, TypeId)> = self
            .pairs
            .iter()
            .filter_map(|&(o, m)| Some((o, next.get(m)?)))
            .collect();
        let (from, end, to) = (self.shift_from, self.end, self.shift_to);
        let image_end = to as u64 + (end - from) as u64;
        if end == from || (to >= next.shift_from && image_end <= next.end as u64) {
            // The whole shifted range lands in `next`'s shifted range: still one shift.
            let to = next.get(TypeId(to)).map_or(0, |t| t.0);
            return IdMap {
                pairs,
                shift_from: from,
                end,
                shift_to: if end == from { 0 } else { to },
            };
        }
        // Otherwise map the shifted range one by one: everything is a pair.
        pairs.extend(
            (from..end).filter_map(|o| Some((TypeId(o), next.get(TypeId(o - from + to))?))),
        );
        IdMap {
            pairs,
            shift_from: end,
            end,
            shift_to: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: u32) -> TypeId {
        TypeId(v)
    }

    #[test]
    fn pairs_below_and_a_shift_above() {
        // Base ids 3 and 7 kept as 2 and 1; split ids 10..14 move to 3..7.
        let m = IdMap::new(
            vec![(t(7), t(1)), (t(3), t(2)), (t(12), t(99))],
            t(10)..t(14),
            t(3),
        );
        assert_eq!(m.get(t(0)), Some(t(0)));
        assert_eq!(m.get(t(3)), Some(t(2)));
        assert_eq!(m.get(t(7)), Some(t(1)));
        assert_eq!(m.get(t(5)), None);
        assert_eq!(m.get(t(10)), Some(t(3)));
        assert_eq!(
            m.get(t(12)),
            Some(t(5)),
            "pairs in the shifted range are ignored"
        );
        assert_eq!(m.get(t(14)), None);
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [(3, 2), (7, 1), (10, 3), (11, 4), (12, 5), (13, 6)].map(|(a, b)| (t(a), t(b)))
        );
        assert_eq!(m.old_end(), t(14));
    }

    #[test]
    fn composition_is_get_after_get() {
        // distill: base 3 -> dist 1, base 5 -> copy 8; split 10..13 -> 5..8.
        let a = IdMap::new(vec![(t(3), t(1)), (t(5), t(8))], t(10)..t(13), t(5));
        // relocate: dist 1 -> 40; split 5..9 -> 100..104.
        let b = IdMap::new(vec![(t(1), t(40))], t(5)..t(9), t(100));
        let c = a.then(&b);
        for old in 0..20 {
            let want = a.get(t(old)).and_then(|m| b.get(m));
            assert_eq!(c.get(t(old)), want, "old {old}");
        }
        assert_eq!(c.shifted(), (t(10)..t(13), t(100)), "still one shift");
        // A second map that splits the shifted range: composed pair by pair.
        let b2 = IdMap::new(vec![(t(1), t(40)), (t(5), t(50))], t(6)..t(9), t(100));
        let c2 = a.then(&b2);
        for old in 0..20 {
            let want = a.get(t(old)).and_then(|m| b2.get(m));
            assert_eq!(c2.get(t(old)), want, "old {old}");
        }
    }

    #[test]
    fn identity() {
        let m = IdMap::identity(t(5));
        assert_eq!(
            (0..7).map(|i| m.get(t(i))).collect::<Vec<_>>(),
            [
                Some(t(0)),
                Some(t(1)),
                Some(t(2)),
                Some(t(3)),
                Some(t(4)),
                None,
                None
            ]
        );
    }
}
