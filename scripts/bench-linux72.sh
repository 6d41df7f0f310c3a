#!/usr/bin/env bash
# Per-module time of `btfkit distill` against the kernel's own `resolve_btfids --distill_base`
# on every module of Debian's Linux 7.2 cloud kernel, side by side in one run, on one core.
#
# usage: scripts/bench-linux72.sh [ENV]   ENV: what scripts/kernel-7.2.sh prints (default: run it)
#
# For each module, alternately (so that both see the same machine load): resolve_btfids
# --distill_base --btf M.BTF --btf_base vmlinux.btf M.ko (writes the .BTF, .BTF.base and
# .BTF_ids blobs), then btfkit distill --base vmlinux.btf M.ko -o OUT.ko (writes the whole
# module), then the same with --no-validate. Each is one process per module, pinned to CPU 0
# (taskset), so each pays for reading the 5 MB vmlinux BTF, and btfkit (unless --no-validate)
# also for running the kernel's checks on all of it, which resolve_btfids does not do. Then
# btfkit distill --in-place on the whole tree, one process, one thread (RAYON_NUM_THREADS=1):
# what a user rewriting a module tree gets. Inputs are decompressed beforehand; only the tools
# are timed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${1:-}" ]; then
  env_file=$1
else
  env_file=$(mktemp)
  bash scripts/kernel-7.2.sh > "$env_file"
fi
get() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
RESOLVE_BTFIDS=$(get RESOLVE_BTFIDS) VMLINUX_BTF=$(get VMLINUX_BTF) MODULES=$(get MODULES)
[ -x "$RESOLVE_BTFIDS" ] && [ -f "$VMLINUX_BTF" ] && [ -d "$MODULES" ] || { echo "bad $env_file" >&2; exit 2; }
cargo build --release -q -p btfkit-cli
BTFKIT=$PWD/target/release/btfkit
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/tree" "$work/out"
n=0
while IFS= read -r m; do
  b=$(printf '%04d-%s' "$n" "$(basename "$m" .ko.xz)")
  xz -dc "$m" > "$work/in/$b.ko"
  objcopy --dump-section ".BTF=$work/in/$b.BTF" "$work/in/$b.ko" "$work/junk.o"
  cp "$work/in/$b.ko" "$work/tree/$b.ko"
  n=$((n + 1))
done < <(find "$MODULES" -name '*.ko.xz' | sort)
rm -f "$work/junk.o"
echo "$n modules of $(basename "$(dirname "$MODULES")"); vmlinux BTF $(stat -c %s "$VMLINUX_BTF") bytes; ${pin[*]:-no pinning}"

ns() { local t=${EPOCHREALTIME/./}; echo "${t}000"; }
rb=0 bk=0 bn=0
for ko in "$work"/in/*.ko; do
  b=$(basename "$ko" .ko)
  t0=$(ns)
  "${pin[@]}" "$RESOLVE_BTFIDS" --distill_base --btf "$work/in/$b.BTF" --btf_base "$VMLINUX_BTF" "$ko" 2>/dev/null
  t1=$(ns)
  "${pin[@]}" "$BTFKIT" distill --base "$VMLINUX_BTF" "$ko" -o "$work/out/$b.ko" 2>/dev/null
  t2=$(ns)
  "${pin[@]}" "$BTFKIT" distill --no-validate --base "$VMLINUX_BTF" "$ko" -o "$work/out/$b.ko" 2>/dev/null
  t3=$(ns)
  rb=$((rb + t1 - t0)) bk=$((bk + t2 - t1)) bn=$((bn + t3 - t2))
done
t0=$(ns)
RAYON_NUM_THREADS=1 "${pin[@]}" "$BTFKIT" distill --base "$VMLINUX_BTF" --in-place "$work/tree" 2>/dev/null
t1=$(ns)
tree=$((t1 - t0))

ms() { awk -v v="$1" -v n="$n" 'BEGIN { printf "%.2f ms", v / n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "per module, one process each: resolve_btfids --distill_base $(ms $rb); btfkit distill -o $(ms $bk) (resolve_btfids / btfkit = $(ratio $rb $bk)); with --no-validate $(ms $bn) ($(ratio $rb $bn))"
echo "btfkit distill --in-place, the whole tree in one process on one thread: $(ms $tree) per module   (resolve_btfids / btfkit = $(ratio $rb $tree))"
