#!/bin/sh
# ehcpctl against a real ehcpd on a free port: open a case, append a
# journey, see it refused when impossible (one line, exit 1), show it, and
# read its clocks, replay it, verify the log against a digest, and move the
# log to a second ehcpd by export and import (same digest, same answers);
# on a third ehcpd with a simulated date, follow alerts as the days pass,
# across a kill -9 and restart of the server (none missed, none twice).
# Usage: cli_end_to_end.sh EHCPD EHCPCTL
set -u
EHCPD=$1
EHCPCTL=$2
dir=$(mktemp -d)
pid2=
pid3=
follower=
trap 'kill -TERM $pid $pid2 $pid3 $follower 2>/dev/null; wait $pid $pid2 $pid3 $follower 2>/dev/null; rm -rf "$dir"' EXIT

. "$(dirname "$0")/ehcpd_lib.sh"
start_ehcpd data
pid=$started_pid
port=$started_port
export EHCP_SERVER="127.0.0.1:$port"

fail() { echo "FAIL: $*"; exit 1; }

# Both say the project's version and how they were built.
"$EHCPD" --version | grep -Eq '^ehcpd [0-9]+\.[0-9]+\.[0-9]+ \([A-Za-z]+ build\)$' \
  || fail "ehcpd --version: $("$EHCPD" --version)"
"$EHCPCTL" --version | grep -Eq '^ehcpctl [0-9]+\.[0-9]+\.[0-9]+ \([A-Za-z]+ build\)$' \
  || fail "ehcpctl --version: $("$EHCPCTL" --version)"

id=$("$EHCPCTL" open --la E06000035 --ref E2E-1 --birth-month 2015-03 \
     --opened-on 2024-01-02) || fail "open"
cat >"$dir/journey.json" <<'JSON'
[
 {"occurredOn":"2024-01-08","payload":{"requestReceived":{"source":"REQUEST_SOURCE_PARENT"}}},
 {"occurredOn":"2024-02-16","payload":{"assessmentDecision":{"outcome":"ASSESSMENT_DECISION_OUTCOME_ASSESS"}}}
]
JSON
"$EHCPCTL" append "$id" "$dir/journey.json" --expected-version 1 >/dev/null \
  || fail "append of a possible journey"

# Worklists: the case by its reference (once the index has read the
# append), among the cases being assessed, and its 20-week deadline in a
# window, each row with the council's reference.
for _ in $(seq 100); do
  out=$("$EHCPCTL" find --la E06000035 --ref E2E-1 2>&1)
  printf '%s' "$out" | grep -q "assessing" && break
  sleep 0.1
done
printf '%s\n' "$out" | grep -q "^$id  E2E-1  E06000035  assessing$" \
  || fail "find: $out"
out=$("$EHCPCTL" cases --la E06000035 --stage assessing) || fail "cases: $out"
printf '%s\n' "$out" | grep -q "^$id  E2E-1  " || fail "cases does not list it: $out"
out=$("$EHCPCTL" due --la E06000035 --as-of 2024-03-01 --to 2024-06-30) \
  || fail "due: $out"
printf '%s\n' "$out" | grep -q "^$id  E2E-1  E06000035  final_plan_20w .* 2024-05-27  PENDING" \
  || fail "due does not list the 20-week deadline: $out"

# A final plan with no draft is impossible: one line naming the rule, exit 1.
out=$(echo '[{"occurredOn":"2024-03-01","payload":{"finalPlanIssued":{}}}]' \
      | "$EHCPCTL" append "$id" - 2>&1)
rc=$?
[ "$rc" -eq 1 ] || fail "refused append exited $rc, not 1: $out"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "refusal is not one line: $out"
printf '%s' "$out" | grep -q "FAILED_PRECONDITION" || fail "refusal does not say why: $out"
printf '%s' "$out" | grep -q "final_plan.requires_draft" || fail "refusal does not name the rule: $out"

# A wrong expected version is ABORTED, exit 1, and names the actual version.
out=$("$EHCPCTL" append "$id" "$dir/journey.json" --expected-version 1 2>&1)
[ $? -eq 1 ] || fail "stale expected version was not refused"
printf '%s' "$out" | grep -q "actual version 3" || fail "no actual version: $out"

"$EHCPCTL" show "$id" | grep -q "E2E-1" || fail "show does not show the case"
"$EHCPCTL" clocks "$id" --as-of 2024-03-01 | grep -q "decision_to_assess" \
  || fail "clocks does not list decision_to_assess"
"$EHCPCTL" --json clocks "$id" --as-of 2024-03-01 | grep -q '"CLOCK_STATUS_MET"' \
  || fail "the 6-week decision is not MET in JSON"
# The auditor's replay: the timeline, then one JSON line per message.
out=$("$EHCPCTL" replay "$id" --as-of 2024-03-01) || fail "replay: $out"
printf '%s' "$out" | grep -q "^#2  2024-01-08  request received" \
  || fail "replay does not list the request second: $out"
printf '%s' "$out" | grep -q "+ decision_to_assess 1: PENDING" \
  || fail "replay does not show the clock the request started: $out"
[ "$("$EHCPCTL" --json replay "$id" | wc -l)" -eq 4 ] \
  || fail "replay --json is not a header and three entries"
# The auditor's digest, then a verification against it after more appends.
digest=$("$EHCPCTL" digest) || fail "digest"
printf '%s' "$digest" | grep -Eq '^[0-9]+:[0-9a-f]{64}$' || fail "not a digest: $digest"
"$EHCPCTL" open --la E06000035 --ref E2E-2 >/dev/null || fail "second open"
out=$("$EHCPCTL" verify --against "$digest" 2>/dev/null) || fail "verify: $out"
printf '%s' "$out" | grep -q "unaltered prefix" || fail "verify does not say so: $out"

# Export the whole log to a file, import it into a second ehcpd on an empty
# data directory: the same digest, the same clocks. A damaged line is
# refused, naming it, and leaves the second log empty.
"$EHCPCTL" export --out "$dir/log.jsonl" 2>"$dir/export.err" \
  || fail "export: $(cat "$dir/export.err")"
[ ! -e "$dir/log.jsonl.partial" ] || fail "export left its .partial file"
grep -q "exported 4 records" "$dir/export.err" \
  || fail "export does not say what it wrote: $(cat "$dir/export.err")"
start_ehcpd data2
pid2=$started_pid
second="--server=127.0.0.1:$started_port"
sed '3s/"stored":"./"stored":"A/' "$dir/log.jsonl" >"$dir/damaged.jsonl"
out=$("$EHCPCTL" "$second" import "$dir/damaged.jsonl" 2>&1)
[ $? -eq 1 ] || fail "a damaged import was not refused: $out"
printf '%s' "$out" | grep -q "position 3" || fail "refusal does not name position 3: $out"
[ "$("$EHCPCTL" "$second" digest)" = "0:0000000000000000000000000000000000000000000000000000000000000000" ] \
  || fail "a refused import wrote something"
out=$("$EHCPCTL" "$second" import "$dir/log.jsonl" 2>/dev/null) || fail "import: $out"
source_digest=$("$EHCPCTL" digest)
printf '%s' "$out" | grep -q "imported 4 records; digest $source_digest" \
  || fail "import did not reproduce the digest $source_digest: $out"
[ "$("$EHCPCTL" "$second" clocks "$id" --as-of 2024-03-01)" = \
  "$("$EHCPCTL" clocks "$id" --as-of 2024-03-01)" ] \
  || fail "the imported case's clocks differ"

# Alerts as the days pass, on a third ehcpd whose today is simulated. A
# follower (JSON lines) sees the decision's DUE_SOON and BREACHED; the
# server is killed -9 and restarted on the same port, the days move on, and
# the follower, reconnecting by itself, sees the alerts of the 16-week
# notice (decision_not_to_issue) and the 20-week clock: sequences 1, 2,
# 3, ... with none missed and none twice.
start_ehcpd data3 --today=2024-01-02
pid3=$started_pid
port3=$started_port
third="--server=127.0.0.1:$port3"
id3=$("$EHCPCTL" "$third" open --la E06000035 --ref E2E-ALERT \
      --opened-on 2024-01-02) || fail "open on the third"
"$EHCPCTL" "$third" today --set 2024-01-08 >/dev/null || fail "today --set"
cat >"$dir/request.json" <<'JSON'
[{"occurredOn":"2024-01-08","payload":{"requestReceived":{"source":"REQUEST_SOURCE_PARENT"}}}]
JSON
"$EHCPCTL" "$third" append "$id3" "$dir/request.json" >/dev/null \
  || fail "append of the request on the third"
"$EHCPCTL" "$third" --json alerts --follow >"$dir/follow.jsonl" 2>"$dir/follow.err" &
follower=$!
out=$("$EHCPCTL" "$third" today --advance 45) || fail "today --advance: $out"
printf '%s' "$out" | grep -q "today 2024-02-22 (simulated" || fail "today: $out"
wait_lines() {  # waits until the follower has printed $1 lines
  for _ in $(seq 200); do
    [ "$(wc -l <"$dir/follow.jsonl")" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "the follower printed $(wc -l <"$dir/follow.jsonl") alerts, not $1: $(cat "$dir/follow.err")"
}
wait_lines 2
out=$("$EHCPCTL" "$third" alerts) || fail "alerts: $out"
printf '%s\n' "$out" | grep -q "^#1  2024-02-05  DUE_SOON   E06000035  E2E-ALERT  decision_to_assess#1  due 2024-02-19  14 days left  $id3$" \
  || fail "alerts #1: $out"
printf '%s\n' "$out" | grep -q "^#2  2024-02-20  BREACHED   E06000035  E2E-ALERT  decision_to_assess#1  due 2024-02-19  1 day late  $id3$" \
  || fail "alerts #2: $out"
printf '%s\n' "$out" | tail -n 1 | grep -q "^2 alerts from #1; the last raised is #2" \
  || fail "alerts summary: $out"
kill -KILL "$pid3"
wait "$pid3" 2>/dev/null
start_ehcpd data3 --today=2024-02-22 --listen="127.0.0.1:$port3"
pid3=$started_pid
"$EHCPCTL" "$third" today --set 2024-06-01 >/dev/null || fail "today after the restart"
wait_lines 5
kill -INT "$follower"
wait "$follower" || fail "the follower did not stop cleanly on Ctrl-C"
follower=
seqs=$(sed 's/.*"sequence":"\{0,1\}\([0-9]*\).*/\1/' "$dir/follow.jsonl" | tr '\n' ' ')
[ "$seqs" = "1 2 3 4 5 " ] || fail "the follower saw alerts $seqs, not 1 2 3 4 5"
grep -q "retrying" "$dir/follow.err" || fail "the follower did not say it lost ehcpd: $(cat "$dir/follow.err")"
out=$("$EHCPCTL" "$third" alerts --from 3 --kind breached) || fail "alerts --kind: $out"
printf '%s\n' "$out" | grep -q "^#5  2024-05-28  BREACHED .*final_plan_20w#1  due 2024-05-27  1 day late" \
  || fail "alerts --from 3 --kind breached: $out"
echo "ok"
