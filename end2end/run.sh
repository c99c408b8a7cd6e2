#!/usr/bin/env bash
# Runs the browser tests against the release build: a fresh SQLite file, a free port, a real
# SMTP server (maildev, from npm) on free ports, Debian's chromium. Stops what it started,
# whatever happens.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "chromium is missing: install Debian's chromium package (apt-get install chromium)"; exit 1
  fi
fi

BIN=${BIN:?set BIN to the frontdesk binary}
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
smtp_port=$(free_port)
mail_web_port=$(free_port)
password="E2e-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')-9"
server_pid=""
maildev_pid=""
cleanup() {
  for pid in $server_pid $maildev_pid; do
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

node_modules/.bin/maildev --ip 127.0.0.1 --smtp "$smtp_port" --web-ip 127.0.0.1 --web "$mail_web_port" \
  >"$work/maildev.log" 2>&1 &
maildev_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$mail_web_port/api/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$maildev_pid" 2>/dev/null; then cat "$work/maildev.log"; echo "maildev exited"; exit 1; fi
  sleep 0.1
done

DATABASE_URL="sqlite://$work/frontdesk.db?mode=rwc" \
FRONTDESK_SECRET_KEY_FILE="$work/secret.key" \
FRONTDESK_BIND="127.0.0.1:$port" \
FRONTDESK_PUBLIC_URL="http://localhost:$port" \
FRONTDESK_SITE_ROOT="$(cd .. && pwd)/target/site" \
FRONTDESK_DEMO_ADMIN_PASSWORD="$password" \
FRONTDESK_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
FRONTDESK_GUEST_BURST=1000 \
  "$BIN" serve >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/login" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; echo "server exited"; exit 1; fi
  sleep 0.1
done

status=0
FRONTDESK_E2E_URL="http://localhost:$port" FRONTDESK_DEMO_ADMIN_PASSWORD="$password" \
FRONTDESK_E2E_DB="$work/frontdesk.db" \
FRONTDESK_MAILDEV_URL="http://127.0.0.1:$mail_web_port" \
  npx playwright test "$@" 2>&1 | tee "$work/playwright.log" || status=$?
if [ "$status" != 0 ]; then
  echo "--- server log (last 60 lines) ---"; tail -n 60 "$work/server.log"
fi

# Privacy: the server's log of the whole run carries no patient's name, email, phone or date
# of birth: the demo patient's and every value the browser tests typed.
if [ -z "${1:-}" ]; then
  patient_data='Jane|Gomez|Kira|Keyes|Tabby|Olga|Tavares|Porto|Faro|jane\.gomez|@example\.com|@me\.com|Ruiz|Noscript|Visitor|Noor|Lena|Frost|Rhea|Ashby|Tomas|Reyes|1990-04-21|1985-02-03|555-01|rash on my arm|Follow-up'
  if grep -E -i -n "$patient_data" "$work/server.log" | grep -v -E "^[0-9]+:Patients enter|admin@frontdesk" ; then
    echo "FAILED: patient data in the server log (lines above)"; status=1
  else
    echo "Privacy: no patient data in the server log ($(wc -l <"$work/server.log") lines checked)"
  fi
fi
# A failure's summary goes last, where a log that keeps only its tail still shows it.
if [ "$status" != 0 ]; then
  echo "--- browser tests that failed ---"
  sed -n '/^ *[0-9]*) \[/,$p' "$work/playwright.log" | head -n 120
fi
exit "$status"
