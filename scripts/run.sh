#!/usr/bin/env bash
# Runs Pigeon: the server with its embedded SQLite on 127.0.0.1:8080 (PIGEON_LISTEN to change),
# data in ~/.local/share/pigeon-server (PIGEON_DATA_DIR to change), and, where a display exists,
# the desktop app signed in against it (PIGEON_NO_DESKTOP=1 runs the server alone). Quitting
# the app stops the server.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_rust
ensure_build_deps
cd "$ROOT"
cargo build --release -j"$JOBS" -p pigeon-server -p pigeon-cli
BIN="$CARGO_TARGET_DIR/release"
LISTEN="${PIGEON_LISTEN:-127.0.0.1:8080}"
DATA="${PIGEON_DATA_DIR:-$HOME/.local/share/pigeon-server}"
echo "pigeon-server:  $BIN/pigeon-server"
echo "pigeon bridge:  $BIN/pigeon bridge --server ws://$LISTEN --app-id <SDKAppID>"
echo "UserSig:        $BIN/pigeon-server usersig --user alice --data-dir $DATA"
echo "dev sign-in:    curl 'http://$LISTEN/dev/usersig?userID=alice'"
# --dev-sign-in: the desktop app signs in through GET /dev/usersig (loopback clients only).
SERVE=("$BIN/pigeon-server" serve --listen "$LISTEN" --data-dir "$DATA" --dev-sign-in)

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ -n "${PIGEON_NO_DESKTOP:-}" ]; then
    echo "no display: running the server alone"
    exec "${SERVE[@]}"
fi

ensure_desktop_deps
build_ui
cargo build --release -j"$JOBS" --manifest-path src-tauri/Cargo.toml --features custom-protocol
"${SERVE[@]}" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
echo "desktop app:    $BIN/pigeon-desktop (sign in at ws://$LISTEN with any userID and 'Dev sign-in')"
"$BIN/pigeon-desktop"
