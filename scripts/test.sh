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
echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test -j"$JOBS" --workspace 2>&1 | tee "$log"
cargo test -j"$JOBS" -p pigeon-proto --features ts --test ts_bindings 2>&1 | tee -a "$log"
# One closing line for the whole run (cargo's last line is an empty doc-test summary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
