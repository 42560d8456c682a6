# daemon_lib.sh: helpers the quotad integration tests source. They drive the real quotad with
# curl, openssl and python3 only, the way docs/API.md tells a client to.
# Usage: source daemon_lib.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
SOURCE_DIR=$(cd "$2" && pwd)
QUOTAD="$BUILD_DIR/daemon/quotad"
T=$(mktemp -d /tmp/quotad-it-XXXXXX)
# The system interpreter: a version manager's shim can cost a second per call.
PY=$(command -v /usr/bin/python3 || command -v python3)
PASSED=0
FAILED=0
QPID=""
ORIGIN="test.quotad.example/registry"

if [ ! -x "$QUOTAD" ]; then
  # A test that cannot run must fail, never pass as if it had.
  echo "FAIL: $QUOTAD not built"
  exit 1
fi

cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill -TERM "$QPID"; wait "$QPID" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [ $# -gt 1 ] && echo "       $2"; return 0; }
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then ok "$name"; else bad "$name" "$(tail -c 400 "$T/last.body" 2>/dev/null)"; fi
}
# verdict NAME: passes when the command just before it succeeded (for compound conditions:
# `{ A && B; }; verdict NAME`).
verdict() {
  local rc=$?
  if [ $rc -eq 0 ]; then ok "$1"; else bad "$1" "$(tail -c 400 "$T/last.body" 2>/dev/null)"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# jq-free JSON access: jget FILE 'python expression over j'
jget() { "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"; }

# Keys: an Ed25519 PKCS#8 PEM per name, and what the API wants of it.
genkey() { # genkey NAME
  openssl genpkey -algorithm ed25519 -out "$T/$1.pem" 2>/dev/null
  openssl pkey -in "$T/$1.pem" -pubout -outform DER 2>/dev/null | tail -c 32 > "$T/$1.pub"
}
pubhex() { od -An -v -tx1 "$T/$1.pub" | tr -d ' \n'; }
keyhash() { openssl dgst -sha256 -binary "$T/$1.pub" | base64 -w0; }
seedfile() { # seedfile NAME FILE: quotad's key file format from the PEM's 32-byte seed
  printf 'quotad-ed25519-seed %s\n' "$(openssl pkey -in "$T/$1.pem" -outform DER 2>/dev/null | tail -c 32 | base64 -w0)" > "$2"
  chmod 600 "$2"
}
newid() { printf '%012x%s\n' "$(date +%s%3N)" "$(openssl rand -hex 10)"; } # 48-bit ms, 80 random bits

start_quotad() { # start_quotad DATA_DIR [flags...]
  local dir=$1; shift
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  SOCK="$T/quotad.sock"
  "$QUOTAD" --data-dir "$dir" --log-key "$T/log.key" --listen "127.0.0.1:$PORT" --unix "$SOCK" \
    --log-level debug "$@" 2>>"$T/quotad.log" &
  QPID=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$BASE/healthz" && return 0
    kill -0 "$QPID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_quotad() {
  kill -TERM "$QPID" 2>/dev/null
  wait "$QPID"
  local rc=$?
  QPID=""
  return $rc
}

# HTTP: status code in $CODE, body in $T/last.body
http() { # http METHOD PATH [curl args...]
  local m=$1 p=$2; shift 2
  CODE=$(curl -s -o "$T/last.body" -w '%{http_code}' -X "$m" "$@" "$BASE$p")
}
tree_size() { curl -s "$BASE/healthz" | sed -n 's/.*"tree_size":\([0-9]*\).*/\1/p'; }

# Signs MESSAGE_FILE with NAME's key: base64 signature on stdout.
sign_file() { openssl pkeyutl -sign -rawin -inkey "$T/$1.pem" -in "$2" | base64 -w0; }

# envelope TX_JSON SIGNER...: encodes through the API, signs, prints the envelope JSON.
envelope() {
  local tx=$1; shift
  curl -s -X POST -H 'Content-Type: application/json' --data-binary "$tx" "$BASE/v1/tx/encode" > "$T/enc.json"
  jget "$T/enc.json" 'j["signing_message"]' | base64 -d > "$T/msg.bin"
  local body sigs="" s
  body=$(jget "$T/enc.json" 'j["body"]')
  for s in "$@"; do
    [ -n "$sigs" ] && sigs="$sigs,"
    sigs="$sigs{\"key\":\"$(keyhash "$s")\",\"sig\":\"$(sign_file "$s" "$T/msg.bin")\"}"
  done
  printf '{"body":"%s","signatures":[%s]}' "$body" "$sigs"
}

# submit TX_JSON SIGNER...: one envelope as an object; $CODE, $T/last.body
submit() {
  local env
  env=$(envelope "$@")
  http POST /v1/tx -H 'Content-Type: application/json' --data-binary "$env"
}
result() { jget "$T/last.body" 'j["results"][0]["result"]'; }
errcode() { "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); r=j["results"][0] if "results" in j else j; print(r["error"]["code"])' "$T/last.body" 2>/dev/null; }
expect_tx() { # expect_tx NAME HTTP_CODE RESULT_OR_ERROR TX_JSON SIGNER...
  local name=$1 code=$2 want=$3; shift 3
  local before after got
  before=$(tree_size)
  submit "$@"
  if [ "$want" = ok ] || [ "$want" = exists ]; then got=$(result); else got=$(errcode); fi
  after=$(tree_size)
  if [ "$CODE" != "$code" ] || [ "$got" != "$want" ]; then
    bad "$name" "HTTP $CODE, got '$got', want HTTP $code '$want': $(head -c 300 "$T/last.body")"
    return 0
  fi
  if [ "$want" != ok ] && [ "$before" != "$after" ]; then
    bad "$name" "the tree grew from $before to $after on a refusal"
    return 0
  fi
  ok "$name"
}

# Signed read: read_as NAME METHOD TARGET -> $CODE, $T/last.body
read_as() {
  local who=$1 m=$2 target=$3 now sig
  now=${READ_TIME:-$(date +%s)}
  printf 'quotad/read/v1\n%s\n%s\n%s\n%s' "$ORIGIN" "$m" "$target" "$now" > "$T/read.bin"
  sig=$(sign_file "$who" "$T/read.bin")
  http "$m" "$target" -H "Authorization: Quotad-Ed25519 key=$(keyhash "$who"), time=$now, sig=$sig"
}
