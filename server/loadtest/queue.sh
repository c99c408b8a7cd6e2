#!/usr/bin/env bash
# `make queueload`: the waiting rooms under load, on the release build over a fresh SQLite
# database of $LOAD_MEMBERS generated members: 50 rooms of 40 waiting guests whose pages keep
# a question about their place open, and 20 providers' dashboards read every second (each
# provider starting or ending a visit every 10 s), while the admin searches. Fails when any
# request fails, when a started visit takes more than 2 s (p99) to show on the patient's
# page, or when the searches' p99 passes 1.5× their p99 alone before it (their p99 alone
# after it is printed beside, not judged).
set -euo pipefail

BIN=${BIN:?set BIN to the release frontdesk binary}
MEMBERS=${LOAD_MEMBERS:-100000}
SECONDS_EACH=${QUEUE_SECONDS:-20}
DIR=${LOAD_DIR:-$HOME/.cache/frontdesk/queue}
PASSWORD=Load-Test-Admin-42

mkdir -p "$DIR"
rm -rf "$DIR"/queue.db* "$DIR/mail"
export DATABASE_URL="sqlite://$DIR/queue.db?mode=rwc"
export FRONTDESK_DEMO_ADMIN_PASSWORD=$PASSWORD FRONTDESK_LOG=warn \
  FRONTDESK_MAIL_DIR="$DIR/mail" FRONTDESK_SITE_ROOT=target/site FRONTDESK_SECRET_KEY_FILE="$DIR/secret.key" \
  FRONTDESK_PUBLIC_POST_BURST=100000000 FRONTDESK_GUEST_BURST=100000000

echo "seeding $MEMBERS members"
"$BIN" seed-demo --members "$MEMBERS" >/dev/null

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --bind "127.0.0.1:$PORT" serve >"$DIR/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/login" && break; sleep 0.05; done

OUT=$("$BIN" queue-load --disposable --url "127.0.0.1:$PORT" --pid "$PID" --seconds "$SECONDS_EACH" | tee /dev/stderr)
RESULT=$(grep '^RESULT' <<<"$OUT")
ratio=$(sed -n 's/.*search_p99_ratio=\([^ ]*\).*/\1/p' <<<"$RESULT")
again=$(sed -n 's/.*alone_again_ratio=\([^ ]*\).*/\1/p' <<<"$RESULT")
failed=$(sed -n 's/.* failed=\([^ ]*\).*/\1/p' <<<"$RESULT")
seen=$(sed -n 's/.*seen_p99_ms=\([^ ]*\).*/\1/p' <<<"$RESULT")
status=0
if [ "$failed" != false ]; then echo "FAIL: a request was not answered 200"; status=1; fi
if [ -z "$seen" ] || [ "$seen" -gt 2000 ]; then
  echo "FAIL: a started visit showed on the patient's page after ${seen} ms (p99; goal ≤ 2,000)"; status=1
fi
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 1.5 else 1)" "$ratio"; then
  echo "searches' p99 during the queue load: ${ratio}× alone (goal ≤ 1.5×)"
else
  echo "FAIL: searches' p99 during the queue load is ${ratio}× alone (goal ≤ 1.5×)"; status=1
fi
echo "searches' p99 alone after the queue load: ${again}× alone before it (not judged)"
if [ $status = 0 ]; then echo "queueload: passed"; else echo "queueload: FAILED"; fi
exit $status
