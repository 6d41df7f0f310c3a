//! Fuzz body of `module`: the module workflows of `btfkit::module` (what `btfkit
//! distill --in-place`, `retarget`, `strip` and `check` run, as root, on the modules of
//! a system) on an arbitrary ELF file, over a small vmlinux
//! (`common::ids_fixture`: the types the `.BTF_ids` seeds name).
//!
//! Properties: when `distill` rewrites the module, the result reads back with a
//! `.BTF.base` and `.BTF` that parse and pass the kernel's checks, relocate onto the
//! vmlinux keeping every split type's kind and name, and the kernel's view of it
//! (`check`) is that it loads; distilling the result again leaves it unchanged;
//! stripping it leaves neither section. `check`, `retarget` and `strip` of the input
//! itself never panic.

use crate::common::{ids_fixture, valid};
use btfkit::elf::BtfSections;
use btfkit::module::{self, DistillOptions, Outcome, RetargetOptions, Unchanged};
use btfkit::Btf;

/// True when `distill` rewrote the module.
pub fn run(data: &[u8]) -> bool {
    let data = data.to_vec();
    let (vmlinux, _) = ids_fixture();
    let vmlinux = Btf::parse(vmlinux).expect("fixture vmlinux parses");

    let _ = module::check(&data, None, &vmlinux);
    let _ = module::retarget(&data, Some(&vmlinux), &vmlinux, &RetargetOptions::default());
    let _ = module::retarget(&data, None, &vmlinux, &RetargetOptions::default());
    let _ = module::strip(&data);

    let Ok(Outcome::Rewritten(r)) = module::distill(&data, &vmlinux, &DistillOptions::default())
    else {
        return false;
    };
    let _ = r.summary.to_string();
    let out = &r.patched.elf;
    let s = BtfSections::parse(out).expect("the distilled module reads back");
    let base = s.base.as_deref().expect("a distilled module has .BTF.base");
    let db = Btf::parse(base).expect(".BTF.base parses");
    assert!(valid(&db), "{:?}", btfkit::validate::validate(&db));
    let ds = Btf::parse_split(&s.btf, &db).expect(".BTF parses over .BTF.base");
    assert!(valid(&ds), "{:?}", btfkit::validate::validate(&ds));

    let moved = btfkit::relocate::relocate(&ds, &vmlinux, Default::default())
        .expect("the distilled module relocates onto its own vmlinux");
    let back = Btf::parse_split(&moved.split, &vmlinux).expect("relocated parses");
    assert_eq!(back.type_count(), ds.type_count());
    for (a, b) in ds.types().zip(back.types()) {
        assert_eq!((a.kind(), ds.name(&a)), (b.kind(), back.name(&b)));
    }
    let verdict = module::check(out, None, &vmlinux).expect("check reads the result");
    assert!(
        verdict.is_ok(),
        "the kernel would refuse the result: {verdict:?}"
    );

    assert!(matches!(
        module::distill(out, &vmlinux, &DistillOptions::default()),
        Ok(Outcome::Unchanged(Unchanged::AlreadyDistilled))
    ));
    if let Ok(Outcome::Rewritten(st)) = module::strip(out) {
        let again = BtfSections::parse(&st.patched.elf);
        assert!(
            matches!(again, Err(btfkit::elf::ElfError::NoBtf)),
            "{again:?}"
        );
    }
    true
}
