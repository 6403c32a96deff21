#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests, and the integration tests that start the real
# server binary and real SDK clients and bridges over loopback.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_rust
ensure_build_deps
cd "$ROOT"
# The independent TLSSigAPIv2 generator the UserSig tests check against.
if ! python3 -c 'import TLSSigAPIv2' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check tls-sig-api-v2 \
        || python3 -m pip install --quiet --break-system-packages tls-sig-api-v2
fi
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy || true
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy -j"$JOBS" --workspace --all-targets -- -D warnings
echo "== build binaries for the integration tests"
cargo build -j"$JOBS" --workspace --bins
echo "== services: a private PostgreSQL and nats-server on loopback, for the scale-out tests"
# A directory of this run's own, so a developer's services (or another run's) are left alone.
export PIGEON_SERVICES_DIR="${PIGEON_SERVICES_DIR:-/tmp/pigeon-test-services-$$}"
bash scripts/services.sh start
# shellcheck disable=SC1091
source "$PIGEON_SERVICES_DIR/env"
export PIGEON_TEST_PG_URL PIGEON_TEST_NATS_URL
echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"; bash scripts/services.sh stop' EXIT
cargo test -j"$JOBS" --workspace 2>&1 | tee "$log"
echo "== the integration suite again, on PostgreSQL (the same tests, parameterised)"
PIGEON_TEST_BACKEND=postgres cargo test -j"$JOBS" -p pigeon-tests --test integration 2>&1 | tee -a "$log"
cargo test -j"$JOBS" -p pigeon-proto --features ts --test ts_bindings 2>&1 | tee -a "$log"
echo "== criterion micro-benchmarks, each run once as a test (they must keep working)"
cargo test -j"$JOBS" -p pigeon-server -p pigeon-proto --bench store --bench usersig --bench wire 2>&1 | tee -a "$log"

echo "== fuzz: each target for a bounded time from its committed corpus (fuzz/corpus)"
ensure_cargo_fuzz
FUZZ_SECS="${PIGEON_FUZZ_SECS:-15}"
(cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_BUILD_JOBS="$JOBS" cargo fuzz build)
fuzz_total=0
for target in $(cd fuzz && cargo fuzz list); do
    work="$(mktemp -d)"
    flog="$(mktemp)"
    # New inputs go to the scratch dir; the committed corpus is only read. A crash fails here.
    if ! (cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_BUILD_JOBS="$JOBS" cargo fuzz run "$target" \
        "$work" "corpus/$target" -- -max_total_time="$FUZZ_SECS" -rss_limit_mb=2048 \
        -print_final_stats=1) >"$flog" 2>&1; then
        tail -n 60 "$flog"
        echo "fuzz target $target FAILED (reproducer under fuzz/artifacts/$target)" >&2
        exit 1
    fi
    runs="$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$flog" | tail -n 1)"
    if [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
        tail -n 30 "$flog"
        echo "fuzz target $target ran no executions: the toolchain cannot fuzz" >&2
        exit 1
    fi
    echo "fuzz $target: $runs executions in ${FUZZ_SECS}s"
    fuzz_total=$((fuzz_total + runs))
    rm -rf "$work" "$flog"
done
echo "fuzz total: $fuzz_total executions"

echo "== benchmark smoke: each workload against Pigeon at tiny sizes (fails on loss or duplicates)"
smoke="$(mktemp -d)"
bench="$CARGO_TARGET_DIR/debug/pigeon-bench"
tiny=(--no-pin --w1-round-trips 50 --w2-conns 10 --w2-messages 20 --w2-inflight 1,10
    --w2-rates 200 --w2-rate-secs 1 --w3-members 20 --w3-senders 1,5 --w3-messages 5
    --w3b-members 50 --w3b-messages 3 --w4-messages 2000 --w4-other 500 --w4-requests 50
    --w4-missed 50 --w5-logins 100 --w5-parallel 20 --w6-steps 100 --w6-max 200 --drain-secs 5)
for w in w1 w2 w3 w4 w5 w6; do
    status=0
    timeout 60 "$bench" run --target pigeon --workload "$w" "${tiny[@]}" \
        --out "$smoke/results.json" >"$smoke/log" 2>&1 || status=$?
    grep -E '^(==|  pigeon|Error)' "$smoke/log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 20 "$smoke/log"
        echo "benchmark smoke $w FAILED (loss, duplicates or errors; status $status)" >&2
        exit 1
    fi
done
"$bench" report --in "$smoke/results.json" --out "$smoke/benchmarks.md" >/dev/null 2>&1
echo "== benchmark smoke: W2 over three nodes on PostgreSQL + NATS"
timeout 120 "$bench" run --target pigeon --workload w2 --label pigeon-3node-pg --nodes 3 \
    --postgres-url "$PIGEON_TEST_PG_URL" --nats-url "$PIGEON_TEST_NATS_URL" \
    --no-pin --w2-conns 10 --w2-messages 20 --w2-inflight 1,10 --w2-rates 200 \
    --w2-rate-secs 1 --drain-secs 5 --out "$smoke/cluster.json" >"$smoke/cluster.log" 2>&1 \
    || { tail -n 20 "$smoke/cluster.log"; echo "cluster benchmark smoke FAILED" >&2; exit 1; }
grep -E '^(==|  pigeon|Error)' "$smoke/cluster.log" || true
rm -rf "$smoke"

echo "== web UI: unit tests and build"
ensure_desktop_deps
ensure_display_deps
ensure_tauri_driver
build_ui
uilog="$(mktemp)"
(cd ui && npx vitest run --reporter=default) 2>&1 | tee "$uilog"
# In cargo's words, so the closing total counts the UI's tests too.
sed 's/\x1b\[[0-9;]*m//g' "$uilog" | awk '/^ *Tests +[0-9]/ {
    p = 0; f = 0
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p = $i; if ($(i+1) ~ /^failed/) f = $i }
    printf "test result: ui. %d passed; %d failed;\n", p, f }' >> "$log"
rm -f "$uilog"

echo "== desktop app: fmt, clippy, unit tests, build"
DESKTOP=(--manifest-path src-tauri/Cargo.toml)
cargo fmt "${DESKTOP[@]}" -- --check
cargo clippy -j"$JOBS" "${DESKTOP[@]}" --all-targets -- -D warnings
cargo test -j"$JOBS" "${DESKTOP[@]}" 2>&1 | tee -a "$log"
# custom-protocol: the app serves the built UI (ui/dist) instead of the Vite dev server.
cargo build -j"$JOBS" "${DESKTOP[@]}" --features custom-protocol

echo "== desktop end to end: the app under Xvfb over WebDriver (tauri-driver, WebKitWebDriver)"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    cargo test -j"$JOBS" -p pigeon-tests --test desktop_e2e -- --ignored 2>&1 | tee -a "$log"

# One closing line for the whole run (cargo's last line is an empty doc-test summary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
