//! Fuzz body of `sort`: renumbering types (`btfkit::sort`: `permute`, the by-name order,
//! the kernel's sortedness check) on any BTF that parses, validated or not.
//!
//! Input: `parts(data, 3)` = `[base][split][keys]`: a base blob, a split blob over it
//! (ignored when it does not parse), and bytes that pick a permutation.
//!
//! Properties, for the base and for the split:
//! - `check_sorted` agrees with the model (every own name `>=` the one before, as bytes);
//! - `sort_by_name` fails exactly when a type is of a kind whose type-id fields are
//!   unknown or refers to an id past the last type, or the type section shares bytes with
//!   the string or layout section; otherwise the result parses, has
//!   the input's length, differs only in the type section, is sorted, is its own sort,
//!   and the inverse permutation gives the input back byte for byte;
//! - a permutation picked by `keys` is accepted, permutes exactly when sorting does, and
//!   is undone by its inverse; a list of raw ids from `keys` is refused unless it is a
//!   permutation of the own ids.

use crate::common::parts;
use btfkit::fields::{FieldKind, FieldLayout};
use btfkit::sort::{self, Permutation};
use btfkit::{Btf, TypeId};

/// True when the input reached the checks (the base parsed).
pub fn run(data: &[u8]) -> bool {
    let [base, split, keys] = parts(data, 3)[..] else {
        unreachable!()
    };
    let Ok(base) = Btf::parse(base) else {
        return false;
    };
    check(&base, keys);
    if let Ok(split) = Btf::parse_split(split, &base) {
        check(&split, keys);
    }
    true
}

fn reparse<'a>(like: &Btf<'a>, bytes: &'a [u8]) -> Btf<'a> {
    match like.base() {
        Some(b) => Btf::parse_split(bytes, b),
        None => Btf::parse(bytes),
    }
    .expect("a permuted blob parses like its input")
}

fn check(btf: &Btf<'_>, keys: &[u8]) {
    let names: Vec<&[u8]> = btf.types().map(|t| btf.name(&t)).collect();
    assert_eq!(
        sort::is_sorted(btf),
        names.windows(2).all(|w| w[0] <= w[1]),
        "check_sorted against the model"
    );
    let end = btf.next_id().0;
    let h = btf.header();
    let sec = (h.hdr_len + h.type_off) as usize..(h.hdr_len + h.type_off + h.type_len) as usize;
    let strs = (h.hdr_len + h.str_off) as usize..(h.hdr_len + h.str_off + h.str_len) as usize;
    let lay = (h.hdr_len + h.layout_off) as usize;
    let lay = lay..lay + btf.layout_section().len();
    let apart = |r: &std::ops::Range<usize>| {
        r.is_empty() || sec.is_empty() || r.end <= sec.start || sec.end <= r.start
    };
    let permutable = apart(&strs)
        && apart(&lay)
        && btf.types().all(|t| {
            t.kind().is_known()
                && FieldLayout::of(t.kind(), FieldKind::TypeIds)
                    .positions(t.vlen())
                    .all(|pos| t.u32_at(pos) < end)
        });
    let sorted = sort::sort_by_name(btf);
    assert_eq!(
        sorted.is_ok(),
        permutable,
        "sort fails exactly on what cannot be renumbered"
    );
    let undo = |perm: &Permutation, bytes: &[u8]| {
        let after = reparse(btf, bytes);
        let inverse =
            Permutation::new(&after, &perm.order()).expect("the inverse is a permutation");
        assert_eq!(
            sort::permute(&after, &inverse).expect("permutes back"),
            btf.data()
        );
    };
    if let Ok(s) = &sorted {
        let (a, b) = (btf.data(), &s.bytes[..]);
        assert_eq!(a.len(), b.len());
        assert_eq!(&a[..sec.start], &b[..sec.start]);
        assert_eq!(&a[sec.end..], &b[sec.end..]);
        let after = reparse(btf, &s.bytes);
        assert!(sort::is_sorted(&after));
        let again = sort::sort_by_name(&after).expect("sorted BTF sorts");
        assert!(again.map.is_identity());
        assert_eq!(again.bytes, s.bytes);
        undo(&s.map, &s.bytes);
    }

    // A permutation picked by the keys: own ids ordered by a key each.
    let start = btf.start_id().0;
    let n = btf.type_count() as usize;
    let key = |i: usize| keys.get(i % keys.len().max(1)).copied().unwrap_or(0);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&i| (key(i as usize), i));
    let mut new_ids = vec![TypeId(0); n];
    for (k, &i) in order.iter().enumerate() {
        new_ids[i as usize] = TypeId(start + k as u32);
    }
    let perm = Permutation::new(btf, &new_ids).expect("a permutation");
    let permuted = sort::permute(btf, &perm);
    assert_eq!(permuted.is_ok(), permutable);
    if let Ok(bytes) = &permuted {
        undo(&perm, bytes);
    }

    // Raw ids from the keys: accepted only when they are a permutation.
    let raw: Vec<TypeId> = keys
        .chunks(2)
        .take(n)
        .map(|c| {
            TypeId(start.wrapping_add(u32::from(c[0]) | u32::from(*c.get(1).unwrap_or(&0)) << 8))
        })
        .collect();
    let mut seen = raw.clone();
    seen.sort();
    seen.dedup();
    let is_perm = raw.len() == n
        && seen.len() == n
        && seen.first().is_none_or(|f| f.0 == start)
        && seen.last().is_none_or(|l| l.0 == start + n as u32 - 1);
    assert_eq!(Permutation::new(btf, &raw).is_ok(), is_perm);
}
