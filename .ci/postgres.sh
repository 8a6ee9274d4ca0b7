#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for the storage and load tests.
#
#   eval "$(bash .ci/postgres.sh start)"   # prints: export JIXIAO_TEST_POSTGRES_URL=...
#   bash .ci/postgres.sh stop              # stops it and removes its folder
#
# initdb and pg_ctl are found on PATH or in `pg_config --bindir`. Without them, start prints
# nothing on standard output and exits 0, so the PostgreSQL test cases skip with their reason.
# A second start while the recorded cluster runs prints the same URL instead of a new cluster.
# JIXIAO_PG_STATE names the state file (default: jixiao-postgres.state in TMPDIR or /tmp).
# The cluster lives in a temporary folder owned by the postgres user (created if missing when
# run as root, since initdb refuses to run as root), listens on a free loopback port with its
# socket in that folder, and has fsync off: it holds nothing worth keeping.
set -euo pipefail

STATE_FILE="${JIXIAO_PG_STATE:-${TMPDIR:-/tmp}/jixiao-postgres.state}"
DB_NAME="jixiao_test"

log() { echo "postgres.sh: $*" >&2; }

find_bin() {
    local name="$1" dir
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [ -n "$dir" ] && [ -x "$dir/$name" ]; then
            echo "$dir/$name"
            return 0
        fi
    fi
    # Debian's server package keeps its programs off PATH, one folder per major version.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/$name" ]; then
            echo "$dir/$name"
            return 0
        fi
    done
    return 1
}

# Run a command as the cluster's owner: the postgres user when we are root, ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
}

free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

start() {
    local initdb pg_ctl folder port password url
    if ! initdb="$(find_bin initdb)" || ! pg_ctl="$(find_bin pg_ctl)"; then
        log "initdb/pg_ctl not found; PostgreSQL tests will be skipped"
        return 0
    fi
    if [ -f "$STATE_FILE" ]; then
        local FOLDER PG_CTL PORT URL
        # shellcheck disable=SC1090
        . "$STATE_FILE"
        if [ -d "$FOLDER/data" ] && as_owner "$PG_CTL" -D "$FOLDER/data" status >/dev/null 2>&1; then
            # Already running (another shell of this checkout started it): share it. Every
            # test makes databases of its own, so sharing is safe.
            log "reusing the cluster recorded in $STATE_FILE"
            echo "export JIXIAO_TEST_POSTGRES_URL=$URL"
            return 0
        fi
        log "the cluster recorded in $STATE_FILE is not running; starting a new one"
        rm -rf "$FOLDER"
        rm -f "$STATE_FILE"
    fi
    if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
    fi
    folder="$(mktemp -d "${TMPDIR:-/tmp}/jixiao-pg.XXXXXX")"
    mkdir -p "$folder/data" "$folder/socket"
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    printf '%s\n' "$password" > "$folder/pwfile"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$folder"
    fi
    chmod 700 "$folder" "$folder/data"
    as_owner "$initdb" -D "$folder/data" -U postgres --pwfile="$folder/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$folder/initdb.log" 2>&1 \
        || { log "initdb failed:"; cat "$folder/initdb.log" >&2; rm -rf "$folder"; return 1; }
    rm -f "$folder/pwfile"
    port="$(free_port)"
    url="postgresql+psycopg://postgres:${password}@127.0.0.1:${port}/${DB_NAME}"
    # The state holds the password, so only its owner may read it.
    (umask 077 && printf 'FOLDER=%q\nPG_CTL=%q\nPORT=%q\nURL=%q\n' \
        "$folder" "$pg_ctl" "$port" "$url" > "$STATE_FILE")
    as_owner "$pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $folder/socket -c fsync=off -c max_connections=200" \
        start >/dev/null \
        || { log "pg_ctl start failed:"; cat "$folder/server.log" >&2; return 1; }
    create_database "$folder" "$port" "$password"
    echo "export JIXIAO_TEST_POSTGRES_URL=$url"
}

create_database() {
    local folder="$1" port="$2" password="$3" createdb
    if createdb="$(find_bin createdb)"; then
        as_owner "$createdb" -h "$folder/socket" -p "$port" -U postgres "$DB_NAME"
    else
        PGPASSWORD="$password" python3 - "$port" "$DB_NAME" <<'PY'
import os, sys
import psycopg
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="postgres",
                     password=os.environ["PGPASSWORD"], dbname="postgres",
                     autocommit=True) as conn:
    conn.execute(f'CREATE DATABASE "{sys.argv[2]}"')
PY
    fi
}

stop() {
    if [ ! -f "$STATE_FILE" ]; then
        log "no cluster recorded in $STATE_FILE"
        return 0
    fi
    local FOLDER PG_CTL PORT URL
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    if [ -d "$FOLDER/data" ]; then
        as_owner "$PG_CTL" -D "$FOLDER/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$FOLDER"
    rm -f "$STATE_FILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
