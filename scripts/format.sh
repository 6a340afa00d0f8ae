#!/usr/bin/env bash
# Formats every C++ file git tracks with .clang-format; `--check` only reports (the test
# command runs that, and fails on any difference).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = --check ]; then
  clang-format-14 --dry-run --Werror "${files[@]}"
else
  clang-format-14 -i "${files[@]}"
fi
