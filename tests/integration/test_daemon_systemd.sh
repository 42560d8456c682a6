# Integration: what systemd and operators rely on: the notify protocol (READY, WATCHDOG,
# RELOADING, STOPPING) on $NOTIFY_SOCKET, the log file reopened on SIGHUP (logrotate), the idle
# timeout, and --help.
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

genkey logk
seedfile logk "$T/log.key"

"$QUOTAD" --help > "$T/help.out"
{ [ $? -eq 0 ] && grep -q -- '--batch-entries-max' "$T/help.out" && grep -q -- '--tls-client-ca' "$T/help.out"; }; verdict "--help lists the flags and exits 0"
"$QUOTAD" --connections-max nope > /dev/null 2> "$T/bad-flag.out"
{ [ $? -eq 2 ] && grep -q 'connections_max' "$T/bad-flag.out"; }; verdict "a bad flag value: exit 2 with the option's name"

# A datagram socket standing in for systemd's notify socket, recording what arrives.
"$PY" - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "a", buffering=1) as log:
    try:
        while True:
            msg = s.recv(4096).decode()
            log.write(msg + "\n")
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
LISTENER=$!
for _ in $(seq 1 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done

NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 start_quotad "$T/data" --log-file "$T/file.log" --idle-timeout-ms 300 \
  || { echo "quotad did not start"; cat "$T/quotad.log"; exit 1; }
sleep 0.6
check "READY=1 once listening" grep -q '^READY=1$' "$T/notify.log"
check "WATCHDOG=1 at half the watchdog interval" grep -q '^WATCHDOG=1$' "$T/notify.log"
check "the log file receives the log" grep -q 'quotad ready' "$T/file.log"

mv "$T/file.log" "$T/file.log.1"
kill -HUP "$QPID"
sleep 0.3
http GET /healthz
{ [ "$CODE" = 200 ] && [ -e "$T/file.log" ]; }; verdict "SIGHUP reopens the log file (a new one after logrotate's move)"
check "RELOADING=1 then READY=1 around SIGHUP" grep -q '^RELOADING=1$' "$T/notify.log"

"$PY" - "$PORT" > "$T/idle.out" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
t0 = time.monotonic()
s.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
first = s.recv(65536)
rest = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        rest += b
except socket.timeout:
    print("still open"); sys.exit()
print("closed after %.1f s" % (time.monotonic() - t0))
PY
check "an idle keep-alive connection is closed after idle_timeout_ms" grep -q 'closed after' "$T/idle.out"

check "SIGTERM: clean exit" stop_quotad
wait "$LISTENER" 2>/dev/null
check "STOPPING=1 on the way out" grep -q '^STOPPING=1$' "$T/notify.log"
check "the stop is logged in the file" grep -q 'quotad stopped' "$T/file.log"
finish
