#!/usr/bin/env bash
# Stops the ejabberd instance started by start.sh in DIR (default: $EJABBERD_DIR or the last started).
#   stop.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
ej_load "${1:-}"
pid=${PID:-$(pgrep -f "beam.smp.*-sname $NODE" | head -n1 || true)}
ej_ctl stop >/dev/null 2>&1 || true
# Wait for this instance's VM (and only it) to exit; kill it by PID if it hangs.
for _ in $(seq 1 100); do
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
echo "ejabberd $NODE stopped" >&2
