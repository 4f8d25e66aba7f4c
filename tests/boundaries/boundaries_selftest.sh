#!/usr/bin/env bash
# boundaries_test.sh on a small tree with one offence of each kind: it must
# fail and name every offending file and line, and pass on the clean part.
#
#   tests/boundaries/boundaries_selftest.sh PATH/TO/boundaries_test.sh
#       (ctest: build.boundaries_check_names_offenders)
set -uo pipefail
check=${1:?usage: boundaries_selftest.sh PATH/TO/boundaries_test.sh}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{storage/internal,domain,projections,services,tests/storage,tests/domain}

# Allowed: a folder and its tests include its internal headers.
printf '#include "storage/internal/format.h"\n' > "$tree/storage/event_log.cc"
printf '#include "storage/event_log.h"\n#include "storage/internal/format.h"\n' \
  > "$tree/tests/storage/format_test.cc"
printf '#include "ehcp/v1/events.pb.h"\n#include "common/status_macros.h"\n' \
  > "$tree/domain/clocks.h"
printf '#include "grpcpp/grpcpp.h"\n#include "projections/clock_index.h"\n' \
  > "$tree/services/server.cc"
printf '#include "rocksdb/db.h"\n#include "storage/internal/format.h"\n' \
  > "$tree/storage/internal/event_log_impl.h"
printf '#include <openssl/evp.h>\n#include "storage/hash.h"\n' \
  > "$tree/storage/hash.cc"

status=0
out=$(bash "$check" internal "$tree" 2>&1) ||
  { echo "internal: failed on a clean tree:"; echo "$out"; status=1; }
out=$(bash "$check" layers "$tree" 2>&1) ||
  { echo "layers: failed on a clean tree:"; echo "$out"; status=1; }

# Offences.
printf '// two\n#include "storage/internal/format.h"\n' \
  > "$tree/projections/index_format.cc"
printf '#include "storage/event_log.h"\n  #  include "storage/internal/batch_builder.h"\n' \
  > "$tree/tests/domain/reach_test.cc"
printf '#include <string>\n#include "storage/internal/format.h"\n' \
  > "$tree/storage/event_log.h"
printf '#include "ehcp/v1/events.pb.h"\n#include "ehcp/v1/case_service.pb.h"\n#include "rocksdb/db.h"\n#include "storage/event_log.h"\n' \
  > "$tree/domain/case_state.h"
printf '#include <grpcpp/grpcpp.h>\n#include "services/server.h"\n' \
  > "$tree/projections/clock_index.cc"
printf '#include "ehcp/v1/events.pb.h"\n#include <openssl/evp.h>\n' \
  > "$tree/storage/format.cc"
printf '#include "domain/dates.h"\n#include <openssl/evp.h>\n' \
  > "$tree/services/case_commands.cc"

expect() {  # MODE, then the lines the output must hold
  local mode=$1
  shift
  local out
  if out=$(bash "$check" "$mode" "$tree" 2>&1); then
    echo "$mode: passed a tree with offences:"
    echo "$out"
    status=1
    return
  fi
  for want in "$@"; do
    if ! grep -qF -- "$want" <<<"$out"; then
      echo "$mode: no finding starting \"$want\" in:"
      echo "$out"
      status=1
    fi
  done
}
expect internal \
  'projections/index_format.cc:2: includes "storage/internal/format.h"' \
  'tests/domain/reach_test.cc:2: includes "storage/internal/batch_builder.h"' \
  'storage/event_log.h:2: includes "storage/internal/format.h": storage/event_log.h is a public header of storage/'
expect layers \
  'domain/case_state.h:2: includes "ehcp/v1/case_service.pb.h": request and response messages stay out of domain/' \
  'domain/case_state.h:3: includes "rocksdb/db.h"' \
  'domain/case_state.h:4: includes "storage/event_log.h": domain/ may include only common domain' \
  'projections/clock_index.cc:1: includes "grpcpp/grpcpp.h": only services/ and tools/ use gRPC' \
  'projections/clock_index.cc:2: includes "services/server.h"' \
  'storage/format.cc:1: includes "ehcp/v1/events.pb.h": storage/ knows nothing of EHCPs' \
  'services/case_commands.cc:2: includes "openssl/evp.h": SHA-256 lives once'
exit $status
