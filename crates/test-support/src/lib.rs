//! What btfkit's tests share (unpublished, a dev-dependency only):
//!
//! - [`data()`]: the real kernel BTF the tests run on. With `BTFKIT_CORPUS` set, the
//!   corpus (and it must be complete); without it, the committed `testdata/` (Debian's
//!   6.1 vmlinux BTF and six of its modules), decompressed once into a cache. Either way a
//!   test gets files on disk, so it can hand them to bpftool too, and the counts it must
//!   reach ([`Data::min_modules`], [`assert_checked`]) so that it cannot pass having
//!   checked nothing.
//! - [`bpftool()`]: the reference for dumps (installed by `scripts/install-deps.sh`); a
//!   test that needs it fails without it.
//! - [`testdata()`], [`xz()`], [`root()`]: committed fixtures.
//! - [`btf_ids`]: a tiny ELF writer and a module with `.BTF_ids` as the kernel's macros
//!   and resolve_btfids leave it.
//! - [`debian612`]: Debian's 6.12 cloud kernel package (real modules with `.BTF_ids`),
//!   from the e2e download cache or downloaded when CI asks for real data.
//! - [`images`]: small kernel images (vmlinux ELF, bzImage, EFI zboot, arm64 `Image`)
//!   around small BTF, in every compression.
//! - [`dedup_selftests`]: the kernel selftests' `dedup_tests` table.

pub mod btf_ids;
pub mod cli;
pub mod debian612;
pub mod dedup_selftests;
pub mod images;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Name of the environment variable holding the corpus directory.
pub const CORPUS_ENV: &str = "BTFKIT_CORPUS";

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A committed fixture: `testdata/<rel>`.
pub fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

/// The decompressed contents of an `.xz` file.
pub fn xz(path: &Path) -> Vec<u8> {
    let data = read(path);
    btfkit::compress::decompress(&data, btfkit::compress::Compression::Xz, 1 << 31)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The contents of a file, or a panic naming it.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The DWARF fixtures of `testdata/gen` (`NAME.o.xz`, with what pahole and
/// resolve_btfids wrote for each: `NAME.BTF.1`, `NAME.BTF`, `NAME.BTF_ids`,
/// `NAME.distilled.*`), sorted by name; fails unless all nine are there.
pub fn gen_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(testdata("gen"))
        .expect("testdata/gen")
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".o.xz").map(str::to_string)
        })
        .collect();
    names.sort();
    assert_checked("DWARF fixtures", names.len(), 9);
    names
}

/// Fails the test unless it checked at least `min` items: a test over real data that
/// found nothing to check must not pass.
#[track_caller]
pub fn assert_checked(what: &str, checked: usize, min: usize) {
    assert!(
        checked >= min,
        "checked {checked} {what}, expected at least {min} (source: {}): \
         the test would pass without testing",
        data().source
    );
}

/// Where [`data()`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `BTFKIT_CORPUS`.
    Corpus,
    /// The committed `testdata/`.
    Testdata,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Corpus => "the corpus (BTFKIT_CORPUS)",
            Source::Testdata => "the committed testdata/",
        })
    }
}

/// Real kernel BTF, as files: Debian's 6.1 kernel (its vmlinux BTF, its modules' `.BTF`
/// and whole `.ko` files) and, from the corpus only, a 6.18 vmlinux BTF.
#[derive(Debug)]
pub struct Data {
    /// Where it comes from.
    pub source: Source,
    vmlinux61: PathBuf,
    vmlinux618: Option<PathBuf>,
    modules61: Vec<PathBuf>,
    kos61: Vec<PathBuf>,
}

impl Data {
    /// The 6.1 vmlinux BTF (raw `.BTF`).
    pub fn vmlinux61(&self) -> &Path {
        &self.vmlinux61
    }

    /// The 6.18 vmlinux BTF: in the corpus only.
    pub fn vmlinux618(&self) -> Option<&Path> {
        self.vmlinux618.as_deref()
    }

    /// Every vmlinux BTF: 6.1, then 6.18 when there is one.
    pub fn vmlinuxes(&self) -> Vec<&Path> {
        std::iter::once(self.vmlinux61.as_path())
            .chain(self.vmlinux618.as_deref())
            .collect()
    }

    /// The raw `.BTF` (split over [`Self::vmlinux61`]) of every 6.1 module, sorted by
    /// name: 2,796 in the corpus, 6 in testdata.
    pub fn modules61(&self) -> &[PathBuf] {
        &self.modules61
    }

    /// Whole 6.1 `.ko` files (uncompressed), sorted by name: 7 in the corpus, 6 in
    /// testdata.
    pub fn kos61(&self) -> &[PathBuf] {
        &self.kos61
    }

    /// How many modules a test over every module must have checked.
    pub fn min_modules(&self) -> usize {
        match self.source {
            Source::Corpus => 2796,
            Source::Testdata => 6,
        }
    }

    /// How many `.ko` files a test over every `.ko` must have checked.
    pub fn min_kos(&self) -> usize {
        match self.source {
            Source::Corpus => 7,
            Source::Testdata => 6,
        }
    }

    /// How many vmlinux BTF blobs a test over every vmlinux must have checked.
    pub fn min_vmlinuxes(&self) -> usize {
        match self.source {
            Source::Corpus => 2,
            Source::Testdata => 1,
        }
    }

    /// Another kernel's vmlinux BTF, which the 6.1 modules do not relocate onto: the
    /// corpus's 6.18 (where `char` is unsigned and many structs grew), or, from testdata,
    /// the 6.1 vmlinux changed as a later kernel would: `char` unsigned (x86 since 6.2) and
    /// `struct modversion_info` gone (made anonymous).
    pub fn other_vmlinux(&self) -> Vec<u8> {
        if let Some(p) = &self.vmlinux618 {
            return read(p);
        }
        let mut bytes = read(&self.vmlinux61);
        let btf = btfkit::Btf::parse(&bytes).expect("the 6.1 vmlinux parses");
        let e = btf.endian();
        let char_t = btf
            .find_by_name_kind(b"char", btfkit::Kind::INT)
            .and_then(|id| btf.type_by_id(id))
            .expect("INT char");
        let (char_at, char_data) = (char_t.blob_offset() + 12, char_t.u32_at(12));
        let mv = btf
            .find_by_name_kind(b"modversion_info", btfkit::Kind::STRUCT)
            .and_then(|id| btf.type_by_id(id))
            .expect("struct modversion_info");
        let mv_at = mv.blob_offset();
        let signed = u32::from(btfkit::raw::INT_SIGNED) << 24;
        e.put_u32(&mut bytes, char_at, char_data & !signed);
        e.put_u32(&mut bytes, mv_at, 0);
        bytes
    }

    /// A vmlinux BTF the 6.1 modules were not built against, whose strings are laid out
    /// differently: the corpus's 6.18, or, from testdata, the 6.1 vmlinux with its strings
    /// interned in reverse order of first use (same types, other offsets).
    pub fn wrong_base(&self) -> Vec<u8> {
        if let Some(p) = &self.vmlinux618 {
            return read(p);
        }
        let bytes = read(&self.vmlinux61);
        let btf = btfkit::Btf::parse(&bytes).expect("the 6.1 vmlinux parses");
        let mut b = btfkit::write::Builder::new();
        let types: Vec<_> = btf.types().collect();
        for t in types.iter().rev() {
            for f in t.str_offset_fields() {
                b.add_str_bytes(btf.str_at(btfkit::StrOffset(f.value)).unwrap_or(b""));
            }
        }
        for t in &types {
            b.add_type_copy(&btf, t).expect("a known kind");
        }
        b.to_bytes(btf.endian())
    }

    /// The module `.BTF` file named `name` (`nf_tables`), if the data has it.
    pub fn module61(&self, name: &str) -> Option<&Path> {
        self.modules61
            .iter()
            .find(|p| p.file_stem().is_some_and(|s| s == name))
            .map(PathBuf::as_path)
    }
}

/// The real data the tests run on: the corpus when `BTFKIT_CORPUS` is set (it must then
/// hold every expected file, or this panics: CI never skips), otherwise the committed
/// `testdata/`, decompressed once into a cache under the temp directory.
pub fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| match std::env::var_os(CORPUS_ENV) {
        Some(dir) => corpus(Path::new(&dir)),
        None => committed(),
    })
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

/// The corpus at `dir` (which must be complete, or this panics), whatever
/// `BTFKIT_CORPUS` says: for the benchmarks, which default to `/work/shared/corpus`.
pub fn corpus_at(dir: &Path) -> Data {
    corpus(dir)
}

/// The corpus for the benchmarks: `BTFKIT_CORPUS`, or `/work/shared/corpus` when unset.
pub fn bench_corpus() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = std::env::var_os(CORPUS_ENV)
            .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from);
        corpus(&dir)
    })
}

fn corpus(dir: &Path) -> Data {
    let k = dir.join("linux-6.1.0-56-amd64");
    let must = |p: PathBuf| {
        assert!(
            p.is_file(),
            "{CORPUS_ENV}={} is set but {} is missing: the corpus tests cannot run",
            dir.display(),
            p.display()
        );
        p
    };
    let data = Data {
        source: Source::Corpus,
        vmlinux61: must(k.join("vmlinux.btf")),
        vmlinux618: Some(must(dir.join("host-6.18/vmlinux.btf"))),
        modules61: sorted_files(&k.join("modules"), "btf"),
        kos61: sorted_files(&k.join("ko"), "ko"),
    };
    assert!(
        data.modules61.len() >= data.min_modules() && data.kos61.len() >= data.min_kos(),
        "{CORPUS_ENV}={}: {} module .btf and {} .ko files, expected {} and {}",
        dir.display(),
        data.modules61.len(),
        data.kos61.len(),
        data.min_modules(),
        data.min_kos()
    );
    data
}

/// FNV-1a, to name the cache after the fixtures' contents.
fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Writes `bytes` to `path` unless it is there: through a temporary name and a rename,
/// so test processes running at once never see a partial file.
fn put(path: &Path, bytes: &[u8]) {
    if path.is_file() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn committed() -> Data {
    let src = testdata("linux-6.1");
    let vmlinux_xz = src.join("vmlinux.btf.xz");
    let ko_xz = sorted_files(&src.join("ko"), "xz");
    let mut h = 0xcbf2_9ce4_8422_2325;
    for p in std::iter::once(&vmlinux_xz).chain(&ko_xz) {
        h = fnv(h, p.file_name().unwrap().as_encoded_bytes());
        h = fnv(h, &read(p));
    }
    let cache = std::env::temp_dir().join(format!("btfkit-testdata-{h:016x}"));
    for d in ["ko", "modules"] {
        std::fs::create_dir_all(cache.join(d))
            .unwrap_or_else(|e| panic!("{}: {e}", cache.display()));
    }
    let vmlinux61 = cache.join("vmlinux.btf");
    put(&vmlinux61, &xz(&vmlinux_xz));
    let (mut modules61, mut kos61) = (Vec::new(), Vec::new());
    for p in &ko_xz {
        let file = p.file_name().unwrap().to_string_lossy();
        let name = file.strip_suffix(".ko.xz").expect(".ko.xz fixture");
        let ko = cache.join("ko").join(format!("{name}.ko"));
        let module = cache.join("modules").join(format!("{name}.btf"));
        if !ko.is_file() || !module.is_file() {
            let bytes = xz(p);
            let secs = btfkit::elf::BtfSections::parse(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            put(&module, &secs.btf);
            put(&ko, &bytes);
        }
        kos61.push(ko);
        modules61.push(module);
    }
    let data = Data {
        source: Source::Testdata,
        vmlinux61,
        vmlinux618: None,
        modules61,
        kos61,
    };
    assert!(
        data.modules61.len() >= data.min_modules(),
        "testdata/linux-6.1/ko has {} modules, expected {}",
        data.modules61.len(),
        data.min_modules()
    );
    data
}

/// bpftool: `$BPFTOOL`, `bpftool` on `PATH` or `/usr/sbin/bpftool`. Panics when none
/// runs: `scripts/install-deps.sh` installs it, and the tests that compare with it must
/// not pass without it.
pub fn bpftool() -> PathBuf {
    static TOOL: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = TOOL.get_or_init(|| {
        let candidates: Vec<PathBuf> = std::env::var_os("BPFTOOL")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("bpftool"), PathBuf::from("/usr/sbin/bpftool")])
            .collect();
        candidates
            .iter()
            .find(|c| {
                Command::new(c)
                    .arg("version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .cloned()
            .ok_or_else(|| {
                format!(
                    "bpftool not found (tried {candidates:?}): the tests compare with bpftool \
                     v7.1 or later; `bash scripts/install-deps.sh` installs it"
                )
            })
    });
    match found {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_testdata_is_complete() {
        let d = committed();
        assert_eq!(d.source, Source::Testdata);
        let vmlinux = read(d.vmlinux61());
        let base = btfkit::Btf::parse(&vmlinux).expect("the 6.1 vmlinux parses");
        assert_checked("modules", d.modules61().len(), d.min_modules());
        assert_eq!(d.kos61().len(), d.modules61().len());
        for m in d.modules61() {
            let bytes = read(m);
            let split = btfkit::Btf::parse_split(&bytes, &base).expect("a module parses");
            assert!(split.type_count() > 0, "{}", m.display());
        }
        // The stand-ins for a second kernel differ from the 6.1 vmlinux as documented.
        let other = d.other_vmlinux();
        let other = btfkit::Btf::parse(&other).expect("parses");
        let c = other
            .find_by_name_kind(b"char", btfkit::Kind::INT)
            .and_then(|id| other.type_by_id(id))
            .expect("char");
        assert_eq!(c.int_info().unwrap().encoding & btfkit::raw::INT_SIGNED, 0);
        assert!(other
            .find_by_name_kind(b"modversion_info", btfkit::Kind::STRUCT)
            .is_none());
        let wrong = d.wrong_base();
        assert_ne!(wrong, vmlinux);
        assert_eq!(
            btfkit::Btf::parse(&wrong).unwrap().type_count(),
            base.type_count()
        );
    }
}
