#!/usr/bin/env bash
# The benchmark command: installs what it needs (Debian 12, as root), builds in Release,
# starts a throwaway PostgreSQL 15 with durable settings (fsync and synchronous_commit on,
# as in production), and runs every benchmark side by side, printing one table with
# ratios and targets (docs/performance.md), then the micro-benchmarks.
# Arguments go to metered_bench, e.g. --ten-million, --ingest-events 500000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=build/bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERED_BUILD_TESTS=OFF -DMETERED_BUILD_EXAMPLES=OFF \
  -DMETERED_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j2
sync  # let the build's writes reach the disk before anything is timed
pg_virtualenv -v 15 -o fsync=on -o synchronous_commit=on -o shared_buffers=256MB \
  "$build/bench/metered_bench" "$@"
"$build/bench/metered_micro" --benchmark_min_time=0.2
