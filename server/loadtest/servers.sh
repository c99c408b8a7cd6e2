#!/usr/bin/env bash
# `make loadtest-servers`: several `frontdesk serve` processes on one Postgres, behind
# Debian's haproxy (round robin, health-checked), over a fresh database of $LOAD_MEMBERS
# generated members, with a real SMTP server (maildev).
#   1. Throughput: `make loadtest`'s mix (search, member detail, profile edit, sign-in)
#      through the proxy to one, two and three servers, $LOAD_DURATION each.
#   2. A server killed: the mix through three servers, one killed with SIGKILL a third of
#      the way in. Only requests that server held may fail (answered 502/503 by the proxy);
#      every acknowledged edit and sign-in is in the database, nothing that was not sent.
#   3. One database, several servers: a profile saved through one server is read through
#      another at once (detail and users table, whose kept pages follow the clinic's
#      version); reset emails asked of different servers are each sent once; accounts
#      whose pending delete fell due are each deleted once, though every server's purge
#      runs.
set -euo pipefail

BIN=${BIN:?set BIN to the release frontdesk binary}
MEMBERS=${LOAD_MEMBERS:-100000}
DURATION=${LOAD_DURATION:-30}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
DIR=${LOAD_DIR:-$HOME/.cache/frontdesk/servers}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=frontdesk_servers
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=accounting.sh
. "$HERE/accounting.sh"
ROOT=$(cd "$HERE/../.." && pwd)
PASSWORD=Load-Test-Admin-42

for tool in wrk haproxy; do
  if ! command -v $tool >/dev/null && [ ! -x /usr/sbin/$tool ]; then
    echo "installing $tool"
    apt-get install -y $tool >/dev/null 2>&1 || sudo apt-get install -y $tool >/dev/null
  fi
done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
MAILDEV="$ROOT/end2end/node_modules/.bin/maildev"
[ -x "$MAILDEV" ] || (cd "$ROOT/end2end" && npm ci --no-audit --no-fund >/dev/null)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
sql() { psql "$PG_URL/$DB" -Atqc "$1"; }

mkdir -p "$DIR"
rm -f "$DIR"/*.log
PIDS=()
PROXY_PID=
MAIL_PID=
cleanup() {
  for pid in "${PIDS[@]}" $PROXY_PID $MAIL_PID; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB"
SMTP=$(free_port); MAIL_WEB=$(free_port)
"$MAILDEV" --ip 127.0.0.1 --smtp "$SMTP" --web-ip 127.0.0.1 --web "$MAIL_WEB" \
  >"$DIR/maildev.log" 2>&1 &
MAIL_PID=$!

LB=$(free_port)
URL="http://127.0.0.1:$LB"
HOST="Host: 127.0.0.1:$LB"
# What every server must share: the database, the key that seals secrets at rest, the
# public URL (the balancer's: links in mail, and the Host every request must name), the
# mail server and the trusted proxy.
export DATABASE_URL="$PG_URL/$DB" FRONTDESK_PUBLIC_URL="$URL" FRONTDESK_DEMO_ADMIN_PASSWORD=$PASSWORD FRONTDESK_LOG=warn \
  FRONTDESK_SECRET_KEY="the servers' shared key for this load test, 32+ characters" \
  FRONTDESK_SMTP_URL="smtp://127.0.0.1:$SMTP" FRONTDESK_SITE_ROOT=target/site \
  FRONTDESK_PUBLIC_POST_BURST=100000000 FRONTDESK_TRUSTED_PROXIES=127.0.0.1/32 \
  FRONTDESK_DB_POOL=${LOAD_DB_POOL:-16}

echo "seeding $MEMBERS members into Postgres ($DB)"
"$BIN" seed-demo --members "$MEMBERS" >/dev/null

PORTS=($(free_port) $(free_port) $(free_port))
start_server() { # index
  local port=${PORTS[$1]}
  "$BIN" --bind "127.0.0.1:$port" serve >>"$DIR/server$1.log" 2>&1 &
  PIDS[$1]=$!
  for _ in $(seq 200); do curl -fs -o /dev/null -H "$HOST" "http://127.0.0.1:$port/login" && return; sleep 0.05; done
  echo "server $1 did not start"; exit 1
}
for i in 0 1 2; do start_server $i; done
echo "three servers on ports ${PORTS[*]}"

proxy() { # number of servers behind it
  [ -n "$PROXY_PID" ] && { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; }
  {
    cat <<EOF
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
  option forwardfor
frontend frontdesk
  bind 127.0.0.1:$LB
  default_backend servers
backend servers
  balance roundrobin
  option httpchk
  http-check send meth GET uri /login ver HTTP/1.1 hdr Host 127.0.0.1:$LB
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
EOF
    for i in $(seq 0 $(($1 - 1))); do echo "  server s$i 127.0.0.1:${PORTS[$i]} check"; done
  } >"$DIR/haproxy.cfg"
  "$HAPROXY" -f "$DIR/haproxy.cfg" -db >>"$DIR/haproxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "$URL/login" && return; sleep 0.05; done
  echo "haproxy did not start"; exit 1
}
proxy 3

sign_in() { # base URL
  curl -fs -o /dev/null -D - -H "$HOST" -d "username=admin%40frontdesk.test&password=$PASSWORD" \
    "$1/api/auth/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1
}
COOKIE=$(sign_in "$URL")
[ -n "$COOKIE" ] || { echo "could not sign in"; exit 1; }
sql "select u.id from users u join clinics c on c.id = u.clinic_id
     where c.name = 'Clinic Portal' and u.user_type = 'member' order by u.id" >"$DIR/ids.txt"

run_wrk() { # seconds [mode]
  wrk -t2 -c"$CONNECTIONS" -d"$1s" --timeout 10s -s "$HERE/mix.lua" "$URL" -- \
    "${2:-mix}" "$COOKIE" "$DIR/ids.txt" "$PASSWORD" 2 | grep '^RESULT'
}

failed=0
declare -A RPS SEARCHES
for n in 1 2 3; do
  proxy $n
  R=$(run_wrk "$DURATION" search)
  SEARCHES[$n]=$(field rps "$R")
  echo "$n server(s), searches alone: ${SEARCHES[$n]} req/s, p50 $(field p50_ms "$R") ms," \
    "p99 $(field p99_ms "$R") ms, non-2xx $(field non2xx "$R")"
  [ "$(field non2xx "$R")" = 0 ] || { echo "FAIL: searches failed with $n server(s)"; failed=1; }
  R=$(run_wrk "$DURATION")
  RPS[$n]=$(field rps "$R")
  echo "$n server(s), the mix: ${RPS[$n]} req/s, p50 $(field p50_ms "$R") ms, p99 $(field p99_ms "$R") ms," \
    "non-2xx $(field non2xx "$R") (busy $(field busy "$R")), errors connect $(field connect "$R")" \
    "read $(field read "$R") timeout $(field timeout "$R")"
  if [ "$(( $(field non2xx "$R") - $(field busy "$R") ))" != 0 ]; then
    echo "FAIL: answers other than a shed sign-in failed with $n server(s)"; failed=1
  fi
done

echo "three servers, one killed with SIGKILL after $((DURATION / 3)) s"
# The throughput runs' edits are set aside, so that what is counted is this run's.
sql "update users set city = null where city like 'Loadville %'" >/dev/null
sql "delete from audit_events where action = 'profile_changed'" >/dev/null
SESSIONS_BEFORE=$(sql "select count(*) from sessions")
proxy 3
( sleep $((DURATION / 3)); kill -9 "${PIDS[2]}" ) &
KILLER=$!
R=$(run_wrk "$DURATION")
wait $KILLER
echo "$R"
BAD=$(( $(field non2xx "$R") - $(field busy "$R") - $(field 5xx "$R") ))
echo "answers lost with the killed server: $(field 5xx "$R") (5xx) of $(field requests "$R")," \
  "read errors $(field read "$R"); other failures: $BAD"
[ "$BAD" = 0 ] || { echo "FAIL: answers failed other than the killed server's"; failed=1; }
[ $(( $(field 5xx "$R") + $(field read "$R") )) -le "$CONNECTIONS" ] \
  || { echo "FAIL: more failed than the killed server held"; failed=1; }
[ "$(field search "$R")" -gt 0 ] || { echo "FAIL: the others did not carry on"; failed=1; }
account_for_writes "$R"
start_server 2

echo "a profile saved through one server, read through another"
S0="http://127.0.0.1:${PORTS[0]}"; S1="http://127.0.0.1:${PORTS[1]}"
C0=$(sign_in "$S0"); C1=$C0
ID=$(sed -n 100p "$DIR/ids.txt")
table() { curl -fs -H "$HOST" -H "Cookie: $C1" --data-urlencode "query[q]=$ID" "$S1/api/members/table"; }
table >/dev/null  # kept by server 1 now
DETAIL=$(curl -fs -H "$HOST" -H "Cookie: $C0" -d "id=$ID" "$S0/api/members/detail")
NAME="Seen$(python3 -c 'import random, string; print("".join(random.choices(string.ascii_lowercase, k=8)))')"
BODY=$(python3 - "$DETAIL" "$NAME" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
d["profile"]["first_name"] = sys.argv[2]
print(json.dumps({"id": d["id"], "version": d["version"], "profile": d["profile"]}))
PY
)
curl -fs -o /dev/null -H "$HOST" -H "Cookie: $C0" -H 'Content-Type: application/json' -d "$BODY" \
  "$S0/api/members/save_profile" || { echo "FAIL: the save through server 0 failed"; failed=1; }
if table | grep -q "$NAME" \
  && curl -fs -H "$HOST" -H "Cookie: $C1" -d "id=$ID" "$S1/api/members/detail" | grep -q "\"first_name\":\"$NAME\""; then
  echo "seen through server 1 at once: table and detail"
else
  echo "FAIL: server 1 did not show the save through server 0"; failed=1
fi

RESETS=30
echo "$RESETS reset emails asked of the three servers in turn"
sed -n "201,$((200 + RESETS))p" "$DIR/ids.txt" | nl -v0 | while read -r n id; do
  s="http://127.0.0.1:${PORTS[$((n % 3))]}"
  curl -fs -o /dev/null -H "$HOST" -H "Cookie: $C0" -d "id=$id" "$s/api/members/send_reset" \
    || echo "FAIL: send_reset $id"
done
mail_count() { curl -fs "http://127.0.0.1:$MAIL_WEB/api/email" | python3 -c \
  'import json, sys; m = json.load(sys.stdin); print(len(m), len({t["address"] for e in m for t in e["to"]}))'; }
for _ in $(seq 60); do [ "$(sql "select count(*) from mail_outbox where status = 'pending'")" = 0 ] && break; sleep 1; done
sleep 3
read -r SENT TO <<<"$(mail_count)"
echo "messages received: $SENT, to $TO addresses"
[ "$SENT" = $RESETS ] && [ "$TO" = $RESETS ] || { echo "FAIL: each reset email once"; failed=1; }

DUE=20
echo "$DUE accounts whose pending delete is due, three servers' purges running"
sed -n "301,$((300 + DUE))p" "$DIR/ids.txt" | paste -sd, >"$DIR/due.txt"
sql "update users set status = 'pending_delete', delete_after = 0 where id in ($(cat "$DIR/due.txt"))" >/dev/null
for _ in $(seq 150); do
  [ "$(sql "select count(*) from users where id in ($(cat "$DIR/due.txt"))")" = 0 ] && break; sleep 1
done
LEFT=$(sql "select count(*) from users where id in ($(cat "$DIR/due.txt"))")
DELETIONS=$(sql "select count(*) from audit_events where action = 'deleted' and member_id in ($(cat "$DIR/due.txt"))")
echo "left: $LEFT; deletions audited: $DELETIONS"
[ "$LEFT" = 0 ] && [ "$DELETIONS" = $DUE ] || { echo "FAIL: each due account deleted once"; failed=1; }

echo "throughput, the mix: 1 server ${RPS[1]}, 2 servers ${RPS[2]}, 3 servers ${RPS[3]} req/s;" \
  "searches alone: ${SEARCHES[1]}, ${SEARCHES[2]}, ${SEARCHES[3]} req/s ($(nproc) cores)"
if [ $failed = 0 ]; then echo "loadtest-servers: passed"; else echo "loadtest-servers: FAILED"; exit 1; fi
