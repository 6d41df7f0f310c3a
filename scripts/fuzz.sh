#!/usr/bin/env bash
# Runs cargo-fuzz targets for SECONDS each (default 60), BTFKIT_FUZZ_JOBS at a time (default:
# one per core), and fails if any of them crashes (panic, failed property, timeout,
# out-of-memory).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # no TARGET: every target in fuzz/Cargo.toml
#
# Installs cargo-fuzz from crates.io when it is missing; needs the nightly toolchain
# (`cargo +nightly`). Builds with debug assertions (overflow checks) and AddressSanitizer
# into $BTFKIT_FUZZ_TARGET_DIR (default ~/.cache/btfkit/fuzz-target, outside the checkout
# so that CI's fresh clones reuse the build). Each target starts from its committed seeds
# (fuzz/seeds/<target>/) and crash regressions (fuzz/regressions/<target>/) and grows its
# corpus in fuzz/corpus/<target>/ (not committed); a crashing input lands in
# fuzz/artifacts/<target>/. Logs: $BTFKIT_FUZZ_TARGET_DIR/logs/<target>.log. See
# fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
target_dir="${BTFKIT_FUZZ_TARGET_DIR:-$HOME/.cache/btfkit/fuzz-target}"
logs="$target_dir/logs"
mkdir -p "$logs"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

cd fuzz
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
flags=(--debug-assertions --target-dir "$target_dir")
# One build of every target; the runs below find it up to date.
if ! cargo +nightly fuzz build "${flags[@]}" >"$logs/build.log" 2>&1; then
  tail -n 40 "$logs/build.log" >&2
  exit 1
fi
# BTFKIT_FUZZ_KEEP_GOING=1 (a long campaign): do not stop at the first crash, collect
# every crashing input in fuzz/artifacts/<target>/ (libFuzzer's fork mode).
extra=()
if [ "${BTFKIT_FUZZ_KEEP_GOING:-0}" = 1 ]; then
  extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

# One target: run it, print its line, exit 1 on a crash.
run_target() {
  local t="$1" corpus="corpus/$1" log="$logs/$1.log" known result=ok
  mkdir -p "$corpus" "artifacts/$t"
  local dirs=("$corpus" "seeds/$t")
  [ -d "regressions/$t" ] && dirs+=("regressions/$t")
  known=$(ls "artifacts/$t" | wc -l)
  if ! cargo +nightly fuzz run "${flags[@]}" "$t" "${dirs[@]}" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    result=CRASH
  fi
  if [ "$(ls "artifacts/$t" | wc -l)" -gt "$known" ]; then
    result=CRASH
  fi
  local done_line runs rate cov ft corp
  done_line=$(grep -E '^#[0-9]+:?[[:space:]]' "$log" | grep ' cov: ' | tail -n 1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  runs=${runs:-$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$done_line")}
  rate=${rate:-$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$done_line")}
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
  printf '%-20s %10s %8s %6s %7s %6s %s\n' "$t" "${runs:--}" "${rate:--}" "${cov:--}" \
    "${ft:--}" "${corp:--}" "$result"
  if [ "$result" != ok ]; then
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -n 8 >&2 || true
    return 1
  fi
}

# BTFKIT_FUZZ_JOBS targets at a time (default: one per core); the lines come as they end.
jobs="${BTFKIT_FUZZ_JOBS:-$(nproc)}"
failed=()
declare -A pid_of=()
printf '%-20s %10s %8s %6s %7s %6s %s\n' target runs exec/s cov ft corp result
reap() { # waits for one target to end, records a crash
  local done_pid t status=0
  wait -n -p done_pid || status=$?
  for t in "${!pid_of[@]}"; do
    if [ "${pid_of[$t]}" = "$done_pid" ]; then
      [ "$status" = 0 ] || failed+=("$t")
      unset "pid_of[$t]"
    fi
  done
}
for t in "${targets[@]}"; do
  while [ "${#pid_of[@]}" -ge "$jobs" ]; do reap; done
  run_target "$t" &
  pid_of[$t]=$!
done
while [ "${#pid_of[@]}" -gt 0 ]; do reap; done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/, logs in $logs)" >&2
  exit 1
fi
