#!/usr/bin/env bash
# The layers' boundaries (docs/architecture.md, "Layers"), checked on the
# sources' #include lines.
#
#   tests/boundaries/boundaries_test.sh internal [REPO_ROOT]
#       (ctest: build.internal_headers_stay_internal)
#     A folder's headers under <folder>/internal/ are its own: a file of
#     folder X may include "Y/internal/..." only when Y is X. The tests of
#     a folder, tests/Y/, count as Y. And a folder's public headers (those
#     outside internal/) include none of its internal ones, which would
#     reach every file that includes them.
#
#   tests/boundaries/boundaries_test.sh layers [REPO_ROOT]
#       (ctest: build.layers_include_only_below)
#     Each layer includes only the layers below it:
#       common       common
#       storage      common storage              (no ehcp/v1: no EHCP terms)
#       domain       common domain               (no request/response
#                                                 messages: not
#                                                 case_service.pb.h nor
#                                                 clock_service.pb.h)
#       cases        common storage domain cases
#       projections  ... and projections
#       services     ... and services
#       tools        common domain tools         (ehcpctl talks to ehcpd
#                                                 over gRPC only)
#     and of the libraries: gRPC (grpcpp/, grpc/, *.grpc.pb.h) only in
#     services/ and tools/; RocksDB (rocksdb/) only in storage/ and
#     projections/; OpenSSL (openssl/) only in storage/ (SHA-256 lives once,
#     storage/hash.h); libcurl (curl/) only in services/ (the alert
#     webhook). bench/ and tests/ may include any public header.
#
# Prints FILE:LINE: what is wrong, for every finding, and exits 1 if there
# was any.
set -uo pipefail

mode=${1:-}
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
case "$mode" in
  internal | layers) ;;
  *)
    echo "usage: boundaries_test.sh internal|layers [REPO_ROOT]" >&2
    exit 2
    ;;
esac
cd "$root" || { echo "boundaries_test: no such directory: $root" >&2; exit 2; }

folders=(common storage domain cases projections services tools bench tests)
present=()
for f in "${folders[@]}"; do [ -d "$f" ] && present+=("$f"); done
if [ ${#present[@]} -eq 0 ]; then
  echo "boundaries_test: $root has none of ${folders[*]}" >&2
  exit 2
fi

# Every C++ source and header of the project's folders, as
# FILE<TAB>LINE<TAB>INCLUDED for each #include "..." or <...>.
includes() {
  find "${present[@]}" -type f \( -name '*.h' -o -name '*.cc' \) -print0 |
    sort -z |
    xargs -0 -r awk '
      match($0, /^[ \t]*#[ \t]*include[ \t]*["<][^">]+[">]/) {
        line = substr($0, RSTART, RLENGTH)
        sub(/^[^"<]*["<]/, "", line)
        sub(/[">]$/, "", line)
        printf "%s\t%d\t%s\n", FILENAME, FNR, line
      }'
}

includes | awk -F '\t' -v mode="$mode" '
  # The folder a file belongs to: its first path component; tests/Y/... is Y.
  function owner(path,   parts) {
    split(path, parts, "/")
    if (parts[1] == "tests" && parts[3] != "") return parts[2]
    return parts[1]
  }
  function fail(what) {
    printf "%s:%s: includes \"%s\": %s\n", $1, $2, $3, what
    failures++
  }
  BEGIN {
    project["common"]; project["storage"]; project["domain"]
    project["cases"]; project["projections"]; project["services"]
    project["tools"]; project["bench"]; project["tests"]

    below["common"] = "common"
    below["storage"] = "common storage"
    below["domain"] = "common domain"
    below["cases"] = "common storage domain cases"
    below["projections"] = "common storage domain cases projections"
    below["services"] = "common storage domain cases projections services"
    below["tools"] = "common domain tools"
  }
  {
    file = $1; inc = $3
    split(inc, parts, "/")
    top = parts[1]
    me = owner(file)
    layer = (file ~ /^tests\//) ? "tests" : me

    if (mode == "internal") {
      if (top in project && parts[2] == "internal" && top != me) {
        fail(sprintf("%s/internal/ is internal to %s/ (and tests/%s/); " \
                     "use a public header of %s/, or move the header out " \
                     "of internal/ if it is meant to be public",
                     top, top, top, top))
      } else if (top in project && parts[2] == "internal" &&
                 file ~ /\.h$/ && file !~ /^tests\// &&
                 file !~ /\/internal\//) {
        fail(sprintf("%s is a public header of %s/: it would hand an " \
                     "internal header to every file including it " \
                     "(forward-declare, or move it to %s/internal/)",
                     file, top, top))
      }
      next
    }

    # mode == "layers": only the library folders are constrained.
    if (!(layer in below)) next
    if (top in project) {
      if (index(" " below[layer] " ", " " top " ") == 0) {
        fail(sprintf("%s/ may include only %s (docs/architecture.md, " \
                     "\"Layers\")", layer, below[layer]))
      }
    }
    if (top == "grpcpp" || top == "grpc" || inc ~ /\.grpc\.pb\.h$/) {
      if (layer != "services" && layer != "tools") {
        fail("only services/ and tools/ use gRPC")
      }
    }
    if (top == "rocksdb" && layer != "storage" && layer != "projections") {
      fail("only storage/ and projections/ use RocksDB (storage/rocksdb_db.h)")
    }
    # services/tls.cc checks TLS certificates and keys with OpenSSL; hashes
    # stay in storage/.
    if (top == "openssl" && layer != "storage" &&
        (file != "services/tls.cc" || inc == "openssl/sha.h")) {
      fail("SHA-256 lives once, in storage/hash.h; only storage/ uses " \
           "OpenSSL (and services/tls.cc, for certificates)")
    }
    if (top == "curl" && layer != "services") {
      fail("only services/ uses libcurl (the alert webhook)")
    }
    if (layer == "storage" && inc ~ /^ehcp\/v1\//) {
      fail("storage/ knows nothing of EHCPs (only ehcp/storage/ messages)")
    }
    if (layer == "domain" &&
        (inc == "ehcp/v1/case_service.pb.h" ||
         inc == "ehcp/v1/clock_service.pb.h")) {
      fail("request and response messages stay out of domain/ " \
           "(the events and types of ehcp/v1/events.proto and " \
           "types.proto are its vocabulary; conversions belong in services/)")
    }
  }
  END { exit failures > 0 ? 1 : 0 }'
