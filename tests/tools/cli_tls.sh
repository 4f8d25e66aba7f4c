#!/bin/sh
# ehcpctl and ehcpd over mutual TLS with certificates made here by openssl:
# a client with a certificate of the client CA is served; without one, or
# in plaintext, it cannot connect and says why (exit 2); ehcpd refuses
# plaintext on an address other machines can reach, before creating
# anything (exit 1); ehcpctl refuses half a client identity (exit 64).
# Usage: cli_tls.sh EHCPD EHCPCTL
set -u
EHCPD=$1
EHCPCTL=$2
dir=$(mktemp -d)
pid=
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "$0")/ehcpd_lib.sh"

# The certificates, by deploy/security/make-certs.sh (tested here too).
DAYS=2 sh "$(dirname "$0")/../../deploy/security/make-certs.sh" "$dir" localhost \
  client >/dev/null || fail "make the certificates"

# Plaintext on 0.0.0.0 is refused before anything is created.
out=$("$EHCPD" --data_dir="$dir/open" --listen=0.0.0.0:0 2>&1)
[ $? -eq 1 ] || fail "plaintext on 0.0.0.0 was not refused: $out"
printf '%s' "$out" | grep -q "without TLS" || fail "the refusal does not say why: $out"
[ ! -e "$dir/open" ] || fail "a refused start created its data directory"

start_ehcpd data --tls_cert="$dir/server.pem" --tls_key="$dir/server.key" \
  --tls_client_ca="$dir/ca.pem"
pid=$started_pid
port=$started_port
grep -q '"tls":"mutual"' "$dir/data.err" || fail "the start log does not say mutual TLS"

server="--server=localhost:$port"
out=$("$EHCPCTL" "$server" --tls-ca "$dir/ca.pem" --tls-cert "$dir/client.pem" \
      --tls-key "$dir/client.key" projection 2>&1) || fail "with a client certificate: $out"
printf '%s' "$out" | grep -qi "checkpoint" || fail "projection over TLS: $out"

out=$("$EHCPCTL" "$server" --timeout 3 --tls-ca "$dir/ca.pem" projection 2>&1)
[ $? -eq 2 ] || fail "no client certificate was not exit 2: $out"
printf '%s' "$out" | grep -q "tls-cert" || fail "no hint about the client certificate: $out"

out=$("$EHCPCTL" "$server" --timeout 3 projection 2>&1)
[ $? -eq 2 ] || fail "plaintext to a TLS server was not exit 2: $out"

out=$("$EHCPCTL" "$server" --tls-ca "$dir/ca.pem" --tls-cert "$dir/client.pem" projection 2>&1)
[ $? -eq 64 ] || fail "--tls-cert without --tls-key was not a usage error: $out"
out=$("$EHCPCTL" "$server" --tls-ca "$dir/nowhere.pem" projection 2>&1)
[ $? -eq 66 ] || fail "a missing --tls-ca file was not exit 66: $out"
printf '%s' "$out" | grep -q "tls-ca: cannot read" || fail "missing CA not named: $out"
echo "ok"
