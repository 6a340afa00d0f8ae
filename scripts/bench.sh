#!/usr/bin/env bash
# The benchmark command: installs what it needs (Debian 12, as root), builds in Release,
# starts a throwaway PostgreSQL 15 with durable settings (fsync and synchronous_commit on,
# as in production), and runs every benchmark side by side, printing one table with
# ratios and targets (docs/performance.md), then the micro-benchmarks. The genai section
# also runs @pydantic/genai-prices under node (installed below when node and npm are present).
# Arguments go to metered_bench, e.g. --ten-million, --ingest-events 500000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=build/bench
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERED_BUILD_TESTS=OFF -DMETERED_BUILD_EXAMPLES=OFF \
  -DMETERED_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j2
# The genai section's peer, @pydantic/genai-prices under node: bench-only, the version
# pinned in bench/genai_prices (with its integrity hash), installed into the build
# directory and never committed. Without node and npm the section says it was skipped.
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir -p "$build/genai_prices"
  cp bench/genai_prices/package.json bench/genai_prices/package-lock.json "$build/genai_prices/"
  npm ci --prefix "$build/genai_prices" --no-audit --no-fund --loglevel=error ||
    echo "bench.sh: npm ci of @pydantic/genai-prices failed: the genai section will say it was skipped" >&2
fi
# The scale section's sharded cluster (a coordinator and 2 servers on loopback, durable
# settings), from ../shared/tools/pg-shards when the checkout has it; stopped at exit.
if [ -x ../shared/tools/pg-shards ]; then
  shards_dir=$(mktemp -d /tmp/metered-bench-shards.XXXXXX)
  chmod 755 "$shards_dir"
  trap '../shared/tools/pg-shards stop "$shards_dir" >/dev/null 2>&1 || true; rm -rf "$shards_dir"' EXIT
  set -a
  # Ports 31600-31602: below the kernel's ephemeral ports (32768-60999), which the ingest
  # section's many client connections draw from (pg-shards' default, 55500, is among them),
  # and beside scripts/test.sh's 31500-31502.
  shards_env=$(PG_BASE_PORT=31600 ../shared/tools/pg-shards start "$shards_dir")  # exits here if it fails
  eval "$shards_env"
  set +a
fi
sync  # let the build's writes reach the disk before anything is timed
pg_virtualenv -t -v 15 -o fsync=on -o synchronous_commit=on -o shared_buffers=256MB \
  "$build/bench/metered_bench" "$@"
"$build/bench/metered_micro" --benchmark_min_time=0.2
