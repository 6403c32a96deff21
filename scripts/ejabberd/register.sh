#!/usr/bin/env bash
# Registers benchmark users on the instance in DIR (default: $EJABBERD_DIR or the last
# started). Idempotent (existing users are kept).
#   register.sh N [DIR]    users u0 .. u(N-1)   (prefix: $EJABBERD_USER_PREFIX, default "u")
#   register.sh - [DIR]    user names from stdin, one a line
# Password: $EJABBERD_PASSWORD (default "bench", what the pigeon-bench XMPP driver uses).
# How: `ejabberdctl register` starts a VM per user (~1 s each), far too slow for 10,000, so
# one hidden Erlang node reads the name list and runs the loop inside ejabberd in one rpc:
#   nostore: ejabberd_auth:try_register/3 per user (Mnesia);
#   sqlite:  INSERT OR IGNORE INTO users, all in one SQL transaction on ejabberd's own
#            connection (instead of one fsync'ed commit per user).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
N=${1:?usage: register.sh N|- [DIR]}
ej_load "${2:-}"
prefix=${EJABBERD_USER_PREFIX:-u}
pw=${EJABBERD_PASSWORD:-bench}
names=$(mktemp)
trap 'rm -f "$names"' EXIT
if [[ $N == - ]]; then
    grep -v '^$' >"$names" || true
else
    seq -f "$prefix%.0f" 0 $((N - 1)) >"$names"
fi
count=$(wc -l <"$names")
start=$(date +%s.%N)
read_names="{ok, B} = file:read_file(\"$names\"), Names = binary:split(B, <<\"\\n\">>, [global, trim_all]),
  Host = <<\"localhost\">>, Pw = <<\"$pw\">>"
if [[ $MODE == sqlite ]]; then
    body="$read_names,
      F = fun() -> lists:foreach(fun(U) ->
            ejabberd_sql:sql_query_t([<<\"INSERT OR IGNORE INTO users(username, password) VALUES ('\">>,
                ejabberd_sql:escape(U), <<\"', '\">>, ejabberd_sql:escape(Pw), <<\"')\">>])
          end, Names) end,
      R = rpc:call(Node, ejabberd_sql, sql_transaction, [Host, F], infinity),
      io:format(\"~p~n\", [R])"
else
    body="$read_names,
      F = fun() -> lists:foldl(fun(U, {Ok, Ex, Err}) ->
            case ejabberd_auth:try_register(U, Host, Pw) of
              ok -> {Ok + 1, Ex, Err};
              {error, exists} -> {Ok, Ex + 1, Err};
              _ -> {Ok, Ex, Err + 1}
            end end, {0, 0, 0}, Names) end,
      R = rpc:call(Node, erlang, apply, [F, []], infinity),
      % Write the transaction log out now, not during the login storm that follows
      % (thousands of registrations trip Mnesia's dump_log write_threshold).
      rpc:call(Node, mnesia, dump_log, [], infinity),
      io:format(\"~p~n\", [R])"
fi
out=$(ej_eval "$body")
end=$(date +%s.%N)
case $out in
    "{atomic,ok}" | "{"*",0}") ;;
    *) echo "registration failed: $out" >&2; exit 1 ;;
esac
awk -v n="$count" -v s="$start" -v e="$end" -v o="$out" 'BEGIN { d = e - s; printf "registered %d users in %.2f s (%.0f/s) %s\n", n, d, n / d, o }' >&2
