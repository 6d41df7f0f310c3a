//! The explanation of a relocation failure agrees with the decision: for every failure,
//! the candidates reported without a mismatch are exactly the matches (none for an
//! unmapped type, the listed ids for an ambiguous one). Checked on every combination of
//! a distilled type and up to three same-named base types from a pool that exercises each
//! matching rule (kind, encoding, flavour, size, the several-composites rule, the
//! embedded-size rule and its 31-bit size lookup).

use btfkit::relocate::{self, Mismatch, Options, Problem, RelocateError};
use btfkit::write::{Builder, FwdKind};
use btfkit::{raw, Btf, Endian, Kind, TypeId};

const NAME: &str = "foo";

/// A distilled type `foo`, and whether a split STRUCT embeds it by value.
#[derive(Clone, Copy, Debug)]
enum Dist {
    Int { size: u32, signed: bool },
    Float(u32),
    Enum(u32),
    Fwd(FwdKind),
    Struct(u32),
    Union(u32),
}

/// A base type named `foo`.
#[derive(Clone, Copy, Debug)]
enum BaseTy {
    Int { size: u32, signed: bool },
    Float(u32),
    Enum(u32),
    Enum64(u32),
    Fwd(FwdKind),
    Struct(u32),
    Union(u32),
    Typedef,
}

fn add_dist(b: &mut Builder<'_>, d: Dist) -> TypeId {
    match d {
        Dist::Int { size, signed } => {
            let enc = if signed { raw::INT_SIGNED } else { 0 };
            // add_raw: the size may have bit 31 set, which libbpf's lookup ignores.
            let n = b.add_str(NAME).0;
            b.add_raw(
                n,
                raw::info(Kind::INT.0, 0, false),
                size,
                &[((enc as u32) << 24) | 32],
            )
        }
        Dist::Float(s) => b.add_float(NAME, s),
        Dist::Enum(s) => b.add_enum(NAME, s, false),
        Dist::Fwd(k) => b.add_fwd(NAME, k),
        Dist::Struct(s) => b.add_struct(NAME, s),
        Dist::Union(s) => b.add_union(NAME, s),
    }
}

fn add_base(b: &mut Builder<'_>, t: BaseTy, int: TypeId) {
    match t {
        BaseTy::Int { size, signed } => {
            b.add_int(NAME, size, if signed { raw::INT_SIGNED } else { 0 });
        }
        BaseTy::Float(s) => {
            b.add_float(NAME, s);
        }
        BaseTy::Enum(s) => {
            b.add_enum(NAME, s, false);
        }
        BaseTy::Enum64(s) => {
            b.add_enum64(NAME, s, false);
        }
        BaseTy::Fwd(k) => {
            b.add_fwd(NAME, k);
        }
        BaseTy::Struct(s) => {
            b.add_struct(NAME, s);
        }
        BaseTy::Union(s) => {
            b.add_union(NAME, s);
        }
        BaseTy::Typedef => {
            b.add_typedef(NAME, int);
        }
    }
}

/// Relocates a split that uses distilled `d` (embedded by value or through a pointer)
/// onto a base holding `base` (all named `foo`, after an `int`).
fn run(d: Dist, embedded: bool, base: &[BaseTy], strict: bool) -> Result<(), RelocateError> {
    let mut db = Builder::new();
    let dist_id = add_dist(&mut db, d);
    let dist_bytes = db.to_bytes(Endian::Little);
    let dist = Btf::parse(&dist_bytes).unwrap();
    let mut s = Builder::new_split(&dist);
    if embedded {
        s.add_struct("holder", 64);
        s.add_member("f", dist_id, 0, 0).unwrap();
    } else {
        let p = s.add_ptr(dist_id);
        s.add_typedef("foo_ptr", p);
    }
    let split_bytes = s.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split_bytes, &dist).unwrap();

    let mut bb = Builder::new();
    let int = bb.add_int("int", 4, raw::INT_SIGNED);
    for &t in base {
        add_base(&mut bb, t, int);
    }
    let base_bytes = bb.to_bytes(Endian::Little);
    let target = Btf::parse(&base_bytes).unwrap();
    relocate::relocate(
        &split,
        &target,
        Options {
            strict_kinds: strict,
        },
    )
    .map(|_| ())
}

/// The matches a failure's candidates claim.
fn claimed(f: &relocate::Failure) -> Vec<TypeId> {
    f.candidates
        .iter()
        .filter(|c| c.mismatch.is_none())
        .map(|c| c.id)
        .collect()
}

fn check_agrees(err: &RelocateError, what: &str) {
    for f in err.failures() {
        match &f.problem {
            Problem::Unmapped => {
                assert!(claimed(f).is_empty(), "{what}: unmapped, yet {f:?}")
            }
            Problem::Ambiguous(ids) => {
                assert!(ids.len() > 1, "{what}: {f:?}");
                assert_eq!(&claimed(f), ids, "{what}: {f:?}");
            }
            p => panic!("{what}: unexpected {p:?}"),
        }
    }
}

#[test]
fn explanation_agrees_with_the_decision_on_every_combination() {
    let dists = [
        Dist::Int {
            size: 4,
            signed: true,
        },
        Dist::Int {
            size: 0x8000_0004,
            signed: true,
        },
        Dist::Int {
            size: 4,
            signed: false,
        },
        Dist::Float(8),
        Dist::Enum(4),
        Dist::Fwd(FwdKind::Struct),
        Dist::Fwd(FwdKind::Union),
        Dist::Struct(8),
        Dist::Union(8),
    ];
    let pool = [
        BaseTy::Int {
            size: 4,
            signed: true,
        },
        BaseTy::Int {
            size: 4,
            signed: false,
        },
        BaseTy::Float(8),
        BaseTy::Enum(4),
        BaseTy::Enum64(8),
        BaseTy::Fwd(FwdKind::Struct),
        BaseTy::Fwd(FwdKind::Union),
        BaseTy::Struct(8),
        BaseTy::Struct(16),
        BaseTy::Union(8),
        BaseTy::Typedef,
    ];
    let mut bases: Vec<Vec<BaseTy>> = vec![vec![]];
    for a in pool {
        bases.push(vec![a]);
        for b in pool {
            bases.push(vec![a, b]);
            for c in pool {
                bases.push(vec![a, b, c]);
            }
        }
    }
    let (mut ok, mut unmapped, mut ambiguous) = (0, 0, 0);
    let mut size_explained = 0;
    for d in dists {
        for embedded in [false, true] {
            for base in &bases {
                for strict in [false, true] {
                    let what = format!("{d:?} embedded={embedded} base={base:?} strict={strict}");
                    match run(d, embedded, base, strict) {
                        Ok(()) => ok += 1,
                        Err(e) => {
                            check_agrees(&e, &what);
                            for f in e.failures() {
                                match f.problem {
                                    Problem::Unmapped => unmapped += 1,
                                    _ => ambiguous += 1,
                                }
                                size_explained += f
                                    .candidates
                                    .iter()
                                    .filter(|c| c.mismatch == Some(Mismatch::Size))
                                    .count();
                            }
                        }
                    }
                }
            }
        }
    }
    // Every outcome occurs many times: the check above is not vacuous.
    assert!(
        ok > 1000 && unmapped > 1000 && ambiguous > 1000 && size_explained > 1000,
        "ok {ok}, unmapped {unmapped}, ambiguous {ambiguous}, size mismatches {size_explained}"
    );
}

/// The cases where the explanation used to contradict the decision.
#[test]
fn former_disagreements() {
    let ambiguous_ids = |d, embedded, base: &[BaseTy]| -> Vec<u32> {
        let e = run(d, embedded, base, false).expect_err("ambiguous");
        check_agrees(&e, "");
        match &e.failures()[0].problem {
            Problem::Ambiguous(ids) => ids.iter().map(|i| i.0).collect(),
            p => panic!("{p:?}"),
        }
    };
    // A composite's size counts only when the base has several composites of its name:
    // a STRUCT of another size matches, and so does the FWD.
    assert_eq!(
        ambiguous_ids(
            Dist::Struct(8),
            false,
            &[BaseTy::Struct(16), BaseTy::Fwd(FwdKind::Struct)]
        ),
        [2, 3]
    );
    // The name lookup compares 31 bits of the size.
    let signed4 = BaseTy::Int {
        size: 4,
        signed: true,
    };
    assert_eq!(
        ambiguous_ids(
            Dist::Int {
                size: 0x8000_0004,
                signed: true
            },
            false,
            &[signed4, signed4]
        ),
        [2, 3]
    );
    // An embedded composite's size is checked until it has a match (libbpf overwrites
    // the mark with the first match's id): the later FWD is a second match.
    assert_eq!(
        ambiguous_ids(
            Dist::Struct(8),
            true,
            &[BaseTy::Struct(8), BaseTy::Fwd(FwdKind::Struct)]
        ),
        [2, 3]
    );
    // ... but an earlier FWD is not a first one.
    run(
        Dist::Struct(8),
        true,
        &[BaseTy::Fwd(FwdKind::Struct), BaseTy::Struct(8)],
        false,
    )
    .expect("relocates");
}
