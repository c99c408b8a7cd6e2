#!/usr/bin/env bash
# `make lighthouse`: Lighthouse's mobile preset (performance and accessibility) on the pages a
# patient opens, over the release build and a fresh demo database, three runs per page.
# npm's `lighthouse` is installed once into ~/.cache/frontdesk/lighthouse; Debian's chromium
# runs it headless. Prints one line per run: scores, and FCP, LCP, TBT in ms.
set -euo pipefail

BIN=${BIN:?set BIN to the release frontdesk binary}
RUNS=${LIGHTHOUSE_RUNS:-3}
PAGES=${LIGHTHOUSE_PAGES:-/u/jessica /login /u/jessica/guest /u/jessica/sign-up /forgot-password}
TOOL=${LIGHTHOUSE_DIR:-$HOME/.cache/frontdesk/lighthouse}
if [ ! -x "$TOOL/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$TOOL" && npm install --prefix "$TOOL" --no-audit --no-fund lighthouse@12 >/dev/null
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL="sqlite://$work/frontdesk.db?mode=rwc" FRONTDESK_SECRET_KEY_FILE="$work/secret.key" \
  FRONTDESK_BIND="127.0.0.1:$port" FRONTDESK_PUBLIC_URL="http://127.0.0.1:$port" \
  FRONTDESK_SITE_ROOT=target/site FRONTDESK_DEMO_ADMIN_PASSWORD="Lighthouse-$RANDOM-Pass-42" \
  FRONTDESK_MAIL_DIR="$work/mail" "$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.1; done

echo "| page | performance | accessibility | FCP ms | LCP ms | TBT ms | bytes |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for path in $PAGES; do
  for _ in $(seq "$RUNS"); do
    CHROME_PATH=/usr/bin/chromium "$TOOL/node_modules/.bin/lighthouse" "http://127.0.0.1:$port$path" \
      --chrome-flags="--headless --no-sandbox" --only-categories=performance,accessibility \
      --output=json --output-path="$work/report.json" --quiet
    python3 - "$work/report.json" "$path" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); c = r["categories"]; a = r["audits"]
ms = lambda k: round(a[k]["numericValue"])
print(f"| {sys.argv[2]} | {round(c['performance']['score'] * 100)} | {round(c['accessibility']['score'] * 100)} "
      f"| {ms('first-contentful-paint')} | {ms('largest-contentful-paint')} | {ms('total-blocking-time')} "
      f"| {round(a['total-byte-weight']['numericValue'])} |")
PY
  done
done
