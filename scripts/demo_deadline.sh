# shellcheck shell=bash
# The demo's surrender deadlines (sourced by scripts/demo.sh and by its test): a compliance
# year's real deadline while it is ahead of the registry's clock, else one of its own ahead.
# demo_deadline_ms REAL_YYYY-MM-DD NOW_S: prints the deadline (unix ms) to use and, on stderr, a
# sentence saying which. The real deadline counts when more than a day is left; otherwise the
# demo's registry takes the first 31 December (23:59:59.999 Beijing time) more than a day ahead.
demo_deadline_ms() {
  local real=$1 now=$2 real_s year own_s
  real_s=$(date -d "$real 23:59:59 +0800" +%s)
  if [ "$real_s" -gt $((now + 86400)) ]; then
    echo "(the real deadline, $real Beijing time, is still ahead: the demo uses it)" >&2
    echo $((real_s * 1000 + 999))
    return
  fi
  year=$(date -u -d "@$now" +%Y)
  own_s=$(date -d "$year-12-31 23:59:59 +0800" +%s)
  [ "$own_s" -gt $((now + 86400)) ] || own_s=$(date -d "$((year + 1))-12-31 23:59:59 +0800" +%s)
  echo "(the real deadline, $real Beijing time, has passed: this demo registry sets its own," \
    "$(date -u -d "@$((own_s + 8 * 3600))" +%Y-%m-%d) Beijing time, so statuses read as before a deadline)" >&2
  echo $((own_s * 1000 + 999))
}
