#!/usr/bin/env bash
# A local three-member etcd cluster for the tests (data on tmpfs when /dev/shm exists, loopback
# ports picked free): `etcd_cluster.sh start DIR` prints the client endpoints (comma-separated)
# once the cluster answers; `etcd_cluster.sh stop DIR` ends the members it started (their pids
# are in DIR/pids).
set -u
cmd=$1 dir=$2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
if [ "$cmd" = stop ]; then
  [ -f "$dir/pids" ] && while read -r p; do kill -TERM "$p" 2>/dev/null; done <"$dir/pids"
  rm -rf "$dir/data" "$(readlink "$dir/data" 2>/dev/null)"
  exit
fi
command -v etcd >/dev/null || { echo "etcd is not installed (scripts/deps.sh installs etcd-server)" >&2; exit 1; }
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
mkdir -p "$dir"
data=$(mktemp -d "$base/etcd-it-XXXXXX")
ln -sfn "$data" "$dir/data"
: >"$dir/pids"
cluster="" clients=""
for i in 1 2 3; do
  eval "peer$i=$(free_port) client$i=$(free_port)"
  eval "cluster=\${cluster:+\$cluster,}m$i=http://127.0.0.1:\$peer$i"
  eval "clients=\${clients:+\$clients,}http://127.0.0.1:\$client$i"
done
for i in 1 2 3; do
  eval "p=\$peer$i c=\$client$i"
  etcd --name "m$i" --data-dir "$data/m$i" --listen-peer-urls "http://127.0.0.1:$p" \
    --initial-advertise-peer-urls "http://127.0.0.1:$p" --listen-client-urls "http://127.0.0.1:$c" \
    --advertise-client-urls "http://127.0.0.1:$c" --initial-cluster "$cluster" \
    --initial-cluster-token "it-$$" --initial-cluster-state new >"$dir/m$i.log" 2>&1 &
  echo $! >>"$dir/pids"
done
for _ in $(seq 1 100); do
  if curl -s -X POST -d '{"key":"aGVhbHRo"}' "http://127.0.0.1:$client1/v3/kv/range" | grep -q revision; then
    echo "$clients"
    exit
  fi
  sleep 0.1
done
echo "the etcd cluster did not come up (logs in $dir)" >&2
exit 1
