# Integration: what quotad refuses or says at start-up (the operator's foot-guns): a data directory
# that does not exist, an empty one (a new registry, said loudly), a log key others can read, a
# log key that is not the registry's, the log key as a systemd credential, --check-config and
# --version.
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

genkey logk
seedfile logk "$T/log.key"
genkey other
seedfile other "$T/other.key"

"$QUOTAD" --version > "$T/version.out"
{ [ $? -eq 0 ] && grep -Eq '^quotad [0-9]+\.[0-9]+\.[0-9]+$' "$T/version.out"; }; verdict "--version prints the version"

"$QUOTAD" --data-dir "$T/typo" --log-key "$T/log.key" --listen "127.0.0.1:$(free_port)" 2> "$T/typo.err"
{ [ $? -ne 0 ] && grep -q "data directory $T/typo does not exist" "$T/typo.err" && [ ! -e "$T/typo" ]; }
verdict "a data directory that does not exist is refused, and not created"

cp "$T/log.key" "$T/open.key"; chmod 644 "$T/open.key"
mkdir -p "$T/d1"
"$QUOTAD" --data-dir "$T/d1" --log-key "$T/open.key" --listen "127.0.0.1:$(free_port)" 2> "$T/open.err"
{ [ $? -ne 0 ] && grep -q "readable by group or others (mode 0644)" "$T/open.err"; }
verdict "a log key that others can read is refused, with its mode"

"$QUOTAD" --check-config --data-dir "$T/typo" --log-key "$T/log.key" > "$T/cc1.out" 2>&1
{ [ $? -eq 2 ] && grep -q "does not exist" "$T/cc1.out"; }; verdict "--check-config: a missing data directory exits 2 with the reason"
"$QUOTAD" --check-config --data-dir "$T/d1" --log-key "$T/log.key" > "$T/cc2.out" 2>&1
{ [ $? -eq 0 ] && grep -q "empty (quotad will start a NEW registry there)" "$T/cc2.out" && grep -q "configuration OK" "$T/cc2.out"; }
verdict "--check-config: an empty data directory is OK and said to start a new registry"

start_quotad "$T/d1" || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }
check "an empty data directory starts a NEW registry, said at warning level" grep -q "is empty: starting a NEW registry" "$T/quotad.log"
genkey op1
seedfile op1 "$T/op1.key"
"$BUILD_DIR/tools/quotactl" --url "$BASE" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key" > "$T/init.out" 2>&1
check "the genesis is accepted" grep -q "genesis" "$T/init.out"
stop_quotad

"$QUOTAD" --check-config --data-dir "$T/d1" --log-key "$T/log.key" > "$T/cc3.out" 2>&1
{ [ $? -eq 0 ] && grep -q "registry $ORIGIN, tree size 1" "$T/cc3.out"; }; verdict "--check-config reports the registry and its size"
"$QUOTAD" --check-config --data-dir "$T/d1" --log-key "$T/other.key" > "$T/cc4.out" 2>&1
{ [ $? -eq 2 ] && grep -q "not this registry's log key" "$T/cc4.out"; }; verdict "--check-config: another log key exits 2"

"$QUOTAD" --data-dir "$T/d1" --log-key "$T/other.key" --listen "127.0.0.1:$(free_port)" 2> "$T/wrong.err"
{ [ $? -ne 0 ] && grep -q "is not this registry's log key" "$T/wrong.err"; }
verdict "a wrong log key at start says it is not the registry's log key"

# systemd's LoadCredential=log.key:...: the key arrives in $CREDENTIALS_DIRECTORY.
mkdir -p "$T/creds" && cp "$T/log.key" "$T/creds/log.key" && chmod 400 "$T/creds/log.key"
PORT=$(free_port)
CREDENTIALS_DIRECTORY="$T/creds" "$QUOTAD" --data-dir "$T/d1" --listen "127.0.0.1:$PORT" --unix "" 2>> "$T/quotad.log" &
QPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
curl -s "http://127.0.0.1:$PORT/v1/log" > "$T/log.json"
check "the log key is read from \$CREDENTIALS_DIRECTORY when --log-key is not given" grep -q '"tree_size":1' "$T/log.json"
stop_quotad

# Logs outside journald: timestamps and level names; logfmt and JSON; the access log; SIGHUP
# reloads the file's log level, limits and public_log and says what changed.
cat > "$T/q.conf" <<CONF
[ledger]
public_log = false
data_dir = $T/d1
log_key = $T/log.key
[log]
format = json
access = true
level = info
[limits]
pipeline_max = 64
CONF
: > "$T/quotad.log"
start_quotad "$T/d1" --config "$T/q.conf" --log-level info || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }
curl -s -o /dev/null "$BASE/v1/log?probe=1"
"$BUILD_DIR/tools/quotactl" --url "$BASE" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key" > /dev/null 2>&1
sleep 0.2
check "a refusal is logged at info with its code" grep -q '"level":"info","msg":"refused genesis [0-9a-f]\{32\}: genesis_exists"' "$T/quotad.log"
check "the access log names the transaction and its result" grep -q '"method":"POST","path":"/v1/tx".*"tx":"[0-9a-f]\{32\}","result":"genesis_exists"' "$T/quotad.log"
"$PY" - "$T/quotad.log" > "$T/json.check" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ready = [l for l in lines if "quotad ready" in l["msg"]]
acc = [l for l in lines if l.get("path") == "/v1/log?probe=1"]
ok = ready and ready[0]["level"] == "notice" and ready[0]["ts"].endswith("Z") and acc and acc[0]["status"] == 200 and acc[0]["method"] == "GET"
print("json-ok" if ok else "json-bad %r %r" % (ready[:1], acc[:1]))
PY
check "format = json: every line is JSON with ts and level; the access log has method, path, status" grep -q json-ok "$T/json.check"
sed -i 's/^format = json/format = logfmt/; s/^public_log = false/public_log = true/; s/^pipeline_max = 64/pipeline_max = 32/' "$T/q.conf"
kill -HUP "$QPID"; sleep 0.4
curl -s -o /dev/null "$BASE/healthz"; sleep 0.2
check "SIGHUP says what it changed (flags still win over the file: --log-level stays)" grep -q 'reloaded: ledger.public_log false -> true; log.format \\"json\\" -> \\"logfmt\\"; limits.pipeline_max 64 -> 32"' "$T/quotad.log"
curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/entries?start=0&limit=1" > "$T/public.code"
check "after SIGHUP public_log = true opens the entries to anyone" grep -q 200 "$T/public.code"
check "after SIGHUP the lines are logfmt" grep -Eq '^ts=[0-9T:.-]+Z level=info msg="GET /healthz 200 ' "$T/quotad.log"
sed -i 's/^format = logfmt/format = text/' "$T/q.conf"
kill -HUP "$QPID"; sleep 0.4
curl -s -o /dev/null "$BASE/healthz"; sleep 0.2
check "format = text: an ISO 8601 timestamp and the level name" grep -Eq '^20[0-9-]+T[0-9:.]+Z info GET /healthz 200 ' "$T/quotad.log"
stop_quotad
check "quotad stopped is said once" test "$(grep -c 'quotad stopped' "$T/quotad.log")" = 1
finish
