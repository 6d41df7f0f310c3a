#!/bin/busybox sh
# /init of the initramfs that tests/e2e/kernel-accepts.sh boots (busybox-static only).
#
# Loads the modules listed in /modules/list ("NAME FILE" per line, in order) and reports, on
# the serial console, lines starting with "@@E2E " that the host parses (tests/e2e/e2e.py):
#   BEGIN <uname -r>
#   VMLINUX sha256=<hex> size=<bytes>          of /sys/kernel/btf/vmlinux
#   PROBES <functions>                         kretprobes attached on the module-BTF steps
#   BOOTLOG <line>                             the kernel log before the first insmod
#   INSMOD <name> rc=<rc> <insmod output>
#   KMSG <name> <line>                         kernel log lines printed during that insmod
#   TRACE <name> <line>                        kretprobe hits during that insmod
#   SYSBTF <name> present size=<n> sha256=<hex> | SYSBTF <name> absent
#   B64 <name> <base64 line>                   /sys/kernel/btf/<name>, base64
#   END
# then powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /dev /proc /sys /tmp
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# only emergencies on the console: the kernel's messages must not cut our lines in half;
# the log is read with dmesg instead
echo "1 4 1 7" > /proc/sys/kernel/printk

M='@@E2E'
up() { echo "$M TIME $1 $(cut -d' ' -f1 /proc/uptime)"; }
echo "$M BEGIN $(uname -r)"
up start
sum=$(sha256sum /sys/kernel/btf/vmlinux | cut -d' ' -f1)
echo "$M VMLINUX sha256=$sum size=$(wc -c < /sys/kernel/btf/vmlinux)"
up vmlinux

# kretprobes on the steps of module BTF loading (kernel/bpf/btf.c, btf_relocate.c): the
# kernel's log does not always say why it refused a module's BTF, their return values do.
# Static functions may be renamed (.isra.0, .constprop.0) or inlined: take what kallsyms has.
T=/sys/kernel/tracing
probes=""
if [ -w "$T/kprobe_events" ]; then
  funcs="btf_parse_module btf_parse_base btf_parse_type_sec btf_check_all_metas btf_relocate btf_relocate_map_distilled_base btf_module_notify"
  re=$(echo "$funcs" | tr ' ' '|')
  # (grep -F first: busybox's grep -E over all of kallsyms takes seconds under TCG)
  grep -F ' btf_' /proc/kallsyms | grep -E " [tT] ($re)(\.[a-z]+\.[0-9]+)*\$" | cut -d' ' -f3 > /tmp/syms
  n=0
  for f in $funcs; do
    sym=$(grep -E "^$f(\.[a-z]+\.[0-9]+)*\$" /tmp/syms | head -n 1)
    [ -n "$sym" ] || continue
    case $f in
      btf_parse_module|btf_parse_base) t=x64 ;;  # return a pointer or ERR_PTR
      *) t=s32 ;;
    esac
    n=$((n + 1))
    echo "r:e2e/p$n $sym ret=\$retval:$t" >> "$T/kprobe_events" 2>/dev/null && probes="$probes $sym"
  done
  [ -z "$probes" ] || echo 1 > "$T/events/e2e/enable"
  echo > "$T/trace"
fi
echo "$M PROBES$probes"
up probes

dmesg -c | sed "s/^/$M BOOTLOG /"

while read -r name file; do
  [ -n "$name" ] || continue
  out=$(insmod "/modules/$file" 2>&1)
  rc=$?
  echo "$M INSMOD $name rc=$rc $(echo "$out" | tr '\n' ' ')"
  dmesg -c | sed "s/^/$M KMSG $name /"
  if [ -n "$probes" ]; then
    grep -v '^#' "$T/trace" | sed "s/^/$M TRACE $name /"
    echo > "$T/trace"
  fi
  f=/sys/kernel/btf/$name
  if [ -e "$f" ]; then
    sum=$(sha256sum "$f" | cut -d' ' -f1)
    echo "$M SYSBTF $name present size=$(wc -c < "$f") sha256=$sum"
    base64 "$f" | sed "s/^/$M B64 $name /"
  else
    echo "$M SYSBTF $name absent"
  fi
done < /modules/list

up end
echo "$M END"
sync
poweroff -f
