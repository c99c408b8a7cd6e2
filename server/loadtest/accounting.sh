# The loadtest mix's writes, accounted for: every acknowledged edit and sign-in is stored,
# and nothing is stored that was not sent (requests still in flight when wrk stops are sent
# but not acknowledged). Sourced by run.sh and servers.sh, which define `field` (a value of
# wrk's summary) and `sql` (one value from the database) and set SESSIONS_BEFORE.

# `account_for_writes SUMMARY`: prints what was acknowledged, sent and stored; sets
# failed=1 when they disagree. Leaves EDITS, SENT_EDITS, SIGNINS and SENT_SIGNINS set.
account_for_writes() {
  local stored audited sessions
  EDITS=$(field edit "$1"); SENT_EDITS=$(field sent_edit "$1")
  SIGNINS=$(field signin "$1"); SENT_SIGNINS=$(field sent_signin "$1")
  sleep 1
  stored=$(sql "select count(*) from users where city like 'Loadville %'")
  audited=$(sql "select count(*) from audit_events where action = 'profile_changed'")
  sessions=$(( $(sql "select count(*) from sessions") - SESSIONS_BEFORE ))
  echo "edits: $EDITS acknowledged of $SENT_EDITS sent; $stored stored, $audited audited;" \
    "sign-ins: $SIGNINS acknowledged of $SENT_SIGNINS sent, $sessions sessions"
  if ! within "$stored" "$EDITS" "$SENT_EDITS" || [ "$stored" != "$audited" ] \
    || ! within "$sessions" "$SIGNINS" "$SENT_SIGNINS"; then
    echo "FAIL: an acknowledged write is lost, or one not sent is stored"; failed=1
  fi
}

within() { [ "$2" -le "$1" ] && [ "$1" -le "$3" ]; }
