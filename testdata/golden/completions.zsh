#compdef btfkit

autoload -U is-at-least

_btfkit() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_btfkit_commands" \
"*::: :->btfkit" \
&& ret=0
    case $state in
    (btfkit)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:btfkit-command-$line[1]:"
        case $line[1] in
            (dump)
_arguments "${_arguments_options[@]}" : \
'-B+[Base BTF for split (module) input\: raw BTF or a vmlinux ELF, any compression. Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE]:BASE:_files' \
'--base=[Base BTF for split (module) input\: raw BTF or a vmlinux ELF, any compression. Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE]:BASE:_files' \
'-f+[Output format]:FORMAT:((raw\:"Byte-identical to \`bpftool btf dump file INPUT format raw\`"
json\:"One JSON document (schema\: docs/json-format.md)"))' \
'--format=[Output format]:FORMAT:((raw\:"Byte-identical to \`bpftool btf dump file INPUT format raw\`"
json\:"One JSON document (schema\: docs/json-format.md)"))' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--no-validate[Read the input without validating it first (forensics)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':input -- Raw BTF, ELF object (.o, .ko, vmlinux), compressed module, sysfs file, or - for stdin:_files' \
&& ret=0
;;
(distill)
_arguments "${_arguments_options[@]}" : \
'-B+[The vmlinux BTF the modules were built against (raw, ELF, any compression)]:BASE:_files' \
'--base=[The vmlinux BTF the modules were built against (raw, ELF, any compression)]:BASE:_files' \
'(--out-dir)--out-base=[Where to write the distilled base (one input; - for standard output)]:FILE:_files' \
'(--out-dir)--out-split=[Where to write the new split BTF (one input; - for standard output)]:FILE:_files' \
'(-o --out --in-place)--out-dir=[Batch mode\: write DIR/<stem>.btf and DIR/<stem>.btf.base for every input (DIR is skipped when it lies inside an input directory)]:DIR:_files' \
'(--out-base --out-split --in-place)-o+[Write the module (one .ko input) with its new .BTF and .BTF.base to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'(--out-base --out-split --in-place)--out=[Write the module (one .ko input) with its new .BTF and .BTF.base to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'--order=[Which bytes to write\: \`kernel\` as the kernel'\''s own build (Linux 6.19+, resolve_btfids\: types sorted by name, the 32-byte header of its libbpf), \`libbpf\` as libbpf 1.7'\''s btf__distill_base; \`auto\`\: kernel when the vmlinux BTF the result is for is sorted by name (built by Linux 6.19 or later), else libbpf]:ORDER:_default' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'(--out-base --out-split)--in-place[Rewrite the .ko files in place; directories are searched recursively for *.ko, *.ko.xz, *.ko.gz, *.ko.zst. Files with several hard links are refused]' \
'--no-validate[Skip validating the inputs (forensics)]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Module BTF\: raw split BTF, .ko (any compression), sysfs file, - for standard input; with --out-dir or --in-place also directories, searched recursively:_files' \
&& ret=0
;;
(dedup)
_arguments "${_arguments_options[@]}" : \
'-B+[The vmlinux BTF split INPUTs are over (raw, ELF, any compression); the output is split BTF over it]:BASE:_files' \
'--base=[The vmlinux BTF split INPUTs are over (raw, ELF, any compression); the output is split BTF over it]:BASE:_files' \
'-o+[Where to write the deduplicated BTF (raw; - for standard output)]:OUT:_files' \
'--out=[Where to write the deduplicated BTF (raw; - for standard output)]:OUT:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--no-validate[Read the inputs without validating them, and do not validate the output (forensics)]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- BTF files\: raw BTF, ELF objects (.o, .ko, vmlinux), any compression, - for stdin:_files' \
&& ret=0
;;
(gen)
_arguments "${_arguments_options[@]}" : \
'-B+[The BTF of the kernel the modules are for (raw, /sys/kernel/btf/vmlinux, vmlinux ELF; any compression)]:VMLINUX:_files' \
'--base=[The BTF of the kernel the modules are for (raw, /sys/kernel/btf/vmlinux, vmlinux ELF; any compression)]:VMLINUX:_files' \
'(--in-place --out-dir)-o+[Write the module (one input) with its BTF to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'(--in-place --out-dir)--out=[Write the module (one input) with its BTF to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'--out-dir=[Write DIR/NAME.btf (and DIR/NAME.btf.base with --distill) for every input]:DIR:_files' \
'--order=[Which bytes to write\: \`kernel\` as the kernel'\''s own build (Linux 6.19+, resolve_btfids\: types sorted by name, the 32-byte header of its libbpf), \`libbpf\` as libbpf 1.7'\''s btf__distill_base; \`auto\`\: kernel when the vmlinux BTF the result is for is sorted by name (built by Linux 6.19 or later), else libbpf]:ORDER:_default' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'(--out-dir)--in-place[Write the BTF into the .ko files themselves; directories are searched recursively. Files with several hard links are refused]' \
'--distill[Distill\: .BTF over a new .BTF.base, as the kernel'\''s build does for out-of-tree modules]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Objects with DWARF (.ko, any compression; directories searched recursively):_files' \
&& ret=0
;;
(relocate)
_arguments "${_arguments_options[@]}" : \
'-B+[The vmlinux BTF to relocate onto (raw, ELF, any compression)]:BASE:_files' \
'--base=[The vmlinux BTF to relocate onto (raw, ELF, any compression)]:BASE:_files' \
'--dist-base=[The distilled base of a raw split INPUT (default\: INPUT.base next to it)]:FILE:_files' \
'-o+[Where to write the relocated split BTF (raw; - for standard output)]:OUT:_files' \
'--out=[Where to write the relocated split BTF (raw; - for standard output)]:OUT:_files' \
'--id-map=[Also write the id map (distilled/split id → new id) and string map as JSON]:MAP.json:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--strict-kinds[Match a distilled STRUCT/UNION only against a base STRUCT/UNION (libbpf and the kernel match any kind of the same name)]' \
'--no-validate[Skip validating the inputs (forensics)]' \
'-h[Print help]' \
'--help[Print help]' \
':input -- A .ko with .BTF and .BTF.base (any compression), or a raw split BTF file:_files' \
&& ret=0
;;
(retarget)
_arguments "${_arguments_options[@]}" : \
'--from=[The vmlinux BTF the modules were built against (raw, ELF, any compression)]:OLD_VMLINUX:_files' \
'--to=[The vmlinux BTF to retarget the modules onto]:NEW_VMLINUX:_files' \
'(--in-place)-o+[Write the module (one input) to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'(--in-place)--out=[Write the module (one input) to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'--order=[Which bytes to write\: \`kernel\` as the kernel'\''s own build (Linux 6.19+, resolve_btfids\: types sorted by name, the 32-byte header of its libbpf), \`libbpf\` as libbpf 1.7'\''s btf__distill_base; \`auto\`\: kernel when the vmlinux BTF the result is for is sorted by name (built by Linux 6.19 or later), else libbpf]:ORDER:_default' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--in-place[Rewrite the .ko files in place; directories are searched recursively. Files with several hard links are refused]' \
'--strict-kinds[Match a distilled STRUCT/UNION only against a STRUCT/UNION of NEW_VMLINUX (libbpf and the kernel match any kind of the same name)]' \
'--no-validate[Skip validating the inputs (forensics)]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Module files (.ko, any compression), or directories with --in-place:_files' \
&& ret=0
;;
(strip)
_arguments "${_arguments_options[@]}" : \
'(--in-place)-o+[Write the module (one input) to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'(--in-place)--out=[Write the module (one input) to OUT (compressed as OUT'\''s name says\: .ko none, .xz, .gz, .zst; else as the input; - for standard output)]:OUT:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--in-place[Rewrite the .ko files in place; directories are searched recursively. Files with several hard links are refused]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Module files (.ko, any compression), or directories with --in-place:_files' \
&& ret=0
;;
(sort)
_arguments "${_arguments_options[@]}" : \
'-B+[The vmlinux BTF that split input is built against (not needed for base BTF, or for a module with .BTF.base, which is sorted over it)]:BASE:_files' \
'--base=[The vmlinux BTF that split input is built against (not needed for base BTF, or for a module with .BTF.base, which is sorted over it)]:BASE:_files' \
'(--in-place)-o+[Where to write the result (one input; - for standard output)\: raw BTF for raw input, a module for a module]:OUT:_files' \
'(--in-place)--out=[Where to write the result (one input; - for standard output)\: raw BTF for raw input, a module for a module]:OUT:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--in-place[Rewrite the .ko files in place; directories are searched recursively. Files with several hard links are refused]' \
'--no-validate[Skip validating the input (forensics)]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Raw BTF, or modules (.ko, any compression; directories with --in-place); - for standard input:_files' \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
'-B+[The target kernel'\''s vmlinux BTF (raw, ELF, any compression)]:TARGET:_files' \
'--base=[The target kernel'\''s vmlinux BTF (raw, ELF, any compression)]:TARGET:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Module files or directories:_files' \
&& ret=0
;;
(validate)
_arguments "${_arguments_options[@]}" : \
'-B+[Base BTF for split (module) inputs]:BASE:_files' \
'--base=[Base BTF for split (module) inputs]:BASE:_files' \
'--max-errors=[Show at most this many problems per input (0\: all)]:MAX_ERRORS:_default' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'*::inputs -- Raw BTF, ELF objects, compressed modules, sysfs files:_files' \
&& ret=0
;;
(info)
_arguments "${_arguments_options[@]}" : \
'-B+[Base BTF for split (module) input\: raw BTF or a vmlinux ELF, any compression. Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE]:BASE:_files' \
'--base=[Base BTF for split (module) input\: raw BTF or a vmlinux ELF, any compression. Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE]:BASE:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--no-validate[Read the input without validating it first (forensics)]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
':input -- Raw BTF, ELF object, compressed module, sysfs file, or - for stdin:_files' \
&& ret=0
;;
(ids)
_arguments "${_arguments_options[@]}" : \
'-B+[The vmlinux BTF the module was built against (plain split BTF), or to relocate a distilled module onto (raw, ELF, any compression)]:BASE:_files' \
'--base=[The vmlinux BTF the module was built against (plain split BTF), or to relocate a distilled module onto (raw, ELF, any compression)]:BASE:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--no-validate[Read the BTF without validating it first (forensics)]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
':input -- A module or object file (any compression):_files' \
&& ret=0
;;
(extract)
_arguments "${_arguments_options[@]}" : \
'-o+[Where to write the BTF (- for standard output)]:OUT:_files' \
'--out=[Where to write the BTF (- for standard output)]:OUT:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'--no-validate[Do not validate the .BTF section of an ELF (forensics; scanned images are always validated, that is how their BTF is found)]' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
':image -- The kernel image (vmlinuz, bzImage, vmlinux, Image, Image.gz, ...), or - for standard input:_files' \
&& ret=0
;;
(scan)
_arguments "${_arguments_options[@]}" : \
'-B+[The vmlinux BTF to check against (raw, ELF, vmlinuz\: any image \`extract\` reads)]:VMLINUX:_files' \
'--against=[The vmlinux BTF to check against (raw, ELF, vmlinuz\: any image \`extract\` reads)]:VMLINUX:_files' \
'()--kernel=[The modules of this installed kernel release]:RELEASE:_default' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'(-q --quiet)-j[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'(-q --quiet)--json[Print the report as one JSON document on standard output (schema\: docs/json-reports.md)]' \
'-q[No progress bar and no per-module lines\: only errors and the exit status]' \
'--quiet[No progress bar and no per-module lines\: only errors and the exit status]' \
'-h[Print help]' \
'--help[Print help]' \
'::dir -- A directory of modules (searched recursively), or module files:_files' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--dir=[Write btfkit.1 and one btfkit-COMMAND.1 per subcommand into DIR instead]:DIR:_files' \
'--max-input-size=[The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB]:BYTES:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_btfkit__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:btfkit-help-command-$line[1]:"
        case $line[1] in
            (dump)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(distill)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(dedup)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(gen)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(relocate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(retarget)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(strip)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(sort)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(validate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(info)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(ids)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(extract)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(scan)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_btfkit_commands] )) ||
_btfkit_commands() {
    local commands; commands=(
'dump:Print types\: bpftool'\''s raw text format, or JSON' \
'distill:Distill module BTF\: a new split BTF over a small distilled base (.BTF.base)' \
'dedup:Deduplicate BTF, or merge several BTFs (modules over their vmlinux) into one' \
'gen:Generate module BTF from DWARF, as the kernel'\''s build does (pahole + resolve_btfids)' \
'relocate:Relocate split BTF from its distilled base onto a full vmlinux BTF' \
'retarget:Rewrite module BTF built against one vmlinux as split BTF against another' \
'strip:Remove .BTF and .BTF.base from kernel modules' \
'sort:Sort BTF types by name, as the kernel'\''s build (resolve_btfids) does' \
'check:Would the kernel with this vmlinux BTF accept these modules'\'' BTF?' \
'validate:Check BTF as the kernel would, listing every problem' \
'info:Summarize a BTF blob\: header, sections, types per kind' \
'ids:List a module'\''s .BTF_ids entries and what their ids are in its BTF' \
'extract:Extract the vmlinux BTF of a kernel image (vmlinuz, bzImage, vmlinux, Image)' \
'scan:Classify every module of a tree (no BTF, split, distilled, invalid) and check it' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'man:Print the man page (roff), or write one page per subcommand into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'btfkit commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__check_commands] )) ||
_btfkit__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit check commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__completions_commands] )) ||
_btfkit__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit completions commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__dedup_commands] )) ||
_btfkit__subcmd__dedup_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit dedup commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__distill_commands] )) ||
_btfkit__subcmd__distill_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit distill commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__dump_commands] )) ||
_btfkit__subcmd__dump_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit dump commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__extract_commands] )) ||
_btfkit__subcmd__extract_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit extract commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__gen_commands] )) ||
_btfkit__subcmd__gen_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit gen commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help_commands] )) ||
_btfkit__subcmd__help_commands() {
    local commands; commands=(
'dump:Print types\: bpftool'\''s raw text format, or JSON' \
'distill:Distill module BTF\: a new split BTF over a small distilled base (.BTF.base)' \
'dedup:Deduplicate BTF, or merge several BTFs (modules over their vmlinux) into one' \
'gen:Generate module BTF from DWARF, as the kernel'\''s build does (pahole + resolve_btfids)' \
'relocate:Relocate split BTF from its distilled base onto a full vmlinux BTF' \
'retarget:Rewrite module BTF built against one vmlinux as split BTF against another' \
'strip:Remove .BTF and .BTF.base from kernel modules' \
'sort:Sort BTF types by name, as the kernel'\''s build (resolve_btfids) does' \
'check:Would the kernel with this vmlinux BTF accept these modules'\'' BTF?' \
'validate:Check BTF as the kernel would, listing every problem' \
'info:Summarize a BTF blob\: header, sections, types per kind' \
'ids:List a module'\''s .BTF_ids entries and what their ids are in its BTF' \
'extract:Extract the vmlinux BTF of a kernel image (vmlinuz, bzImage, vmlinux, Image)' \
'scan:Classify every module of a tree (no BTF, split, distilled, invalid) and check it' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'man:Print the man page (roff), or write one page per subcommand into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'btfkit help commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__check_commands] )) ||
_btfkit__subcmd__help__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help check commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__completions_commands] )) ||
_btfkit__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help completions commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__dedup_commands] )) ||
_btfkit__subcmd__help__subcmd__dedup_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help dedup commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__distill_commands] )) ||
_btfkit__subcmd__help__subcmd__distill_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help distill commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__dump_commands] )) ||
_btfkit__subcmd__help__subcmd__dump_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help dump commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__extract_commands] )) ||
_btfkit__subcmd__help__subcmd__extract_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help extract commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__gen_commands] )) ||
_btfkit__subcmd__help__subcmd__gen_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help gen commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__help_commands] )) ||
_btfkit__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help help commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__ids_commands] )) ||
_btfkit__subcmd__help__subcmd__ids_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help ids commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__info_commands] )) ||
_btfkit__subcmd__help__subcmd__info_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help info commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__man_commands] )) ||
_btfkit__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help man commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__relocate_commands] )) ||
_btfkit__subcmd__help__subcmd__relocate_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help relocate commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__retarget_commands] )) ||
_btfkit__subcmd__help__subcmd__retarget_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help retarget commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__scan_commands] )) ||
_btfkit__subcmd__help__subcmd__scan_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help scan commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__sort_commands] )) ||
_btfkit__subcmd__help__subcmd__sort_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help sort commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__strip_commands] )) ||
_btfkit__subcmd__help__subcmd__strip_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help strip commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__help__subcmd__validate_commands] )) ||
_btfkit__subcmd__help__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit help validate commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__ids_commands] )) ||
_btfkit__subcmd__ids_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit ids commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__info_commands] )) ||
_btfkit__subcmd__info_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit info commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__man_commands] )) ||
_btfkit__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit man commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__relocate_commands] )) ||
_btfkit__subcmd__relocate_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit relocate commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__retarget_commands] )) ||
_btfkit__subcmd__retarget_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit retarget commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__scan_commands] )) ||
_btfkit__subcmd__scan_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit scan commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__sort_commands] )) ||
_btfkit__subcmd__sort_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit sort commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__strip_commands] )) ||
_btfkit__subcmd__strip_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit strip commands' commands "$@"
}
(( $+functions[_btfkit__subcmd__validate_commands] )) ||
_btfkit__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'btfkit validate commands' commands "$@"
}

if [ "$funcstack[1]" = "_btfkit" ]; then
    _btfkit "$@"
else
    compdef _btfkit btfkit
fi
