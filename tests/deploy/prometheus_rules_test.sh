#!/usr/bin/env bash
# deploy/prometheus stays loadable and its alert rules do what their tests
# say: promtool checks the scrape configuration (and the rule files it
# names), checks the rules, and runs their unit tests
# (deploy/prometheus/ehcp-rules.test.yml). Usage: prometheus_rules_test.sh
# REPOSITORY_ROOT
set -euo pipefail
root=${1:?usage: prometheus_rules_test.sh REPOSITORY_ROOT}
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  echo "promtool not found: run scripts/setup.sh (Debian package prometheus)" >&2
  exit 1
fi
cd "$root/deploy/prometheus"
"$promtool" check config prometheus.yml
"$promtool" check rules ehcp-rules.yml
"$promtool" test rules ehcp-rules.test.yml
