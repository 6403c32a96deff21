#!/usr/bin/env bash
# Builds the desktop app's Debian package: the web UI, the release app (with the bundled UI),
# and the .deb, through the tauri CLI from ui/node_modules (no global install needed).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_rust
ensure_build_deps
ensure_desktop_deps
need_apt dpkg-dev file
build_ui
cd "$ROOT/src-tauri"
# The UI was just built; the CLI need not build it again.
"$ROOT/ui/node_modules/.bin/tauri" build --bundles deb --config '{"build":{"beforeBuildCommand":""}}' -- -j"$JOBS"
deb="$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n 1)"
echo "package: $deb"
echo "install: sudo apt install $deb"
