#!/usr/bin/env bash
# Reference for `btfkit gen`: run Linux 7.2's own BTF pipeline (pahole 1.32 + resolve_btfids, as
# scripts/gen-btf.sh and scripts/Makefile.btf run them) on modules that carry DWARF.
#
# usage: gen-reference.sh [--distill] [--time] OUTDIR MODULE.ko...
#   For each MODULE (a -dbg package module: DWARF plus the .BTF that was shipped), writes
#     OUTDIR/NAME.BTF.1      pahole's output (encoder + libbpf btf__dedup, before resolve_btfids)
#     OUTDIR/NAME.BTF        resolve_btfids' sorted .BTF (what kbuild embeds)
#     OUTDIR/NAME.BTF.base   with --distill (out-of-tree build: resolve_btfids --distill_base)
#     OUTDIR/NAME.BTF_ids    resolve_btfids' .BTF_ids blob, when the module has one
#     OUTDIR/NAME.shipped    the .BTF the module carries (absent when it has none)
#   and prints one line per module: NAME identical|DIFFERENT|no-shipped-btf|pahole-failed.
#   With --time, also prints "time NAME WALL USER SYS MAXRSS_KB" for pahole and resolve_btfids together
#   (GNU time), run one module at a time as kbuild does.
# Tools come from bash /work/shared/tools/kernel-7.2.sh (paths in /tmp/logs/k72.out or the
# environment: PAHOLE, RESOLVE_BTFIDS, VMLINUX_BTF).
set -euo pipefail
DISTILL=0; TIME=0
while [ $# -gt 0 ]; do
  case "$1" in
    --distill) DISTILL=1; shift ;;
    --time) TIME=1; shift ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
OUT=$1; shift
if [ -z "${PAHOLE:-}" ] && [ -f /tmp/logs/k72.out ]; then
  eval "$(grep -E '^(PAHOLE|RESOLVE_BTFIDS|VMLINUX_BTF)=' /tmp/logs/k72.out)"
fi
: "${PAHOLE:?PAHOLE not set (run kernel-7.2.sh)}" "${RESOLVE_BTFIDS:?}" "${VMLINUX_BTF:?}"
PAHOLE_FLAGS="-j1 --btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs --btf_features=attributes --btf_features=layout --btf_features=+reproducible_build --lang_exclude=rust"
RB_FLAGS=""; [ "$DISTILL" = 1 ] && RB_FLAGS="--distill_base"
mkdir -p "$OUT"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for m in "$@"; do
  name=$(basename "$m"); name=${name%%.ko*}
  ko=$work/$name.ko
  case "$m" in
    *.xz) xz -dc "$m" > "$ko" ;;
    *.zst) zstd -qdc "$m" > "$ko" ;;
    *.gz) gzip -dc "$m" > "$ko" ;;
    *) cp "$m" "$ko" ;;
  esac
  rm -f "$OUT/$name".{BTF.1,BTF,BTF.base,BTF_ids,shipped}
  objcopy --dump-section ".BTF=$OUT/$name.shipped" "$ko" "$work/junk" 2>/dev/null || rm -f "$OUT/$name.shipped"
  objcopy --remove-section .BTF --remove-section .BTF.base "$ko"
  run() { # pahole then resolve_btfids, as scripts/gen-btf.sh gen_btf_data
    $PAHOLE -J $PAHOLE_FLAGS --btf_base "$VMLINUX_BTF" --btf_encode_detached="$ko.BTF.1" "$ko" >/dev/null &&
    $RESOLVE_BTFIDS $RB_FLAGS --btf_base "$VMLINUX_BTF" --btf "$ko.BTF.1" "$ko"
  }
  if [ "$TIME" = 1 ]; then
    if ! /usr/bin/time -f "%e %U %S %M" -o "$work/t" bash -c "$(declare -f run); ko='$ko' PAHOLE_FLAGS='$PAHOLE_FLAGS' PAHOLE='$PAHOLE' RESOLVE_BTFIDS='$RESOLVE_BTFIDS' VMLINUX_BTF='$VMLINUX_BTF' RB_FLAGS='$RB_FLAGS' run" >/dev/null 2>"$work/err"; then
      echo "$name pahole-failed"; continue
    fi
    echo "time $name $(cat "$work/t")"
  elif ! run >/dev/null 2>"$work/err"; then
    echo "$name pahole-failed: $(head -c 300 "$work/err")"; continue
  fi
  cp "$ko.BTF.1" "$OUT/$name.BTF.1"
  cp "$ko.BTF" "$OUT/$name.BTF"
  [ -f "$ko.BTF.base" ] && cp "$ko.BTF.base" "$OUT/$name.BTF.base"
  [ -f "$ko.BTF_ids" ] && cp "$ko.BTF_ids" "$OUT/$name.BTF_ids"
  rm -f "$ko".BTF*
  if [ ! -f "$OUT/$name.shipped" ]; then echo "$name no-shipped-btf"
  elif cmp -s "$OUT/$name.BTF" "$OUT/$name.shipped"; then echo "$name identical"
  else echo "$name DIFFERENT"; fi
done
