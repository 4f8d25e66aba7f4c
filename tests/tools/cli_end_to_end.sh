#!/bin/sh
# ehcpctl against a real ehcpd on a free port: open a case, append a
# journey, see it refused when impossible (one line, exit 1), show it, and
# read its clocks. Usage: cli_end_to_end.sh EHCPD EHCPCTL
set -u
EHCPD=$1
EHCPCTL=$2
dir=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT

"$EHCPD" --data_dir="$dir/data" --listen=127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 1 100); do
  grep -q listening "$dir/out" && break
  sleep 0.1
done
port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$dir/out")
[ -n "$port" ] || { echo "ehcpd did not start"; cat "$dir/err"; exit 1; }
export EHCP_SERVER="127.0.0.1:$port"

fail() { echo "FAIL: $*"; exit 1; }

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
echo "ok"
