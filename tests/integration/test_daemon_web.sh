#!/usr/bin/env bash
# quotad's public pages from the outside: served at / with their security headers, HEAD, the API
# untouched beside them, public_pages = false turning them off, web_dir serving the same files
# as the embedded copy, a web_dir that cannot be read stopping quotad at start, and cmake's
# install() of web/ under share/quotad/web. (The pages themselves run in tests/browser/.)
# Usage: bash test_daemon_web.sh BUILD_DIR SOURCE_DIR
set -u
if [ ! -x "$1/daemon/quotad" ]; then echo "FAIL - $1/daemon/quotad is not built"; exit 1; fi
# shellcheck source=daemon_lib.sh
source "$(dirname "$0")/daemon_lib.sh" "$1" "$2"

genkey log
seedfile log "$T/log.key"
start_quotad "$T/data" || { echo "FAIL - quotad did not start"; cat "$T/quotad.log"; exit 1; }

curl -s -D "$T/h" -o "$T/index.embedded" "$BASE/"
{ grep -q '^HTTP/1.1 200' "$T/h" && grep -qi '^Content-Type: text/html' "$T/h"; }; verdict "GET / is the log page"
grep -qi "^Content-Security-Policy: default-src 'self'; script-src 'self'" "$T/h" && ! grep -qi 'unsafe-inline' "$T/h"
verdict "the page's CSP allows no inline script and nothing from another origin"
grep -qi '^X-Content-Type-Options: nosniff' "$T/h"; verdict "X-Content-Type-Options: nosniff"
CODE=$(curl -s -I -o "$T/head" -w '%{http_code}' "$BASE/verify")
{ [ "$CODE" = 200 ] && grep -qi '^Content-Length: [1-9]' "$T/head"; }; verdict "HEAD /verify: 200 with the length, no body"
http GET /v1/nothing
{ [ "$CODE" = 404 ] && [ "$(jget "$T/last.body" 'j["error"]["code"]')" = not_found ]; }; verdict "the API's 404 stays JSON beside the pages"
http GET /compliance
[ "$CODE" = 200 ]; verdict "/compliance before any compliance year is the page (which says none is open)"
http GET /compliance/2024.csv
[ "$CODE" = 404 ]; verdict "the CSV of a year that is not open is 404"
http GET /instruments.csv
{ [ "$CODE" = 200 ] && head -1 "$T/last.body" | grep -q '^code,kind,vintage'; }; verdict "/instruments.csv has its header row"
curl -s -o /dev/null -D "$T/h2" -H 'Accept-Encoding: gzip' "$BASE/quotad-verifier.html"
{ grep -qi '^Content-Encoding: gzip' "$T/h2" && grep -qi '^Content-Disposition: attachment; filename="quotad-verifier.html"' "$T/h2"; }
verdict "the standalone verifier is a gzip download"
stop_quotad

start_quotad "$T/data" --public-pages=false || { echo "FAIL - quotad did not start"; exit 1; }
http GET /
{ [ "$CODE" = 404 ] && [ "$(jget "$T/last.body" 'j["error"]["code"]')" = not_found ]; }; verdict "public_pages = false: / is the API's not_found"
http GET /quotad-verifier.html
[ "$CODE" = 404 ]; verdict "public_pages = false: no verifier download"
stop_quotad

start_quotad "$T/data" --web-dir "$SOURCE_DIR/web" || { echo "FAIL - quotad did not start with web_dir"; exit 1; }
curl -s -o "$T/index.dir" "$BASE/"
cmp -s "$T/index.embedded" "$T/index.dir"; verdict "web_dir serves the same page as the embedded copy"
stop_quotad

"$QUOTAD" --data-dir "$T/data" --log-key "$T/log.key" --listen "127.0.0.1:$(free_port)" --web-dir "$T/none" 2>"$T/bad.log" &
pid=$!
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid"; bad "a web_dir that cannot be read stops quotad"
else wait "$pid"; rc=$?; { [ "$rc" != 0 ] && grep -q "web_dir $T/none" "$T/bad.log"; }; verdict "a web_dir that cannot be read stops quotad, naming it"; fi

cmake --install "$BUILD_DIR" --prefix "$T/inst" --component Unspecified >/dev/null 2>&1
{ [ -f "$T/inst/share/quotad/web/index.html" ] && [ -f "$T/inst/share/quotad/web/assets/verifier.js" ] &&
  [ -f "$T/inst/share/quotad/web/standalone.html" ]; }; verdict "cmake --install puts web/ under share/quotad/web"
finish
