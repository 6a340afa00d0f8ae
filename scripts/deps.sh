#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing metered need (run as root;
# does nothing when they are all present).
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config git ca-certificates tzdata
  libfmt-dev libhowardhinnant-date-dev nlohmann-json3-dev libssl-dev
  libcli11-dev catch2 librapidcheck-dev libbenchmark-dev
  libpq-dev postgresql postgresql-common libsqlite3-dev
  postgresql-15-plproxy  # PL/Proxy on the sharded test cluster's coordinator
  libcpp-httplib-dev
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh)
  clang-tidy                # the static checks of .clang-tidy (run-clang-tidy-14)
  clang-format              # the house style of .clang-format (scripts/format.sh --check)
)
# Node.js runs the dashboard's hostile-request test (built-in modules only) and, with npm,
# the browser test (playwright-core drives Debian's Chromium). Any Node.js 18 or later
# already on the machine will do.
command -v node >/dev/null || packages+=(nodejs)
if [ "${METERED_BROWSER:-1}" != 0 ]; then
  packages+=(chromium fonts-dejavu-core)
  command -v npm >/dev/null || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
