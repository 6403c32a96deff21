#!/usr/bin/env bash
# Runs Pigeon: the server with its embedded SQLite on 127.0.0.1:8080 (PIGEON_LISTEN to change),
# data in ~/.local/share/pigeon-server (PIGEON_DATA_DIR to change). The desktop app joins it
# where a display exists, once it is built (see README).
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
exec "$BIN/pigeon-server" serve --listen "$LISTEN" --data-dir "$DATA"
