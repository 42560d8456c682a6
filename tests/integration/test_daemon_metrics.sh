# Integration: Prometheus can scrape quotad: a bearer token (metrics.token_file) over TCP, or a
# separate metrics listener that serves /metrics and /healthz only; the metrics an operator alerts
# on are there (build info, process_*, the LMDB map against its ceiling, unpublished entries).
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

genkey logk
seedfile logk "$T/log.key"
printf 'scrape-token-0123456789abcdef\n' > "$T/token"; chmod 600 "$T/token"
MPORT=$(free_port)
start_quotad "$T/data" --metrics-token-file "$T/token" --metrics-listen "127.0.0.1:$MPORT" \
  --map-bytes-max 1073741824 || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }

code() { curl -s -o "$T/last.body" -w '%{http_code}' "$@"; }
c=$(code "$BASE/metrics"); check "/metrics over TCP without credentials: 401" test "$c" = 401
c=$(code -H 'Authorization: Bearer scrape-token-0123456789abcdeX' "$BASE/metrics")
check "/metrics with a wrong bearer token is refused" test "$c" = 401 -o "$c" = 403
c=$(code -H 'Authorization: Bearer scrape-token-0123456789abcdef' "$BASE/metrics")
check "/metrics with the bearer token: 200" test "$c" = 200
check "quotad_build_info names the version" grep -Eq '^quotad_build_info\{version="[0-9.]+"\} 1$' "$T/last.body"
check "process_cpu_seconds_total" grep -Eq '^process_cpu_seconds_total [0-9]+\.[0-9]{3}$' "$T/last.body"
check "process_resident_memory_bytes is above 1 MB" awk '/^process_resident_memory_bytes /{exit !($2 > 1000000)}' "$T/last.body"
check "process_open_fds and process_start_time_seconds" grep -q '^process_open_fds [1-9]' "$T/last.body"
check "the LMDB ceiling is exported (map_bytes_max)" grep -q '^quotad_lmdb_map_bytes_max 1073741824$' "$T/last.body"
check "LMDB pages in use are exported" grep -Eq '^quotad_lmdb_used_bytes [1-9][0-9]*$' "$T/last.body"
check "unpublished entries are exported" grep -q '^quotad_unpublished_entries 0$' "$T/last.body"

MBASE="http://127.0.0.1:$MPORT"
c=$(code "$MBASE/metrics"); check "the metrics listener serves /metrics without credentials" test "$c" = 200
c=$(code "$MBASE/healthz"); check "the metrics listener serves /healthz" test "$c" = 200
c=$(code "$MBASE/v1/log"); check "the metrics listener serves nothing else (404)" test "$c" = 404
stop_quotad

chmod 644 "$T/token"
"$QUOTAD" --data-dir "$T/data" --log-key "$T/log.key" --listen "127.0.0.1:$(free_port)" \
  --metrics-token-file "$T/token" 2> "$T/open-token.err"
{ [ $? -ne 0 ] && grep -q "metrics token .* is readable by group or others" "$T/open-token.err"; }
verdict "a metrics token file others can read is refused"
finish
