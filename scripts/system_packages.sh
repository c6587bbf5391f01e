#!/usr/bin/env bash
# Installs the Debian packages `make test` needs, only those missing: Chromium and its driver for
# the browser tests, PostgreSQL's server for the second run, GNU gettext for the check that the
# translation catalogues are up to date.
# Usage: scripts/system_packages.sh [all|sqlite|postgres]   (sqlite: no PostgreSQL needed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

mode=${1:-all}
packages=()
[[ -x ${CHROMIUM_BIN:-/usr/bin/chromium} ]] || packages+=(chromium)
[[ -x ${CHROMEDRIVER_BIN:-/usr/bin/chromedriver} ]] || packages+=(chromium-driver)
command -v xgettext >/dev/null || packages+=(gettext)
if [[ $mode != sqlite ]] && ! postgres_bindir >/dev/null; then
    packages+=(postgresql)
fi
((${#packages[@]})) || exit 0

if ! command -v apt-get >/dev/null; then
    echo "Missing: ${packages[*]}. Install them with your system's package manager" \
        "(or set CHROMIUM_BIN, CHROMEDRIVER_BIN, PG_BINDIR)." >&2
    exit 1
fi
sudo=()
if ((EUID != 0)); then
    sudo=(sudo)
fi
started=$SECONDS
echo "== apt-get install ${packages[*]}"
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends "${packages[@]}"
echo "== apt-get took $((SECONDS - started))s"
