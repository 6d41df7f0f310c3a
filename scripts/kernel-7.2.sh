#!/usr/bin/env bash
# Linux 7.2 (Debian's 7.2.13+deb14 packages) as a reference for the current kernel BTF pipeline:
#   - the kernel's own tools from linux-kbuild-7.2.13+deb14: resolve_btfids (sorts BTF by name,
#     --distill_base for out-of-tree modules, writes .BTF/.BTF.base/.BTF_ids blobs);
#   - pahole 1.32 (DWARF -> BTF), the version this kernel was built with;
#   - the kernel itself: vmlinux BTF, the shipped modules (BTF sorted by resolve_btfids), and the
#     unstripped modules of the -dbg package (DWARF + the .BTF that was made from it).
# These tools need a newer C library than Debian 12 has, so they run through the loader of
# Debian unstable's libc, unpacked privately (nothing is installed system-wide except an apt
# source for Debian unstable, pinned at priority 50 so that no installed package changes).
#
# usage: kernel-7.2.sh [--dbg] [DIR]        (DIR defaults to ~/.cache/btfkit/linux-7.2.13)
# prints shell assignments: PAHOLE=... RESOLVE_BTFIDS=... VMLINUX_BTF=... MODULES=... VMLINUZ=...
# [DBG=...]. Downloads (cached in DIR): ~45 MB of packages; --dbg adds 337 MB (2 GB kept).
# The vmlinux BTF is extracted from vmlinuz with btfkit ($BTFKIT, or built with cargo).
#
# How the kernel builds a module's BTF (scripts/gen-btf.sh, scripts/Makefile.btf of 7.2):
#   $PAHOLE -J $PAHOLE_FLAGS --btf_base vmlinux --btf_encode_detached=M.ko.BTF.1 M.ko
#   $RESOLVE_BTFIDS [--distill_base when out-of-tree] --btf_base vmlinux --btf M.ko.BTF.1 M.ko
#     -> M.ko.BTF, M.ko.BTF.base (out-of-tree only), M.ko.BTF_ids
#   objcopy --add-section .BTF=M.ko.BTF [.BTF.base=...] M.ko; resolve_btfids --patch_btfids ...
# with PAHOLE_FLAGS (pahole 1.32) = -j1 --btf_features=encode_force,var,float,enum64,decl_tag,
#   type_tag,optimized_func,consistent_func,decl_tag_kfuncs --btf_features=attributes
#   --btf_features=layout --btf_features=+reproducible_build --lang_exclude=rust
# Run on a module of the -dbg package (with its .BTF section removed first), this reproduces the
# .BTF that Debian shipped, byte for byte.
set -euo pipefail
DBG=0
[ "${1:-}" = --dbg ] && { DBG=1; shift; }
DIR=${1:-$HOME/.cache/btfkit/linux-7.2.13}
V=7.2.13+deb14
mkdir -p "$DIR/deb" "$DIR/root"
DIR=$(cd "$DIR" && pwd)

# Debian unstable as an extra apt source, same mirror as the configured Debian source.
if ! apt-cache policy "linux-kbuild-$V" 2>/dev/null | grep -q Candidate; then
  uri=$(grep -h -m1 '^URIs:.*/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -h -m1 -o 'http[^ ]*/debian ' /etc/apt/sources.list 2>/dev/null | head -n1 | tr -d ' ')
  [ -n "$uri" ] || { echo "kernel-7.2.sh: no Debian apt source configured" >&2; exit 2; }
  printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
    > /etc/apt/sources.list.d/btfkit-unstable.sources
  printf 'Package: *\nPin: release a=unstable\nPin-Priority: 50\n' > /etc/apt/preferences.d/btfkit-unstable
  apt-get update -qq >/dev/null
fi

fetch() { # package names; downloads into deb/ unless present, unpacks into root/
  local p
  for p in "$@"; do
    ls "$DIR/deb/${p}"_*.deb >/dev/null 2>&1 && continue
    (cd "$DIR/deb" && apt-get download -qq -t unstable "$p" >/dev/null 2>&1) \
      || { echo "kernel-7.2.sh: cannot download $p" >&2; exit 2; }
    dpkg-deb -x "$DIR/deb/${p}"_*.deb "$DIR/root"
  done
}
fetch libc6 libelf1t64 zlib1g libzstd1 liblzma5 libbz2-1.0 libdw1t64 libbpf1 libdwarves1 pahole \
      "linux-kbuild-$V"

L=$DIR/root/usr/lib/x86_64-linux-gnu
mkdir -p "$DIR/bin"
wrap() { # name, path of the binary
  printf '#!/bin/sh\nexec %s --library-path %s:%s "%s" "$@"\n' "$L/ld-linux-x86-64.so.2" "$L" "$DIR/root/lib/x86_64-linux-gnu" "$2" > "$DIR/bin/$1"
  chmod +x "$DIR/bin/$1"
}
wrap pahole "$DIR/root/usr/bin/pahole"
wrap resolve_btfids "$DIR/root/usr/lib/linux-kbuild-7.2.13+deb14/tools/bpf/resolve_btfids/resolve_btfids"
"$DIR/bin/pahole" --version >/dev/null

# The kernel: vmlinuz and the shipped modules (.ko.xz); the vmlinux BTF from the vmlinuz
# (`btfkit extract`: the compressed kernel ELF inside the bzImage, its .BTF).
K=$DIR/kernel
MODDIR=$K/usr/lib/modules/$V-cloud-amd64
DBGDIR=$DIR/dbg/usr/lib/debug/lib/modules/$V-cloud-amd64
if [ ! -d "$MODDIR" ]; then  # unpacked next to it, then renamed: present means complete
  rm -rf "$K.tmp"; mkdir -p "$K.tmp"
  for p in "linux-binary-$V-cloud-amd64" "linux-modules-$V-cloud-amd64"; do
    ls "$DIR/deb/${p}"_*.deb >/dev/null 2>&1 || (cd "$DIR/deb" && apt-get download -qq "$p" >/dev/null 2>&1) \
      || { echo "kernel-7.2.sh: cannot download $p" >&2; exit 2; }
    dpkg-deb -x "$DIR/deb/${p}"_*.deb "$K.tmp"
  done
  rm -rf "$K"; mv "$K.tmp" "$K"
fi
if [ ! -f "$K/vmlinux.btf" ]; then
  if [ -z "${BTFKIT:-}" ]; then
    (cd "$(dirname "$0")/.." && cargo build --release -q -p btfkit-cli) >&2 \
      || { echo "kernel-7.2.sh: cannot build btfkit (set BTFKIT to a btfkit binary)" >&2; exit 2; }
    BTFKIT=$(cd "$(dirname "$0")/.." && pwd)/target/release/btfkit
  fi
  "$BTFKIT" extract "$MODDIR/vmlinuz" -o "$K/vmlinux.btf.tmp" 2>/dev/null \
    || { echo "kernel-7.2.sh: cannot extract the vmlinux BTF from $MODDIR/vmlinuz" >&2; exit 2; }
  mv "$K/vmlinux.btf.tmp" "$K/vmlinux.btf"
fi
# --dbg: the unstripped modules and vmlinux with DWARF (a 337 MB package; 2 GB unpacked).
if [ "$DBG" = 1 ] && [ ! -d "$DBGDIR" ]; then
  p=linux-image-$V-cloud-amd64-dbg
  ls "$DIR/deb/${p}"_*.deb >/dev/null 2>&1 || (cd "$DIR/deb" && apt-get download -qq "$p" >/dev/null 2>&1) \
    || { echo "kernel-7.2.sh: cannot download $p" >&2; exit 2; }
  rm -rf "$DIR/dbg.tmp"; mkdir -p "$DIR/dbg.tmp"
  # The modules and vmlinux (tests/e2e/extract-real.sh reads its .BTF); the .deb is not kept.
  dpkg-deb --fsys-tarfile "$DIR/deb/${p}"_*.deb | tar -x -C "$DIR/dbg.tmp" --wildcards '*/kernel/*' '*/vmlinux'
  rm -rf "$DIR/dbg"; mv "$DIR/dbg.tmp" "$DIR/dbg"
  rm -f "$DIR/deb/${p}"_*.deb
fi

echo "PAHOLE=$DIR/bin/pahole"
echo "RESOLVE_BTFIDS=$DIR/bin/resolve_btfids"
echo "VMLINUX_BTF=$K/vmlinux.btf"
echo "MODULES=$MODDIR/kernel"
echo "VMLINUZ=$MODDIR/vmlinuz"
[ "$DBG" = 1 ] && echo "DBG=$DBGDIR/kernel"
exit 0
