//! Debian bookworm's 6.12 cloud kernel package (`linux-image-6.12.*+deb12-cloud-amd64-unsigned`,
//! the oldest available), the real modules with `.BTF_ids` that tests check against: in
//! the e2e download cache (`$BTFKIT_E2E_CACHE`, default `~/.cache/btfkit/e2e-cache`, the layout
//! `tests/e2e/kernel-accepts.sh` fills: `NAME_VERSION/{root/,package.deb,.complete}`).
//!
//! [`package`] finds it there, or downloads it when CI asks for real data
//! (`BTFKIT_CORPUS` set) and panics if it cannot: CI must not skip these checks silently
//! (`BTFKIT_OFFLINE=1` skips them explicitly). On a developer machine without it, `None`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The download cache.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("BTFKIT_E2E_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| crate::root().join("target"));
            home.join("btfkit/e2e-cache")
        })
}

/// `1.2.10` > `1.2.9`: compares runs of digits numerically.
fn version_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let (mut num, mut text) = (String::new(), String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                out.push((0, std::mem::take(&mut text)));
            }
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            text.push(c);
        }
    }
    if !num.is_empty() {
        out.push((num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        out.push((0, text));
    }
    out
}

/// The oldest complete 6.12 cloud kernel in the cache.
fn cached() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache_dir())
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.starts_with("linux-image-6.12.")
                && n.contains("-cloud-amd64-unsigned_")
                && p.join(".complete").exists()
        })
        .collect();
    found.sort_by_key(|p| version_key(&p.file_name().unwrap_or_default().to_string_lossy()));
    found.into_iter().next()
}

/// Downloads the package into the cache as the e2e script does (same layout, same lock).
const FETCH: &str = r#"
set -euo pipefail
cache="$1"
list() { apt-cache pkgnames linux-image-6.12. 2>/dev/null |
  grep -E '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' | sort -V || true; }
k="$(list)"
if [ -z "$k" ]; then apt-get update -qq >&2 || true; k="$(list)"; fi
[ -n "$k" ] || { echo "apt knows no linux-image-6.12.*+deb12-cloud-amd64-unsigned (is bookworm-security in the apt sources?)" >&2; exit 1; }
pkg="$(head -n 1 <<<"$k")"
ver="$(apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -uV | head -n 1)"
[ -n "$ver" ] || { echo "apt has no version of $pkg" >&2; exit 1; }
kdir="$cache/${pkg}_${ver}"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -e "$kdir/.complete" ]; then
  rm -rf "$kdir" "$kdir.tmp"
  mkdir -p "$kdir.tmp/dl"
  opts=()
  [ "$(id -u)" -ne 0 ] || opts=(-o APT::Sandbox::User=root)
  (cd "$kdir.tmp/dl" && apt-get download -q "${opts[@]}" "$pkg=$ver") >&2
  deb="$(ls "$kdir.tmp"/dl/*.deb)"
  dpkg-deb -x "$deb" "$kdir.tmp/root"
  mv "$deb" "$kdir.tmp/package.deb"
  rmdir "$kdir.tmp/dl"
  touch "$kdir.tmp/.complete"
  mv "$kdir.tmp" "$kdir"
fi
echo "$kdir"
"#;

/// The package directory (see the module documentation); `None` to skip, with a message.
pub fn package() -> Option<PathBuf> {
    if let Some(p) = cached() {
        return Some(p);
    }
    if std::env::var_os("BTFKIT_OFFLINE").is_some_and(|v| v == "1") {
        eprintln!(
            "BTFKIT_OFFLINE=1 and no 6.12 cloud kernel in {}: skipped explicitly",
            cache_dir().display()
        );
        return None;
    }
    if std::env::var_os(crate::CORPUS_ENV).is_none() {
        eprintln!(
            "no 6.12 cloud kernel package in {} and BTFKIT_CORPUS is unset: not checked on it \
             (tests/e2e/kernel-accepts.sh fills the cache)",
            cache_dir().display()
        );
        return None;
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(FETCH)
        .arg("fetch")
        .arg(cache_dir())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "BTFKIT_CORPUS is set but the Debian 6.12 cloud kernel package could not be fetched \
         into {} (set BTFKIT_OFFLINE=1 to skip this test explicitly):\n{}",
        cache_dir().display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(cached().expect("the fetched package is in the cache"))
}

/// The package's vmlinuz.
pub fn vmlinuz(pkg: &Path) -> PathBuf {
    let boot = pkg.join("root/boot");
    std::fs::read_dir(&boot)
        .unwrap_or_else(|e| panic!("{}: {e}", boot.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .unwrap_or_else(|| panic!("no vmlinuz in {}", boot.display()))
}

/// The kernel's vmlinux BTF, extracted from its vmlinuz by `btfkit::image`.
pub fn vmlinux_btf(pkg: &Path) -> Vec<u8> {
    let z = vmlinuz(pkg);
    let mut f = std::fs::File::open(&z).unwrap_or_else(|e| panic!("{}: {e}", z.display()));
    btfkit::image::extract(&mut f, &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", z.display()))
        .btf
}

/// The directory of the package's modules (`root/lib/modules/VERSION/kernel`).
pub fn modules(pkg: &Path) -> PathBuf {
    let z = vmlinuz(pkg);
    let kver = z.file_name().unwrap().to_string_lossy()["vmlinuz-".len()..].to_string();
    pkg.join("root/lib/modules").join(kver).join("kernel")
}
