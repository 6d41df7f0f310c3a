#!/usr/bin/env bash
# Installs the Debian packages btfkit's tests need: libbpf's build dependencies for the
# conformance crate (libelf, zlib, pkg-config) and bpftool, the reference for `dump`.
# The btfkit library and CLI themselves need nothing beyond a Rust toolchain.
set -euo pipefail
pkgs=(libelf-dev zlib1g-dev pkg-config bpftool binutils xz-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
