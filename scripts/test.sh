#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, and runs
# the whole suite (GoogleTest via ctest, and buf lint of the protos).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 600 -j "$(nproc)"
