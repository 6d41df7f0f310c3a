//! Validation against real kernel BTF (the corpus when `BTFKIT_CORPUS` is set, else the
//! committed testdata) and a catalogue of malformed inputs, each breaking exactly one
//! rule.

use btfkit::raw;
use btfkit::read::Btf;
use btfkit::validate::validate;
use btfkit::write::{Builder, FwdKind};
use btfkit::{Endian, Error, Rule, TypeId};
use std::time::Instant;

use test_support::read;

fn show(errs: &[Error]) -> String {
    errs.iter()
        .take(10)
        .map(|e| format!("  {:?}: {e}\n", e.rule()))
        .collect()
}

#[test]
fn every_vmlinux_validates() {
    let data = test_support::data();
    let vmlinuxes = data.vmlinuxes();
    test_support::assert_checked("vmlinux blobs", vmlinuxes.len(), data.min_vmlinuxes());
    for path in vmlinuxes {
        let rel = path.display();
        let data = read(path);
        let mut best = f64::MAX;
        let mut best_parse = f64::MAX;
        for _ in 0..5 {
            let t0 = Instant::now();
            let btf = Btf::parse(&data).expect("parse");
            let t1 = Instant::now();
            let errs = validate(&btf);
            let t2 = Instant::now();
            assert!(
                errs.is_empty(),
                "{rel}: {} errors\n{}",
                errs.len(),
                show(&errs)
            );
            best = best.min((t2 - t0).as_secs_f64());
            best_parse = best_parse.min((t1 - t0).as_secs_f64());
        }
        eprintln!(
            "{rel}: parse {:.3} ms, parse+validate {:.3} ms (best of 5)",
            best_parse * 1e3,
            best * 1e3
        );
    }
}

#[test]
fn modules_validate_over_their_base() {
    let data = test_support::data();
    let base_data = read(data.vmlinux61());
    let base = Btf::parse(&base_data).expect("parse vmlinux");
    let names = data.modules61();
    test_support::assert_checked("modules", names.len(), data.min_modules());
    let t0 = Instant::now();
    let mut bytes = 0;
    for p in names {
        let data = read(p);
        bytes += data.len();
        let btf = Btf::parse_split(&data, &base).expect("parse module");
        let errs = validate(&btf);
        assert!(
            errs.is_empty(),
            "{}: {} errors\n{}",
            p.display(),
            errs.len(),
            show(&errs)
        );
    }
    eprintln!(
        "{} modules ({} MB) parsed and validated in {:.1} ms",
        names.len(),
        bytes / 1_000_000,
        t0.elapsed().as_secs_f64() * 1e3
    );

    // Modules over a wrong base: string offsets land inside base strings.
    let other_data = data.wrong_base();
    let other = Btf::parse(&other_data).expect("parse the wrong base");
    let some = match data.source {
        test_support::Source::Corpus => ["xfs", "ext4", "nf_tables"],
        test_support::Source::Testdata => ["veth", "blake2b_generic", "xor"],
    };
    for m in some {
        let data = read(data.module61(m).expect("the module"));
        let errs = match Btf::parse_split(&data, &other) {
            Ok(btf) => validate(&btf),
            Err(e) => vec![e],
        };
        assert!(!errs.is_empty(), "{m} over the wrong base validated");
        assert!(
            errs.iter().any(|e| e.rule() == Rule::NameInsideBaseString),
            "{m} over the wrong base: no NameInsideBaseString among\n{}",
            show(&errs)
        );
        eprintln!(
            "{m} over the wrong base: {} errors, first: {}",
            errs.len(),
            errs[0]
        );
    }
}

// --- the catalogue --------------------------------------------------------------------

const SIGNED: u8 = raw::INT_SIGNED;

/// One malformed input: how to build it (and its base, for split BTF), the rule it
/// breaks and the type it concerns (`None`: the blob as a whole, or any type), and the
/// consequences the same defect has on later checks (`more`, usually none). The problems
/// reported must be exactly these, in this order.
struct Case {
    name: &'static str,
    build: fn() -> Vec<u8>,
    base: Option<fn() -> Vec<u8>>,
    rule: Rule,
    id: Option<u32>,
    more: &'static [(Rule, Option<u32>)],
}

const fn case(name: &'static str, build: fn() -> Vec<u8>, rule: Rule, id: Option<u32>) -> Case {
    Case {
        name,
        build,
        base: None,
        rule,
        id,
        more: &[],
    }
}

impl Case {
    /// The same case, whose defect also shows in the later checks `more`.
    const fn and(self, more: &'static [(Rule, Option<u32>)]) -> Case {
        Case { more, ..self }
    }

    /// Every problem expected, in blob order.
    fn expected(&self) -> Vec<(Rule, Option<u32>)> {
        std::iter::once((self.rule, self.id))
            .chain(self.more.iter().copied())
            .collect()
    }
}

/// A little-endian base blob built by `f`.
fn le(f: impl FnOnce(&mut Builder)) -> Vec<u8> {
    let mut b = Builder::new();
    f(&mut b);
    b.to_bytes(Endian::Little)
}

/// A big-endian base blob built by `f`.
fn be(f: impl FnOnce(&mut Builder)) -> Vec<u8> {
    let mut b = Builder::new();
    f(&mut b);
    b.to_bytes(Endian::Big)
}

/// A little-endian base blob with the extended header and a layout section.
fn le_layout(f: impl FnOnce(&mut Builder)) -> Vec<u8> {
    let mut b = Builder::new().with_layout(true);
    f(&mut b);
    b.to_bytes(Endian::Little)
}

fn endian_of(blob: &[u8]) -> Endian {
    if blob[0] == 0x9f {
        Endian::Little
    } else {
        Endian::Big
    }
}

fn get(blob: &[u8], at: usize) -> u32 {
    endian_of(blob).u32(blob, at)
}

fn put(blob: &mut [u8], at: usize, v: u32) {
    endian_of(blob).put_u32(blob, at, v);
}

/// Patches the `u32` header field at `at`.
fn patched(mut blob: Vec<u8>, at: usize, v: u32) -> Vec<u8> {
    put(&mut blob, at, v);
    blob
}

/// Inserts `n` bytes of `fill` at blob offset `at`.
fn inserted(mut blob: Vec<u8>, at: usize, n: usize, fill: u8) -> Vec<u8> {
    blob.splice(at..at, std::iter::repeat_n(fill, n));
    blob
}

/// A valid little blob: `int`, `struct pair { int a; int b; }`, a pointer to it.
fn small() -> Vec<u8> {
    le(|b| {
        let int = b.add_int("int", 4, SIGNED);
        let s = b.add_struct("pair", 8);
        b.add_member("a", int, 0, 0).unwrap();
        b.add_member("b", int, 32, 0).unwrap();
        b.add_ptr(s);
    })
}

/// Offset of string `s` in a built blob's string section (relative to its start).
fn str_off(blob: &[u8], s: &str) -> u32 {
    let hdr_len = get(blob, raw::header::HDR_LEN) as usize;
    let start = hdr_len + get(blob, raw::header::STR_OFF) as usize;
    let len = get(blob, raw::header::STR_LEN) as usize;
    let strs = &blob[start..start + len];
    let mut off = 0;
    for chunk in strs.split(|&b| b == 0) {
        if chunk == s.as_bytes() {
            return off as u32;
        }
        off += chunk.len() + 1;
    }
    panic!("no string {s:?}");
}

/// The base of the split cases: `int`, `struct task_struct { int pid; int tgid; }`,
/// a pointer to it.
fn split_base() -> Vec<u8> {
    le(|b| {
        let int = b.add_int("int", 4, SIGNED);
        let s = b.add_struct("task_struct", 8);
        b.add_member("pid", int, 0, 0).unwrap();
        b.add_member("tgid", int, 32, 0).unwrap();
        b.add_ptr(s);
    })
}

/// Another base with the same number of types but other strings.
fn other_base() -> Vec<u8> {
    le(|b| {
        let int = b.add_int("long unsigned int", 8, 0);
        let s = b.add_struct("mm", 8);
        b.add_member("x", int, 0, 0).unwrap();
        b.add_ptr(s);
    })
}

/// A split blob over `base`, built by `f`.
fn split(base: &[u8], f: impl FnOnce(&mut Builder, &Btf<'_>)) -> Vec<u8> {
    let base = Btf::parse(base).expect("base parses");
    let mut b = Builder::new_split(&base);
    f(&mut b, &base);
    b.to_bytes(Endian::Little)
}

/// A module over `split_base`: a struct using base types and base strings.
fn good_module() -> Vec<u8> {
    split(&split_base(), |b, _| {
        let s = b.add_struct("mod_state", 16);
        b.add_member("pid", TypeId(1), 0, 0).unwrap();
        b.add_member("task", TypeId(3), 64, 0).unwrap();
        b.add_typedef("task_struct_t", TypeId(2));
        let proto = b.add_func_proto(TypeId(1));
        b.add_param("tgid", TypeId(1)).unwrap();
        b.add_func("mod_init", 1, proto);
        b.add_ptr(s);
    })
}

/// Every kind used correctly.
fn all_kinds(b: &mut Builder) {
    let int = b.add_int("int", 4, SIGNED); // 1
    let long = b.add_int("long int", 8, SIGNED); // 2
    let chr = b.add_int("char", 1, raw::INT_CHAR); // 3
    let s = b.add_struct("thing", 24); // 4
    b.add_member("a", int, 0, 0).unwrap();
    b.add_member("flags", int, 32, 3).unwrap();
    b.add_member("more", int, 35, 5).unwrap();
    b.add_member("next", TypeId(9), 64, 0).unwrap();
    b.add_member("name", TypeId(8), 128, 0).unwrap();
    b.add_member("", TypeId(6), 160, 0).unwrap();
    let u = b.add_union("", 4); // 5
    b.add_member("i", int, 0, 0).unwrap();
    b.add_member("f", TypeId(17), 0, 0).unwrap();
    let _ = u;
    let e = b.add_enum("color", 4, false); // 6
    b.add_enum_value("RED", 0).unwrap();
    b.add_enum_value("GREEN", 1).unwrap();
    let _ = e;
    let fwd = b.add_fwd("opaque", FwdKind::Struct); // 7
    b.add_array(chr, int, 4); // 8
    b.add_ptr(s); // 9
    let td = b.add_typedef("thing_t", s); // 10
    let v = b.add_volatile(int); // 11
    let c = b.add_const(v); // 12
    let r = b.add_restrict(TypeId(14)); // 13
    b.add_ptr(fwd); // 14
    let proto = b.add_func_proto(int); // 15
    b.add_param("x", c).unwrap();
    b.add_param("y", r).unwrap();
    b.add_param("", TypeId(0)).unwrap();
    let f = b.add_func("do_thing", 1, proto); // 16
    b.add_float("float", 4); // 17
    let var = b.add_var("counter", 1, long); // 18
    b.add_datasec(".data", 16); // 19
    b.add_secinfo(var, 0, 8).unwrap();
    b.add_decl_tag("tag", f, 0); // 20
    b.add_decl_tag("tag", s, -1); // 21
    b.add_decl_attr("attr", td, -1); // 22
    let tt = b.add_type_tag("user", int); // 23
    b.add_ptr(tt); // 24
    b.add_type_attr("attr", int); // 25
    let e64 = b.add_enum64("big", 8, false); // 26
    b.add_enum64_value("HUGE", 1 << 40).unwrap();
    let _ = e64;
}

const CASES: &[Case] = &[
    // --- parse errors (reported by Btf::parse, before validation) ---
    case(
        "header_truncated",
        || small()[..10].to_vec(),
        Rule::HeaderTruncated,
        None,
    ),
    case(
        "bad_magic",
        || {
            let mut v = small();
            v[0] = 0;
            v
        },
        Rule::BadMagic,
        None,
    ),
    case(
        "hdr_len_too_small",
        || patched(small(), raw::header::HDR_LEN, 20),
        Rule::BadHeaderLen,
        None,
    ),
    case(
        "string_section_out_of_bounds",
        || {
            let v = small();
            let n = get(&v, raw::header::STR_LEN);
            patched(v, raw::header::STR_LEN, n + 100)
        },
        Rule::SectionOutOfBounds,
        None,
    ),
    case(
        "struct_huge_vlen_truncated",
        || {
            le(|b| {
                b.add_raw(0, raw::info(4, raw::MAX_VLEN, false), 4, &[]);
            })
        },
        Rule::TypeTruncated,
        Some(1),
    ),
    // --- header and sections ---
    case(
        "bad_version",
        || {
            let mut v = small();
            v[2] = 2;
            v
        },
        Rule::BadVersion,
        None,
    ),
    case(
        "bad_flags",
        || {
            let mut v = small();
            v[3] = 1;
            v
        },
        Rule::BadFlags,
        None,
    ),
    case(
        "bad_version_be",
        || {
            let mut v = be(|b| {
                b.add_int("int", 4, 0);
            });
            v[2] = 0;
            v
        },
        Rule::BadVersion,
        None,
    ),
    case(
        "header_tail_not_zero",
        || {
            // A 40-byte header: layout fields zero, then 8 unknown bytes, one set.
            let v = inserted(small(), 24, 16, 0);
            let mut v = patched(v, raw::header::HDR_LEN, 40);
            v[37] = 1;
            v
        },
        Rule::HeaderTailNotZero,
        None,
    ),
    case(
        "header_tail_not_zero_28",
        || {
            let v = inserted(small(), 24, 4, 0);
            let mut v = patched(v, raw::header::HDR_LEN, 28);
            v[24] = 7;
            v
        },
        Rule::HeaderTailNotZero,
        None,
    ),
    case(
        "gap_between_sections",
        || {
            let v = small();
            let (tl, so) = (
                get(&v, raw::header::TYPE_LEN),
                get(&v, raw::header::STR_OFF),
            );
            let v = inserted(v, 24 + tl as usize, 4, 0);
            patched(v, raw::header::STR_OFF, so + 4)
        },
        Rule::SectionGap,
        None,
    ),
    case(
        "data_after_last_section",
        || {
            let mut v = le_layout(|b| {
                b.add_int("int", 4, 0);
            });
            v.extend_from_slice(&[0; 4]);
            v
        },
        Rule::SectionGap,
        None,
    ),
    case(
        "sections_overlap",
        || {
            let v = small();
            let (tl, sl) = (
                get(&v, raw::header::TYPE_LEN),
                get(&v, raw::header::STR_LEN),
            );
            let v = patched(v, raw::header::STR_OFF, tl - 4);
            patched(v, raw::header::STR_LEN, sl + 4)
        },
        Rule::SectionOverlap,
        None,
    )
    .and(&[(Rule::StringSectionNoLeadingNul, None)]),
    case(
        "type_section_misaligned",
        || {
            let v = inserted(small(), 24, 2, 0);
            let so = get(&v, raw::header::STR_OFF);
            let v = patched(v, raw::header::TYPE_OFF, 2);
            patched(v, raw::header::STR_OFF, so + 2)
        },
        Rule::TypeSectionMisaligned,
        None,
    )
    .and(&[(Rule::SectionGap, None)]),
    case("no_types", || le(|_| {}), Rule::NoTypes, None),
    case(
        "string_section_not_last",
        || {
            // Strings (padded to 4 bytes with NULs) first, then the types.
            let v = small();
            let tl = get(&v, raw::header::TYPE_LEN) as usize;
            let mut strs = v[24 + tl..].to_vec();
            while strs.len() % 4 != 0 {
                strs.push(0);
            }
            let mut out = v[..24].to_vec();
            out.extend_from_slice(&strs);
            out.extend_from_slice(&v[24..24 + tl]);
            let out = patched(out, raw::header::STR_OFF, 0);
            let out = patched(out, raw::header::STR_LEN, strs.len() as u32);
            patched(out, raw::header::TYPE_OFF, strs.len() as u32)
        },
        Rule::StringSectionNotLast,
        None,
    ),
    case(
        "string_section_not_terminated",
        || {
            let mut v = small();
            let n = v.len();
            v[n - 1] = b'x';
            v
        },
        Rule::StringSectionNotTerminated,
        None,
    ),
    case(
        "string_section_no_leading_nul",
        || {
            let mut v = small();
            let at = 24 + get(&v, raw::header::STR_OFF) as usize;
            v[at] = b'a';
            v
        },
        Rule::StringSectionNoLeadingNul,
        None,
    ),
    case(
        "string_section_empty",
        || {
            let v = le(|b| {
                b.add_ptr(TypeId(0));
            });
            let tl = get(&v, raw::header::TYPE_LEN) as usize;
            patched(v[..24 + tl].to_vec(), raw::header::STR_LEN, 0)
        },
        Rule::StringSectionNoLeadingNul,
        None,
    ),
    case(
        "string_section_too_large",
        || {
            let mut v = small();
            let sl = get(&v, raw::header::STR_LEN);
            let extra = raw::MAX_NAME_OFFSET as usize + 2 - sl as usize;
            v.resize(v.len() + extra, 0);
            patched(v, raw::header::STR_LEN, raw::MAX_NAME_OFFSET + 2)
        },
        Rule::StringSectionTooLarge,
        None,
    ),
    case(
        "layout_misaligned",
        || {
            let v = le_layout(|b| {
                b.add_int("int", 4, 0);
            });
            let (lo, so) = (
                get(&v, raw::header::LAYOUT_OFF),
                get(&v, raw::header::STR_OFF),
            );
            let v = inserted(v, 32 + lo as usize, 2, 0);
            let v = patched(v, raw::header::LAYOUT_OFF, lo + 2);
            patched(v, raw::header::STR_OFF, so + 2)
        },
        Rule::BadLayoutSection,
        None,
    )
    .and(&[(Rule::SectionGap, None)]),
    case(
        "layout_partial_entry",
        || {
            let v = le_layout(|b| {
                b.add_int("int", 4, 0);
            });
            let n = get(&v, raw::header::LAYOUT_LEN);
            patched(v, raw::header::LAYOUT_LEN, n - 2)
        },
        Rule::BadLayoutSection,
        None,
    )
    .and(&[(Rule::SectionGap, None)]),
    case(
        "layout_contradicts_struct",
        || {
            let mut v = le_layout(|b| {
                b.add_int("int", 4, 0);
            });
            let lo = get(&v, raw::header::LAYOUT_OFF) as usize;
            v[32 + lo + 4 * 4 + 1] = 8; // STRUCT elem_sz
            v
        },
        Rule::BadLayoutSection,
        None,
    ),
    case(
        "kind_0_described_by_layout",
        || {
            le_layout(|b| {
                b.add_raw(0, raw::info(0, 0, false), 0, &[]);
            })
        },
        Rule::UnknownKind,
        Some(1),
    ),
    // --- records ---
    case(
        "too_many_types",
        || {
            le(|b| {
                for _ in 0..raw::MAX_TYPE {
                    b.add_ptr(TypeId(0));
                }
            })
        },
        Rule::TooManyTypes,
        Some(raw::MAX_TYPE),
    ),
    case(
        "int_vlen",
        || {
            le(|b| {
                let n = b.add_str("int").0;
                b.add_raw(n, raw::info(1, 1, false), 4, &[32]);
            })
        },
        Rule::BadVlen,
        Some(1),
    ),
    case(
        "ptr_huge_vlen",
        || {
            le(|b| {
                b.add_raw(0, raw::info(2, raw::MAX_VLEN, false), 0, &[]);
            })
        },
        Rule::BadVlen,
        Some(1),
    ),
    case(
        "int_kflag",
        || {
            le(|b| {
                let n = b.add_str("int").0;
                b.add_raw(n, raw::info(1, 0, true), 4, &[32]);
            })
        },
        Rule::BadKindFlag,
        Some(1),
    ),
    case(
        "int_unused_bits",
        || {
            le(|b| {
                let n = b.add_str("int").0;
                b.add_raw(n, raw::info(1, 0, false), 4, &[32 | 1 << 28]);
            })
        },
        Rule::IntBadData,
        Some(1),
    ),
    case(
        "int_bits_over_128",
        || {
            le(|b| {
                let n = b.add_str("int").0;
                b.add_raw(n, raw::info(1, 0, false), 32, &[200]);
            })
        },
        Rule::IntBadBits,
        Some(1),
    ),
    case(
        "int_bits_exceed_size",
        || {
            le(|b| {
                let n = b.add_str("short").0;
                b.add_raw(n, raw::info(1, 0, false), 1, &[16]);
            })
        },
        Rule::IntBadBits,
        Some(1),
    ),
    case(
        "int_bad_encoding",
        || {
            le(|b| {
                b.add_int("int", 4, 3);
            })
        },
        Rule::IntBadEncoding,
        Some(1),
    ),
    case(
        "int_bad_encoding_be",
        || {
            be(|b| {
                b.add_int("int", 4, 3);
            })
        },
        Rule::IntBadEncoding,
        Some(1),
    ),
    case(
        "ptr_with_name",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let n = b.add_str("p").0;
                b.add_raw(n, raw::info(2, 0, false), int.0, &[]);
            })
        },
        Rule::UnexpectedName,
        Some(2),
    ),
    case(
        "array_with_name",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let n = b.add_str("a").0;
                b.add_raw(n, raw::info(3, 0, false), 0, &[int.0, int.0, 2]);
            })
        },
        Rule::UnexpectedName,
        Some(2),
    ),
    case(
        "typedef_without_name",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_typedef("", int);
            })
        },
        Rule::MissingName,
        Some(2),
    ),
    case(
        "typedef_bad_name",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_typedef("u-32", int);
            })
        },
        Rule::InvalidName,
        Some(2),
    ),
    case(
        "typedef_name_513_bytes",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_typedef("x".repeat(513), int);
            })
        },
        Rule::InvalidName,
        Some(2),
    ),
    case(
        "struct_name_starts_with_digit",
        || {
            le(|b| {
                b.add_struct("1st", 0);
            })
        },
        Rule::InvalidName,
        Some(1),
    ),
    case(
        "struct_name_offset_out_of_range",
        || {
            le(|b| {
                b.add_raw(9999, raw::info(4, 0, false), 0, &[]);
            })
        },
        Rule::NameOffsetOutOfRange,
        Some(1),
    ),
    case(
        "member_name_offset_out_of_range",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let n = b.add_str("s").0;
                b.add_raw(n, raw::info(4, 1, false), 4, &[5000, int.0, 0]);
            })
        },
        Rule::NameOffsetOutOfRange,
        Some(2),
    ),
    case(
        "ptr_to_missing_type",
        || {
            le(|b| {
                b.add_ptr(TypeId(99));
            })
        },
        Rule::TypeIdOutOfRange,
        Some(1),
    ),
    case(
        "member_of_missing_type",
        || {
            le(|b| {
                let s = b.add_struct("s", 4);
                b.add_member("m", TypeId(s.0 + 5), 0, 0).unwrap();
            })
        },
        Rule::TypeIdOutOfRange,
        Some(1),
    ),
    case(
        "array_with_size",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_raw(0, raw::info(3, 0, false), 8, &[int.0, int.0, 2]);
            })
        },
        Rule::BadSize,
        Some(2),
    ),
    case(
        "array_of_void",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_array(TypeId(0), int, 2);
            })
        },
        Rule::ArrayBadElemType,
        Some(2),
    ),
    case(
        "array_of_fwd",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let f = b.add_fwd("f", FwdKind::Struct);
                b.add_array(f, int, 2);
            })
        },
        Rule::ArrayBadElemType,
        Some(3),
    ),
    case(
        "array_of_bitfield_int",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let n = b.add_str("u3").0;
                let u3 = b.add_raw(n, raw::info(1, 0, false), 1, &[3]);
                b.add_array(u3, int, 2);
            })
        },
        Rule::ArrayBadElemType,
        Some(3),
    ),
    case(
        "array_index_void",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_array(int, TypeId(0), 2);
            })
        },
        Rule::ArrayBadIndexType,
        Some(2),
    ),
    case(
        "array_index_struct",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let s = b.add_struct("s", 0);
                b.add_array(int, s, 2);
            })
        },
        Rule::ArrayBadIndexType,
        Some(3),
    ),
    case(
        "array_index_bitfield_int",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let n = b.add_str("u3").0;
                let u3 = b.add_raw(n, raw::info(1, 0, false), 1, &[3]);
                b.add_array(int, u3, 2);
            })
        },
        Rule::ArrayBadIndexType,
        Some(3),
    ),
    case(
        "array_size_overflow",
        || {
            le(|b| {
                let l = b.add_int("long", 8, 0);
                b.add_array(l, l, 0x2000_0001);
            })
        },
        Rule::ArraySizeOverflow,
        Some(2),
    ),
    case(
        "member_offsets_decrease",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_struct("s", 8);
                b.add_member("a", int, 32, 0).unwrap();
                b.add_member("b", int, 0, 0).unwrap();
            })
        },
        Rule::MemberBadOffset,
        Some(2),
    ),
    case(
        "union_member_not_at_0",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_union("u", 8);
                b.add_member("a", int, 32, 0).unwrap();
            })
        },
        Rule::MemberBadOffset,
        Some(2),
    ),
    case(
        "member_offset_past_size",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_struct("s", 4);
                b.add_member("a", int, 64, 0).unwrap();
            })
        },
        Rule::MemberBadOffset,
        Some(2),
    ),
    case(
        "ptr_member_not_byte_aligned",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let p = b.add_ptr(int);
                b.add_struct("s", 16);
                b.add_member("p", p, 4, 0).unwrap();
            })
        },
        Rule::MemberBadOffset,
        Some(3),
    ),
    case(
        "float_member_misaligned",
        || {
            le(|b| {
                let d = b.add_float("double", 8);
                b.add_struct("s", 16);
                b.add_member("d", d, 32, 0).unwrap();
            })
        },
        Rule::MemberBadOffset,
        Some(2),
    ),
    case(
        "member_exceeds_struct",
        || {
            le(|b| {
                let l = b.add_int("long", 8, 0);
                b.add_struct("s", 8);
                b.add_member("x", l, 32, 0).unwrap();
            })
        },
        Rule::MemberExceedsSize,
        Some(2),
    ),
    case(
        "member_exceeds_struct_be",
        || {
            be(|b| {
                let l = b.add_int("long", 8, 0);
                b.add_struct("s", 8);
                b.add_member("x", l, 32, 0).unwrap();
            })
        },
        Rule::MemberExceedsSize,
        Some(2),
    ),
    case(
        "array_member_exceeds_struct",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let a = b.add_array(int, int, 4);
                b.add_struct("s", 8);
                b.add_member("a", a, 0, 0).unwrap();
            })
        },
        Rule::MemberExceedsSize,
        Some(3),
    ),
    case(
        "bitfield_wider_than_int",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_struct("s", 8);
                b.add_member("f", int, 0, 40).unwrap();
            })
        },
        Rule::MemberBadBitfield,
        Some(2),
    ),
    case(
        "bitfield_of_pointer",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let p = b.add_ptr(int);
                b.add_struct("s", 8);
                b.add_member("p", p, 0, 3).unwrap();
            })
        },
        Rule::MemberBadBitfield,
        Some(3),
    ),
    case(
        "enum64_bitfield_over_32",
        || {
            le(|b| {
                let e = b.add_enum64("e", 8, false);
                b.add_enum64_value("A", 1).unwrap();
                b.add_struct("s", 8);
                b.add_member("f", e, 0, 40).unwrap();
            })
        },
        Rule::MemberBadBitfield,
        Some(2),
    ),
    case(
        "int128_member_spans_129_bits",
        || {
            le(|b| {
                let i = b.add_int("__int128", 16, 0);
                b.add_struct("s", 32);
                b.add_member("x", i, 4, 0).unwrap();
            })
        },
        Rule::MemberBadBitfield,
        Some(2),
    ),
    case(
        "member_of_void",
        || {
            le(|b| {
                b.add_struct("s", 4);
                b.add_member("v", TypeId(0), 0, 0).unwrap();
            })
        },
        Rule::BadReferencedKind,
        Some(1),
    ),
    case(
        "member_of_fwd",
        || {
            le(|b| {
                let f = b.add_fwd("f", FwdKind::Struct);
                b.add_struct("s", 4);
                b.add_member("m", f, 0, 0).unwrap();
            })
        },
        Rule::BadReferencedKind,
        Some(2),
    ),
    case(
        "member_of_var",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_struct("s", 4);
                b.add_member("m", v, 0, 0).unwrap();
            })
        },
        Rule::BadReferencedKind,
        Some(3),
    ),
    case(
        "member_of_const_fwd",
        || {
            le(|b| {
                let f = b.add_fwd("f", FwdKind::Struct);
                let c = b.add_const(f);
                b.add_struct("s", 4);
                b.add_member("m", c, 0, 0).unwrap();
            })
        },
        Rule::BadReferencedKind,
        Some(3),
    ),
    case(
        "enum_size_3",
        || {
            le(|b| {
                b.add_enum("e", 3, false);
                b.add_enum_value("A", 0).unwrap();
            })
        },
        Rule::EnumBadSize,
        Some(1),
    ),
    case(
        "enum64_size_16",
        || {
            le(|b| {
                b.add_enum64("e", 16, false);
                b.add_enum64_value("A", 0).unwrap();
            })
        },
        Rule::EnumBadSize,
        Some(1),
    ),
    case(
        "enum_value_without_name",
        || {
            le(|b| {
                b.add_enum("e", 4, false);
                b.add_enum_value("", 0).unwrap();
            })
        },
        Rule::MissingName,
        Some(1),
    ),
    case(
        "fwd_with_type",
        || {
            le(|b| {
                let n = b.add_str("f").0;
                b.add_raw(n, raw::info(7, 0, false), 1, &[]);
            })
        },
        Rule::UnexpectedTypeField,
        Some(1),
    ),
    case(
        "func_extern",
        || {
            le(|b| {
                let p = b.add_func_proto(TypeId(0));
                b.add_func("f", raw::FUNC_EXTERN, p);
            })
        },
        Rule::FuncBadLinkage,
        Some(2),
    ),
    case(
        "func_kflag",
        || {
            le(|b| {
                let p = b.add_func_proto(TypeId(0));
                let n = b.add_str("f").0;
                b.add_raw(n, raw::info(12, 0, true), p.0, &[]);
            })
        },
        Rule::BadKindFlag,
        Some(2),
    ),
    case(
        "func_of_int",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_func("f", 0, int);
            })
        },
        Rule::BadReferencedKind,
        Some(2),
    ),
    case(
        "func_with_unnamed_param",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let p = b.add_func_proto(int);
                b.add_param("", int).unwrap();
                b.add_func("f", 0, p);
            })
        },
        Rule::MissingName,
        Some(3),
    ),
    case(
        "func_proto_with_name",
        || {
            le(|b| {
                let n = b.add_str("p").0;
                b.add_raw(n, raw::info(13, 0, false), 0, &[]);
            })
        },
        Rule::UnexpectedName,
        Some(1),
    ),
    case(
        "func_proto_vararg_not_last",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_func_proto(int);
                b.add_param("", TypeId(0)).unwrap();
                b.add_param("x", int).unwrap();
            })
        },
        Rule::FuncProtoBadParam,
        Some(2),
    ),
    case(
        "func_proto_vararg_named",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_func_proto(int);
                b.add_param("x", int).unwrap();
                b.add_param("rest", TypeId(0)).unwrap();
            })
        },
        Rule::FuncProtoBadParam,
        Some(2),
    ),
    case(
        "func_proto_returns_fwd",
        || {
            le(|b| {
                let f = b.add_fwd("f", FwdKind::Struct);
                b.add_func_proto(f);
            })
        },
        Rule::FuncProtoBadParam,
        Some(2),
    ),
    case(
        "func_proto_param_var",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_func_proto(int);
                b.add_param("x", v).unwrap();
            })
        },
        Rule::FuncProtoBadParam,
        Some(3),
    ),
    case(
        "func_proto_param_bad_name",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_func_proto(int);
                b.add_param("a b", int).unwrap();
            })
        },
        Rule::InvalidName,
        Some(2),
    ),
    case(
        "var_extern",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_var("v", raw::VAR_GLOBAL_EXTERN, int);
            })
        },
        Rule::VarBadLinkage,
        Some(2),
    ),
    case(
        "var_of_fwd",
        || {
            le(|b| {
                let f = b.add_fwd("f", FwdKind::Union);
                b.add_var("v", 0, f);
            })
        },
        Rule::BadReferencedKind,
        Some(2),
    ),
    case(
        "var_of_void",
        || {
            le(|b| {
                b.add_var("v", 0, TypeId(0));
            })
        },
        Rule::BadReferencedKind,
        Some(1),
    ),
    case(
        "var_bad_name",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_var("9lives", 0, int);
            })
        },
        Rule::InvalidName,
        Some(2),
    ),
    case(
        "datasec_size_0",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_datasec(".bss", 0);
                b.add_secinfo(v, 0, 4).unwrap();
            })
        },
        Rule::BadSize,
        Some(3),
    )
    .and(&[(Rule::DatasecBadEntry, Some(3))]),
    case(
        "datasec_entry_not_var",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_datasec(".bss", 4);
                b.add_secinfo(int, 0, 4).unwrap();
            })
        },
        Rule::DatasecBadEntry,
        Some(2),
    ),
    case(
        "datasec_entries_overlap",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                let w = b.add_var("w", 0, int);
                b.add_datasec(".bss", 8);
                b.add_secinfo(v, 0, 4).unwrap();
                b.add_secinfo(w, 2, 4).unwrap();
            })
        },
        Rule::DatasecBadEntry,
        Some(4),
    ),
    case(
        "datasec_var_larger_than_entry",
        || {
            le(|b| {
                let l = b.add_int("long", 8, 0);
                let v = b.add_var("v", 0, l);
                b.add_datasec(".bss", 8);
                b.add_secinfo(v, 0, 4).unwrap();
            })
        },
        Rule::DatasecBadEntry,
        Some(3),
    ),
    case(
        "datasec_name_with_tab",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_datasec(".da\tta", 4);
                b.add_secinfo(v, 0, 4).unwrap();
            })
        },
        Rule::InvalidName,
        Some(3),
    ),
    case(
        "float_size_3",
        || {
            le(|b| {
                b.add_float("f", 3);
            })
        },
        Rule::BadSize,
        Some(1),
    ),
    case(
        "decl_tag_without_value",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_decl_tag("", v, -1);
            })
        },
        Rule::MissingName,
        Some(3),
    ),
    case(
        "decl_tag_component_below_minus_1",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_decl_tag("t", v, -2);
            })
        },
        Rule::DeclTagBadComponent,
        Some(3),
    ),
    case(
        "decl_tag_component_past_members",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let s = b.add_struct("s", 4);
                b.add_member("a", int, 0, 0).unwrap();
                b.add_decl_tag("t", s, 1);
            })
        },
        Rule::DeclTagBadComponent,
        Some(3),
    ),
    case(
        "decl_tag_component_on_var",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_decl_tag("t", v, 0);
            })
        },
        Rule::DeclTagBadComponent,
        Some(3),
    ),
    case(
        "decl_tag_on_pointer",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let p = b.add_ptr(int);
                b.add_decl_tag("t", p, -1);
            })
        },
        Rule::BadReferencedKind,
        Some(3),
    ),
    case(
        "type_tag_without_value",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                b.add_type_tag("", int);
            })
        },
        Rule::MissingName,
        Some(2),
    ),
    case(
        "type_tag_after_const",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let t = b.add_type_tag("user", int);
                let c = b.add_const(t);
                b.add_ptr(c);
            })
        },
        Rule::TypeTagAfterModifier,
        Some(3),
    ),
    case(
        "pointer_to_var",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                b.add_ptr(v);
            })
        },
        Rule::BadReferencedKind,
        Some(3),
    ),
    case(
        "const_of_datasec",
        || {
            le(|b| {
                let int = b.add_int("int", 4, 0);
                let v = b.add_var("v", 0, int);
                let d = b.add_datasec(".bss", 4);
                b.add_secinfo(v, 0, 4).unwrap();
                b.add_const(d);
            })
        },
        Rule::BadReferencedKind,
        Some(4),
    ),
    case(
        "typedef_loop",
        || {
            le(|b| {
                b.add_typedef("a", TypeId(2));
                b.add_typedef("b", TypeId(1));
            })
        },
        Rule::ReferenceLoop,
        Some(1),
    ),
    case(
        "typedef_loop_be",
        || {
            be(|b| {
                b.add_typedef("a", TypeId(2));
                b.add_typedef("b", TypeId(1));
            })
        },
        Rule::ReferenceLoop,
        Some(1),
    ),
    case(
        "struct_contains_itself",
        || {
            le(|b| {
                let a = b.add_struct("a", 4);
                b.add_member("b", TypeId(a.0 + 1), 0, 0).unwrap();
                b.add_struct("b", 4);
                b.add_member("a", a, 0, 0).unwrap();
            })
        },
        Rule::ReferenceLoop,
        Some(1),
    ),
    case(
        "pointer_loop",
        || {
            le(|b| {
                b.add_ptr(TypeId(2));
                b.add_const(TypeId(3));
                b.add_ptr(TypeId(2));
            })
        },
        Rule::ReferenceLoop,
        Some(1),
    ),
    // The kernel resolves in id order: a FUNC is not yet resolved when an earlier PTR
    // refers to it, and a PTR may only point to a FUNC that is (checked against 6.18).
    case(
        "pointer_to_later_func",
        || {
            le(|b| {
                b.add_ptr(TypeId(3));
                let p = b.add_func_proto(TypeId(0));
                b.add_func("f", 0, p);
            })
        },
        Rule::BadReferencedKind,
        Some(1),
    ),
    case(
        "chain_deeper_than_32",
        || {
            le(|b| {
                for i in 1..=40 {
                    b.add_const(TypeId(i + 1));
                }
                b.add_int("int", 4, 0);
            })
        },
        Rule::ReferenceLoop,
        Some(1),
    ),
    // --- split BTF ---
    Case {
        name: "split_name_inside_base_string",
        build: || {
            let base = split_base();
            let off = str_off(&base, "task_struct") + 5; // "struct"
            split(&base, |b, _| {
                b.add_raw(off, raw::info(8, 0, false), 1, &[]);
            })
        },
        base: Some(split_base),
        rule: Rule::NameInsideBaseString,
        id: Some(4),
        more: &[],
    },
    Case {
        name: "split_over_the_wrong_base",
        build: good_module,
        base: Some(other_base),
        rule: Rule::NameInsideBaseString,
        id: Some(4),
        more: &[(Rule::NameInsideBaseString, Some(6))],
    },
    Case {
        name: "split_type_id_out_of_range",
        build: || {
            split(&split_base(), |b, _| {
                b.add_ptr(TypeId(40));
            })
        },
        base: Some(split_base),
        rule: Rule::TypeIdOutOfRange,
        id: Some(4),
        more: &[],
    },
    Case {
        name: "split_member_exceeds_struct",
        build: || {
            split(&split_base(), |b, _| {
                b.add_struct("m", 4);
                b.add_member("t", TypeId(2), 0, 0).unwrap();
            })
        },
        base: Some(split_base),
        rule: Rule::MemberExceedsSize,
        id: Some(4),
        more: &[],
    },
    Case {
        name: "split_type_tag_after_base_const",
        build: || {
            split(&split_base(), |b, _| {
                let t = b.add_type_tag("user", TypeId(1));
                b.add_const(t);
            })
        },
        base: Some(split_base),
        rule: Rule::TypeTagAfterModifier,
        id: Some(5),
        more: &[],
    },
];

/// The problems of a case: the parse error, or what validation reports.
fn problems(c: &Case) -> Vec<Error> {
    let data = (c.build)();
    match c.base {
        Some(base) => {
            let base_data = base();
            let base = Btf::parse(&base_data).expect("the base parses");
            assert!(
                validate(&base).is_empty(),
                "{}: the base is not valid",
                c.name
            );
            match Btf::parse_split(&data, &base) {
                Ok(btf) => validate(&btf),
                Err(e) => vec![e],
            }
        }
        None => match Btf::parse(&data) {
            Ok(btf) => validate(&btf),
            Err(e) => vec![e],
        },
    }
}

#[test]
fn catalogue() {
    assert!(CASES.len() >= 45, "{} cases", CASES.len());
    let mut failures = Vec::new();
    for c in CASES {
        let errs = problems(c);
        let expected = c.expected();
        let ok = errs.len() == expected.len()
            && errs.iter().zip(&expected).all(|(e, &(rule, id))| {
                e.rule() == rule && id.is_none_or(|id| e.type_id() == Some(TypeId(id)))
            });
        if !ok {
            failures.push(format!(
                "{}: expected {expected:?}, got {} problems:\n{}",
                c.name,
                errs.len(),
                show(&errs)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn catalogue_covers_every_rule() {
    // Rule::ALL is generated from the enum's definition: a new rule without a case fails.
    let missing: Vec<_> = Rule::ALL
        .iter()
        .filter(|r| !CASES.iter().any(|c| c.rule == **r))
        .collect();
    assert!(missing.is_empty(), "no catalogue case for {missing:?}");
    assert!(Rule::ALL.len() >= 47, "{} rules", Rule::ALL.len());
}

// --- valid inputs ---------------------------------------------------------------------

fn assert_valid(what: &str, data: &[u8]) {
    let btf = Btf::parse(data).unwrap_or_else(|e| panic!("{what}: {e}"));
    let errs = validate(&btf);
    assert!(
        errs.is_empty(),
        "{what}: {} problems\n{}",
        errs.len(),
        show(&errs)
    );
}

#[test]
fn every_kind_used_correctly_is_valid() {
    assert_valid("little-endian", &le(all_kinds));
    assert_valid("big-endian", &be(all_kinds));
    assert_valid("with a layout section", &le_layout(all_kinds));
    let mut b = Builder::new().with_layout(true);
    all_kinds(&mut b);
    assert_valid("big-endian with a layout section", &b.to_bytes(Endian::Big));
}

#[test]
fn split_over_its_base_is_valid() {
    let base_data = split_base();
    let base = Btf::parse(&base_data).expect("base");
    let data = good_module();
    let btf = Btf::parse_split(&data, &base).expect("split");
    let errs = validate(&btf);
    assert!(errs.is_empty(), "{}", show(&errs));
}

#[test]
fn names_the_kernel_accepts() {
    // 512 bytes is the longest name; Latin-1 letters count as letters in the kernel's
    // ctype table; DATASEC names may hold any printable character.
    assert_valid(
        "names",
        &le(|b| {
            let int = b.add_int("int", 4, 0);
            b.add_typedef("y".repeat(512), int);
            b.add_typedef(b"caf\xe9_\xc0", int);
            b.add_typedef(".anon.1", int);
            let v = b.add_var("v", 0, int);
            b.add_datasec(".data..percpu (hot) #1", 4);
            b.add_secinfo(v, 0, 4).unwrap();
        }),
    );
}

#[test]
fn kernel_quirks_accepted() {
    // Each accepted by Linux 6.18's BPF_BTF_LOAD.
    assert_valid(
        "pointer to an earlier FUNC",
        &le(|b| {
            let p = b.add_func_proto(TypeId(0));
            let f = b.add_func("f", 0, p);
            b.add_ptr(f);
        }),
    );
    assert_valid(
        "typedef of a FUNC",
        &le(|b| {
            let p = b.add_func_proto(TypeId(0));
            let f = b.add_func("f", 0, p);
            b.add_typedef("t", f);
        }),
    );
    assert_valid(
        "INT data bits 8-15",
        &le(|b| {
            let n = b.add_str("int").0;
            b.add_raw(n, raw::info(1, 0, false), 4, &[32 | 0x5500]);
        }),
    );
    assert_valid(
        "an ENUM64 member is checked as 4 bytes with the kind flag",
        &le(|b| {
            let int = b.add_int("int", 4, 0);
            let e = b.add_enum64("e", 8, false);
            b.add_enum64_value("A", 1).unwrap();
            b.add_struct("s", 8);
            b.add_member("i", int, 0, 1).unwrap();
            b.add_member("e", e, 32, 0).unwrap();
        }),
    );
}

#[test]
fn long_modifier_chain_is_linear() {
    // 100k CONSTs, each on the one before: valid, and checked in linear time.
    let data = le(|b| {
        let mut t = b.add_int("int", 4, SIGNED);
        for _ in 0..100_000 {
            t = b.add_const(t);
        }
        b.add_struct("s", 4);
        b.add_member("c", t, 0, 0).unwrap();
    });
    let t0 = Instant::now();
    assert_valid("100k CONSTs", &data);
    let elapsed = t0.elapsed();
    assert!(elapsed.as_secs() < 5, "took {elapsed:?}");

    // The same chain the other way round: every 32 links exceed the kernel's resolve
    // depth; still linear.
    let data = le(|b| {
        for i in 1..=100_000u32 {
            b.add_const(TypeId(i + 1));
        }
        b.add_int("int", 4, SIGNED);
    });
    let btf = Btf::parse(&data).expect("parse");
    let t0 = Instant::now();
    let errs = validate(&btf);
    let elapsed = t0.elapsed();
    assert!(elapsed.as_secs() < 5, "took {elapsed:?}");
    assert!(errs.iter().all(|e| e.rule() == Rule::ReferenceLoop));
    // The last 32 links end at the INT and resolve.
    assert_eq!(errs.len(), (100_000 - 1) / 32);
}

#[test]
fn every_problem_is_reported_in_blob_order() {
    let data = le(|b| {
        let int = b.add_int("int", 4, 7); // 1: bad encoding
        b.add_typedef("", int); // 2: no name
        b.add_ptr(TypeId(50)); // 3: no such type
        b.add_struct("s", 4); // 4: two bad members
        b.add_member("a", int, 64, 0).unwrap();
        b.add_member("b-c", int, 0, 0).unwrap(); // the bad offset of "a" does not count
    });
    let btf = Btf::parse(&data).expect("parse");
    let errs = validate(&btf);
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.rule(), e.type_id().map(|t| t.0)))
        .collect();
    assert_eq!(
        got,
        [
            (Rule::IntBadEncoding, Some(1)),
            (Rule::MissingName, Some(2)),
            (Rule::TypeIdOutOfRange, Some(3)),
            (Rule::MemberBadOffset, Some(4)),
            (Rule::InvalidName, Some(4)),
        ]
    );
    assert!(errs.windows(2).all(|w| w[0].offset() <= w[1].offset()));
}

#[test]
fn messages_name_the_type_the_field_and_the_numbers() {
    let data = le(|b| {
        let l = b.add_int("long", 8, SIGNED);
        b.add_struct("foo", 8);
        b.add_member("a", l, 0, 0).unwrap();
        b.add_member("x", l, 96, 0).unwrap();
    });
    let btf = Btf::parse(&data).expect("parse");
    let errs = validate(&btf);
    // Member 1 starts past the struct (meta check); nothing else is reported for it.
    assert_eq!(errs.len(), 1, "{}", show(&errs));
    let text = errs[0].to_string();
    assert_eq!(
        text,
        format!(
            "STRUCT [2] 'foo' member 1 'x': bit offset 96 is past the end of the 8-byte struct (at .BTF+{:#x})",
            24 + 16 + 12 + 12 + 8
        )
    );

    let data = le(|b| {
        let l = b.add_int("long", 8, SIGNED);
        b.add_struct("foo", 8);
        b.add_member("x", l, 32, 0).unwrap();
    });
    let btf = Btf::parse(&data).expect("parse");
    let errs = validate(&btf);
    assert_eq!(
        errs[0].to_string(),
        format!(
            "STRUCT [2] 'foo' member 0 'x': bit offset 32 + size 64 bits exceeds struct size 8 bytes (at .BTF+{:#x})",
            24 + 16 + 12 + 8
        )
    );
}

#[test]
fn validate_first_returns_the_first_problem() {
    let data = le(|b| {
        b.add_int("int", 4, 3);
        b.add_ptr(TypeId(9));
    });
    let btf = Btf::parse(&data).expect("parse");
    let e = btfkit::validate::validate_first(&btf).expect_err("invalid");
    assert_eq!(e.rule(), Rule::IntBadEncoding);
    let ok = small();
    let btf = Btf::parse(&ok).expect("parse");
    assert!(btfkit::validate::validate_first(&btf).is_ok());
}

/// Deterministic mutations of valid blobs (either byte order, with a layout section,
/// split): whatever parses must validate without panicking.
#[test]
fn mutated_blobs_never_panic() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds: Vec<(Vec<u8>, bool)> = vec![
        (le(all_kinds), false),
        (be(all_kinds), false),
        (le_layout(all_kinds), false),
        (good_module(), true),
    ];
    let base_data = split_base();
    let base = Btf::parse(&base_data).unwrap();
    let mut runs = 0;
    for round in 0..30_000 {
        let (seed, is_split) = &seeds[round % seeds.len()];
        let mut b = seed.clone();
        for _ in 0..(1 + rnd() % 4) {
            let r = rnd();
            let at = (r >> 8) as usize % b.len();
            match r % 4 {
                0 => b[at] = (r >> 40) as u8,
                1 => b[at] ^= 1 << ((r >> 40) % 8),
                2 if at + 4 <= b.len() => {
                    let v = [
                        0u32,
                        1,
                        2,
                        3,
                        8,
                        12,
                        13,
                        0xffff_ffff,
                        0x8000_0000,
                        (r >> 32) as u32,
                    ][(r >> 16) as usize % 10];
                    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                _ => b[at] = 0,
            }
        }
        let parsed = if *is_split {
            Btf::parse_split(&b, &base)
        } else {
            Btf::parse(&b)
        };
        if let Ok(btf) = parsed {
            let errs = validate(&btf);
            for e in &errs {
                let _ = e.to_string();
            }
            runs += 1;
        }
    }
    assert!(runs > 10_000, "only {runs} mutants parsed");
}

/// Split BTF is checked assuming its base is valid, but a base that is not must not
/// crash the check: a split DECL_TAG on a component of a base FUNC whose prototype id is
/// past the last type (found by the `elf_sections` fuzz target: an index out of bounds).
#[test]
fn decl_tag_on_a_base_func_with_a_bad_prototype_id() {
    for proto in [99, 4, u32::MAX] {
        let mut b = Builder::new();
        b.add_int("int", 4, 0);
        let f = b.add_func("f", 0, TypeId(proto));
        let base_blob = b.to_bytes(Endian::Little);
        let base = Btf::parse(&base_blob).unwrap();
        let mut s = Builder::new_split(&base);
        let tag = s.add_decl_tag("t", f, 0);
        let blob = s.to_bytes(Endian::Little);
        let split = Btf::parse_split(&blob, &base).unwrap();
        let errs = validate(&split);
        assert!(
            errs.iter()
                .any(|e| e.rule() == Rule::DeclTagBadComponent && e.type_id() == Some(tag)),
            "{}",
            show(&errs)
        );
    }
}
