//! `.BTF_ids` through a distillation in the kernel's order (`resolve_btfids --distill_base`
//! of Linux 6.19+), on the relocatable objects of the shared fixture (ELF32 and ELF64,
//! both byte orders): the rewritten section is what `resolve_btfids` writes for the
//! object before it sorted its sets (the fixture's `assemble`, which emulates it) against
//! the distilled, sorted BTF; each kfunc keeps its flags; an entry naming a vmlinux type
//! no split type refers to is refused, naming it; retargeting onto a sorted vmlinux gives
//! sorted BTF.

use btfkit::elf::btf_ids::BtfIds;
use btfkit::module::{self, ModuleError, RetargetOptions};
use btfkit::sort::{self, Order};
use btfkit::{Btf, Endian};

use test_support::btf_ids::*;

/// The fixture's source without the entries naming vmlinux types that no split type
/// refers to (`tcp_sock`, `u64_t`, `thread_union`) and without the unresolved one: what
/// a module distilled by the kernel's build can name.
fn referenced_only() -> Vec<Src> {
    use Src::*;
    vec![
        List("mod_btf_ids"),
        Id("struct", "mod_state", 0),
        Unused,
        Id("struct", "nf_conn___init", 0),
        Set(
            "mod_set",
            vec![
                Id("func", "bbr_main", 0),
                Id("func", "bbr_init", 0),
                Id("struct", "sock", 0),
            ],
        ),
        Set8(
            "mod_kfunc_ids",
            1,
            vec![
                Id("func", "bbr_undo", 0x5),
                Id("func", "bbr_init", 0x2),
                Id("func", "bbr_main", 0x10),
            ],
        ),
    ]
}

fn elf(class: Class, src: &[Src], btf: &Btf<'_>) -> Vec<u8> {
    let (data, syms) = assemble(src, Some(btf), class.endian);
    Elf {
        class,
        btf_ids: Some(data),
        syms,
        symtab: true,
        addr: 0,
    }
    .bytes()
}

/// (set name, function name, flags) of every set8 member.
fn kfunc_flags(ids: &BtfIds, btf: &Btf<'_>) -> Vec<(String, String, Option<u32>)> {
    let report = ids.resolve(btf);
    let mut out = Vec::new();
    for (i, e) in ids.entries.iter().enumerate() {
        if let (Some((si, _)), Some(k)) = (e.set, report.entries[i].slot) {
            let set = &ids.sets[si];
            out.push((set.name.clone(), e.name.clone(), set.slots[k].flags));
        }
    }
    out.sort();
    out
}

#[test]
fn kernel_order_section_is_resolve_btfids_of_the_distilled_btf() {
    for class in CLASSES {
        let f = fixture(class.endian);
        let base = Btf::parse(&f.base).unwrap();
        let split = Btf::parse_split(&f.split, &base).unwrap();
        let src = referenced_only();
        let ids = BtfIds::parse(&elf(class, &src, &split)).unwrap().unwrap();
        let (d, section, _) = module::distill_with_btf_ids(&split, &ids, Order::Kernel).unwrap();
        assert_eq!(d.order, Order::Kernel);
        let db = Btf::parse(&d.base).unwrap();
        let ds = Btf::parse_split(&d.split, &db).unwrap();
        assert!(sort::is_sorted(&ds));
        // resolve_btfids on the object before it was processed, against the new BTF.
        let (want, syms) = assemble(&src, Some(&ds), class.endian);
        assert_eq!(section, want, "{class:?}");
        let new = BtfIds::parse(
            &Elf {
                class,
                btf_ids: Some(section),
                syms,
                symtab: true,
                addr: 0,
            }
            .bytes(),
        )
        .unwrap()
        .unwrap();
        assert!(new.resolve(&ds).is_ok());
        assert_eq!(kfunc_flags(&new, &ds), kfunc_flags(&ids, &split));
        // libbpf's order names the same types with other ids.
        let (l, lsection, _) = module::distill_with_btf_ids(&split, &ids, Order::Libbpf).unwrap();
        assert_eq!(l.order, Order::Libbpf);
        assert_ne!(lsection, want);
    }
}

#[test]
fn kernel_order_refuses_an_entry_naming_an_unreferenced_vmlinux_type() {
    let class = CLASSES[0];
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    let ids = BtfIds::parse(&elf(class, &source(), &split))
        .unwrap()
        .unwrap();
    let err = module::distill_with_btf_ids(&split, &ids, Order::Kernel).unwrap_err();
    assert!(err.is_refusal());
    match &err {
        ModuleError::LostInDistill { why, name, .. } => {
            assert_eq!(name, "tcp_sock");
            assert!(why.contains("__BTF_ID__struct__tcp_sock__"), "{why}");
        }
        other => panic!("unexpected: {other}"),
    }
    assert!(err.to_string().contains("--order libbpf"), "{err}");
    // libbpf's order keeps it.
    assert!(module::distill_with_btf_ids(&split, &ids, Order::Libbpf).is_ok());
    // Auto over this (unsorted) vmlinux is libbpf's order.
    assert!(!sort::is_sorted(&base));
    assert!(module::distill_with_btf_ids(&split, &ids, Order::Auto).is_ok());
}

#[test]
fn retarget_onto_a_sorted_vmlinux_sorts_and_keeps_every_entry() {
    let class = Class {
        is_64: true,
        endian: Endian::Little,
    };
    let f = fixture(class.endian);
    let base = Btf::parse(&f.base).unwrap();
    let split = Btf::parse_split(&f.split, &base).unwrap();
    // The same module file with a .BTF (the fixture ELF has only .BTF_ids).
    let ko = elf(class, &source(), &split);
    let mut p = btfkit::elf::Patch::new();
    p.set(".BTF", &f.split);
    let ko = p.apply(&ko).unwrap().elf;
    let ids = BtfIds::parse(&ko).unwrap().unwrap();
    // The new vmlinux: the old one sorted by name (its ids all moved).
    let sorted_base = sort::sort_by_name(&base).unwrap().bytes;
    let new = Btf::parse(&sorted_base).unwrap();
    assert!(sort::is_sorted(&new));
    for order in [Order::Auto, Order::Kernel, Order::Libbpf] {
        let opts = RetargetOptions {
            order,
            ..Default::default()
        };
        let out = match module::retarget(&ko, Some(&base), &new, &opts).unwrap() {
            module::Outcome::Rewritten(r) => r,
            module::Outcome::Unchanged(u) => panic!("{u}"),
        };
        let want = if order == Order::Libbpf {
            Order::Libbpf
        } else {
            Order::Kernel
        };
        assert_eq!(out.summary.order, want);
        let secs = btfkit::elf::BtfSections::parse(&out.patched.elf).unwrap();
        assert!(secs.base.is_none());
        let rs = Btf::parse_split(&secs.btf, &new).unwrap();
        assert_eq!(sort::is_sorted(&rs), want == Order::Kernel, "{order}");
        let hdr = btfkit::read::Header::parse(&secs.btf).unwrap();
        assert_eq!(hdr.hdr_len, if want == Order::Kernel { 32 } else { 24 });
        let new_ids = BtfIds::parse(&out.patched.elf).unwrap().unwrap();
        let report = new_ids.resolve(&rs);
        assert!(report.is_ok(), "{order}: {:?}", report.problems(&new_ids));
        assert_eq!(kfunc_flags(&new_ids, &rs), kfunc_flags(&ids, &split));
    }
}
