//! Dedup against libbpf 1.7 (`btf__dedup`), byte for byte, on real kernel BTF:
//!
//! - every module alone, both ways libbpf deduplicates: BTF it parsed (strings
//!   deduplicated too: `btfkit::dedup::dedup`) and BTF it built by appending
//!   (`btf__add_btf`, what `btfkit dedup` does: `btfkit::dedup::merge`);
//! - groups of modules merged over their vmlinux, and all of them in one call;
//! - standalone vmlinux BTF (6.1 and 6.18);
//! - big-endian vmlinux and modules.
//!
//! With `BTFKIT_CORPUS` the corpus is used (all 2,796 modules); without it the committed
//! `testdata/` (the 6.1 vmlinux and six modules), through `test_support::data()`.

use btfkit::dedup::{dedup, merge, DedupBase};
use btfkit::{Btf, Endian};
use conformance::libbpf::LibbpfBtf;
use rayon::prelude::*;

/// The vmlinux BTF and module split BTFs (name, bytes) to test on.
struct Data {
    vmlinux: Vec<u8>,
    modules: Vec<(String, Vec<u8>)>,
    /// The 6.18 vmlinux (corpus only).
    vmlinux618: Option<Vec<u8>>,
}

fn data() -> Data {
    let d = test_support::data();
    let modules: Vec<(String, Vec<u8>)> = d
        .modules61()
        .iter()
        .map(|p| {
            let name = p.file_stem().expect("name").to_string_lossy().into_owned();
            (name, test_support::read(p))
        })
        .collect();
    test_support::assert_checked("modules", modules.len(), d.min_modules());
    Data {
        vmlinux: test_support::read(d.vmlinux61()),
        modules,
        vmlinux618: d.vmlinux618().map(test_support::read),
    }
}

/// Base BTF parsed by both, per thread (libbpf objects are not `Send`).
struct Bases<'a> {
    ours: &'a Btf<'a>,
    lb: LibbpfBtf,
}

impl<'a> Bases<'a> {
    fn new(vmlinux: &'a [u8]) -> Bases<'a> {
        let ours = Box::leak(Box::new(
            Btf::parse(vmlinux).expect("btfkit parses vmlinux"),
        ));
        Bases {
            ours,
            lb: LibbpfBtf::parse_raw(vmlinux).expect("libbpf parses vmlinux"),
        }
    }
}

/// `dedup` of parsed split BTF vs libbpf's `btf__new_split` + `btf__dedup`; with a
/// prepared base (`DedupBase::dedup`) when given, which must give the same bytes.
fn parsed_split_same(
    bases: &Bases<'_>,
    prepared: Option<&DedupBase<'_>>,
    module: &[u8],
) -> Result<(), String> {
    let split = Btf::parse_split(module, bases.ours).map_err(|e| e.to_string())?;
    let ours = match prepared {
        Some(p) => p.dedup(&split),
        None => dedup(&split),
    }
    .map_err(|e| format!("btfkit: {e}"))?;
    let mut lb = LibbpfBtf::parse_split(module, &bases.lb).map_err(|e| e.to_string())?;
    lb.dedup().map_err(|e| format!("libbpf: {e}"))?;
    same(&ours.bytes, &lb.raw_data().map_err(|e| e.to_string())?)
}

/// `merge` of split inputs vs libbpf's `btf__new_empty_split` + `btf__add_btf` of each +
/// `btf__dedup`.
fn merged_same(bases: &Bases<'_>, modules: &[&[u8]]) -> Result<(), String> {
    let splits: Vec<Btf<'_>> = modules
        .iter()
        .map(|m| Btf::parse_split(m, bases.ours).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let refs: Vec<&Btf<'_>> = splits.iter().collect();
    let ours = merge(Some(bases.ours), &refs).map_err(|e| format!("btfkit: {e}"))?;
    let lb_splits: Vec<LibbpfBtf> = modules
        .iter()
        .map(|m| LibbpfBtf::parse_split(m, &bases.lb).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let lb_refs: Vec<&LibbpfBtf> = lb_splits.iter().collect();
    let lb = LibbpfBtf::merge(Some(&bases.lb), &lb_refs).map_err(|e| format!("libbpf: {e}"))?;
    same(&ours.bytes, &lb.raw_data().map_err(|e| e.to_string())?)
}

fn same(ours: &[u8], theirs: &[u8]) -> Result<(), String> {
    if ours == theirs {
        return Ok(());
    }
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    Err(format!(
        "bytes differ from libbpf's ({} vs {} bytes, first difference at {at:#x})",
        ours.len(),
        theirs.len()
    ))
}

/// Runs `check` on every item in parallel (one pair of parsed bases per worker);
/// returns the number checked and panics listing every failure.
fn run_all<T: Sync>(
    what: &str,
    vmlinux: &[u8],
    items: &[T],
    name: impl Fn(&T) -> String + Sync,
    check: impl Fn(&Bases<'_>, &T) -> Result<(), String> + Sync,
) -> usize {
    let failures: Vec<String> = items
        .par_iter()
        .map_init(
            || Bases::new(vmlinux),
            |bases, item| {
                check(bases, item)
                    .err()
                    .map(|e| format!("{}: {e}", name(item)))
            },
        )
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} of {} differ:\n{}",
        failures.len(),
        items.len(),
        failures.join("\n")
    );
    eprintln!("{what}: {} byte-identical to libbpf", items.len());
    items.len()
}

/// Every module alone, parsed, against a base prepared once per worker
/// (`DedupBase`); every tenth (and every one without the corpus) also with the plain
/// `dedup`, which must give the same bytes.
fn modules_parsed_like_libbpf(what: &str, vmlinux: &[u8], modules: &[(String, Vec<u8>)]) {
    let every = if modules.len() > 100 { 10 } else { 1 };
    let indexed: Vec<(usize, &(String, Vec<u8>))> = modules.iter().enumerate().collect();
    let failures: Vec<String> = indexed
        .par_iter()
        .map_init(
            || {
                let bases = Bases::new(vmlinux);
                let prepared = DedupBase::new(bases.ours).expect("prepares the base");
                (bases, prepared)
            },
            |(bases, prepared), (i, (name, m))| {
                let mut r = parsed_split_same(bases, Some(prepared), m);
                if r.is_ok() && i % every == 0 {
                    r = parsed_split_same(bases, None, m);
                }
                r.err().map(|e| format!("{name}: {e}"))
            },
        )
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} of {} differ:\n{}",
        failures.len(),
        modules.len(),
        failures.join("\n")
    );
    eprintln!("{what}: {} byte-identical to libbpf", modules.len());
}

#[test]
fn every_module_alone_like_libbpf() {
    let d = data();
    modules_parsed_like_libbpf(
        "modules alone, parsed (strings deduplicated)",
        &d.vmlinux,
        &d.modules,
    );
    // Appending covers every module in the group tests; alone, a sample.
    let every = if d.modules.len() > 100 { 8 } else { 1 };
    let sample: Vec<_> = d.modules.iter().step_by(every).collect();
    run_all(
        "modules alone, appended to an empty split (btfkit dedup --base)",
        &d.vmlinux,
        &sample,
        |m| m.0.clone(),
        |b, m| merged_same(b, &[&m.1]),
    );
}

#[test]
fn groups_of_modules_merge_like_libbpf() {
    let d = data();
    // Groups of consecutive modules (related drivers share names), and a group of one
    // module appended twice.
    let size = if d.modules.len() > 100 { 64 } else { 2 };
    let mut groups: Vec<Vec<&[u8]>> = d
        .modules
        .chunks(size)
        .map(|c| c.iter().map(|m| &m.1[..]).collect())
        .collect();
    groups.push(vec![&d.modules[0].1, &d.modules[0].1]);
    let n = run_all(
        "groups of modules merged over vmlinux",
        &d.vmlinux,
        &groups,
        |g| format!("group of {}", g.len()),
        |b, g| merged_same(b, g),
    );
    assert!(n >= 3);
}

#[test]
fn all_modules_merge_like_libbpf_in_one_call() {
    let d = data();
    let bases = Bases::new(&d.vmlinux);
    let all: Vec<&[u8]> = d.modules.iter().map(|m| &m.1[..]).collect();
    merged_same(&bases, &all).unwrap_or_else(|e| panic!("all {} modules: {e}", all.len()));
    eprintln!(
        "all {} modules merged in one call: byte-identical",
        all.len()
    );
}

/// A standalone (base) BTF, both ways: parsed and deduplicated, and appended to an
/// empty BTF and deduplicated.
fn standalone_same(vmlinux: &[u8], what: &str) {
    let btf = Btf::parse(vmlinux).expect("parses");
    let ours = dedup(&btf).unwrap_or_else(|e| panic!("{what}: btfkit: {e}"));
    let mut lb = LibbpfBtf::parse_raw(vmlinux).expect("libbpf parses");
    lb.dedup().unwrap_or_else(|e| panic!("{what}: libbpf: {e}"));
    let theirs = lb.raw_data().expect("raw");
    same(&ours.bytes, &theirs).unwrap_or_else(|e| panic!("{what}, parsed: {e}"));

    let ours = merge(None, &[&btf]).unwrap_or_else(|e| panic!("{what}: btfkit: {e}"));
    let lb_in = LibbpfBtf::parse_raw(vmlinux).expect("libbpf parses");
    let mut lb = LibbpfBtf::merge(None, &[&lb_in]).unwrap_or_else(|e| panic!("{what}: {e}"));
    // Without a base libbpf writes the host's byte order, btfkit the input's.
    lb.set_endianness(btf.endian()).expect("set endianness");
    same(&ours.bytes, &lb.raw_data().expect("raw"))
        .unwrap_or_else(|e| panic!("{what}, appended: {e}"));
    eprintln!("{what}: byte-identical both ways");
}

#[test]
fn standalone_vmlinux_like_libbpf() {
    let d = data();
    standalone_same(&d.vmlinux, "6.1 vmlinux");
    if let Some(v) = &d.vmlinux618 {
        standalone_same(v, "6.18 vmlinux");
    }
}

/// `bytes` (split over `base` when given) rewritten big-endian by libbpf.
fn big_endian(bytes: &[u8], base: Option<&LibbpfBtf>) -> Vec<u8> {
    let mut lb = match base {
        Some(b) => LibbpfBtf::parse_split(bytes, b),
        None => LibbpfBtf::parse_raw(bytes),
    }
    .expect("libbpf parses");
    lb.set_endianness(Endian::Big).expect("set endianness");
    lb.raw_data().expect("raw")
}

#[test]
fn big_endian_like_libbpf() {
    let d = data();
    let le_base = LibbpfBtf::parse_raw(&d.vmlinux).expect("libbpf parses vmlinux");
    let be_vmlinux = big_endian(&d.vmlinux, None);
    let step = if d.modules.len() > 100 { 10 } else { 1 };
    let be_modules: Vec<(String, Vec<u8>)> = d
        .modules
        .iter()
        .step_by(step)
        .map(|(n, m)| (n.clone(), big_endian(m, Some(&le_base))))
        .collect();
    assert_eq!(Btf::parse(&be_vmlinux).unwrap().endian(), Endian::Big);
    modules_parsed_like_libbpf("big-endian modules alone, parsed", &be_vmlinux, &be_modules);
    let all: Vec<&[u8]> = be_modules.iter().map(|m| &m.1[..]).collect();
    let bases = Bases::new(&be_vmlinux);
    merged_same(&bases, &all).unwrap_or_else(|e| panic!("big-endian merge: {e}"));
    standalone_same(&be_vmlinux, "big-endian 6.1 vmlinux");
}
