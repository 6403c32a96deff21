#!/usr/bin/env bash
# Installs ejabberd (Debian 12 ships 23.01), its SQLite driver and sqlite3 if missing, without
# leaving the packaged system service running: the benchmark starts its own
# instance (scripts/ejabberd/start.sh) with its own config, node and ports.
set -euo pipefail

need=()
command -v ejabberdctl >/dev/null 2>&1 || need+=(ejabberd)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# The SQLite driver for ejabberd's sql_type: sqlite is only "Suggested" by the package.
ls -d /usr/lib/erlang/lib/p1_sqlite3-* >/dev/null 2>&1 || need+=(erlang-p1-sqlite3)
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    # Forbid maintainer scripts from starting services during the install
    # (policy-rc.d exit 101 = "action not allowed"), then restore any prior policy.
    restore=""
    if [[ -e /usr/sbin/policy-rc.d ]]; then
        restore=$(mktemp)
        cp /usr/sbin/policy-rc.d "$restore"
    fi
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'if [[ -n "$restore" ]]; then mv "$restore" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi' EXIT
    if ! apt-get install -y -q "${need[@]}" >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q "${need[@]}" >/dev/null
    fi
fi

# Stop and disable the packaged service whatever started it (systemd or sysv).
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl stop ejabberd >/dev/null 2>&1 || true
    systemctl disable ejabberd >/dev/null 2>&1 || true
else
    if [[ -x /etc/init.d/ejabberd ]]; then
        /etc/init.d/ejabberd stop >/dev/null 2>&1 || true
    fi
    update-rc.d ejabberd disable >/dev/null 2>&1 || true
fi
# A packaged node still running (started as the ejabberd user) would hold 5222/5280.
if pgrep -u ejabberd beam.smp >/dev/null 2>&1; then
    su ejabberd -s /bin/sh -c 'ejabberdctl stop' >/dev/null 2>&1 || true
    sleep 2
fi
ejabberd_version=$(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null || echo unknown)
echo "ejabberd $ejabberd_version installed; system service stopped/disabled"
