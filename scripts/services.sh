#!/usr/bin/env bash
# Private PostgreSQL and NATS servers for the cluster tests (issue 8), on loopback only.
#
#   scripts/services.sh start    install what is missing, start both, write $PIGEON_SERVICES_DIR/env
#   scripts/services.sh stop     stop both and remove $PIGEON_SERVICES_DIR
#   scripts/services.sh status   say whether each runs (exit 0 only when both do)
#
# The env file holds PIGEON_TEST_PG_URL and PIGEON_TEST_NATS_URL; tests read it with
# `set -a; . /tmp/pigeon-services/env; set +a`. The cluster is private (own data dir, own port,
# own socket dir), so the system's own postgresql service and port 5432 are never touched.
#
# Settings (environment): PIGEON_SERVICES_DIR (default /tmp/pigeon-services),
# PIGEON_PG_PORT (default 55432), PIGEON_NATS_PORT (default 54222). When a default port is taken
# by something else, the next free port above it is used; the env file says which.
set -euo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DIR="${PIGEON_SERVICES_DIR:-/tmp/pigeon-services}"
PG_BIN="/usr/lib/postgresql/15/bin"
PG_DATA="$DIR/pg"
# Owned by the cluster's user: its socket and its log.
PG_RUN="$DIR/pgrun"
NATS_PID="$DIR/nats.pid"
# Marks the directory as ours, so `stop` never removes a directory this script did not make.
MARKER="$DIR/.pigeon-services"

# Runs a command as the OS user that owns the cluster: `postgres` when we are root (PostgreSQL
# refuses to run as root), else ourselves.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port from $1 up that nobody listens on.
free_port() {
    local p="$1"
    while port_open "$p"; do
        p=$((p + 1))
        [ "$p" -lt 65535 ] || { echo "no free port above $1" >&2; return 1; }
    done
    echo "$p"
}

pg_running() {
    [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

nats_running() {
    [ -f "$NATS_PID" ] && kill -0 "$(cat "$NATS_PID")" 2>/dev/null
}

# The port a service was given when first started (kept across restarts of the same dir).
saved_port() {
    [ -f "$DIR/$1.port" ] && cat "$DIR/$1.port"
}

# True when the NATS server on port $1 greets a client (its first line is `INFO {...}`).
nats_answers() {
    (
        line=""
        exec 3<>"/dev/tcp/127.0.0.1/$1"
        read -r -t 2 line <&3 || true
        [[ "$line" == INFO* ]]
    ) 2>/dev/null
}

start_pg() {
    local port
    if pg_running; then
        return 0
    fi
    port="$(saved_port pg || true)"
    if [ -z "$port" ]; then
        port="$(free_port "${PIGEON_PG_PORT:-55432}")"
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        mkdir -p "$PG_DATA" "$PG_RUN"
        [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PG_DATA" "$PG_RUN"
        chmod 700 "$PG_DATA"
        # C.UTF-8 so lower() (the search index) folds non-ASCII letters too.
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
            || { cat "$DIR/initdb.log" >&2; return 1; }
        # Appended last, so these win over initdb's defaults.
        as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_RUN'
fsync = on
max_connections = 400
EOF
        echo "$port" >"$DIR/pg.port"
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_RUN/pg.log" -w -t 60 start >/dev/null \
        || { tail -n 20 "$PG_RUN/pg.log" >&2; return 1; }
    local i
    for i in $(seq 1 60); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        [ "$i" -lt 60 ] || { echo "postgres did not answer on port $port" >&2; return 1; }
        sleep 0.5
    done
    # Role and database for the server; pg_trgm in template1 too, so databases the tests create
    # (the role may create them) already have it.
    as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'EOF' >/dev/null
SELECT 'CREATE ROLE pigeon LOGIN CREATEDB'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pigeon') \gexec
SELECT 'CREATE DATABASE pigeon OWNER pigeon'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'pigeon') \gexec
\c template1
CREATE EXTENSION IF NOT EXISTS pg_trgm;
\c pigeon
CREATE EXTENSION IF NOT EXISTS pg_trgm;
EOF
}

start_nats() {
    local port
    if nats_running; then
        return 0
    fi
    port="$(saved_port nats || true)"
    if [ -z "$port" ]; then
        port="$(free_port "${PIGEON_NATS_PORT:-54222}")"
        echo "$port" >"$DIR/nats.port"
    fi
    # setsid: its own session, so it outlives this script and the caller's Ctrl-C.
    setsid nats-server -a 127.0.0.1 -p "$port" -P "$NATS_PID" -l "$DIR/nats.log" \
        </dev/null >/dev/null 2>&1 &
    local i
    for i in $(seq 1 60); do
        nats_answers "$port" 2>/dev/null && break
        [ "$i" -lt 60 ] || { echo "nats-server did not answer on port $port" >&2; tail -n 20 "$DIR/nats.log" >&2; return 1; }
        sleep 0.25
    done
}

write_env() {
    local tmp="$DIR/env.tmp"
    cat >"$tmp" <<EOF
PIGEON_TEST_PG_URL=postgres://pigeon@127.0.0.1:$(saved_port pg)/pigeon
PIGEON_TEST_NATS_URL=nats://127.0.0.1:$(saved_port nats)
EOF
    mv "$tmp" "$DIR/env"
}

cmd_start() {
    need_apt postgresql nats-server
    [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 is not in $PG_BIN" >&2; exit 1; }
    if [ -e "$DIR" ] && [ ! -f "$MARKER" ]; then
        echo "$DIR exists and was not made by $0; set PIGEON_SERVICES_DIR elsewhere" >&2
        exit 1
    fi
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    touch "$MARKER"
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$DIR"; then
        echo "the postgres user cannot reach $DIR; choose a PIGEON_SERVICES_DIR it can" >&2
        exit 1
    fi
    start_pg
    start_nats
    write_env
    cat "$DIR/env"
}

cmd_stop() {
    [ -f "$MARKER" ] || { echo "nothing to stop in $DIR"; return 0; }
    if pg_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    fi
    if nats_running; then
        local pid i
        pid="$(cat "$NATS_PID")"
        kill "$pid"
        for i in $(seq 1 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -rf "$DIR"
    echo "stopped"
}

cmd_status() {
    local ok=0
    if pg_running; then
        echo "postgres: running on 127.0.0.1:$(saved_port pg)"
    else
        echo "postgres: not running"
        ok=1
    fi
    if nats_running; then
        echo "nats: running on 127.0.0.1:$(saved_port nats)"
    else
        echo "nats: not running"
        ok=1
    fi
    return "$ok"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
