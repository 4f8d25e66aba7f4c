#!/usr/bin/env bash
# The run command: installs what is missing, builds ehcpd and ehcpctl,
# starts ehcpd on 127.0.0.1:50051 with its data in ./ehcp-data and its
# Prometheus metrics on 127.0.0.1:9464, and on the first run loads the demo
# journeys (deploy/demo). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR="${EHCP_DATA_DIR:-./ehcp-data}"
LISTEN="${EHCP_LISTEN:-127.0.0.1:50051}"
METRICS="${EHCP_METRICS:-127.0.0.1:9464}"

scripts/setup.sh
scripts/build.sh ehcpd ehcpctl

fresh=0
[ -d "$DATA_DIR" ] || fresh=1
log=$(mktemp)
build/services/ehcpd --data_dir="$DATA_DIR" --listen="$LISTEN" \
  --metrics_listen="$METRICS" >"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -f "$log"' INT TERM EXIT
for _ in $(seq 1 100); do
  grep -q "listening" "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
cat "$log"
export EHCP_SERVER="$LISTEN"
if [ "$fresh" = 1 ]; then
  build/tools/ehcpctl load deploy/demo
fi
cat <<MSG

ehcpd is running on $LISTEN (data in $DATA_DIR). In another terminal:
  build/tools/ehcpctl tail                 # the whole log
  build/tools/ehcpctl show <case id>       # one case's journey and state
  build/tools/ehcpctl clocks <case id>     # its statutory clocks today
  build/tools/ehcpctl breaches --all       # late clocks, most days late first
  build/tools/ehcpctl backlog              # overdue reviews by age
  build/tools/ehcpctl timeliness --year 2024
  curl -s http://$METRICS/metrics          # Prometheus metrics
  build/tools/ehcpctl --help               # everything else
Ctrl-C stops the server cleanly.
MSG
wait $pid
