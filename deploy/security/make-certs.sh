#!/bin/sh
# Makes a private CA and certificates for ehcpd's TLS and mutual TLS with
# openssl, for trying things out and for tests (a council's own PKI issues
# the real ones; docs/security.md):
#   make-certs.sh OUT_DIR SERVER_NAME [CLIENT_NAME...]
# writes into OUT_DIR (created, mode 0700):
#   ca.pem, ca.key           the CA (give ca.pem to clients: ehcpctl --tls-ca;
#                            and to ehcpd as --tls_client_ca)
#   server.pem, server.key   for ehcpd --tls_cert/--tls_key, valid for
#                            SERVER_NAME, localhost and 127.0.0.1
#   CLIENT_NAME.pem/.key     one client certificate each, CN=CLIENT_NAME
#                            (ehcpctl --tls-cert/--tls-key; a principals
#                            file's cert_cn=CLIENT_NAME)
# Keys are EC P-256, unencrypted, mode 0600. Certificates last DAYS days
# (environment, default 365).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR SERVER_NAME [CLIENT_NAME...]" >&2; exit 64; }
out=$1
server=$2
shift 2
days=${DAYS:-365}
umask 077
mkdir -p "$out"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
# shellcheck disable=SC2086
openssl req -x509 $ec -days "$days" -subj "/CN=ehcp-ca" \
  -keyout "$out/ca.key" -out "$out/ca.pem" 2>/dev/null
issue() {  # issue FILE_NAME CN [EXTENSION]
  # shellcheck disable=SC2086
  openssl req $ec -subj "/CN=$2" -keyout "$out/$1.key" -out "$out/$1.csr" 2>/dev/null
  if [ -n "${3:-}" ]; then
    printf '%s\n' "$3" >"$out/$1.ext"
    openssl x509 -req -days "$days" -in "$out/$1.csr" -CA "$out/ca.pem" \
      -CAkey "$out/ca.key" -CAcreateserial -extfile "$out/$1.ext" \
      -out "$out/$1.pem" 2>/dev/null
    rm -f "$out/$1.ext"
  else
    openssl x509 -req -days "$days" -in "$out/$1.csr" -CA "$out/ca.pem" \
      -CAkey "$out/ca.key" -CAcreateserial -out "$out/$1.pem" 2>/dev/null
  fi
  rm -f "$out/$1.csr"
}
issue server "$server" "subjectAltName=DNS:$server,DNS:localhost,IP:127.0.0.1"
for client in "$@"; do
  issue "$client" "$client"
done
made="ca.pem ca.key server.pem server.key"
for client in "$@"; do
  made="$made $client.pem $client.key"
done
echo "made in $out: $made"
