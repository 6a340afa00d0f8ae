#!/usr/bin/env bash
# The demo command: installs what it needs (Debian 12, as root), builds the examples and
# runs them end to end against the embedded default store (a SQLite file, no server):
# a chat backend and a voice backend record usage for three businesses, then the billing
# overview, the analytics JSON and a plan quote show what they owe.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=build/demo
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERED_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2
cd "$build/examples"
rm -f metered-demo.db metered-demo.db-wal metered-demo.db-shm

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step ./chat_backend --requests 3000
step ./voice_backend
step ./billing_overview --business "Acme Pizza"
step ./billing_analytics --business "Acme Pizza" --days 3
step ./plans quote --plan basic --api-calls 1500 --voice-minutes 75.5 --ai-queries 150 --storage-mb 1500
