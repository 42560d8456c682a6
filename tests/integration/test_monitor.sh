#!/usr/bin/env bash
# Integration: quota-audit --monitor (tests/integration/monitor.py): trust on first use,
# consistency from tiles, a forked log reported, witness quorum checked; and the shipped
# systemd/quota-monitor.service and .timer verify and are hardened (exposure at most 2.0).
# Usage: bash test_monitor.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
T=$(mktemp -d /tmp/quotad-monitor-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/monitor.py" "$BUILD_DIR" "$T"
rc=$?
if ! command -v systemd-analyze > /dev/null; then
  echo "FAIL - systemd-analyze is missing (scripts/deps.sh installs systemd)"
  exit 1
fi
mkdir -p "$T/units" "$T/etc"
echo "MONITOR_URL=http://127.0.0.1:1/log" > "$T/etc/monitor.env"
sed -e "s|/usr/bin/quota-audit|$BUILD_DIR/tools/quota-audit|" -e "s|/etc/quota-monitor/monitor.env|$T/etc/monitor.env|" \
  "$SRC/systemd/quota-monitor.service" > "$T/units/quota-monitor.service"
cp "$SRC/systemd/quota-monitor.timer" "$T/units/"
if systemd-analyze verify --man=no "$T/units/quota-monitor.service" "$T/units/quota-monitor.timer" > "$T/verify.out" 2>&1 &&
   [ ! -s "$T/verify.out" ]; then
  echo "ok   - systemd-analyze verify: quota-monitor.service and .timer are clean"
else
  echo "FAIL - systemd-analyze verify"; sed 's/^/       /' "$T/verify.out"; rc=1
fi
score=$(systemd-analyze security --offline=yes "$T/units/quota-monitor.service" 2>&1 |
        sed -n 's/.*Overall exposure level for quota-monitor.service: \([0-9.]*\).*/\1/p')
if awk -v s="$score" 'BEGIN{exit !(s != "" && s <= 2.0)}'; then
  echo "ok   - quota-monitor.service exposure $score, at most 2.0"
else
  echo "FAIL - quota-monitor.service exposure '$score'"; rc=1
fi
exit $rc
