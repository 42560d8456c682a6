# node_lib.sh: the harness the multi-node tests share (test_standby, test_failover,
# test_auto_failover): a work directory, counted checks, and quotad nodes started on free ports.
# Source it after setting QUOTAD; then `node_lib_init PREFIX` and, for flags every node takes,
# NODE_FLAGS=(...). Stops every node it started (and the etcd cluster under $T/etcd, if any).
node_lib_init() { # node_lib_init PREFIX
  T=$(mktemp -d "/tmp/$1-it-XXXXXX")
  PASSED=0
  FAILED=0
  PIDS=()
  NODE_FLAGS=()
  STARTED=$(date +%s)
  trap node_lib_cleanup EXIT
}
node_lib_cleanup() {
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -d "$T/etcd" ] && bash "$(dirname "${BASH_SOURCE[0]}")/etcd_cluster.sh" stop "$T/etcd"
  rm -rf "$T"
}
expect() { # expect CODE NAME PATTERN -- COMMAND...
  local code=$1 name=$2 pattern=$3
  shift 4
  "$@" >"$T/out" 2>&1
  local got=$?
  if [ "$got" -eq "$code" ] && { [ -z "$pattern" ] || grep -qE -- "$pattern" "$T/out"; }; then
    PASSED=$((PASSED + 1)); echo "ok   - $name"
  else
    FAILED=$((FAILED + 1)); echo "FAIL - $name (exit $got, wanted $code${pattern:+, /$pattern/})"
    sed 's/^/       /' "$T/out" | tail -8
  fi
}
check() {
  local name=$1; shift
  if "$@"; then PASSED=$((PASSED + 1)); echo "ok   - $name"; else FAILED=$((FAILED + 1)); echo "FAIL - $name"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
start() { # start NAME DATA_DIR [flags...]: URL in ${NAME}_URL, pid in ${NAME}_PID
  local name=$1 dir=$2; shift 2
  local port; port=$(free_port)
  mkdir -p "$dir"
  "$QUOTAD" --data-dir "$dir" --log-key "$T/log.key" --listen "127.0.0.1:$port" --log-level info \
    "${NODE_FLAGS[@]}" "$@" 2>>"$T/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  eval "${name}_URL=http://127.0.0.1:$port ${name}_PID=$pid"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
