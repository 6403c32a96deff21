# Shared by run.sh and test.sh: make sure the toolchain and packages are there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Builds outside the clone, so a fresh clone on the same machine rebuilds little.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pigeon-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
JOBS="${PIGEON_JOBS:-2}"

need_apt() {
    local missing=()
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "installing ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        need_apt cargo rustc
    fi
}

ensure_build_deps() {
    need_apt build-essential pkg-config ca-certificates python3 python3-pip
}

# What the desktop app needs to build, and to run under a virtual display for its tests.
ensure_desktop_deps() {
    need_apt libwebkit2gtk-4.1-dev libgtk-3-dev libssl-dev libayatana-appindicator3-dev \
        librsvg2-dev libxdo-dev xdg-utils curl
}

ensure_display_deps() {
    need_apt xvfb xauth webkit2gtk-driver dbus-x11 at-spi2-core dunst libnotify-bin x11-utils xdotool
}

# Node.js and npm for the web UI (Debian's when the machine has none).
ensure_node() {
    command -v npm >/dev/null 2>&1 || need_apt nodejs npm
}

# The UI's packages, reinstalled only when the lockfile changed since the last install.
ensure_ui_packages() {
    ensure_node
    local stamp="$ROOT/ui/node_modules/.lock-stamp"
    if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/ui/package-lock.json" "$stamp"; then
        (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$ROOT/ui/package-lock.json" "$stamp"
    fi
}

ensure_tauri_driver() {
    if ! command -v tauri-driver >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/tauri-driver" ] && export PATH="$HOME/.cargo/bin:$PATH"
    fi
    command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked -j"$JOBS"
}

# Builds the web UI into ui/dist, which the app embeds.
build_ui() {
    ensure_ui_packages
    (cd "$ROOT/ui" && npm run --silent build)
}

# cargo-fuzz for the fuzz targets in fuzz/ (libFuzzer needs nightly flags: the stable toolchain
# is told to allow them with RUSTC_BOOTSTRAP=1 where the fuzz targets are built).
ensure_cargo_fuzz() {
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/cargo-fuzz" ] && export PATH="$HOME/.cargo/bin:$PATH"
    fi
    # Its own target dir, so the install never waits on (or pollutes) the project's builds.
    command -v cargo-fuzz >/dev/null 2>&1 \
        || CARGO_TARGET_DIR="$(mktemp -d)" cargo install cargo-fuzz --locked -j"$JOBS"
}
