#!/usr/bin/env bash
# Creates the persistent MUC room NAME@conference.localhost (room defaults from start.sh:
# public, open, max_users 1,000,000, no history, archived in sqlite mode) and gives its
# members affiliation "member". Joining is still a live presence per client (the XMPP
# driver's join_group). Idempotent.
#   room.sh NAME N [DIR]    members u0 .. u(N-1)   (prefix: $EJABBERD_USER_PREFIX, default "u")
#   room.sh NAME - [DIR]    member names from stdin, one a line
# EJABBERD_ROOM_PRESENCE=none turns off the room's occupant presence broadcast
# (presence_broadcast: []): a join then costs O(1) instead of one presence to and from every
# occupant (O(N^2) for N joins: 500 sequential joins ~18 s with it, ~1 s without). Used for
# the 10,000-member live room (AVChatRoom); default "all" (standard MUC).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
NAME=${1:?usage: room.sh NAME N|- [DIR]}
N=${2:?usage: room.sh NAME N|- [DIR]}
ej_load "${3:-}"
prefix=${EJABBERD_USER_PREFIX:-u}
names=$(mktemp)
trap 'rm -f "$names"' EXIT
if [[ $N == - ]]; then
    grep -v '^$' >"$names" || true
else
    seq -f "$prefix%.0f" 0 $((N - 1)) >"$names"
fi
count=$(wc -l <"$names")
case ${EJABBERD_ROOM_PRESENCE:-all} in
    none) pb="[]" ;;
    all) pb="[moderator,participant,visitor]" ;;
    *) echo "EJABBERD_ROOM_PRESENCE must be all or none" >&2; exit 2 ;;
esac
start=$(date +%s.%N)
out=$(ej_eval "
  {ok, B} = file:read_file(\"$names\"), Names = binary:split(B, <<\"\\n\">>, [global, trim_all]),
  Room = <<\"$NAME\">>, Svc = <<\"conference.localhost\">>,
  C = rpc:call(Node, mod_muc_admin, create_room, [Room, Svc, <<\"localhost\">>], infinity),
  F = fun() -> lists:foldl(fun(U, Acc) ->
        case mod_muc_admin:set_room_affiliation(Room, Svc, <<U/binary, \"@localhost\">>, <<\"member\">>) of
          ok -> Acc + 1;
          _ -> Acc
        end end, 0, Names) end,
  M = rpc:call(Node, erlang, apply, [F, []], infinity),
  P = rpc:call(Node, mod_muc_admin, change_room_option, [Room, Svc, <<\"presence_broadcast\">>, <<\"$pb\">>], infinity),
  io:format(\"create=~p presence=~p members=~p~n\", [C, P, M])")
end=$(date +%s.%N)
[[ $out == *"members=$count" ]] || { echo "room setup failed: $out" >&2; exit 1; }
awk -v s="$start" -v e="$end" -v n="$NAME" -v m="$count" -v o="$out" 'BEGIN { printf "room %s@conference.localhost with %d members in %.2f s (%s)\n", n, m, e - s, o }' >&2
