#!/usr/bin/env bash
# The main job on real input shipped in testdata/ (a Debian 6.1 kernel's vmlinux BTF and
# a few of its modules, xz-compressed as distributions ship them), and on this machine's
# own kernel BTF when /sys/kernel/btf exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --release -q -p btfkit-cli
btfkit=target/release/btfkit
vmlinux=testdata/linux-6.1/vmlinux.btf.xz
run() { echo "\$ btfkit $*"; "$btfkit" "$@"; echo; }

run info "$vmlinux"
run validate "$vmlinux"
run validate --base "$vmlinux" testdata/linux-6.1/ko/*.ko.xz
run info --base "$vmlinux" testdata/linux-6.1/ko/dummy.ko.xz
echo "\$ btfkit dump --base $vmlinux testdata/linux-6.1/ko/dummy.ko.xz | head -n 25"
"$btfkit" dump --base "$vmlinux" testdata/linux-6.1/ko/dummy.ko.xz | head -n 25
echo

# The main job: distill the modules' BTF, then check that it relocates onto a vmlinux.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run distill --base "$vmlinux" --out-dir "$out" testdata/linux-6.1/ko
run check --base "$vmlinux" "$out"
if [ -r /sys/kernel/btf/vmlinux ]; then
  run info /sys/kernel/btf/vmlinux
  run validate /sys/kernel/btf/vmlinux
  # Would this machine's kernel accept the Debian 6.1 modules' distilled BTF?
  run check --base /sys/kernel/btf/vmlinux "$out" || true
  mods=$(ls /sys/kernel/btf | grep -v '^vmlinux$' | head -n 20 || true)
  if [ -n "$mods" ]; then
    run validate $(printf '/sys/kernel/btf/%s ' $mods)
  fi
fi
