# Sourced by the shell tests of this folder (after setting EHCPD and dir):
#   start_ehcpd NAME [FLAG...]
# starts $EHCPD on data directory $dir/NAME and a free port of 127.0.0.1,
# with the further flags (a later --listen wins), its stdout in
# $dir/NAME.out and its log in $dir/NAME.err; sets started_pid and
# started_port, or prints the log and exits 1 when it did not start.
start_ehcpd() {
  name=$1
  shift
  "$EHCPD" --data_dir="$dir/$name" --listen=127.0.0.1:0 "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  started_pid=$!
  for _ in $(seq 1 100); do
    grep -q listening "$dir/$name.out" && break
    sleep 0.1
  done
  started_port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$dir/$name.out")
  [ -n "$started_port" ] || { echo "ehcpd did not start"; cat "$dir/$name.err"; exit 1; }
}
