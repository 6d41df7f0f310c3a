#!/usr/bin/env bash
# `btfkit extract` on real kernel images must give the build's .BTF section byte for byte:
#   - Debian 12's 6.1.0-56-amd64 (linux-image-6.1.0-56-amd64-unsigned 6.1.192-2, an xz
#     bzImage): equal to the corpus's vmlinux.btf (made with objcopy from the same package,
#     see ../shared/corpus/README.md); the package is downloaded once into a cache;
#   - Debian's Linux 7.2.13 cloud kernel (a zstd bzImage), when BTFKIT_LINUX72 names the file
#     of assignments that ../shared/tools/kernel-7.2.sh prints: its VMLINUZ against its
#     VMLINUX_BTF, and the unstripped vmlinux ELF of the -dbg package when DBG= is there.
# Exit status: 0 every comparison passed, 1 one differed, 2 the test could not run.
#
# Environment: BTFKIT (default: cargo build, target/release/btfkit), BTFKIT_CORPUS (default
# ../shared/corpus), BTFKIT_E2E_CACHE (default ~/.cache/btfkit/e2e-cache), BTFKIT_LINUX72 (optional).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
corpus="${BTFKIT_CORPUS:-$root/../shared/corpus}"
cache="${BTFKIT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/e2e-cache}"
die() { echo "extract-real: error: $*" >&2; exit 2; }
if [ -z "${BTFKIT:-}" ]; then
  (cd "$root" && cargo build --release -q -p btfkit-cli) || die "cargo build failed"
  BTFKIT="$root/target/release/btfkit"
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
compare() {  # NAME IMAGE EXPECTED
  local t0=$SECONDS
  if ! "$BTFKIT" extract "$2" -o "$tmp/out.btf" 2>"$tmp/log"; then
    cat "$tmp/log" >&2; echo "FAIL $1: btfkit extract failed"; fail=1; return
  fi
  if cmp -s "$tmp/out.btf" "$3"; then
    echo "ok   $1: $(stat -c %s "$3") bytes identical ($((SECONDS - t0)) s; $(cat "$tmp/log"))"
  else
    echo "FAIL $1: differs from $3"; fail=1
  fi
}

# Debian 6.1, cached by package version; the .deb's sha256 is the corpus README's.
pkg=linux-image-6.1.0-56-amd64-unsigned ver=6.1.192-2
sha=530631662c9ad84758eca2d7609cf40623309afd4bccbeb563f33e9c7f220bdf
dir="$cache/${pkg}_$ver"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -e "$dir/.complete" ]; then
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  apt_opts=(); [ "$(id -u)" -ne 0 ] || apt_opts=(-o APT::Sandbox::User=root)
  (cd "$dir.tmp" && apt-get download -q "${apt_opts[@]}" "$pkg=$ver") ||
    { apt-get update -qq || true; (cd "$dir.tmp" && apt-get download -q "${apt_opts[@]}" "$pkg=$ver"); } ||
    die "apt-get download $pkg=$ver failed"
  deb="$(ls "$dir.tmp"/*.deb)"
  [ "$(sha256sum "$deb" | cut -c1-64)" = "$sha" ] || die "$deb: sha256 is not the corpus's"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" ./boot/
  rm -f "$deb"
  touch "$dir.tmp/.complete"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
fi
flock -u 9
[ -f "$corpus/linux-6.1.0-56-amd64/vmlinux.btf" ] || die "no corpus at $corpus"
compare "Debian 6.1 bzImage (xz)" "$dir/boot/vmlinuz-6.1.0-56-amd64" "$corpus/linux-6.1.0-56-amd64/vmlinux.btf"

if [ -n "${BTFKIT_LINUX72:-}" ]; then
  [ -f "$BTFKIT_LINUX72" ] || die "BTFKIT_LINUX72=$BTFKIT_LINUX72 does not exist"
  VMLINUZ="" VMLINUX_BTF="" DBG=""
  eval "$(grep -E '^(VMLINUZ|VMLINUX_BTF|DBG)=' "$BTFKIT_LINUX72")"
  [ -f "$VMLINUZ" ] && [ -f "$VMLINUX_BTF" ] || die "BTFKIT_LINUX72: no VMLINUZ or VMLINUX_BTF"
  compare "Debian 7.2 bzImage (zstd)" "$VMLINUZ" "$VMLINUX_BTF"
  if [ -n "$DBG" ] && [ -f "$(dirname "$DBG")/vmlinux" ]; then
    compare "Debian 7.2 vmlinux ELF (-dbg, with DWARF)" "$(dirname "$DBG")/vmlinux" "$VMLINUX_BTF"
  fi
else
  echo "BTFKIT_LINUX72 is not set: the Linux 7.2 image is not compared"
fi
exit $fail
