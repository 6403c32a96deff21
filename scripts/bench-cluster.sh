#!/usr/bin/env bash
# Issue 8: sustained C2C (W2) against (a) one node on PostgreSQL + NATS, (b) three nodes on
# PostgreSQL + NATS, and (c) one node on embedded SQLite for reference, with the same CPU for
# the server side (nodes, PostgreSQL and nats-server all on CPU 0; the generator on CPU 1).
# Writes docs/benchmarks-cluster.md.
#   scripts/bench-cluster.sh            the measurement (about 6-10 minutes with the build)
#   scripts/bench-cluster.sh --smoke    tiny sizes, three nodes only, no report (< 30 s built)
#   BENCH_CONFIGS="3node-pg" BENCH_ARGS="--w2-messages 50" scripts/bench-cluster.sh
# PostgreSQL and NATS are private instances (scripts/services.sh in BENCH_SERVICES_DIR,
# default /tmp/pigeon-bench-services, ports from 56432/56222), started pinned and stopped at
# the end, so other users of /tmp/pigeon-services are neither disturbed nor counted.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_rust
cd "$ROOT"

SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
OUT_DIR="${BENCH_OUT:-$CARGO_TARGET_DIR/bench-cluster-results}"
RUN_TIMEOUT="${BENCH_RUN_TIMEOUT:-400}"
read -r -a EXTRA <<<"${BENCH_ARGS:-}"
if [ "$SMOKE" = 1 ]; then
    CONFIGS="${BENCH_CONFIGS:-3node-pg}"
    SIZES=(--w2-conns 10 --w2-messages 20 --w2-inflight 1,10 --w2-rates 200
        --w2-rate-secs 1 --drain-secs 5)
    OUT_DIR="$OUT_DIR/smoke"
else
    CONFIGS="${BENCH_CONFIGS:-1node-pg 3node-pg 1node-sqlite}"
    # The issue's connection counts and windows; 100 messages per sender keeps the whole
    # script near 10 minutes when PostgreSQL commits are the limit.
    SIZES=(--w2-conns 50,500 --w2-messages 100 --w2-inflight 1,10
        --w2-rates 250,500,1000,2000,4000,8000 --w2-rate-secs 3 --drain-secs 10)
fi

echo "== build (release)"
cargo build -j"$JOBS" --release -p pigeon-bench -p pigeon-server
BENCH="$CARGO_TARGET_DIR/release/pigeon-bench"
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.json

PIN=1
[ "$(nproc)" -ge 2 ] || PIN=0
pin0() { # command... : on CPU 0 when pinning
    if [ "$PIN" = 1 ]; then taskset -c 0 "$@"; else "$@"; fi
}

export PIGEON_SERVICES_DIR="${BENCH_SERVICES_DIR:-/tmp/pigeon-bench-services}"
export PIGEON_PG_PORT="${BENCH_PG_PORT:-56432}" PIGEON_NATS_PORT="${BENCH_NATS_PORT:-56222}"
echo "== services (PostgreSQL + NATS in $PIGEON_SERVICES_DIR, pinned to CPU 0)"
STARTED_SERVICES=0
cleanup() {
    if [ "$STARTED_SERVICES" = 1 ]; then
        scripts/services.sh stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
if ! scripts/services.sh status >/dev/null 2>&1; then
    # Started under taskset, so PostgreSQL's backends (forked later) inherit CPU 0 too.
    pin0 scripts/services.sh start >/dev/null
    STARTED_SERVICES=1
fi
set -a
# shellcheck disable=SC1091
. "$PIGEON_SERVICES_DIR/env"
set +a
PG_PID="$(head -n 1 "$PIGEON_SERVICES_DIR/pg/postmaster.pid")"
NATS_PID="$(cat "$PIGEON_SERVICES_DIR/nats.pid")"
if [ "$PIN" = 1 ]; then
    # A reused instance may not have been started pinned: pin it and its children now.
    for p in "$PG_PID" $(pgrep -P "$PG_PID") "$NATS_PID"; do
        taskset -a -p -c 0 "$p" >/dev/null 2>&1 || true
    done
fi
PG_ADMIN="${PIGEON_TEST_PG_URL%/*}/postgres"
PG_ADMIN="postgres://postgres@${PG_ADMIN#*@}"
# A fresh database per configuration, so one run's rows do not slow the next.
fresh_db() { # name -> prints its URL
    local db="$1"
    psql -q -d "$PG_ADMIN" -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db OWNER pigeon" >/dev/null
    echo "${PIGEON_TEST_PG_URL%/*}/$db"
}
command -v psql >/dev/null || PATH="/usr/lib/postgresql/15/bin:$PATH"
# PostgreSQL's own counters for one database: "commits,rows written".
pg_stat() { # database
    psql -qtA -d "$PG_ADMIN" -c "SELECT xact_commit || ',' || (tup_inserted + tup_updated + \
        tup_deleted) FROM pg_stat_database WHERE datname = '$1'"
}
PG_STATS=()

if [ "$SMOKE" = 0 ]; then
    waited=0
    while awk '{exit !($1 >= 1.0)}' /proc/loadavg && [ "$waited" -lt "${BENCH_QUIET_WAIT:-120}" ]; do
        echo "   load $(cut -d' ' -f1 /proc/loadavg): waiting for a quieter machine ($waited s)"
        sleep 15
        waited=$((waited + 15))
    done
fi
LOAD="$(uptime | sed 's/.*load average: //')"
echo "== load before the runs: $LOAD"

FAILED=0
run() { # label [flags...]
    local label="$1"
    shift
    echo "== $label w2 ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
    timeout "$RUN_TIMEOUT" "$BENCH" run --target pigeon --workload w2 --label "$label" \
        "${SIZES[@]}" "$@" "${EXTRA[@]}" --out "$OUT_DIR/$label.json" || {
        echo "   $label FAILED or unclean (status $?): see $OUT_DIR/$label.json"
        FAILED=1
    }
}
CPU=(--cpu-pid "postgres=$PG_PID" --cpu-pid "nats=$NATS_PID")
for c in $CONFIGS; do
    case $c in
    1node-pg | 3node-pg)
        db="pigeon_bench_${c%-pg}"
        url="$(fresh_db "$db")"
        run "pigeon-$c" --nodes "${c%node-pg}" --postgres-url "$url" \
            --nats-url "$PIGEON_TEST_NATS_URL" "${CPU[@]}"
        # The statistics collector reports with a delay of up to a second.
        sleep 1.5
        st="$(pg_stat "$db")"
        echo "   PostgreSQL for pigeon-$c: $st (commits,rows written)"
        PG_STATS+=(--pg-stat "pigeon-$c=$st")
        ;;
    1node-sqlite)
        run pigeon-1node-sqlite --nodes 1
        ;;
    *) echo "unknown configuration $c (1node-pg, 3node-pg, 1node-sqlite)" >&2 ;;
    esac
done

if [ "$SMOKE" = 0 ]; then
    echo "== report"
    "$BENCH" cluster-report --in "$OUT_DIR"/*.json --out docs/benchmarks-cluster.md --load "$LOAD" \
        "${PG_STATS[@]}"
    echo "results: $OUT_DIR; report: docs/benchmarks-cluster.md"
fi
exit "$FAILED"
