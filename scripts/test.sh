#!/usr/bin/env bash
# The test command: installs what it needs (Debian 12, as root), configures and builds with
# warnings as errors, starts a throwaway PostgreSQL cluster (pg_virtualenv) and runs every
# test against it. The PostgreSQL tests fail, never skip, when no server is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=build/test
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERED_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" -j2
pg_virtualenv -v 15 ctest --test-dir "$build" --output-on-failure -j2
