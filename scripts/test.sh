#!/usr/bin/env bash
# The test command. On a fresh Debian 12 machine as root it installs what it needs, then:
#   1. checks the layering rule; builds with warnings as errors with g++ (and runs clang-tidy
#      with .clang-tidy's checks on that build), each store option off, a shared library
#      (checked to export the public API only: scripts/check-exports.sh), and again with
#      AddressSanitizer + UndefinedBehaviorSanitizer built by clang++ (the clang build: its
#      warnings as errors too) and with ThreadSanitizer built by g++ (these two as unity builds);
#   2. starts a throwaway PostgreSQL cluster (pg_virtualenv) and a sharded one (a coordinator
#      and 2 servers: ../shared/tools/pg-shards), and runs every test of every build against
#      them. The PostgreSQL tests fail, never skip, when no server is reachable;
#   3. fuzzes each parser of untrusted bytes for METERED_FUZZ_SECONDS (20) seconds, two at a
#      time, with the libFuzzer targets of the ASan + UBSan build (scripts/fuzz.sh);
#   4. installs the package and builds a consumer with find_package, with pkg-config and
#      with add_subdirectory (and of the shared library's package, with find_package and
#      pkg-config), and runs each; runs every example's --help;
#   5. tests the dashboard example in Debian's headless Chromium (playwright-core from
#      npm drives /usr/bin/chromium; no browser is downloaded), then sends the real
#      server hostile requests (tests/dashboard/hostile.test.mjs, Node built-ins only).
# METERED_SANITIZERS=0 skips the sanitizer builds (a plain clang++ build stands in for them),
# METERED_FUZZ=0 the fuzzing,
# METERED_BROWSER=0 the browser test
# (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's heading carries the minutes and seconds since the start.
METERED_TEST_START=$(date +%s)
stage() {
  local elapsed=$(($(date +%s) - METERED_TEST_START))
  echo "== [$((elapsed / 60))m$((elapsed % 60))s] $*"
}
export METERED_TEST_START
scripts/deps.sh

stage "layers: no file includes one above it (CONTRIBUTING.md)"
scripts/check-layers.sh
stage "format: every C++ file as .clang-format writes it"
scripts/format.sh --check

# ccache: the builds below share most of their translation units. With -g ccache hashes
# the build directory by default, so no build would hit another's entries: hash_dir off.
export CCACHE_DIR="${CCACHE_DIR:-$PWD/build/ccache}" CCACHE_NOHASHDIR=1
# build DIR [CMAKE_OPTION...]: configures DIR and builds every target, or only those named
# in $targets (e.g. targets="metered" build ...).
build() {
  local dir=$1
  shift
  # Line tables only (-g1): file:line in every sanitizer report, a fifth less compile time.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DMETERED_WARNINGS_AS_ERRORS=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j2 ${targets:+--target $targets}
}

builds=(build/test)
build build/test -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
stage "clang-tidy: the checks of .clang-tidy over src/, examples/ and tools/ (a warning fails)"
run-clang-tidy-14 -p build/test -j2 -quiet "^$PWD/(src|examples|tools)/" >build/clang-tidy.log 2>&1 ||
  { grep -v '^clang-tidy-14 ' build/clang-tidy.log; exit 1; }
stage "options: each store off (benchmarks built without PostgreSQL), both off, a shared library"
# Each configures whole (every CMakeLists.txt read under the option); the library, one
# program that links it and, without PostgreSQL, the benchmarks are built (their sources do
# not change with the options: what can break is what they link and configure).
targets="metered quickstart metered_micro metered_segment_pages" build build/options-no-postgres -DMETERED_WITH_POSTGRES=OFF \
  -DMETERED_BUILD_BENCHMARKS=ON -DMETERED_BUILD_TESTS=OFF
targets="metered quickstart" build build/options-no-sqlite -DMETERED_WITH_SQLITE=OFF -DMETERED_BUILD_TESTS=OFF
targets="metered quickstart" build build/options-memory-only -DMETERED_WITH_POSTGRES=OFF -DMETERED_WITH_SQLITE=OFF \
  -DMETERED_BUILD_TESTS=OFF
# The shared library and the one example on it (the installed package's consumers below link
# it too); without the tools, whose install would need them built.
targets="metered quickstart" build build/options-shared -DBUILD_SHARED_LIBS=ON -DMETERED_BUILD_TESTS=OFF \
  -DMETERED_BUILD_TOOLS=OFF
(cd build/options-shared && examples/quickstart >/dev/null)
scripts/check-exports.sh build/options-shared/libmetered.so  # the public API only (include/metered/export.h)
if [ "${METERED_SANITIZERS:-1}" != 0 ]; then
  stage "clang: AddressSanitizer + UndefinedBehaviorSanitizer, built with clang++ (its own warnings, as errors)"
  # Here and in the TSan build the headers are not compiled alone again, nor each source:
  # build/test did, so these two are unity builds (8 sources a translation unit: half the
  # compile time; the tests' and the library's file-scope names are unique for it), and
  # their property tests try 500 cases (build/test tries 3000).
  # The fuzz targets too: they link this library, instrumented for libFuzzer as well.
  sanitizer_build=(-DCMAKE_UNITY_BUILD=ON -DMETERED_PROPERTY_CASES=500 -DMETERED_BUILD_EXAMPLES=OFF
    -DMETERED_BUILD_TOOLS=OFF -DMETERED_CHECK_HEADERS=OFF)
  build build/asan "-DMETERED_SANITIZE=address;undefined" -DCMAKE_CXX_COMPILER=clang++ -DMETERED_BUILD_FUZZERS=ON \
    "${sanitizer_build[@]}"
  stage "ThreadSanitizer (g++)"
  build build/tsan -DMETERED_SANITIZE=thread "${sanitizer_build[@]}"
  builds+=(build/asan build/tsan)
else
  stage "clang: the same build with clang++ (its own warnings, as errors)"
  build build/clang -DCMAKE_CXX_COMPILER=clang++ -DMETERED_BUILD_EXAMPLES=OFF -DMETERED_BUILD_TOOLS=OFF
  builds+=(build/clang)
fi

# The sharded tests' cluster: a coordinator and 2 servers on loopback (PostgreSQL 15 with
# postgres_fdw and PL/Proxy), from ../shared/tools/pg-shards; its PG_SHARD* variables reach
# the tests. Without the tool a CI run fails here; elsewhere the sharded tests say they are
# skipped (ctest counts them as skipped, never as passed).
shards_tool=../shared/tools/pg-shards
if [ -x "$shards_tool" ]; then
  stage "sharded cluster: ${shards_tool} start (a coordinator and 2 servers on loopback)"
  shards_dir=$(mktemp -d /tmp/metered-shards.XXXXXX)
  chmod 755 "$shards_dir"
  trap '"$shards_tool" stop "$shards_dir" >/dev/null 2>&1 || true; rm -rf "$shards_dir"' EXIT
  set -a
  # Ports 31500-31502: below the kernel's ephemeral ports (32768-60999), which the tests'
  # many client connections draw from.
  shards_env=$(PG_FAST=1 PG_BASE_PORT=31500 "$shards_tool" start "$shards_dir")  # exits here if it fails
  eval "$shards_env"
  set +a
elif [ "${CI:-}" = true ]; then
  echo "scripts/test.sh: ${shards_tool} is missing, so the sharded tests cannot run (CI=true)" >&2
  exit 1
else
  echo "scripts/test.sh: ${shards_tool} is missing: the sharded tests are skipped" >&2
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# -t: the cluster lives in a temporary directory even as root, never in /etc/postgresql, so a
# cluster left behind by a killed earlier run (or another run beside this one) cannot stop this one.
# The sanitizer builds leave out the store contract run through the PL/Proxy coordinator (the
# same library code as the sharded run beside it, but for the proxy branch, which their
# [proxy] and fault tests run): the g++ build runs it whole.
pg_virtualenv -t -v 15 bash -c '
  for dir in "$@"; do
    echo "== [$(($(date +%s) - METERED_TEST_START))s] tests: $dir"
    exclude=()
    if [ "$dir" != build/test ]; then exclude=(-E "ProxiedShardedPostgresFixture\$"); fi
    ctest --test-dir "$dir" --output-on-failure -j2 "${exclude[@]}" || exit 1
  done' run-tests "${builds[@]}"

if [ "${METERED_FUZZ:-1}" != 0 ]; then
  stage "fuzz: every parser of untrusted bytes, ${METERED_FUZZ_SECONDS:-20} s each"
  if [ "${METERED_SANITIZERS:-1}" != 0 ]; then export METERED_FUZZ_BUILD=build/asan; fi
  scripts/fuzz.sh "${METERED_FUZZ_SECONDS:-20}"
fi

stage "package: find_package, pkg-config, add_subdirectory; the shared library's with find_package and pkg-config"
rm -rf build/install build/consumer-*
cmake --install build/test --prefix build/install >/dev/null
cmake -S tests/package -B build/consumer-installed -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/consumer-installed
build/consumer-installed/consumer
export PKG_CONFIG_PATH="$PWD/build/install/lib/pkgconfig"
# shellcheck disable=SC2046
g++ -std=c++20 tests/package/consumer.cpp $(pkg-config --cflags --libs metered) -o build/consumer-pkgconfig
build/consumer-pkgconfig
# The library's sources with build/test's flags, so that ccache gives their objects back.
cmake -S tests/package -B build/consumer-subdir -G Ninja -DMETERED_SOURCE_DIR="$PWD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DMETERED_WARNINGS_AS_ERRORS=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build/consumer-subdir -j2
build/consumer-subdir/consumer
# The shared library's package: its target and metered.pc pass METERED_SHARED on.
rm -rf build/install-shared
cmake --install build/options-shared --prefix build/install-shared >/dev/null
cmake -S tests/package -B build/consumer-shared -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install-shared" >/dev/null
cmake --build build/consumer-shared
build/consumer-shared/consumer
# shellcheck disable=SC2046
g++ -std=c++20 tests/package/consumer.cpp $(PKG_CONFIG_PATH="$PWD/build/install-shared/lib/pkgconfig" \
  pkg-config --cflags --libs metered) -o build/consumer-shared-pkgconfig
LD_LIBRARY_PATH="$PWD/build/install-shared/lib" build/consumer-shared-pkgconfig

stage "examples: --help"
for example in chat_backend voice_backend billing_overview billing_analytics plans billing_dashboard; do
  build/test/examples/$example --help >/dev/null
done
build/test/tools/metered-migrate --help >/dev/null
build/test/tools/metered --help >/dev/null
# (plans quote --llm's exact figures are checked by ctest: tests/examples/plans_quote_llm.cmake)

if [ "${METERED_BROWSER:-1}" != 0 ]; then
  stage "browser: the dashboard in headless Chromium"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)  # pinned, with its integrity hash
  node tests/browser/dashboard.test.mjs build/test/examples/billing_dashboard build/dashboard.png
fi
stage "dashboard: hostile requests (the real server; no browser needed)"
node tests/dashboard/hostile.test.mjs build/test/examples/billing_dashboard
echo "all tests passed"
