#!/bin/sh
# ehcpctl and ehcpd with a principals file: without a token, or with a
# wrong one, calls are refused (exit 1) saying so; --token-file and
# EHCP_TOKEN_FILE send the token; a role that may not call a method is
# refused naming the roles that may; SIGHUP re-reads the file; a bad file
# stops the start, naming the line and the field, before anything is
# created; no token appears in ehcpd's log.
# Usage: cli_auth.sh EHCPD EHCPCTL
set -u
EHCPD=$1
EHCPCTL=$2
dir=$(mktemp -d)
pid=
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "$0")/ehcpd_lib.sh"
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

cw_token=caseworker-token-0d1f2e
admin_token=admin-token-77ab1c
new_token=newcomer-token-5e6f
printf '%s\n' "$cw_token" >"$dir/cw.token"
printf '%s\n' "$admin_token" >"$dir/admin.token"
printf '%s\n' "$new_token" >"$dir/new.token"
printf 'not-a-token\n' >"$dir/wrong.token"
cat >"$dir/principals" <<END
# test principals
name=medway-frontend roles=caseworker las=E06000035 token_sha256=$(hash "$cw_token")
name=ops roles=admin las=* token_sha256=$(hash "$admin_token")
END

# A bad file is refused before anything is created.
printf 'name=x roles=boss las=* token_sha256=%s\n' "$(hash x)" >"$dir/bad"
out=$("$EHCPD" --data_dir="$dir/never" --listen=127.0.0.1:0 \
      --principals_file="$dir/bad" 2>&1)
[ $? -eq 1 ] || fail "a bad principals file was not refused: $out"
printf '%s' "$out" | grep -q "bad:1: roles: unknown role" ||
  fail "the refusal does not name the line and field: $out"
[ ! -e "$dir/never" ] || fail "a refused start created its data directory"

start_ehcpd data --principals_file="$dir/principals"
pid=$started_pid
port=$started_port
server="--server=127.0.0.1:$port"

out=$(env -u EHCP_TOKEN_FILE "$EHCPCTL" "$server" projection 2>&1)
[ $? -eq 1 ] || fail "no token was not exit 1: $out"
printf '%s' "$out" | grep -q "missing credentials" || fail "no token: $out"

out=$("$EHCPCTL" "$server" --token-file "$dir/wrong.token" projection 2>&1)
[ $? -eq 1 ] || fail "a wrong token was not exit 1: $out"
printf '%s' "$out" | grep -q "unknown token" || fail "wrong token: $out"

id=$("$EHCPCTL" "$server" --token-file "$dir/cw.token" open --la E06000035 \
     --ref MED-CLI-1 2>&1) || fail "open with the caseworker's token: $id"
out=$(EHCP_TOKEN_FILE="$dir/cw.token" "$EHCPCTL" "$server" --json show "$id" \
      2>&1) || fail "show with EHCP_TOKEN_FILE: $out"

out=$("$EHCPCTL" "$server" --token-file "$dir/cw.token" rebuild 2>&1)
[ $? -eq 1 ] || fail "a caseworker's rebuild was not refused: $out"
printf '%s' "$out" | grep -q "may be called by the roles admin" ||
  fail "the refusal does not name the roles: $out"
out=$("$EHCPCTL" "$server" --token-file "$dir/admin.token" rebuild 2>&1) ||
  fail "the admin's rebuild: $out"

out=$("$EHCPCTL" "$server" --token-file "$dir/new.token" projection 2>&1)
[ $? -eq 1 ] || fail "an unknown token was served: $out"
printf 'name=kent-frontend roles=caseworker las=E10000016 token_sha256=%s\n' \
  "$(hash "$new_token")" >>"$dir/principals"
kill -HUP "$pid"
for _ in $(seq 1 50); do
  grep -q principals_reloaded "$dir/data.err" && break
  sleep 0.1
done
out=$("$EHCPCTL" "$server" --token-file "$dir/new.token" projection 2>&1) ||
  fail "the token added to the file was not served after SIGHUP: $out"

kill -TERM "$pid"
wait "$pid"
pid=
for t in "$cw_token" "$admin_token" "$new_token"; do
  if grep -q "$t" "$dir/data.err" "$dir/data.out"; then fail "a token is in the log"; fi
done
echo "ok"
