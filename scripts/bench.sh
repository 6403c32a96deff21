#!/usr/bin/env bash
# Runs the benchmarks of issue 9 side by side and writes docs/benchmarks.md:
# W1–W6 against Pigeon, W1–W3, W5, W6 against the floor relay and ejabberd (no store, and
# mod_mam in SQLite/WAL), at the issue's sizes. Server on CPU 0, generator on CPU 1.
#   scripts/bench.sh                 everything (about 20–40 minutes)
#   BENCH_TARGETS="pigeon floor" BENCH_WORKLOADS="w1 w2" scripts/bench.sh
#   BENCH_ARGS="--w2-messages 50"    extra sizing flags for every run
# Each run is bounded by BENCH_RUN_TIMEOUT seconds (default 900). Wait for a quiet machine
# (1-minute load < 0.5) first: the script waits up to BENCH_QUIET_WAIT seconds (default 300).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_rust
cd "$ROOT"
TARGETS="${BENCH_TARGETS:-pigeon floor ejabberd-nostore ejabberd-sqlite}"
WORKLOADS="${BENCH_WORKLOADS:-w1 w2 w3 w4 w5 w6}"
RUN_TIMEOUT="${BENCH_RUN_TIMEOUT:-900}"
OUT_DIR="${BENCH_OUT:-$ROOT/target/bench-results}"
read -r -a EXTRA <<<"${BENCH_ARGS:-}"

echo "== build (release)"
cargo build -j"$JOBS" --release -p pigeon-bench -p pigeon-server
BENCH="$CARGO_TARGET_DIR/release/pigeon-bench"
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.json

waited=0
while awk '{exit !($1 >= 0.5)}' /proc/loadavg && [ "$waited" -lt "${BENCH_QUIET_WAIT:-300}" ]; do
    echo "   load $(cut -d' ' -f1 /proc/loadavg): waiting for a quiet machine ($waited s)"
    sleep 15
    waited=$((waited + 15))
done
echo "== load before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

run() { # target workload [flags...]
    local t="$1" w="$2"
    shift 2
    echo "== $t $w ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
    timeout "$RUN_TIMEOUT" "$BENCH" run --target "$t" --workload "$w" "$@" "${EXTRA[@]}" \
        --out "$OUT_DIR/$t.json" || echo "   $t $w FAILED or unclean (status $?): see $OUT_DIR/$t.json"
}

for t in $TARGETS; do
    case $t in
    pigeon | floor)
        for w in $WORKLOADS; do
            [ "$t" = floor ] && [ "$w" = w4 ] && continue
            run "$t" "$w"
        done
        ;;
    ejabberd-*)
        mode="${t#ejabberd-}"
        port=$((5280 + RANDOM % 1000))
        dir="$(mktemp -d /tmp/pigeon-ejabberd-bench.XXXXXX)"
        # (xmpp) EJABBERD_CPU=0: the VM starts pinned to CPU 0, so it sizes its schedulers
        # for one core (pinning after start leaves two schedulers fighting over it).
        if ! pid="$(EJABBERD_CPU=0 scripts/ejabberd/start.sh "$mode" "$port" "$dir")"; then
            echo "   ejabberd $mode did not start: skipped"
            continue
        fi
        # All of the VM's threads on the server's core.
        taskset -a -p -c 0 "$pid" >/dev/null || true
        for w in $WORKLOADS; do
            [ "$w" = w4 ] && continue
            # W3b (10,000-member room) and W6 beyond 10,000 are Pigeon's; keep ejabberd bounded.
            run "$t" "$w" --server-pid "$pid" --xmpp-url "ws://127.0.0.1:$port/ws" \
                --w3b-members 0 --w6-max 10000
        done
        scripts/ejabberd/stop.sh "$dir" || true
        ;;
    esac
done

echo "== report"
"$BENCH" report --in "$OUT_DIR"/*.json --out docs/benchmarks.md
echo "results: $OUT_DIR; report: docs/benchmarks.md"
