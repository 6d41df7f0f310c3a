//! Fuzz body of `btf_ids`: `.BTF_ids` of an arbitrary ELF file read
//! (`btfkit::elf::btf_ids::BtfIds::parse`), resolved against a small module BTF, used as
//! distillation roots, and rewritten.
//!
//! Properties of [`BtfIds::rewrite`]: the section keeps its size; with the identity map
//! every set comes out sorted by id, holding the same slots (id, and flags for set8) as
//! before, and every word outside the sets' slots is unchanged; rewriting the rewritten
//! section again (patched into the file and read back) changes nothing when the sets do
//! not overlap; with a map that maps nothing, rewriting fails exactly when some id word
//! is nonzero. When `module::distill_with_btf_ids` succeeds, its section has the input's size.

use btfkit::elf::btf_ids::{self, BtfIds, SetKind};
use btfkit::Btf;

/// The `(first, end)` byte range of each set's slots.
fn slot_ranges(ids: &BtfIds) -> Vec<(usize, usize)> {
    ids.sets
        .iter()
        .map(|s| {
            let first = (s.offset + s.kind.header_len()) as usize;
            (first, first + s.cnt as usize * s.kind.stride() as usize)
        })
        .collect()
}

/// True when the file has a readable `.BTF_ids`.
pub fn run(data: &[u8]) -> bool {
    let data = data.to_vec();
    let Ok(Some(ids)) = BtfIds::parse(&data) else {
        return false;
    };
    let e = ids.endian;
    let len = ids.data.len();

    // Identity: sets sorted, same slots; every other word unchanged.
    let same = ids.rewrite(Some).expect("the identity maps every id");
    assert_eq!(same.len(), len);
    let ranges = slot_ranges(&ids);
    for (set, &(first, end)) in ids.sets.iter().zip(&ranges) {
        let stride = set.kind.stride() as usize;
        let slots = |d: &[u8]| -> Vec<(u32, u32)> {
            (first..end)
                .step_by(stride)
                .map(|at| {
                    let flags = if set.kind == SetKind::Set8 {
                        e.u32(d, at + 4)
                    } else {
                        0
                    };
                    (e.u32(d, at), flags)
                })
                .collect()
        };
        let (mut old, new) = (slots(&ids.data), slots(&same));
        let overlapped = ranges.iter().filter(|r| r.0 < end && first < r.1).count() > 1;
        if !overlapped {
            assert!(
                new.windows(2).all(|w| w[0].0 <= w[1].0),
                "set {} not sorted",
                set.name
            );
            old.sort_by_key(|s| s.0);
            assert_eq!(old, new, "set {} lost or changed slots", set.name);
        }
    }
    let in_slots = |at: usize| ranges.iter().any(|&(f, end)| at >= f && at < end);
    for w in (0..len / 4 * 4).step_by(4) {
        if !in_slots(w) {
            assert_eq!(
                same[w..w + 4],
                ids.data[w..w + 4],
                "identity rewrite changed word {w:#x} outside the sets"
            );
        }
    }

    // A map that maps nothing: fails exactly when there is a nonzero id word.
    // (Set header words are never ids, even where an entry symbol points.)
    let header = |at: u32| {
        ids.sets
            .iter()
            .any(|s| at >= s.offset && at < s.offset + s.kind.header_len())
    };
    let any_id = ids
        .entries
        .iter()
        .filter(|en| en.set.is_none())
        .map(|en| (en.offset, en.stored))
        .chain(
            ids.sets
                .iter()
                .flat_map(|s| s.slots.iter().map(|sl| (sl.offset, sl.id))),
        )
        .any(|(at, id)| id != 0 && !header(at));
    assert_eq!(ids.rewrite(|_| None).is_err(), any_id);
    // A map that moves every id: the section keeps its size.
    if let Ok(moved) = ids.rewrite(|id| id.checked_add(1)) {
        assert_eq!(moved.len(), len);
    }

    // Resolution, roots and distillation against the fixture module.
    let (base, split) = crate::common::ids_fixture();
    let base = Btf::parse(base).expect("fixture base parses");
    let split = Btf::parse_split(split, &base).expect("fixture split parses");
    let report = ids.resolve(&split);
    let problems = report.problems(&ids);
    assert_eq!(report.is_ok(), problems.is_empty());
    for r in &report.entries {
        let _ = btf_ids::describe_id(r.id, r.target, &r.is);
    }
    let _ = ids.roots(&split);
    for order in [btfkit::sort::Order::Libbpf, btfkit::sort::Order::Kernel] {
        if let Ok((_, section, _)) = btfkit::module::distill_with_btf_ids(&split, &ids, order) {
            assert_eq!(section.len(), len);
        }
    }

    // Fixpoint: the rewritten section, patched in and read back, rewrites to itself,
    // unless sets overlap (headers included: sorting one set then moves another's cnt).
    let whole: Vec<(usize, usize)> = ids
        .sets
        .iter()
        .zip(&ranges)
        .map(|(s, r)| (s.offset as usize, r.1))
        .collect();
    let overlap = whole
        .iter()
        .enumerate()
        .any(|(i, a)| whole[i + 1..].iter().any(|b| a.0 < b.1 && b.0 < a.1));
    if !overlap {
        let mut patch = btfkit::elf::Patch::new();
        patch.replace(btf_ids::SECTION, &same);
        if let Ok(p) = patch.apply(&data) {
            if let Ok(Some(again)) = BtfIds::parse(&p.elf) {
                assert_eq!(again.data, same);
                let twice = again.rewrite(Some).expect("the identity maps every id");
                assert!(twice == same, "rewriting a rewritten section changed it");
            }
        }
    }
    true
}
