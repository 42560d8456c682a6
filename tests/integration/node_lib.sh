# node_lib.sh: the harness the multi-node tests share (test_standby, test_failover,
# test_auto_failover, the promotion, etcd and restore tests): a work directory, counted checks, quotad nodes
# started on free ports, three quota-witness processes, and the reads the tests wait on.
# Source it, then `node_lib_programs BIN_DIR [etcd]` (the programs, checked), `node_lib_init PREFIX`
# and, for flags every node takes, NODE_FLAGS=(...). Stops every node it started (and the etcd cluster under $T/etcd, if any).
# The programs a test runs, from BIN_DIR: Q (quotactl), QUOTAD, AUDIT (quota-audit), WITNESS
# (quota-witness); a missing one fails the test, never skips it; with "etcd", so does a missing etcd.
node_lib_programs() { # node_lib_programs BIN_DIR [etcd]
  Q="$1/tools/quotactl" QUOTAD="$1/daemon/quotad" AUDIT="$1/tools/quota-audit" WITNESS="$1/witness/quota-witness"
  local b
  for b in "$Q" "$QUOTAD" "$AUDIT" "$WITNESS"; do
    [ -x "$b" ] || { echo "FAIL: $b is not built"; exit 1; }
  done
  [ "${2:-}" != etcd ] || command -v etcd >/dev/null || { echo "FAIL: etcd is not installed (scripts/deps.sh)"; exit 1; }
}
node_lib_init() { # node_lib_init PREFIX
  T=$(mktemp -d "/tmp/$1-it-XXXXXX")
  PASSED=0
  FAILED=0
  PIDS=()
  NODE_FLAGS=()
  STARTED=$(date +%s)
  trap node_lib_cleanup EXIT
}
# the registry's keys in $T: log.key (named ORIGIN; its verifier key in VK), op.key, auditor.key
node_lib_keys() { # node_lib_keys ORIGIN
  "$Q" keygen "$T/log.key" --name "$1" >/dev/null
  "$Q" keygen "$T/op.key" >/dev/null
  "$Q" keygen "$T/auditor.key" >/dev/null
  VK=$(cat "$T/log.key.vkey")
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
start() { # start NAME DATA_DIR [flags...]: URL in ${NAME}_URL, pid in ${NAME}_PID; port NODE_PORT or a free one
  local name=$1 dir=$2; shift 2
  local port; port=${NODE_PORT:-$(free_port)}
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
# stops a node started with start (SIGTERM) and waits for it
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# tree size a node answers in /healthz, and waiting for it
size_of() { curl -s "$1/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])'; }
wait_size() { for _ in $(seq 1 200); do [ "$(size_of "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
# the checkpoint URL serves (cosigned by the quorum, with a witness policy) covers its whole tree
published_all() { # published_all URL
  [ "$(curl -s "$1/v1/checkpoint" | sed -n 2p)" = "$(size_of "$1")" ]
}
wait_published() { for _ in $(seq 1 300); do published_all "$1" && return 0; sleep 0.1; done; return 1; }
# the primary at URL and its standby agree and the standby confirmed all of it (standby.state sync)
in_sync() { # in_sync PRIMARY_URL STANDBY_URL
  local p
  p=$(curl -s "$1/healthz") || return 1
  python3 -c '
import json,sys; h=json.loads(sys.argv[1]); s=h.get("standby",{})
sys.exit(not (s.get("state")=="sync" and s.get("confirmed")==h["tree_size"]))' "$p" &&
    [ "$(size_of "$2")" = "$(echo "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')" ]
}
wait_sync() { for _ in $(seq 1 300); do in_sync "$1" "$2" && return 0; sleep 0.1; done; return 1; }
# a client that opens accounts against URL until $T/stop-load exists, one "account index" line
# per ok (needs Q and $T/op.key)
load() { # load URL FIRST OUT
  local a=$2
  while [ ! -f "$T/stop-load" ]; do
    out=$("$Q" --url "$1" --key "$T/op.key" account-open --account "$a" --kind participant --name "l$a" 2>&1)
    idx=$(echo "$out" | sed -n 's/^ok: .* at entry \([0-9]*\).*/\1/p')
    [ -n "$idx" ] && echo "$a $idx" >>"$3"
    a=$((a + 1))
  done
}
# three quota-witness processes for ORIGIN's log (verifier key VKEY) and a 2-of-3 policy in
# $T/policy (witness_set.py); their pids in WPID[1..3] (needs Q and WITNESS)
declare -A WPID
start_witnesses() { # start_witnesses ORIGIN VKEY
  python3 "$(dirname "${BASH_SOURCE[0]}")/witness_set.py" "$Q" "$T" "$1" "$2" >"$T/witnesses" || return 1
  local i port
  while read -r i port; do
    "$WITNESS" --config "$T/w$i.conf" 2>>"$T/w$i.log" &
    WPID[$i]=$!
    PIDS+=("$!")
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  done <"$T/witnesses"
}
