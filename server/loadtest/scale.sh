#!/usr/bin/env bash
# `make bench`, second half: the release server over the benchmark's seeded database
# ($BENCH_DB, a million members), measured from outside:
#   - start to ready (the first page answered), and resident memory idle;
#   - member searches per second with wrk, and their p50/p99: the first seconds after a
#     start, then with pages kept in memory (the default), and with every page read from
#     the database;
#   - sign-in storms alone against the sign-ins per second the cores allow, that limit
#     measured again around each storm (and what all cores checking at once really give);
#   - searches alone and during a storm, three rounds;
#   - resident memory after all that;
#   - the users page in headless Chromium: navigation start to a search keystroke's rows;
#   - Export CSV of every member: the download's time, memory before and after;
#   - then bulk.sh: one bulk action suspending a room's members while searching.
# Prints Markdown for BENCHMARKS.md. Measures; fails only when something errs.
set -euo pipefail

BIN=${BIN:?set BIN to the release frontdesk binary}
DB=${BENCH_DB:?set BENCH_DB to the seeded SQLite file}
DURATION=${SCALE_DURATION:-30s}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PASSWORD=Bench-Admin-Pass-1   # server/src/bench.rs seeds the demo admin with it
WORK=$(mktemp -d)

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null

export DATABASE_URL="sqlite://$DB?mode=rwc" FRONTDESK_LOG=warn FRONTDESK_SEED_DEMO=false \
  FRONTDESK_MAIL_DIR="$WORK/mail" FRONTDESK_SITE_ROOT="$ROOT/target/site" \
  FRONTDESK_PUBLIC_POST_BURST=100000000 FRONTDESK_TRUSTED_PROXIES=127.0.0.1/32
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# Start to ready, five times: each start is timed from exec to the first page answered.
starts=()
for _ in 1 2 3 4 5; do
  t0=$(date +%s%N)
  "$BIN" --bind "127.0.0.1:$PORT" serve >"$WORK/server.log" 2>&1 &
  PID=$!
  until curl -fs -o /dev/null "$URL/login"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log"; echo "server exited"; exit 1; }
    sleep 0.005
  done
  starts+=($(( ($(date +%s%N) - t0) / 1000000 )))
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
sorted=$(printf '%s\n' "${starts[@]}" | sort -n | tr '\n' ' ')

"$BIN" --bind "127.0.0.1:$PORT" serve >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs -o /dev/null "$URL/login"; do sleep 0.01; done
# Resident memory, and the part of it that is the database file's pages mapped in (shared
# with the system's file cache, given back under memory pressure).
rss() { awk '/VmRSS/ {t=$2} /RssFile/ {f=$2} END {printf "%.0f MB (%.0f MB of it file-backed: the program and the mapped database)", t / 1024, f / 1024}' "/proc/$PID/status"; }
COOKIE=$(curl -fs -o /dev/null -D - -d "username=admin%40frontdesk.test&password=$PASSWORD" \
  "$URL/api/auth/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
[ -n "$COOKIE" ] || { echo "could not sign in"; exit 1; }
IDLE_RSS=$(rss)

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
run_wrk() { # mode connections duration
  wrk -t1 -c"$2" -d"$3" --timeout 10s -s "$HERE/mix.lua" "$URL" -- \
    "$1" "$COOKIE" /dev/null "$PASSWORD" 1 | grep '^RESULT'
}
check() { # label result
  for e in connect read write timeout non2xx; do
    [ "$(field $e "$2")" = 0 ] || { echo "FAIL: $1: $e errors: $2"; exit 1; }
  done
}

# The first seconds after a start find no page kept: each search's pages are read from
# the database once, the other connections asking for them meanwhile waiting on that read.
# They are reported on their own, and the timed run follows them.
FIRST=$(run_wrk search 64 10s); check "searches after the start" "$FIRST"
SEARCH=$(run_wrk search 64 "$DURATION"); check "searches" "$SEARCH"
# The sign-in rate against the machine's limit. One password check's time can move by a
# factor of two or three within minutes on a shared machine, so the limit is measured
# again around each storm: five storms of 10 s, each between two measurements of the
# limit, each storm's rate divided by the mean of the two; the median of the five is the
# figure.
limit_now() { "$BIN" argon2-limit --runs 10 | grep '^RESULT'; }
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
per_s() { python3 -c "print(f'{$(field signin "$1") / $(field seconds "$1"):.1f}')"; } # wrk result
span() { # field results…: the lowest and the highest of that field, "low / high"
  local name=$1; shift
  for r in "$@"; do field "$name" "$r"; done | sort -n | sed -n '1p;$p' | paste -sd/ | sed 's|/| / |'
}
LIMIT=$(limit_now)
LIMITS=("$LIMIT") SHARES=() RATES=() STORM_P99=()
for _ in 1 2 3 4 5; do
  STORM=$(run_wrk signin 32 10s); check "sign-in storm" "$STORM"
  NEXT=$(limit_now)
  rate=$(per_s "$STORM")
  RATES+=("$rate") STORM_P99+=("$(field p99_ms "$STORM")") LIMITS+=("$NEXT")
  SHARES+=("$(python3 -c "print(f'{200 * $rate / ($(field limit_per_s "$LIMIT") + $(field limit_per_s "$NEXT")):.0f}')")")
  LIMIT=$NEXT
done
HASH_MS=$(span hash_ms "${LIMITS[@]}")
ALL_CORES=$(span all_cores_per_s "${LIMITS[@]}")
# Searches alone, then during a storm (searching through 10 s of a 20 s storm), three
# times: each round's p99 during ÷ alone, and the median of the three.
ALONE_P99=() BUSY_P99=() RATIOS=() MIXED_RATES=()
for _ in 1 2 3; do
  ALONE=$(run_wrk search 8 10s); check "searches alone" "$ALONE"
  run_wrk signin 32 20s >"$WORK/storm.txt" &
  STORM_PID=$!
  sleep 5
  BUSY=$(run_wrk search 8 10s); check "searches during the storm" "$BUSY"
  wait $STORM_PID
  MIXED=$(cat "$WORK/storm.txt"); check "sign-in storm with searches" "$MIXED"
  ALONE_P99+=("$(field p99_ms "$ALONE")") BUSY_P99+=("$(field p99_ms "$BUSY")")
  RATIOS+=("$(python3 -c "print(f'{$(field p99_ms "$BUSY") / $(field p99_ms "$ALONE"):.2f}')")")
  MIXED_RATES+=("$(per_s "$MIXED")")
done
AFTER_RSS=$(rss)

INTERACTIVE=$(cd "$ROOT/end2end" && FRONTDESK_URL=$URL FRONTDESK_USERNAME=admin@frontdesk.test \
  FRONTDESK_PASSWORD=$PASSWORD node bench/interactive.mjs | grep '^RESULT')

# The same searches with no page kept in memory (FRONTDESK_RECENT_PAGES=0): every one read
# from the database, as when each search is new or the clinic changed since.
kill "$PID"; wait "$PID" 2>/dev/null || true
FRONTDESK_RECENT_PAGES=0 "$BIN" --bind "127.0.0.1:$PORT" serve >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs -o /dev/null "$URL/login"; do sleep 0.01; done
COOKIE=$(curl -fs -o /dev/null -D - -d "username=admin%40frontdesk.test&password=$PASSWORD" \
  "$URL/api/auth/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
READ=$(run_wrk search 64 "$DURATION"); check "searches, every page read" "$READ"
READ_ALONE=$(run_wrk search 8 10s); check "searches alone, every page read" "$READ_ALONE"

# Export CSV of the users page's whole view (every member of the admin's clinics): the
# download's time over loopback, and the server's own memory before and after (resident
# and not file-backed: the mapped database grows with any read of it).
rss_mb() { awk '/RssAnon/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
EXPORT_BEFORE=$(rss_mb)
t0=$(date +%s%N)
curl -fs -H "Cookie: $COOKIE" -o "$WORK/export.csv" "$URL/admin/users/export.csv"
EXPORT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
EXPORT_AFTER=$(rss_mb)
EXPORT_ROWS=$(( $(wc -l <"$WORK/export.csv") - 1 ))
EXPORT_MB=$(( $(stat -c %s "$WORK/export.csv") / 1048576 ))
rm -f "$WORK/export.csv"

cat <<MD

### The served app over the same database (release build, loopback)

| measure | figure |
|---|---|
| start to ready (exec → first page answered), 5 starts | ${sorted}ms |
| resident memory, idle after one sign-in | $IDLE_RSS |
| member searches, 64 connections, the first 10 s after the start | $(field rps "$FIRST") req/s; p50 $(field p50_ms "$FIRST") ms, p99 $(field p99_ms "$FIRST") ms |
| member searches, 64 connections, $DURATION after those (the 20 searches' pages kept in memory after their first read) | $(field rps "$SEARCH") req/s; p50 $(field p50_ms "$SEARCH") ms, p99 $(field p99_ms "$SEARCH") ms |
| … every page read from the database (\`FRONTDESK_RECENT_PAGES=0\`) | $(field rps "$READ") req/s; p50 $(field p50_ms "$READ") ms, p99 $(field p99_ms "$READ") ms |
| one password check (argon2id, 19 MiB, t=2), six measurements around the storms: fastest / slowest | $HASH_MS ms; the limit is $(field cores "$LIMIT") cores ÷ that |
| all cores checking passwords at once (no server), lowest / highest | $ALL_CORES checks/s |
| sign-in storms alone, 32 connections, 5 × 10 s: sign-ins/s | ${RATES[*]} |
| … each storm's share of the limit measured before and after it | ${SHARES[*]} % (median $(median "${SHARES[@]}") %); p99 $(median "${STORM_P99[@]}") ms (median) |
| searches, 8 connections, 3 rounds: p99 alone | ${ALONE_P99[*]} ms |
| … p99 during a storm (32 connections signing in) | ${BUSY_P99[*]} ms |
| … during ÷ alone | ${RATIOS[*]} (median $(median "${RATIOS[@]}")) |
| … sign-ins/s of those storms (20 s, searches running through 10 s of each) | ${MIXED_RATES[*]} |
| … alone, every page read from the database | p99 $(field p99_ms "$READ_ALONE") ms |
| resident memory after the above | $AFTER_RSS |
| Export CSV of every member ($EXPORT_ROWS rows, $EXPORT_MB MB), one download over loopback | $EXPORT_MS ms; the server's own memory (not file-backed) $EXPORT_BEFORE MB before, $EXPORT_AFTER MB after |
| users page in Chromium, warm cache, p50 / p95 ($(field runs "$INTERACTIVE") opens): navigation → hydrated | $(field hydrated_p50 "$INTERACTIVE") / $(field hydrated_p95 "$INTERACTIVE") ms |
| … keystroke → new rows shown (includes the search pause) | $(field answer_p50 "$INTERACTIVE") / $(field answer_p95 "$INTERACTIVE") ms |
| … navigation → new rows shown | $(field total_p50 "$INTERACTIVE") / $(field total_p95 "$INTERACTIVE") ms |
| … the page typing the moment it is hydrated (no Playwright round trips): navigation → hydrated / keystroke → rows / navigation → rows | $(field in_page_hydrated_p50 "$INTERACTIVE") / $(field in_page_answer_p50 "$INTERACTIVE") / $(field in_page_total_p50 "$INTERACTIVE") ms p50; $(field in_page_total_p95 "$INTERACTIVE") ms p95 |
| … the same in one tab already showing the app (Rooms, then the users page): navigation → hydrated / keystroke → rows / navigation → rows | $(field in_tab_hydrated_p50 "$INTERACTIVE") / $(field in_tab_answer_p50 "$INTERACTIVE") / $(field in_tab_total_p50 "$INTERACTIVE") ms p50; $(field in_tab_total_p95 "$INTERACTIVE") ms p95 |
| … the same in new tabs of an ordinary browser profile kept on disk (Chromium's code cache): navigation → hydrated / keystroke → rows / navigation → rows | $(field in_profile_hydrated_p50 "$INTERACTIVE") / $(field in_profile_answer_p50 "$INTERACTIVE") / $(field in_profile_total_p50 "$INTERACTIVE") ms p50; $(field in_profile_total_p95 "$INTERACTIVE") ms p95 |
| … first open, empty cache: hydrated / new rows | $(field cold_hydrated "$INTERACTIVE") / $(field cold_total "$INTERACTIVE") ms |
MD

kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
BIN=$BIN BENCH_DB=$DB "$HERE/bulk.sh"
