#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) in build/fuzz (or the
# build METERED_FUZZ_BUILD names) and runs each for N seconds (default 20), two at a time,
# on a copy of its seed corpus, so fuzzing never writes
# into the repository. Fails, printing the crash and where the input was saved, if any
# target crashes or breaks one of its invariants.
#   scripts/fuzz.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
targets=(decimal price_book metadata wav conninfo spool_record llm_usage rate_card dead_letter)
# METERED_FUZZ_BUILD: an existing clang ASan + UBSan build configured with
# METERED_BUILD_FUZZERS=ON (the test command's build/asan); otherwise build/fuzz, made here.
build=${METERED_FUZZ_BUILD:-build/fuzz}
if [ -z "${METERED_FUZZ_BUILD:-}" ]; then
  cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMETERED_BUILD_FUZZERS=ON -DMETERED_WARNINGS_AS_ERRORS=ON -DMETERED_BUILD_TESTS=OFF \
    -DMETERED_BUILD_EXAMPLES=OFF -DMETERED_BUILD_TOOLS=OFF -DMETERED_INSTALL=OFF >/dev/null
fi
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One target: fuzz it, print its summary (or the crash); fails if it crashed.
fuzz() {
  local target=$1 work=$build/run/$1
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  cp fuzz/corpus/"$target"/* "$work/corpus/"
  if ! "$build"/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/log" 2>&1; then
    tail -n 60 "$work/log"
    echo "fuzz_$target FAILED (input saved in $work/crashes/)" >&2
    return 1
  fi
  echo "fuzz_$target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work/log"), corpus $(ls "$work/corpus" | wc -l) inputs"
}
# Two at a time: a libFuzzer process uses one core.
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  fuzz "${targets[i]}" &
  first=$!
  status=0
  if ((i + 1 < ${#targets[@]})); then fuzz "${targets[i + 1]}" || status=1; fi
  wait "$first" || status=1
  [ "$status" = 0 ] || exit 1
done
