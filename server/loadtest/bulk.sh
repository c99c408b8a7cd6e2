#!/usr/bin/env bash
# `make bench`, last part (scale.sh runs it): one bulk action at scale, measured from
# outside over the benchmark's seeded database ($BENCH_DB): the admin suspends every
# active member of one room ("Select all N matching", a view's query) while searching on
# 8 connections; searches' p99 before and during the action, and the action's time from
# confirmation to done. The members are then made active again in SQL, so the next run
# finds the database as it was. Prints Markdown for BENCHMARKS.md.
set -euo pipefail

BIN=${BIN:?set BIN to the release frontdesk binary}
DB=${BENCH_DB:?set BENCH_DB to the seeded SQLite file}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PASSWORD=Bench-Admin-Pass-1   # server/src/bench.rs seeds the demo admin with it
WORK=$(mktemp -d)

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null

export DATABASE_URL="sqlite://$DB?mode=rwc" FRONTDESK_LOG=warn FRONTDESK_SEED_DEMO=false \
  FRONTDESK_MAIL_DIR="$WORK/mail" FRONTDESK_SITE_ROOT="$ROOT/target/site" \
  FRONTDESK_PUBLIC_POST_BURST=100000000 FRONTDESK_TRUSTED_PROXIES=127.0.0.1/32
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN" --bind "127.0.0.1:$PORT" serve >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs -o /dev/null "$URL/login"; do sleep 0.01; done
COOKIE=$(curl -fs -o /dev/null -D - -d "username=admin%40frontdesk.test&password=$PASSWORD" \
  "$URL/api/auth/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
[ -n "$COOKIE" ] || { echo "could not sign in"; exit 1; }

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
searches() { # duration → wrk's RESULT line; fails on any error
  local r
  r=$(wrk -t1 -c8 -d"$1" --timeout 10s -s "$HERE/mix.lua" "$URL" -- \
    search "$COOKIE" /dev/null "$PASSWORD" 1 | grep '^RESULT')
  for e in connect read write timeout non2xx; do
    [ "$(field $e "$r")" = 0 ] || { echo "FAIL: searches: $e errors: $r" >&2; exit 1; }
  done
  echo "$r"
}
json_field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

ROOM=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM rooms WHERE slug = 'lakeview'\").fetchone()[0])" "$DB")
VIEW="{\"q\":\"\",\"type\":\"member\",\"status\":\"active\",\"room\":\"$ROOM\",\"sort\":\"\",\"dir\":\"\",\"size\":\"\",\"after\":\"\",\"before\":\"\"}"

BEFORE=$(searches 10s)
PREPARED=$(curl -fs -H "Cookie: $COOKIE" -H 'Content-Type: application/json' \
  -d "{\"kind\":\"suspend\",\"room_id\":null,\"scope\":{\"View\":$VIEW}}" "$URL/api/members/bulk/prepare")
ID=$(json_field "$PREPARED" id)
t0=$(date +%s%N)
curl -fs -o /dev/null -H "Cookie: $COOKIE" -d "id=$ID" "$URL/api/members/bulk/confirm"
searches 20s >"$WORK/during.txt" &
SEARCH_PID=$!
while :; do
  STATE=$(curl -fs -H "Cookie: $COOKIE" -d "id=$ID" "$URL/api/members/bulk/progress")
  [ "$(json_field "$STATE" state)" = done ] && break
  sleep 0.1
done
DONE_S=$(python3 -c "print(f'{($(date +%s%N) - $t0) / 1e9:.1f}')")
wait $SEARCH_PID
DURING=$(cat "$WORK/during.txt")
CHANGED=$(json_field "$STATE" changed)

python3 - "$DB" "$ID" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=60)
c.execute("UPDATE users SET status = 'active' WHERE id IN (SELECT user_id FROM bulk_action_items "
          "WHERE bulk_action_id = ? AND outcome = 'changed')", (int(sys.argv[2]),))
c.commit()
PY

cat <<MD

### One bulk action (release build, loopback)

| measure | figure |
|---|---|
| suspending every active member of one room ($(json_field "$PREPARED" count) counted, $CHANGED changed), confirmation → done | $DONE_S s |
| searches, 8 connections: p99 10 s before / the first 20 s of the action | $(field p99_ms "$BEFORE") / $(field p99_ms "$DURING") ms |
| … p50 before / during; requests/s before / during | $(field p50_ms "$BEFORE") / $(field p50_ms "$DURING") ms; $(field rps "$BEFORE") / $(field rps "$DURING") |
MD
