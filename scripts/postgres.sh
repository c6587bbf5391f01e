# shellcheck shell=bash
# A throwaway PostgreSQL server for the test suite. Source this file, then:
#   postgres_start  initdb in a fresh temporary directory, start on 127.0.0.1 on a free port, create a
#                   role with CREATEDB (pytest-django creates test_<name>) and its database; sets
#                   PG_PORT and PG_DATABASE_URL.
#   postgres_stop   stop the server and delete its directory; safe to call twice. Call it from an
#                   EXIT trap, so that the server stops whatever happens to the tests.
# Debian's server refuses to run as root: as root the server runs as the postgres user, otherwise
# as the current user (a developer's machine with initdb on PATH or under /usr/lib/postgresql).

PG_WORKDIR=""

# postgres_bindir: prints the directory holding initdb and pg_ctl (PG_BINDIR overrides).
postgres_bindir() {
    local dir candidates=()
    if [[ -n ${PG_BINDIR:-} ]]; then
        echo "$PG_BINDIR"
        return 0
    fi
    # Debian keeps server binaries off PATH, one directory per major version: take the newest.
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x $dir/initdb && -x $dir/pg_ctl ]] && candidates+=("$dir")
    done
    if ((${#candidates[@]})); then
        printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1
        return 0
    fi
    dir=$(command -v initdb) || return 1
    dirname "$(readlink -f "$dir")"
}

postgres_version() {
    "$(postgres_bindir)/pg_ctl" --version | awk '{print $3}'
}

# _pg_as_owner CMD...: runs a server program as the owner of the data directory.
_pg_as_owner() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

_pg_random() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

postgres_start() {
    local bindir superuser_password app_password
    bindir=$(postgres_bindir) || {
        echo "PostgreSQL server programs (initdb, pg_ctl) not found; install postgresql." >&2
        return 1
    }
    if ((EUID == 0)) && ! id -u postgres >/dev/null 2>&1; then
        echo "Running as root needs the postgres system user (apt-get install postgresql)." >&2
        return 1
    fi
    PG_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/tsunagu-pg.XXXXXX") || return 1
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
    superuser_password=$(_pg_random)
    app_password=$(_pg_random)
    printf '%s\n' "$superuser_password" >"$PG_WORKDIR/pwfile"
    mkdir "$PG_WORKDIR/socket"
    if ((EUID == 0)); then
        chown -R postgres: "$PG_WORKDIR"
    fi
    # C collation: byte order, as SQLite sorts, so ordering tests mean the same on both.
    _pg_as_owner "$bindir/initdb" --pgdata="$PG_WORKDIR/data" --username=postgres \
        --pwfile="$PG_WORKDIR/pwfile" --auth=scram-sha-256 --encoding=UTF8 --no-locale \
        >"$PG_WORKDIR/initdb.log" 2>&1 || {
        cat "$PG_WORKDIR/initdb.log" >&2
        return 1
    }
    # Durability is pointless for a throwaway server: skip the fsyncs.
    _pg_as_owner "$bindir/pg_ctl" --pgdata="$PG_WORKDIR/data" --log="$PG_WORKDIR/server.log" \
        --wait --timeout=60 --silent start \
        -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_WORKDIR/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off" || {
        tail -n 30 "$PG_WORKDIR/server.log" >&2
        return 1
    }
    PGPASSWORD=$superuser_password "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
        --host=127.0.0.1 --port="$PG_PORT" --username=postgres --dbname=postgres \
        -c "CREATE ROLE tsunagu LOGIN CREATEDB PASSWORD '$app_password'" \
        -c "CREATE DATABASE tsunagu OWNER tsunagu" || return 1
    PG_DATABASE_URL="postgres://tsunagu:$app_password@127.0.0.1:$PG_PORT/tsunagu"
    export PG_PORT PG_DATABASE_URL
}

postgres_stop() {
    [[ -n $PG_WORKDIR ]] || return 0
    local bindir
    bindir=$(postgres_bindir)
    if [[ -f $PG_WORKDIR/data/postmaster.pid ]]; then
        _pg_as_owner "$bindir/pg_ctl" --pgdata="$PG_WORKDIR/data" --mode=fast --wait \
            --timeout=60 --silent stop ||
            _pg_as_owner "$bindir/pg_ctl" --pgdata="$PG_WORKDIR/data" --mode=immediate \
                --wait --silent stop
        echo "== PostgreSQL on 127.0.0.1:$PG_PORT stopped"
    fi
    rm -rf "$PG_WORKDIR"
    PG_WORKDIR=""
}
