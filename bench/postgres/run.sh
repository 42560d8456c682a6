#!/usr/bin/env bash
# The PostgreSQL baseline of quotad's transfer workload: starts a private PostgreSQL server in a
# temporary directory (loopback, a free port, as the postgres user: PostgreSQL refuses root),
# loads bench/postgres/schema.sql, and drives one SQL transaction per transfer with pgbench,
# synchronous_commit = on: once with the SHA-256 hash-chained journal, once without.
#   bench/postgres/run.sh [--connections N] [--seconds S] [--enterprises N] [--json FILE]
# Prints both rates; with --json writes {"postgres_transfers_per_s" (chained),
# "postgres_nochain_transfers_per_s", ...}. Installs Debian's postgresql if it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
connections=64
seconds=20
enterprises=3378
json_out=
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --enterprises) enterprises=$2; shift 2 ;;
    --json) json_out=$2; shift 2 ;;
    *) echo "usage: $0 [--connections N] [--seconds S] [--enterprises N] [--json FILE]" >&2; exit 2 ;;
  esac
done

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] || [ ! -f "$(ls -d /usr/share/postgresql/*/extension 2>/dev/null | tail -1)/pgcrypto.control" ]; then
  echo "postgres: installing Debian's postgresql and postgresql-contrib" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql postgresql-contrib >/dev/null
fi
bin=$(pg_bin)
[ "$(id -u)" = 0 ] || { echo "postgres: run as root (the server is started with runuser -u postgres)" >&2; exit 1; }

dir=$(mktemp -d /tmp/quotad-pg.XXXXXX)
chown postgres: "$dir"
chmod 700 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
stop() {
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
max_conn=$((connections + 10))
# Durable as quotad is: fsync and synchronous_commit on (the defaults, written out so that
# nobody wonders); group commit is PostgreSQL's own (commit_delay stays 0, the default).
cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = $max_conn
shared_buffers = 512MB
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = minimal
max_wal_senders = 0
max_wal_size = 4GB
checkpoint_timeout = 15min
CONF
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
psql_() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql_ -c "CREATE DATABASE registry" >/dev/null
psql_ -d registry -v enterprises="$enterprises" -v holding=1000000000 -f "$here/schema.sql" >/dev/null

# Runs one pgbench script and prints its transactions per second (connection time excluded).
run_pgbench() {
  local script=$1 out
  cp "$here/$script" "$dir/$script"
  chown postgres: "$dir/$script"
  out=$(as_pg "$bin/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c "$connections" \
        -j "$(nproc)" -T "$seconds" -M prepared -D enterprises="$enterprises" -f "$dir/$script" registry 2>&1)
  echo "$out" | grep -E "^(number of failed|latency average)" >&2 || true
  echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'
}

nochain=$(run_pgbench transfer.pgbench)
chained=$(run_pgbench transfer_chained.pgbench)
# The chain must verify: recompute it in SQL from the journal and compare with the head.
rows=$(psql_ -d registry -At -c "SELECT count(*) FROM journal WHERE hash IS NOT NULL")
chain_ok=$(psql_ -d registry -At -c "SELECT chain_verify()")
[ "$chain_ok" = t ] || { echo "postgres: the hash chain does not verify" >&2; exit 1; }
negative=$(psql_ -d registry -At -c "SELECT count(*) FROM balances WHERE amount < 0")
version=$(as_pg "$bin/postgres" --version | awk '{print $3}')
echo "postgres $version, $connections connections, ${seconds}s each: chained ${chained} transfers/s," \
     "unchained ${nochain} transfers/s ($rows chained rows, chain verified, $negative negative balances)"
if [ -n "$json_out" ]; then
  printf '{"postgres_transfers_per_s": %s, "postgres_nochain_transfers_per_s": %s, "postgres_connections": %s, "postgres_seconds": %s, "postgres_version": "%s", "postgres_chained_rows": %s}\n' \
    "${chained:-0}" "${nochain:-0}" "$connections" "$seconds" "$version" "$rows" > "$json_out"
fi
