# Shared helpers for scripts/ejabberd/*.sh (sourced, not run).
# An instance lives in one directory DIR (made by start.sh) holding its config,
# spool, logs and instance.env (MODE, PORT, NODE, COOKIE, PID).

EJ_LAST=/tmp/pigeon-ejabberd.last   # DIR of the most recently started instance

# Resolves the instance directory: explicit argument, then $EJABBERD_DIR, then the last started.
ej_dir() {
    local d=${1:-${EJABBERD_DIR:-}}
    if [[ -z "$d" && -f "$EJ_LAST" ]]; then d=$(cat "$EJ_LAST"); fi
    if [[ -z "$d" || ! -f "$d/instance.env" ]]; then
        echo "no ejabberd instance directory (pass DIR or set EJABBERD_DIR)" >&2
        return 1
    fi
    (cd "$d" && pwd)
}

# Loads DIR/instance.env into the shell.
ej_load() {
    EJ_DIR=$(ej_dir "${1:-}") || return 1
    # shellcheck disable=SC1091
    . "$EJ_DIR/instance.env"
}

# Runs ejabberdctl against the loaded instance, as the ejabberd user. setpriv (not
# ejabberdctl's own su, whose PAM session resets the soft open-file limit to 1024)
# keeps our raised ulimit -n for the VM; HOME points at the private spool.
# With EJABBERD_CPU set (e.g. 0) the VM is started pinned to that CPU (taskset), so the
# benchmark's generator can own the other core; the VM sizes its schedulers from it.
ej_ctl() {
    local pin=()
    if [[ -n "${EJABBERD_CPU:-}" ]]; then pin=(taskset -c "$EJABBERD_CPU"); fi
    "${pin[@]}" setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
        env HOME="$EJ_DIR/spool" ejabberdctl --ctl-config "$EJ_DIR/ejabberdctl.cfg" --config "$EJ_DIR/ejabberd.yml" \
        --spool "$EJ_DIR/spool" --logs "$EJ_DIR/logs" --node "$NODE" "$@"
}

# Evaluates Erlang expressions on the running node through one hidden client node
# (one round of distribution instead of one ejabberdctl VM start per call).
# $1 = Erlang expressions that may use the variable Node; prints what they io:format.
ej_eval() {
    erl -noshell -noinput -hidden -sname "pbctl$$-$RANDOM" -setcookie "$COOKIE" \
        -eval "Node = '$NODE', true = net_kernel:connect_node(Node), $1, init:stop()." \
        </dev/null
}
