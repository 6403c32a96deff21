#!/usr/bin/env bash
# The desktop benchmark (docs/benchmarks-desktop.md): cold start to an interactive list of
# 10,000 cached conversations, memory after scrolling a 100,000-message conversation, and the
# same measures of a minimal Tauri window (src-tauri/examples/floor.rs). Builds the web UI, the
# release app and the floor, the server binaries, then runs tests/benches/desktop.rs under Xvfb.
# About 10 minutes after the builds. Not part of scripts/test.sh.
#
#   scripts/bench-desktop.sh                 # build and run
#   PIGEON_BENCH_SKIP_BUILD=1 scripts/bench-desktop.sh
#   PIGEON_BENCH_RUNS=5 PIGEON_BENCH_MEM_RUNS=3 PIGEON_BENCH_PAGES=50 scripts/bench-desktop.sh
#
# The root workspace builds in $CARGO_TARGET_DIR, the desktop app in
# $PIGEON_DESKTOP_TARGET_DIR (default: "$CARGO_TARGET_DIR-desktop").
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_rust
cd "$ROOT"
DESKTOP_TARGET="${PIGEON_DESKTOP_TARGET_DIR:-$CARGO_TARGET_DIR-desktop}"
if [ -z "${PIGEON_BENCH_SKIP_BUILD:-}" ]; then
    ensure_build_deps
    ensure_desktop_deps
    ensure_display_deps
    ensure_tauri_driver
    echo "== web UI (ui/dist, embedded by the app)"
    build_ui
    echo "== desktop app and the floor, release ($DESKTOP_TARGET)"
    (cd src-tauri && CARGO_TARGET_DIR="$DESKTOP_TARGET" cargo build -j"$JOBS" --release \
        --features custom-protocol --bin pigeon-desktop --example floor)
    echo "== server binaries, release ($CARGO_TARGET_DIR)"
    cargo build -j"$JOBS" --release --bins
else
    ensure_tauri_driver
fi
export PIGEON_DESKTOP_BIN="${PIGEON_DESKTOP_BIN:-$DESKTOP_TARGET/release/pigeon-desktop}"
export PIGEON_FLOOR_BIN="${PIGEON_FLOOR_BIN:-$DESKTOP_TARGET/release/examples/floor}"
echo "== bench (machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg))"
# A bound on the whole run, so a stuck window cannot hang the caller.
timeout --signal=TERM --kill-after=30 "${PIGEON_BENCH_TIMEOUT:-3600}" \
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    cargo bench -j"$JOBS" -p pigeon-tests --bench desktop
