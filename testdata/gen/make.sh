#!/usr/bin/env bash
# Regenerates the btfkit gen fixtures: src/a.c and src/b.c compiled with gcc for several
# machines and DWARF flavours, linked with `ld -r` as a kernel module is, and the BTF
# pahole 1.32 makes from each as Linux 7.2's kbuild runs it (over the 6.1 vmlinux BTF of
# ../linux-6.1), before resolve_btfids: NAME.o.xz and NAME.BTF.1; then what Linux 7.2's
# resolve_btfids makes of that (--refs-only redoes just this part from the committed
# NAME.o.xz and NAME.BTF.1): NAME.BTF and NAME.BTF_ids (sorted by name, ids resolved),
# NAME.distilled.BTF, NAME.distilled.BTF.base and NAME.distilled.BTF_ids (--distill_base).
# Needs gcc, gcc-{aarch64,s390x,i686}-linux-gnu, binutils with zstd, xz, and the tools of
# /work/shared/tools/kernel-7.2.sh (PAHOLE in the environment or in /tmp/logs/k72.out).
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${PAHOLE:-}" ]; then eval "$(grep -E '^PAHOLE=' /tmp/logs/k72.out)"; fi
if [ -z "${RESOLVE_BTFIDS:-}" ]; then eval "$(grep -E '^RESOLVE_BTFIDS=' /tmp/logs/k72.out)"; fi
FLAGS="-j1 --btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs --btf_features=attributes --btf_features=layout --btf_features=+reproducible_build --lang_exclude=rust"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
xz -dc ../linux-6.1/vmlinux.btf.xz > "$tmp/vmlinux.btf"
refs() { # resolve_btfids as scripts/gen-btf.sh runs it on a module, plain and distilled
  for x in *.o.xz; do
    n=${x%.o.xz}
    xz -dc "$x" > "$tmp/$n.o"
    "$RESOLVE_BTFIDS" --btf_base "$tmp/vmlinux.btf" --btf "$n.BTF.1" "$tmp/$n.o"
    cp "$tmp/$n.o.BTF" "$n.BTF"; cp "$tmp/$n.o.BTF_ids" "$n.BTF_ids"
    rm -f "$tmp/$n.o".BTF*
    "$RESOLVE_BTFIDS" --distill_base --btf_base "$tmp/vmlinux.btf" --btf "$n.BTF.1" "$tmp/$n.o"
    cp "$tmp/$n.o.BTF" "$n.distilled.BTF"; cp "$tmp/$n.o.BTF.base" "$n.distilled.BTF.base"
    cp "$tmp/$n.o.BTF_ids" "$n.distilled.BTF_ids"
  done
}
if [ "${1:-}" = --refs-only ]; then refs; exit 0; fi
build() { # name, cc prefix, flags...
  local name=$1 pfx=$2; shift 2
  ${pfx}gcc -O2 "$@" -c src/a.c -o "$tmp/a.o"
  ${pfx}gcc -O2 "$@" -c src/b.c -o "$tmp/b.o"
  ${pfx}ld -r "$tmp/a.o" "$tmp/b.o" -o "$tmp/$name.o"
}
build x86_64 "" -g -gdwarf-5
build aarch64 aarch64-linux-gnu- -g -gdwarf-5
build s390x s390x-linux-gnu- -g -gdwarf-5
build i686 i686-linux-gnu- -g -gdwarf-5
build x86_64-dwarf4-zlib "" -g -gdwarf-4 -gz=zlib
build x86_64-dwarf4-types "" -g -gdwarf-4 -fdebug-types-section
build x86_64-dwarf5-types "" -g -gdwarf-5 -fdebug-types-section
objcopy --compress-debug-sections=zstd "$tmp/x86_64.o" "$tmp/x86_64-zstd.o"
# LTO: units refer into each other (DW_FORM_ref_addr), pahole merges them into one.
gcc -flto -g -O2 -c src/a.c -o "$tmp/la.o"
gcc -flto -g -O2 -c src/b.c -o "$tmp/lb.o"
gcc -flto -g -O2 -r -nostdlib -flinker-output=nolto-rel "$tmp/la.o" "$tmp/lb.o" -o "$tmp/x86_64-lto.o"
for o in "$tmp"/*.o; do
  n=$(basename "$o" .o)
  case "$n" in a|b|la|lb) continue ;; esac
  "$PAHOLE" -J $FLAGS --btf_base "$tmp/vmlinux.btf" --btf_encode_detached="$n.BTF.1" "$o"
  xz -9e -c "$o" > "$n.o.xz"
done
refs
