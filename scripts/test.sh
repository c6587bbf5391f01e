#!/usr/bin/env bash
# `make test`: the whole pytest suite on SQLite, then on a throwaway PostgreSQL server.
#
# Usage: scripts/test.sh [all|sqlite|postgres] [pytest arguments...]
#   PYTEST_ARGS="-k login" make test   also passes arguments to pytest.
# Installs Chromium, chromedriver and PostgreSQL with apt-get when they are missing (as root, or
# through sudo). Exits non-zero if either run fails; both runs always happen.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

PYTEST=.venv/bin/pytest
PYTEST_SUMMARY='^(=+ )?(no tests ran|[0-9]+ [a-z]+)(, [0-9]+ [a-z]+)* in [0-9.]+s'
mode=all
case "${1:-}" in
    all | sqlite | postgres) mode=$1 && shift ;;
esac
# Intentionally word-split: PYTEST_ARGS holds several arguments.
# shellcheck disable=SC2206
extra_args=(${PYTEST_ARGS:-} "$@")

phase_start=$SECONDS
bash scripts/system_packages.sh "$mode" || exit 1
echo "== system packages ready in $((SECONDS - phase_start))s"

# Browser tests must run here, not be skipped for a missing browser.
export TSUNAGU_REQUIRE_BROWSER=1
# Likewise the check that makemessages would find nothing new.
export TSUNAGU_REQUIRE_GETTEXT=1
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/tsunagu-test.XXXXXX")
# Whatever happens (failures, Ctrl-C, a CI timeout's SIGTERM): stop PostgreSQL, remove temp files.
trap 'postgres_stop; rm -rf "$log_dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
summaries=()
counts=()
status=0

# run_suite LABEL: runs pytest, remembers its closing line and folds its exit code into $status.
run_suite() {
    local label=$1 log="$log_dir/$1.log" started=$SECONDS rc summary
    echo "== $label: pytest ${extra_args[*]}"
    "$PYTEST" "${extra_args[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # pytest's closing line (framed by ==== unless -q), unframed; absent if pytest died early.
    summary=$(grep -E "$PYTEST_SUMMARY" "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
    summaries+=("$label: ${summary:-no pytest summary (exit code $rc)}")
    counts+=("$summary")
    echo "== $label run took $((SECONDS - started))s (exit code $rc)"
    if ((rc != 0)); then
        status=1
    fi
}

if [[ $mode == all || $mode == sqlite ]]; then
    # Explicit, so that a DATABASE_URL in a developer's environment cannot redirect this run; the
    # test database itself is in memory (pytest-django), shared with live_server's thread.
    DATABASE_URL="sqlite:///$log_dir/tsunagu.sqlite3" run_suite SQLite
fi

if [[ $mode == all || $mode == postgres ]]; then
    started=$SECONDS
    if postgres_start; then
        echo "== PostgreSQL $(postgres_version) ready on 127.0.0.1:$PG_PORT in $((SECONDS - started))s"
        DATABASE_URL=$PG_DATABASE_URL run_suite PostgreSQL
    else
        summaries+=("PostgreSQL: server did not start, no tests ran")
        status=1
    fi
    postgres_stop
fi

echo
echo "== Summary"
printf '%s\n' "${summaries[@]}"
# One plain closing line over both runs; pytest's errors count as failures.
total() { printf '%s\n' "${counts[@]}" | grep -oE "[0-9]+ $1" | awk '{n += $1} END {print n + 0}'; }
passed=$(total passed)
failed=$(($(total failed) + $(total 'errors?')))
skipped=$(total skipped)
echo "Total: $passed passed, $failed failed, $skipped skipped"
exit "$status"
