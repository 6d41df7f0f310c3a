#!/usr/bin/env bash
# Does a real kernel accept the module BTF that btfkit writes?
#
# Boots Debian bookworm's 6.12 cloud kernel (which relocates a module's .BTF.base onto its
# vmlinux BTF at load time) in qemu with a busybox initramfs, loads some of that kernel's own
# modules after `btfkit distill --in-place` rewrote them, and passes only if
#   - every rewritten module loads and gets /sys/kernel/btf/NAME, with no BTF error logged,
#   - /sys/kernel/btf/NAME is byte-identical to `btfkit relocate` of that module onto the
#     kernel's vmlinux BTF (extracted from the package's vmlinuz by `btfkit extract`, and
#     checked to be the booted kernel's /sys/kernel/btf/vmlinux),
#   - every negative control (a module made wrong on purpose, see CONTROLS) comes out as it
#     must: loaded without its BTF, not loaded at all, or with a /sys/kernel/btf/NAME that
#     differs from the expected relocation,
#   - `btfkit check` predicted the kernel's verdict on each module's BTF.
# See docs/e2e.md. Runs as root, or with sudo for apt-get; needs no KVM (TCG by default).
# Exit status: 0 every check passed, 1 a check failed, 2 the test could not run.
#
# Environment (all optional):
#   BTFKIT               the btfkit binary                  (default: cargo build, target/release)
#   BTFKIT_E2E_CACHE     download cache                     (default: ~/.cache/btfkit/e2e-cache)
#   BTFKIT_E2E_WORK      work dir, emptied on each run       (default: target/e2e)
#   BTFKIT_E2E_KERNEL    kernel package, NAME or NAME=VERSION
#                        (default: the oldest linux-image-6.12.*+deb12-cloud-amd64-unsigned)
#   BTFKIT_E2E_KERNEL_ENV  instead of a package, a kernel unpacked already: a file of VMLINUZ=
#                        and MODULES= (the modules' kernel/ tree) lines, as
#                        scripts/kernel-7.2.sh prints them (Debian's Linux 7.2)
#   BTFKIT_E2E_MODULES   modules that must load with their BTF (their dependencies are added)
#   BTFKIT_E2E_CONTROLS  negative controls, MODULE:MODE[:OTHER] (see CONTROLS below)
#   BTFKIT_E2E_REWRITE   distill (default): the packaged modules, `btfkit distill --in-place`;
#                        gen: with BTFKIT_E2E_KERNEL_ENV's DBG= (the -dbg package), each
#                        module's BTF made from its DWARF by `btfkit gen --in-place --distill`
#   BTFKIT_E2E_TIMEOUT   seconds before a guest is killed    (default: 300)
#   BTFKIT_E2E_ACCEL     qemu accelerator                    (default: tcg; kvm uses -cpu host)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
helper=(python3 "$here/e2e.py")
cache="${BTFKIT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/e2e-cache}"
work="${BTFKIT_E2E_WORK:-$root/target/e2e}"
timeout_s="${BTFKIT_E2E_TIMEOUT:-300}"
rewrite="${BTFKIT_E2E_REWRITE:-distill}"
case "$rewrite" in distill|gen) ;; *) echo "BTFKIT_E2E_REWRITE must be distill or gen" >&2; exit 2 ;; esac
accel="${BTFKIT_E2E_ACCEL:-tcg}"
cpu="max"
[ "$accel" = tcg ] || cpu="host"

# Modules that must load with their BTF: leaf modules of the cloud kernel that load in a bare
# VM, from a 124-byte .BTF (nls_utf8) to an 18 KB one (overlay). Their dependencies (none for
# these) are rewritten and checked the same way and loaded first.
# shellcheck disable=SC2206
MODULES=(${BTFKIT_E2E_MODULES-dummy veth tun loop binfmt_misc nls_utf8 overlay tcp_bbr tcp_dctcp fou nf_conntrack nf_nat nf_flow_table xfrm_interface})
# Negative controls, MODULE:MODE[:OTHER], made from the module as btfkit rewrote it. A name
# loads once per boot: a control whose module is already loaded goes to another boot.
#   resize         a struct the module embeds by value has another size in .BTF.base
#                  -> refused: insmod succeeds (MODULE_ALLOW_BTF_MISMATCH), no /sys/kernel/btf/NAME
#   rename         a struct in .BTF.base renamed to a name vmlinux lacks        -> refused
#   foreign-base   OTHER's .BTF.base under this module's .BTF                   -> refused
#   stale-btf-ids  the original .BTF_ids under the distilled .BTF/.BTF.base, what distilling
#                  without rewriting them gives (modules with .BTF_ids, issue 6)
#                  -> unloadable: insmod fails (EINVAL)
#   drop-base      .BTF.base removed: the kernel reads the distilled split over vmlinux; it
#                  refuses most such modules but accepts nf_dup_ipv4's (1 of 70 tried), and
#                  then only the byte comparison sees it
#                  -> differs: /sys/kernel/btf/NAME absent or not the expected relocation
# shellcheck disable=SC2206
CONTROLS=(${BTFKIT_E2E_CONTROLS-ifb:resize nlmon:rename vrf:foreign-base:veth nf_dup_ipv4:drop-base tcp_bbr:stale-btf-ids tcp_dctcp:stale-btf-ids fou:stale-btf-ids nf_conntrack:stale-btf-ids xfrm_interface:stale-btf-ids})

t0=$SECONDS
say() { printf '\n== %s  [%ss]\n' "$*" "$((SECONDS - t0))"; }
die() { printf 'kernel-accepts: error: %s\n' "$*" >&2; exit 2; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# ---------------------------------------------------------------------------------------------
say "tools"
apt_updated=0
apt_update() {
  [ "$apt_updated" -eq 1 ] && return 0
  $sudo apt-get update -qq || die "apt-get update failed"
  apt_updated=1
}
need=()
for spec in qemu-system-x86:qemu-system-x86_64 busybox-static: xz-utils:xz zstd:zstd \
            binutils:objcopy python3:python3; do
  pkg="${spec%%:*}" cmd="${spec#*:}"
  if [ -n "$cmd" ]; then
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
  else  # busybox must be the static one: it runs alone in the initramfs
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
  fi
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" \
    >/dev/null || die "apt-get install ${need[*]} failed"
fi
busybox="$(command -v busybox)" || die "no busybox"

if [ -z "${BTFKIT:-}" ]; then
  echo "building btfkit: cargo build --release -p btfkit-cli"
  (cd "$root" && cargo build --release -q -p btfkit-cli) || die "cargo build --release -p btfkit-cli failed"
  BTFKIT="$root/target/release/btfkit"
fi
[ -x "$BTFKIT" ] || die "no btfkit binary at $BTFKIT"
"$BTFKIT" distill --help 2>/dev/null | grep -q -- '--in-place' ||
  die "$BTFKIT has no 'distill --in-place': this test needs a btfkit that rewrites modules"
echo "btfkit: $BTFKIT"

# ---------------------------------------------------------------------------------------------
if [ -n "${BTFKIT_E2E_KERNEL_ENV:-}" ]; then
  say "kernel (BTFKIT_E2E_KERNEL_ENV)"
  [ -r "$BTFKIT_E2E_KERNEL_ENV" ] || die "BTFKIT_E2E_KERNEL_ENV=$BTFKIT_E2E_KERNEL_ENV is not readable"
  kvar() { sed -n "s/^$1=//p" "$BTFKIT_E2E_KERNEL_ENV" | tail -n 1; }
  vmlinuz="$(kvar VMLINUZ)" moddir="$(kvar MODULES)"
  [ -f "$vmlinuz" ] && [ -d "$moddir" ] ||
    die "$BTFKIT_E2E_KERNEL_ENV: VMLINUZ and MODULES must name a file and a directory"
  kver="$(basename "$(dirname "$moddir")")"
  pkg="$kver" ver="$(basename "$BTFKIT_E2E_KERNEL_ENV")"
else  # the package (the block below is not indented, to keep its history)
say "kernel package"
if [ -n "${BTFKIT_E2E_KERNEL:-}" ]; then
  pkg="${BTFKIT_E2E_KERNEL%%=*}"
  ver=""
  [[ "$BTFKIT_E2E_KERNEL" == *=* ]] && ver="${BTFKIT_E2E_KERNEL#*=}"
else
  list_kernels() {
    apt-cache pkgnames linux-image-6.12. 2>/dev/null |
      grep -E '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' | sort -V || true
  }
  kernels="$(list_kernels)"
  if [ -z "$kernels" ]; then apt_update; kernels="$(list_kernels)"; fi
  [ -n "$kernels" ] || die "apt knows no linux-image-6.12.*+deb12-cloud-amd64-unsigned (is bookworm-security in the apt sources?)"
  pkg="$(head -n 1 <<<"$kernels")"
  echo "available: $(tr '\n' ' ' <<<"$kernels")"
  ver=""
fi
if [ -z "$ver" ]; then
  versions() { apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -uV; }
  v="$(versions)"
  if [ -z "$v" ]; then apt_update; v="$(versions)"; fi
  [ -n "$v" ] || die "apt has no version of $pkg"
  ver="$(head -n 1 <<<"$v")"
fi
kdir="$cache/${pkg}_${ver}"
why="the oldest available"
[ -z "${BTFKIT_E2E_KERNEL:-}" ] || why="BTFKIT_E2E_KERNEL"
echo "using $pkg=$ver ($why); cache: $kdir"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9  # one download at a time into this cache
if [ ! -e "$kdir/.complete" ]; then
  rm -rf "$kdir" "$kdir.tmp"
  mkdir -p "$kdir.tmp/dl"
  apt_opts=()
  [ "$(id -u)" -ne 0 ] || apt_opts=(-o APT::Sandbox::User=root)
  (cd "$kdir.tmp/dl" && apt-get download -q "${apt_opts[@]}" "$pkg=$ver") || {
    apt_update
    (cd "$kdir.tmp/dl" && apt-get download -q "${apt_opts[@]}" "$pkg=$ver") || die "apt-get download $pkg=$ver failed"
  }
  deb="$(ls "$kdir.tmp"/dl/*.deb)"
  dpkg-deb -x "$deb" "$kdir.tmp/root"
  mv "$deb" "$kdir.tmp/package.deb"
  rmdir "$kdir.tmp/dl"
  touch "$kdir.tmp/.complete"
  mv "$kdir.tmp" "$kdir"
fi
flock -u 9
vmlinuz="$(ls "$kdir"/root/boot/vmlinuz-*)"
kver="${vmlinuz##*/vmlinuz-}"
moddir="$kdir/root/lib/modules/$kver/kernel"
[ -d "$moddir" ] || die "no modules in $moddir"
fi

# ---------------------------------------------------------------------------------------------
say "modules"
mkdir -p "$(dirname "$work")"
exec 8>"$work.lock"
flock -n 8 || die "another run is using $work (set BTFKIT_E2E_WORK to run in parallel)"
rm -rf "$work"
mkdir -p "$work"/{orig,rewritten,unpacked,ko,expected,logs,out}

# The kernel's vmlinux BTF, out of the package's vmlinuz as a user gets it (the verdict
# checks that it is the booted kernel's /sys/kernel/btf/vmlinux).
vmlinux_btf="$work/vmlinux.btf"
"$BTFKIT" extract "$vmlinuz" -o "$vmlinux_btf" 2>"$work/logs/extract.log" ||
  { cat "$work/logs/extract.log" >&2; die "btfkit extract $vmlinuz failed"; }
echo "kernel $kver; vmlinux BTF: $(stat -c %s "$vmlinux_btf") bytes ($(cat "$work/logs/extract.log"))"

# The controls: MODULE:MODE[:OTHER] -> the role the verdict checks
declare -A role_of_mode=([resize]=refused [rename]=refused [foreign-base]=refused
                         [stale-btf-ids]=unloadable [drop-base]=differs)
ctl_name=() ctl_mode=() ctl_other=() others=()
for c in "${CONTROLS[@]}"; do
  IFS=: read -r name mode other <<<"$c"
  [ -n "${role_of_mode[$mode]:-}" ] ||
    die "unknown control mode '$mode' in '$c' (${!role_of_mode[*]})"
  [ "$mode" != foreign-base ] || [ -n "$other" ] || die "control $c: foreign-base needs MODULE:foreign-base:OTHER"
  ctl_name+=("${name//-/_}") ctl_mode+=("$mode") ctl_other+=("${other//-/_}")
  [ -z "$other" ] || others+=("${other//-/_}")
done

# The originals as packaged (.ko.xz), with their dependencies, in load order
resolved=()
declare -A file_of=() deps_of=() notes_of=()
while IFS=$'\t' read -r name file deps notes; do
  [ "$name" != FAILED ] || die "could not resolve the modules"
  resolved+=("$name") file_of[$name]="$file" deps_of[$name]="${deps#-}" notes_of[$name]="${notes#-}"
done < <("${helper[@]}" resolve "$moddir" "$work/orig" "${MODULES[@]}" "${ctl_name[@]}" "${others[@]}" || echo FAILED)

# The rewrite under test, as a user would run it on a module tree: in place, on the packaged
# (compressed, signed) files; btfkit writes them back compressed and drops the signatures.
if [ "$rewrite" = gen ]; then
  # BTF made from DWARF: each module's unstripped build from the -dbg package (DBG=), its
  # .BTF removed, then `btfkit gen --in-place --distill` as an out-of-tree build would run
  # it; debug info is stripped afterwards (objcopy keeps .BTF, .BTF.base, .BTF_ids).
  dbgdir="$(kvar DBG)"
  [ -d "$dbgdir" ] || die "BTFKIT_E2E_REWRITE=gen needs DBG= in $BTFKIT_E2E_KERNEL_ENV (kernel-7.2.sh --dbg)"
  for name in "${resolved[@]}"; do
    f="${file_of[$name]##*/}" stem="${f%%.ko*}"
    d="$(find "$dbgdir" -name "$stem.ko" -print -quit)"
    [ -n "$d" ] || die "$stem.ko is not in the -dbg package ($dbgdir)"
    # named as the packaged file (btfkit compresses as the name says)
    "$BTFKIT" strip -q "$d" -o "$work/rewritten/$f" || die "btfkit strip $d failed"
  done
  "$BTFKIT" gen --base "$vmlinux_btf" --in-place --distill "$work/rewritten" >"$work/logs/gen.log" 2>&1 ||
    { cat "$work/logs/gen.log" >&2; die "btfkit gen --in-place --distill failed"; }
else
cp "$work"/orig/* "$work/rewritten/"
"$BTFKIT" distill --base "$vmlinux_btf" --in-place "$work/rewritten" >"$work/logs/distill.log" 2>&1 ||
  { cat "$work/logs/distill.log" >&2; die "btfkit distill --in-place failed"; }
fi
for name in "${resolved[@]}"; do  # decompressed for busybox's insmod
  f="$work/rewritten/${file_of[$name]##*/}" u="$work/unpacked/$name.ko"
  case "$f" in
    *.ko.xz) xz -dc "$f" ;; *.ko.zst) zstd -dcq "$f" ;; *.ko.gz) gzip -dc "$f" ;; *) cat "$f" ;;
  esac > "$u" || die "$name: the rewritten $f does not decompress"
  # a signature that no longer matches makes the kernel refuse the module (EKEYREJECTED)
  if tail -c 28 "$u" | grep -q 'Module signature appended'; then
    die "$name: the rewritten module still ends with the original's (now wrong) signature"
  fi
  if [ "$rewrite" = gen ]; then
    objcopy --strip-debug "$u" || die "$name: objcopy --strip-debug failed"
  fi
done
declare -A summary=()
while IFS=$'\t' read -r name text; do summary[$name]="$text"; done < <(
  "${helper[@]}" btf-summary "$work"/unpacked/*.ko || echo "FAILED	")
[ -z "${summary[FAILED]:-}" ] || die "a module has no .BTF.base after btfkit distill --in-place"
expect() {  # NAME: what the kernel should make of it, btfkit's relocation onto vmlinux
  [ -e "$work/expected/$1.btf" ] && return 0
  "$BTFKIT" relocate --base "$vmlinux_btf" "$work/unpacked/$1.ko" -o "$work/expected/$1.btf" \
    >"$work/logs/relocate-$1.log" 2>&1 || { cat "$work/logs/relocate-$1.log" >&2; die "btfkit relocate failed on $1"; }
}

# The plan: which module file each boot loads, in order, and what must happen to it.
# Boot 1: the modules under test with their dependencies, then the controls. A control whose
# name is already loaded in a boot (a module loads once per boot) goes to the next boot, after
# its own dependencies.
plan=()           # "BOOT<TAB>NAME<TAB>ROLE<TAB>DETAIL<TAB>KO"
declare -A in_boot=()
nboots=1
add() {  # BOOT NAME ROLE DETAIL KO
  plan+=("$1	$2	$3	${4:--}	$5")  # "-": read collapses empty tab-separated fields
  in_boot["$1/$2"]=1
}
declare -A wanted=()
for m in "${MODULES[@]}"; do
  m="${m//-/_}"
  wanted[$m]=1
  for d in ${deps_of[$m]}; do wanted[$d]=1; done
done
for c in "${ctl_name[@]}"; do
  for d in ${deps_of[$c]}; do wanted[$d]=1; done
done
for name in "${resolved[@]}"; do  # in load order
  [ -n "${wanted[$name]:-}" ] || continue
  expect "$name"
  add 1 "$name" positive "${notes_of[$name]}" "$work/unpacked/$name.ko"
done
for i in "${!ctl_name[@]}"; do
  name="${ctl_name[$i]}" mode="${ctl_mode[$i]}" other="${ctl_other[$i]}"
  b=1
  while [ -n "${in_boot[$b/$name]:-}" ]; do b=$((b + 1)); done
  [ "$b" -le "$nboots" ] || nboots=$b
  for d in ${deps_of[$name]}; do
    [ -n "${in_boot[$b/$d]:-}" ] || { expect "$d"; add "$b" "$d" positive "dependency of $name" "$work/unpacked/$d.ko"; }
  done
  args=()
  case "$mode" in
    rename) args=(--vmlinux-btf "$vmlinux_btf") ;;
    foreign-base) args=(--other "$work/unpacked/$other.ko") ;;
    stale-btf-ids) args=(--orig "${file_of[$name]}") ;;
    drop-base) expect "$name" ;;
  esac
  ko="$work/ko/$name.$mode.ko"
  msg="$("${helper[@]}" corrupt "$mode" "$work/unpacked/$name.ko" "$ko" "${args[@]}")" ||
    die "could not make the control $name:$mode"
  add "$b" "$name" "${role_of_mode[$mode]}" "$mode${other:+ of $other}" "$ko"
  summary["$name:$mode"]="$msg"
done

# btfkit check's prediction for each module file, compared with the kernel's verdict later
printf '# boot\tname\trole\tdetail\tbtfkit-check\tfile\n' > "$work/plan.tsv"
for row in "${plan[@]}"; do
  IFS=$'\t' read -r b name role detail ko <<<"$row"
  [ "$detail" != - ] || detail=""
  rc=0
  "$BTFKIT" check --base "$vmlinux_btf" "$ko" >"$work/logs/check-$name-$b.log" 2>&1 || rc=$?
  case $rc in
    0) verdict=ok ;; 1) verdict=refused ;;
    *) cat "$work/logs/check-$name-$b.log" >&2; die "btfkit check failed on $ko (exit $rc)" ;;
  esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$name" "$role" "${detail:--}" "$verdict" "$ko" >> "$work/plan.tsv"
  if [ "$role" = positive ]; then
    printf '  boot %s  %-16s %-10s %s%s\n' "$b" "$name" "$role" "${summary[$name]}" "${detail:+  [$detail]}"
    [[ "$detail" != *.BTF_ids* ]] ||
      echo "      note: $name has .BTF_ids (kfuncs, struct_ops): it loads only if distill rewrites them (issue 6)"
  else
    printf '  boot %s  %-16s %-10s %s\n' "$b" "$name" "$role" "${summary[$name:${detail%% *}]}"
  fi
done

# ---------------------------------------------------------------------------------------------
for b in $(seq 1 "$nboots"); do
  say "boot $b of $nboots ($accel)"
  d="$work/boot$b"
  mkdir -p "$d/initramfs/bin" "$d/initramfs/modules"
  i=0
  while IFS=$'\t' read -r pb name _role _detail _verdict ko; do
    [ "$pb" = "$b" ] || continue
    i=$((i + 1))
    f="$(printf '%02d' $i)-$name.ko"
    cp "$ko" "$d/initramfs/modules/$f"
    echo "$name $f" >> "$d/initramfs/modules/list"
  done < <(grep -v '^#' "$work/plan.tsv")
  cp "$busybox" "$d/initramfs/bin/busybox"
  cp "$here/init.sh" "$d/initramfs/init"
  chmod 755 "$d/initramfs/init" "$d/initramfs/bin/busybox"
  "${helper[@]}" cpio "$d/initramfs.cpio" "$d/initramfs"
  echo "initramfs: $(stat -c %s "$d/initramfs.cpio") bytes; loads $(cut -d' ' -f1 "$d/initramfs/modules/list" | tr '\n' ' ')"
  tb=$SECONDS
  rc=0
  timeout "$timeout_s" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m 1024 -smp 1 -nodefaults \
    -display none -no-reboot -serial "file:$d/console.log" \
    -kernel "$vmlinuz" -initrd "$d/initramfs.cpio" \
    -append 'console=ttyS0 panic=-1 quiet no_timer_check' </dev/null >"$d/qemu.log" 2>&1 || rc=$?
  echo "qemu exited with $rc after $((SECONDS - tb))s; console: $d/console.log"
  if [ "$rc" -ne 0 ]; then
    cat "$d/qemu.log" >&2
    tail -n 40 "$d/console.log" >&2 || true
    [ "$rc" -ne 124 ] || die "the guest did not power off within ${timeout_s}s (BTFKIT_E2E_TIMEOUT)"
    die "qemu failed (exit $rc)"
  fi
done

# ---------------------------------------------------------------------------------------------
say "verdict"
rc=0
"${helper[@]}" verify "$work/plan.tsv" "$work" "$work/expected" "$work/out" "$vmlinux_btf" || rc=$?
echo
how="distill --in-place"
[ "$rewrite" = distill ] || how="gen --in-place --distill (BTF from DWARF)"
echo "kernel $pkg=$ver; modules rewritten with btfkit $how"
echo "artifacts: $work (plan.tsv, boot*/console.log, out/kernel-log-boot*.txt, out/*.sysfs.btf, expected/)"
echo "time: $((SECONDS - t0))s"
if [ "$rc" -eq 0 ]; then
  echo "kernel-accepts: PASS"
else
  echo "kernel-accepts: FAIL"
  exit 1
fi
