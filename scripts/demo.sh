#!/usr/bin/env bash
# The demo command: installs what it needs (Debian 12, as root), builds the examples and
# runs them against the embedded default store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=build/demo
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERED_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2
"$build/examples/quickstart"
