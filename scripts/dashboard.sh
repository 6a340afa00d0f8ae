#!/usr/bin/env bash
# Starts the billing dashboard on the embedded default store: installs what it needs
# (Debian 12, as root), builds the examples, fills scripts' demo store with a chat and a
# voice backend's usage if it is empty, and serves http://127.0.0.1:8080/ (Ctrl-C stops).
# Arguments go to billing_dashboard, e.g. --port 9000 or --store postgresql://...
set -euo pipefail
cd "$(dirname "$0")/.."
METERED_BROWSER=0 scripts/deps.sh
build=build/demo
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETERED_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2
cd "$build/examples"
if [ ! -f metered-demo.db ]; then
  ./chat_backend --requests 4000
  ./voice_backend
fi
exec ./billing_dashboard "$@"
