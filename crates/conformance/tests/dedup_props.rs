//! Generated type graphs deduplicated by btfkit and by libbpf 1.7, compared byte for
//! byte: a random "compilation unit" (structs and unions with members pointing anywhere,
//! so cycles; FWDs, enum forward declarations, typedefs, modifiers, arrays, prototypes,
//! functions, variables, sections, tags; anonymous types and a few shared names) is
//! emitted several times, in some copies with structs replaced by FWDs or enums by their
//! forward declarations, and deduplicated: parsed, appended to an empty BTF, and as
//! split BTF over a base holding the first copy (references into the base mixed in).
//! Where libbpf fails (reference loops) btfkit must fail too.
//!
//! Every cycle goes through a STRUCT or UNION: libbpf does not terminate on some graphs
//! whose cycles only go through modifiers, which no compiler emits.

use btfkit::dedup::{dedup, merge};
use btfkit::write::Builder;
use btfkit::{Btf, Endian, TypeId};
use conformance::libbpf::LibbpfBtf;
use proptest::prelude::*;

/// Random choices, consumed in order (0 when exhausted).
struct Entropy<'a> {
    words: &'a [u32],
    at: usize,
}

impl Entropy<'_> {
    fn next(&mut self) -> u32 {
        let w = self.words.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        w
    }
    fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

const NAMES: [&str; 6] = ["", "a", "b", "s", "t", "u"];

#[derive(Clone, Copy, Debug, PartialEq)]
enum K {
    Int,
    Float,
    Enum,
    Enum64,
    Fwd,
    Struct,
    Union,
    Typedef,
    Ptr,
    Const,
    Volatile,
    TypeTag,
    Array,
    Proto,
    Func,
    Var,
    Datasec,
    DeclTag,
}

/// One type of the unit: kind, name, a size-ish number, and references (unit indexes,
/// 0-based; `None` = void).
#[derive(Clone, Debug)]
struct T {
    k: K,
    name: &'static str,
    n: u32,
    refs: Vec<Option<usize>>,
    /// Member names / enum values.
    extra: Vec<u32>,
}

fn unit(e: &mut Entropy<'_>) -> Vec<T> {
    let count = 3 + e.below(22) as usize;
    let kinds: Vec<K> = (0..count)
        .map(|_| match e.below(40) {
            0..=3 => K::Int,
            4 => K::Float,
            5..=6 => K::Enum,
            7 => K::Enum64,
            8..=10 => K::Fwd,
            11..=17 => K::Struct,
            18..=19 => K::Union,
            20..=22 => K::Typedef,
            23..=27 => K::Ptr,
            28 => K::Const,
            29 => K::Volatile,
            30 => K::TypeTag,
            31..=32 => K::Array,
            33..=34 => K::Proto,
            35 => K::Func,
            36 => K::Var,
            37 => K::Datasec,
            _ => K::DeclTag,
        })
        .collect();
    let mut out: Vec<T> = Vec::new();
    for (i, &k) in kinds.iter().enumerate() {
        // Some types repeat an earlier one exactly (compilers emit such duplicates
        // within one unit; the equivalence check must then compare structure).
        if i > 0 && !matches!(k, K::Func | K::Var | K::Datasec | K::DeclTag) && e.chance(15) {
            let j = e.below(i as u32) as usize;
            if !matches!(out[j].k, K::Func | K::Var | K::Datasec | K::DeclTag) && out[j].k == k {
                let t = out[j].clone();
                out.push(t);
                continue;
            }
        }
        let name = NAMES[e.below(NAMES.len() as u32) as usize];
        let below = |e: &mut Entropy<'_>, ok: &dyn Fn(K) -> bool| -> Option<usize> {
            let cands: Vec<usize> = (0..i).filter(|&j| ok(kinds[j])).collect();
            if cands.is_empty() || e.chance(15) {
                None
            } else {
                Some(cands[e.below(cands.len() as u32) as usize])
            }
        };
        let is_type = |k: K| !matches!(k, K::Func | K::Var | K::Datasec | K::DeclTag);
        let (k, refs, extra, n) = match k {
            K::Int | K::Float => (k, vec![], vec![], [1, 2, 4, 8][e.below(4) as usize]),
            K::Enum | K::Enum64 => {
                let v = if e.chance(30) { 0 } else { 1 + e.below(3) };
                let extra = (0..v).map(|_| e.below(3)).collect();
                (k, vec![], extra, if k == K::Enum { 4 } else { 8 })
            }
            K::Fwd => (k, vec![], vec![], e.below(2)),
            K::Struct | K::Union => {
                let v = e.below(4);
                // Members may point anywhere but at non-types: cycles through structs.
                let refs = (0..v)
                    .map(|_| {
                        let cands: Vec<usize> = (0..count).filter(|&j| is_type(kinds[j])).collect();
                        if cands.is_empty() || e.chance(10) {
                            None
                        } else {
                            Some(cands[e.below(cands.len() as u32) as usize])
                        }
                    })
                    .collect();
                let extra = (0..v).map(|_| e.below(3)).collect();
                (k, refs, extra, 4 * (1 + e.below(3)))
            }
            K::Ptr => {
                // A pointer may also point forward, at a struct, union or FWD.
                let fwd: Vec<usize> = (0..count)
                    .filter(|&j| matches!(kinds[j], K::Struct | K::Union | K::Fwd))
                    .collect();
                let r = if !fwd.is_empty() && e.chance(50) {
                    Some(fwd[e.below(fwd.len() as u32) as usize])
                } else {
                    below(e, &is_type)
                };
                (k, vec![r], vec![], 0)
            }
            K::Typedef | K::Const | K::Volatile | K::TypeTag => {
                (k, vec![below(e, &is_type)], vec![], 0)
            }
            K::Array => {
                let elem = below(e, &is_type);
                let index = below(e, &|k| k == K::Int);
                (k, vec![elem, index], vec![], e.below(4))
            }
            K::Proto => {
                let v = e.below(3);
                let mut refs = vec![below(e, &is_type)];
                refs.extend((0..v).map(|_| below(e, &is_type)));
                (k, refs, (0..v).map(|_| e.below(3)).collect(), 0)
            }
            K::Func => match below(e, &|k| k == K::Proto) {
                Some(p) => (k, vec![Some(p)], vec![], e.below(2)),
                None => (K::Ptr, vec![below(e, &is_type)], vec![], 0),
            },
            K::Var => match below(e, &is_type) {
                Some(t) => (k, vec![Some(t)], vec![], e.below(2)),
                None => (K::Int, vec![], vec![], 4),
            },
            K::Datasec => {
                let vars: Vec<usize> = (0..i).filter(|&j| out[j].k == K::Var).collect();
                let refs = vars.iter().take(2).map(|&v| Some(v)).collect();
                (k, refs, vec![], 8)
            }
            K::DeclTag => match below(e, &|_| true) {
                Some(t) => (k, vec![Some(t)], vec![], 0),
                None => (K::Int, vec![], vec![], 1),
            },
        };
        // Members, parameters and values need names for some kinds; FWDs, FUNCs, VARs,
        // sections and tags need a name.
        let name = match k {
            K::Fwd | K::Func | K::Var | K::Datasec | K::DeclTag if name.is_empty() => "t",
            K::Ptr | K::Const | K::Volatile | K::Array | K::Proto => "",
            _ => name,
        };
        out.push(T {
            k,
            name,
            n,
            refs,
            extra,
        });
    }
    out
}

/// What a copy does to unit type `j`: emit it as is, as a forward declaration, or
/// changed (so that same-named types of two copies differ).
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Same,
    Degrade,
    Change,
}

/// Emits one copy of the unit; `id(j)` is where unit type `j` lives (possibly in the
/// base).
fn emit(
    b: &mut Builder<'_>,
    unit: &[T],
    id: &dyn Fn(usize) -> u32,
    variant: &dyn Fn(usize) -> Variant,
) {
    let degrade = |j| variant(j) == Variant::Degrade;
    let mname = |v: u32| ["m", "n", "o"][v as usize % 3];
    for (j, t) in unit.iter().enumerate() {
        let changed;
        let t = if variant(j) == Variant::Change {
            let mut c = t.clone();
            c.n = c.n.wrapping_mul(2).max(1);
            let retarget = matches!(
                c.k,
                K::Struct
                    | K::Union
                    | K::Ptr
                    | K::Typedef
                    | K::Const
                    | K::Volatile
                    | K::TypeTag
                    | K::Array
                    | K::Proto
            );
            if let Some(first) = c.refs.first_mut().filter(|_| retarget) {
                // another type of the unit (may be void, or make a cycle)
                *first = first.map(|x| (x + 1) % unit.len()).filter(|&x| {
                    !matches!(unit[x].k, K::Func | K::Var | K::Datasec | K::DeclTag)
                        && (x < j
                            || matches!(unit[x].k, K::Struct | K::Union | K::Fwd)
                            || matches!(t.k, K::Struct | K::Union))
                });
            }
            if let Some(v) = c.extra.first_mut() {
                *v += 1;
            }
            changed = c;
            &changed
        } else {
            t
        };
        let r = |x: &Option<usize>| TypeId(x.map_or(0, id));
        match t.k {
            K::Int => {
                b.add_int(if t.name.is_empty() { "int" } else { t.name }, t.n, 0);
            }
            K::Float => {
                b.add_float(if t.name.is_empty() { "float" } else { t.name }, t.n);
            }
            K::Enum | K::Enum64 if degrade(j) => {
                b.add_fwd_enum(if t.name.is_empty() { "e" } else { t.name });
            }
            K::Enum => {
                b.add_enum(t.name, 4, false);
                for (i, &v) in t.extra.iter().enumerate() {
                    b.add_enum_value(mname(i as u32), v as i64).unwrap();
                }
            }
            K::Enum64 => {
                b.add_enum64(t.name, 8, false);
                for (i, &v) in t.extra.iter().enumerate() {
                    b.add_enum64_value(mname(i as u32), (v as u64) << 33)
                        .unwrap();
                }
            }
            K::Fwd => {
                b.add_fwd(
                    t.name,
                    if t.n == 1 {
                        btfkit::write::FwdKind::Union
                    } else {
                        btfkit::write::FwdKind::Struct
                    },
                );
            }
            K::Struct | K::Union if degrade(j) && !t.name.is_empty() => {
                let kind = if t.k == K::Union {
                    btfkit::write::FwdKind::Union
                } else {
                    btfkit::write::FwdKind::Struct
                };
                b.add_fwd(t.name, kind);
            }
            K::Struct | K::Union => {
                if t.k == K::Struct {
                    b.add_struct(t.name, t.n);
                } else {
                    b.add_union(t.name, t.n);
                }
                for (i, m) in t.refs.iter().enumerate() {
                    let off = if t.k == K::Struct { 8 * i as u32 } else { 0 };
                    b.add_member(mname(t.extra[i]), r(m), off, 0).unwrap();
                }
            }
            K::Typedef => {
                b.add_typedef(if t.name.is_empty() { "td" } else { t.name }, r(&t.refs[0]));
            }
            K::Ptr => {
                b.add_ptr(r(&t.refs[0]));
            }
            K::Const => {
                b.add_const(r(&t.refs[0]));
            }
            K::Volatile => {
                b.add_volatile(r(&t.refs[0]));
            }
            K::TypeTag => {
                b.add_type_tag(
                    if t.name.is_empty() { "tag" } else { t.name },
                    r(&t.refs[0]),
                );
            }
            K::Array => {
                b.add_array(r(&t.refs[0]), r(&t.refs[1]), t.n);
            }
            K::Proto => {
                b.add_func_proto(r(&t.refs[0]));
                for (i, p) in t.refs[1..].iter().enumerate() {
                    b.add_param(mname(t.extra[i]), r(p)).unwrap();
                }
            }
            K::Func => {
                b.add_func(t.name, t.n, r(&t.refs[0]));
            }
            K::Var => {
                b.add_var(t.name, t.n, r(&t.refs[0]));
            }
            K::Datasec => {
                b.add_datasec(t.name, t.n);
                for (i, v) in t.refs.iter().enumerate() {
                    b.add_secinfo(r(v), 4 * i as u32, 4).unwrap();
                }
            }
            K::DeclTag => {
                b.add_decl_tag(t.name, r(&t.refs[0]), -1);
            }
        }
    }
}

/// What the generated cases exercised: both succeeded, both failed, the output has
/// fewer types than the input.
#[derive(Default, Debug)]
struct Tally {
    same: u32,
    failed: u32,
    merged: u32,
}

/// btfkit and libbpf on the same parsed bytes: both fail, or give the same bytes.
fn same_outcome(
    tally: &mut Tally,
    input_types: u32,
    what: &str,
    ours: Result<Vec<u8>, String>,
    theirs: Result<Vec<u8>, String>,
) {
    match (ours, theirs) {
        (Ok(a), Ok(b)) => {
            assert!(a == b, "{what}: bytes differ from libbpf's");
            tally.same += 1;
            let out_types = Btf::parse(&a).map_or(u32::MAX, |b| b.type_count());
            tally.merged += (out_types < input_types) as u32;
        }
        (Err(_), Err(_)) => tally.failed += 1,
        (Ok(_), Err(e)) => panic!("{what}: libbpf fails ({e}), btfkit does not"),
        (Err(e), Ok(_)) => panic!("{what}: btfkit fails ({e}), libbpf does not"),
    }
}

fn check(words: &[u32], tally: &mut Tally) {
    let mut e = Entropy { words, at: 0 };
    let u = unit(&mut e);
    let copies = 2 + e.below(3) as usize;
    let variants: Vec<Vec<Variant>> = (0..copies)
        .map(|c| {
            (0..u.len())
                .map(|_| match e.below(100) {
                    0..=9 if c == 0 => Variant::Degrade,
                    _ if c == 0 => Variant::Same,
                    0..=19 => Variant::Degrade,
                    20..=29 => Variant::Change,
                    _ => Variant::Same,
                })
                .collect()
        })
        .collect();
    let n = u.len() as u32;

    // Standalone: every copy in one BTF.
    let mut b = Builder::new();
    for (c, var) in variants.iter().enumerate() {
        let base = 1 + c as u32 * n;
        emit(&mut b, &u, &|j| base + j as u32, &|j| var[j]);
    }
    let bytes = b.to_bytes(Endian::Little);
    let btf = Btf::parse(&bytes).expect("generated BTF parses");
    let ours = dedup(&btf).map(|d| d.bytes).map_err(|e| e.to_string());
    let theirs = LibbpfBtf::parse_raw(&bytes)
        .and_then(|mut lb| lb.dedup().and_then(|()| lb.raw_data()))
        .map_err(|e| e.to_string());
    same_outcome(tally, btf.type_count(), "parsed", ours, theirs);

    let ours = merge(None, &[&btf])
        .map(|d| d.bytes)
        .map_err(|e| e.to_string());
    let theirs = LibbpfBtf::parse_raw(&bytes)
        .and_then(|lb| LibbpfBtf::merge(None, &[&lb]).and_then(|m| m.raw_data()))
        .map_err(|e| e.to_string());
    same_outcome(tally, btf.type_count(), "appended", ours, theirs);

    // Split: the first copy is the base; the others refer to their own types or, at
    // random, to the base's.
    let mut bb = Builder::new();
    emit(&mut bb, &u, &|j| 1 + j as u32, &|j| variants[0][j]);
    let base_bytes = bb.to_bytes(Endian::Little);
    let base = Btf::parse(&base_bytes).expect("base parses");
    let mut sb = Builder::new_split(&base);
    let to_base: Vec<bool> = (0..u.len()).map(|_| e.chance(30)).collect();
    for (c, var) in variants.iter().enumerate().skip(1) {
        let first = 1 + n + (c as u32 - 1) * n;
        emit(
            &mut sb,
            &u,
            &|j| {
                if to_base[j] {
                    1 + j as u32
                } else {
                    first + j as u32
                }
            },
            &|j| var[j],
        );
    }
    let split_bytes = sb.to_bytes(Endian::Little);
    let split = Btf::parse_split(&split_bytes, &base).expect("split parses");
    let ours = dedup(&split).map(|d| d.bytes).map_err(|e| e.to_string());
    let lb_base = LibbpfBtf::parse_raw(&base_bytes).expect("libbpf parses the base");
    let theirs = LibbpfBtf::parse_split(&split_bytes, &lb_base)
        .and_then(|mut lb| lb.dedup().and_then(|()| lb.raw_data()))
        .map_err(|e| e.to_string());
    same_outcome(tally, split.type_count(), "split, parsed", ours, theirs);

    let ours = merge(Some(&base), &[&split])
        .map(|d| d.bytes)
        .map_err(|e| e.to_string());
    let theirs = LibbpfBtf::parse_split(&split_bytes, &lb_base)
        .and_then(|lb| LibbpfBtf::merge(Some(&lb_base), &[&lb]).and_then(|m| m.raw_data()))
        .map_err(|e| e.to_string());
    same_outcome(tally, split.type_count(), "split, appended", ours, theirs);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_graphs_dedup_like_libbpf(words in proptest::collection::vec(any::<u32>(), 64..600)) {
        check(&words, &mut Tally::default());
    }
}

/// The generator exercises what it should: most cases deduplicate something, some fail
/// the same way in both (reference loops).
#[test]
fn generated_graphs_exercise_dedup() {
    let mut tally = Tally::default();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..500 {
        let words: Vec<u32> = (0..300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u32
            })
            .collect();
        check(&words, &mut tally);
    }
    eprintln!("{tally:?}");
    assert_eq!(tally.same + tally.failed, 2000);
    assert!(tally.merged > 1000, "{tally:?}");
    assert!(tally.same > 1500, "{tally:?}");
}
