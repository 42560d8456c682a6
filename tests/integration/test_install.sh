# Integration: the install an operator does. `cmake --install` into a DESTDIR lays out binaries,
# the unit, sysusers and tmpfiles snippets, /etc/quotad/quotad.conf, man pages, completion and
# docs; systemd-analyze verifies the unit and rates its exposure offline; then quotad is started
# exactly as the unit's ExecStartPre= and ExecStart= lines say, set up as systemd would set them up
# (the quotad user from the sysusers snippet, StateDirectory= and RuntimeDirectory= with their
# modes, the log key under $CREDENTIALS_DIRECTORY, $NOTIFY_SOCKET), and a genesis goes through.
# systemd is not PID 1 here: docs/OPERATIONS.md says what this does not cover.
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"
chmod 755 "$T"
R="$T/root"
DESTDIR="$R" cmake --install "$BUILD_DIR" > "$T/install.log" 2>&1
check "cmake --install into a DESTDIR succeeds" test $? -eq 0
for f in usr/bin/quotad usr/bin/quotactl usr/bin/quota-audit usr/lib/systemd/system/quotad.service \
         usr/lib/sysusers.d/quotad.conf usr/lib/tmpfiles.d/quotad.conf etc/quotad/quotad.conf \
         usr/share/man/man1/quotad.1 usr/share/man/man1/quotactl.1 usr/share/man/man1/quota-audit.1 usr/share/man/man1/quota-witness.1 \
         usr/bin/quota-witness usr/lib/systemd/system/quota-witness.service usr/share/quotad/web/index.html \
         usr/share/bash-completion/completions/quotactl usr/share/doc/quotad/CONFIG.md; do
  check "installed: /$f" test -s "$R/$f"
done
check "the man page of quotad lists its options" grep -q -- 'check\\-config' "$R/usr/share/man/man1/quotad.1"
check "the man page of quotactl names QUOTACTL_KEY" grep -q 'QUOTACTL_KEY' "$R/usr/share/man/man1/quotactl.1"

UNIT="$R/usr/lib/systemd/system/quotad.service"
if command -v systemd-analyze > /dev/null; then
  # verify resolves ExecStart= on this host: the same unit with the DESTDIR's binary in it.
  sed "s|/usr/bin/quotad|$R/usr/bin/quotad|g" "$UNIT" > "$T/quotad.service"
  systemd-analyze verify --man=no "$T/quotad.service" > "$T/verify.out" 2>&1
  check "systemd-analyze verify: the installed unit is clean" test ! -s "$T/verify.out"
  [ -s "$T/verify.out" ] && cat "$T/verify.out"
  systemd-analyze security --offline=yes --root="$R" /usr/lib/systemd/system/quotad.service > "$T/sec.out" 2>&1
  score=$(sed -n 's/.*Overall exposure level for quotad.service: \([0-9.]*\).*/\1/p' "$T/sec.out")
  check "systemd-analyze security: exposure $score, at most 2.0" awk -v s="$score" 'BEGIN{exit !(s != "" && s <= 2.0)}'
else
  bad "systemd-analyze is not installed (scripts/deps.sh installs systemd)"
fi

# The service's user, from the installed sysusers snippet (as systemd-sysusers does at boot).
systemd-sysusers "$R/usr/lib/sysusers.d/quotad.conf" > /dev/null 2>&1 || true
check "the quotad user exists (systemd-sysusers)" id quotad
# StateDirectory=quotad (0700), RuntimeDirectory=quotad (0750), both owned by the user.
mkdir -p "$R/var/lib/quotad" "$R/run/quotad" "$T/creds"
chown quotad:quotad "$R/var/lib/quotad" "$R/run/quotad"
chmod 700 "$R/var/lib/quotad"; chmod 750 "$R/run/quotad"
# LoadCredential=log.key:/etc/quotad/log.key: a copy readable by the service user only.
genkey logk
seedfile logk "$T/creds/log.key"
chown quotad "$T/creds/log.key"; chmod 400 "$T/creds/log.key"; chmod 700 "$T/creds"; chown quotad "$T/creds"
# The unit's command lines, with the DESTDIR's paths and a test port in place of the defaults.
conf="$R/etc/quotad/quotad.conf"
PORT=$(free_port)
sed -i "s|^data_dir = .*|data_dir = $R/var/lib/quotad|; s|^tcp = .*|tcp = 127.0.0.1:$PORT|; s|^unix = .*|unix = $R/run/quotad/quotad.sock|" "$conf"
chgrp quotad "$conf"
pre=$(sed -n 's/^ExecStartPre=//p' "$UNIT" | sed "s|/usr/bin/quotad|$R/usr/bin/quotad|; s|/etc/quotad/quotad.conf|$conf|")
start=$(sed -n 's/^ExecStart=//p' "$UNIT" | sed "s|/usr/bin/quotad|$R/usr/bin/quotad|; s|/etc/quotad/quotad.conf|$conf|")
as_unit() { # the unit's User=, Group=, UMask=, NoNewPrivileges= and environment
  env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$T/creds" NOTIFY_SOCKET="${NOTIFY_SOCKET:-}" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
    setpriv --reuid=quotad --regid=quotad --init-groups --no-new-privs sh -c "umask 077; exec $*"
}
as_unit "$pre" > "$T/pre.out" 2>&1
check "ExecStartPre= (--check-config) passes as the quotad user" grep -q "configuration OK" "$T/pre.out"
"$PY" - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30)
import os; os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as log:
    try:
        while True:
            m = s.recv(4096).decode(); log.write(m + "\n")
            if "STOPPING=1" in m: break
    except socket.timeout: pass
PY
for _ in $(seq 1 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$T/notify.sock" as_unit "$start" 2> "$T/quotad.log" &
QPID=$!
for _ in $(seq 1 100); do grep -q READY=1 "$T/notify.log" 2>/dev/null && break; sleep 0.1; done
check "ExecStart= as the quotad user: READY=1" grep -q '^READY=1$' "$T/notify.log"
check "quotad runs as the quotad user" test "$(ps -o user= -p "$(pgrep -n -f "$R/usr/bin/quotad")" 2>/dev/null)" = quotad
genkey op1; seedfile op1 "$T/op1.key"
"$BUILD_DIR/tools/quotactl" --url "http://127.0.0.1:$PORT" init --origin "$ORIGIN" --log-key "$T/creds/log.key" \
  --operator-key "$T/op1.key" > "$T/init.out" 2>&1
curl -s "http://127.0.0.1:$PORT/v1/log" > "$T/log.json"
check "the installed service takes a genesis signed by the credential's log key" grep -q '"tree_size":1' "$T/log.json"
check "the data directory holds the ledger, owned by quotad" test "$(stat -c %U "$R/var/lib/quotad/data.mdb")" = quotad
check "the Unix socket is in the runtime directory" test -S "$R/run/quotad/quotad.sock"
kill -TERM "$(pgrep -n -f "$R/usr/bin/quotad")"; wait "$QPID"
check "SIGTERM: clean exit" test $? -eq 0
QPID=""
finish
