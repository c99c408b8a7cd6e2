#!/usr/bin/env bash
# `make loadtest`: the release build on loopback under wrk, over a fresh SQLite database of
# $LOAD_MEMBERS generated members.
#   1. 200 connections for 60 s mixing search, member detail, profile edit and sign-in:
#      no error of any kind except sign-ins the bounded hashing queue sheds (503 Busy, by
#      design: counted and their share printed), p50/p90/p99 printed, and every
#      acknowledged edit and sign-in found in the database afterwards (each edit in its
#      member's row and as one audit event, each sign-in as one session), and nothing there
#      that was not sent.
#   2. Searches alone, then searches during a storm of sign-ins (argon2 on every core):
#      searches keep answering, without errors; both p99s printed.
# Resident memory is printed idle, after the mixed load and after the storm.
set -euo pipefail

BIN=${BIN:?set BIN to the release frontdesk binary}
MEMBERS=${LOAD_MEMBERS:-100000}
DURATION=${LOAD_DURATION:-60s}
CONNECTIONS=${LOAD_CONNECTIONS:-200}
STORM=${LOAD_STORM:-20s}
DIR=${LOAD_DIR:-$HOME/.cache/frontdesk/load}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=accounting.sh
. "$HERE/accounting.sh"
PASSWORD=Load-Test-Admin-42

if ! command -v wrk >/dev/null; then
  echo "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
fi

mkdir -p "$DIR"
rm -rf "$DIR"/load.db* "$DIR/mail"
DB_FILE="$DIR/load.db"
export DATABASE_URL="sqlite://$DB_FILE?mode=rwc"
export FRONTDESK_DEMO_ADMIN_PASSWORD=$PASSWORD FRONTDESK_LOG=warn \
  FRONTDESK_MAIL_DIR="$DIR/mail" FRONTDESK_SITE_ROOT=target/site \
  FRONTDESK_PUBLIC_POST_BURST=100000000 FRONTDESK_TRUSTED_PROXIES=127.0.0.1/32

echo "seeding $MEMBERS members into $DB_FILE"
"$BIN" seed-demo --members "$MEMBERS" >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$BIN" --bind "127.0.0.1:$PORT" serve >"$DIR/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -fs -o /dev/null "$URL/login" && break; sleep 0.05; done

rss() { awk '/VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$PID/status"; }
sql() { python3 -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())' "$DB_FILE" "$1"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

COOKIE=$(curl -fs -o /dev/null -D - -d "username=admin%40frontdesk.test&password=$PASSWORD" \
  "$URL/api/auth/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
[ -n "$COOKIE" ] || { echo "could not sign in"; exit 1; }
# The demo clinic's members, whom the admin may open and edit.
python3 - "$DB_FILE" >"$DIR/ids.txt" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "select u.id from users u join clinics c on c.id = u.clinic_id"
    " where c.name = 'Clinic Portal' and u.user_type = 'member' order by u.id")
print("\n".join(str(r[0]) for r in rows))
PY
SESSIONS_BEFORE=$(sql "select count(*) from sessions")
echo "idle, after start and one sign-in: $(rss)"

run_wrk() { # mode threads connections duration
  wrk -t"$2" -c"$3" -d"$4" --timeout 10s -s "$HERE/mix.lua" "$URL" -- \
    "$1" "$COOKIE" "$DIR/ids.txt" "$PASSWORD" "$2" | grep '^RESULT'
}

echo "mixed load: $CONNECTIONS connections for $DURATION"
MIX=$(run_wrk mix 2 "$CONNECTIONS" "$DURATION")
echo "$MIX"
echo "after the mixed load: $(rss)"

failed=0
for e in connect read write timeout other; do
  if [ "$(field $e "$MIX")" != 0 ]; then echo "FAIL: $e errors: $(field $e "$MIX")"; failed=1; fi
done
# Every answer that is not 2xx must be a sign-in shed by the hashing queue (503 Busy).
SHED=$(field busy "$MIX")
NOT_SHED=$(( $(field non2xx "$MIX") - SHED ))
if [ "$NOT_SHED" != 0 ]; then echo "FAIL: $NOT_SHED answers were errors other than a shed sign-in"; failed=1; fi
account_for_writes "$MIX"
echo "sign-ins shed with 503 Busy: $SHED ($(( 100 * SHED / (SENT_SIGNINS > 0 ? SENT_SIGNINS : 1) )) %)"
[ "$EDITS" -gt 0 ] && [ "$SIGNINS" -gt 0 ] || { echo "FAIL: the mix made no edits or sign-ins"; failed=1; }

echo "searches alone: 8 connections for $STORM"
IDLE=$(run_wrk search 1 8 "$STORM")
echo "$IDLE"
echo "searches during a sign-in storm (32 connections signing in) for $STORM"
run_wrk signin 1 32 "$STORM" >"$DIR/storm.txt" &
STORM_PID=$!
sleep 1
BUSY=$(run_wrk search 1 8 "$STORM")
wait $STORM_PID
echo "$BUSY"
echo "storm: $(cat "$DIR/storm.txt")"
echo "after the storm: $(rss)"
for e in connect read write timeout non2xx; do
  if [ "$(field $e "$BUSY")" != 0 ]; then echo "FAIL: searches during the storm: $e errors"; failed=1; fi
done
if [ "$(field search "$BUSY")" = 0 ]; then echo "FAIL: no search answered during the storm"; failed=1; fi
echo "search p99: $(field p99_ms "$IDLE") ms alone, $(field p99_ms "$BUSY") ms during the storm"

if [ $failed = 0 ]; then echo "loadtest: passed"; else echo "loadtest: FAILED"; exit 1; fi
