# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_btfkit_global_optspecs
    string join \n max-input-size= h/help V/version
end

function __fish_btfkit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_btfkit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_btfkit_using_subcommand
    set -l cmd (__fish_btfkit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c btfkit -n "__fish_btfkit_needs_command" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_needs_command" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_needs_command" -s V -l version -d 'Print version'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "dump" -d 'Print types: bpftool\'s raw text format, or JSON'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "distill" -d 'Distill module BTF: a new split BTF over a small distilled base (.BTF.base)'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "dedup" -d 'Deduplicate BTF, or merge several BTFs (modules over their vmlinux) into one'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "gen" -d 'Generate module BTF from DWARF, as the kernel\'s build does (pahole + resolve_btfids)'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "relocate" -d 'Relocate split BTF from its distilled base onto a full vmlinux BTF'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "retarget" -d 'Rewrite module BTF built against one vmlinux as split BTF against another'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "strip" -d 'Remove .BTF and .BTF.base from kernel modules'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "sort" -d 'Sort BTF types by name, as the kernel\'s build (resolve_btfids) does'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "check" -d 'Would the kernel with this vmlinux BTF accept these modules\' BTF?'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "validate" -d 'Check BTF as the kernel would, listing every problem'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "info" -d 'Summarize a BTF blob: header, sections, types per kind'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "ids" -d 'List a module\'s .BTF_ids entries and what their ids are in its BTF'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "extract" -d 'Extract the vmlinux BTF of a kernel image (vmlinuz, bzImage, vmlinux, Image)'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "scan" -d 'Classify every module of a tree (no BTF, split, distilled, invalid) and check it'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "man" -d 'Print the man page (roff), or write one page per subcommand into a directory'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s B -l base -d 'Base BTF for split (module) input: raw BTF or a vmlinux ELF, any compression. Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s f -l format -d 'Output format' -r -f -a "raw\t'Byte-identical to `bpftool btf dump file INPUT format raw`'
json\t'One JSON document (schema: docs/json-format.md)'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l no-validate -d 'Read the input without validating it first (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -s B -l base -d 'The vmlinux BTF the modules were built against (raw, ELF, any compression)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l out-base -d 'Where to write the distilled base (one input; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l out-split -d 'Where to write the new split BTF (one input; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l out-dir -d 'Batch mode: write DIR/<stem>.btf and DIR/<stem>.btf.base for every input (DIR is skipped when it lies inside an input directory)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -s o -l out -d 'Write the module (one .ko input) with its new .BTF and .BTF.base to OUT (compressed as OUT\'s name says: .ko none, .xz, .gz, .zst; else as the input; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l order -d 'Which bytes to write: `kernel` as the kernel\'s own build (Linux 6.19+, resolve_btfids: types sorted by name, the 32-byte header of its libbpf), `libbpf` as libbpf 1.7\'s btf__distill_base; `auto`: kernel when the vmlinux BTF the result is for is sorted by name (built by Linux 6.19 or later), else libbpf' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l in-place -d 'Rewrite the .ko files in place; directories are searched recursively for *.ko, *.ko.xz, *.ko.gz, *.ko.zst. Files with several hard links are refused'
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -l no-validate -d 'Skip validating the inputs (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand distill" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -s B -l base -d 'The vmlinux BTF split INPUTs are over (raw, ELF, any compression); the output is split BTF over it' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -s o -l out -d 'Where to write the deduplicated BTF (raw; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -l no-validate -d 'Read the inputs without validating them, and do not validate the output (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -s B -l base -d 'The BTF of the kernel the modules are for (raw, /sys/kernel/btf/vmlinux, vmlinux ELF; any compression)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -s o -l out -d 'Write the module (one input) with its BTF to OUT (compressed as OUT\'s name says: .ko none, .xz, .gz, .zst; else as the input; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -l out-dir -d 'Write DIR/NAME.btf (and DIR/NAME.btf.base with --distill) for every input' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -l order -d 'Which bytes to write: `kernel` as the kernel\'s own build (Linux 6.19+, resolve_btfids: types sorted by name, the 32-byte header of its libbpf), `libbpf` as libbpf 1.7\'s btf__distill_base; `auto`: kernel when the vmlinux BTF the result is for is sorted by name (built by Linux 6.19 or later), else libbpf' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -l in-place -d 'Write the BTF into the .ko files themselves; directories are searched recursively. Files with several hard links are refused'
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -l distill -d 'Distill: .BTF over a new .BTF.base, as the kernel\'s build does for out-of-tree modules'
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand gen" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s B -l base -d 'The vmlinux BTF to relocate onto (raw, ELF, any compression)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l dist-base -d 'The distilled base of a raw split INPUT (default: INPUT.base next to it)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s o -l out -d 'Where to write the relocated split BTF (raw; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l id-map -d 'Also write the id map (distilled/split id → new id) and string map as JSON' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l strict-kinds -d 'Match a distilled STRUCT/UNION only against a base STRUCT/UNION (libbpf and the kernel match any kind of the same name)'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l no-validate -d 'Skip validating the inputs (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l from -d 'The vmlinux BTF the modules were built against (raw, ELF, any compression)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l to -d 'The vmlinux BTF to retarget the modules onto' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -s o -l out -d 'Write the module (one input) to OUT (compressed as OUT\'s name says: .ko none, .xz, .gz, .zst; else as the input; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l order -d 'Which bytes to write: `kernel` as the kernel\'s own build (Linux 6.19+, resolve_btfids: types sorted by name, the 32-byte header of its libbpf), `libbpf` as libbpf 1.7\'s btf__distill_base; `auto`: kernel when the vmlinux BTF the result is for is sorted by name (built by Linux 6.19 or later), else libbpf' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l in-place -d 'Rewrite the .ko files in place; directories are searched recursively. Files with several hard links are refused'
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l strict-kinds -d 'Match a distilled STRUCT/UNION only against a STRUCT/UNION of NEW_VMLINUX (libbpf and the kernel match any kind of the same name)'
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -l no-validate -d 'Skip validating the inputs (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand retarget" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand strip" -s o -l out -d 'Write the module (one input) to OUT (compressed as OUT\'s name says: .ko none, .xz, .gz, .zst; else as the input; - for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand strip" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand strip" -l in-place -d 'Rewrite the .ko files in place; directories are searched recursively. Files with several hard links are refused'
complete -c btfkit -n "__fish_btfkit_using_subcommand strip" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand strip" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand strip" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -s B -l base -d 'The vmlinux BTF that split input is built against (not needed for base BTF, or for a module with .BTF.base, which is sorted over it)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -s o -l out -d 'Where to write the result (one input; - for standard output): raw BTF for raw input, a module for a module' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -l in-place -d 'Rewrite the .ko files in place; directories are searched recursively. Files with several hard links are refused'
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -l no-validate -d 'Skip validating the input (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand sort" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s B -l base -d 'The target kernel\'s vmlinux BTF (raw, ELF, any compression)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand validate" -s B -l base -d 'Base BTF for split (module) inputs' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand validate" -l max-errors -d 'Show at most this many problems per input (0: all)' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand validate" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand validate" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand validate" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand validate" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand info" -s B -l base -d 'Base BTF for split (module) input: raw BTF or a vmlinux ELF, any compression. Defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand info" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand info" -l no-validate -d 'Read the input without validating it first (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand info" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand info" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand info" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand ids" -s B -l base -d 'The vmlinux BTF the module was built against (plain split BTF), or to relocate a distilled module onto (raw, ELF, any compression)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand ids" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand ids" -l no-validate -d 'Read the BTF without validating it first (forensics)'
complete -c btfkit -n "__fish_btfkit_using_subcommand ids" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand ids" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand ids" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand extract" -s o -l out -d 'Where to write the BTF (- for standard output)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand extract" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand extract" -l no-validate -d 'Do not validate the .BTF section of an ELF (forensics; scanned images are always validated, that is how their BTF is found)'
complete -c btfkit -n "__fish_btfkit_using_subcommand extract" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand extract" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand extract" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand scan" -s B -l against -d 'The vmlinux BTF to check against (raw, ELF, vmlinuz: any image `extract` reads)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand scan" -l kernel -d 'The modules of this installed kernel release' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand scan" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand scan" -s j -l json -d 'Print the report as one JSON document on standard output (schema: docs/json-reports.md)'
complete -c btfkit -n "__fish_btfkit_using_subcommand scan" -s q -l quiet -d 'No progress bar and no per-module lines: only errors and the exit status'
complete -c btfkit -n "__fish_btfkit_using_subcommand scan" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand completions" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand completions" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand man" -l dir -d 'Write btfkit.1 and one btfkit-COMMAND.1 per subcommand into DIR instead' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand man" -l max-input-size -d 'The largest input (and decompressed input) to read, in bytes; real kernels stay far below the default of 2 GiB' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand man" -s h -l help -d 'Print help'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "dump" -d 'Print types: bpftool\'s raw text format, or JSON'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "distill" -d 'Distill module BTF: a new split BTF over a small distilled base (.BTF.base)'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "dedup" -d 'Deduplicate BTF, or merge several BTFs (modules over their vmlinux) into one'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "gen" -d 'Generate module BTF from DWARF, as the kernel\'s build does (pahole + resolve_btfids)'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "relocate" -d 'Relocate split BTF from its distilled base onto a full vmlinux BTF'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "retarget" -d 'Rewrite module BTF built against one vmlinux as split BTF against another'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "strip" -d 'Remove .BTF and .BTF.base from kernel modules'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "sort" -d 'Sort BTF types by name, as the kernel\'s build (resolve_btfids) does'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "check" -d 'Would the kernel with this vmlinux BTF accept these modules\' BTF?'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "validate" -d 'Check BTF as the kernel would, listing every problem'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "info" -d 'Summarize a BTF blob: header, sections, types per kind'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "ids" -d 'List a module\'s .BTF_ids entries and what their ids are in its BTF'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "extract" -d 'Extract the vmlinux BTF of a kernel image (vmlinuz, bzImage, vmlinux, Image)'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "scan" -d 'Classify every module of a tree (no BTF, split, distilled, invalid) and check it'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "man" -d 'Print the man page (roff), or write one page per subcommand into a directory'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump distill dedup gen relocate retarget strip sort check validate info ids extract scan completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
