#!/usr/bin/env bash
# The test command. On a fresh Debian 12 machine as root it installs what it needs, then:
#   1. builds with warnings as errors, and again with AddressSanitizer + UndefinedBehavior-
#      Sanitizer and with ThreadSanitizer;
#   2. starts a throwaway PostgreSQL cluster (pg_virtualenv) and runs every test of every
#      build against it. The PostgreSQL tests fail, never skip, when no server is reachable.
# METERED_SANITIZERS=0 skips the sanitizer builds (a quicker local run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERED_WARNINGS_AS_ERRORS=ON "$@" >/dev/null
  cmake --build "$dir" -j2
}

builds=(build/test)
build build/test
if [ "${METERED_SANITIZERS:-1}" != 0 ]; then
  build build/asan "-DMETERED_SANITIZE=address;undefined" -DMETERED_BUILD_EXAMPLES=OFF -DMETERED_BUILD_TOOLS=OFF
  build build/tsan -DMETERED_SANITIZE=thread -DMETERED_BUILD_EXAMPLES=OFF -DMETERED_BUILD_TOOLS=OFF
  builds+=(build/asan build/tsan)
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
pg_virtualenv -v 15 bash -c '
  for dir in "$@"; do
    echo "== tests: $dir"
    ctest --test-dir "$dir" --output-on-failure -j2 || exit 1
  done' run-tests "${builds[@]}"
