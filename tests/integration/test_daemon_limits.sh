# Integration: quotad's connection handling under bad and excessive input: malformed HTTP,
# oversized headers and bodies, pipelining order, slow senders, the connection limit, too many
# envelopes, a second quotad on the same data, SIGHUP and a clean SIGTERM.
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

genkey logk
seedfile logk "$T/log.key"
start_quotad "$T/data" --header-bytes-max 1024 --request-bytes-max 4096 --tx-per-request-max 3 \
  --request-timeout-ms 500 --idle-timeout-ms 60000 --connections-max 4 \
  || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }

# raw [slow]: sends stdin's bytes, prints what comes back until the server closes (or 5 s).
cat > "$T/raw.py" <<'PY'
import socket, sys, time
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
if sys.argv[2] == "slow":
    s.sendall(data[:10]); time.sleep(1.5)
    try: s.sendall(data[10:])
    except OSError: pass
else:
    s.sendall(data)
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
except socket.timeout:
    out += b"\n<<timeout>>"
except OSError:
    pass
sys.stdout.buffer.write(out)
PY
raw() { "$PY" "$T/raw.py" "$PORT" "${1:-}"; }

printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/log HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw > "$T/pipe.out"
check "pipelined requests are answered in order" "$PY" -c '
import re,sys
codes = re.findall(rb"HTTP/1.1 (\d+)", open(sys.argv[1],"rb").read())
sys.exit(0 if codes == [b"200", b"200", b"404"] else 1)' "$T/pipe.out"
check "the order is healthz, log, not found" "$PY" -c '
import sys
t = open(sys.argv[1],"rb").read()
sys.exit(0 if t.index(b"tree_size") < t.index(b"verifier_key") < t.index(b"not_found") else 1)' "$T/pipe.out"

"$PY" - "$PORT" > "$T/half.out" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(5)
s.sendall(b"GET /healthz HTTP/1.1\r\n\r\nGET /v1/log HTTP/1.1\r\n\r\n")
s.shutdown(socket.SHUT_WR)  # the client is done sending; both answers must still come
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
except socket.timeout:
    out += b"<<timeout>>"
sys.stdout.buffer.write(out)
PY
check "a client that half-closes gets every answer, then the close" "$PY" -c '
import re,sys
t = open(sys.argv[1],"rb").read()
sys.exit(0 if re.findall(rb"HTTP/1.1 (\d+)", t) == [b"200", b"200"] and b"timeout" not in t else 1)' "$T/half.out"

printf 'NONSENSE\r\n\r\n' | raw > "$T/bad.out"
{ grep -q 'HTTP/1.1 400' "$T/bad.out" && grep -q '"bad_request"' "$T/bad.out" && ! grep -q timeout "$T/bad.out"; }; verdict "malformed request line: 400 bad_request, then close"

printf 'GET /healthz HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nBad Header\r\n\r\n' | raw > "$T/bad2.out"
check "a good request before a malformed one is still answered" "$PY" -c '
import re,sys
sys.exit(0 if re.findall(rb"HTTP/1.1 (\d+)", open(sys.argv[1],"rb").read()) == [b"200", b"400"] else 1)' "$T/bad2.out"

"$PY" -c 'import sys; sys.stdout.write("GET /healthz HTTP/1.1\r\nX-Big: " + "a"*2000 + "\r\n\r\n")' | raw > "$T/hdr.out"
{ grep -q 'HTTP/1.1 431' "$T/hdr.out" && grep -q '"too_large"' "$T/hdr.out"; }; verdict "headers past header_bytes_max: 431 too_large"

http POST /v1/tx -H 'Content-Type: application/json' --data-binary "$("$PY" -c 'print("[" + "1,"*3000 + "1]")')"
{ [ "$CODE" = 413 ] && [ "$(errcode)" = too_large ]; }; verdict "a body past request_bytes_max: 413 too_large"
printf 'POST /v1/tx HTTP/1.1\r\nContent-Length: 100000\r\n\r\n' | raw > "$T/cl.out"
check "a declared Content-Length past the limit is refused before the body" grep -q 'HTTP/1.1 413' "$T/cl.out"

E='{"body":"AQ==","signatures":[{"key":"AA==","sig":"AA=="}]}'
http POST /v1/tx --data-binary "[$E,$E,$E,$E]"
{ [ "$CODE" = 413 ] && [ "$(errcode)" = too_large ]; }; verdict "more envelopes than tx_per_request_max: 413"
http POST /v1/tx --data-binary "[]"
check "an empty array: 400" [ "$CODE" = 400 ]
http POST /v1/tx --data-binary "[$E,$E]"
{ [ "$CODE" = 200 ] && [ "$(jget "$T/last.body" '[r["result"] for r in j["results"]]')" = '["error", "error"]' ]; }; verdict "undecodable envelopes in an array: 200 with an error each"
check "and the tree is still empty" [ "$(tree_size)" = 0 ]

printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw slow > "$T/slow.out"
check "a slow sender gets 408 after request_timeout_ms" grep -q 'HTTP/1.1 408' "$T/slow.out"

# Hold connections open to reach connections_max (4), then one more is refused with 503.
"$PY" - "$PORT" > "$T/conns.out" <<'PY'
import socket, sys
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
for s in held:
    s.sendall(b"GET /healthz HTTP/1.1\r\n\r\n"); s.recv(4096)
extra = socket.create_connection(("127.0.0.1", port)); extra.settimeout(5)
data = b""
try:
    while True:
        b = extra.recv(4096)
        if not b: break
        data += b
except socket.timeout:
    pass
sys.stdout.write(data.decode())
PY
{ grep -q 'HTTP/1.1 503' "$T/conns.out" && grep -q '"busy"' "$T/conns.out"; }; verdict "a connection past connections_max: 503 busy"
http GET /healthz
check "after those, quotad still serves" [ "$CODE" = 200 ]

"$QUOTAD" --data-dir "$T/data" --log-key "$T/log.key" --listen "127.0.0.1:$(free_port)" 2> "$T/second.log"
RC=$?
{ [ "$RC" -ne 0 ] && grep -qi 'locked\|another process' "$T/second.log"; }; verdict "a second quotad on the same data directory is refused"

kill -HUP "$QPID"
sleep 0.3
http GET /healthz
check "SIGHUP keeps it running" [ "$CODE" = 200 ]

# Keep a connection idle and open, then SIGTERM: quotad must still exit cleanly.
"$PY" -c 'import socket,time,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); open(sys.argv[2],"w").close(); time.sleep(3)' "$PORT" "$T/idle.ready" &
IDLE=$!
for _ in $(seq 1 50); do [ -e "$T/idle.ready" ] && break; sleep 0.1; done
check "SIGTERM with an idle connection open: exit status 0" stop_quotad
wait "$IDLE" 2>/dev/null
check "no ASan/UBSan report in the log" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:' '$T/quotad.log'"
check "outside journald every line starts with a timestamp and a level" bash -c "! grep -qvE '^20[0-9-]+T[0-9:.]+Z (err|warning|notice|info|debug) ' '$T/quotad.log'"
finish
