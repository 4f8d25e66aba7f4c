#!/usr/bin/env bash
# Configures and builds into build/ (RelWithDebInfo). Arguments are ninja
# targets (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEHCP_REQUIRE_BUF=ON >/dev/null
fi
ninja -C build "$@"
