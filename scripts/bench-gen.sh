#!/usr/bin/env bash
# btfkit gen against the kernel's own pipeline, side by side on the same modules, one core:
# every module of Debian's Linux 7.2.13 -dbg package (DWARF + shipped .BTF) with its .BTF
# removed, then
#   pahole 1.32 -J (kbuild's flags) --btf_base vmlinux --btf_encode_detached=M.BTF.1 M.ko
#   resolve_btfids --btf_base vmlinux --btf M.BTF.1 M.ko       (per module, as kbuild runs them)
# against
#   RAYON_NUM_THREADS=1 btfkit gen --base vmlinux --out-dir OUT DIR   (all modules, one process)
# Prints total seconds, peak RSS of each side and the ratios; checks that both give the same
# .BTF for every module. Usage: scripts/bench-gen.sh [EVERY] (every Nth module; default 1).
# Needs `scripts/kernel-7.2.sh --dbg` (run here if BTFKIT_LINUX72 is unset).
set -euo pipefail
cd "$(dirname "$0")/.."
EVERY=${1:-1}
env_file=${BTFKIT_LINUX72:-}
if [ -z "$env_file" ]; then
  env_file=$HOME/.cache/btfkit/linux-7.2.13.env
  bash scripts/kernel-7.2.sh --dbg > "$env_file"
fi
# shellcheck disable=SC1090
. "$env_file"
cargo build -q --release -p btfkit-cli
BTFKIT=$PWD/target/release/btfkit
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ko" "$work/ref" "$work/ours"
i=0
while IFS= read -r m; do
  if [ $((i % EVERY)) -eq 0 ]; then
    n=$(basename "$m" .ko)
    objcopy --remove-section .BTF --remove-section .BTF.base "$m" "$work/ko/$n.ko"
  fi
  i=$((i + 1))
done < <(find "$DBG" -name '*.ko' | sort)
count=$(find "$work/ko" -name '*.ko' | wc -l)
FLAGS="-j1 --btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs --btf_features=attributes --btf_features=layout --btf_features=+reproducible_build --lang_exclude=rust"
now() { date +%s.%N; }
peak_ref=0
t0=$(now)
for ko in "$work"/ko/*.ko; do
  n=$(basename "$ko" .ko)
  # shellcheck disable=SC2086
  /usr/bin/time -f %M -o "$work/rss" "$PAHOLE" -J $FLAGS --btf_base "$VMLINUX_BTF" \
    --btf_encode_detached="$work/ref/$n.BTF.1" "$ko" >/dev/null
  r=$(tail -n1 "$work/rss"); [ "$r" -gt "$peak_ref" ] && peak_ref=$r
  /usr/bin/time -f %M -o "$work/rss" "$RESOLVE_BTFIDS" --btf_base "$VMLINUX_BTF" \
    --btf "$work/ref/$n.BTF.1" "$ko" >/dev/null 2>&1 || true
  r=$(tail -n1 "$work/rss"); [ "$r" -gt "$peak_ref" ] && peak_ref=$r
  # resolve_btfids writes M.ko.BTF next to the module; keep only that.
  mv "$ko.BTF" "$work/ref/$n.btf"; rm -f "$ko.BTF_ids" "$ko.BTF.base"
done
t1=$(now)
RAYON_NUM_THREADS=1 /usr/bin/time -f %M -o "$work/rss" "$BTFKIT" gen -q --base "$VMLINUX_BTF" \
  --out-dir "$work/ours" "$work/ko"
t2=$(now)
peak_ours=$(tail -n1 "$work/rss")
same=0
for f in "$work"/ref/*.btf; do cmp -s "$f" "$work/ours/$(basename "$f")" && same=$((same + 1)); done
awk -v n="$count" -v s="$same" -v a="$t0" -v b="$t1" -v c="$t2" -v pr="$peak_ref" -v po="$peak_ours" 'BEGIN {
  ref = b - a; ours = c - b;
  printf "modules: %d, identical .BTF: %d\n", n, s;
  printf "pahole + resolve_btfids: %.2f s, peak RSS %.1f MB\n", ref, pr / 1024;
  printf "btfkit gen (1 thread):   %.2f s, peak RSS %.1f MB\n", ours, po / 1024;
  printf "btfkit is %.2fx faster, with %.2fx the peak RSS\n", ref / ours, po / pr }'
