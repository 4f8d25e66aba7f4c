#!/usr/bin/env bash
# The side-by-side benchmark (bench/README.md, "Side by side"): installs
# what is missing, builds ehcpd and compare_bench, and runs compare_bench
# with its default flags (3 repetitions, about 6 minutes) plus any flags
# given here, e.g. scripts/bench.sh --reps=5 --dir=/mnt/disk. Prints the
# table and the floors; the JSON goes to bench/results/latest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh ehcpd compare_bench
exec build/bench/compare_bench "$@"
